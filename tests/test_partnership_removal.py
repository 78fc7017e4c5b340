"""A partnership leaving the hosted service: handed its audits, then removed with everything of
it, and nothing of any other partnership."""

import io
import json
from collections import defaultdict

import pytest
from django.apps import apps
from django.contrib.admin.models import ADDITION, LogEntry
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from actions.demo_builders import demo_logo
from actions.models import Action, Evidence, PackageImport
from cases.models import Audit, ChronologyFile, PurgeRecord, Theme
from cases.services.partnership import partnership_logo_set
from documents.models import RequestedDocument
from learning.models import PartnershipRemoval
from maca.models import AccessLogEntry, Invitation, Membership, Partnership, SentReminder
from tests.conftest import load_demo, stored_files
from tests.factories import (
    ActionFactory,
    ActionUpdateFactory,
    AgencyFactory,
    AuditFactory,
    CaseFactory,
    ChronologyEntryFactory,
    MembershipFactory,
    StrengthFactory,
    TagFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.storage]

DEMO = "Northshire Safeguarding Children Partnership"
OTHER = "Southvale Invented Partnership"


def every_model():
    return apps.get_models(include_auto_created=True)


def references(model):
    """(column, target model) of each key `model` holds, simple-history's copies' record id too."""
    found = [
        (column.attname, column.related_model)
        for column in model._meta.concrete_fields
        if column.is_relation and column.related_model is not None
    ]
    if record := getattr(model, "instance_type", None):
        found.append((record._meta.pk.attname, record))
    return found


def table():
    """Every row of every model, as {model: {pk: {column: value}}} of its keys."""
    return {
        model: {
            row["pk"]: row
            for row in model._base_manager.values("pk", *[c for c, _ in references(model)])
        }
        for model in every_model()
    }


def rows_of(rows, partnership_id):
    """The rows referring to the partnership, or to a row that does, however far (in memory,
    apart from the code under test)."""
    named = defaultdict(set, {Partnership: {partnership_id}})
    found = defaultdict(set, {Partnership: {partnership_id}})
    grew = True
    while grew:
        grew = False
        for model, by_pk in rows.items():
            for pk, row in by_pk.items():
                hit = [t for c, t in references(model) if row[c] in named[t]]
                if hit and pk not in found[model]:
                    found[model].add(pk)
                    named[model].add(pk)
                    if record := getattr(model, "instance_type", None):
                        named[record].add(row[record._meta.pk.attname])
                    grew = True
    return found, named


def southvale():
    """A second partnership with its own audit, files, people, tags and access log; one person
    belongs to both."""
    partnership = Partnership.objects.create(name=OTHER)
    agency = AgencyFactory(partnership=partnership, name="Police")
    audit = AuditFactory(partnership=partnership, theme__name="Invented theme")
    audit.agencies.add(agency)
    case = CaseFactory(audit=audit)
    ChronologyEntryFactory(case=case, agency=agency)
    StrengthFactory(case=case, agency=agency).tags.add(TagFactory(partnership=partnership))
    ChronologyFile.objects.create(
        case=case,
        agency=agency,
        file=ContentFile(b"date,event\n", name="c.csv"),
        original_name="rows.csv",
        kind="csv",
        size=11,
        sha256="b" * 64,
    )
    action = ActionFactory(audit=audit, owner_agency=agency)
    ActionUpdateFactory(action=action)
    add_evidence(action)
    picture = SimpleUploadedFile("logo.png", demo_logo(), content_type="image/png")
    partnership_logo_set(partnership=partnership, uploaded_file=picture)
    MembershipFactory(partnership=partnership, role=Membership.Role.CHAIR)
    AccessLogEntry.objects.create(
        username="x", action="view", what="audit_detail", path="/", audit_id=audit.pk,
        partnership_id=partnership.pk,
    )  # fmt: skip
    LogEntry.objects.log_actions(user_id=UserFactory().pk, queryset=[agency], action_flag=ADDITION)
    AccessLogEntry.objects.create(
        username="operator",
        action="view",
        what="admin",
        path=f"/admin/maca/agency/{agency.pk}/change/",
    )  # a superuser's look in /admin/, filed under no partnership
    return partnership


def add_evidence(action):
    return Evidence.objects.create(
        action=action,
        file=ContentFile(b"%PDF-1.4 invented", name="e.pdf"),
        original_name="sign-in sheet.pdf",
        kind="pdf",
        size=17,
        sha256="e" * 64,
    )


