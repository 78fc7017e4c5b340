"""Property-based tests: malformed and hostile values sent to every form, to the audit package
import and to the structured chronology upload. Never a 5xx; a refusal writes nothing at all.

The forms are found from the URL resolver and the access table of test_access_matrix: every route
that someone may POST to is fuzzed as a person who may use it (the public forms signed out, an
agency's own work as its co-ordinator, everything else as the chair). Its fields are read from
the page that shows the form, so a new form, or a new field, is fuzzed without a change here.
Each request runs in a savepoint that is rolled back, so examples do not disturb each other.

Examples are derandomised (see the "maca" profile in conftest.py): every run tries the same
values. FUZZ_EXAMPLES=10 runs ten times as many, for a longer hunt before a release.
"""

from __future__ import annotations

import html
import io
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.tokens import default_token_generator
from django.contrib.messages import constants as message_levels
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from actions.models import Action
from actions.package import (
    PackageError,
    package_export,
    package_import,
    package_parse,
    package_validate,
)
from cases.models import AgencySubmission, Audit, ChronologyEntry, Nomination, ToolSection
from findings.models import Finding, MeetingAttendee, Strength, Tag
from maca.models import Agency

from .factories import CaseFactory, ToolQuestionFactory, ToolSectionFactory
from .fuzzing import (
    CHARSETS,
    TEXT_KINDS,
    ask,
    describe,
    form_data,
    package_bytes,
    page_forms,
    row_counts,
    uploads,
    urlencoded,
)
from .test_access_matrix import EXPECTED, ROLES, People, walk
from .test_access_matrix import people as matrix_people  # noqa: F401 (a fixture)
from .test_package import bad

pytestmark = pytest.mark.django_db

SCALE = int(os.environ.get("FUZZ_EXAMPLES", "1"))
QUIET = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]


def examples(n: int) -> int:
    return n * SCALE


# Which routes take a form, and how to reach it -------------------------------------------------


@dataclass(frozen=True)
class Target:
    """How to fuzz one route's form."""

    host: str | None = None  # the route of the page that shows the form (None: the route itself)
    query: str = ""  # the host page's query string, formatted with the URL's arguments
    prepare: Callable[[People], dict] | None = None  # the state the form needs; URL arguments
    quiet: tuple[str, ...] = ()  # tables a refusal writes by design (throttling, drafts)
    form: bool = True  # False: the route reads no field of its own; junk fields are sent
    who: str | None = None  # who sends it (None: from the access table)


def _nominating(people: People) -> dict:
    """The audit takes nominations, and one nomination is still in the running."""
    world = people.world_a
    Audit.objects.filter(pk=world.audit.pk).update(status=Audit.Status.NOMINATING)
    nomination = Nomination.objects.create(
        audit=world.audit,
        label="Case 9",
        reason="Several agencies, no shared plan.",
        nominated_by=people.users["chair"],
    )
    nomination.agencies.add(*world.audit.agencies.all())
    return {"nomination_id": nomination.pk}


def _closed(people: People) -> dict:
    audit = people.world_a.audit
    audit.move_to(Audit.Status.CLOSED)
    audit.save()
    return {}


def _submitted(people: People) -> dict:
    world = people.world_a
    AgencySubmission.objects.filter(case=world.case, agency=world.agencies["housing"]).update(
        status=AgencySubmission.Status.SUBMITTED
    )
    return {}


def _unanswered(people: People) -> dict:
    section = ToolSectionFactory(audit=people.world_a.audit, title="Not yet answered")
    question = ToolQuestionFactory(section=section, text="Was the plan shared?")
    return {"section_id": section.pk, "question_id": question.pk}


def _no_questions(people: People) -> dict:
    ToolSection.objects.filter(audit=people.world_a.audit).delete()
    return {}


def _completed(people: People) -> dict:
    Action.objects.filter(pk=people.world_a.actions["housing"].pk).update(
        status=Action.Status.COMPLETE, outcome_statement="Done."
    )
    return {}


