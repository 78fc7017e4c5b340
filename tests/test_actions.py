import datetime
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from actions.models import Action, ActionUpdate, Rag
from maca.concurrency import version_of
from maca.models import Membership

from .conftest import member, pdf_text
from .factories import ActionFactory, AgencyFactory, AuditFactory, RecommendationFactory
from .test_chronology_files import plain
from .test_one_press import form_on

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 23)


def days(n):
    return TODAY + datetime.timedelta(days=n)


@pytest.mark.parametrize(
    "due, status, at_risk, expected",
    [
        (days(-1), "in_progress", False, Rag.RED),
        (days(0), "in_progress", False, Rag.AMBER),  # due today is not yet overdue
        (days(14), "not_started", False, Rag.AMBER),
        (days(15), "not_started", False, Rag.GREEN),
        (days(15), "in_progress", True, Rag.AMBER),  # flagged at risk by the owner
        (days(-30), "complete", False, Rag.COMPLETE),  # complete but past due
        (days(-30), "cancelled", False, Rag.CANCELLED),
        (None, "not_started", False, Rag.GREEN),
    ],
)
def test_rag_at_the_boundaries_in_python_and_in_the_database(due, status, at_risk, expected):
    action = ActionFactory(due_date=due, status=status, at_risk=at_risk, cancel_reason="x")
    assert action.rag(TODAY) == expected
    assert Action.objects.with_rag(TODAY).get(pk=action.pk).rag_rating == expected


@pytest.fixture
def housing(audit):
    agency = AgencyFactory(name="Housing")
    audit.agencies.add(agency)
    return agency


@pytest.fixture
def action(audit, housing):
    return ActionFactory(
        audit=audit, owner_agency=housing, due_date=days(30), lead="Head of Housing"
    )


def roles(audit, housing):
    police = AgencyFactory(name="Police")
    audit.agencies.add(police)
    return {
        "chair": member(audit, Membership.Role.CHAIR),
        "qa": member(audit, Membership.Role.QA_MEMBER),
        "own": member(audit, Membership.Role.COORDINATOR, agency=housing),
        "other": member(audit, Membership.Role.COORDINATOR, agency=police),
        "viewer": member(audit, Membership.Role.VIEWER),
    }


@pytest.mark.parametrize(
    "who, see, update, manage",
    [
        ("chair", 200, 302, 200),
        ("qa", 200, 404, 403),
        ("own", 200, 302, 403),
        ("other", 404, 404, 404),
        ("viewer", 404, 404, 404),
        ("outsider", 404, 404, 404),
    ],
)
def test_who_may_do_what_with_an_action(
    client, audit, housing, action, outsider, who, see, update, manage
):
    user = outsider if who == "outsider" else roles(audit, housing)[who]
    client.force_login(user)
    detail = reverse("action_detail", args=[action.pk])
    assert client.get(detail).status_code == see
    posted = client.post(
        detail,
        {
            "date": "2026-11-20",
            "text": "Met the team.",
            "status": "in_progress",
            "loaded_version": version_of(action),
        },
    )
    assert posted.status_code == update
    assert client.get(reverse("action_edit", args=[action.pk])).status_code == manage
    assert client.get(reverse("action_complete", args=[action.pk])).status_code == manage


def test_owner_posts_an_update_and_flags_risk(client, audit, housing, action):
    client.force_login(member(audit, Membership.Role.COORDINATOR, agency=housing))
    client.post(
        reverse("action_detail", args=[action.pk]),
        {
            "date": "2026-11-20",
            "text": "Draft protocol written.",
            "status": "in_progress",
            "at_risk": "on",
            "loaded_version": version_of(action),
        },
    )
    action.refresh_from_db()
    assert (action.status, action.at_risk) == ("in_progress", True)
    assert ActionUpdate.objects.get().text == "Draft protocol written."
    assert action.rag() == Rag.AMBER
    history = client.get(reverse("action_detail", args=[action.pk])).content.decode()
    assert "Progress update" in history


