"""Where the briefing was used: co-ordinators record sessions, the chair sees each agency's and who
is silent, reminders go to the silent, and the records export safely."""

import csv
import datetime
import html
import io
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from cases.services.reminders import due_reminders_send
from findings.models import BriefingVersion, UsageRecord
from findings.usage import usage_reminders
from maca.models import Membership

from .conftest import member
from .factories import AgencyFactory, CaseFactory, StrengthFactory

pytestmark = pytest.mark.django_db
Role = Membership.Role


@pytest.fixture
def published(audit, chair):
    """A published briefing; Housing and Police take part, each with a co-ordinator."""
    housing, police = AgencyFactory(name="Housing"), AgencyFactory(name="Police")
    audit.agencies.add(housing, police)
    StrengthFactory(case=CaseFactory(audit=audit))
    BriefingVersion.objects.create(  # published a year ago: sessions are dated after it
        audit=audit,
        number=1,
        published_at=timezone.now() - datetime.timedelta(days=365),
        html="",
        pdf=b"",
        sha256="0" * 64,
    )
    people = {
        "housing": member(audit, Role.COORDINATOR, housing, email="housing@example.org"),
        "police": member(audit, Role.COORDINATOR, police, email="police@example.org"),
    }
    return audit, {"housing": housing, "police": police}, people


def record(client, audit, agency, **overrides):
    data = {
        "agency": agency.pk,
        "date": (timezone.localdate() - datetime.timedelta(days=3)).isoformat(),
        "team": "Tenancy officers",
        "staff_count": "12",
        "reflection": "Tell Early Help the day notice is served.",
        **overrides,
    }
    return client.post(reverse("usage", args=[audit.pk]), data)


def test_a_coordinator_records_a_session_for_their_agency(client, published):
    audit, agencies, people = published
    client.force_login(people["housing"])
    response = record(client, audit, agencies["housing"])
    assert response.status_code == 302
    use = UsageRecord.objects.get()
    assert (use.agency, use.staff_count, use.recorded_by) == (
        agencies["housing"],
        12,
        people["housing"],
    )
    # Another agency's: not a choice they have.
    response = record(client, audit, agencies["police"])
    assert response.status_code == 422
    assert UsageRecord.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date", "2099-01-01", "The date cannot be in the future."),
        ("date", "0001-01-01", "The briefing was first published on "),
        ("staff_count", "-3", "Enter how many staff took part: at least one."),
        ("staff_count", "0", "Enter how many staff took part: at least one."),
        ("staff_count", "a dozen", "Enter the number of staff as a whole number, such as 12."),
        ("staff_count", "", "Enter how many staff took part."),
        ("team", "   ", "Enter the team or setting."),
        ("team", "\u200b\u2060 \u200b", "Enter the team or setting."),  # invisible alone
    ],
)
def test_bad_input_gets_a_message_beside_the_field_and_keeps_what_was_typed(
    client, published, field, value, message
):
    audit, agencies, people = published
    client.force_login(people["housing"])
    response = record(client, audit, agencies["housing"], **{field: value})
    assert response.status_code == 422
    page = response.content.decode()
    assert message in page
    assert 'id="error-summary"' in page and f'href="#id_{field}"' in page
    assert "Tell Early Help the day notice is served." in page  # nothing typed is lost
    assert not UsageRecord.objects.exists()


def test_a_team_is_kept_without_invisible_characters_so_two_alike_read_as_one(client, published):
    audit, agencies, people = published
    client.force_login(people["housing"])
    record(client, audit, agencies["housing"], team="Early\u200b Help  team\u2060 north")
    assert UsageRecord.objects.get().team == "Early Help team north"


def test_a_team_of_invisible_characters_is_refused_with_the_other_problems_at_once(
    client, published
):
    audit, agencies, people = published
    client.force_login(people["housing"])
    response = record(
        client, audit, agencies["housing"], team="\u200b\u200b", date="", staff_count=""
    )
    page = response.content.decode()
    for field in ("team", "date", "staff_count"):
        assert f'href="#id_{field}"' in page  # each in the error summary, in one answer
    assert "Enter the team or setting." in page


