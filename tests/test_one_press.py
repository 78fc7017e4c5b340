"""One press, one record: the same create form sent twice (a double click, a retry, a second
tab) does its work once and answers both presses with the same page."""

import datetime
import json
from html.parser import HTMLParser

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from actions.models import Action, ActionUpdate, Evidence
from cases.models import Audit, ChronologyEntry, ChronologyFile, Nomination, Theme, ToolSection
from findings.models import BriefingVersion, SevenMinuteBriefing, Strength, Tag
from findings.services import seven_minute_draft
from maca.models import Agency, Membership, UsedFormToken
from maca.once import FIELD, used_tokens_delete

from .conftest import member, stored_files
from .factories import (
    ActionFactory,
    AgencyFactory,
    CaseFactory,
    ChronologyEntryFactory,
    StrengthFactory,
    ToolQuestionFactory,
    ToolSectionFactory,
)
from .test_chronology_files import minimal_pdf
from .test_package import VALID

pytestmark = pytest.mark.django_db
Role = Membership.Role
IN_A_MONTH = timezone.localdate() + datetime.timedelta(days=30)


class FormReader(HTMLParser):
    """The fields of the page's POST form sent to `action`, as a browser would send them."""

    def __init__(self, action: str, page: str):
        super().__init__()
        self.action, self.page = action, page
        self.inside = self.found = False
        self.fields: dict[str, list[str]] = {}
        self._textarea = self._select = None

    def _add(self, name, value):
        self.fields.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and not self.found:
            target = attrs.get("action") or self.page
            self.inside = self.found = target == self.action and attrs.get("method") == "post"
        elif not self.inside or not attrs.get("name") and tag != "option":
            return
        elif tag == "input" and attrs.get("type") not in ("file", "submit"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self._add(attrs["name"], attrs.get("value") or "")
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.fields[self._textarea] = [""]
        elif tag == "select":
            self._select = attrs["name"]
        elif tag == "option" and self._select and "selected" in attrs:
            self._add(self._select, attrs.get("value") or "")

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def form_on(client, page, action=None) -> dict:
    response = client.get(page)
    assert response.status_code == 200
    reader = FormReader(action or page, page)
    reader.feed(response.content.decode())
    assert reader.found, f"no form sent to {action or page} on {page}"
    return reader.fields


def press_twice(client, page, action=None, changes=None, files=None, second=None, **extra):
    """Fill in the form on `page` once and send it twice, the second time from `second` (the
    same person in another tab or a retry) when given. Files are made afresh for each press."""
    fields = {**form_on(client, page, action), **(changes or {})}
    assert fields.get(FIELD), "the form carries no one-time token"
    answers = []
    for sender in (client, second or client):
        data = {**fields, **{name: make() for name, make in (files or {}).items()}}
        answers.append(sender.post(action or page, data, **extra))
    return answers


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def assert_same_answer(first, second):
    assert first.status_code == 302, first.content.decode()[:2000]
    assert (second.status_code, second["Location"]) == (302, first["Location"])


# Creating an audit, nominating, importing ---------------------------------------------------


@pytest.fixture
def chair_client(client, chair):
    client.force_login(chair)
    return client


def test_a_new_audit_with_a_new_theme_is_created_once(chair_client, audit):
    first, second = press_twice(
        chair_client,
        reverse("audit_create"),
        changes={
            "new_theme_name": "Exploitation",
            "new_agencies": "Northtown Academy",
            "submission_deadline": str(IN_A_MONTH),
        },
    )
    assert_same_answer(first, second)
    assert Theme.objects.filter(name="Exploitation").count() == 1
    assert Audit.objects.filter(theme__name="Exploitation").count() == 1
    assert Agency.objects.filter(name="Northtown Academy").count() == 1
    page = chair_client.get(second["Location"]).content.decode()
    assert page.count("Audit created as a draft") == 1


def test_a_nomination_is_made_once(client, audit, chair):
    audit.status = Audit.Status.NOMINATING
    audit.save()
    client.force_login(chair)
    first, second = press_twice(
        client,
        reverse("nomination_create", args=[audit.pk]),
        changes={"label": "Case 1", "reason": "Repeated referrals with no plan."},
    )
    assert_same_answer(first, second)
    assert Nomination.objects.filter(audit=audit).count() == 1


def test_an_import_adding_an_agency_is_done_once(chair_client, audit):
    def package():
        return SimpleUploadedFile(
            "past.json", json.dumps(VALID).encode(), content_type="application/json"
        )

    first, second = press_twice(chair_client, reverse("audit_import"), files={"package": package})
    assert_same_answer(first, second)
    assert Audit.objects.exclude(pk=audit.pk).count() == 1
    assert Agency.objects.filter(name="Police").count() == 1


# An agency's chronology ---------------------------------------------------------------------


@pytest.fixture
def chronology(client, audit):
    audit.status = Audit.Status.SUBMISSIONS
    audit.save()
    housing = AgencyFactory(name="Housing")
    audit.agencies.add(housing)
    case = CaseFactory(audit=audit, label="Case 1")
    case.agencies.add(housing)
    client.force_login(member(audit, Role.COORDINATOR, agency=housing))
    args = [audit.pk, case.pk, housing.pk]
    return {"page": reverse("agency_chronology", args=args), "args": args, "client": client}


def test_a_chronology_document_is_uploaded_once(chronology):
    def document():
        return SimpleUploadedFile("chronology.pdf", minimal_pdf(), content_type="application/pdf")

    first, second = press_twice(
        chronology["client"],
        chronology["page"],
        reverse("chronology_file_upload", args=chronology["args"]),
        files={"document": document},
    )
    assert_same_answer(first, second)
    assert ChronologyFile.objects.count() == 1


def test_a_file_of_rows_is_imported_once(chronology):
    def rows():
        text = "Date,Event,Source agency,Impact,Action taken\r\n11/2026,Eviction notice,,,\r\n"
        return SimpleUploadedFile("rows.csv", text.encode(), content_type="text/csv")

    first, second = press_twice(
        chronology["client"],
        chronology["page"],
        reverse("chronology_rows_import", args=chronology["args"]),
        files={"rows_file": rows},
    )
    assert_same_answer(first, second)
    assert ChronologyEntry.objects.count() == 1


def test_a_chronology_row_is_added_once(chronology):
    first, second = press_twice(
        chronology["client"],
        chronology["page"],
        reverse("chronology_entry_add", args=chronology["args"]),
        changes={"date": "11/2026", "event": "Eviction notice served", "impact": "negative"},
    )
    assert_same_answer(first, second)
    assert ChronologyEntry.objects.count() == 1


# The briefing --------------------------------------------------------------------------------


def test_a_tag_is_added_once(chair_client, audit):
    first, second = press_twice(
        chair_client,
        reverse("authoring", args=[audit.pk]),
        reverse("tag_add", args=[audit.pk]),
        changes={"name": "Missed appointments"},
    )
    assert_same_answer(first, second)
    assert Tag.objects.filter(name="Missed appointments").count() == 1


def test_a_tag_of_a_name_taken_a_moment_ago_is_the_one_used(audit, monkeypatch):
    from findings import services

    taken = Tag.objects.create(name="Missed appointments", partnership=audit.partnership)
    looks = iter([None])  # the first look finds nothing: the other press had not saved yet
    found = services._tag_named
    monkeypatch.setattr(services, "_tag_named", lambda *args: next(looks, None) or found(*args))
    tag = services.tag_create(name="missed appointments", partnership=audit.partnership)
    assert tag == taken and Tag.objects.filter(name__iexact="missed appointments").count() == 1


def test_a_briefing_item_is_added_once_in_place_or_on_its_own_page(chair_client, audit):
    case = CaseFactory(audit=audit, label="Case 1")
    add = reverse("item_add", args=[audit.pk, "strength"]) + f"?case={case.pk}"
    first, second = press_twice(
        chair_client, add, changes={"new-strength-text": "Quick referral."}, HTTP_HX_REQUEST="true"
    )
    strength = Strength.objects.get()
    shown_at = reverse("authoring", args=[audit.pk]) + f"#item-strength-{strength.pk}"
    assert (
        first.status_code == 200 and f'id="item-strength-{strength.pk}"' in first.content.decode()
    )
    assert (second.status_code, second["HX-Redirect"]) == (204, shown_at)

    first, second = press_twice(chair_client, add, changes={"new-strength-text": "Second one."})
    assert_same_answer(first, second)
    assert Strength.objects.count() == 2


@pytest.fixture
def written(audit):
    StrengthFactory(case=CaseFactory(audit=audit, label="Case 1"), text="Quick referral.")


def test_publishing_twice_makes_one_version(chair_client, audit, written):
    publish = reverse("briefing_publish", args=[audit.pk])
    first, second = press_twice(chair_client, publish)
    assert_same_answer(first, second)
    assert BriefingVersion.objects.count() == 1
    assert said(first) == ["Version 1 of the briefing is published."]


def test_publishing_with_nothing_changed_makes_no_new_version(chair_client, audit, written):
    publish = reverse("briefing_publish", args=[audit.pk])
    chair_client.post(publish, form_on(chair_client, publish))
    page = chair_client.get(publish).content.decode()
    assert "publishing now makes no new version" in page and "Publish version 2" not in page
    again = chair_client.post(publish, form_on(chair_client, publish))
    assert again.status_code == 302
    assert BriefingVersion.objects.count() == 1
    assert said(again) == [
        "Nothing in the briefing has changed since version 1, so no new version was made."
    ]
    StrengthFactory(case=audit.cases.get(), text="Added after publishing.")
    chair_client.post(publish, form_on(chair_client, publish))
    assert list(BriefingVersion.objects.values_list("number", flat=True)) == [2, 1]


def test_publishing_nothing_new_still_publishes_the_plan_when_asked(chair_client, audit, written):
    publish = reverse("briefing_publish", args=[audit.pk])
    chair_client.post(publish, form_on(chair_client, publish))
    # This audit has no actions: publishing its plan adds nothing to the briefing's page.
    again = chair_client.post(publish, {**form_on(chair_client, publish), "with_plan": "on"})
    audit.refresh_from_db()
    assert BriefingVersion.objects.count() == 1 and audit.plan_published_at is not None
    assert said(again) == [
        "Nothing in the briefing has changed since version 1, so no new version was made. "
        "The action plan is now published with it."
    ]


def test_two_publishers_at_once_make_one_version(audit, chair, written, monkeypatch):
    from findings import publishing

    render = publishing._render_version
    others = []

    def rendering(*args, **kwargs):
        if not others:  # another press publishes the same briefing while this one renders
            monkeypatch.setattr(publishing, "_render_version", render)
            others.append(publishing.briefing_publish(audit=audit, user=chair))
        return render(*args, **kwargs)

    monkeypatch.setattr(publishing, "_render_version", rendering)
    version = publishing.briefing_publish(audit=audit, user=chair)
    assert version == others[0] and not version.newly_published
    assert BriefingVersion.objects.count() == 1


# The action plan -----------------------------------------------------------------------------


@pytest.fixture
def housing(audit):
    agency = AgencyFactory(name="Housing")
    audit.agencies.add(agency)
    return agency


def test_an_action_is_added_once(chair_client, audit, housing):
    first, second = press_twice(
        chair_client,
        reverse("action_create", args=[audit.pk]),
        changes={
            "text": "Train staff.",
            "owner_agency": str(housing.pk),
            "lead": "Ann Lead",
            "due_date": str(timezone.localdate() + datetime.timedelta(days=30)),
        },
    )
    assert_same_answer(first, second)
    assert Action.objects.filter(text="Train staff.").count() == 1


def test_an_action_update_is_posted_once(client, audit, housing):
    action = ActionFactory(audit=audit, owner_agency=housing, lead="Head of Housing")
    client.force_login(member(audit, Role.COORDINATOR, agency=housing))
    first, second = press_twice(
        client,
        reverse("action_detail", args=[action.pk]),
        changes={"text": "Met the team.", "status": "in_progress"},
    )
    assert_same_answer(first, second)
    assert ActionUpdate.objects.count() == 1
    page = client.get(second["Location"]).content.decode()
    assert page.count("Your update was added") == 1


def test_a_file_of_evidence_is_added_once(client, audit, housing):
    action = ActionFactory(audit=audit, owner_agency=housing, lead="Head of Housing")
    client.force_login(member(audit, Role.COORDINATOR, agency=housing))

    def evidence():
        return SimpleUploadedFile("sheet.pdf", minimal_pdf(), content_type="application/pdf")

    first, second = press_twice(
        client,
        reverse("action_detail", args=[action.pk]),
        reverse("action_evidence_upload", args=[action.pk]),
        files={"file": evidence},
    )
    assert_same_answer(first, second)
    assert Evidence.objects.count() == 1


# Setting an audit up -------------------------------------------------------------------------


def test_a_section_of_the_audit_tool_is_added_once(chair_client, audit):
    first, second = press_twice(
        chair_client, reverse("tool_section_add", args=[audit.pk]), changes={"title": "Voice"}
    )
    assert_same_answer(first, second)
    assert ToolSection.objects.filter(audit=audit, title="Voice").count() == 1


def test_a_member_is_invited_once_with_one_email(chair_client, audit):
    from cases.models import OutgoingEmail
    from maca.models import Invitation

    first, second = press_twice(
        chair_client,
        reverse("audit_members", args=[audit.pk]),
        changes={"email": "new.person@example.org", "role": "viewer"},
    )
    assert_same_answer(first, second)
    assert Invitation.objects.filter(email="new.person@example.org").count() == 1
    assert OutgoingEmail.objects.count() == 1
    assert not Membership.objects.filter(user__email="new.person@example.org").exists()


# Two presses without a token, at the same moment -------------------------------------------


def saved_meanwhile(monkeypatch, model, save_other, *, after="full_clean"):
    """Another press saves the same record after this one checked it, before it saves: just
    after this record's `after` method (its check), or just before its save."""
    method = getattr(model, after)
    beaten = []

    def beat(record):
        if record.pk is None and not beaten:
            beaten.append(record)
            save_other(record)

    def beaten_to_it(self, *args, **kwargs):
        if after == "save":
            beat(self)
        done = method(self, *args, **kwargs)
        if after != "save":
            beat(self)
        return done

    monkeypatch.setattr(model, after, beaten_to_it)


def without_token(fields):
    return {name: value for name, value in fields.items() if name != FIELD}


def test_a_theme_saved_a_moment_ago_is_a_message_not_an_error(chair_client, audit, monkeypatch):
    url = reverse("audit_create")
    fields = {**form_on(chair_client, url), "new_theme_name": "Exploitation"}
    fields["submission_deadline"] = str(IN_A_MONTH)
    saved_meanwhile(
        monkeypatch,
        Theme,
        lambda theme: Theme.objects.create(partnership=audit.partnership, name=theme.name),
    )
    response = chair_client.post(url, without_token(fields))
    assert response.status_code == 200
    assert "already has a theme called &#x27;Exploitation&#x27;" in response.content.decode()
    assert not Audit.objects.filter(theme__name="Exploitation").exists()


def test_a_label_taken_a_moment_ago_is_a_message_not_an_error(client, audit, chair, monkeypatch):
    audit.status = Audit.Status.NOMINATING
    audit.save()
    client.force_login(chair)
    url = reverse("nomination_create", args=[audit.pk])
    fields = {**form_on(client, url), "label": "Case 1", "reason": "Referrals with no plan."}
    saved_meanwhile(
        monkeypatch,
        Nomination,
        lambda made: Nomination.objects.create(audit=audit, label=made.label, reason="x"),
        after="save",
    )
    response = client.post(url, without_token(fields))
    assert response.status_code == 200
    assert "already a nomination labelled &#x27;Case 1&#x27;" in response.content.decode()


def test_a_document_uploaded_a_moment_ago_is_refused_as_a_duplicate(chronology, monkeypatch):
    def save_other(document):
        ChronologyFile.objects.create(
            case=document.case,
            agency=document.agency,
            original_name="chronology.pdf",
            kind=document.kind,
            size=document.size,
            sha256=document.sha256,
            file="chronology/other.pdf",
        )

    saved_meanwhile(monkeypatch, ChronologyFile, save_other, after="save")
    upload = SimpleUploadedFile("chronology.pdf", minimal_pdf(), content_type="application/pdf")
    response = chronology["client"].post(
        reverse("chronology_file_upload", args=chronology["args"]), {"document": upload}
    )
    assert response.status_code == 422
    assert "This file has just been uploaded here." in response.content.decode()
    assert stored_files() == []  # nothing left behind


def test_an_invitation_sent_a_moment_ago_is_not_sent_twice(chair_client, audit):
    from cases.models import OutgoingEmail
    from maca.models import Invitation

    url = reverse("audit_members", args=[audit.pk])
    fields = {**form_on(chair_client, url), "email": "new.person@example.org", "role": "viewer"}
    for _ in range(2):  # pressed twice, from a page without the one-time token
        response = chair_client.post(url, without_token(fields))
        assert response.status_code == 302
    assert Invitation.objects.filter(email="new.person@example.org").count() == 1
    assert OutgoingEmail.objects.count() == 1


# What a press remembers ----------------------------------------------------------------------


def test_a_retry_whose_first_answer_was_lost_shows_the_same_page_and_message(client, audit, chair):
    client.force_login(chair)
    other_tab = Client()
    other_tab.force_login(chair)  # the first answer never reached this one
    first, second = press_twice(
        client,
        reverse("tool_section_add", args=[audit.pk]),
        changes={"title": "Voice"},
        second=other_tab,
    )
    assert_same_answer(first, second)
    assert said(second) == said(first) == ["Section “Voice” added. Now add its questions."]


def test_each_form_drawn_has_a_new_token(chair_client, audit):
    url = reverse("action_create", args=[audit.pk])
    assert form_on(chair_client, url)[FIELD] != form_on(chair_client, url)[FIELD]


def test_the_same_form_sent_again_with_other_values_is_a_new_press(chair_client, audit):
    url = reverse("tool_section_add", args=[audit.pk])
    fields = form_on(chair_client, url)
    chair_client.post(url, {**fields, "title": "Voice"})
    chair_client.post(url, {**fields, "title": "Lived experience"})  # Back, changed, sent
    assert ToolSection.objects.filter(title__in=["Voice", "Lived experience"]).count() == 2


def test_a_press_refused_for_its_input_is_not_remembered(chair_client, audit, housing):
    url = reverse("action_create", args=[audit.pk])
    fields = {**form_on(chair_client, url), "text": "", "owner_agency": str(housing.pk)}
    assert chair_client.post(url, fields).status_code == 422
    assert chair_client.post(url, fields).status_code == 422  # asked again, not sent away
    assert not UsedFormToken.objects.exists()


def test_a_form_without_a_token_still_works(chair_client, audit):
    url = reverse("tool_section_add", args=[audit.pk])
    fields = {**form_on(chair_client, url), "title": "Voice"}
    del fields[FIELD]
    assert chair_client.post(url, fields).status_code == 302
    assert chair_client.post(url, fields).status_code == 302  # not recognised as a repeat
    assert ToolSection.objects.filter(title="Voice").count() == 2


def test_presses_are_forgotten_after_a_day(chair_client, audit, chair):
    press_twice(chair_client, reverse("tool_section_add", args=[audit.pk]), changes={"title": "V"})
    assert UsedFormToken.objects.count() == 1
    assert used_tokens_delete() == 0
    assert used_tokens_delete(now=timezone.now() + datetime.timedelta(days=1, minutes=1)) == 1
    UsedFormToken.objects.create(token="x" * 64, user=chair)
    UsedFormToken.objects.filter(token="x" * 64).update(
        created_at=timezone.now() - datetime.timedelta(days=2)
    )
    call_command("enforce_retention", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not UsedFormToken.objects.exists()


def test_a_press_sent_again_after_losing_access_is_refused_not_answered(client, audit, housing):
    """The same form sent again is answered with the first press's page only while the access
    gate still lets its sender reach what it names: a co-ordinator removed since gets 404."""
    action = ActionFactory(audit=audit, owner_agency=housing, lead="Head of Housing")
    coordinator = member(audit, Role.COORDINATOR, agency=housing)
    client.force_login(coordinator)
    page = reverse("action_detail", args=[action.pk])
    fields = {**form_on(client, page), "text": "Met the team.", "status": "in_progress"}
    first = client.post(page, fields)
    assert "Your update was added" in client.get(first["Location"]).content.decode()

    Membership.objects.filter(user=coordinator).delete()
    again = client.post(page, fields)
    assert again.status_code == 404
    assert not any("update was added" in text for text in said(again))
    assert ActionUpdate.objects.count() == 1


@pytest.mark.parametrize("page", ["audit_create", "audit_import"])
def test_a_press_to_start_an_audit_sent_again_by_someone_no_longer_a_chair_is_refused(
    chair_client, audit, chair, page
):
    """These addresses name nothing to ask the gate about: being a chair is their gate, asked
    before a repeat is answered with the first press's page."""
    changes = {"new_theme_name": "Exploitation", "submission_deadline": str(IN_A_MONTH)}
    files = {
        "package": lambda: SimpleUploadedFile(
            "past.json", json.dumps(VALID).encode(), content_type="application/json"
        )
    }
    url = reverse(page)
    fields = {**form_on(chair_client, url), **(changes if page == "audit_create" else {})}
    data = {**fields, **{name: make() for name, make in files.items()}}
    first = chair_client.post(url, data if page == "audit_import" else fields)
    assert first.status_code == 302
    Membership.objects.filter(user=chair).update(role=Role.QA_MEMBER)
    data = {**fields, **{name: make() for name, make in files.items()}}
    again = chair_client.post(url, data if page == "audit_import" else fields)
    assert again.status_code == 404
    assert Audit.objects.exclude(pk=audit.pk).count() == 1


# Saving and state buttons pressed twice -------------------------------------------------------


def test_saving_an_item_twice_says_it_was_saved_not_that_someone_else_changed_it(
    chair_client, audit
):
    strength = StrengthFactory(case=CaseFactory(audit=audit), text="Good joint visits.")
    page = reverse("item_edit", args=[audit.pk, "strength", strength.pk])
    changes = {f"edit-strength-{strength.pk}-text": "Good joint home visits."}
    first, second = press_twice(chair_client, page, changes=changes)
    assert_same_answer(first, second)
    assert said(second) == ["The strength was saved."]
    strength.refresh_from_db()
    assert strength.text == "Good joint home visits."


def test_signing_an_action_off_twice_signs_it_off_once(chair_client, audit, housing):
    action = ActionFactory(audit=audit, owner_agency=housing, lead="Head of Housing")
    page = reverse("action_complete", args=[action.pk])
    first, second = press_twice(chair_client, page, changes={"outcome_statement": "Trained."})
    assert_same_answer(first, second)
    assert said(second) == ["The action is signed off as complete."]
    assert action.history.count() == 2  # made, then signed off: once


def test_reopening_an_action_twice_says_it_is_open_again(chair_client, audit, housing):
    action = ActionFactory(
        audit=audit, owner_agency=housing, status=Action.Status.COMPLETE, outcome_statement="Done."
    )
    page = reverse("action_detail", args=[action.pk])
    first, second = press_twice(chair_client, page, reverse("action_reopen", args=[action.pk]))
    assert_same_answer(first, second)
    assert said(second) == ["The action is open again."]


def test_reminding_co_ordinators_twice_emails_each_once(chair_client, audit, housing):
    from cases.models import AuditEvent, OutgoingEmail

    Audit.objects.filter(pk=audit.pk).update(status=Audit.Status.SUBMISSIONS)
    CaseFactory(audit=audit, label="Case 1").agencies.add(housing)
    member(audit, Role.COORDINATOR, agency=housing, email="housing@example.org")
    page = reverse("progress", args=[audit.pk])
    first, second = press_twice(chair_client, page, reverse("progress_remind", args=[audit.pk]))
    assert_same_answer(first, second)
    assert said(second) == ["Reminders sent to 1 co-ordinator."]
    assert OutgoingEmail.objects.count() == 1
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.REMINDER).count() == 1


def test_deleting_identifying_details_twice_records_one_deletion(chair_client, audit):
    from cases.models import PurgeRecord

    Audit.objects.filter(pk=audit.pk).update(status=Audit.Status.CLOSED)
    page = reverse("retention", args=[audit.pk])
    first, second = press_twice(
        chair_client, page, reverse("retention_purge", args=[audit.pk]), changes={"confirm": "on"}
    )
    assert_same_answer(first, second)
    assert PurgeRecord.objects.count() == 1


def test_deleting_a_chronology_row_twice_shows_the_chronology_not_page_not_found(chronology):
    entry = ChronologyEntryFactory(
        case_id=chronology["args"][1], agency_id=chronology["args"][2], event="Seen at home"
    )
    page = reverse("chronology_entry_delete", args=[*chronology["args"], entry.pk])
    first, second = press_twice(chronology["client"], page)
    assert_same_answer(first, second)
    assert said(second) == ["Row deleted."]


def test_deleting_a_briefing_item_twice_shows_the_briefing_not_page_not_found(chair_client, audit):
    strength = StrengthFactory(case=CaseFactory(audit=audit), text="Good joint visits.")
    page = reverse("item_delete", args=[audit.pk, "strength", strength.pk])
    first, second = press_twice(chair_client, page)
    assert_same_answer(first, second)
    assert said(second) == ["The strength was deleted."]


def test_moving_a_section_a_question_or_an_item_twice_moves_it_once(chair_client, audit):
    """A double press of Move up moves it one place, not two."""
    sections = [ToolSectionFactory(audit=audit, title=f"S{n}", order=n) for n in range(3)]
    questions = [ToolQuestionFactory(section=sections[0], text=f"Q{n}", order=n) for n in range(3)]
    tool = reverse("tool_edit", args=[audit.pk])
    last = reverse("tool_section_move", args=[audit.pk, sections[2].pk])
    assert_same_answer(*press_twice(chair_client, tool, last, changes={"direction": "up"}))
    assert list(audit.tool_sections.order_by("order").values_list("title", flat=True)) == [
        "S0",
        "S2",
        "S1",
    ]
    last = reverse("tool_question_move", args=[audit.pk, questions[2].pk])
    assert_same_answer(*press_twice(chair_client, tool, last, changes={"direction": "up"}))
    assert [q.text for q in sections[0].questions.order_by("order")] == ["Q0", "Q2", "Q1"]
    case = CaseFactory(audit=audit)
    strengths = [StrengthFactory(case=case, text=f"T{n}", order=n) for n in range(3)]
    move = reverse("item_move", args=[audit.pk, "strength", strengths[2].pk])
    authoring = reverse("authoring", args=[audit.pk])
    assert_same_answer(*press_twice(chair_client, authoring, move))  # its first form: up
    assert [s.text for s in case.strengths.order_by("order")] == ["T0", "T2", "T1"]


def test_deleting_a_question_of_the_audit_tool_twice_shows_the_tool(chair_client, audit):
    question = ToolQuestionFactory(section=ToolSectionFactory(audit=audit), text="Voice?")
    page = reverse("tool_question_delete", args=[audit.pk, question.pk])
    first, second = press_twice(chair_client, page)
    assert_same_answer(first, second)


def test_removing_a_member_twice_shows_the_members(chair_client, audit):
    membership = Membership.objects.get(user=member(audit, Role.VIEWER))
    page = reverse("audit_member_remove", args=[audit.pk, membership.pk])
    first, second = press_twice(chair_client, page)
    assert_same_answer(first, second)


def test_drafting_the_7_minute_briefing_again_twice_replaces_its_parts_once(chair_client, audit):
    """The second press of "Replace parts 1 to 5" (a double click, a retry) is answered as the
    first was, instead of replacing them again."""
    seven_minute_draft(audit=audit)
    record = SevenMinuteBriefing.objects.get(audit=audit)
    saves = record.history.count()
    page = reverse("seven_minute_edit", args=[audit.pk])
    redraft = reverse("seven_minute_draft", args=[audit.pk])
    first, second = press_twice(chair_client, page, redraft)
    assert_same_answer(first, second)
    assert record.history.count() == saves + 1


@pytest.mark.parametrize(("left_with", "refused_with"), [(Role.VIEWER, 403), (None, 404)])
def test_a_partnership_page_s_press_sent_again_after_losing_its_administration_is_refused(
    client, audit, left_with, refused_with
):
    """The partnership's own pages are its administrators': a press sent again is answered with
    the first press's page only while its sender still administers the partnership (403 to
    someone who holds another role there, 404 to anyone else)."""
    administrator = member(audit, Role.PARTNERSHIP_ADMIN, username="administrator")
    client.force_login(administrator)
    page = reverse("partnership_agencies", args=[audit.partnership_id])
    fields = {**form_on(client, page), "name": "Youth Justice", "sector": "other"}
    first = client.post(page, fields)
    assert "Youth Justice" in client.get(first["Location"]).content.decode()
    held = Membership.objects.filter(user=administrator)
    held.update(role=left_with) if left_with else held.delete()
    again = client.post(page, fields)
    assert again.status_code == refused_with
    assert not any("Youth Justice" in text for text in said(again))
    assert audit.partnership.agencies.filter(name="Youth Justice").count() == 1
