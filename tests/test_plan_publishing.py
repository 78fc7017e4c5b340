"""Viewers see nothing of the action plan until the chair publishes it with the briefing; then
they read its rows (actions, owners, due dates, RAG), never an action's updates or evidence."""

import pytest
from django.urls import reverse

from cases.models import AuditEvent
from maca.models import Membership

from .conftest import member
from .factories import ActionFactory, AgencyFactory, AuditFactory, CaseFactory, StrengthFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def planned(audit):
    CaseFactory(audit=audit, label="Case 1")
    StrengthFactory(case=audit.cases.get(), text="Quick referral by the school.")
    housing = AgencyFactory(name="Housing")
    audit.agencies.add(housing)
    return ActionFactory(audit=audit, text="Train housing officers.", owner_agency=housing)


@pytest.fixture
def viewer(audit):
    return member(audit, role=Membership.Role.VIEWER, username="reader")


def publish(client, audit, *, with_plan):
    data = {"with_plan": "on"} if with_plan else {}
    return client.post(reverse("briefing_publish", args=[audit.pk]), data)


def plan_pages(audit):
    return [
        reverse("audit_actions", args=[audit.pk]),
        reverse("action_plan"),
        reverse("action_plan_pdf"),
        reverse("action_plan_export", args=["csv"]),
    ]


def test_a_briefing_published_without_the_plan_shows_viewers_nothing_of_it(
    client, audit, chair, viewer, planned
):
    client.force_login(chair)
    assert publish(client, audit, with_plan=False).status_code == 302
    client.force_login(viewer)
    assert client.get(reverse("audit_actions", args=[audit.pk])).status_code == 404
    assert client.get(reverse("action_plan")).status_code == 404
    assert "Action plan" not in client.get(reverse("home")).content.decode()
    csv = client.get(reverse("action_plan_export", args=["csv"]))
    assert csv.status_code == 404


def test_viewers_read_a_plan_published_with_the_briefing_but_not_its_workings(
    client, audit, chair, viewer, planned
):
    client.force_login(chair)
    confirm = client.get(reverse("briefing_publish", args=[audit.pk])).content.decode()
    assert "Publish this audit&#x27;s action plan with the briefing" in confirm
    assert publish(client, audit, with_plan=True).status_code == 302
    assert AuditEvent.objects.filter(audit=audit, kind=AuditEvent.Kind.PLAN_PUBLISHED).exists()

    client.force_login(viewer)
    hub = client.get(reverse("audit_detail", args=[audit.pk])).content.decode()
    assert reverse("audit_actions", args=[audit.pk]) in hub
    for url in plan_pages(audit):
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
    page = client.get(reverse("audit_actions", args=[audit.pk])).content.decode()
    assert "Train housing officers." in page
    assert reverse("action_detail", args=[planned.pk]) not in page
    assert "Add an action" not in page
    assert "your own agency" not in page
    assert "Train housing officers." in client.get(reverse("action_plan")).content.decode()
    assert client.get(reverse("action_detail", args=[planned.pk])).status_code == 404


def test_publishing_again_without_the_plan_withdraws_it(client, audit, chair, viewer, planned):
    client.force_login(chair)
    publish(client, audit, with_plan=True)
    confirm = client.get(reverse("briefing_publish", args=[audit.pk]))
    assert confirm.context["form"]["with_plan"].value() is True  # ticked while it is published
    publish(client, audit, with_plan=False)
    assert AuditEvent.objects.filter(audit=audit, kind=AuditEvent.Kind.PLAN_WITHDRAWN).exists()
    client.force_login(viewer)
    assert client.get(reverse("audit_actions", args=[audit.pk])).status_code == 404


def test_a_published_plan_shows_only_that_audits_actions(client, audit, chair, viewer, planned):
    other = AuditFactory(partnership=audit.partnership)
    ActionFactory(audit=other, text="Unpublished plan's action.")
    client.force_login(chair)
    publish(client, audit, with_plan=True)
    client.force_login(viewer)
    plan = client.get(reverse("action_plan")).content.decode()
    assert "Train housing officers." in plan
    assert "Unpublished plan&#x27;s action." not in plan
    assert client.get(reverse("audit_actions", args=[other.pk])).status_code == 404


