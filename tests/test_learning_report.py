"""The board's assurance report: published material only, no case-level data, every page marked."""

import html
import io
import re
import subprocess
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from findings.models import MeetingRecord

from .conftest import pdf_text
from .learning_world import Role, add_operational_data, build_world, publish, quick_pdfs

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(monkeypatch):
    quick_pdfs(monkeypatch)
    built = build_world()
    add_operational_data(built)
    MeetingRecord.objects.filter(audit=built.alpha).update(learning_summary="Changed in draft.")
    return built


def run(world, tmp_path, name="report.pdf", start="2025-01-01", end="2026-12-31"):
    output = tmp_path / name
    call_command(
        "render_assurance_report",
        partnership=world.partnership.name,
        start=start,
        end=end,
        output=str(output),
        stdout=io.StringIO(),
    )
    return output


def test_the_command_writes_an_a4_tagged_pdf_of_published_learning_only(world, tmp_path):
    path = run(world, tmp_path)
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    text = pdf_text(data, tmp_path)
    order = [
        "Board assurance report",
        "Audits held",
        "Neglect",
        "Exploitation",
        "Key learning",
        "Alpha summary: supervision.",
        "Recurring themes",
        "drift and delay: 2 audits",
        "Audit-tool grades by agency and question section",
        "No graded audit tools in this period.",  # read as its viewers read: no agency's
        "Action completion by agency",
        "Overdue actions",
        "Alpha police action on supervision.",
    ]
    positions = [text.index(words) for words in order]
    assert positions == sorted(positions)
    pages = text.split("\f")
    pages = [page for page in pages if page.strip()]
    assert all("OFFICIAL-SENSITIVE" in page for page in pages)
    assert f"Page 1 of {len(pages)}" in pages[0]
    for never in ("Changed in draft", "Case 1", "meeting note", "Charlie", "Delta", "Bravo action"):
        assert never not in text
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Tagged:\s+yes", info) and "(A4)" in info


def test_the_command_writes_word_and_refuses_bad_input(world, tmp_path):
    path = run(world, tmp_path, "report.docx")
    with zipfile.ZipFile(path) as docx:
        body = docx.read("word/document.xml").decode()
        footer = "".join(docx.read(name).decode() for name in docx.namelist() if "footer" in name)
    assert "Key learning" in body and "Alpha summary: supervision." in body
    assert "Case 1" not in body and "NUMPAGES" in footer
    with pytest.raises(CommandError, match="on or after"):
        run(world, tmp_path, start="2026-01-01", end="2025-01-01")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run(world, tmp_path, start="1/1/2025")
    with pytest.raises(CommandError, match=".pdf or .docx"):
        run(world, tmp_path, "report.txt")
    with pytest.raises(CommandError, match="No partnership"):
        call_command(
            "render_assurance_report",
            partnership="Nowhere",
            start="2025-01-01",
            end="2025-12-31",
            output=str(tmp_path / "x.pdf"),
        )


def test_the_period_limits_the_report_and_reaudits_are_named(world, tmp_path):
    from learning.report import PartnershipReader, assurance_context

    world.bravo.theme = world.alpha.theme
    world.bravo.save(update_fields=["theme"])
    context = assurance_context(PartnershipReader(world.partnership), partnership=world.partnership)
    assert [a.reaudit_of.pk for a in context["reaudits"]] == [world.alpha.pk]
    text = pdf_text(run(world, tmp_path, start="2026-01-01").read_bytes(), tmp_path)
    assert "2026" in text and "Alpha summary" not in text


def test_an_earlier_years_overdue_action_is_listed_with_its_audit_and_year(world, tmp_path):
    text = pdf_text(run(world, tmp_path, start="2026-01-01").read_bytes(), tmp_path)
    assert "Alpha summary" not in text  # its audit was held before the period
    overdue = " ".join(text[text.index("Overdue actions on") :].split())
    assert "whichever year its audit was held" in overdue
    assert "Alpha police action on supervision." in overdue
    assert f"{world.alpha.theme.name}, {world.alpha.meeting_date:%B %Y}" in overdue