def test_the_history_says_what_each_change_changed(client, audit, housing, action, chair):
    from django.utils.formats import date_format

    from actions import services

    police = AgencyFactory(name="Police")
    audit.agencies.add(police)
    before, after = action.due_date, action.due_date + datetime.timedelta(days=14)
    services.action_edit(
        action=action,
        user=chair,
        text=action.text,
        owner_agency=police,
        lead=action.lead,
        due_date=after,
    )
    services.action_post_update(
        action=action,
        user=chair,
        date=timezone.localdate(),
        text="Started.",
        status="in_progress",
        at_risk=True,
    )
    client.force_login(chair)
    page = plain(client.get(reverse("action_detail", args=[action.pk])))
    long = lambda day: date_format(day, "j F Y")  # noqa: E731
    assert f"Edited by the chair: due {long(before)} → {long(after)}; " in page
    assert "owner Housing → Police" in page
    assert "Progress update: Not started → In progress; marked at risk" in page
    assert f"Created: Not started, due {long(before)}" in page

    # From a named officer to a MACA user: one lead changed, not one added and one removed.
    services.action_edit(
        action=action, user=chair, text=action.text, owner_agency=police, lead="",
        lead_user=chair, due_date=after,
    )  # fmt: skip
    page = plain(client.get(reverse("action_detail", args=[action.pk])))
    assert "Edited by the chair: the lead changed" in page
    assert "the lead added" not in page and "the lead removed" not in page


def test_a_bad_update_keeps_the_text_and_saves_nothing(client, audit, housing, action):
    client.force_login(member(audit, Membership.Role.COORDINATOR, agency=housing))
    response = client.post(
        reverse("action_detail", args=[action.pk]),
        {"date": "not a date", "text": "Typed text kept.", "status": "complete"},
    )
    assert response.status_code == 422
    assert "Typed text kept." in response.content.decode()
    said = response.content.decode()
    assert "This is not a real date: check the day, month and year, for example 23/11/2026." in said
    assert not ActionUpdate.objects.exists()
    action.refresh_from_db()
    assert action.status == "not_started"
    empty = client.post(reverse("action_detail", args=[action.pk]), {"status": "in_progress"})
    assert empty.status_code == 422
    assert "Say what has happened." in empty.content.decode()
    assert "Enter the date of the update." in empty.content.decode()


def test_completion_needs_an_outcome_and_the_chairs_sign_off(client, audit, housing, action):
    chair = member(audit, Membership.Role.CHAIR)
    client.force_login(chair)
    url = reverse("action_complete", args=[action.pk])
    response = client.post(url, {"outcome_statement": "  "})
    assert response.status_code == 422
    assert "Say what the action achieved." in response.content.decode()
    client.post(
        url,
        {"outcome_statement": "Protocol in use since March.", "loaded_version": version_of(action)},
    )
    action.refresh_from_db()
    assert action.status == "complete" and action.signed_off_by == chair
    assert action.rag(days(400)) == Rag.COMPLETE


def test_cancelling_needs_a_reason(client, audit, housing, action):
    client.force_login(member(audit, Membership.Role.CHAIR))
    url = reverse("action_cancel", args=[action.pk])
    assert client.post(url, {"cancel_reason": ""}).status_code == 422
    client.post(
        url,
        {
            "cancel_reason": "Superseded by the county protocol.",
            "loaded_version": version_of(action),
        },
    )
    action.refresh_from_db()
    assert action.status == "cancelled"
    assert action.history.count() == 2


def test_the_action_forms_lists_say_what_choosing_nothing_means(client, audit, housing, action):
    client.force_login(member(audit, Membership.Role.CHAIR))
    for address in (
        reverse("action_create", args=[audit.pk]),
        reverse("action_edit", args=[action.pk]),
    ):
        page = client.get(address).content.decode()
        empty = dict(
            re.findall(r'<select name="(\w+)"[^>]*>\s*<option value=""[^>]*>([^<]*)<', page)
        )
        assert (
            empty["owner_agency"] == "Choose the agency that owns it" or "owner_agency" not in empty
        )
        assert empty["lead_user"] == "Not a MACA user: name the lead below"
        assert "---------" not in page


