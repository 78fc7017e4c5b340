"""Nominating cases, with the child's identifying details kept apart."""

import html

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Audit, LocalReference, Nomination, NominationIdentity
from cases.selectors.nominations import identifiers_url
from cases.services.nominations import nomination_create, nomination_update
from maca.concurrency import version_of
from maca.models import Membership

from .conftest import FROM_HERE, member
from .factories import AgencyFactory, CaseFactory, NominationFactory

pytestmark = pytest.mark.django_db
Role = Membership.Role
CHILD = "Tallulah Featherstonehaugh"


@pytest.fixture
def open_audit(audit):
    audit.status = Audit.Status.NOMINATING
    audit.save()
    return audit


@pytest.fixture
def housing(open_audit):
    agency = AgencyFactory(name="Housing Trust")
    open_audit.agencies.add(agency)
    return agency


@pytest.fixture
def police(open_audit):
    agency = AgencyFactory(name="City Police")
    open_audit.agencies.add(agency)
    return agency


@pytest.fixture
def people(open_audit, housing, police):
    return {
        "chair": member(open_audit, Role.CHAIR),
        "qa_member": member(open_audit, Role.QA_MEMBER),
        "coordinator": member(open_audit, Role.COORDINATOR, agency=housing),
        "police_coordinator": member(open_audit, Role.COORDINATOR, agency=police),
        "viewer": member(open_audit, Role.VIEWER),
    }


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def nomination_data(**overrides):
    data = {
        "label": "Case 1",
        "reason": "Repeated referrals about the home's condition with no plan.",
        "age_band": "16_17",
        "gender": "girl",
        "ethnicity": "white",
        "disability": "no",
        "legal_status": "child_in_need",
        "tags": "eviction, Domestic abuse , eviction",
    }
    data.update(overrides)
    return data


def with_identity(data, **identity):
    return {**data, **{f"identity-{key}": value for key, value in identity.items()}}


# Who may see what ----------------------------------------------------------------------------

LIST_ACCESS = {"chair": 200, "qa_member": 200, "coordinator": 403, "viewer": 404}


@pytest.mark.parametrize("url_name", ["nomination_list", "nomination_create"])
def test_nomination_pages_by_role(client, open_audit, people, outsider, url_name):
    url = reverse(url_name, args=[open_audit.pk])
    for role, status in LIST_ACCESS.items():
        client.force_login(people[role])
        assert client.get(url).status_code == status, role
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_nomination_list_empty_state_invites_a_nomination(client, open_audit, people):
    client.force_login(people["qa_member"])
    page = client.get(reverse("nomination_list", args=[open_audit.pk])).content.decode()
    assert "No cases nominated yet" in page
    assert reverse("nomination_create", args=[open_audit.pk]) in page


# Nominating ----------------------------------------------------------------------------------


def test_the_list_has_a_column_of_buttons_only_when_there_is_one_to_press(
    client, open_audit, people
):
    NominationFactory(audit=open_audit, label="Case 1")
    url = reverse("nomination_list", args=[open_audit.pk])
    client.force_login(people["qa_member"])
    assert '<span class="visually-hidden">Actions</span>' in client.get(url).content.decode()
    Audit.objects.filter(pk=open_audit.pk).update(status=Audit.Status.SUBMISSIONS)
    page = client.get(url).content.decode()
    assert "Case 1" in page and '<span class="visually-hidden">Actions</span>' not in page


def test_nominating_stores_identifiers_apart_and_the_list_never_shows_them(
    client, open_audit, people, housing, police
):
    client.force_login(people["qa_member"])
    data = with_identity(
        nomination_data(agencies=[housing.pk]),
        child_name=CHILD,
        date_of_birth="2009-03-14",
        **{f"ref_{housing.pk}": "HT-99812"},
    )
    response = client.post(reverse("nomination_create", args=[open_audit.pk]), data)
    assert response.status_code == 302
    nomination = Nomination.objects.get(audit=open_audit)
    assert nomination.label == "Case 1"
    assert nomination.nominated_by == people["qa_member"]
    assert nomination.tags == ["eviction", "Domestic abuse"]
    assert list(nomination.agencies.all()) == [housing]
    identity = NominationIdentity.objects.get(nomination=nomination)
    assert identity.child_name == CHILD
    assert str(identity.date_of_birth) == "2009-03-14"
    assert LocalReference.objects.get(identity=identity).reference == "HT-99812"
    assert CHILD not in nomination.reason

    for role in ("qa_member", "chair"):
        client.force_login(people[role])
        page = client.get(reverse("nomination_list", args=[open_audit.pk])).content.decode()
        assert "Case 1" in page
        assert "16–17" in page
        assert "Housing Trust" in page
        assert CHILD not in page
        assert "HT-99812" not in page
        assert "14 March 2009" not in page