def test_the_word_report_says_when_it_was_made_and_repeats_its_table_headings(world, tmp_path):
    from docx import Document

    path = run(world, tmp_path, "report.docx")
    properties = Document(str(path)).core_properties
    assert properties.language == "en-GB" and properties.created.year >= 2026
    assert properties.author == world.partnership.name
    with zipfile.ZipFile(path) as docx:
        body = docx.read("word/document.xml").decode()
    assert '<w:tblHeader w:val="true"/>' in body
    assert "No graded audit tools in this period." in body


@pytest.mark.parametrize("role", [Role.CHAIR, Role.QA_MEMBER, Role.COORDINATOR, Role.VIEWER])
def test_each_role_downloads_the_report_of_what_they_may_read(client, world, role, tmp_path):
    client.force_login(world.users[role])
    url = reverse("learning_report")
    page = client.get(url, {"start": "2025-01-01"}).content.decode()
    audits = 1 if role == Role.COORDINATOR else 2
    assert f"{audits} published audit{'s' if audits > 1 else ''} in the period" in page
    response = client.get(url, {"start": "2025-01-01", "format": "docx"}, follow=True)
    assert response["Content-Disposition"].endswith('-assurance-2025-01-01.docx"')
    with zipfile.ZipFile(io.BytesIO(response.content)) as docx:
        body = docx.read("word/document.xml").decode()
    assert ("Exploitation" in body) == (role != Role.COORDINATOR)
    assert "Southshire" not in body
    # A copy that holds less than the partnership's says so, on the page and in the file.
    said = {
        Role.CHAIR: None,
        Role.QA_MEMBER: None,
        Role.COORDINATOR: "This copy holds what a co-ordinator for Housing reads: the audits "
        "Housing took part in, Housing's actions and the plans published with those audits'",
        Role.VIEWER: "This copy holds the published audits and the plans published with them, "
        "without any agency's audit-tool grades or returns.",
    }[role]
    for text in (html.unescape(page), body.replace("&apos;", "'")):
        assert ("This copy holds" in text) == (said is not None)
        assert said is None or said in text


def test_a_report_period_the_wrong_way_round_is_refused_beside_the_field(client, world):
    client.force_login(world.users[Role.CHAIR])
    url = reverse("learning_report")
    response = client.get(url, {"start": "2026-01-01", "end": "2025-01-01", "format": "pdf"})
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert "‘To’ must be on or after ‘From’." in body
    publish(world.bravo, world.users[Role.CHAIR])


def test_the_worker_makes_the_report_for_the_member_who_asked_and_no_one_else(
    client, world, settings, run_worker, tmp_path
):
    from documents.models import RequestedDocument
    from maca.models import Membership

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    chair = world.users[Role.CHAIR]
    client.force_login(chair)
    asked = client.get(reverse("learning_report"), {"start": "2025-01-01", "format": "pdf"})
    document = RequestedDocument.objects.get()
    progress = reverse("own_document_progress", args=[document.pk])
    download = reverse("own_document_download", args=[document.pk])
    assert asked["Location"] == progress
    assert "Waiting to be made" in client.get(progress).content.decode()
    assert client.get(download).status_code == 404  # not made yet
    run_worker()
    assert "Download the PDF" in client.get(progress).content.decode()
    assert "Exploitation" in pdf_text(client.get(download).content, tmp_path)

    client.force_login(world.users[Role.QA_MEMBER])  # the same partnership, not the asker
    assert client.get(progress).status_code == 404
    assert client.get(download).status_code == 404

    # Asked for, then the member left before it was made: nothing is made for them.
    client.force_login(chair)
    client.get(reverse("learning_report"), {"start": "2025-01-01", "format": "docx"})
    Membership.objects.filter(user=chair).delete()
    run_worker()
    latest = RequestedDocument.objects.order_by("-pk").first()
    assert latest.status == RequestedDocument.Status.FAILED and latest.content is None


def test_a_report_made_before_a_member_lost_a_role_is_not_handed_over(client, world, tmp_path):
    """The report holds what its asker could read when it was made: once they hold less in the
    partnership, it is no longer theirs to fetch (they can ask for it again)."""
    from documents.models import RequestedDocument

    from .factories import MembershipFactory

    chair = world.users[Role.CHAIR]
    MembershipFactory(
        user=chair, partnership=world.partnership, role=Role.COORDINATOR, agency=world.housing
    )
    client.force_login(chair)
    client.get(reverse("learning_report"), {"start": "2025-01-01", "format": "pdf"})
    document = RequestedDocument.objects.get()
    download = reverse("own_document_download", args=[document.pk])
    assert "Exploitation" in pdf_text(client.get(download).content, tmp_path)

    chair.memberships.get(role=Role.CHAIR).delete()
    assert client.get(download).status_code == 404
    assert client.get(reverse("own_document_progress", args=[document.pk])).status_code == 404
    asked_again = client.get(
        reverse("learning_report"), {"start": "2025-01-01", "format": "pdf"}, follow=True
    )
    assert "Exploitation" not in pdf_text(asked_again.content, tmp_path)