def _unpublished(people: People) -> dict:
    """Case labels change only until the briefing is first published."""
    audit = people.world_a.audit
    audit.briefing_versions.all().delete()
    Audit.objects.filter(pk=audit.pk).update(briefing_published_at=None)
    return {}


def _looks_identifying(people: People) -> dict:
    """A finding the chair is asked to confirm before publishing."""
    Finding.objects.create(case=people.world_a.case, text="Seen at the clinic, NN1 2AB.")
    return {}


def _authenticator(people: People) -> dict:
    TOTPDevice.objects.create(user=people.users["housing"], name="App", confirmed=True)
    return {}


def _reset_link(people: People) -> dict:
    user = people.users["viewer"]
    return {
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    }


TARGETS: dict[str, Target] = {
    "health": Target(form=False),
    "readiness": Target(form=False),
    # Signing out comes first, then the form is read: a malformed request still signs out.
    "logout": Target(form=False, who="chair", quiet=("axes_",)),
    "login": Target(quiet=("axes_",)),
    "password_reset_confirm": Target(prepare=_reset_link),
    # Each press is counted as a guess at the current password before it is checked.
    "password_change": Target(quiet=('"current_password_tries"',)),
    "mfa_verify": Target(prepare=_authenticator, quiet=("otp_",)),
    "mfa_recovery_codes": Target(form=False),
    "session_keepalive": Target(form=False, host="home"),
    "audit_stage": Target(host="audit_detail"),
    "nomination_create": Target(prepare=_nominating),
    "nomination_edit": Target(prepare=_nominating),
    "nomination_decline": Target(prepare=_nominating),
    "selection_draw": Target(host="selection", prepare=_nominating),
    "selection_confirm": Target(query="pick={nomination_id}", prepare=_nominating),
    "case_labels": Target(prepare=_unpublished),
    "chronology_file_upload": Target(host="agency_chronology"),
    "chronology_rows_import": Target(host="agency_chronology"),
    "chronology_entry_add": Target(host="agency_chronology"),
    "tool_use_default": Target(host="tool_edit", prepare=_no_questions),
    "tool_section_move": Target(host="tool_edit"),
    "tool_section_delete": Target(prepare=_unanswered),
    "tool_question_move": Target(host="tool_edit"),
    "tool_question_delete": Target(prepare=_unanswered),
    # Submitting without every grade saves the answers as a draft, by design.
    "tool_answer": Target(quiet=("cases_agencysubmission", "cases_toolanswer", "cases_historical")),
    "tool_reopen": Target(host="tool_answer", prepare=_submitted),
    "progress_remind": Target(host="progress"),
    "retention_purge": Target(host="retention", prepare=_closed),
    "legal_hold": Target(host="retention"),
    "tag_add": Target(host="authoring"),
    "briefing_confirm_text": Target(host="briefing_publish", prepare=_looks_identifying),
    "item_move": Target(host="authoring"),
    "seven_minute_draft": Target(host="seven_minute_edit"),
    "action_reopen": Target(host="action_detail", prepare=_completed),
    "action_evidence_upload": Target(host="action_detail"),
    "partnership_logo_remove": Target(host="partnership_logo_edit", form=False),
    "audit_invitation_withdraw": Target(host="audit_members", form=False),
    "partnership_invitation_withdraw": Target(host="partnership_people", form=False),
}
# Routes with a kind of item in the URL: a kind without cases, and recommendations with them.
KINDS = ("strength", "recommendation")


def _post_codes(name: str) -> dict[str, str]:
    spec = EXPECTED[name][1]
    return {} if spec == "-" else dict(zip(ROLES, spec.split(), strict=True))


def _who(name: str) -> str | None:
    """Who fuzzes a route: the public signed out, an agency's own work as its co-ordinator, the
    partnership's own pages as its administrator, the rest as the chair; None when nobody may
    POST to it."""
    target = TARGETS.get(name, Target())
    codes = _post_codes(name)
    if target.who:
        return target.who
    for column, who in (
        ("anon", "anon"),
        ("own", "housing"),
        ("chair", "chair"),
        ("padmin", "padmin"),
    ):
        if codes.get(column) == "O":
            return who
    return None