def test_the_chair_creates_actions_from_a_recommendation(client, audit, housing):
    recommendation = RecommendationFactory(audit=audit)
    chair = member(audit, Membership.Role.CHAIR)
    client.force_login(chair)
    url = reverse("action_create", args=[audit.pk]) + f"?recommendation={recommendation.pk}"
    assert client.get(url).status_code == 200
    missing_lead = client.post(
        url,
        {"recommendation": recommendation.pk, "text": "Train staff.", "owner_agency": housing.pk},
    )
    assert missing_lead.status_code == 422
    assert "name the lead officer" in missing_lead.content.decode()
    assert (
        "Give the date the action is due by: an action without one is never shown as overdue."
        in (missing_lead.content.decode())
    )
    typed = {"text": "Train staff.", "owner_agency": housing.pk, "lead_user": chair.pk}
    a_slip = client.post(url, {**typed, "due_date": "9999-12-31"})
    assert "This is more than 5 years ahead: check the year." in a_slip.content.decode()
    assert not Action.objects.exists()
    for text in ("Train staff.", "Audit supervision."):
        client.post(
            url,
            {
                "recommendation": recommendation.pk,
                "text": text,
                "owner_agency": housing.pk,
                "lead_user": chair.pk,
                "due_date": (timezone.localdate() + datetime.timedelta(days=60)).isoformat(),
            },
        )
    assert list(recommendation.actions.values_list("text", flat=True)) == [
        "Train staff.",
        "Audit supervision.",
    ]


@pytest.mark.parametrize("asked", ["²", "9" * 5000])
def test_a_recommendation_in_the_address_that_is_no_id_opens_an_empty_form(client, audit, asked):
    """The link from a recommendation names it by id; anything else typed there (a superscript
    digit, a number too long to read) opens the form with no recommendation chosen."""
    RecommendationFactory(audit=audit)
    client.force_login(member(audit, Membership.Role.CHAIR))
    response = client.get(reverse("action_create", args=[audit.pk]), {"recommendation": asked})
    assert response.status_code == 200
    assert response.context["form"]["recommendation"].value() is None


def test_a_lead_who_could_not_open_the_action_is_refused(client, audit, housing):
    police = AgencyFactory(name="Police")
    audit.agencies.add(police)
    chair = member(audit, Membership.Role.CHAIR)
    jo = member(audit, Membership.Role.COORDINATOR, agency=housing, first_name="Jo")
    qa = member(audit, Membership.Role.QA_MEMBER)
    client.force_login(chair)
    url = reverse("action_create", args=[audit.pk])
    due = (timezone.localdate() + datetime.timedelta(days=60)).isoformat()
    typed = {"text": "Brief every custody sergeant.", "due_date": due}
    refused = client.post(url, {**typed, "owner_agency": police.pk, "lead_user": jo.pk})
    assert refused.status_code == 422
    assert (
        f"{jo} cannot open an action owned by Police: choose the chair, a QA member or a "
        "co-ordinator for Police" in refused.content.decode()
    )
    assert not Action.objects.exists()
    for owner, lead in ((housing, jo), (police, qa), (police, chair)):
        kept = client.post(url, {**typed, "owner_agency": owner.pk, "lead_user": lead.pk})
        assert kept.status_code == 302, (owner, lead)
    assert Action.objects.count() == 3
    # Handed to another agency, the action's lead must change with it.
    action = Action.objects.get(owner_agency=housing)
    edit = reverse("action_edit", args=[action.pk])
    moved = client.post(edit, {**form_on(client, edit), "owner_agency": police.pk})
    assert moved.status_code == 422
    assert f"{jo} cannot open an action owned by Police" in moved.content.decode()


def test_the_action_services_refuse_a_lead_who_could_not_open_the_action(audit, housing):
    """Whoever writes (a form, an import, a command), the same rule as the form's."""
    from django.core.exceptions import ValidationError

    from actions.services import action_create, action_edit

    police = AgencyFactory(name="Police")
    audit.agencies.add(police)
    chair = member(audit, Membership.Role.CHAIR)
    jo = member(audit, Membership.Role.COORDINATOR, agency=housing, first_name="Jo")
    due = timezone.localdate() + datetime.timedelta(days=60)
    plan = {"text": "Brief every custody sergeant.", "due_date": due}
    with pytest.raises(ValidationError, match="cannot open an action owned by Police"):
        action_create(audit=audit, user=chair, owner_agency=police, lead_user=jo, **plan)
    assert not Action.objects.exists()
    action = action_create(audit=audit, user=chair, owner_agency=housing, lead_user=jo, **plan)
    with pytest.raises(ValidationError, match="cannot open an action owned by Police"):
        action_edit(action=action, user=chair, owner_agency=police, lead_user=jo, **plan)
    action.refresh_from_db()
    assert action.owner_agency == housing
    # A lead who can no longer open it does not stop an edit of something else.
    jo.memberships.all().delete()
    edited = {**plan, "text": "Brief every custody sergeant and inspector."}
    assert action_edit(action=action, user=chair, owner_agency=housing, lead_user=jo, **edited)


