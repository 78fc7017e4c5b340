import pytest
from django.test import Client
from django.urls import reverse
from django.utils.dateformat import format as date_format

from maca.models import AccessLogEntry, Membership

from .conftest import member
from .factories import (
    ActionFactory,
    AuditFactory,
    CaseFactory,
    MembershipFactory,
    NominationFactory,
)

pytestmark = pytest.mark.django_db


def test_each_look_at_case_level_data_writes_exactly_one_entry(client, audit, chair):
    case = CaseFactory(audit=audit)
    client.force_login(chair)
    pages = [
        ("audit_detail", [audit.pk], "view"),
        ("case_detail", [audit.pk, case.pk], "view"),
        ("briefing_html", [audit.pk], "view"),
        # The draft PDF is made by the background worker and fetched where it is kept: the
        # look is the fetching, one entry, not the redirects on the way.
        ("briefing_pdf", [audit.pk], "download", "document_download:Draft briefing"),
    ]
    for name, args, action, *fetched in pages:
        before = AccessLogEntry.objects.count()
        response = client.get(reverse(name, args=args), REMOTE_ADDR="10.1.2.3", follow=True)
        assert response.status_code == 200
        assert AccessLogEntry.objects.count() == before + 1
        entry = AccessLogEntry.objects.first()
        assert (entry.user, entry.action, entry.what) == (chair, action, *(fetched or [name]))
        assert (entry.audit_id, entry.partnership_id) == (audit.pk, audit.partnership_id)
        assert entry.ip_address == "10.1.2.3"


def test_revealing_identifiers_is_logged_as_such(client, audit, chair):
    audit.status = "nominating"
    audit.save()
    nomination = NominationFactory(audit=audit)
    client.force_login(chair)
    client.get(reverse("nomination_identifiers", args=[audit.pk, nomination.pk]))
    assert AccessLogEntry.objects.get().action == AccessLogEntry.Action.REVEAL


def test_pages_that_are_not_case_level_are_not_logged(client, audit, chair):
    client.force_login(chair)
    client.get(reverse("home"))
    assert not AccessLogEntry.objects.exists()


def test_a_refusal_is_logged_where_the_right_chair_sees_it(client, audit, chair, outsider):
    qa = member(audit, Membership.Role.QA_MEMBER, username="a-qa-member")
    client.force_login(qa)
    assert client.get(reverse("retention", args=[audit.pk])).status_code == 403
    refused = AccessLogEntry.objects.get(username="a-qa-member")
    assert (refused.action, refused.what) == ("refused", "retention")
    assert (refused.audit_id, refused.partnership_id) == (audit.pk, audit.partnership_id)

    # Someone of another partnership asking for this audit is told it does not exist: their
    # own chair sees the attempt, this audit's chair is not told of them.
    outsider.username = "from-elsewhere"
    outsider.save()
    client.force_login(outsider)
    assert client.get(reverse("audit_detail", args=[audit.pk])).status_code == 404
    probe = AccessLogEntry.objects.get(username="from-elsewhere")
    own_partnership = outsider.memberships.get().partnership_id
    assert (probe.action, probe.audit_id, probe.partnership_id) == (
        "refused",
        None,
        own_partnership,
    )
    client.force_login(chair)
    page = client.get(reverse("access_log")).content.decode()
    assert "a-qa-member" in page and "Refused or not found" in page
    assert "from-elsewhere" not in page


def test_entries_cannot_be_changed_or_deleted(client, audit, chair):
    client.force_login(chair)
    client.get(reverse("audit_detail", args=[audit.pk]))
    entry = AccessLogEntry.objects.get()
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()