def northshire_extras(northshire):
    """What the demo leaves out: evidence, a waiting import, records naming the partnership by
    number, a case deleted before (its history stays), a person also in the other partnership."""
    audit = Audit.objects.filter(partnership=northshire).order_by("pk").first()
    action = Action.objects.filter(audit__partnership=northshire).first()
    add_evidence(action)
    PackageImport.objects.create(
        partnership=northshire, file=ContentFile(b"{}", name="p.json"), original_name="p.json"
    )
    CaseFactory(audit=audit, label="Case gone").delete()
    for where in ({"audit_id": audit.pk}, {"partnership_id": northshire.pk}):
        AccessLogEntry.objects.create(
            username="chair", action="view", what="audit_detail", path="/", **where
        )
    PurgeRecord.objects.create(audit_id_kept=audit.pk, audit_name="Invented", kind="identifiers")
    SentReminder.objects.create(key=f"deadline:{audit.pk}:before", user=UserFactory())
    SentReminder.objects.create(key=f"action:{action.pk}:overdue", user=UserFactory())
    SentReminder.objects.create(key=f"stage:{audit.pk}:submissions", user=UserFactory())
    SentReminder.objects.create(key=f"usage:{audit.pk}:1", user=UserFactory())
    agency = northshire.agencies.first()
    LogEntry.objects.log_actions(
        user_id=UserFactory().pk, queryset=[agency], action_flag=ADDITION
    )  # an operator's change in /admin/
    Invitation.objects.create(
        email="new@example.org", partnership=northshire, role="viewer", expires=audit.created_at
    )
    RequestedDocument.objects.create(
        partnership=northshire, kind="assurance_report", requested_by=UserFactory()
    )
    theme = audit.theme
    AccessLogEntry.objects.create(
        username="operator",
        action="view",
        what="admin",
        path=f"/admin/cases/theme/{theme.pk}/change/",
    )  # a superuser's look in /admin/ at one of its rows, filed under no partnership
    both = UserFactory(username="both")
    MembershipFactory(user=both, partnership=northshire, role=Membership.Role.VIEWER)
    MembershipFactory(user=both, partnership=Partnership.objects.get(name=OTHER))


@pytest.fixture
def two_partnerships():
    load_demo()
    southvale()
    northshire = Partnership.objects.get(name=DEMO)
    northshire_extras(northshire)
    return northshire


def file_names(found):
    """The stored files the partnership's rows name."""
    names = set()
    for model, column in FILES:
        names |= set(model.objects.filter(pk__in=found[model]).values_list(column, flat=True))
    return names - {""}


FILES = [
    (ChronologyFile, "file"),
    (Evidence, "file"),
    (PackageImport, "file"),
    (Partnership, "logo"),
]


# Records that name what they are about by its number or in words, not by a key: each is
# checked on its own below.
NAMED_BY_NUMBER = {AccessLogEntry, PurgeRecord, SentReminder, LogEntry}
# The record that the removal was done: the one row it writes.
RECORD = {PartnershipRemoval}


def remove(name, *extra):
    out = io.StringIO()
    call_command("remove_partnership", "--partnership", name, *extra, stdout=out)
    return out.getvalue()


# Committed for real: the files go once the deletion is committed, and the command then checks
# that they are gone.
@pytest.mark.django_db(transaction=True)
def test_removing_a_partnership_deletes_every_row_and_file_of_it_and_nothing_else(
    two_partnerships,
):
    northshire = two_partnerships
    before = table()
    found, named = rows_of(before, northshire.pk)
    assert found[Audit] and found[ChronologyFile] and found[Evidence] and found[PackageImport]
    assert any(getattr(m, "instance_type", None) for m in found)  # history is among them
    northshire_files = file_names(found)
    files_before = set(stored_files())
    assert northshire_files and northshire_files <= files_before
    other_log = (
        AccessLogEntry.objects.exclude(partnership_id=northshire.pk)
        .exclude(audit_id__in=named[Audit])
        .exclude(path__in=[f"/admin/cases/theme/{pk}/change/" for pk in named[Theme]])
    )
    assert other_log.filter(path__startswith="/admin/maca/agency/").exists()
    other_log_ids = set(other_log.values_list("pk", flat=True))

    output = remove(DEMO, "--confirm", DEMO)

    after = table()
    for model in set(every_model()) - NAMED_BY_NUMBER - RECORD:
        kept, had = set(after[model]), set(before[model])
        assert not kept & found[model], model  # nothing of it is left
        assert had - found[model] <= kept, model  # everything else is
        assert kept <= had, model  # and nothing was written (no history of the deletion)
        for pk, row in after[model].items():
            for column, target in references(model):
                assert row[column] not in named[target], (model, pk, column)
    assert set(stored_files()) == files_before - northshire_files
    # Records naming the partnership or its audits by number or in words.
    assert set(AccessLogEntry.objects.values_list("pk", flat=True)) == other_log_ids
    assert not PurgeRecord.objects.filter(audit_id_kept__in=named[Audit]).exists()
    for kind in ("deadline", "action", "stage", "usage"):
        assert not SentReminder.objects.filter(key__startswith=f"{kind}:").exists(), kind
    assert [e.object_repr for e in LogEntry.objects.all()] == ["Police"]  # Southvale's
    assert "Removed 'Northshire Safeguarding Children Partnership'. Deleted:" in output
    assert f"audits: {len(found[Audit])}" in output
    assert "access log entries: 3" in output
    # What was deleted is recorded, with counts alone, and said again to a second run.
    record = PartnershipRemoval.objects.get()
    assert record.partnership_name == DEMO and record.files == len(northshire_files)
    assert record.rows["audits"] == len(found[Audit]) and record.rows["access log entries"] == 3
    assert f"it was removed on {record.removed_at:%d %B %Y}" in remove(DEMO, "--confirm", DEMO)
    # The person in both keeps their account and their role in the other.
    assert Membership.objects.filter(user__username="both").get().partnership.name == OTHER


