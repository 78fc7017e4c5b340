"""The home page's dashboard: overdue and due-soon actions, and the audits still in progress."""

import datetime
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Audit
from findings.models import BriefingVersion
from maca.models import Membership

from .conftest import member
from .factories import ActionFactory, AgencyFactory, AuditFactory, ThemeFactory
from .spoken import names

pytestmark = pytest.mark.django_db
Role = Membership.Role


def days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


def publish(audit):
    BriefingVersion.objects.create(
        audit=audit, number=1, published_at=timezone.now(), html="", pdf=b"", sha256="0" * 64
    )


@pytest.fixture
def plan(audit):
    housing, police = AgencyFactory(name="Housing"), AgencyFactory(name="Police")
    audit.agencies.add(housing, police)
    ActionFactory(audit=audit, owner_agency=housing, due_date=days(-3), text="Housing late")
    ActionFactory(audit=audit, owner_agency=police, due_date=days(-1), text="Police late")
    ActionFactory(audit=audit, owner_agency=housing, due_date=days(5), text="Housing soon")
    ActionFactory(audit=audit, owner_agency=housing, due_date=days(40), text="Housing later")
    ActionFactory(
        audit=audit,
        owner_agency=housing,
        due_date=days(-9),
        status="complete",
        text="Housing done",
    )
    ActionFactory(due_date=days(-2), text="Another partnership")
    return {"housing": housing, "police": police}


def home(client, user):
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_chair_sees_every_overdue_and_due_soon_action(client, audit, plan, chair):
    page = home(client, chair)
    assert "Overdue actions" in page
    assert "Housing late" in page and "Police late" in page and "Housing soon" in page
    assert "Housing later" not in page and "Housing done" not in page
    assert "Another partnership" not in page
    assert "?overdue=on&amp;sort=due" in page
    assert f"status=open&amp;due_from={days(0).isoformat()}" in page
    # The audit is in progress, with its stage; the audits table is still there.
    assert "In progress" in page and "Draft" in page
    assert "Audits you can see" in page


def test_the_links_to_the_action_plan_say_which_actions_they_show(client, audit, plan, chair):
    heard = names(home(client, chair))
    assert "See the overdue actions in the action plan" in heard
    assert "See the actions due soon in the action plan" in heard
    assert "See them in the action plan" not in heard


def test_only_open_actions_due_by_the_end_of_the_window_are_listed(client, audit, chair):
    ActionFactory(audit=audit, due_date=days(-2), status="in_progress", text="Started late")
    ActionFactory(audit=audit, due_date=days(0), text="Due today")
    ActionFactory(
        audit=audit,
        due_date=days(-2),
        status="cancelled",
        cancel_reason="No longer needed",
        text="Dropped",
    )
    ActionFactory(audit=audit, due_date=days(40), at_risk=True, text="At risk later")
    ActionFactory(audit=audit, due_date=None, text="Not dated")
    page = home(client, chair)
    overdue, due_soon = page.split("due-soon-heading", 1)
    assert "Started late" in overdue and "Due today" in due_soon
    assert "Dropped" not in page and "At risk later" not in page and "Not dated" not in page


def test_a_coordinator_sees_their_own_agencys_actions(client, audit, plan):
    page = home(client, member(audit, Role.COORDINATOR, agency=plan["housing"]))
    assert "Housing late" in page and "Housing soon" in page
    assert "Police late" not in page


def test_a_qa_member_sees_the_partnerships_actions(client, audit, plan):
    page = home(client, member(audit, Role.QA_MEMBER))
    assert "Housing late" in page and "Police late" in page


def test_a_viewer_sees_no_actions(client, audit, plan):
    publish(audit)
    page = home(client, member(audit, Role.VIEWER))
    assert "Neglect and housing" in page  # the published audit is listed
    assert "Overdue actions" not in page and "Housing late" not in page


def test_an_outsider_sees_nothing_of_this_partnership(client, audit, plan, outsider):
    AuditFactory(partnership=outsider.memberships.get().partnership)
    page = home(client, outsider)
    assert "Housing late" not in page and "Neglect and housing" not in page
    assert "Nothing is overdue." in page


def test_closed_audits_are_not_in_progress(client, audit, chair):
    audit.status = Audit.Status.CLOSED
    audit.save()
    page = home(client, chair)
    assert "No audit is in progress." in page


def test_only_the_first_ten_are_listed_with_a_link_to_all(client, audit, chair):
    agency = AgencyFactory()
    audit.agencies.add(agency)
    for n in range(12):
        ActionFactory(audit=audit, owner_agency=agency, due_date=days(-1 - n), text=f"Late {n}")
    page = home(client, chair)
    assert "All 12 overdue actions" in page
    assert len(re.findall(r'href="/actions/\d+/"', page)) == 10
    assert "Late 11<" in page and "Late 0<" not in page  # the longest overdue first