def test_the_chair_filters_and_exports_their_partnerships_log(client, audit, chair):
    qa = member(audit, Membership.Role.QA_MEMBER, username="qa-person")
    other = AuditFactory()
    stranger = member(other, Membership.Role.CHAIR, username="elsewhere")
    for user, target in ((qa, audit), (stranger, other)):
        client.force_login(user)
        client.get(reverse("audit_detail", args=[target.pk]))
    client.force_login(chair)
    page = client.get(reverse("access_log")).content.decode()
    assert "qa-person" in page and "elsewhere" not in page
    filtered = client.get(reverse("access_log"), {"username": "nobody"}).content.decode()
    assert "No entries match." in filtered
    exported = client.get(reverse("access_log"), {"format": "csv"})
    assert exported["Content-Type"].startswith("text/csv")
    assert "qa-person" in exported.content.decode()

    # The audit is picked by its name, from the chair's partnership's audits only.
    page = client.get(reverse("access_log")).content.decode()
    when = date_format(audit.meeting_date or audit.created_at, "F Y")
    assert (
        f'<option value="{audit.pk}">Neglect and housing — Multi Agency Case Audit, {when}</option>'
        in page
    )
    assert f'<option value="{other.pk}">' not in page
    second = AuditFactory(partnership=audit.partnership, theme__name="Exploitation")
    client.get(reverse("audit_detail", args=[second.pk]))
    by_name = client.get(reverse("access_log"), {"audit": audit.pk})
    assert [e.audit_id for e in by_name.context["page"]] == [audit.pk]
    assert client.get(reverse("access_log"), {"audit": other.pk}).status_code == 422


def test_only_chairs_see_the_access_log(client, audit):
    client.force_login(member(audit, Membership.Role.QA_MEMBER))
    assert client.get(reverse("access_log")).status_code == 404


def test_looks_at_the_composite_plan_reach_the_chair_of_the_partnership(client, audit, chair):
    """The plan across audits, its PDF and its exports name no single audit: each look is one
    entry under each of the person's partnerships, and the chair of each sees it."""
    qa = member(audit, Membership.Role.QA_MEMBER, username="qa-person")
    client.force_login(qa)
    for name, kwargs in (
        ("action_plan", {}),
        ("action_plan_pdf", {}),
        ("action_plan_export", {"fmt": "csv"}),
    ):
        assert client.get(reverse(name, kwargs=kwargs), follow=True).status_code == 200
    entries = AccessLogEntry.objects.filter(username="qa-person")
    assert sorted(entries.values_list("what", "action", "partnership_id")) == [
        ("action_plan", "view", audit.partnership_id),
        ("action_plan_export", "export", audit.partnership_id),
        ("own_document_download:Action plan", "download", audit.partnership_id),
    ]
    other = AuditFactory()
    MembershipFactory(user=qa, partnership=other.partnership, role=Membership.Role.QA_MEMBER)
    elsewhere = member(other, Membership.Role.CHAIR, username="elsewhere")
    client.force_login(qa)
    client.get(reverse("action_plan"))
    both = AccessLogEntry.objects.filter(username="qa-person", look__isnull=False)
    assert sorted(both.values_list("partnership_id", flat=True)) == sorted(
        [audit.partnership_id, other.partnership_id]
    )
    for who in (chair, elsewhere):
        client.force_login(who)
        page = client.get(reverse("access_log")).content.decode()
        assert page.count("qa-person") == (4 if who == chair else 1)


def test_looks_at_case_level_data_in_the_administration_pages_are_logged(client, audit):
    from .factories import UserFactory

    admin = UserFactory(is_superuser=True, is_staff=True, username="site-admin")
    nomination = NominationFactory(audit=audit)
    client.force_login(admin)
    assert client.get(reverse("admin:index")).status_code == 200
    assert not AccessLogEntry.objects.exists()  # no case-level data on the index
    for name, args in (
        ("admin:cases_nomination_changelist", []),
        ("admin:cases_nomination_change", [nomination.pk]),
    ):
        assert client.get(reverse(name, args=args)).status_code == 200
    assert list(AccessLogEntry.objects.order_by("at").values_list("username", "what")) == [
        ("site-admin", "cases_nomination_changelist"),
        ("site-admin", "cases_nomination_change"),
    ]


