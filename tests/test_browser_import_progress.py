"""An import's progress page asks every few seconds how the import goes; once it is refused (the
chair stopped chairing the partnership meanwhile), it stops asking and says so."""

import pytest
from django.test import Client
from playwright.sync_api import expect

from actions.models import PackageImport
from maca.models import Membership

from .test_browser_focus import sign_in
from .test_package_imports import DATABASE_TASKS, send

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_progress_page_stops_asking_once_it_is_refused(
    browser, live_server, settings, audit, chair
):
    settings.TASKS = DATABASE_TASKS  # no worker runs: the import stays waiting
    client = Client()
    client.force_login(chair)
    job_path = send(client, audit)["Location"]
    assert PackageImport.objects.get().status == PackageImport.Status.WAITING

    context, page, asked = watched(browser, live_server.url, chair, job_path)
    expect(page.locator("#import-progress")).to_contain_text("A large package takes a minute")

    chair.memberships.update(role=Membership.Role.QA_MEMBER)
    stops_asking(page, asked, "#import-progress", "This import can no longer be shown to you")
    context.close()


def watched(browser, base_url: str, user, path: str):
    """`user`'s browser on the page at `path`, with the list of the requests it sends there."""
    context = browser.new_context()
    sign_in(context, base_url, user.username)
    page = context.new_page()
    asked = []
    page.on("request", lambda request: asked.append(request.url) if path in request.url else 0)
    page.goto(base_url + path)
    return context, page, asked


def stops_asking(page, asked: list, progress: str, said: str) -> None:
    """The part that asked every two seconds is gone, an alert says why, and nothing more is
    asked."""
    expect(page.get_by_role("alert")).to_contain_text(said)
    expect(page.locator(progress)).to_have_count(0)
    refused_after = len(asked)
    page.wait_for_timeout(4_500)  # two more turns of the two-second poll
    assert len(asked) == refused_after


def test_a_documents_progress_page_stops_asking_once_the_document_is_deleted(
    browser, live_server, settings, audit, chair
):
    """The chair's purge or the retention run deletes a document someone is waiting for."""
    from django.urls import reverse

    from documents.models import RequestedDocument

    settings.TASKS = DATABASE_TASKS  # no worker runs: the document stays waiting
    client = Client()
    client.force_login(chair)
    progress_path = client.get(reverse("draft_briefing_pdf", args=[audit.pk]))["Location"]
    assert RequestedDocument.objects.count() == 1

    context, page, asked = watched(browser, live_server.url, chair, progress_path)
    expect(page.locator("#document-progress")).to_contain_text("A large document takes")

    RequestedDocument.objects.all().delete()
    stops_asking(page, asked, "#document-progress", "can no longer be shown to you")
    context.close()
