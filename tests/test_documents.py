"""PDFs that can take a while are made by the background worker: the page that asked waits for
them and then offers them, to the member who asked alone, through the access gate again."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from documents.models import KEEP_FOR, STALLED_AFTER, RequestedDocument
from maca.models import AccessLogEntry, Membership

from .conftest import member, pdf_text
from .factories import AgencyFactory, CaseFactory, ChronologyEntryFactory

pytestmark = pytest.mark.django_db

Status = RequestedDocument.Status
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def test_by_default_a_document_is_made_at_once_and_fetched_straight_away(
    client, audit, chair, tmp_path, settings
):
    assert settings.TASKS["default"]["BACKEND"].endswith("ImmediateBackend")
    CaseFactory(audit=audit, label="Case 1")
    client.force_login(chair)
    response = client.get(reverse("case_pack_pdf", args=[audit.pk]))
    document = RequestedDocument.objects.get()
    assert response["Location"] == reverse("document_download", args=[audit.pk, document.pk])
    pdf = client.get(response["Location"])
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Cache-Control"] == "private, no-store"
    assert "Case 1" in pdf_text(pdf.content, tmp_path)


def test_the_worker_makes_it_while_the_page_waits_and_then_offers_it(
    client, audit, chair, settings, tmp_path, run_worker
):
    settings.TASKS = DATABASE_TASKS
    case = CaseFactory(audit=audit, label="Case 1")
    client.force_login(chair)
    url = reverse("integrated_chronology_pdf", args=[audit.pk, case.pk])
    response = client.get(url)
    document = RequestedDocument.objects.get()
    progress = reverse("document_progress", args=[audit.pk, document.pk])
    download = reverse("document_download", args=[audit.pk, document.pk])
    assert response["Location"] == progress
    page = client.get(progress).content.decode()
    assert "Waiting to be made" in page and 'hx-trigger="every 2s"' in page
    assert client.get(download).status_code == 404  # not made yet

    run_worker()
    document.refresh_from_db()
    assert document.status == Status.READY
    partial = client.get(progress, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in partial  # it stops asking
    assert download in partial and "<html" not in partial
    pdf = client.get(download)
    assert pdf["Content-Disposition"] == 'attachment; filename="case-1-integrated-chronology.pdf"'
    assert "Integrated chronology: Case 1" in pdf_text(pdf.content, tmp_path)


def test_only_the_member_who_asked_fetches_it_and_only_while_they_may(
    client, audit, chair, settings, run_worker
):
    settings.TASKS = DATABASE_TASKS
    client.force_login(chair)
    client.get(reverse("case_pack_pdf", args=[audit.pk]))
    run_worker()
    document = RequestedDocument.objects.get()
    download = reverse("document_download", args=[audit.pk, document.pk])
    assert client.get(download).status_code == 200

    other_chair = member(audit, Membership.Role.CHAIR)
    client.force_login(other_chair)
    assert client.get(download).status_code == 404
    assert client.get(reverse("document_progress", args=[audit.pk, document.pk])).status_code == 404

    chair.memberships.update(role=Membership.Role.QA_MEMBER)  # the pack is not released to QA
    client.force_login(chair)
    assert client.get(download).status_code == 403
    chair.memberships.all().delete()
    assert client.get(download).status_code == 404


def test_a_document_past_its_keeping_time_is_not_handed_over_even_before_it_is_deleted(
    client, audit, chair
):
    client.force_login(chair)
    client.get(reverse("case_pack_pdf", args=[audit.pk]))
    document = RequestedDocument.objects.get()
    addresses = [
        reverse("document_download", args=[audit.pk, document.pk]),
        reverse("document_progress", args=[audit.pk, document.pk]),
    ]
    just_kept = timezone.now() - KEEP_FOR + datetime.timedelta(minutes=1)
    RequestedDocument.objects.update(requested_at=just_kept)
    assert [client.get(address).status_code for address in addresses] == [200, 200]
    RequestedDocument.objects.update(requested_at=just_kept - datetime.timedelta(minutes=2))
    assert [client.get(address).status_code for address in addresses] == [404, 404]
    assert RequestedDocument.objects.exists()  # deleted by the retention run, or the next ask


def test_a_report_across_audits_past_its_keeping_time_is_not_handed_over(client, audit, chair):
    client.force_login(chair)
    client.get(reverse("learning_report"), {"start": "2025-01-01", "format": "pdf"})
    document = RequestedDocument.objects.get(partnership=audit.partnership)
    download = reverse("own_document_download", args=[document.pk])
    assert client.get(download).status_code == 200
    too_old = timezone.now() - KEEP_FOR - datetime.timedelta(minutes=1)
    RequestedDocument.objects.update(requested_at=too_old)
    assert client.get(download).status_code == 404


def test_a_member_who_lost_access_before_it_was_made_gets_nothing_made(
    client, audit, chair, settings, run_worker
):
    settings.TASKS = DATABASE_TASKS
    client.force_login(chair)
    client.get(reverse("case_pack_pdf", args=[audit.pk]))
    chair.memberships.all().delete()
    run_worker()
    document = RequestedDocument.objects.get()
    assert document.status == Status.FAILED and not document.content


def test_nothing_is_made_for_a_member_whose_account_was_deactivated_before_it_was_made(
    client, audit, chair, settings, run_worker
):
    settings.TASKS = DATABASE_TASKS
    client.force_login(chair)
    client.get(reverse("case_pack_pdf", args=[audit.pk]))
    chair.is_active = False
    chair.save(update_fields=["is_active"])
    run_worker()
    document = RequestedDocument.objects.get()
    assert document.status == Status.FAILED and not document.content


def test_a_document_that_could_not_be_made_says_so(client, audit, chair, monkeypatch):
    from findings import casepack

    def broken(audit):
        raise RuntimeError("layout failed")

    monkeypatch.setattr(casepack, "render_pdf_bytes", broken)
    client.force_login(chair)
    response = client.get(reverse("case_pack_pdf", args=[audit.pk]), follow=True)
    assert "The PDF could not be made" in response.content.decode()
    assert RequestedDocument.objects.get().status == Status.FAILED


def test_the_draft_briefing_is_made_by_the_worker_and_a_viewer_cannot_ask_for_it(
    client, audit, chair, settings, tmp_path, run_worker
):
    from .factories import FindingFactory

    settings.TASKS = DATABASE_TASKS
    case = CaseFactory(audit=audit, label="Case 1")
    FindingFactory(case=case, text="Nobody asked where the young person slept.")
    client.force_login(chair)
    response = client.get(reverse("briefing_pdf", args=[audit.pk]), follow=True)
    document = RequestedDocument.objects.get()
    assert document.kind == RequestedDocument.Kind.DRAFT_BRIEFING
    assert response.redirect_chain[-1][0] == reverse(
        "document_progress", args=[audit.pk, document.pk]
    )
    run_worker()
    pdf = client.get(reverse("document_download", args=[audit.pk, document.pk]))
    assert "Nobody asked where the young person slept." in pdf_text(pdf.content, tmp_path)

    client.force_login(member(audit, Membership.Role.VIEWER))
    assert client.get(reverse("draft_briefing_pdf", args=[audit.pk])).status_code in (403, 404)
    assert RequestedDocument.objects.count() == 1


def test_asking_again_while_it_is_being_made_queues_no_second_copy(
    client, audit, chair, settings, run_worker
):
    settings.TASKS = DATABASE_TASKS
    CaseFactory(audit=audit, label="Case 1")
    client.force_login(chair)
    first = client.get(reverse("case_pack_pdf", args=[audit.pk]))
    again = client.get(reverse("case_pack_pdf", args=[audit.pk]))  # a reload while it waits
    assert first["Location"] == again["Location"]
    assert RequestedDocument.objects.count() == 1
    run_worker()
    client.get(reverse("case_pack_pdf", args=[audit.pk]))  # made: asked again, made afresh
    assert RequestedDocument.objects.count() == 2


def test_a_document_whose_making_stopped_says_so_and_is_made_afresh_when_asked_again(
    client, audit, chair, settings
):
    """A worker that restarted (or ran out of memory) part way leaves it "being made": after
    half an hour it is not waited for any longer."""
    settings.TASKS = DATABASE_TASKS
    CaseFactory(audit=audit, label="Case 1")
    client.force_login(chair)
    first = client.get(reverse("case_pack_pdf", args=[audit.pk]))
    long_ago = timezone.now() - STALLED_AFTER - datetime.timedelta(minutes=1)
    RequestedDocument.objects.update(requested_at=long_ago)  # queued long: still waited for
    assert client.get(reverse("case_pack_pdf", args=[audit.pk]))["Location"] == first["Location"]
    just_in_time = timezone.now() - STALLED_AFTER + datetime.timedelta(minutes=1)
    RequestedDocument.objects.update(status=Status.MAKING, started_at=just_in_time)
    assert client.get(reverse("case_pack_pdf", args=[audit.pk]))["Location"] == first["Location"]
    RequestedDocument.objects.update(started_at=long_ago)
    page = client.get(first["Location"]).content.decode()
    assert "its making stopped" in page and "hx-trigger" not in page
    again = client.get(reverse("case_pack_pdf", args=[audit.pk]))
    assert again["Location"] != first["Location"]
    assert RequestedDocument.objects.count() == 2


def test_a_chronology_too_long_for_one_pdf_is_not_tried_and_says_what_to_do(
    client, audit, chair, monkeypatch
):
    monkeypatch.setattr("documents.kinds.PDF_MAX_CHARACTERS", 20)
    housing, police = AgencyFactory(name="Housing"), AgencyFactory(name="Police")
    audit.agencies.add(housing, police)
    case = CaseFactory(audit=audit, label="Case 1")
    ChronologyEntryFactory(case=case, agency=housing, event="x" * 21)
    ChronologyEntryFactory(case=case, agency=police, event="Seen.")
    client.force_login(chair)
    url = reverse("integrated_chronology_pdf", args=[audit.pk, case.pk])
    page = client.get(client.get(url)["Location"]).content.decode()
    assert "The PDF was not made. Its chronology entries hold 26 characters of text" in page
    assert "more than one PDF is made of (up to 20)" in page
    assert "Choose fewer agencies or impacts" in page
    assert RequestedDocument.objects.get().status == Status.FAILED
    made = client.get(url, {"agency": police.pk})  # Police's rows alone fit
    assert made["Location"].endswith("/download/")
    pack = client.get(client.get(reverse("case_pack_pdf", args=[audit.pk]))["Location"]).text
    assert "Download each case&#x27;s integrated chronology" in pack


def test_a_chronology_pdf_counts_only_the_rows_it_shows_against_the_limit_which_it_may_reach(
    client, audit, chair, monkeypatch
):
    """The case's rows of the chosen impacts alone are counted, not another case's nor other
    impacts': a PDF of exactly the limit is made."""
    from cases.models import ChronologyEntry

    housing = AgencyFactory(name="Housing")
    audit.agencies.add(housing)
    case, other = CaseFactory(audit=audit, label="Case 1"), CaseFactory(audit=audit, label="Case 2")
    negative = ChronologyEntry.Impact.NEGATIVE
    ChronologyEntryFactory(case=case, agency=housing, event="x" * 20, impact=negative)
    ChronologyEntryFactory(case=case, agency=housing, event="y" * 30)
    ChronologyEntryFactory(case=other, agency=housing, event="z" * 30, impact=negative)
    monkeypatch.setattr("documents.kinds.PDF_MAX_CHARACTERS", 20)
    client.force_login(chair)
    url = reverse("integrated_chronology_pdf", args=[audit.pk, case.pk])
    made = client.get(url, {"impact": negative})
    assert made["Location"].endswith("/download/")
    refused = client.get(client.get(url)["Location"]).content.decode()
    assert "Its chronology entries hold 50 characters of text, more than one PDF is made of " in (
        refused
    )
    assert (
        "(up to 20). Choose fewer agencies or impacts on the integrated chronology&#x27;s page, "
        "and download the PDF of those." in refused
    )