def test_a_form_sent_back_with_its_errors_is_a_look_too(client, audit, chair):
    """The identifiers page re-shown after a mistake shows the child's details again: logged."""
    from cases.models import NominationIdentity

    audit.status = "nominating"
    audit.save()
    nomination = NominationFactory(audit=audit)
    NominationIdentity.objects.create(nomination=nomination, child_name="Robin Invented")
    client.force_login(chair)
    url = reverse("nomination_identifiers", args=[audit.pk, nomination.pk])
    answer = client.post(url, {"child_name": "Robin Invented", "date_of_birth": "not a date"})
    assert answer.status_code in (200, 422) and "Robin Invented" in answer.content.decode()
    entry = AccessLogEntry.objects.get()
    assert (entry.action, entry.what) == (AccessLogEntry.Action.REVEAL, "nomination_identifiers")


def test_an_administration_page_look_is_filed_under_its_audits_partnership(client, audit, chair):
    from .factories import UserFactory

    nomination = NominationFactory(audit=audit)
    admin = UserFactory(is_superuser=True, is_staff=True, username="site-admin")
    client.force_login(admin)
    client.get(reverse("admin:cases_nomination_change", args=[nomination.pk]))
    entry = AccessLogEntry.objects.get()
    assert (entry.audit_id, entry.partnership_id) == (audit.pk, audit.partnership_id)
    client.force_login(chair)
    assert "site-admin" in client.get(reverse("access_log")).content.decode()


def test_from_later_than_to_is_an_error_next_to_to_with_the_dates_kept(client, audit, chair):
    client.force_login(chair)
    client.get(reverse("audit_detail", args=[audit.pk]))
    answer = client.get(reverse("access_log"), {"since": "2025-03-10", "until": "2025-03-01"})
    page = answer.content.decode()
    assert "There is a problem" in page  # the summary at the top
    assert page.count("&#x27;To&#x27; must be on or after &#x27;From&#x27;") == 2  # and by "To"
    assert 'href="#id_until"' in page
    assert 'value="2025-03-10"' in page and 'value="2025-03-01"' in page
    assert "No entries match." not in page


def test_the_log_says_what_was_looked_at_in_words(client, audit, chair):
    audit.status = "nominating"
    audit.save()
    nomination = NominationFactory(audit=audit)
    client.force_login(chair)
    client.get(reverse("audit_detail", args=[audit.pk]))
    client.get(reverse("nomination_identifiers", args=[audit.pk, nomination.pk]))
    page = client.get(reverse("access_log")).content.decode()
    assert "Audit page" in page and "Identifying details" in page
    rows = (
        client.get(reverse("access_log"), {"format": "csv"})
        .content.decode("utf-8-sig")
        .splitlines()
    )
    assert rows[0].startswith("When,User,Action,What,Page name,Path")
    assert ",Audit page,audit_detail," in rows[-1]  # the oldest: the log's own page came after
    assert AccessLogEntry.objects.filter(what="audit_detail").exists()  # stored as it was


def test_every_case_level_page_has_a_name_in_words():
    from django.urls import get_resolver
    from django.urls.resolvers import URLResolver

    from maca.looks import PAGE_NAMES, page_name
    from maca.middleware import CASE_LEVEL_PREFIXES

    def routes(resolver, prefix=""):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace != "admin":
                    yield from routes(pattern, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern), pattern.name

    logged = {
        name for route, name in routes(get_resolver()) if route.startswith(CASE_LEVEL_PREFIXES)
    }
    assert logged and logged <= set(PAGE_NAMES)
    assert page_name("cases_nomination_change") == "cases_nomination_change"  # as stored


def test_a_download_with_a_wrong_filter_shows_the_error_rather_than_everything(client, chair):
    client.force_login(chair)
    answer = client.get(
        reverse("access_log"), {"since": "2025-03-10", "until": "2025-03-01", "format": "csv"}
    )
    assert answer.status_code == 422 and not answer["Content-Type"].startswith("text/csv")
    assert "must be on or after" in answer.content.decode()


def test_a_refusal_before_the_gate_is_not_filed_under_another_partnerships_audit(
    audit, chair, outsider
):
    outsider.username = "from-elsewhere"
    outsider.save()
    browser = Client(enforce_csrf_checks=True)  # a stale tab: its form's token no longer holds
    browser.force_login(outsider)
    answer = browser.post(reverse("audit_stage", args=[audit.pk]), {"confirmed": "1"})
    assert answer.status_code == 403
    entry = AccessLogEntry.objects.get(username="from-elsewhere")
    assert entry.partnership_id != audit.partnership_id and entry.audit_id is None
    browser = Client()
    browser.force_login(chair)
    assert "from-elsewhere" not in browser.get(reverse("access_log")).content.decode()