def test_nothing_entered_means_no_identity_record(client, open_audit, people):
    client.force_login(people["chair"])
    client.post(reverse("nomination_create", args=[open_audit.pk]), nomination_data())
    nomination = Nomination.objects.get()
    assert not NominationIdentity.objects.filter(nomination=nomination).exists()


def test_a_reference_needs_its_agency_marked_involved(client, open_audit, people, housing):
    client.force_login(people["chair"])
    data = with_identity(nomination_data(), **{f"ref_{housing.pk}": "HT-1"})
    response = client.post(reverse("nomination_create", args=[open_audit.pk]), data)
    assert response.status_code == 200
    assert "Tick Housing Trust as an agency involved" in response.content.decode()
    assert not Nomination.objects.exists()


def test_errors_in_the_nomination_and_its_identifying_details_share_one_summary(
    client, open_audit, people
):
    client.force_login(people["chair"])
    data = with_identity(nomination_data(label=""), date_of_birth="2020-02-31")
    page = client.post(reverse("nomination_create", args=[open_audit.pk]), data).content.decode()
    assert page.count('id="error-summary"') == 1 and page.count("There is a problem") == 1
    start = page.index('id="error-summary"')
    summary = page[start : page.index("</ul>", start)]
    assert 'href="#id_label"' in summary and 'href="#id_identity-date_of_birth"' in summary


@pytest.mark.parametrize(
    "typed, said",
    [
        ("0001-01-01", "more than 30 years ago, older than any child or young person"),
        ("2099-01-01", "The date of birth is too far in the future."),
    ],
)
def test_a_date_of_birth_no_child_could_have_is_refused_beside_it(
    client, open_audit, people, typed, said
):
    client.force_login(people["chair"])
    data = with_identity(nomination_data(reason="A reason typed with care."), date_of_birth=typed)
    page = client.post(reverse("nomination_create", args=[open_audit.pk]), data).content.decode()
    assert said in page and "A reason typed with care." in page
    assert not Nomination.objects.exists()
    care_leaver = f"{timezone.localdate().year - 24}-06-01"
    data = with_identity(nomination_data(), date_of_birth=care_leaver)
    assert client.post(reverse("nomination_create", args=[open_audit.pk]), data).status_code == 302