def test_the_chair_chooses_the_agency_and_a_coordinator_has_theirs_chosen(client, published, chair):
    audit, agencies, people = published
    client.force_login(chair)
    page = client.get(reverse("usage", args=[audit.pk])).content.decode()
    assert '<option value="" selected>Choose the agency</option>' in page
    response = record(client, audit, AgencyFactory.build(pk=""))
    assert response.status_code == 422
    assert "Choose the agency whose staff used it." in response.content.decode()
    assert not UsageRecord.objects.exists()
    client.force_login(people["housing"])
    page = client.get(reverse("usage", args=[audit.pk])).content.decode()
    assert "Choose the agency" not in page
    assert f'<option value="{agencies["housing"].pk}">Housing</option>' in page  # the only one


def test_a_future_date_is_refused_by_the_service_too(published, chair):
    from django.core.exceptions import ValidationError

    from findings.services import usage_record

    audit, agencies, _ = published
    with pytest.raises(ValidationError, match="future"):
        usage_record(
            audit=audit,
            agency=agencies["housing"],
            user=chair,
            date=timezone.localdate() + datetime.timedelta(days=1),
            team="Team",
            staff_count=3,
            reflection="",
        )


def test_nothing_is_recorded_before_the_briefing_is_published(client, published):
    audit, agencies, people = published
    audit.briefing_versions.all().delete()
    audit.briefing_published_at = None
    audit.save()
    client.force_login(people["housing"])
    page = client.get(reverse("usage", args=[audit.pk])).content.decode()
    assert "Uses of the briefing can be recorded once it is published." in page
    assert record(client, audit, agencies["housing"]).status_code == 404
    assert not UsageRecord.objects.exists()


def test_before_the_briefing_is_published_the_chair_sees_no_noughts_nor_empty_downloads(
    client, published, chair
):
    audit, _, _ = published
    audit.briefing_versions.all().delete()
    audit.briefing_published_at = None
    audit.save()
    client.force_login(chair)
    page = client.get(reverse("usage", args=[audit.pk])).content.decode()
    assert "Uses of the briefing can be recorded once it is published." in page
    assert "By agency" not in page and "All agencies" not in page
    assert "No sessions recorded yet." not in page
    assert reverse("usage_export", args=[audit.pk, "csv"]) not in page
    assert reverse("usage_export", args=[audit.pk, "xlsx"]) not in page


def test_the_chair_sees_each_agencys_sessions_and_who_is_silent(client, published, chair, settings):
    audit, agencies, people = published
    settings.MACA_USAGE_REMINDER_WEEKS = 6
    type(audit).objects.filter(pk=audit.pk).update(briefing_published_at=timezone.now())
    for staff in (12, 8):
        UsageRecord.objects.create(
            audit=audit,
            agency=agencies["housing"],
            date=timezone.localdate(),
            team="Officers",
            staff_count=staff,
        )
    client.force_login(chair)
    page = client.get(reverse("usage", args=[audit.pk])).content.decode()
    assert "recorded nothing" not in page  # published today: not yet silent
    seven_weeks_ago = timezone.now() - datetime.timedelta(weeks=7)
    type(audit).objects.filter(pk=audit.pk).update(briefing_published_at=seven_weeks_ago)
    page = client.get(reverse("usage", args=[audit.pk])).content.decode()
    assert "1 agency has recorded nothing</strong> 6 weeks after" in page
    assert "Police" in page.split("recorded nothing")[1].split("</p>")[0]
    housing_row = page.split('<th scope="row" class="fw-normal">Housing</th>')[1].split("</tr>")[0]
    assert '<td class="text-end">2</td><td class="text-end">20</td>' in housing_row
    # A co-ordinator sees their own agency's sessions only.
    client.force_login(people["police"])
    page = client.get(reverse("usage", args=[audit.pk])).content.decode()
    assert "Officers" not in page and "By agency" not in page