def test_chairs_and_qa_members_read_where_briefings_were_used_and_the_reaudit_verdicts(
    client, world, tmp_path
):
    import datetime

    from cases.models import Audit
    from findings.models import ImpactVerdict, UsageRecord
    from learning.report import (
        PartnershipReader,
        assurance_context,
        render_docx_bytes,
        render_pdf_bytes,
    )

    for agency, staff, team, briefing in [
        (world.housing, 5, "Tenancy team north", "seven_minute"),
        (world.housing, 7, "Tenancy team south", "six_step"),
    ]:
        UsageRecord.objects.create(
            audit=world.alpha,
            agency=agency,
            date=datetime.date(2025, 5, 1),
            team=team,
            staff_count=staff,
            reflection="Reflection named nobody.",
            briefing=briefing,
        )
    Audit.objects.filter(pk=world.bravo.pk).update(reaudit_of=world.alpha)
    ImpactVerdict.objects.create(
        reaudit=world.bravo,
        recommendation=world.alpha.recommendations.get(),
        verdict=ImpactVerdict.Verdict.PARTLY_SEEN,
        evidence="Evidence of one case.",
    )
    period = {"partnership": world.partnership, "start": datetime.date(2025, 1, 1)}
    for role in (Role.CHAIR, Role.QA_MEMBER):
        context = assurance_context(world.users[role], **period)
        used = {row.audit.pk: row for row in context["practice"]}
        alpha, bravo = used[world.alpha.pk], used[world.bravo.pk]
        assert (alpha.sessions, alpha.staff, alpha.agencies_used, alpha.agencies) == (2, 12, 1, 2)
        assert alpha.seven_minute_sessions == 1
        assert (bravo.sessions, bravo.staff, bravo.agencies_used, bravo.agencies) == (0, 0, 0, 1)
        [verdicts] = context["verdicts"]
        assert verdicts.reaudit.pk == world.bravo.pk and verdicts.original == "Neglect (March 2025)"
        assert (verdicts.seen, verdicts.partly, verdicts.not_seen, verdicts.undecided) == (
            0,
            1,
            0,
            0,
        )
    text = " ".join(pdf_text(render_pdf_bytes(context), tmp_path).split())
    order = ["Overdue actions", "Briefings used in practice", "Neglect (March 2025) 2 1 12 1 of 2"]
    positions = [text.index(words) for words in order]
    assert positions == sorted(positions)
    assert "Impact at re-audit" in text and "Not recorded" in text
    assert "Exploitation (May Neglect (March 0 1 0 0 2026) 2025)" in text  # a row, cells wrapped
    assert "With the 7-minute briefing" in text
    for never in ("Tenancy team", "Reflection named nobody", "Evidence of one case"):
        assert never not in text
    docx = render_docx_bytes(context)
    with zipfile.ZipFile(io.BytesIO(docx)) as word:
        body = word.read("word/document.xml").decode()
    assert "Briefings used in practice" in body and "Impact at re-audit" in body
    assert "1 of 2" in body and "Tenancy team" not in body
    assert "With the 7-minute briefing" in body

    # Viewers, and the report made on the command line as they read it, hold neither.
    for reader in (world.users[Role.VIEWER], PartnershipReader(world.partnership)):
        context = assurance_context(reader, **period)
        assert context["practice"] is None and context["verdicts"] is None
        text = pdf_text(render_pdf_bytes(context), tmp_path)
        assert "Briefings used in practice" not in text and "Impact at re-audit" not in text
    for role, told in [(Role.CHAIR, True), (Role.QA_MEMBER, True), (Role.VIEWER, False)]:
        client.force_login(world.users[role])
        page = client.get(reverse("learning_report")).content.decode()
        assert ("where each briefing was used in practice" in page) == told