def test_every_administration_page_of_case_level_data_names_its_audit_to_the_log():
    from django.contrib import admin

    from cases.admin import CaseLevelAdmin
    from maca.middleware import ADMIN_CASE_LEVEL_APPS

    case_level = [
        model_admin
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in ADMIN_CASE_LEVEL_APPS
    ]
    assert case_level
    assert all(isinstance(model_admin, CaseLevelAdmin) for model_admin in case_level)


def test_an_administration_page_of_an_action_is_filed_under_its_audit(client, audit):
    from actions.models import Action

    from .factories import UserFactory

    action = Action.objects.create(audit=audit, text="Invented action", due_date="2030-01-01")
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert client.get(reverse("admin:actions_action_change", args=[action.pk])).status_code == 200
    entry = AccessLogEntry.objects.get()
    assert (entry.audit_id, entry.partnership_id) == (audit.pk, audit.partnership_id)


def test_the_log_shows_each_look_at_uk_time(client, audit, chair):
    """Kept in UTC, shown in the partnership's own time: half past eleven at night UTC on
    1 July is half past midnight on 2 July in London."""
    import datetime

    client.force_login(chair)
    client.get(reverse("audit_detail", args=[audit.pk]))
    late = datetime.datetime(2024, 7, 1, 23, 30, 5, tzinfo=datetime.UTC)
    AccessLogEntry.objects.update(at=late)
    page = client.get(reverse("access_log")).content.decode()
    assert "2 July 2024, 00:30:05" in page and "1 July 2024" not in page


def _log_of(client, chair, **filters) -> str:
    client.force_login(chair)
    page = client.get(reverse("access_log"), filters)
    assert page.status_code == 200
    return page.content.decode()


def test_a_look_across_partnerships_stays_in_the_log_of_each_partnership_it_could_show(
    client, audit, chair
):
    """A member of two partnerships opens the composite plan: each chair sees that look once,
    still after the person leaves one partnership and joins another, whose chair never does."""
    both = member(audit, Membership.Role.QA_MEMBER, username="in-two-places")
    second = AuditFactory()
    MembershipFactory(user=both, partnership=second.partnership, role=Membership.Role.QA_MEMBER)
    second_chair = member(second, Membership.Role.CHAIR)
    client.force_login(both)
    assert client.get(reverse("action_plan")).status_code == 200

    Membership.objects.filter(user=both, partnership=second.partnership).delete()
    third = AuditFactory()
    MembershipFactory(user=both, partnership=third.partnership, role=Membership.Role.QA_MEMBER)
    third_chair = member(third, Membership.Role.CHAIR)
    chair_of_two = member(audit, Membership.Role.CHAIR)
    MembershipFactory(user=chair_of_two, partnership=second.partnership, role=Membership.Role.CHAIR)
    for who, seen in ((chair, 1), (second_chair, 1), (chair_of_two, 1), (third_chair, 0)):
        assert _log_of(client, who).count("in-two-places") == seen


def test_a_refusal_to_a_member_of_two_partnerships_reaches_both_chairs(client, audit, chair):
    both = member(audit, Membership.Role.QA_MEMBER, username="asks-for-others")
    second = AuditFactory()
    MembershipFactory(user=both, partnership=second.partnership, role=Membership.Role.QA_MEMBER)
    second_chair = member(second, Membership.Role.CHAIR)
    elsewhere = AuditFactory()
    client.force_login(both)
    assert client.get(reverse("audit_detail", args=[elsewhere.pk])).status_code == 404
    for who in (chair, second_chair, member(elsewhere, Membership.Role.CHAIR)):
        seen = 0 if who.pk not in (chair.pk, second_chair.pk) else 1
        assert _log_of(client, who).count("asks-for-others") == seen