def test_send_reminders_reminds_silent_agencies_once_after_the_set_weeks(published, settings):
    audit, agencies, people = published
    settings.MACA_USAGE_REMINDER_WEEKS = 6
    type(audit).objects.filter(pk=audit.pk).update(briefing_published_at=timezone.now())
    UsageRecord.objects.create(
        audit=audit, agency=agencies["housing"], date=timezone.localdate(), team="T", staff_count=1
    )
    today = timezone.localdate()
    assert list(usage_reminders(today)) == []  # published today
    later = today + datetime.timedelta(weeks=6)
    reminders = list(usage_reminders(later))
    assert [r.user for r in reminders] == [people["police"]]
    assert "Police has not yet recorded" in reminders[0].body
    assert reminders[0].subject == (
        f"Where has your agency used the briefing on {audit.theme.name}? — {audit.partnership.name}"
    )
    # Its published version has no 7-minute briefing: the email speaks of the briefing alone.
    assert (
        f"The briefing from {audit.partnership.name}'s multi-agency case audit \""
        in reminders[0].body
    )
    assert "7-minute" not in reminders[0].body
    BriefingVersion.objects.filter(audit=audit).update(seven_minute_sha256="1" * 64)
    (with_seven,) = usage_reminders(later)
    assert (
        f"The briefing and 7-minute briefing from {audit.partnership.name}'s multi-agency case"
        in with_seven.body
    )
    # Only the latest version counts: one published since without it speaks of the briefing.
    first = BriefingVersion.objects.get(audit=audit)
    BriefingVersion.objects.create(
        audit=audit, number=2, published_at=first.published_at, html="", pdf=b"", sha256="2" * 64
    )
    (latest,) = usage_reminders(later)
    assert "7-minute" not in latest.body
    mail.outbox.clear()
    due_reminders_send(today=later, sources=[usage_reminders])
    due_reminders_send(today=later + datetime.timedelta(days=1), sources=[usage_reminders])
    assert [m.to for m in mail.outbox] == [["police@example.org"]]