def _targets() -> list[tuple[str, str]]:
    found = []
    for route in walk():
        if route.name in EXPECTED and _who(route.name):
            kinds = KINDS if "kind" in route.kwargs and route.name != "item_move" else ("strength",)
            found += [(route.name, kind) for kind in kinds]
    return found


def test_every_route_someone_may_post_to_is_fuzzed():
    """The routes come from the resolver and the access table, so a new form is fuzzed as soon
    as it has its row there; TARGETS only says where a form is shown and what state it needs."""
    fuzzed = {name for name, _ in _targets()}
    posted = {route.name for route in walk() if "O" in _post_codes(route.name).values()}
    assert posted <= fuzzed, sorted(posted - fuzzed)
    assert set(TARGETS) <= {route.name for route in walk()}, "TARGETS names a route that is gone"
    assert len(fuzzed) > 50


# The world --------------------------------------------------------------------------------------


@pytest.fixture
def people(request):
    """The access matrix's world: audit A with everything in it, and audit B of another
    partnership, whose ids are sent as ids of things that are not audit A's."""
    return request.getfixturevalue("matrix_people")


@pytest.fixture
def small_uploads(settings):
    """Uploads over 64 KB are refused, so that the size check is reached with small files."""
    settings.MACA_UPLOAD_MAX_BYTES = 64 * 1024


def _client(people: People, who: str) -> Client:
    client = Client()
    if who != "anon":
        client.force_login(people.users[who])
    return client


def _foreign_ids(people: People) -> list[str]:
    """Ids of things that are not this audit's: another audit's, another partnership's."""
    b = people.world_b
    ids = [b.case.pk, b.nomination.pk, b.section.pk, b.question.pk, b.membership.pk]
    ids += [item.pk for item in b.items.values()]
    ids += [x.pk for x in (*b.entries.values(), *b.actions.values(), *b.evidence.values())]
    ids += list(Agency.objects.exclude(audits=people.world_a.audit).values_list("pk", flat=True))
    ids.append(people.users["outsider"].pk)
    return sorted({str(i) for i in ids})


def _same_route(action: str, name: str, kwargs: dict) -> tuple[bool, bool]:
    """(the form posts to this route, with these very arguments)."""
    try:
        match = resolve(action.split("?")[0].split("#")[0])
    except Resolver404:
        return False, False
    if match.url_name != name:
        return False, False
    return True, {k: str(v) for k, v in match.kwargs.items()} == {
        k: str(v) for k, v in kwargs.items()
    }


def _find_form(client: Client, host_url: str, name: str, kwargs: dict):
    """The fields of the forms on the host page that post to the route, and where they post."""
    response = client.get(host_url, follow=True)
    assert response.status_code == 200, f"{host_url} answered {response.status_code}"
    final = response.redirect_chain[-1][0] if response.redirect_chain else host_url
    forms = [f for f in page_forms(response.content.decode()) if f.method == "post"]
    matching = [(f, _same_route(f.action or final, name, kwargs)) for f in forms]
    exact = [f for f, (named, same) in matching if same] or [
        f for f, (named, _) in matching if named
    ]
    if not exact:
        return None, None
    fields = {}
    for form in exact:
        for field_name, form_field in form.fields.items():
            fields.setdefault(field_name, form_field).values.extend(
                v for v in form_field.values if v not in fields[field_name].values
            )
    return fields, exact[0].action or final


def _flat(payload: dict) -> list:
    return [
        v for value in payload.values() for v in (value if isinstance(value, list) else [value])
    ]