def test_a_report_of_one_audit_says_nothing_can_recur_yet(world, tmp_path):
    text = " ".join(
        pdf_text(run(world, tmp_path, start="2026-01-01").read_bytes(), tmp_path).split()
    )
    assert "Only one audit falls in the period: a tag recurs once it is given to findings" in text
    assert "last 1 audit" not in text
    with zipfile.ZipFile(run(world, tmp_path, "one.docx", start="2026-01-01")) as docx:
        body = docx.read("word/document.xml").decode()
    assert "Only one audit falls in the period" in body


def test_a_report_is_not_handed_over_once_its_asker_no_longer_reads_an_audit_in_it(
    client, world, tmp_path
):
    """A co-ordinator's roles stay the same when their agency is taken out of an audit, but the
    report they asked for before then shows that audit: it is theirs no more."""
    from documents.models import RequestedDocument

    coordinator = world.users[Role.COORDINATOR]
    client.force_login(coordinator)
    client.get(reverse("learning_report"), {"start": "2025-01-01", "format": "pdf"})
    document = RequestedDocument.objects.get()
    assert document.options["audits"] == [world.alpha.pk]
    download = reverse("own_document_download", args=[document.pk])
    assert "Alpha summary: supervision." in pdf_text(client.get(download).content, tmp_path)

    world.alpha.agencies.remove(world.housing)
    assert client.get(download).status_code == 404
    assert client.get(reverse("own_document_progress", args=[document.pk])).status_code == 404


def test_an_agency_taken_out_of_an_audit_is_not_counted_as_recording_use(world):
    import datetime

    from findings.models import UsageRecord
    from learning.report import assurance_context

    for agency in (world.housing, world.police):
        UsageRecord.objects.create(
            audit=world.bravo,
            agency=agency,
            date=datetime.date(2026, 6, 1),
            team="Duty team",
            staff_count=3,
        )
    chair = world.users[Role.CHAIR]
    period = {"partnership": world.partnership, "start": datetime.date(2025, 1, 1)}
    used = {row.audit.pk: row for row in assurance_context(chair, **period)["practice"]}
    bravo = used[world.bravo.pk]
    # Housing's record stays, but Housing does not take part in this audit: never "2 of 1".
    assert (bravo.sessions, bravo.agencies_used, bravo.agencies) == (2, 1, 1)


def test_the_report_opens_on_the_twelve_months_to_today_shown_in_the_fields(client, world):
    import datetime

    from django.utils import timezone

    today = timezone.localdate()
    client.force_login(world.users[Role.CHAIR])
    page = client.get(reverse("learning_report")).content.decode()
    fields = dict(re.findall(r'<input type="date" name="(start|end)"[^>]* value="([^"]*)"', page))
    first, last = (datetime.date.fromisoformat(fields[name]) for name in ("start", "end"))
    assert last == today and (today - first).days in (364, 365)
    # The PDF and Word buttons send the period's fields, as they stand.
    assert page.count('form="period-form" name="format"') == 2 and 'id="period-form"' in page
    held = [a for a in (world.alpha, world.bravo) if first <= a.meeting_date <= today]
    assert f"{len(held)} published audit{'s' if len(held) != 1 else ''} in the period" in page


@pytest.mark.parametrize(
    ("today", "start"),
    [("2026-03-03", "2025-03-04"), ("2028-02-29", "2027-03-01"), ("2027-01-01", "2026-01-02")],
)
def test_the_reports_default_year_ends_today(today, start):
    import datetime

    from learning.forms import last_twelve_months

    assert last_twelve_months(datetime.date.fromisoformat(today)) == {"start": start, "end": today}


def test_the_period_reads_as_part_of_a_sentence(world, tmp_path):
    import datetime

    from learning.report import PartnershipReader, assurance_context, render_docx_bytes

    for end, said in [
        ("2026-12-31", "2 audits held 1 January 2025 to 31 December 2026."),
        ("2025-12-31", "1 audit held 1 January 2025 to 31 December 2025."),
    ]:
        out = io.StringIO()
        call_command(
            "render_assurance_report",
            partnership=world.partnership.name,
            start="2025-01-01",
            end=end,
            output=str(tmp_path / f"to-{end}.docx"),
            stdout=out,
        )
        assert said in out.getvalue()
    context = assurance_context(
        PartnershipReader(world.partnership),
        partnership=world.partnership,
        start=datetime.date(2025, 1, 1),
    )
    with zipfile.ZipFile(io.BytesIO(render_docx_bytes(context))) as word:
        body = word.read("word/document.xml").decode()
    assert "Audits held from 1 January 2025." in body and "From 1 January" not in body


