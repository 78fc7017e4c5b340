import datetime
import re

import pytest
from django.urls import reverse

from findings.models import CaseMeetingNote, MeetingAttendee
from maca.concurrency import version_of
from maca.models import Membership

from .conftest import member
from .factories import AgencyFactory, CaseFactory

pytestmark = pytest.mark.django_db


def management(total=3, initial=0):
    return {
        "attendees-TOTAL_FORMS": str(total),
        "attendees-INITIAL_FORMS": str(initial),
        "attendees-MIN_NUM_FORMS": "0",
        "attendees-MAX_NUM_FORMS": "1000",
    }


def test_qa_member_records_the_meeting(client, audit):
    police = AgencyFactory(name="Police")
    audit.agencies.add(police)
    case = CaseFactory(audit=audit, label="Case 1")
    client.force_login(member(audit, Membership.Role.QA_MEMBER))
    url = reverse("meeting", args=[audit.pk])
    data = {
        **management(),
        "meeting_date": "2026-10-14",
        "learning_summary": "Housing and social care must plan evictions together.",
        f"note_{case.pk}": "Long discussion of the eviction.",
        "attendees-0-name": "A. Officer",
        "attendees-0-role": "Detective Sergeant",
        "attendees-0-agency": police.pk,
        "loaded_version": version_of(audit),
    }
    response = client.post(url, data)
    assert response.status_code == 302
    audit.refresh_from_db()
    assert audit.meeting_date == datetime.date(2026, 10, 14)
    assert audit.meeting_record.learning_summary.startswith("Housing and social care")
    assert CaseMeetingNote.objects.get(case=case).text == "Long discussion of the eviction."
    attendee = MeetingAttendee.objects.get()
    assert (attendee.name, attendee.agency) == ("A. Officer", police)
    page = client.get(url).content.decode()
    assert "A. Officer" in page and "Long discussion of the eviction." in page
    # The browser's date picker takes only the ISO form: any other and it shows empty, and the
    # next save would clear the date.
    assert 'type="date" name="meeting_date" value="2026-10-14"' in page