def test_the_action_form_says_what_is_wrong_with_it(client, audit, housing):
    chair = member(audit, Membership.Role.CHAIR, first_name="Carol")
    member(audit, Membership.Role.VIEWER, first_name="Vera")
    client.force_login(chair)
    url = reverse("action_create", args=[audit.pk])
    page = client.get(url).content.decode()
    assert "Carol" in page and "Vera" not in page  # a viewer cannot follow an action up
    answer = client.post(
        url,
        {
            "text": "Train staff.",
            "lead_user": chair.pk,
            "lead": "A. Officer",
            "due_date": (timezone.localdate() - datetime.timedelta(days=1)).isoformat(),
        },
    )
    assert answer.status_code == 422
    html = answer.content.decode()
    assert "Choose the agency that owns this action." in html
    assert "The due date is in the past" in html
    assert "Give one lead" in html
    assert not Action.objects.exists()


def test_the_plan_filters_counts_and_keeps_others_out(client, audit, housing, outsider):
    today = timezone.localdate()
    ActionFactory(
        audit=audit,
        owner_agency=housing,
        due_date=today - datetime.timedelta(days=3),
        text="Late one",
    )
    ActionFactory(
        audit=audit,
        owner_agency=housing,
        due_date=today + datetime.timedelta(days=60),
        text="Fine one",
    )
    ActionFactory(due_date=today, text="Someone else's")
    client.force_login(member(audit, Membership.Role.QA_MEMBER))
    page = client.get(reverse("action_plan")).content.decode()
    assert "Late one" in page and "Fine one" in page and "Someone else" not in page
    overdue = client.get(reverse("action_plan"), {"overdue": "on"}).content.decode()
    assert "Late one" in overdue and "Fine one" not in overdue
    assert client.get(reverse("action_plan"), {"due_from": "garbage"}).status_code == 200


def test_my_agencys_actions_for_a_coordinator(client, audit, housing):
    police = AgencyFactory(name="Police")
    audit.agencies.add(police)
    ActionFactory(audit=audit, owner_agency=housing, text="Housing's action")
    ActionFactory(audit=audit, owner_agency=police, text="Police action")
    client.force_login(member(audit, Membership.Role.COORDINATOR, agency=housing))
    page = client.get(reverse("my_actions")).content.decode()
    assert "Housing&#x27;s action" in page and "Police action" not in page
    plan = client.get(reverse("action_plan")).content.decode()
    # Their plan holds their agency's actions only: a link to narrow it would change nothing.
    assert "Only my agency" not in plan


def test_my_agencys_actions_tell_someone_of_no_agency_where_the_actions_are(client, audit, housing):
    ActionFactory(audit=audit, owner_agency=housing, text="Housing's action")
    client.force_login(member(audit, Membership.Role.CHAIR))
    page = plain(client.get(reverse("my_actions")))
    assert "You do not co-ordinate for an agency, so no action is yours here." in page
    assert "The composite action plan has every action you can see." in page
    assert "Clear the filters" not in page and "No actions match" not in page
    assert "Actions from every audit you can see" not in page


def test_my_agencys_actions_narrow_the_plan_of_a_coordinator_who_is_also_qa(client, audit, housing):
    police = AgencyFactory(name="Police")
    audit.agencies.add(police)
    ActionFactory(audit=audit, owner_agency=housing, text="Housing's action")
    ActionFactory(audit=audit, owner_agency=police, text="Police action")
    user = member(audit, Membership.Role.COORDINATOR, agency=housing)
    Membership.objects.create(
        user=user, partnership=audit.partnership, role=Membership.Role.QA_MEMBER
    )
    client.force_login(user)
    plan = client.get(reverse("action_plan")).content.decode()
    assert "Housing&#x27;s action" in plan and "Police action" in plan
    assert f'href="{reverse("my_actions")}">Only my agency\'s actions' in plan
    mine = client.get(reverse("my_actions")).content.decode()
    assert "Housing&#x27;s action" in mine and "Police action" not in mine
    assert f'href="{reverse("action_plan")}">Every action you can see' in mine