def test_a_refusal_inside_ones_own_audit_reaches_only_its_chair_under_that_audit(
    client, audit, chair
):
    """A co-ordinator of two partnerships asks for another agency's chronology inside an audit
    of the first: only its chair sees it, under that audit. Asking for an audit of a partnership
    they are no member of reaches each of their own chairs, under no audit."""
    from cases.models import Audit

    from .factories import AgencyFactory

    housing, police = AgencyFactory(name="Housing"), AgencyFactory(name="Police")
    Audit.objects.filter(pk=audit.pk).update(status=Audit.Status.SUBMISSIONS)
    audit.agencies.add(housing, police)
    case = CaseFactory(audit=audit, label="Case 1")
    case.agencies.add(housing, police)
    both = member(audit, Membership.Role.COORDINATOR, agency=housing, username="in-two-places")
    second = AuditFactory()
    MembershipFactory(user=both, partnership=second.partnership, role=Membership.Role.QA_MEMBER)
    second_chair = member(second, Membership.Role.CHAIR)
    client.force_login(both)
    police_chronology = reverse("agency_chronology", args=[audit.pk, case.pk, police.pk])
    assert client.get(police_chronology).status_code == 404

    assert _log_of(client, chair).count("in-two-places") == 1
    assert _log_of(client, second_chair).count("in-two-places") == 0
    under_audit = _log_of(client, chair, audit=audit.pk)
    assert under_audit.count("in-two-places") == 1 and police_chronology in under_audit

    elsewhere = AuditFactory()
    client.force_login(both)
    assert client.get(reverse("audit_detail", args=[elsewhere.pk])).status_code == 404
    for who, seen in ((chair, 2), (second_chair, 1), (member(elsewhere, Membership.Role.CHAIR), 0)):
        assert _log_of(client, who).count("in-two-places") == seen
    assert _log_of(client, chair, audit=audit.pk).count("in-two-places") == 1


def test_a_request_from_someone_not_signed_in_leaves_no_entry(audit):
    """A form sent to an audit's page by someone not signed in, without the form's token, is
    refused before anyone is known: there is no one to file it under."""
    stranger = Client(enforce_csrf_checks=True)
    answer = stranger.post(reverse("audit_stage", args=[audit.pk]), {"confirmed": "1"})
    assert answer.status_code == 403
    assert not AccessLogEntry.objects.exists()


def test_a_member_removed_a_moment_ago_is_seen_by_their_chair_trying_to_get_back(
    client, audit, chair
):
    """Refused after their role ended, they hold none: their attempts reach the chair who saw
    their looks, not the chair of a partnership whose audits they never looked at."""
    leaver = member(audit, Membership.Role.QA_MEMBER, username="just-removed")
    elsewhere = AuditFactory()
    elsewhere_chair = member(elsewhere, Membership.Role.CHAIR)
    client.force_login(leaver)
    assert client.get(reverse("audit_detail", args=[audit.pk])).status_code == 200
    Membership.objects.filter(user=leaver).delete()

    # An entry filed under no partnership (as refusals to people of none were) is passed over.
    AccessLogEntry.objects.create(user=leaver, username="just-removed", action="refused", what="x")
    asked = reverse("audit_detail", args=[audit.pk])
    assert client.get(asked + "?q=Jamie+Smith").status_code == 404
    refused = AccessLogEntry.objects.filter(username="just-removed").latest("pk")
    assert (refused.partnership_id, refused.path) == (audit.partnership_id, asked)  # no query
    assert client.get(reverse("audit_detail", args=[elsewhere.pk])).status_code == 404
    for beyond_a_column in (9999999999999999999, 99999999999999999999):
        assert client.get(reverse("audit_detail", args=[beyond_a_column])).status_code == 404
    elsewhere_action = ActionFactory(audit=elsewhere)
    assert client.get(reverse("action_detail", args=[elsewhere_action.pk])).status_code == 404
    assert _log_of(client, chair).count("just-removed") == 6  # the look, and five refusals
    assert "just-removed" not in _log_of(client, elsewhere_chair)