def test_the_dashboard_takes_the_same_queries_at_one_and_ten_times_the_data(client):
    counts = []
    for size in (1, 10):
        partnership_audits = []
        first = AuditFactory()
        partnership_audits.append(first)
        for _ in range(size - 1):
            partnership_audits.append(
                AuditFactory(
                    partnership=first.partnership,
                    theme=ThemeFactory(partnership=first.partnership),
                )
            )
        agency = AgencyFactory()
        for audit in partnership_audits:
            audit.agencies.add(agency)
            for n in range(3):
                ActionFactory(audit=audit, owner_agency=agency, due_date=days(-1 - n))
                ActionFactory(audit=audit, owner_agency=agency, due_date=days(2 + n))
        for role, extra in ((Role.CHAIR, {}), (Role.COORDINATOR, {"agency": agency})):
            client.force_login(member(first, role, **extra))
            with CaptureQueriesContext(connection) as queries:
                assert client.get(reverse("home")).status_code == 200
            counts.append((role, len(queries)))
    assert counts[0] == counts[2] and counts[1] == counts[3], counts


def test_due_soon_on_the_dashboard_is_the_amber_window(client, audit, settings):
    """An action the plan shows amber is due soon on the dashboard, whatever the window."""
    ActionFactory(
        audit=audit,
        text="Review the protocol",
        due_date=timezone.localdate() + datetime.timedelta(days=20),
    )
    client.force_login(member(audit, Membership.Role.CHAIR))
    assert "Review the protocol" not in client.get(reverse("home")).content.decode()
    settings.MACA_RAG_AMBER_DAYS = 21
    page = client.get(reverse("home")).content.decode()
    assert "Review the protocol" in page and "Due in the next 21 days" in page


def test_a_stage_has_one_colour_on_cards_tables_and_headers(client, audit):
    from .factories import CaseFactory

    audit.status = Audit.Status.SUBMISSIONS
    audit.save()
    case = CaseFactory(audit=audit)
    client.force_login(member(audit, Role.CHAIR))
    pages = [
        client.get(reverse("home")).content.decode(),  # the in-progress cards and the table
        client.get(reverse("audit_detail", args=[audit.pk])).content.decode(),
        client.get(reverse("case_detail", args=[audit.pk, case.pk])).content.decode(),
    ]
    badge = '<span class="badge status-tag stage-tag stage-submissions">Submissions open</span>'
    assert [page.count(badge) for page in pages] == [2, 1, 1]
    for page in pages:
        assert not re.search(r'text-bg-\w+ status-tag">Submissions open', page)


def _tasks_world(audit, size):
    from .factories import CaseFactory

    audit.status = Audit.Status.SUBMISSIONS
    audit.submission_deadline = days(9)
    audit.save()
    housing = AgencyFactory()
    audit.agencies.add(housing)
    for _ in range(size):
        CaseFactory(audit=audit)
        ActionFactory(audit=audit, owner_agency=housing, due_date=days(3), text="Share the plan")
    nominating = AuditFactory(partnership=audit.partnership, status=Audit.Status.NOMINATING)
    return housing, nominating


def test_an_action_updated_lately_wants_no_update_and_a_long_one_is_cut_with_an_ellipsis(
    client, audit
):
    from actions.models import Action, ActionUpdate

    housing, _ = _tasks_world(audit, 1)
    action = Action.objects.get()
    action.text = "Share the plan " + "with every agency that knows the family " * 4
    action.save()
    client.force_login(member(audit, Role.COORDINATOR, agency=housing))
    page = client.get(reverse("home")).content.decode()
    assert "Update the action</a>" in page
    assert f"{action.text[:79]}… · Neglect and housing" in page
    update = ActionUpdate.objects.create(action=action, date=days(0), text="Shared.")
    assert "Update the action</a>" not in client.get(reverse("home")).content.decode()
    ActionUpdate.objects.filter(pk=update.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=29)
    )
    assert "Update the action</a>" in client.get(reverse("home")).content.decode()


def test_my_tasks_for_each_role_with_due_dates_first(client, audit):
    housing, nominating = _tasks_world(audit, 1)
    coordinator = member(audit, Role.COORDINATOR, agency=housing)
    client.force_login(coordinator)
    page = client.get(reverse("home")).content.decode()
    tasks = page[page.index("My tasks") : page.index("</ul>", page.index("My tasks"))]
    update = tasks.index("Update the action</a>")
    assert "Share the plan · Neglect and housing" in tasks
    chronology = tasks.index("Give the chronology</a>")
    tool = tasks.index("Submit the audit tool</a>")
    assert update < chronology < tool  # due in 3 days, before the deadline in 9
    assert f"Due {days(3):%-d %B %Y}" in tasks and f"Due {days(9):%-d %B %Y}" in tasks
    assert "Nominate cases" not in tasks  # not theirs

    client.force_login(member(audit, Role.QA_MEMBER))
    tasks = client.get(reverse("home")).content.decode()
    assert "Nominate cases</a>" in tasks and nominating.theme.name in tasks
    assert "Give the chronology" not in tasks

    client.force_login(member(audit, Role.CHAIR))
    tasks = client.get(reverse("home")).content.decode()
    assert ">Agencies are uploading their chronologies" in tasks

    publish(audit)  # so that a viewer sees the audit
    client.force_login(member(audit, Role.VIEWER))
    assert "Nothing is waiting for you." in client.get(reverse("home")).content.decode()