def test_a_bad_date_keeps_everything_typed(client, audit):
    case = CaseFactory(audit=audit)
    client.force_login(member(audit, Membership.Role.CHAIR))
    response = client.post(
        reverse("meeting", args=[audit.pk]),
        {**management(), "meeting_date": "31/02/2026", f"note_{case.pk}": "Kept note."},
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "This is not a real date: check the day, month and year, for example 23/11/2026." in body
    assert "Kept note." in body
    assert not CaseMeetingNote.objects.exists()


@pytest.mark.parametrize(
    "typed, said",
    [
        ("0001-01-01", "This is before 2000: check the year"),
        ("1999-12-31", "This is before 2000: check the year"),
        ("9999-12-31", "years ahead: check the year."),
    ],
)
def test_a_meeting_date_with_a_slip_of_the_year_is_refused_beside_it(client, audit, typed, said):
    """As the audit's own form refuses it: a date an audit package could not hold either."""
    case = CaseFactory(audit=audit)
    client.force_login(member(audit, Membership.Role.CHAIR))
    url = reverse("meeting", args=[audit.pk])
    typed_in = {**management(), "meeting_date": typed, f"note_{case.pk}": "Kept note."}
    response = client.post(url, {**typed_in, "loaded_version": version_of(audit)})
    assert response.status_code == 422
    assert said in response.content.decode() and "Kept note." in response.content.decode()
    audit.refresh_from_db()
    assert audit.meeting_date != datetime.date.fromisoformat(typed)
    fine = {**typed_in, "meeting_date": "2000-01-01", "loaded_version": version_of(audit)}
    assert client.post(url, fine).status_code == 302


def test_coordinators_read_but_do_not_write_the_record(client, audit):
    housing = AgencyFactory(name="Housing")
    audit.agencies.add(housing)
    client.force_login(member(audit, Membership.Role.COORDINATOR, agency=housing))
    url = reverse("meeting", args=[audit.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Learning summary" in page.content.decode()
    assert client.post(url, {**management(), "learning_summary": "x"}).status_code == 403


def test_outsiders_get_not_found(client, audit, outsider):
    client.force_login(outsider)
    assert client.get(reverse("meeting", args=[audit.pk])).status_code == 404


def test_an_attendee_without_a_name_is_shown_again_not_dropped(client, audit):
    police = AgencyFactory(name="Police")
    audit.agencies.add(police)
    case = CaseFactory(audit=audit)
    client.force_login(member(audit, Membership.Role.CHAIR))
    response = client.post(
        reverse("meeting", args=[audit.pk]),
        {
            **management(),
            "meeting_date": "2026-10-14",
            "learning_summary": "Kept summary.",
            f"note_{case.pk}": "Kept note.",
            "attendees-0-name": "A. Officer",
            "attendees-0-role": "Detective Sergeant",
            "attendees-1-role": "Named nurse",
            "attendees-1-agency": police.pk,
            "loaded_version": version_of(audit),
        },
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "Enter a name, or clear this row" in body
    assert body.count("Enter a name, or clear this row") == 2  # by the row and in the summary
    assert 'href="#id_attendees-1-name"' in body
    for typed in ("A. Officer", "Detective Sergeant", "Named nurse", "Kept note.", "Kept summary."):
        assert typed in body
    assert f'<option value="{police.pk}" selected>' in body
    assert "The meeting record was saved." not in body
    assert not MeetingAttendee.objects.exists() and not CaseMeetingNote.objects.exists()
    audit.refresh_from_db()
    assert audit.meeting_date is None


def test_a_saved_attendee_ticked_for_removal_needs_no_name(client, audit):
    attendee = MeetingAttendee.objects.create(audit=audit, name="A. Officer", role="DS")
    client.force_login(member(audit, Membership.Role.CHAIR))
    response = client.post(
        reverse("meeting", args=[audit.pk]),
        {
            **management(total=4, initial=1),
            "attendees-0-id": attendee.pk,
            "attendees-0-audit": audit.pk,
            "attendees-0-name": "",
            "attendees-0-role": "DS",
            "attendees-0-DELETE": "on",
            "loaded_version": version_of(audit),
        },
    )
    assert response.status_code == 302
    assert not MeetingAttendee.objects.exists()


def test_attendees_are_added_one_row_at_a_time_or_ticked_from_the_members(client, audit):
    police = AgencyFactory(name="Police")
    audit.agencies.add(police)
    chair = member(audit, Membership.Role.CHAIR, first_name="Ada", last_name="Chair")
    member(audit, Membership.Role.COORDINATOR, agency=police, first_name="Sam", last_name="Cop")
    member(audit, Membership.Role.VIEWER, first_name="Val", last_name="Viewer")
    client.force_login(chair)
    url = reverse("meeting", args=[audit.pk])
    page = client.get(url).content.decode()
    assert page.count('name="attendees-') - page.count("attendees-TOTAL") < 10  # one empty row
    assert 'id="id_attendees-1-name"' not in page
    assert "Sam Cop, Agency co-ordinator, Police" in page and "Val Viewer" not in page

    # "Add attendee" gives one more row and keeps what was typed, saving nothing.
    typed = {**management(total=1), "attendees-0-name": "B. Nurse", "learning_summary": "Kept."}
    more = client.post(url + "?add_attendee=1", typed)
    assert more.status_code == 200 and not MeetingAttendee.objects.exists()
    body = more.content.decode()
    assert 'id="id_attendees-1-name"' in body and 'value="B. Nurse"' in body and "Kept." in body
    # The new row takes the focus, so the keyboard is where the next name goes.
    new_row = re.search(r'<input[^>]*id="id_attendees-1-name"[^>]*>', body).group()
    assert "autofocus" in new_row
    assert "autofocus" not in re.search(r'<input[^>]*id="id_attendees-0-name"[^>]*>', body).group()
    assert f'action="{url}"' in body  # saving next posts to the page itself, not to add a row

    sam = next(
        value
        for value, label in more.context["form"].fields["members_attending"].choices
        if label.startswith("Sam Cop")
    )
    saved = client.post(
        url, {**typed, "members_attending": [sam], "loaded_version": version_of(audit)}
    )
    assert saved.status_code == 302
    listed = {(a.name, a.role, a.agency) for a in MeetingAttendee.objects.all()}
    assert listed == {("B. Nurse", "", None), ("Sam Cop", "Agency co-ordinator", police)}
    # Once listed, a member is no longer offered to tick.
    assert "Sam Cop, Agency co-ordinator" not in client.get(url).content.decode()


def test_add_attendee_after_saving_the_same_words_is_a_press_of_its_own(client, audit):
    """Save, Back, then "Add attendee" with the form as it was: one more row, not the Save's
    answer again (the two buttons send the same form to two addresses)."""
    from .test_one_press import form_on

    chair = member(audit, Membership.Role.CHAIR)
    client.force_login(chair)
    url = reverse("meeting", args=[audit.pk])
    typed = {**form_on(client, url), "attendees-0-name": "B. Nurse", "learning_summary": "Kept."}
    assert client.post(url, typed).status_code == 302
    more = client.post(url + "?add_attendee=1", typed)
    assert more.status_code == 200 and 'id="id_attendees-1-name"' in more.content.decode()


def test_a_page_claiming_a_million_attendee_rows_is_refused_and_keeps_what_was_typed(client, audit):
    case = CaseFactory(audit=audit)
    client.force_login(member(audit, Membership.Role.CHAIR))
    typed = {
        **management(total=1_000_000),
        "meeting_date": "2026-10-14",
        f"note_{case.pk}": "Kept note.",
        "loaded_version": version_of(audit),
    }
    response = client.post(reverse("meeting", args=[audit.pk]), typed)
    assert response.status_code == 422
    body = response.content.decode()
    assert "A meeting record lists at most 200 attendees." in body and "Kept note." in body
    assert not CaseMeetingNote.objects.exists()


def test_the_chairs_notes_may_not_hold_a_childs_recorded_details(client, audit):
    from cases.models import NominationIdentity

    from .factories import NominationFactory

    case = CaseFactory(audit=audit, label="Case 1")
    nomination = NominationFactory(audit=audit, case=case, label="Case 1")
    NominationIdentity.objects.create(nomination=nomination, child_name="Mia Brown")
    data = {
        **management(total=0),
        "meeting_date": "2026-10-14",
        "learning_summary": "Plan evictions together.",
        f"note_{case.pk}": "Mia Brown's housing file showed arrears.",
        "loaded_version": version_of(audit),
    }
    client.force_login(member(audit, Membership.Role.CHAIR))
    refused = client.post(reverse("meeting", args=[audit.pk]), data)
    assert refused.status_code == 422
    page = refused.content.decode()
    assert "write “the child” or the case&#x27;s label instead" in page
    assert "Mia Brown&#x27;s housing file showed arrears." in page  # nothing typed is lost
    assert not CaseMeetingNote.objects.exists()

    # A QA member, who may not read the details, is not told whether a name is one of them.
    client.force_login(member(audit, Membership.Role.QA_MEMBER))
    assert client.post(reverse("meeting", args=[audit.pk]), data).status_code == 302