def test_the_records_export_as_csv_and_xlsx_with_formulas_neutralised(client, published, chair):
    audit, agencies, _ = published
    UsageRecord.objects.create(
        audit=audit,
        agency=agencies["police"],
        date=datetime.date(2026, 3, 4),
        team='=HYPERLINK("http://example.org")',
        staff_count=5,
        reflection="+1 for the new checklist",
    )
    client.force_login(chair)
    response = client.get(reverse("usage_export", args=[audit.pk, "csv"]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "Agency",
        "Date used",
        "Briefing used",
        "Team or setting",
        "Number of staff",
        "What will we do differently?",
    ]
    assert rows[1] == [
        "Police",
        "2026-03-04",
        "Not recorded",  # recorded before MACA asked which briefing
        '\'=HYPERLINK("http://example.org")',
        "5",
        "'+1 for the new checklist",
    ]
    response = client.get(reverse("usage_export", args=[audit.pk, "xlsx"]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["D2"].value.startswith("'=") and sheet["E2"].value == 5
    assert sheet["B2"].value.date() == datetime.date(2026, 3, 4)
    assert client.get(reverse("usage_export", args=[audit.pk, "pdf"])).status_code == 404


# Correcting and deleting a recorded session ------------------------------------------------


def a_session(audit, agency, **fields):
    values = {
        "date": datetime.date(2026, 3, 3),
        "team": "Tenancy oficers",
        "staff_count": 12,
        "reflection": "Tell Early Help the day notice is served.",
        "briefing": UsageRecord.Briefing.SIX_STEP,  # the only briefing there is to use
        **fields,
    }
    return UsageRecord.objects.create(audit=audit, agency=agency, **values)


def edit_url(use):
    return reverse("usage_edit", args=[use.audit_id, use.pk])


def delete_url(use):
    return reverse("usage_delete", args=[use.audit_id, use.pk])


def corrected(client, use, **changes):
    """The edit form as the page fills it in, with `changes` typed over it."""
    from .test_one_press import form_on

    fields = form_on(client, edit_url(use))
    return client.post(edit_url(use), {**fields, **changes})


def test_the_list_offers_to_edit_and_delete_each_session_naming_which(client, published, chair):
    audit, agencies, people = published
    a_session(audit, agencies["housing"])
    a_session(audit, agencies["police"], date=datetime.date(2026, 2, 9))
    a_session(audit, agencies["housing"], team="Tenancy officers (south)")
    client.force_login(people["housing"])
    page = client.get(reverse("usage", args=[audit.pk])).content.decode()
    # Two sessions of one agency on one day: told apart by their teams.
    for which in ("Tenancy oficers", "Tenancy officers (south)"):
        named = f"the use on 3 March 2026 by Housing, {which}</span>"
        assert f'Edit<span class="visually-hidden"> {named}' in page
        assert f'Delete<span class="visually-hidden"> {named}' in page
    client.force_login(chair)
    page = client.get(reverse("usage", args=[audit.pk])).content.decode()
    assert 'Edit<span class="visually-hidden"> the use on 9 February 2026 by Police' in page

    # Two sessions of one team on one day: numbered.
    a_session(audit, agencies["housing"], team="Tenancy officers (south)")
    page = client.get(reverse("usage", args=[audit.pk])).content.decode()
    for number in (1, 2):
        named = f"by Housing, Tenancy officers (south), session {number}</span>"
        assert f'Edit<span class="visually-hidden"> the use on 3 March 2026 {named}' in page
    assert "Tenancy oficers, session" not in page


def test_a_coordinator_corrects_their_agencys_session(client, published):
    audit, agencies, people = published
    use = a_session(audit, agencies["housing"])
    client.force_login(people["housing"])
    form = client.get(edit_url(use)).content.decode()
    assert 'value="Tenancy oficers"' in form and 'value="2026-03-03"' in form
    response = corrected(client, use, team="Tenancy officers", staff_count="14")
    assert response.status_code == 302 and response["Location"] == reverse("usage", args=[audit.pk])
    use.refresh_from_db()
    assert (use.team, use.staff_count, use.recorded_by) == ("Tenancy officers", 14, None)
    page = client.get(reverse("usage", args=[audit.pk])).content.decode()
    assert "The session was saved." in page and "Tenancy officers" in page


def test_a_session_dated_before_publishing_stays_correctable_until_its_date_is_changed(
    client, published
):
    """An imported session may predate the briefing's publication in MACA."""
    audit, agencies, people = published
    use = a_session(audit, agencies["housing"], date=datetime.date(2020, 1, 6))
    client.force_login(people["housing"])
    assert corrected(client, use, staff_count="9").status_code == 302
    refused = corrected(client, use, date="2020-01-07")
    assert refused.status_code == 422 and "The briefing was first published on " in refused.text


def test_a_correction_with_bad_input_says_so_beside_the_field_and_keeps_what_was_typed(
    client, published
):
    audit, agencies, people = published
    use = a_session(audit, agencies["housing"])
    client.force_login(people["housing"])
    response = corrected(client, use, staff_count="a dozen", reflection="Ring the duty team.")
    page = response.content.decode()
    assert response.status_code == 422
    assert 'href="#id_staff_count"' in page
    assert "Enter the number of staff as a whole number, such as 12." in page
    assert "Ring the duty team." in page
    use.refresh_from_db()
    assert use.staff_count == 12


def corrected_by_someone_else(use, *, staff_count: int) -> None:
    """Another person's correction of `use`, saved after this page was opened."""
    from findings.services import usage_record_update

    usage_record_update(
        record=UsageRecord.objects.get(pk=use.pk),
        agency=use.agency,
        date=use.date,
        team="Tenancy officers (north)",
        staff_count=staff_count,
        reflection=use.reflection,
        briefing=use.briefing,
    )


def test_a_correction_over_someone_elses_is_refused_and_keeps_what_was_typed(client, published):
    from .test_one_press import form_on

    audit, agencies, people = published
    use = a_session(audit, agencies["housing"])
    client.force_login(people["housing"])
    fields = form_on(client, edit_url(use))
    corrected_by_someone_else(use, staff_count=12)
    response = client.post(edit_url(use), {**fields, "team": "Tenancy officers, south"})
    page = response.content.decode()
    assert response.status_code == 422
    assert "Someone else changed this session while you were editing" in page
    assert 'value="Tenancy officers, south"' in page  # what they typed
    assert "Tenancy officers (north)" in page  # what is saved now
    use.refresh_from_db()
    assert use.team == "Tenancy officers (north)"


def test_a_coordinator_deletes_their_agencys_session_after_confirming(client, published):
    audit, agencies, people = published
    use = a_session(audit, agencies["housing"])
    client.force_login(people["housing"])
    page = client.get(delete_url(use)).content.decode()
    assert "Delete the use on 3 March 2026 by Housing?" in page
    assert UsageRecord.objects.filter(pk=use.pk).exists()  # asking deletes nothing
    response = client.post(delete_url(use))
    assert response.status_code == 302
    assert not UsageRecord.objects.filter(pk=use.pk).exists()
    page = client.get(reverse("usage", args=[audit.pk])).content.decode()
    assert "The session was deleted." in page and "No sessions recorded yet." in page


def test_the_chair_corrects_and_deletes_any_agencys_session(client, published, chair):
    audit, agencies, _ = published
    use = a_session(audit, agencies["police"])
    client.force_login(chair)
    assert corrected(client, use, staff_count="9").status_code == 302
    use.refresh_from_db()
    assert use.staff_count == 9
    assert client.post(delete_url(use)).status_code == 302
    assert not UsageRecord.objects.exists()


def test_a_correction_and_a_deletion_each_keep_who_made_them_and_when(client, published, chair):
    audit, agencies, people = published
    use = a_session(audit, agencies["housing"])
    client.force_login(people["housing"])
    before = timezone.now()
    assert corrected(client, use, staff_count="14").status_code == 302
    client.force_login(chair)
    assert client.post(delete_url(use)).status_code == 302
    kept = UsageRecord.history.filter(id=use.pk).order_by("history_date")
    assert [(k.get_history_type_display(), k.history_user, k.staff_count) for k in kept] == [
        ("Created", None, 12),
        ("Changed", people["housing"], 14),
        ("Deleted", chair, 14),
    ]
    assert all(k.history_date >= before for k in kept[1:])


def test_another_agencys_coordinator_and_a_non_member_find_neither_page(
    client, published, outsider
):
    audit, agencies, people = published
    use = a_session(audit, agencies["housing"])
    for person in (people["police"], outsider, member(audit, Role.QA_MEMBER)):
        client.force_login(person)
        for url in (edit_url(use), delete_url(use)):
            assert client.get(url).status_code == 404
            assert client.post(url, {"team": "Changed", "staff_count": "1"}).status_code == 404
    use.refresh_from_db()
    assert (use.team, use.staff_count) == ("Tenancy oficers", 12)


def test_deleting_a_session_twice_deletes_it_once_and_shows_the_sessions(client, published):
    from .test_one_press import assert_same_answer, press_twice, said

    audit, agencies, people = published
    use = a_session(audit, agencies["housing"])
    a_session(audit, agencies["housing"], team="Income team")
    client.force_login(people["housing"])
    first, second = press_twice(client, delete_url(use))
    assert_same_answer(first, second)
    assert said(second) == ["The session was deleted."]
    assert list(UsageRecord.objects.values_list("team", flat=True)) == ["Income team"]


def test_the_boards_report_counts_the_corrected_sessions(client, published, chair):
    from learning.report import assurance_context

    audit, agencies, people = published
    use = a_session(audit, agencies["housing"])
    a_session(audit, agencies["housing"], staff_count=3)

    def counted():
        context = assurance_context(chair, partnership=audit.partnership)
        [row] = [row for row in context["practice"] if row.audit.pk == audit.pk]
        return row.sessions, row.staff, row.agencies_used

    assert counted() == (2, 15, 1)
    client.force_login(chair)
    corrected(client, use, agency=str(agencies["police"].pk), staff_count="20")
    assert counted() == (2, 23, 2)
    client.post(delete_url(use))
    assert counted() == (1, 3, 1)


def test_the_chair_corrects_and_deletes_a_session_of_an_agency_taken_out_of_the_audit(
    client, published, chair
):
    audit, agencies, people = published
    use = a_session(audit, agencies["police"], team="Response officers")
    audit.agencies.remove(agencies["police"])
    client.force_login(chair)
    page = client.get(reverse("usage", args=[audit.pk])).content.decode()
    assert 'Edit<span class="visually-hidden"> the use on 3 March 2026 by Police' in page
    assert 'Delete<span class="visually-hidden"> the use on 3 March 2026 by Police' in page
    form = client.get(edit_url(use)).content.decode()
    assert "Police no longer takes part in this audit" in form
    assert '<option value="">Choose an agency</option>' in form
    assert f'value="{agencies["police"].pk}"' not in form  # not offered again
    # Saved only under an agency taking part, chosen on purpose.
    response = corrected(client, use, staff_count="9")
    assert response.status_code == 422
    assert "Choose an agency taking part in this audit." in response.content.decode()
    response = corrected(client, use, agency=str(agencies["housing"].pk), staff_count="9")
    assert response.status_code == 302
    use.refresh_from_db()
    assert (use.agency, use.staff_count) == (agencies["housing"], 9)

    other = a_session(audit, agencies["police"], team="Custody suite")
    from .test_one_press import form_on

    response = client.post(delete_url(other), form_on(client, delete_url(other)))
    assert response.status_code == 302
    assert not UsageRecord.objects.filter(pk=other.pk).exists()


def test_the_former_coordinator_of_an_agency_taken_out_finds_neither_page(client, published):
    audit, agencies, people = published
    use = a_session(audit, agencies["police"])
    audit.agencies.remove(agencies["police"])
    client.force_login(people["police"])
    for url in (edit_url(use), delete_url(use)):
        assert client.get(url).status_code == 404
        assert client.post(url, {"team": "Changed", "staff_count": "1"}).status_code == 404
    assert UsageRecord.objects.filter(pk=use.pk, team="Tenancy oficers").exists()


def test_deleting_a_session_corrected_after_the_page_was_opened_is_refused(client, published):
    from .test_one_press import form_on

    audit, agencies, people = published
    use = a_session(audit, agencies["housing"])
    client.force_login(people["housing"])
    confirm = form_on(client, delete_url(use))
    corrected_by_someone_else(use, staff_count=30)
    response = client.post(delete_url(use), confirm)
    page = response.content.decode()
    assert response.status_code == 422
    assert "Someone else changed this session after you opened the page" in page
    assert "Tenancy officers (north)" in page and ">30<" in page  # as it is now
    assert UsageRecord.objects.filter(pk=use.pk).exists()
    # Confirmed again on the session as it is now: deleted.
    assert client.post(delete_url(use), form_on(client, delete_url(use))).status_code == 302
    assert not UsageRecord.objects.filter(pk=use.pk).exists()


def test_a_correction_of_a_session_deleted_meanwhile_keeps_what_was_typed(client, published):
    from findings.services import usage_record_delete

    from .test_one_press import FormReader, form_on

    audit, agencies, people = published
    use = a_session(audit, agencies["housing"])
    client.force_login(people["housing"])
    fields = form_on(client, edit_url(use))
    usage_record_delete(record=use)
    typed = {**fields, "team": "Tenancy officers, south", "reflection": "Ring the duty team."}
    response = client.post(edit_url(use), typed)
    page = response.content.decode()
    assert response.status_code == 422
    assert "This session was deleted or moved by someone else; nothing was saved." in page
    assert 'value="Tenancy officers, south"' in page and "Ring the duty team." in page
    assert not UsageRecord.objects.exists()
    # What was typed may be recorded afresh from the same page.
    assert "Record it as a new session" in page
    reader = FormReader(reverse("usage", args=[audit.pk]), edit_url(use))
    reader.feed(page)
    assert client.post(reverse("usage", args=[audit.pk]), reader.fields).status_code == 302
    assert UsageRecord.objects.get().team == "Tenancy officers, south"


def test_a_correction_of_a_session_moved_to_another_agency_reveals_nothing_of_it(client, published):
    from findings.services import usage_record_update

    from .test_one_press import form_on

    audit, agencies, people = published
    use = a_session(audit, agencies["housing"])
    client.force_login(people["housing"])
    fields = form_on(client, edit_url(use))
    usage_record_update(
        record=UsageRecord.objects.get(pk=use.pk),
        agency=agencies["police"],
        date=use.date,
        team="Custody suite",
        staff_count=4,
        reflection="Brief the night shift.",
        briefing=use.briefing,
    )
    response = client.post(edit_url(use), {**fields, "team": "Tenancy officers, south"})
    page = response.content.decode()
    assert response.status_code == 422
    assert "This session was deleted or moved by someone else; nothing was saved." in page
    assert 'value="Tenancy officers, south"' in page
    assert "Custody suite" not in page and "Brief the night shift." not in page
    assert "Police" not in page
    use.refresh_from_db()
    assert (use.agency, use.team) == (agencies["police"], "Custody suite")


def test_a_correction_to_a_session_someone_lost_the_audit_of_is_not_found(client, published):
    from .test_one_press import form_on

    audit, agencies, people = published
    use = a_session(audit, agencies["police"])
    client.force_login(people["police"])
    url = edit_url(use)
    fields = form_on(client, url)
    use.delete()
    audit.agencies.remove(agencies["police"])
    assert client.post(url, {**fields, "team": "Changed"}).status_code == 404


def test_saving_a_session_unchanged_says_so_and_leaves_others_forms_valid(client, published):
    from .test_one_press import form_on

    audit, agencies, people = published
    use = a_session(audit, agencies["housing"])
    version = use.updated_at
    client.force_login(people["housing"])
    theirs = form_on(client, edit_url(use))  # another tab, opened first
    response = corrected(client, use)
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert 'alert alert-info" role="status">Nothing changed, so nothing was saved.' in page
    use.refresh_from_db()
    assert use.updated_at == version
    response = client.post(edit_url(use), {**theirs, "staff_count": "14"})
    assert response.status_code == 302
    use.refresh_from_db()
    assert use.staff_count == 14


def test_the_same_session_sent_again_from_a_page_fetched_afresh_is_recorded_once(client, published):
    """Back fetches the form afresh, with a new one-press token, and the browser fills it in
    again: sent again unchanged, it is the same press."""
    audit, agencies, people = published
    client.force_login(people["housing"])
    assert record(client, audit, agencies["housing"], form_token="first-page").status_code == 302
    client.get(reverse("usage", args=[audit.pk]))  # the first answer's page, with its message
    again = record(client, audit, agencies["housing"], form_token="page-fetched-again")
    assert UsageRecord.objects.count() == 1
    page = client.get(again.url).content.decode()
    assert "This session was already recorded: it is not recorded twice." in page
    assert "The session was recorded." not in page
    # Another session, by its team or its staff: recorded.
    record(client, audit, agencies["housing"], team="Night shelter staff", form_token="second")
    assert UsageRecord.objects.count() == 2


def test_the_same_session_recorded_again_over_half_an_hour_later_is_another_session(
    client, published
):
    audit, agencies, people = published
    client.force_login(people["housing"])
    record(client, audit, agencies["housing"], form_token="morning")
    UsageRecord.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=31))
    record(client, audit, agencies["housing"], form_token="afternoon")
    assert UsageRecord.objects.count() == 2
    UsageRecord.objects.filter(pk=UsageRecord.objects.latest("pk").pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=29)
    )
    record(client, audit, agencies["housing"], form_token="again")
    assert UsageRecord.objects.count() == 2