def test_plan_queries_do_not_grow_with_the_number_of_actions(client):
    counts = []
    for size in (1, 20):
        audit = AuditFactory()
        agency = AgencyFactory()
        audit.agencies.add(agency)
        for _ in range(size):
            ActionFactory(audit=audit, owner_agency=agency, due_date=TODAY)
        client.force_login(member(audit, Membership.Role.CHAIR))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("action_plan")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_exports_have_real_dates_and_neutralised_formulas(client, audit, housing):
    import csv
    import io

    from openpyxl import load_workbook

    ActionFactory(
        audit=audit,
        owner_agency=housing,
        due_date=datetime.date(2027, 1, 31),
        text='=HYPERLINK("http://example.org")',
        lead="+44 lead",
        intended_outcome="@SUM(A1)",
    )
    client.force_login(member(audit, Membership.Role.CHAIR))
    xlsx = client.get(reverse("action_plan_export", args=["xlsx"]))
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert row["Due date"] == datetime.datetime(2027, 1, 31)
    assert row["Action"] == '\'=HYPERLINK("http://example.org")'
    assert row["Lead"] == "'+44 lead" and row["Intended outcome"] == "'@SUM(A1)"
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    text = client.get(reverse("action_plan_export", args=["csv"])).content.decode()
    record = list(csv.DictReader(io.StringIO(text)))[0]
    assert record["Action"].startswith("'=") and record["Due date"] == "2027-01-31"
    assert client.get(reverse("action_plan_export", args=["exe"])).status_code == 404


def test_exports_hold_only_what_the_user_may_see(client, audit, housing, outsider):
    ActionFactory(audit=audit, owner_agency=housing, text="Private action")
    client.force_login(outsider)
    assert (
        "Private action"
        not in client.get(reverse("action_plan_export", args=["csv"])).content.decode()
    )


def test_a_due_by_date_before_the_due_from_date_is_said_beside_it(client, audit, housing):
    ActionFactory(audit=audit, owner_agency=housing, text="Kept in view.", due_date=days(30))
    ActionFactory(audit=audit, owner_agency=housing, text="Due before.", due_date=days(-30))
    elsewhere = AuditFactory(partnership=audit.partnership)
    ActionFactory(audit=elsewhere, owner_agency=housing, text="Another audit's.")
    client.force_login(member(audit, Membership.Role.CHAIR))
    asked = {"audit": audit.pk, "due_from": days(0).isoformat(), "due_to": days(-60).isoformat()}
    page = client.get(reverse("action_plan"), asked).content.decode()
    assert f"“Due by” is before “Due from” ({days(0):%-d %B %Y})" in page
    assert 'id="id_due_to_error"' in page and f'value="{asked["due_to"]}"' in page
    # The filters without an error still apply: this audit's, due from today.
    assert "Kept in view." in page
    assert "Due before." not in page and "Another audit" not in page
    exported = client.get(reverse("action_plan_export", args=["csv"]), asked).content.decode()
    assert "Kept in view." in exported and "Another audit" not in exported


def test_the_plan_filter_keeps_the_chosen_audit_and_agency_selected(client, audit, housing):
    ActionFactory(audit=audit, owner_agency=housing)
    client.force_login(member(audit, Membership.Role.CHAIR))
    page = client.get(
        reverse("action_plan"), {"audit": audit.pk, "owner_agency": housing.pk}
    ).content.decode()
    assert f'<option value="{audit.pk}" selected>' in page
    assert f'<option value="{housing.pk}" selected>' in page