def _media_files(root) -> set[str]:
    root = Path(root)
    return {str(p) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def refused(answer) -> bool:
    """Not done: the form came back, a 4xx, or a redirect carrying a warning or an error."""
    warned = any(m.level >= message_levels.WARNING for m in answer.messages)
    return answer.status != 302 or warned


SHOWN_PROBLEM = ("There is a problem", "invalid-feedback", "errorlist", 'role="alert"')


def problems_with(answer, payload, fields, name, target, files_before, files_after) -> list[str]:
    problems = []
    if answer.crashed:
        problems.append(answer.error or f"answered {answer.status} (then {answer.follow_status})")
        return problems
    if not refused(answer):
        return problems
    written = [w for w in answer.writes if not any(t in w for t in target.quiet)]
    changed = [t for t in answer.counts_changed if not any(t.startswith(q) for q in target.quiet)]
    if written or changed:
        problems.append(f"refused ({answer.status}) but wrote {written or changed}")
    if files_after != files_before:
        problems.append(f"refused ({answer.status}) but left files {files_after - files_before}")
    if answer.status in (200, 400, 403, 409, 422) and answer.content:
        page = html.unescape(answer.content.decode(errors="replace"))
        reshown = any(
            _same_route(f.action or "", name, {})[0] or not f.action
            for f in page_forms(page)
            if f.method == "post" and set(f.fields) & set(payload)
        )
        if reshown and target.form and not any(mark in page for mark in SHOWN_PROBLEM):
            problems.append(f"the form came back ({answer.status}) without saying what is wrong")
        # What a person typed comes back; a page whose own hidden fields were tampered with
        # (a formset's count of rows, say) need not rebuild what it cannot read.
        hidden = [
            f
            for f in fields.values()
            if f.kind == "hidden" and f.values and f.name != "csrfmiddlewaretoken"
        ]
        pristine = all(payload.get(f.name) == f.values[0] for f in hidden)
        if reshown and pristine:
            for field_name, value in payload.items():
                kind = fields.get(field_name).kind if field_name in fields else ""
                typed = isinstance(value, str) and value.strip() and kind in TEXT_KINDS
                if typed and kind != "password" and value.strip() not in page:
                    problems.append(f"what was typed in {field_name!r} was lost")
    return problems


@pytest.mark.parametrize(("name", "kind"), _targets(), ids=[f"{n}-{k}" for n, k in _targets()])
def test_hostile_values_on_every_form(people, small_uploads, media_root, name, kind):
    target = TARGETS.get(name, Target())
    who = _who(name)
    world = people.world_a
    route = next(r for r in walk() if r.name == name)
    kwargs = world.kwargs(route, "housing", kind, "csv")
    prepared = target.prepare(people) if target.prepare else {}
    kwargs.update({k: v for k, v in prepared.items() if k in route.kwargs})
    url = reverse(name, kwargs=kwargs)
    client = _client(people, who)
    if name == "item_add":
        url += f"?case={world.case.pk}"
    fields, post_url = {}, url
    if target.form:
        host = target.host or name
        host_route = next(r for r in walk() if r.name == host)
        host_kwargs = {
            k: kwargs.get(k, v) for k, v in world.kwargs(host_route, "housing", kind, "csv").items()
        }
        host_url = reverse(host, kwargs=host_kwargs) + (url[len(reverse(name, kwargs=kwargs)) :])
        if target.query:
            host_url += ("&" if "?" in host_url else "?") + target.query.format(**prepared)
        fields, post_url = _find_form(client, host_url, name, kwargs)
        assert fields is not None, (
            f"No form posting to {url} ({name}) on {host_url}: say in TARGETS which page shows "
            "it and what state it needs, or that the route reads no field (form=False)."
        )
    foreign = _foreign_ids(people)

    @settings(max_examples=examples(12), deadline=None, suppress_health_check=QUIET)
    @given(st.data())
    def fuzz(data):
        payload = data.draw(form_data(fields, foreign), label="POST")
        charset = data.draw(st.sampled_from(CHARSETS), label="charset")
        has_file = any(isinstance(v, SimpleUploadedFile) for v in _flat(payload))
        extra = {}
        if charset and not has_file:
            extra = {"content_type": f"application/x-www-form-urlencoded; charset={charset}"}
        body = urlencoded(payload, charset) if extra else payload
        before = _media_files(media_root)
        answer = ask(client, post_url, body, quiet_tables=target.quiet, follow=True, **extra)
        after = _media_files(media_root)
        typed = payload if charset in (None, "utf-8") else {}
        problems = problems_with(answer, typed, fields, name, target, before, after)
        assert not problems, f"POST {post_url} as {who} ({charset}) {describe(payload)}: {problems}"

    fuzz()


# Filters: the forms that GET ------------------------------------------------------------------

# Downloads that read the same query as a filter form's page, as its export links send it.
SAME_QUERY = {
    "action_plan": [("action_plan_export", {"fmt": "csv"}), ("action_plan_pdf", {})],
    "my_actions": [("action_plan_export", {"fmt": "xlsx"})],
    "integrated_chronology": [("integrated_chronology_pdf", None)],
    "learning_trends": [("learning_trends_chart", {"key": "returns", "file_type": "csv"})],
}


def _get_forms(people: People, client: Client) -> list[tuple[str, str, dict]]:
    """Every filter form on every page the chair may open: (route, where it sends, fields)."""
    found = {}
    for route in walk():
        if EXPECTED[route.name][0].split()[ROLES.index("chair")] != "O":
            continue
        url = reverse(route.name, kwargs=people.world_a.kwargs(route, "housing", "strength", "csv"))
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        for form in page_forms(response.content.decode()):
            if form.method == "get" and form.fields:
                target = (form.action or url).split("?")[0]
                found.setdefault(target, (resolve(target).url_name, target, form.fields))
    return list(found.values())


def test_hostile_filters_on_every_page_that_has_them(people, small_uploads):
    """The plan's, the access log's, the selection's and the integrated chronology's filters,
    and the downloads that read the same query: never a 5xx."""
    _nominating(people)  # the selection page and its filter are open while nominating
    client = _client(people, "chair")
    forms = _get_forms(people, client)
    assert {name for name, _, _ in forms} >= {
        "action_plan",
        "access_log",
        "selection",
        "learning_library",
        "learning_trends",
    }
    foreign = _foreign_ids(people)
    world = people.world_a

    for name, url, fields in forms:
        urls = [url]
        for other, kwargs in SAME_QUERY.get(name, []):
            if kwargs is None:
                kwargs = {"pk": world.audit.pk, "case_id": world.case.pk}
            urls.append(reverse(other, kwargs=kwargs))

        _fuzz_filter(client, urls, fields, foreign)


def _fuzz_filter(client: Client, urls: list[str], fields: dict, foreign: list[str]) -> None:
    @settings(max_examples=examples(10), deadline=None, suppress_health_check=QUIET)
    @given(st.data())
    def fuzz(data):
        query = data.draw(form_data(fields, foreign), label="query")
        query = {k: v for k, v in query.items() if not isinstance(v, SimpleUploadedFile)}
        for url in urls:
            try:
                with transaction.atomic():
                    status = client.get(url, query).status_code
                    transaction.set_rollback(True)
            except Exception as error:  # a 500
                status = f"{type(error).__name__}: {error}"
            assert isinstance(status, int) and status < 500, (
                f"GET {url} {describe(query)}: {status}"
            )

    fuzz()


# The audit package import -----------------------------------------------------------------------

IMPORT_REFUSALS = (PackageError,)


@settings(max_examples=examples(80), deadline=None, suppress_health_check=QUIET)
@given(raw=package_bytes())
def test_the_package_import_writes_everything_or_nothing(raw):
    """package_parse and package_import: a package is imported whole or refused with its
    problems named, and a refused one leaves no row behind. What is imported exports again as a
    valid package."""
    before = row_counts()
    with transaction.atomic():
        try:
            audit = package_import(package_parse(raw))
        except IMPORT_REFUSALS as refusal:
            event(f"refused: {refusal.problems[0]}"[:60])
            assert refusal.problems, "a refusal names its problems"
            assert all(str(problem) for problem in refusal.problems)
            imported = None
        else:
            imported = audit
            event("imported")
            package_validate(package_export(audit))
        transaction.set_rollback(True)
    if imported is None:
        assert row_counts() == before


@pytest.fixture
def chair_client(people):
    return _client(people, "chair")


@settings(max_examples=examples(25), deadline=None, suppress_health_check=QUIET)
@given(raw=package_bytes(), via=st.sampled_from(["page", "command"]))
def test_the_import_page_and_command_refuse_cleanly(people, chair_client, tmp_path, raw, via):
    """The upload page answers a bad package with 422 and its problems, never a 5xx; the
    command with a CommandError, never a traceback. Neither writes anything when refusing."""
    if via == "page":
        upload = SimpleUploadedFile("package.json", raw, content_type="application/json")
        partnership = people.world_a.audit.partnership_id
        answer = ask(
            chair_client,
            reverse("audit_import"),
            {"package": upload, "partnership": partnership},
            follow=True,
        )
        assert not answer.crashed, answer.error or answer.status
        if answer.status != 302:
            assert answer.status == 422
            assert not answer.writes and not answer.counts_changed, answer.writes
        return
    path = tmp_path / "package.json"
    path.write_bytes(raw)
    before = row_counts()
    with transaction.atomic():
        try:
            call_command("import_audit", str(path), "--create-partnership", stdout=io.StringIO())
        except CommandError as refusal:
            assert str(refusal)
            assert row_counts() == before
        transaction.set_rollback(True)


# The structured chronology upload ---------------------------------------------------------------


@pytest.fixture
def housing_client(people):
    return _client(people, "housing")


@pytest.mark.filterwarnings("ignore:Cell .* is marked as a date:UserWarning")
@settings(max_examples=examples(60), deadline=None, suppress_health_check=QUIET)
@given(upload=uploads())
def test_the_structured_chronology_upload_adds_every_row_or_none(
    people, housing_client, small_uploads, media_root, upload
):
    """Hostile cells, wrong columns, binary garbage, byte order marks, odd delimiters, formula
    cells: never a 5xx; a refused file adds no row and keeps no file; an accepted one adds all
    its rows in one go."""
    world = people.world_a
    housing = world.agencies["housing"]
    url = reverse("chronology_rows_import", args=[world.audit.pk, world.case.pk, housing.pk])
    rows = ChronologyEntry.objects.filter(case=world.case, agency=housing)
    before, files = rows.count(), _media_files(media_root)
    answer = ask(housing_client, url, {"rows_file": upload}, follow=True)
    assert not answer.crashed, answer.error or answer.status
    assert _media_files(media_root) == files
    if refused(answer):
        event("refused")
        assert not answer.writes and not answer.counts_changed, answer.writes
        return
    event("accepted")
    added = [m for m in answer.messages if str(m).endswith(("row added.", "rows added."))]
    assert len(added) == 1, answer.messages
    count = int(str(added[0]).split()[0].replace(",", ""))
    assert answer.counts_changed.get("cases_chronologyentry") == count
    assert rows.count() == before  # the request was rolled back


# Found by fuzzing -------------------------------------------------------------------------------


def _problems(raw) -> list[str]:
    with pytest.raises(PackageError) as refused_package:
        package_parse(raw)
    return [str(problem) for problem in refused_package.value.problems]


@pytest.mark.parametrize(
    ("raw", "location", "words"),
    [
        # PostgreSQL cannot store a NUL character; neither database half of a surrogate pair.
        (
            json.dumps(bad(cases__0__findings__0__text="No\x00plan.")),
            "$.cases[0].findings[0].text",
            "NUL",
        ),
        (
            '{"format": "maca-audit/1", "theme": {"name": "\\ud800"}, "cases": [{"label": "C"}]}',
            "$.theme.name",
            "surrogate",
        ),
        (
            json.dumps(bad(cases__0__strengths__0__tags=["escalation", "\x00"])),
            "$.cases[0].strengths[0].tags[1]",
            "NUL",
        ),
        (b"[" * 100_000 + b"]" * 100_000, "$", "nested too deeply"),
        (b'{"format": "maca-audit/1", "n": ' + b"9" * 5000 + b"}", "$", "not valid JSON"),
        (
            json.dumps(bad(actions__0__updates__0__text="")),
            "$.actions[0].updates[0].text",
            "cannot be blank",
        ),
    ],
    ids=["nul", "surrogate", "nul-tag", "deep", "long-number", "blank-update"],
)
def test_packages_the_database_cannot_hold_are_refused_where_the_problem_is(raw, location, words):
    before = row_counts()
    problems = _problems(raw)
    assert any(p.startswith(f"{location}: ") and words in p for p in problems), problems
    assert row_counts() == before


def test_an_action_may_name_its_recommendation_as_1_0(db):
    """JSON Schema counts 1.0 as an integer, so the import does too."""
    audit = package_import(package_parse(json.dumps(bad(actions__0__recommendation=0.0))))
    assert audit.actions.get().recommendation == audit.recommendations.get()


def test_tags_whose_names_make_the_same_slug_are_all_kept(db, client, audit, chair):
    """ "Voice-of-the-child" beside the seeded "voice of the child", and names with no letters a
    slug can hold, were a server error (the slug is unique in the partnership)."""
    mine = Tag.objects.filter(partnership=audit.partnership)
    assert mine.filter(slug="voice-of-the-child").exists()
    for name in ("Voice-of-the-child", "!!!", "???", "Свобода"):
        Tag(name=name, partnership=audit.partnership).save()
    slugs = dict(mine.values_list("name", "slug"))
    assert slugs["Voice-of-the-child"] == "voice-of-the-child-2"
    assert {slugs["!!!"], slugs["???"], slugs["Свобода"]} == {"tag", "tag-2", "tag-3"}
    client.force_login(chair)
    response = client.post(reverse("tag_add", args=[audit.pk]), {"name": "Voice of the child!"})
    assert response.status_code == 302
    assert Tag.objects.get(name="Voice of the child!").slug == "voice-of-the-child-3"
    imported = package_import(
        package_parse(json.dumps(bad(cases__0__strengths__0__tags=["Voice of the child.", "?"])))
    )
    tags = {t.name for t in Tag.objects.filter(strength__case__audit=imported)}
    assert tags == {"Voice of the child.", "?"}


def test_an_id_too_large_for_the_database_is_not_a_valid_choice(client, audit, chair):
    """A list of ids (tags, agencies) with one no database column can hold: SQLite raised
    OverflowError. It is a choice that does not exist."""
    case = CaseFactory(audit=audit)
    client.force_login(chair)
    url = reverse("item_add", args=[audit.pk, "strength"]) + f"?case={case.pk}"
    response = client.post(
        url, {"new-strength-text": "Seen alone.", "new-strength-tags": [str(2**63)]}
    )
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert not Strength.objects.exists()
    assert not Agency.objects.filter(pk__in=[2**63, 2**64, -(2**70)]).exists()


def test_signing_in_with_a_very_long_user_name_is_a_failed_sign_in(client):
    """django-axes recorded the user name as typed, in a column of 255 characters: a longer one
    was a server error on PostgreSQL."""
    response = client.post(reverse("login"), {"username": "x" * 5000, "password": "guess"})
    assert response.status_code == 200
    assert 'id="login-error"' in response.content.decode()
    assert AccessAttempt.objects.get().username == "x" * 255


def test_a_refused_attendee_says_why_next_to_the_field(client, audit, chair):
    """The meeting record refused an attendee's over-long role without saying so anywhere."""
    client.force_login(chair)
    url = reverse("meeting", args=[audit.pk])
    form = next(
        f
        for f in page_forms(client.get(url).content.decode())
        if f.method == "post" and "learning_summary" in f.fields
    )
    data = {name: (field.values or [""])[0] for name, field in form.fields.items()}
    data.update({"attendees-0-name": "Sam Patel", "attendees-0-role": "r" * 201})
    response = client.post(url, data)
    assert response.status_code == 422
    page = response.content.decode()
    assert "This is 201 characters, over the limit of 200: shorten it before sending." in page
    assert "r" * 201 in page  # what was typed is kept
    assert not MeetingAttendee.objects.exists()