def test_duplicate_label_is_shown_next_to_the_field_with_the_typed_values_kept(
    client, open_audit, people
):
    NominationFactory(audit=open_audit, label="Case 1")
    client.force_login(people["qa_member"])
    data = with_identity(
        nomination_data(label="case 1", reason="A reason typed with care."), child_name=CHILD
    )
    response = client.post(reverse("nomination_create", args=[open_audit.pk]), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "There is already a nomination labelled" in page
    assert 'id="error_1_id_label"' in page or "invalid-feedback" in page
    assert 'value="case 1"' in page
    assert "A reason typed with care." in page
    assert f'value="{CHILD}"' in page
    assert Nomination.objects.count() == 1


def test_a_label_held_by_a_case_carried_forward_is_refused_at_the_nomination(
    client, open_audit, people
):
    """A re-audit starts with cases carried forward: a nomination under one of their labels could
    never be selected, so it is refused when nominated, not at the chair's last step."""
    CaseFactory(audit=open_audit, label="Case 2")
    client.force_login(people["qa_member"])
    url = reverse("nomination_create", args=[open_audit.pk])
    response = client.post(url, nomination_data(label="case 2", reason="Typed with care."))
    page = response.content.decode()
    assert response.status_code == 200
    assert "The audit already has a case labelled &#x27;case 2&#x27;" in page
    assert "Typed with care." in page
    assert not Nomination.objects.exists()
    nomination = NominationFactory(
        audit=open_audit, label="Case 3", nominated_by=people["qa_member"]
    )
    with pytest.raises(ValidationError, match="already has a case labelled"):
        nomination_update(
            nomination=nomination,
            user=people["qa_member"],
            data={**nomination_data(label="Case 2"), "agencies": []},
        )
    assert Nomination.objects.get().label == "Case 3"


def test_nonsense_input_is_answered_with_messages_not_errors(client, open_audit, people):
    client.force_login(people["chair"])
    data = with_identity(
        nomination_data(label="", age_band="ancient", agencies=["x", "999999"]),
        date_of_birth="31/02/2010",
    )
    response = client.post(reverse("nomination_create", args=[open_audit.pk]), data)
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert not Nomination.objects.exists()


def test_nominating_is_refused_once_the_selection_is_made(client, open_audit, people):
    open_audit.status = Audit.Status.SELECTED
    open_audit.save()
    client.force_login(people["qa_member"])
    url = reverse("nomination_create", args=[open_audit.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert any("Nominations are closed" in text for text in texts(response))
    response = client.post(url, nomination_data(), **FROM_HERE)
    assert response.status_code == 409
    body = response.content.decode()
    assert "Nominations are closed" in body
    # What was typed is given back to copy: the reason, not the codes of the choices.
    assert "Repeated referrals about the home&#x27;s condition with no plan." in body
    assert "child_in_need" not in body
    assert not Nomination.objects.exists()
    page = client.get(reverse("nomination_list", args=[open_audit.pk])).content.decode()
    assert url not in page


def test_a_reason_for_declining_a_nomination_declined_meanwhile_is_given_back(
    client, open_audit, people
):
    nomination = NominationFactory(
        audit=open_audit,
        label="Case 4",
        status=Nomination.Status.DECLINED,
        decline_reason="Already reviewed.",
    )
    client.force_login(people["chair"])
    url = reverse("nomination_decline", args=[open_audit.pk, nomination.pk])
    response = client.post(
        url, {"reason": "Another audit looked at this family last year."}, **FROM_HERE
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "Case 4 is already declined." in body
    assert "Another audit looked at this family last year." in body
    # Nothing typed: the message on the list, as before.
    response = client.post(url, {"reason": ""}, **FROM_HERE)
    assert response.status_code == 302
    assert "Case 4 is already declined." in texts(response)


def test_the_service_refuses_nominations_outside_the_nominating_stage(open_audit, people):
    open_audit.status = Audit.Status.DRAFT
    with pytest.raises(ValidationError):
        nomination_create(
            audit=open_audit, user=people["chair"], data=nomination_data(), identity=None
        )


# Editing -------------------------------------------------------------------------------------


def test_the_nominator_and_the_chair_may_edit_others_may_not(client, open_audit, people):
    nomination = NominationFactory(audit=open_audit, nominated_by=people["qa_member"])
    url = reverse("nomination_edit", args=[open_audit.pk, nomination.pk])
    other_qa = member(open_audit, Role.QA_MEMBER)
    expected = {
        people["qa_member"]: 200,
        people["chair"]: 200,
        other_qa: 403,
        people["coordinator"]: 403,
        people["viewer"]: 404,
    }
    for user, status in expected.items():
        client.force_login(user)
        assert client.get(url).status_code == status, user

    client.force_login(people["qa_member"])
    data = nomination_data(label="Case 9", tags="neglect")
    response = client.post(url, {**data, "loaded_version": version_of(nomination)})
    assert response.status_code == 302
    nomination.refresh_from_db()
    assert nomination.label == "Case 9"
    assert nomination.tags == ["neglect"]


def test_a_nomination_from_another_audit_is_not_found(client, open_audit, people):
    elsewhere = NominationFactory()
    client.force_login(people["chair"])
    for name in ("nomination_edit", "nomination_identifiers", "nomination_decline"):
        url = reverse(name, args=[open_audit.pk, elsewhere.pk])
        assert client.get(url).status_code == 404, name


def test_a_selected_nomination_can_no_longer_be_edited(client, open_audit, people):
    nomination = NominationFactory(
        audit=open_audit, nominated_by=people["qa_member"], status=Nomination.Status.SELECTED
    )
    client.force_login(people["qa_member"])
    url = reverse("nomination_edit", args=[open_audit.pk, nomination.pk])
    response = client.post(url, nomination_data(label="Changed"), **FROM_HERE)
    assert response.status_code == 409
    body = response.content.decode()
    assert "is selected: it can no longer be changed." in body
    assert "Repeated referrals about the home&#x27;s condition with no plan." in body
    nomination.refresh_from_db()
    assert nomination.label != "Changed"


# Identifiers ---------------------------------------------------------------------------------


@pytest.fixture
def identified(open_audit, people, housing, police):
    nomination = nomination_create(
        audit=open_audit,
        user=people["qa_member"],
        data={**nomination_data(tags=[]), "agencies": [housing]},
        identity={
            "child_name": CHILD,
            "date_of_birth": None,
            "references": {housing.pk: "HT-77"},
        },
    )
    return nomination


def select(nomination):
    nomination.case = CaseFactory(audit=nomination.audit, label=nomination.label)
    nomination.status = Nomination.Status.SELECTED
    nomination.decline_reason = ""
    nomination.save()


def test_identifiers_are_seen_by_the_chair_and_involved_agencies_only(
    client, open_audit, people, outsider, identified
):
    url = reverse("nomination_identifiers", args=[open_audit.pk, identified.pk])
    # Until the case is selected the identifiers are the chair's alone.
    client.force_login(people["coordinator"])
    assert client.get(url).status_code == 404
    identified.status = Nomination.Status.DECLINED
    identified.decline_reason = "Too like Case 2."
    identified.save()
    assert client.get(url).status_code == 404
    select(identified)
    expected = {
        "chair": 200,
        "coordinator": 200,  # Housing Trust, involved
        "police_coordinator": 404,  # not involved
        "qa_member": 404,
        "viewer": 404,
    }
    for role, status in expected.items():
        client.force_login(people[role])
        response = client.get(url)
        assert response.status_code == status, role
        if status == 200:
            page = response.content.decode()
            assert CHILD in page
            assert "HT-77" in page
            assert "This page contains identifying details" in page
            assert "no-store" in response["Cache-Control"]
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_the_chair_may_change_identifiers_a_coordinator_may_not(
    client, open_audit, people, identified, housing
):
    url = reverse("nomination_identifiers", args=[open_audit.pk, identified.pk])
    select(identified)
    client.force_login(people["coordinator"])
    assert client.post(url, {"child_name": "Changed"}).status_code == 403
    client.force_login(people["chair"])
    loaded = version_of(NominationIdentity.objects.get(nomination=identified))
    response = client.post(
        url,
        {
            "child_name": "T. F.",
            "date_of_birth": "2010-01-02",
            f"ref_{housing.pk}": "",
            "loaded_version": loaded,
        },
    )
    assert response.status_code == 302
    identity = NominationIdentity.objects.get(nomination=identified)
    assert identity.child_name == "T. F."
    assert not identity.references.exists()
    client.post(
        url,
        {
            "child_name": "",
            "date_of_birth": "",
            f"ref_{housing.pk}": "",
            "loaded_version": version_of(identity),
        },
    )
    assert not NominationIdentity.objects.filter(nomination=identified).exists()


def test_identifiers_link_for_a_case_made_from_a_nomination(open_audit, people, identified):
    case = CaseFactory(audit=open_audit, label="Case 1")
    identified.case = case
    identified.save()
    case.refresh_from_db()
    expected_url = reverse("nomination_identifiers", args=[open_audit.pk, identified.pk])
    assert identifiers_url(people["chair"], open_audit, case) == expected_url
    assert identifiers_url(people["coordinator"], open_audit, case) == expected_url
    assert identifiers_url(people["police_coordinator"], open_audit, case) is None
    assert identifiers_url(people["qa_member"], open_audit, case) is None
    assert identifiers_url(people["chair"], open_audit, CaseFactory(audit=open_audit)) is None


# Declining -----------------------------------------------------------------------------------


def test_the_chair_declines_with_a_reason(client, open_audit, people):
    nomination = NominationFactory(audit=open_audit)
    url = reverse("nomination_decline", args=[open_audit.pk, nomination.pk])
    client.force_login(people["qa_member"])
    assert client.post(url, {"reason": "No"}).status_code == 403
    client.force_login(people["chair"])
    response = client.post(url, {"reason": "   "})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    response = client.post(url, {"reason": "Too similar to Case 2."})
    assert response.status_code == 302
    nomination.refresh_from_db()
    assert nomination.status == Nomination.Status.DECLINED
    assert nomination.decline_reason == "Too similar to Case 2."
    page = client.get(reverse("nomination_list", args=[open_audit.pk]) + "?status=declined")
    assert "Too similar to Case 2." in page.content.decode()
    assert "Declined" in page.content.decode()


# Lists ---------------------------------------------------------------------------------------


def test_status_filter_stays_in_the_url(client, open_audit, people):
    NominationFactory(audit=open_audit, label="Kept in")
    NominationFactory(
        audit=open_audit, label="Left out", status="declined", decline_reason="Duplicate"
    )
    client.force_login(people["chair"])
    url = reverse("nomination_list", args=[open_audit.pk])
    page = client.get(url + "?status=nominated").content.decode()
    assert "Kept in" in page and "Left out" not in page
    page = client.get(url + "?status=nonsense").content.decode()
    assert "Kept in" in page and "Left out" in page


def _make_nominations(audit, agencies, count):
    for _ in range(count):
        nomination = NominationFactory(audit=audit, tags=["neglect"])
        nomination.agencies.set(agencies)


def test_nomination_list_runs_a_constant_number_of_queries(
    client, open_audit, people, housing, police
):
    client.force_login(people["chair"])
    url = reverse("nomination_list", args=[open_audit.pk])
    _make_nominations(open_audit, [housing, police], 1)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    _make_nominations(open_audit, [housing, police], 9)
    with CaptureQueriesContext(connection) as ten:
        assert client.get(url).status_code == 200
    assert len(one) == len(ten)


def test_the_childs_details_are_kept_out_of_the_reason_and_label(
    client, open_audit, people, housing
):
    client.force_login(people["qa_member"])
    url = reverse("nomination_create", args=[open_audit.pk])
    data = with_identity(
        nomination_data(agencies=[housing.pk], reason=f"{CHILD.split()[0]} moved four times."),
        child_name=CHILD,
        **{f"ref_{housing.pk}": "HT-99812"},
    )
    data["label"] = "HT 99812"
    response = client.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    # In the summary at the top and next to each of the two fields.
    assert html.count("Take out the child&#x27;s name, date of birth or reference number") == 4
    assert f"{CHILD.split()[0]} moved four times." in html  # what was typed is kept
    assert not Nomination.objects.exists()


# Anyone's details, found by their shape -------------------------------------------------------

LOOKS_IDENTIFYING = "Lives with mum at 12 High Street NN1 2AB, DOB 14/03/2021, mobile 07700 900123."


def test_what_looks_like_anyones_details_is_asked_about_and_kept_until_confirmed(
    client, open_audit, people
):
    client.force_login(people["qa_member"])
    url = reverse("nomination_create", args=[open_audit.pk])
    data = nomination_data(label="Jayden Smith", reason=LOOKS_IDENTIFYING)
    response = client.post(url, data)
    page = response.content.decode()
    assert "This looks like it holds a name." in page  # the label
    assert "a postcode, a date of birth, a phone number and a street address" in page
    assert "I have checked: the label, reason and tags hold nothing" in page
    # The message names the box, which sits under the reason it asks about.
    assert "tick “I have checked”, under the reason, and send it again." in page
    reason_at = page.index('name="reason"')
    assert reason_at < page.index('name="holds_no_identifiers"') < page.index('name="age_band"')
    assert 'value="Jayden Smith"' in page and LOOKS_IDENTIFYING in page  # nothing typed is lost
    assert not Nomination.objects.exists()

    # Taken out, the nomination goes through without asking.
    client.post(url, nomination_data(label="Case 9", reason="Repeated referrals about the home."))
    assert Nomination.objects.filter(label="Case 9").exists()

    # Or the writer confirms that it is not what it looks like.
    confirmed = nomination_data(label="Red Kite", reason="Seen at 4 Park Road clinic (the venue).")
    client.post(url, {**confirmed, "holds_no_identifiers": "on"})
    assert Nomination.objects.filter(label="Red Kite").exists()


@pytest.mark.parametrize(
    "label", ["Case 7", "Case A", "Family B", "Sibling group 2", "Young person 3", "Case Seven"]
)
def test_pseudonymous_labels_are_not_asked_about(client, open_audit, people, label):
    client.force_login(people["qa_member"])
    reason = "Referred on 14/03/2024 by the school; three visits between 2019 and 2024."
    client.post(
        reverse("nomination_create", args=[open_audit.pk]),
        nomination_data(label=label, reason=reason),
    )
    assert Nomination.objects.filter(label=label).exists()


def test_only_the_chair_is_warned_that_an_edit_matches_the_stored_identifiers(
    client, open_audit, people, housing
):
    """A QA member may not read the identifying details (even those they typed in): a warning
    naming a match with them would let them test guesses by editing their own nomination."""
    client.force_login(people["qa_member"])
    client.post(
        reverse("nomination_create", args=[open_audit.pk]),
        with_identity(nomination_data(agencies=[housing.pk]), child_name=CHILD),
    )
    nomination = Nomination.objects.get()
    url = reverse("nomination_edit", args=[open_audit.pk, nomination.pk])
    guess = nomination_data(
        agencies=[housing.pk],
        reason=f"Is it {CHILD.split()[0]}?",
        loaded_version=version_of(nomination),
    )
    response = client.post(url, guess)
    assert "Take out the child" not in response.content.decode()
    assert response.status_code == 302  # saved: nothing told them the guess was right

    client.force_login(people["chair"])
    nomination.refresh_from_db()
    response = client.post(url, {**guess, "loaded_version": version_of(nomination)})
    assert "Take out the child&#x27;s name" in response.content.decode()


def test_tags_are_checked_for_anyones_details_and_the_childs_as_the_label_is(
    client, open_audit, people, housing
):
    client.force_login(people["qa_member"])
    url = reverse("nomination_create", args=[open_audit.pk])
    asked = client.post(url, nomination_data(label="Case 8", tags="neglect, NN1 2AB"))
    assert "This looks like it holds a postcode." in asked.content.decode()
    assert 'value="neglect, NN1 2AB"' in asked.content.decode()  # nothing typed is lost
    assert not Nomination.objects.exists()

    data = with_identity(
        nomination_data(agencies=[housing.pk], label="Case 8", tags=f"neglect, {CHILD}"),
        child_name=CHILD,
    )
    refused = client.post(url, data)
    assert "Take out the child&#x27;s name" in refused.content.decode()
    assert not Nomination.objects.exists()


def test_a_label_holding_the_childs_recorded_name_is_refused_at_once_not_first_asked_about(
    client, open_audit, people, housing
):
    """A label reading like a name is asked about ("I have checked"), but one holding the name
    typed (or recorded) for the child is refused outright: the page says so on the first press,
    and does not offer a tick that could not let it through."""
    client.force_login(people["qa_member"])
    data = with_identity(nomination_data(agencies=[housing.pk], label=CHILD), child_name=CHILD)
    first = client.post(reverse("nomination_create", args=[open_audit.pk]), data)
    page = html.unescape(first.content.decode())
    assert "Take out the child's name" in page
    assert "This looks like it holds a name." not in page
    assert 'name="holds_no_identifiers"' not in page
    assert f'value="{CHILD}"' in page  # nothing typed is lost
    assert not Nomination.objects.exists()

    # The chair editing a nomination: compared with the recorded name, at once too.
    client.post(
        reverse("nomination_create", args=[open_audit.pk]),
        with_identity(nomination_data(agencies=[housing.pk]), child_name=CHILD),
    )
    nomination = Nomination.objects.get()
    client.force_login(people["chair"])
    url = reverse("nomination_edit", args=[open_audit.pk, nomination.pk])
    edited = nomination_data(
        agencies=[housing.pk], label=CHILD, loaded_version=version_of(nomination)
    )
    page = html.unescape(client.post(url, edited).content.decode())
    assert "Take out the child's name" in page
    assert 'name="holds_no_identifiers"' not in page
    assert Nomination.objects.get().label == "Case 1"