def test_a_member_of_two_partnerships_removed_from_one_is_seen_there_trying_its_audit(
    client, audit, chair
):
    moved = member(audit, Membership.Role.QA_MEMBER, username="moved-on")
    second = AuditFactory()
    MembershipFactory(user=moved, partnership=second.partnership, role=Membership.Role.QA_MEMBER)
    second_chair = member(second, Membership.Role.CHAIR)
    client.force_login(moved)
    client.get(reverse("audit_detail", args=[audit.pk]))
    Membership.objects.filter(user=moved, partnership=audit.partnership).delete()

    # Another page of the audit they looked at: the audit is what they are seen trying.
    assert client.get(reverse("nomination_list", args=[audit.pk])).status_code == 404
    assert _log_of(client, chair).count("moved-on") == 2  # the look, and the refusal
    assert _log_of(client, second_chair).count("moved-on") == 1  # their own chair, as before
    # An action's page they opened before, refused now: the chair who saw them open it sees it.
    action = ActionFactory(audit=audit)
    Membership.objects.create(user=moved, partnership=audit.partnership, role="qa_member")
    client.force_login(moved)
    client.get(reverse("action_detail", args=[action.pk]) + "?from=plan")
    Membership.objects.filter(user=moved, partnership=audit.partnership).delete()
    assert client.get(reverse("action_detail", args=[action.pk]) + "?q=Jamie").status_code == 404
    refused = AccessLogEntry.objects.filter(username="moved-on", what="action_detail").latest("pk")
    assert refused.action == "refused" and refused.path == f"/actions/{action.pk}/"  # no query
    assert _log_of(client, chair).count("moved-on") == 4
    # Still holding a role, their refusal of an audit they never looked at reaches their own
    # chair only: not the chair who saw their looks before.
    third = AuditFactory()
    client.force_login(moved)
    assert client.get(reverse("audit_detail", args=[third.pk])).status_code == 404
    assert _log_of(client, chair).count("moved-on") == 4
    assert _log_of(client, second_chair).count("moved-on") == 3


def test_a_look_filed_under_two_partnerships_keeps_its_address_without_what_was_typed(
    client, audit, chair
):
    both = member(audit, Membership.Role.QA_MEMBER, username="chair-of-two")
    second = AuditFactory()
    MembershipFactory(user=both, partnership=second.partnership, role=Membership.Role.QA_MEMBER)
    client.force_login(both)
    client.get(reverse("action_plan") + "?q=Jamie+Smith&status=in_progress")
    assert set(AccessLogEntry.objects.values_list("path", flat=True)) == {"/actions/"}
    assert AccessLogEntry.objects.count() == 2

    client.get(reverse("audit_actions", args=[audit.pk]) + "?status=in_progress")
    one = AccessLogEntry.objects.get(what="audit_actions")
    assert one.path.endswith("?status=in_progress")  # one partnership's chair reads it: as asked


def test_a_chair_of_two_partnerships_tells_their_audits_and_entries_apart(client, audit, chair):
    import datetime

    from cases.models import Audit

    second = AuditFactory(theme__name=audit.theme.name, title=audit.title)
    Audit.objects.filter(pk=audit.pk).update(meeting_date=datetime.date(2025, 9, 17))
    Audit.objects.filter(pk=second.pk).update(meeting_date=datetime.date(2026, 3, 4))
    MembershipFactory(user=chair, partnership=second.partnership, role=Membership.Role.CHAIR)
    client.force_login(chair)
    client.get(reverse("audit_detail", args=[second.pk]))
    page = _log_of(client, chair)
    name = f"{audit.theme.name} — {audit.title}"
    assert f"{name}, September 2025 · {audit.partnership.name}</option>" in page
    assert f"{name}, March 2026 · {second.partnership.name}</option>" in page
    assert '<th scope="col">Partnership</th>' in page
    assert f"<td>{second.partnership.name}</td>" in page
    csv_text = client.get(reverse("access_log"), {"format": "csv"}).content.decode("utf-8-sig")
    header, *rows = csv_text.splitlines()
    (row,) = [row for row in rows if ",audit_detail," in row]
    assert header.endswith(",Partnership") and row.endswith(f",{second.partnership.name}")