def test_members_still_open_every_action_they_may_see(client, audit, chair, planned):
    client.force_login(chair)
    publish(client, audit, with_plan=True)
    page = client.get(reverse("audit_actions", args=[audit.pk])).content.decode()
    assert reverse("action_detail", args=[planned.pk]) in page


def test_actions_of_a_published_plan_may_not_name_a_child(client, audit, chair, planned):
    from cases.models import NominationIdentity
    from maca.concurrency import version_of

    from .factories import NominationFactory

    nomination = NominationFactory(audit=audit, label="Case 1")
    NominationIdentity.objects.create(nomination=nomination, child_name="Robin Invented")
    client.force_login(chair)
    assert publish(client, audit, with_plan=True).status_code == 302
    url = reverse("action_cancel", args=[planned.pk])
    answer = client.post(
        url, {"cancel_reason": "Robin moved away.", "loaded_version": version_of(planned)}
    )
    assert "Viewers read this audit&#x27;s action plan" in answer.content.decode()
    planned.refresh_from_db()
    assert planned.status == planned.Status.NOT_STARTED


def test_a_coordinator_reads_a_published_plan_as_rows_and_opens_their_agencys_alone(
    client, audit, chair, planned
):
    """Before the plan is published a co-ordinator of Police sees Police's actions only; once
    it is published with the briefing, every action as a row, as viewers do, while another
    agency's action page, updates and evidence stay closed to them."""
    police = AgencyFactory(name="Police")
    audit.agencies.add(police)
    own = ActionFactory(audit=audit, text="Brief custody sergeants.", owner_agency=police)
    coordinator = member(audit, role=Membership.Role.COORDINATOR, agency=police)
    audit_page, plan = reverse("audit_detail", args=[audit.pk]), reverse("action_plan")
    client.force_login(coordinator)
    for page in (audit_page, plan):
        assert "Train housing officers." not in client.get(page).content.decode()
    assert "Only my agency" not in client.get(plan).content.decode()  # it would change nothing
    client.force_login(chair)
    assert publish(client, audit, with_plan=True).status_code == 302
    client.force_login(coordinator)
    others = reverse("action_detail", args=[planned.pk])
    for page in (audit_page, plan, reverse("audit_actions", args=[audit.pk])):
        body = client.get(page).content.decode()
        assert "Train housing officers." in body, page
        assert f'href="{others}"' not in body, page  # a row, not a link
        assert f'href="{reverse("action_detail", args=[own.pk])}"' in body, page
    assert "Only my agency" in client.get(plan).content.decode()  # now it narrows the plan
    assert "Train housing officers." not in client.get(reverse("my_actions")).content.decode()
    assert client.get(others).status_code == 404
    assert client.get(reverse("action_edit", args=[planned.pk])).status_code == 404
    for name in ("action_evidence_upload", "action_complete"):
        assert client.post(reverse(name, args=[planned.pk]), {}).status_code == 404, name


def test_actions_of_an_unpublished_plan_may_not_name_a_child_either(client, audit, chair):
    """The audit's members, the owning agency and its reminder emails read the plan before it
    is published."""
    from cases.models import NominationIdentity

    from .factories import NominationFactory

    housing = AgencyFactory(name="Housing")
    audit.agencies.add(housing)
    nomination = NominationFactory(audit=audit, label="Case 1")
    NominationIdentity.objects.create(nomination=nomination, child_name="Robin Invented")
    client.force_login(chair)
    typed = {
        "text": "Arrange a joint visit for Robin Invented.",
        "owner_agency": housing.pk,
        "due_date": "2030-01-31",
    }
    answer = client.post(reverse("action_create", args=[audit.pk]), typed)
    assert answer.status_code == 422
    assert "reminder emails read this audit&#x27;s action plan" in answer.content.decode()
    assert "Arrange a joint visit for Robin Invented." in answer.content.decode()
    assert not audit.actions.exists()