def test_without_its_exact_name_to_confirm_nothing_is_deleted_and_what_would_be_is_said(
    two_partnerships,
):
    before = table()
    for confirm in ([], ["--confirm", DEMO.lower()], ["--confirm", "Northshire"]):
        out = io.StringIO()
        with pytest.raises(CommandError, match="Nothing was deleted") as refused:
            call_command("remove_partnership", "--partnership", DEMO.upper(), *confirm, stdout=out)
        assert f'--confirm "{DEMO}"' in str(refused.value)
        said = out.getvalue()
        assert f"Removing '{DEMO}' would delete:" in said
        assert f"audits: {Audit.objects.filter(partnership__name=DEMO).count()}" in said
        assert "chronology files: 1" in said and "historical audits: " in said
        assert "stored files: " in said
    assert table() == before


@pytest.mark.django_db(transaction=True)
def test_removing_again_does_no_harm(two_partnerships):
    remove(DEMO, "--confirm", DEMO)
    before = table()
    assert "nothing to remove" in remove(DEMO, "--confirm", DEMO)
    assert table() == before


def test_an_audit_under_legal_hold_stops_the_removal(two_partnerships):
    audit = Audit.objects.filter(partnership=two_partnerships).first()
    Audit.objects.filter(pk=audit.pk).update(
        legal_hold_at=audit.created_at, legal_hold_reason="Invented review"
    )
    before = table()
    with pytest.raises(CommandError, match="under legal hold.*Invented review"):
        remove(DEMO, "--confirm", DEMO)
    assert table() == before


def test_the_export_writes_one_package_per_audit_oldest_first_that_imports_back(
    two_partnerships, tmp_path
):
    output = tmp_path / "handover"
    out = io.StringIO()
    call_command("export_partnership", "--partnership", DEMO, "--output", str(output), stdout=out)
    audits = Audit.objects.filter(partnership=two_partnerships)
    packages = sorted(output.glob("*.json"))
    packages = [p for p in packages if p.name != "manifest.json"]
    assert len(packages) == audits.count()
    manifest = json.loads((output / "manifest.json").read_text())
    assert manifest["partnership"] == DEMO
    assert [a["file"] for a in manifest["audits"]] == [p.name for p in packages]
    dates = [a["date"] for a in manifest["audits"]]
    assert dates == sorted(dates)
    assert manifest["access_log"]["entries"] == 3  # a superuser's look at its theme among them
    readme = (output / "README.txt").read_text()
    assert DEMO in readme and f"{audits.count()} audits" in readme
    log = (output / "access-log.csv").read_text(encoding="utf-8-sig").splitlines()
    assert log[0].startswith("When,User") and len(log) == 4
    assert any("/admin/cases/theme/" in line for line in log)
    assert not any("/admin/maca/agency/" in line for line in log)  # Southvale's agency
    assert f"Wrote {audits.count()} audits" in out.getvalue()

    # Each is a package import_audit reads: one goes into a new partnership as it was.
    first = json.loads(packages[0].read_text())
    assert first["format"] == "maca-audit/1" and first["partnership"] == DEMO
    imported = io.StringIO()
    call_command(
        "import_audit", str(packages[-1]), "--partnership", "Invented Newshire",
        "--create-partnership", stdout=imported,
    )  # fmt: skip
    copy = Audit.objects.get(partnership__name="Invented Newshire")
    original = audits.get(pk=manifest["audits"][-1]["audit"])
    assert (copy.theme.name, copy.title) == (original.theme.name, original.title)
    assert copy.cases.count() == original.cases.count()


def test_the_export_refuses_a_folder_with_something_in_it(two_partnerships, tmp_path):
    folder = tmp_path / "handover"
    folder.mkdir()
    (folder / "kept.txt").write_text("someone's notes")
    with pytest.raises(CommandError, match="not an empty folder"):
        call_command("export_partnership", "--partnership", DEMO, "--output", str(folder))
    assert [p.name for p in folder.iterdir()] == ["kept.txt"]