def test_a_refused_partnership_administrators_page_is_logged_for_the_right_chair(
    client, audit, chair, outsider
):
    people = reverse("partnership_people", args=[audit.partnership_id])
    qa = member(audit, Membership.Role.QA_MEMBER, username="tries-the-people-page")
    second = AuditFactory()  # their other partnership's chair is not told of it
    MembershipFactory(user=qa, partnership=second.partnership, role=Membership.Role.QA_MEMBER)
    client.force_login(qa)
    assert client.get(people).status_code == 403
    refused = AccessLogEntry.objects.get(username="tries-the-people-page")
    assert (refused.action, refused.what, refused.path) == ("refused", "partnership_people", people)
    assert (refused.audit_id, refused.partnership_id) == (None, audit.partnership_id)
    assert "tries-the-people-page" in _log_of(client, chair)

    # Someone of another partnership is told it does not exist: only their own chair is told.
    outsider.username = "from-another-partnership"
    outsider.save()
    client.force_login(outsider)
    assert client.get(people).status_code == 404
    elsewhere = AccessLogEntry.objects.get(username="from-another-partnership")
    assert elsewhere.partnership_id == outsider.memberships.get().partnership_id
    assert "from-another-partnership" not in _log_of(client, chair)


def test_the_administrators_own_looks_at_the_partnerships_pages_are_not_logged(client, audit):
    administrator = member(audit, Membership.Role.PARTNERSHIP_ADMIN)
    client.force_login(administrator)
    for name in ("partnership_people", "partnership_agencies", "partnership_settings"):
        assert client.get(reverse(name, args=[audit.partnership_id])).status_code == 200
    assert not AccessLogEntry.objects.exists()


def test_exporting_where_the_briefing_was_used_is_logged_as_an_export(client, audit, chair):
    client.force_login(chair)
    for fmt in ("csv", "xlsx"):
        answer = client.get(reverse("usage_export", args=[audit.pk, fmt]))
        assert answer.status_code == 200
    rows = client.get(reverse("access_log"), {"format": "csv"}).content.decode("utf-8-sig")
    exports = [row for row in rows.splitlines() if "usage_export" in row]
    assert len(exports) == 2
    assert all(
        ",Exported,Where the briefing was used (export),usage_export," in row for row in exports
    )


def test_reading_and_exporting_the_access_log_are_in_the_log_as_is_being_refused_it(
    client, audit, chair
):
    """The log names people and their addresses: reading it, exporting it and being refused it
    are looks too, filed under the reader's partnership."""
    other_chair = member(audit, Membership.Role.CHAIR, username="second-chair")
    elsewhere = AuditFactory()  # where they are a QA member: its chair is not told of it
    MembershipFactory(
        user=other_chair, partnership=elsewhere.partnership, role=Membership.Role.QA_MEMBER
    )
    client.force_login(other_chair)
    assert client.get(reverse("access_log"), {"username": "qa"}).status_code == 200
    exported = client.get(reverse("access_log"), {"format": "csv"}, REMOTE_ADDR="10.9.8.7")
    assert exported.status_code == 200
    qa = member(audit, Membership.Role.QA_MEMBER, username="curious-qa")
    client.force_login(qa)
    assert client.get(reverse("access_log")).status_code == 404

    client.force_login(chair)
    rows = client.get(reverse("access_log"), {"format": "csv"}).content.decode("utf-8-sig")
    lines = rows.splitlines()
    assert ",second-chair,Viewed,Access log,access_log,/access-log/?username=qa," in rows
    exports = [line for line in lines if "second-chair,Exported,Access log" in line]
    assert len(exports) == 1 and exports[0].endswith(",/access-log/?format=csv,,10.9.8.7")
    assert ",curious-qa,Refused or not found,Access log,access_log,/access-log/," in rows
    assert set(
        AccessLogEntry.objects.filter(what="access_log").values_list("partnership_id", flat=True)
    ) == {audit.partnership_id}
    page = client.get(reverse("access_log"), {"action": "export"}).content.decode()
    assert "second-chair" in page and "<td>Exported</td>" in page