def test_with_a_7_minute_briefing_published_the_team_says_which_briefing_it_used(
    client, published, chair
):
    audit, agencies, people = published
    BriefingVersion.objects.filter(audit=audit).update(seven_minute_sha256="1" * 64)
    client.force_login(people["housing"])
    page = client.get(reverse("usage", args=[audit.pk])).content.decode()
    assert "Which briefing was used" in page
    assert "The 7-minute briefing" in page and "The 6-step briefing" in page
    missing = record(client, audit, agencies["housing"])
    assert missing.status_code == 422
    assert "Say which briefing the team used." in missing.content.decode()
    assert not UsageRecord.objects.exists()
    assert record(client, audit, agencies["housing"], briefing="seven_minute").status_code == 302
    assert (
        record(client, audit, agencies["housing"], briefing="both", team="Duty").status_code == 302
    )
    assert UsageRecord.objects.get(team="Tenancy officers").briefing == "seven_minute"
    # Not a briefing there is: refused beside the field.
    wrong = record(client, audit, agencies["housing"], briefing="podcast", team="Other")
    assert wrong.status_code == 422
    assert "Select a valid choice" in wrong.content.decode()
    client.force_login(chair)
    page = client.get(reverse("usage", args=[audit.pk])).content.decode()
    assert "The 7-minute briefing: 1 session, 12 staff" in page
    assert "Both: 1 session, 12 staff" in page
    assert "The 6-step briefing:" not in page  # used by no one