def test_a_document_deleted_while_its_download_is_answered_is_not_found(
    client, audit, chair, monkeypatch
):
    from documents import views

    client.force_login(chair)
    client.get(reverse("case_pack_pdf", args=[audit.pk]))
    document = RequestedDocument.objects.get()
    looked_up = views._document_for

    def purged_meanwhile(*args):
        found = looked_up(*args)
        RequestedDocument.objects.all().delete()  # the chair's purge, between the two reads
        return found

    monkeypatch.setattr(views, "_document_for", purged_meanwhile)
    download = reverse("document_download", args=[audit.pk, document.pk])
    assert client.get(download).status_code == 404


def test_a_wait_for_a_document_is_one_look_in_the_access_log_not_one_a_poll(
    client, audit, chair, settings, run_worker
):
    settings.TASKS = DATABASE_TASKS
    client.force_login(chair)
    progress = client.get(reverse("case_pack_pdf", args=[audit.pk]))["Location"]
    looks = AccessLogEntry.objects.filter(what__startswith="document_progress")
    client.get(progress)
    assert looks.count() == 1
    for _ in range(3):
        client.get(progress, headers={"HX-Request": "true"})
    assert looks.count() == 1
    run_worker()
    assert "hx-trigger" not in client.get(progress, headers={"HX-Request": "true"}).content.decode()
    assert looks.count() == 2


def test_someone_with_five_documents_on_their_way_is_told_to_wait_for_one(
    client, audit, chair, settings
):
    """The worker serves everyone in turn: one person's many variations of a plan or a report
    wait for their earlier ones, and the same one asked again is still the one on its way."""
    settings.TASKS = DATABASE_TASKS  # no worker runs: each stays waiting
    cases = [CaseFactory(audit=audit, label=f"Case {n}") for n in range(1, 7)]
    client.force_login(chair)
    for case in cases[:5]:
        asked = client.get(reverse("integrated_chronology_pdf", args=[audit.pk, case.pk]))
        assert asked.status_code == 302
    refused = client.get(reverse("integrated_chronology_pdf", args=[audit.pk, cases[5].pk]))
    assert refused.status_code == 429
    assert "5 documents you asked for are still being made." in refused.content.decode()
    assert RequestedDocument.objects.count() == 5
    again = client.get(reverse("integrated_chronology_pdf", args=[audit.pk, cases[0].pk]))
    assert again.status_code == 302  # the first, still on its way
    RequestedDocument.objects.filter(case=cases[0]).update(status=Status.READY)
    assert client.get(reverse("case_pack_pdf", args=[audit.pk])).status_code == 302
