"""Past audits imported and published feed the learning library and trends from the first day."""

import copy
import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from cases.models import Audit
from findings import publishing
from findings.models import BriefingVersion
from learning.models import LibraryEntry
from learning.trends import trends_for
from maca.models import Membership, Partnership

from .conftest import member
from .learning_world import quick_pdfs
from .test_import_page import upload
from .test_package import VALID

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    quick_pdfs(monkeypatch)


def import_file(tmp_path, data, *options):
    path = tmp_path / "past.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    out = io.StringIO()
    call_command("import_audit", str(path), "--create-partnership", *options, stdout=out)
    return out.getvalue()


def test_import_with_publish_makes_version_one_dated_from_the_meeting(tmp_path):
    out = import_file(tmp_path, VALID, "--publish")
    assert "Published its briefing as version 1." in out
    audit = Audit.objects.get()
    version = audit.briefing_versions.get()
    assert version.number == 1
    assert version.published_at.date() == datetime.date(2026, 3, 4)
    assert audit.plan_published_at is not None
    texts = set(LibraryEntry.objects.values_list("text", flat=True))
    assert {"No contingency plan.", "Share plans.", "Write a protocol."} <= texts
    viewer = member(audit, Membership.Role.VIEWER)
    trends = trends_for(viewer, partnership=audit.partnership)
    assert [a.theme for a in trends.audits] == ["Domestic abuse"]
    assert dict(trends.charts["finding-tags"].rows) == {"contingency planning": [1]}


def test_import_without_publish_leaves_the_briefing_a_draft(tmp_path):
    import_file(tmp_path, VALID)
    assert not BriefingVersion.objects.exists() and not LibraryEntry.objects.exists()


def test_a_package_without_a_meeting_date_is_dated_today(tmp_path):
    data = copy.deepcopy(VALID)
    data.pop("meeting_date")
    data.pop("actions")
    import_file(tmp_path, data, "--publish")
    version = BriefingVersion.objects.get()
    assert version.published_at.date() == datetime.date.today()
    assert Audit.objects.get().plan_published_at is None


def test_a_refused_publication_imports_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(
        publishing,
        "places_holding_identifiers",
        lambda audit, texts: ["Findings › Case 1, point 1 contains part of a name."],
    )
    with pytest.raises(CommandError, match="the briefing was not published: Findings"):
        import_file(tmp_path, VALID, "--publish")
    assert (
        not Audit.objects.exists()
        and not Partnership.objects.filter(name=VALID["partnership"], audits__isnull=False).exists()
    )


def test_the_import_page_publishes_when_ticked(client, audit, chair):
    client.force_login(chair)
    url = reverse("audit_import")
    assert "Publish its briefing as version 1" in client.get(url).content.decode()
    response = client.post(
        url, {"package": upload(VALID), "partnership": audit.partnership.pk, "publish": "on"}
    )
    assert response.status_code == 302
    imported = Audit.objects.exclude(pk=audit.pk).get()
    version = imported.briefing_versions.get()
    assert version.published_by == chair and version.number == 1
    body = client.get(reverse("learning_library"), {"q": "contingency"}).content.decode()
    assert "<mark>contingency</mark>" in body


def test_putting_the_library_together_again_keeps_an_imported_briefing_as_it_went_out(tmp_path):
    """A past briefing is dated from its meeting, before its texts were written: they are kept
    while each reads as it was imported, and taken out once an edit was read into them."""
    from actions.models import Action

    import_file(tmp_path, VALID, "--publish")
    rows = set(LibraryEntry.objects.values_list("pk", "text"))
    out = io.StringIO()
    call_command("index_library", stdout=out)
    assert set(LibraryEntry.objects.values_list("pk", "text")) == rows
    assert "left out" not in out.getvalue()

    action = Action.objects.get(text="Write a protocol.")
    action.text = "Write a protocol nobody has agreed."
    action.save()
    LibraryEntry.objects.filter(action=action).update(text=action.text)
    call_command("index_library", stdout=out)
    assert "1 audit changed since its latest version was left out" in out.getvalue()
    assert not LibraryEntry.objects.filter(text__contains="nobody has agreed").exists()