def test_audits_of_one_theme_are_told_apart_in_the_filter_and_the_pdf(
    client, audit, housing, tmp_path
):
    audit.meeting_date = datetime.date(2026, 3, 4)
    audit.save()
    again = AuditFactory(partnership=audit.partnership, theme=audit.theme, title=audit.title)
    again.meeting_date = datetime.date(2027, 5, 6)
    again.save()
    reaudit = AuditFactory(
        partnership=audit.partnership, theme=audit.theme, title=audit.title, reaudit_of=audit
    )
    ActionFactory(audit=audit, owner_agency=housing)
    client.force_login(member(audit, Membership.Role.CHAIR))
    page = client.get(reverse("action_plan")).content.decode()
    name = f"{audit.theme.name} — {audit.title}".replace("'", "&#x27;")
    assert f'<option value="{audit.pk}">{name} (meeting 4 March 2026)</option>' in page
    assert f'<option value="{again.pk}">{name} (meeting 6 May 2027)</option>' in page
    reaudit_name = f"{audit.theme.name} (re-audit) — {audit.title}".replace("'", "&#x27;")
    assert f'<option value="{reaudit.pk}">{reaudit_name}</option>' in page
    pdf = client.get(reverse("action_plan_pdf"), {"audit": audit.pk}, follow=True).content
    assert "(meeting 4 March 2026)" in " ".join(pdf_text(pdf, tmp_path).split())


def test_an_update_cannot_be_dated_before_the_audits_meeting(client, audit, housing, action):
    audit.meeting_date = datetime.date(2026, 3, 4)
    audit.save()
    client.force_login(member(audit, Membership.Role.COORDINATOR, agency=housing))
    url = reverse("action_detail", args=[action.pk])
    data = {
        "text": "Typed text kept.",
        "status": "in_progress",
        "loaded_version": version_of(action),
    }
    response = client.post(url, {**data, "date": "1900-01-01"})
    assert response.status_code == 422
    body = response.content.decode()
    assert "before the audit&#x27;s meeting, where its actions were agreed, on 4 March 2026" in body
    assert "Typed text kept." in body and 'value="1900-01-01"' in body
    assert not ActionUpdate.objects.exists()
    assert client.post(url, {**data, "date": "2026-03-04"}).status_code == 302


def test_an_action_added_before_the_meeting_takes_updates_from_the_day_it_was_added(
    client, audit, housing, action
):
    added = timezone.localdate(action.created_at)
    audit.meeting_date = added + datetime.timedelta(days=60)  # the plan went out early
    audit.save()
    client.force_login(member(audit, Membership.Role.COORDINATOR, agency=housing))
    url = reverse("action_detail", args=[action.pk])
    data = {"text": "Started early.", "status": "in_progress"}
    day_before = added - datetime.timedelta(days=1)
    refused = client.post(url, {**data, "date": day_before, "loaded_version": version_of(action)})
    assert refused.status_code == 422
    said = f"before the action was added to the plan, on {added.day} {added:%B %Y}"
    assert said in refused.content.decode()
    posted = client.post(url, {**data, "date": added, "loaded_version": version_of(action)})
    assert posted.status_code == 302


