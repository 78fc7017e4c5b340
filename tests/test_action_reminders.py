"""Action plan reminders: due soon and overdue emails, and the chairs' Monday digest."""

import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command

from actions.reminders import action_stage
from maca.models import Membership, SentReminder

from .conftest import member
from .factories import (
    ActionFactory,
    AgencyFactory,
    AuditFactory,
    MembershipFactory,
    PartnershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
Role = Membership.Role
DUE = datetime.date(2026, 12, 9)  # a Wednesday
MONDAY = datetime.date(2026, 11, 30)


@pytest.fixture(autouse=True)
def reminder_settings(settings):
    settings.MACA_ACTION_REMINDER_DAYS_BEFORE = 14
    settings.SITE_URL = "https://maca.example.org"


@pytest.fixture
def plan(audit):
    housing, police = AgencyFactory(name="Housing"), AgencyFactory(name="Police")
    audit.agencies.add(housing, police)
    lead = member(audit, Role.QA_MEMBER, email="lead@example.org", username="lead")
    people = {
        "chair": member(audit, Role.CHAIR, email="chair@example.org"),
        "housing": member(audit, Role.COORDINATOR, agency=housing, email="housing@example.org"),
        "police": member(audit, Role.COORDINATOR, agency=police, email="police@example.org"),
        "lead": lead,
    }
    action = ActionFactory(
        audit=audit,
        owner_agency=housing,
        lead_user=lead,
        due_date=DUE,
        text="Publish the housing protocol.",
    )
    return {"action": action, "audit": audit, **people}


def run(*args):
    out = io.StringIO()
    call_command("send_reminders", *args, stdout=out)
    return out.getvalue()


def action_mail():
    return [m for m in mail.outbox if m.subject.startswith("Action ")]


@pytest.mark.parametrize(
    "day, stage",
    [
        (DUE - datetime.timedelta(days=15), None),
        (DUE - datetime.timedelta(days=14), "due_soon"),
        (DUE, "due_soon"),
        (DUE + datetime.timedelta(days=1), "overdue"),
        (DUE + datetime.timedelta(days=90), "overdue"),
    ],
)
def test_stage_boundaries(day, stage):
    assert action_stage(DUE, day) == stage


def test_due_soon_goes_to_the_lead_and_owner_coordinators_once(plan):
    day = (DUE - datetime.timedelta(days=14)).isoformat()
    run("--today", (DUE - datetime.timedelta(days=15)).isoformat())
    assert action_mail() == []
    run("--today", day)
    sent = action_mail()
    assert sorted(m.to[0] for m in sent) == ["housing@example.org", "lead@example.org"]
    message = sent[0]
    partnership = plan["action"].audit.partnership.name
    assert message.subject == (
        f"Action due on 9 December 2026: Neglect and housing — {partnership}"
    )
    assert "Publish the housing protocol." in message.body
    assert f"https://maca.example.org/actions/{plan['action'].pk}/" in message.body
    mail.outbox.clear()
    run("--today", day)
    run("--today", (DUE - datetime.timedelta(days=3)).isoformat())
    assert action_mail() == []
    keys = set(SentReminder.objects.values_list("key", flat=True))
    assert keys == {f"action:{plan['action'].pk}:due_soon"}


def test_overdue_is_sent_once_after_the_due_date(plan):
    run("--today", DUE.isoformat())
    mail.outbox.clear()
    run("--today", (DUE + datetime.timedelta(days=1)).isoformat())
    sent = action_mail()
    assert len(sent) == 2
    partnership = plan["action"].audit.partnership.name
    assert sent[0].subject == (
        f"Action overdue since 9 December 2026: Neglect and housing — {partnership}"
    )
    assert "was due on 9 December 2026" in sent[0].body
    mail.outbox.clear()
    run("--today", (DUE + datetime.timedelta(days=2)).isoformat())
    assert action_mail() == []


def test_closed_actions_and_other_agencies_hear_nothing(plan):
    plan["action"].status = "complete"
    plan["action"].save()
    run("--today", (DUE + datetime.timedelta(days=1)).isoformat())
    assert action_mail() == []


def test_without_a_lead_user_the_coordinators_still_hear(plan):
    plan["action"].lead_user = None
    plan["action"].lead = "Head of Housing"
    plan["action"].save()
    run("--today", DUE.isoformat())
    assert [m.to[0] for m in action_mail()] == ["housing@example.org"]


def test_dry_run_sends_nothing(plan):
    out = run("--dry-run", "--today", DUE.isoformat())
    partnership = plan["action"].audit.partnership.name
    assert "Would send “Action due on " in out
    assert f"Neglect and housing — {partnership}” to lead@example.org" in out
    assert "action:" not in out  # the reminder's subject, not its key
    assert mail.outbox == [] and not SentReminder.objects.exists()


def test_the_chairs_digest_goes_on_mondays_once_a_week(plan):
    ActionFactory(
        audit=plan["audit"],
        owner_agency=plan["action"].owner_agency,
        due_date=MONDAY - datetime.timedelta(days=5),
        text="Train the front door.",
    )
    ActionFactory(audit=plan["audit"], due_date=MONDAY + datetime.timedelta(days=60), text="Far")
    elsewhere = AuditFactory()
    ActionFactory(audit=elsewhere, due_date=MONDAY, text="Another partnership's action")

    run("--today", (MONDAY + datetime.timedelta(days=1)).isoformat())  # a Tuesday
    assert not [m for m in mail.outbox if m.subject.startswith("Action plan this week")]

    run("--today", MONDAY.isoformat())
    digests = [m for m in mail.outbox if m.subject.startswith("Action plan this week")]
    assert [m.to[0] for m in digests] == ["chair@example.org"]
    body = digests[0].body
    assert digests[0].subject == "Action plan this week: 1 overdue, 1 due soon"
    assert "Train the front door." in body and "Publish the housing protocol." in body
    assert "Far" not in body and "Another partnership" not in body
    assert "https://maca.example.org/actions/" in body
    assert SentReminder.objects.filter(key=f"digest:{plan['chair'].pk}:2026-W49").exists()

    mail.outbox.clear()
    run("--today", MONDAY.isoformat())
    assert not [m for m in mail.outbox if m.subject.startswith("Action plan this week")]
    run("--today", (MONDAY + datetime.timedelta(days=7)).isoformat())
    assert [m for m in mail.outbox if m.subject.startswith("Action plan this week")]


def test_no_digest_when_nothing_is_due(audit):
    member(audit, Role.CHAIR, email="chair@example.org")
    run("--today", MONDAY.isoformat())
    assert mail.outbox == []


def test_a_lead_removed_from_the_partnership_hears_nothing_more(plan):
    """Made lead, then removed (the action's page is 'Not found' to them since): no email with
    the action's words reaches them."""
    Membership.objects.filter(user=plan["lead"]).delete()
    run("--today", DUE.isoformat())
    assert [m.to[0] for m in action_mail()] == ["housing@example.org"]
    assert "lead@example.org" not in run("--dry-run", "--today", DUE.isoformat())


def test_a_lead_who_may_not_open_the_action_hears_nothing(plan):
    """A lead whose only role is a viewer's, or a co-ordinator of another agency, may not open
    the action: they are not emailed its words."""
    Membership.objects.filter(user=plan["lead"]).update(role=Role.VIEWER)
    run("--today", DUE.isoformat())
    assert [m.to[0] for m in action_mail()] == ["housing@example.org"]


def test_the_digest_goes_only_to_someone_who_still_chairs_when_it_is_sent(plan, monkeypatch):
    from actions import reminders

    built = reminders.chair_digests

    def removed_meanwhile(today):
        for reminder in built(today):
            Membership.objects.filter(user=reminder.user).delete()
            yield reminder

    monkeypatch.setattr("cases.services.reminders.SOURCES", [removed_meanwhile])
    run("--today", MONDAY.isoformat())
    assert mail.outbox == []


def test_someone_in_two_partnerships_is_told_whose_audit_each_email_is_about():
    """Neighbouring partnerships audit the same themes: a police co-ordinator in both, who also
    chairs both, is told in each reminder and in the Monday digest whose plan it is."""
    north = PartnershipFactory(name="Northshire Safeguarding Children Partnership")
    south = PartnershipFactory(name="Southvale Safeguarding Children Partnership")
    person = member(AuditFactory(partnership=north), Role.CHAIR, email="pat@example.org")
    audits = {}
    for partnership in (north, south):
        police = AgencyFactory(partnership=partnership, name="Police")
        audit = AuditFactory(partnership=partnership, theme__name="Neglect")
        audit.agencies.add(police)
        MembershipFactory(
            user=person, partnership=partnership, role=Role.COORDINATOR, agency=police
        )
        ActionFactory(
            audit=audit, owner_agency=police, due_date=MONDAY, text=f"Act {partnership.pk}"
        )
        audits[partnership.name] = audit
    MembershipFactory(user=person, partnership=south, role=Role.CHAIR)

    run("--today", MONDAY.isoformat())

    reminders = sorted(m.body for m in mail.outbox if m.subject.startswith("Action due on"))
    assert len(reminders) == 2
    assert (
        "in Northshire Safeguarding Children Partnership's multi-agency case audit action plan"
        ' for "Neglect"' in reminders[0]
    )
    assert (
        "in Southvale Safeguarding Children Partnership's multi-agency case audit action plan"
        ' for "Neglect"' in reminders[1]
    )
    [digest] = [m for m in mail.outbox if m.subject.startswith("Action plan this week")]
    assert (
        "This is the action plan of Northshire Safeguarding Children Partnership and Southvale "
        "Safeguarding Children Partnership as it stands on 30 November 2026." in digest.body
    )
    assert "Neglect (Northshire Safeguarding Children Partnership) · Police · due" in digest.body
    assert "Neglect (Southvale Safeguarding Children Partnership) · Police · due" in digest.body


def test_the_digest_of_one_partnership_names_it_once(plan):
    ActionFactory(audit=plan["audit"], due_date=MONDAY, text="Train the front door.")
    run("--today", MONDAY.isoformat())
    [digest] = [m for m in mail.outbox if m.subject.startswith("Action plan this week")]
    name = plan["audit"].partnership.name
    assert f"This is the action plan of {name} as it stands on" in digest.body
    assert f"({name})" not in digest.body


def test_the_digest_of_a_chair_of_three_partnerships_names_them_in_a_sentence():
    names = ["Eastvale Partnership", "Northshire Partnership", "Southvale Partnership"]
    person = UserFactory(email="pat@example.org")
    for name in names:
        audit = AuditFactory(partnership=PartnershipFactory(name=name), theme__name="Neglect")
        MembershipFactory(user=person, partnership=audit.partnership, role=Role.CHAIR)
        ActionFactory(audit=audit, due_date=MONDAY, text=f"Act in {name}")
    run("--today", MONDAY.isoformat())
    [digest] = [m for m in mail.outbox if m.subject.startswith("Action plan this week")]
    assert (
        "This is the action plan of Eastvale Partnership, Northshire Partnership and Southvale "
        "Partnership as it stands on" in digest.body
    )