def test_with_only_the_6_step_briefing_nothing_is_asked_and_it_is_recorded(client, published):
    audit, agencies, people = published
    client.force_login(people["housing"])
    page = client.get(reverse("usage", args=[audit.pk])).content.decode()
    assert "Which briefing was used" not in page
    assert record(client, audit, agencies["housing"]).status_code == 302
    assert UsageRecord.objects.get().briefing == "six_step"


def test_a_correction_keeps_which_briefing_the_session_said(client, published):
    from .test_one_press import form_on

    audit, agencies, people = published
    client.force_login(people["housing"])
    # Recorded before MACA asked: corrected unchanged, it stays "Not recorded".
    older = a_session(audit, agencies["housing"], briefing="")
    version = older.updated_at
    assert client.post(edit_url(older), form_on(client, edit_url(older))).status_code == 302
    older.refresh_from_db()
    assert (older.briefing, older.updated_at) == ("", version)
    # Brought in saying the 7-minute briefing, on an audit with none published: still asked,
    # so that its other fields can be corrected and its answer changed.
    imported = a_session(audit, agencies["housing"], briefing="seven_minute", team="Duty team")
    page = client.get(edit_url(imported)).content.decode()
    assert "Which briefing was used" in page
    fields = form_on(client, edit_url(imported))
    assert client.post(edit_url(imported), {**fields, "staff_count": "13"}).status_code == 302
    imported.refresh_from_db()
    assert (imported.staff_count, imported.briefing) == (13, "seven_minute")
    # Deleted meanwhile, then sent again as a new session from the form that asked: its
    # answer is what was sent, not the 6-step briefing taken for granted.
    address = edit_url(imported)
    imported.delete()
    gone = client.post(address, {**fields, "team": "Duty team again"})
    assert gone.status_code == 422
    assert re.search(r'value="seven_minute"[^>]* checked', gone.content.decode())
    again = record(client, audit, agencies["housing"], briefing="seven_minute", team="Again")
    assert again.status_code == 302
    assert UsageRecord.objects.get(team="Again").briefing == "seven_minute"