def test_an_update_cannot_be_dated_in_the_future(client, audit, housing, action):
    client.force_login(member(audit, Membership.Role.COORDINATOR, agency=housing))
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client.post(
        reverse("action_detail", args=[action.pk]),
        {
            "date": tomorrow.isoformat(),
            "text": "Typed text kept.",
            "status": "in_progress",
            "at_risk": "on",
            "loaded_version": version_of(action),
        },
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "The update&#x27;s date cannot be in the future." in body
    assert "Typed text kept." in body and f'value="{tomorrow.isoformat()}"' in body
    assert not ActionUpdate.objects.exists()
    action.refresh_from_db()
    assert (action.status, action.at_risk) == ("not_started", False)


def test_updates_are_listed_by_their_date_however_they_were_entered(client, audit, housing, action):
    client.force_login(member(audit, Membership.Role.COORDINATOR, agency=housing))
    url = reverse("action_detail", args=[action.pk])
    today = timezone.localdate()
    for date, text in [(today, "Entered first, dated today."), (days(-300), "Back-dated.")]:
        action.refresh_from_db()
        data = {"date": date.isoformat(), "text": text, "status": "in_progress"}
        response = client.post(url, {**data, "loaded_version": version_of(action)})
        assert response.status_code == 302
    page = client.get(url).content.decode()
    assert page.index("Back-dated.") < page.index("Entered first, dated today.")
    assert "By the date of each update, oldest first." in page


def test_exports_say_which_open_actions_are_at_risk_as_the_pdf_does(client, audit, housing):
    import csv
    import io

    from openpyxl import load_workbook

    for text, status, at_risk in [
        ("Flagged", "in_progress", True),
        ("On track", "in_progress", False),
        ("Done", "complete", True),  # the flag left on once signed off is not shown
    ]:
        ActionFactory(audit=audit, owner_agency=housing, text=text, status=status, at_risk=at_risk)
    client.force_login(member(audit, Membership.Role.CHAIR))
    expected = {"Flagged": "Yes", "On track": "", "Done": ""}  # as "In progress, at risk"

    xlsx = client.get(reverse("action_plan_export", args=["xlsx"]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    header = [c.value for c in sheet[1]]
    assert header[:11] == [
        "Audit", "Recommendation", "Action", "Intended outcome", "How impact will be measured",
        "Owner agency", "Lead", "Due date", "Status", "RAG", "Outcome",
    ]  # fmt: skip
    assert header[11] == "At risk"
    assert sheet.oddHeader.center.text == (audit.protective_marking or "OFFICIAL-SENSITIVE")
    rows = [dict(zip(header, [c.value for c in row], strict=True)) for row in sheet.iter_rows(2)]
    assert {row["Action"]: row["At risk"] or "" for row in rows} == expected
    assert {row["Action"]: row["Status"] for row in rows}["Flagged"] == "In progress"

    text = client.get(reverse("action_plan_export", args=["csv"])).content.decode()
    records = list(csv.DictReader(io.StringIO(text)))
    assert {record["Action"]: record["At risk"] for record in records} == expected


def test_csv_downloads_start_with_a_byte_order_mark_so_excel_reads_utf8(client, audit, housing):
    """Excel on Windows shows "Children’s" and not "Childrenâ€™s" only with the mark."""
    from .factories import ActionFactory

    agency = AgencyFactory(name="Children’s Social Care")
    audit.agencies.add(agency)
    ActionFactory(audit=audit, owner_agency=agency, text="Share the plan.")
    client.force_login(member(audit, Membership.Role.CHAIR))
    downloads = [
        client.get(reverse("action_plan_export", args=["csv"])),
        client.get(reverse("access_log"), {"format": "csv"}),
        client.get(reverse("chronology_template", args=[audit.pk, "csv"])),
    ]
    for response in downloads:
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response.content.startswith(b"\xef\xbb\xbf")
        assert response["Content-Disposition"].startswith("attachment; filename=")
    assert "Children’s Social Care" in downloads[0].content.decode("utf-8-sig")


def test_a_coordinator_loses_their_agencys_actions_when_it_leaves_the_audit(
    client, audit, housing, action
):
    own = member(audit, Membership.Role.COORDINATOR, agency=housing)
    client.force_login(own)
    detail = reverse("action_detail", args=[action.pk])
    export = reverse("action_plan_export", args=["csv"])
    assert client.get(detail).status_code == 200
    assert action.text in client.get(export).content.decode()

    audit.agencies.remove(housing)
    assert client.get(reverse("audit_detail", args=[audit.pk])).status_code == 404
    assert client.get(detail).status_code == 404
    assert action.text not in client.get(export).content.decode()
    assert action.text not in client.get(reverse("action_plan")).content.decode()


def action_as_saved(action) -> dict:
    """The chair's edit form as it opens on `action`."""
    return {
        "text": action.text,
        "intended_outcome": action.intended_outcome,
        "impact_measure": action.impact_measure,
        "owner_agency": action.owner_agency_id,
        "lead": action.lead,
        "due_date": action.due_date.isoformat(),
        "loaded_version": version_of(action),
    }


def test_saving_an_action_unchanged_keeps_no_history_entry_and_says_so(
    client, audit, housing, action
):
    client.force_login(member(audit, Membership.Role.CHAIR))
    url = reverse("action_edit", args=[action.pk])
    version = version_of(action)
    page = client.post(url, action_as_saved(action), follow=True).content.decode()
    assert "Nothing changed, so nothing was saved." in page
    assert "Edited by" not in page
    action.refresh_from_db()
    assert action.history.count() == 1 and version_of(action) == version

    edited = {**action_as_saved(action), "text": "Train every housing officer."}
    page = client.post(url, edited, follow=True).content.decode()
    assert "The action was saved." in page
    # Named once: "Edited by the chair by …" no more.
    edited_by = re.findall(r"Edited by ([^:<]+):", html.unescape(page))
    assert edited_by == [str(action.audit.partnership.memberships.get(role="chair").user)]
    assert "the action's wording changed" in html.unescape(page)
    assert action.history.count() == 2


def test_a_reopened_action_shows_no_outcome_anywhere_until_it_is_signed_off_again(
    client, audit, housing, action
):
    from actions.services import action_reopen

    chair = member(audit, Membership.Role.CHAIR)
    client.force_login(chair)
    client.post(
        reverse("action_complete", args=[action.pk]),
        {
            "outcome_statement": "Training delivered to 40 staff.",
            "loaded_version": version_of(action),
        },
    )
    csv_url = reverse("action_plan_export", args=["csv"])
    assert "Training delivered to 40 staff." in client.get(csv_url).content.decode("utf-8-sig")
    action.refresh_from_db()
    action_reopen(action=action, user=chair)

    assert "Training delivered to 40 staff." not in client.get(csv_url).content.decode("utf-8-sig")
    detail = plain(client.get(reverse("action_detail", args=[action.pk])))
    assert "Training delivered" not in detail
    assert "the outcome statement added" in detail  # written at the first sign-off
    # Signing it off again starts from the words of the last sign-off.
    form = client.get(reverse("action_complete", args=[action.pk])).content.decode()
    assert "Training delivered to 40 staff.</textarea>" in form


def test_an_update_sent_after_the_chair_signed_the_action_off_is_given_back_not_lost(
    client, audit, housing, action
):
    from actions.services import action_complete

    client.force_login(member(audit, Membership.Role.COORDINATOR, agency=housing))
    opened = version_of(action)
    action_complete(
        action=action, user=member(audit, Membership.Role.CHAIR), outcome_statement="Done."
    )
    response = client.post(
        reverse("action_detail", args=[action.pk]),
        {
            "date": "2026-11-20",
            "text": "Sign-in sheet <attached>.",
            "status": "in_progress",
            "loaded_version": opened,
        },
    )
    assert response.status_code == 409
    said = plain(response)
    assert (
        "This action was complete after you opened the page, so it takes no more updates and "
        "yours was not added. What you typed is below, to keep elsewhere." in said
    )
    assert "Sign-in sheet &lt;attached&gt;.</textarea>" in response.content.decode()
    assert "Someone else changed" not in said
    assert not ActionUpdate.objects.exists()
    # The page showed the action: it is in the access log as a look.
    from maca.models import AccessLogEntry

    look = AccessLogEntry.objects.get(what="action_detail")
    assert look.action == AccessLogEntry.Action.VIEW


def test_the_same_update_sent_again_from_a_page_fetched_afresh_is_added_once(
    client, audit, housing, action
):
    client.force_login(member(audit, Membership.Role.COORDINATOR, agency=housing))
    url = reverse("action_detail", args=[action.pk])
    typed = {"date": "2026-11-20", "text": "Protocol drafted.", "status": "in_progress"}

    def send(token, **changed):
        action.refresh_from_db()  # the page fetched afresh carries the action's version now
        return client.post(
            url, {**typed, **changed, "loaded_version": version_of(action), "form_token": token}
        )

    assert send("first-page").status_code == 302
    client.get(url)  # the first answer's page, with its message
    again = send("page-fetched-again")
    assert ActionUpdate.objects.count() == 1
    page = plain(client.get(again.url))
    assert "This update was already added: it is not added twice." in page
    assert "Your update was added." not in page
    send("another", text="Protocol agreed.")
    assert ActionUpdate.objects.count() == 2
    # The same words sent again with the risk flag now ticked: the flag is what was sent.
    send("at-risk-now", text="Protocol agreed.", at_risk="on")
    action.refresh_from_db()
    assert action.at_risk and ActionUpdate.objects.count() == 3