def test_the_board_report_fetched_is_in_the_log_of_its_partnership_alone(client, audit, chair):
    """A document across audits names no audit: waiting for the board's report of one
    partnership and fetching it are filed under that partnership, not under the asker's other
    partnerships, whose chairs learn nothing of it; a refusal is filed as any is."""
    from documents.models import RequestedDocument

    asker = member(audit, Membership.Role.CHAIR, username="report-reader")
    second = AuditFactory()
    MembershipFactory(user=asker, partnership=second.partnership, role=Membership.Role.QA_MEMBER)
    second_chair = member(second, Membership.Role.CHAIR)
    client.force_login(asker)
    client.get(reverse("learning_report"), {"start": "2025-01-01", "format": "pdf"})
    document = RequestedDocument.objects.get(partnership=audit.partnership)
    progress = reverse("own_document_progress", args=[document.pk])
    download = reverse("own_document_download", args=[document.pk])
    assert client.get(progress).status_code == 200
    assert client.get(download).status_code == 200
    client.force_login(second_chair)  # not the asker: told it does not exist
    assert client.get(download).status_code == 404

    rows = _log_of(client, chair, format="csv")
    assert (
        ",report-reader,Downloaded,Requested document across audits (download): Board "
        f"assurance report,own_document_download,{download},," in rows
    )
    assert (
        ",report-reader,Viewed,Requested document across audits (waiting): Board assurance "
        "report,own_document_progress," in rows
    )
    assert "report-reader" not in _log_of(client, second_chair, format="csv")
    refused = AccessLogEntry.objects.get(user=second_chair, what="own_document_download")
    assert (refused.action, refused.partnership_id) == ("refused", second.partnership_id)


def test_a_requested_documents_entry_still_says_which_it_was_once_it_is_deleted(
    client, audit, chair
):
    """A requested document is deleted a day after it was asked for: its entries still tell a
    case pack from an integrated chronology of a case or the draft briefing, by the case's
    label, never by the file's name. A refusal says only which page was refused."""
    from documents.models import RequestedDocument

    case = CaseFactory(audit=audit, label="Case 17")
    client.force_login(chair)
    for name, args in (
        ("integrated_chronology_pdf", [audit.pk, case.pk]),
        ("case_pack_pdf", [audit.pk]),
        ("draft_briefing_pdf", [audit.pk]),
    ):
        assert client.get(reverse(name, args=args), follow=True).status_code == 200
    client.get(reverse("learning_report"), {"start": "2025-01-01", "format": "pdf"}, follow=True)
    filenames = list(RequestedDocument.objects.values_list("filename", flat=True))
    assert len(filenames) == 4 and all(filenames)
    RequestedDocument.objects.all().delete()
    gone = reverse("document_download", args=[audit.pk, 999999])
    assert client.get(gone).status_code == 404

    page = _log_of(client, chair)
    for said in (
        "Requested document (download): Integrated chronology of Case 17",
        "Requested document (download): Case pack",
        "Requested document (download): Draft briefing",
        "Requested document across audits (download): Board assurance report",
    ):
        assert page.count(said) == 1, said
    assert not any(filename in page for filename in filenames)
    rows = _log_of(client, chair, format="csv")
    assert (
        ",Downloaded,Requested document (download): Integrated chronology of Case 17,"
        "document_download," in rows
    )
    assert f",Refused or not found,Requested document (download),document_download,{gone}," in rows
    downloads = AccessLogEntry.objects.filter(what__startswith="document_download")
    assert sorted(downloads.values_list("what", flat=True)) == [
        "document_download",  # the refusal
        "document_download:Case pack",
        "document_download:Draft briefing",
        "document_download:Integrated chronology of Case 17",
    ]


@pytest.mark.parametrize("method", ["OPTIONS", "TRACE", "PUT", "PATCH", "DELETE", "PROPFIND"])
def test_a_page_asked_for_by_a_method_no_form_uses_shows_nothing(client, audit, chair, method):
    """Only GET (HEAD: its headers alone) and POST are answered: a case-level page asked for by
    any other method would be shown without a look in the log, which records those two."""
    case = CaseFactory(audit=audit, label="Case 41")
    client.force_login(chair)
    response = client.generic(method, reverse("case_detail", args=[audit.pk, case.pk]))
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, POST"
    assert b"Case 41" not in response.content
    assert client.get(reverse("case_detail", args=[audit.pk, case.pk])).status_code == 200
    assert list(AccessLogEntry.objects.values_list("action", flat=True)) == ["view"]