def test_a_period_without_graded_tools_does_not_explain_a_heat_map_that_is_not_there(world):
    """The board reads "No graded audit tools in this period." alone, not the key to the shades
    of a table left out."""
    from django.template.loader import render_to_string

    from learning.report import PDF_TEMPLATE, assurance_context

    context = assurance_context(world.users[Role.CHAIR], partnership=world.partnership)
    page = render_to_string(PDF_TEMPLATE, context)
    assert "darker cells hold more" in page and 'class="heatmap"' in page
    page = render_to_string(PDF_TEMPLATE, {**context, "grade_cells": []})
    assert "No graded audit tools in this period." in page
    assert "darker cells hold more" not in page


def test_a_viewer_who_co_ordinates_too_is_not_told_their_copy_has_no_audit_tool_grades(db):
    """Their agency's grades and returns are counted (`restrict_agency_work`): the copy must not
    say it holds none."""
    from learning.report import reader_scope

    from .factories import AgencyFactory, MembershipFactory, PartnershipFactory, UserFactory

    partnership, person = PartnershipFactory(), UserFactory()
    housing = AgencyFactory(partnership=partnership, name="Housing")
    MembershipFactory(user=person, partnership=partnership, role=Role.VIEWER)
    MembershipFactory(user=person, partnership=partnership, role=Role.COORDINATOR, agency=housing)
    said = reader_scope(person, partnership)
    assert "without any agency's audit-tool grades" not in said
    assert "the audit-tool grades and returns of the agencies whose audit tools they may" in said


def test_a_qa_member_s_copy_says_it_counts_the_grades_of_released_packs_only(db):
    """A QA member reads an audit's audit tools once its meeting pack is released (as the
    audit's pages show them), so their copy's grades may be fewer than a chair's."""
    from learning.report import reader_scope

    from .factories import MembershipFactory, PartnershipFactory, UserFactory

    partnership, qa, chair = PartnershipFactory(), UserFactory(), UserFactory()
    MembershipFactory(user=qa, partnership=partnership, role=Role.QA_MEMBER)
    MembershipFactory(user=chair, partnership=partnership, role=Role.CHAIR)
    assert "audits whose meeting pack the chair has released" in reader_scope(qa, partnership)
    assert reader_scope(chair, partnership) is None


def test_a_report_listing_an_earlier_years_overdue_action_goes_with_that_audit_too(
    client, world, tmp_path
):
    """The report of 2026 lists an overdue action of the 2025 audit: once its asker no longer
    reads that audit, the report is theirs no more either."""
    from documents.models import RequestedDocument

    client.force_login(world.users[Role.COORDINATOR])
    client.get(reverse("learning_report"), {"start": "2026-01-01", "format": "pdf"})
    document = RequestedDocument.objects.get()
    assert world.alpha.pk in document.options["audits"]
    download = reverse("own_document_download", args=[document.pk])
    assert "Alpha police action on supervision." in pdf_text(client.get(download).content, tmp_path)

    world.alpha.agencies.remove(world.housing)
    assert client.get(download).status_code == 404


def test_a_report_lists_the_longest_overdue_actions_and_says_how_many_there_are(
    world, tmp_path, monkeypatch
):
    import datetime

    from django.utils import timezone

    from actions.models import Action
    from learning import report

    from .factories import ActionFactory

    ActionFactory(
        audit=world.alpha,
        owner_agency=world.police,
        text="Alpha older police action.",
        due_date=timezone.localdate() - datetime.timedelta(days=40),
        status=Action.Status.IN_PROGRESS,
    )
    monkeypatch.setattr(report, "OVERDUE_LISTED", 1)
    text = " ".join(pdf_text(run(world, tmp_path).read_bytes(), tmp_path).split())
    assert "2 in all. The 1 overdue longest are listed; the action plan lists every one." in text
    assert "Alpha older police action." in text
    assert "Alpha police action on supervision." not in text