def test_the_error_summary_links_to_the_first_briefing_choice(client, published):
    audit, agencies, people = published
    BriefingVersion.objects.filter(audit=audit).update(seven_minute_sha256="1" * 64)
    client.force_login(people["housing"])
    page = record(client, audit, agencies["housing"]).content.decode()
    assert '<a class="alert-link" href="#id_briefing_0">Which briefing was used:' in page
    assert 'id="id_briefing_0"' in page


def test_a_reflection_that_looks_identifying_is_asked_about_before_it_is_kept(client, published):
    """Chairs, QA members and the downloads read it: a date of birth or a postcode is asked
    about, kept as typed, and saved only once the writer confirms it identifies nobody."""
    from cases.forms.identifying import CONFIRM_FIELD

    audit, agencies, people = published
    client.force_login(people["housing"])
    typed = "Jayden, DOB 12/03/2010, of NR1 2AB: tell Early Help the day notice is served."
    asked = record(client, audit, agencies["housing"], reflection=typed)
    assert asked.status_code == 422
    page = html.unescape(asked.content.decode())
    assert "This looks like it holds" in page and "usage downloads" in page
    assert "What will we do differently? This looks like it holds" in page  # no "?:"
    assert typed in page
    assert not UsageRecord.objects.exists()
    kept = record(client, audit, agencies["housing"], reflection=typed, **{CONFIRM_FIELD: "on"})
    assert kept.status_code == 302
    assert UsageRecord.objects.get().reflection == typed
    # A correction is asked about alike.
    use = UsageRecord.objects.get()
    other = "Call 07700 900123 for the team's notes."
    refused = corrected(client, use, reflection=other)
    assert refused.status_code == 422
    assert UsageRecord.objects.get().reflection == typed


def test_teams_kept_before_they_were_kept_as_shown_lose_their_invisible_characters(published):
    import importlib

    from django.apps import apps

    audit, agencies, _ = published
    housing = agencies["housing"]
    kept = a_session(audit, housing, team="Tenancy\u200b officers\u202e")
    blank = a_session(audit, housing, team="\u200b")  # nothing else to show: left alone
    plain = a_session(audit, housing, team="Early Help north")
    migration = importlib.import_module("findings.migrations.0018_usage_teams_as_shown")
    migration.teams_as_shown(apps, None)
    teams = dict(UsageRecord.objects.values_list("pk", "team"))
    assert teams == {kept.pk: "Tenancy officers", blank.pk: "\u200b", plain.pk: "Early Help north"}