def test_my_tasks_take_the_same_number_of_queries_whatever_the_size(client):
    counts = []
    for size in (1, 6):
        audit = AuditFactory()
        housing, _ = _tasks_world(audit, size)
        client.force_login(member(audit, Role.COORDINATOR, agency=housing))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("home")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_my_tasks_name_no_action_of_an_agency_that_left_the_audit(client, audit):
    """A co-ordinator of two agencies sees, of an audit one of them left, only the actions of
    the one still taking part, as the action plan shows them."""
    housing, police = AgencyFactory(name="Housing"), AgencyFactory(name="Police")
    audit.agencies.add(housing, police)
    ActionFactory(audit=audit, owner_agency=housing, text="Share the housing plan")
    ActionFactory(audit=audit, owner_agency=police, text="Brief the police teams")
    coordinator = member(audit, Role.COORDINATOR, agency=housing)
    Membership.objects.create(
        user=coordinator, partnership=audit.partnership, role=Role.COORDINATOR, agency=police
    )
    audit.agencies.remove(police)
    client.force_login(coordinator)
    page = client.get(reverse("home")).content.decode()
    assert "Share the housing plan" in page
    assert "Brief the police teams" not in page


def test_an_audit_deleted_after_the_gate_read_it_is_not_found_rather_than_an_error(audit):
    from django.http import Http404

    from actions.selectors import audit_facts

    Audit.objects.filter(pk=audit.pk).delete()
    with pytest.raises(Http404):
        audit_facts(audit)


def test_the_chairs_next_step_is_due_when_its_stage_ends_and_says_when_it_is_overdue(client, audit):
    chair = member(audit, Role.CHAIR)
    client.force_login(chair)

    def chairs_task():
        page = html.unescape(client.get(reverse("home")).content.decode())
        tasks = page[page.index("My tasks") : page.index("</ul>", page.index("My tasks"))]
        return " ".join(re.sub(r"<[^>]+>", " ", tasks).split())

    Audit.objects.filter(pk=audit.pk).update(
        status=Audit.Status.MEETING, meeting_date=days(-2), submission_deadline=days(-9)
    )
    assert f"Overdue: due {days(-2):%-d %B %Y}" in chairs_task()  # the meeting's date
    Audit.objects.filter(pk=audit.pk).update(meeting_date=days(5))
    assert f"Due {days(5):%-d %B %Y}" in chairs_task() and "Overdue" not in chairs_task()
    Audit.objects.filter(pk=audit.pk).update(status=Audit.Status.REPORTING, meeting_date=days(-2))
    assert "Due " not in chairs_task()  # writing up keeps no date
    assert "publishes the briefing" in chairs_task()
    Audit.objects.filter(pk=audit.pk).update(briefing_published_at=timezone.now())
    assert "The briefing is published." in chairs_task()
    assert "publishes the briefing" not in chairs_task()


def test_someone_in_two_partnerships_is_told_whose_audit_each_task_and_action_is(client):
    """Neighbouring partnerships audit the same themes: a police co-ordinator in both sees two
    "Neglect" audits, and each task, action and audit in progress names its partnership."""
    from .factories import CaseFactory, UserFactory, police_in_two_partnerships

    person = UserFactory()
    made = police_in_two_partnerships(
        person, status=Audit.Status.SUBMISSIONS, submission_deadline=days(9)
    )
    for _name, police, audit in made:
        CaseFactory(audit=audit, label="Case 1")
        ActionFactory(audit=audit, owner_agency=police, due_date=days(-2), text="Late")

    page = html.unescape(home(client, person))
    tasks = page[page.index("My tasks") : page.index("</ul>", page.index("My tasks"))]
    for name in ("Northshire Partnership", "Southvale Partnership"):
        assert f"Case 1, Police · Neglect · {name}</span>" in tasks
        assert f"Police · was due {days(-2):%-d %B %Y} · Neglect · {name}</div>" in page
    in_progress = page[page.index("In progress") : page.index("Audits you can see")]
    assert in_progress.count("Northshire Partnership") == 1
    assert in_progress.count("Southvale Partnership") == 1
    audits = page[page.index("Audits you can see") :]
    assert '<th scope="col" class="d-none d-md-table-cell">Partnership</th>' in audits
    for name in ("Northshire Partnership", "Southvale Partnership"):
        # In its column on a wide screen, and under the theme on a phone, where it is hidden.
        assert f'<span class="d-block d-md-none small text-body-secondary">{name}</span>' in audits
        assert f'<td class="d-none d-md-table-cell">{name}</td>' in audits


def test_someone_in_one_partnership_is_not_told_its_name_on_every_line(client, audit, plan):
    page = home(client, member(audit, Role.COORDINATOR, agency=plan["housing"]))
    dashboard = page[page.index("My tasks") : page.index("Audits you can see")]
    assert audit.partnership.name not in dashboard
    audits = page[page.index("Audits you can see") :]
    assert ">Partnership</th>" not in audits and audit.partnership.name not in audits