def test_an_export_that_fails_part_way_leaves_no_folder_behind(
    two_partnerships, tmp_path, monkeypatch
):
    """Whole or not at all: a handed-over folder is never a part of the partnership's data."""
    from learning import leaving

    written = []

    def fails_on_the_second(audit):
        written.append(audit.pk)
        if len(written) == 2:
            raise OSError(28, "No space left on device")
        return {"format": "maca-audit/1"}

    monkeypatch.setattr(leaving, "package_export", fails_on_the_second)
    output = tmp_path / "exports" / "handover"
    with pytest.raises(CommandError, match="Nothing was written: .*No space left on device"):
        call_command("export_partnership", "--partnership", DEMO, "--output", str(output))
    assert list(output.parent.iterdir()) == []


def test_a_row_that_is_also_another_partnerships_stops_the_removal(two_partnerships):
    theirs = Audit.objects.get(partnership__name=OTHER)
    theirs.agencies.add(two_partnerships.agencies.first())  # a link no page makes
    before = table()
    with pytest.raises(CommandError, match="of another: nothing was deleted"):
        remove(DEMO, "--confirm", DEMO)
    assert table() == before


def test_a_removal_that_fails_part_way_keeps_every_row_and_file(two_partnerships, monkeypatch):
    def fails(partnership_id):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("learning.leaving._rest_delete", fails)
    before, files = table(), set(stored_files())
    with pytest.raises(RuntimeError):
        remove(DEMO, "--confirm", DEMO)
    assert table() == before
    assert set(stored_files()) == files


@pytest.mark.parametrize("link", ["case agencies", "chronology entry"])
def test_a_row_of_another_partnerships_case_naming_one_of_its_agencies_stops_the_removal(
    two_partnerships, link
):
    """A row found through one of its agencies but of another partnership's case names neither
    a partnership nor an audit: it is still the other's, and stops the removal."""
    theirs = Audit.objects.get(partnership__name=OTHER).cases.get()
    ours = two_partnerships.agencies.first()
    if link == "case agencies":
        theirs.agencies.add(ours)  # a link no page makes
    else:
        ChronologyEntryFactory(case=theirs, agency=ours)
    before = table()
    with pytest.raises(CommandError, match="of another: nothing was deleted"):
        remove(DEMO, "--confirm", DEMO)
    assert table() == before


@pytest.mark.django_db(transaction=True)
def test_the_action_plans_made_for_its_people_go_with_it(two_partnerships):
    """An action plan's PDF names no audit or partnership (it is of every action its reader may
    see), but holds the partnership's actions: one its people asked for goes with it."""
    chair = Membership.objects.filter(partnership=two_partnerships).first().user
    theirs = Membership.objects.filter(partnership__name=OTHER, role="chair").get().user
    for user in (chair, theirs):
        RequestedDocument.objects.create(
            kind="action_plan", requested_by=user, status="ready", content=b"%PDF the plan"
        )
    remove(DEMO, "--confirm", DEMO)
    plans = RequestedDocument.objects.filter(kind="action_plan")
    assert list(plans.values_list("requested_by", flat=True)) == [theirs.pk]


def test_a_re_audits_package_is_named_as_a_re_audit(two_partnerships, tmp_path):
    reaudit = Audit.objects.filter(partnership=two_partnerships, reaudit_of__isnull=False).first()
    assert reaudit is not None
    call_command(
        "export_partnership", "--partnership", DEMO, "--output", str(tmp_path / "h"),
        stdout=io.StringIO(),
    )  # fmt: skip
    manifest = json.loads((tmp_path / "h" / "manifest.json").read_text())
    (entry,) = [a for a in manifest["audits"] if a["audit"] == reaudit.pk]
    assert entry["file"].endswith(f"-{reaudit.file_stem}.json")
    assert entry["file"].endswith("-re-audit.json")


def test_every_kind_of_reminder_record_written_is_known_to_the_removal():
    """Each `Reminder(key=f"<kind>:…")` the code makes is read by the removal (an audit's or
    an action's) or names only its reader (the weekly digest): a new kind is not missed."""
    import ast
    from pathlib import Path

    from learning.leaving import _REMINDED

    kinds = set()
    for path in Path(__file__).resolve().parent.parent.glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        keys = {}  # key = f"…" before Reminder(key=key, …)
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.JoinedStr):
                for target in node.targets:
                    keys[getattr(target, "id", None)] = node.value
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Reminder":
                for keyword in node.keywords:
                    value = keyword.value
                    if keyword.arg == "key" and isinstance(value, ast.Name):
                        value = keys[value.id]
                    if keyword.arg == "key":
                        kinds.add(value.values[0].value.split(":")[0])
    assert kinds >= {"deadline", "stage", "usage", "action", "digest"}
    assert kinds - {"digest"} <= set(_REMINDED)
