import io
import re
import zlib

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Audit
from findings.briefing import render_html
from maca.models import Membership

from .conftest import member, pdf_text
from .factories import (
    AgencyFactory,
    CaseFactory,
    FindingFactory,
    GoodPracticeFactory,
    ParagraphFactory,
    RecommendationFactory,
    StrengthFactory,
)

pytestmark = pytest.mark.django_db


def headings(html: str) -> list[str]:
    return re.findall(r"<h2[^>]*>(.*?)</h2>", html)


def in_order(text: str, parts: list[str]) -> bool:
    position = 0
    for part in parts:
        found = text.find(part, position)
        if found < 0:
            return False
        position = found + len(part)
    return True


def test_briefing_shows_the_six_sections_in_order(client, demo_audit):
    client.force_login(demo_audit.partnership.memberships.get(role="chair").user)
    html = client.get(reverse("briefing_html", args=[demo_audit.pk])).content.decode()
    assert headings(html) == [
        "Theme / Cases",
        "Process",
        "Strengths identified per case",
        "Findings identified per case",
        "Good Practice and Evidence as a Result of this Audit and similar Reviews",
        "Recommendations – Issues Identified Across Multiple Cases",
        "Learning summary",  # from the demo's meeting record
        "Annex: actions",
    ]
    assert "Northshire Safeguarding Children Partnership" in html
    assert "OFFICIAL-SENSITIVE" in html
    assert "(Seen in Case 2, Case 5, Case 6)" in html


def test_cases_appear_in_order_and_only_where_they_have_items(client, audit, chair):
    first, second, third = (CaseFactory(audit=audit, label=f"Case {n}") for n in (1, 2, 3))
    StrengthFactory(case=second, text="Second strength.")
    StrengthFactory(case=first, text="First strength.")
    FindingFactory(case=third, text="Third finding.")
    client.force_login(chair)
    html = client.get(reverse("briefing_html", args=[audit.pk])).content.decode()
    strengths = html.split('id="section-strengths"')[1].split("</section>")[0]
    findings = html.split('id="section-findings"')[1].split("</section>")[0]
    assert in_order(strengths, ["Case 1", "First strength.", "Case 2", "Second strength."])
    assert "Case 3" not in strengths
    assert "Case 1" not in findings and "Case 3" in findings


def test_empty_sections_are_left_out_not_printed_empty(client, audit, chair):
    case = CaseFactory(audit=audit)
    FindingFactory(case=case)
    client.force_login(chair)
    html = client.get(reverse("briefing_html", args=[audit.pk])).content.decode()
    assert headings(html) == ["Findings identified per case"]


def test_custom_headings_replace_the_defaults(client, audit, chair):
    audit.heading_theme_and_cases = "What we looked at"
    audit.heading_recommendations = "What needs to change"
    audit.save()
    ParagraphFactory(audit=audit, text="Three children.")
    RecommendationFactory(audit=audit)
    client.force_login(chair)
    html = client.get(reverse("briefing_html", args=[audit.pk])).content.decode()
    assert headings(html) == ["What we looked at", "What needs to change"]


def test_good_practice_can_be_left_out_by_the_audit(client, audit, chair):
    GoodPracticeFactory(audit=audit, text="Same-day referrals.")
    audit.include_good_practice = False
    audit.save()
    client.force_login(chair)
    html = client.get(reverse("briefing_html", args=[audit.pk])).content.decode()
    assert "Same-day referrals." not in html


def test_items_show_their_agency_where_one_is_given(client, audit, chair):
    case = CaseFactory(audit=audit)
    StrengthFactory(case=case, agency=AgencyFactory(name="Police"), text="Shared intelligence.")
    StrengthFactory(case=case, text="Plan agreed.")
    client.force_login(chair)
    html = client.get(reverse("briefing_html", args=[audit.pk])).content.decode()
    assert '<span class="agency">Police:</span> Shared intelligence.' in html
    assert re.search(r"<li id=\"strengths-\d+\">Plan agreed.</li>", html)


def test_an_item_that_begins_with_its_agency_does_not_name_it_twice(client, audit, chair):
    from io import BytesIO

    from docx import Document

    housing = AgencyFactory(name="Housing")
    case = CaseFactory(audit=audit)
    StrengthFactory(case=case, agency=housing, text="Housing identified the arrears early.")
    StrengthFactory(case=case, agency=housing, text="Moved the family quickly.")
    StrengthFactory(case=case, agency=housing, text="Housingwise, the move was quick.")
    client.force_login(chair)
    html = client.get(reverse("briefing_html", args=[audit.pk])).content.decode()
    assert re.search(r'<li id="strengths-\d+">Housing identified the arrears early.</li>', html)
    assert '<span class="agency">Housing:</span> Moved the family quickly.' in html
    assert '<span class="agency">Housing:</span> Housingwise, the move was quick.' in html
    docx = client.get(reverse("briefing_docx", args=[audit.pk])).content
    bullets = [p.text for p in Document(BytesIO(docx)).paragraphs]
    assert "Housing identified the arrears early." in bullets
    assert "Housing: Moved the family quickly." in bullets


def test_text_is_escaped(client, audit, chair):
    StrengthFactory(case=CaseFactory(audit=audit), text="<script>alert(1)</script>")
    client.force_login(chair)
    html = client.get(reverse("briefing_html", args=[audit.pk])).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def build_audit(audit, case_count):
    agency = AgencyFactory()
    for n in range(case_count):
        case = CaseFactory(audit=audit, label=f"Case {n + 1}")
        StrengthFactory.create_batch(3, case=case, agency=agency)
        FindingFactory.create_batch(3, case=case)
        RecommendationFactory(audit=audit).cases.add(case)
    GoodPracticeFactory.create_batch(2, audit=audit, agency=agency)
    ParagraphFactory.create_batch(2, audit=audit)


@pytest.mark.parametrize("url_name", ["briefing_html", "audit_detail"])
def test_page_queries_do_not_grow_with_the_audit(client, url_name):
    from .factories import AuditFactory

    counts = []
    for size in (1, 10):
        audit = AuditFactory()
        build_audit(audit, size)
        client.force_login(member(audit, Membership.Role.CHAIR))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(url_name, args=[audit.pk])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_briefing_selector_runs_a_constant_number_of_queries(django_assert_num_queries):
    from .factories import AuditFactory

    for size in (1, 10):
        audit = AuditFactory()
        build_audit(audit, size)
        audit = Audit.objects.select_related("theme", "partnership").get(pk=audit.pk)
        # Paragraphs, the cases with their items, the learning summary, the last published
        # version, the counts of cases and agencies on the cover (the actions annex adds one
        # once the plan is published with the briefing).
        with django_assert_num_queries(5):
            render_html(audit)


def test_the_cover_says_how_many_cases_and_agencies_took_part(demo_audit, tmp_path):
    from findings.briefing import render_pdf_bytes

    cases, agencies = demo_audit.cases.count(), demo_audit.agencies.count()
    assert cases > 1 and agencies > 1
    said = f"{cases} cases, {agencies} agencies taking part"
    assert said in render_html(demo_audit)
    assert said in pdf_text(render_pdf_bytes(demo_audit), tmp_path)


def test_pdf_holds_the_briefing_in_order(client, demo_audit, tmp_path):
    client.force_login(demo_audit.partnership.memberships.get(role="chair").user)
    response = client.get(reverse("briefing_pdf", args=[demo_audit.pk]), follow=True)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="neglect-and-housing-briefing-draft.pdf"' in response["Content-Disposition"]
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    text = " ".join(pdf_text(pdf, tmp_path).split())
    assert in_order(
        text,
        [
            "Northshire Safeguarding Children Partnership",
            "Multi Agency Case Audit",
            "Neglect and housing",
            "Theme / Cases",
            "QA sub-group members nominate cases.",
            "Process",
            "Learning summary developed.",
            "Strengths identified per case",
            "Case 1",
            "The school nurse noticed the pupil’s weight loss",
            "Case 6",
            "The family now live safely",
            "Findings identified per case",
            "Case 1",
            "Evidence of drift and delay",
            "Case 6",
            "Supervision did not challenge the lack of progress",
            "Good Practice and Evidence",
            "A one-page guide to the housing protocol",
            "Recommendations – Issues Identified Across Multiple Cases",
            "Housing and children’s social care should share what they know",
            "Every agency taking part sent someone",
        ],
    )
    pages = pdf_text(pdf, tmp_path).split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert page.count("OFFICIAL-SENSITIVE") == 1  # the cover's on the first page, once
        assert f"Page {number} of {len(pages)}" in page


def test_pdf_is_a4_tagged_and_titled(demo_audit, tmp_path):
    import subprocess

    from findings.briefing import render_pdf_bytes

    path = tmp_path / "briefing.pdf"
    path.write_bytes(render_pdf_bytes(demo_audit))
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    assert "A4" in info
    assert re.search(r"Tagged:\s+yes", info)
    assert "Title:           Multi Agency Case Audit: Neglect and housing" in info
    assert b"/Lang (en-GB)" in pdf_objects(path.read_bytes())  # read aloud in British English


def test_a_reaudits_briefing_and_plan_say_it_is_the_reaudit_in_every_format(demo_audit, tmp_path):
    import subprocess
    import zipfile

    from findings.briefing import render_pdf_bytes
    from findings.word import render_docx

    from .factories import ActionFactory, AuditFactory

    reaudit = AuditFactory(
        partnership=demo_audit.partnership, theme=demo_audit.theme, reaudit_of=demo_audit
    )
    name = f"{demo_audit.theme.name} (re-audit)"
    path = tmp_path / "briefing.pdf"
    path.write_bytes(render_pdf_bytes(reaudit))
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    assert f"Title:           {reaudit.title}: {name}" in info
    assert f"Theme: {name}" in pdf_text(path.read_bytes(), tmp_path)
    with zipfile.ZipFile(io.BytesIO(render_docx(reaudit))) as docx:
        assert f"Theme: {name}" in docx.read("word/document.xml").decode()
    from actions.exports import COLUMNS

    audit_column = dict((heading, get) for heading, _, get in COLUMNS)["Audit"]
    assert audit_column(ActionFactory(audit=reaudit)) == name
    from actions.plan_pdf import plan_pdf_made

    plan = plan_pdf_made(member(reaudit, Membership.Role.CHAIR), {"audit": str(reaudit.pk)})
    plan_path = tmp_path / "plan.pdf"
    plan_path.write_bytes(plan.content)
    info = subprocess.run(["pdfinfo", str(plan_path)], capture_output=True, text=True).stdout
    assert f"Action plan: {name}" in info


def pdf_objects(pdf: bytes) -> bytes:
    """The PDF with its compressed streams (object streams included) inflated, to search."""
    inflated = [pdf]
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            # Not zlib.decompress: a stream whose last byte is a carriage return loses it to the
            # pattern, and only the checksum is cut, never the text.
            inflated.append(zlib.decompressobj().decompress(stream.group(1)))
        except zlib.error:
            continue  # not a deflated stream (an image, say)
    return b"".join(inflated)


def test_no_marking_is_printed_when_none_is_set(audit, tmp_path):
    from findings.briefing import render_pdf_bytes

    StrengthFactory(case=CaseFactory(audit=audit))
    audit = Audit.objects.select_related("theme", "partnership").get(pk=audit.pk)
    text = pdf_text(render_pdf_bytes(audit), tmp_path)
    assert "OFFICIAL" not in text
    assert "Page 1 of 1" in text


def test_render_briefing_writes_the_same_html_as_the_view(client, demo_audit, tmp_path):
    out = tmp_path / "briefing.html"
    call_command("render_briefing", str(demo_audit.pk), "--output", str(out), stdout=io.StringIO())
    client.force_login(demo_audit.partnership.memberships.get(role="chair").user)
    served = client.get(reverse("briefing_html", args=[demo_audit.pk])).content
    assert out.read_bytes() == served


def test_render_briefing_writes_a_pdf_with_the_same_text_as_the_view(client, demo_audit, tmp_path):
    out = tmp_path / "briefing.pdf"
    call_command("render_briefing", str(demo_audit.pk), "--output", str(out), stdout=io.StringIO())
    client.force_login(demo_audit.partnership.memberships.get(role="chair").user)
    served = client.get(reverse("briefing_pdf", args=[demo_audit.pk]), follow=True).content
    assert pdf_text(out.read_bytes(), tmp_path) == pdf_text(served, tmp_path)


def test_render_briefing_refuses_other_file_types(demo_audit, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=r"must end in \.pdf or \.html"):
        call_command("render_briefing", str(demo_audit.pk), "--output", str(tmp_path / "b.doc"))


def test_word_document_has_the_headings_as_word_heading_styles(client, demo_audit):
    from io import BytesIO

    from docx import Document

    client.force_login(demo_audit.partnership.memberships.get(role="chair").user)
    response = client.get(reverse("briefing_docx", args=[demo_audit.pk]))
    assert response.status_code == 200
    assert 'filename="neglect-and-housing-briefing-draft.docx"' in response["Content-Disposition"]
    document = Document(BytesIO(response.content))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == [
        "Theme / Cases",
        "Process",
        "Strengths identified per case",
        "Findings identified per case",
        "Good Practice and Evidence as a Result of this Audit and similar Reviews",
        "Recommendations – Issues Identified Across Multiple Cases",
        "Learning summary",
        "Annex: actions",
    ]
    cases = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
    assert cases[:6] == [f"Case {n}" for n in range(1, 7)]
    assert document.core_properties.title == "Multi Agency Case Audit: Neglect and housing"
    assert (
        document.sections[0].header.paragraphs[0].text
        == "OFFICIAL-SENSITIVE · DRAFT — NOT PUBLISHED"
    )
    assert_laid_out_as_the_pdf(document, "Multi Agency Case Audit: Neglect and housing")


def assert_laid_out_as_the_pdf(document, title):
    """A4 with the PDF's margins (24 mm top, 20 mm sides, 22 mm bottom), not US Letter, and at
    the foot of each page the document's name and "Page N of M", filled in by Word."""
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    margins = (section.top_margin, section.right_margin, section.bottom_margin, section.left_margin)
    assert [round(margin.mm) for margin in margins] == [24, 20, 22, 20]
    footer = section.footer.paragraphs[0]._p.xml
    assert f"{title} — Page " in footer
    assert 'w:instr="PAGE"' in footer and 'w:instr="NUMPAGES"' in footer


def test_viewers_get_no_word_draft(client, demo_audit):
    viewer = demo_audit.partnership.memberships.get(role="viewer").user
    client.force_login(viewer)
    assert client.get(reverse("briefing_docx", args=[demo_audit.pk])).status_code == 403


def test_a_control_character_in_a_finding_does_not_break_the_word_download(client, audit, chair):
    from io import BytesIO

    from docx import Document

    case = CaseFactory(audit=audit, label="Case 1")
    StrengthFactory(case=case, text="Pasted from a form\x0bwith a stray tab\x01 in it.")
    client.force_login(chair)
    response = client.get(reverse("briefing_docx", args=[audit.pk]))
    assert response.status_code == 200
    texts = [p.text for p in Document(BytesIO(response.content)).paragraphs]
    assert "Pasted from a formwith a stray tab in it." in texts


def test_the_pdf_renderer_reads_nothing_outside_the_static_files():
    from maca.pdf import _static_only_fetcher, static_path

    fetcher = _static_only_fetcher()
    css = static_path("css/briefing-pdf.css").as_uri()
    for url in (
        css.replace("briefing-pdf.css", "%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/hostname"),
        "file:///etc/hostname",
        "https://example.org/logo.png",
        "data:text/html,<p>not a picture</p>",
    ):
        with pytest.raises(ValueError, match="Refused"):
            fetcher.fetch(url)


def test_the_audit_page_shows_issues_across_cases(client, audit, chair):
    from findings.models import Tag

    housing, oversight = (
        Tag.objects.get_or_create(name=n, partnership=audit.partnership)[0]
        for n in ("housing", "oversight")
    )
    cases = [CaseFactory(audit=audit, label=f"Case {n}", order=n) for n in (1, 2, 10)]
    for case in cases:
        StrengthFactory(case=case).tags.add(housing)
    FindingFactory(case=cases[0]).tags.add(housing, oversight)
    recommendation = RecommendationFactory(audit=audit)
    recommendation.tags.add(oversight)
    recommendation.cases.add(cases[1])
    GoodPracticeFactory(audit=audit).tags.add(oversight)
    client.force_login(chair)
    html = client.get(reverse("audit_detail", args=[audit.pk])).content.decode()
    assert "Issues across cases" in html
    rows = re.findall(r"<tr><td>(\w+)</td><td>(\d+)</td><td>(\d+)", html)
    assert rows == [("housing", "4", "3"), ("oversight", "3", "2")]
    assert "(Case 1, Case 2, Case 10)" in html


def test_a_draft_says_which_published_version_readers_have(client, audit, chair):
    from findings.publishing import briefing_publish

    StrengthFactory(case=CaseFactory(audit=audit), text="Quick referral.")
    client.force_login(chair)
    url = reverse("briefing_html", args=[audit.pk])
    assert "Draft — not yet published" in client.get(url).content.decode()
    briefing_publish(audit=audit, user=chair)
    assert "Draft — may differ from version 1, published" in client.get(url).content.decode()


def test_the_word_draft_is_marked_as_a_draft_like_the_pdf(client, audit, chair):
    import datetime
    from io import BytesIO

    from django.utils import timezone
    from docx import Document

    from findings.publishing import briefing_publish
    from findings.word import render_docx

    StrengthFactory(case=CaseFactory(audit=audit), text="Quick referral.")
    client.force_login(chair)
    url = reverse("briefing_docx", args=[audit.pk])

    def texts(response):
        return [p.text for p in Document(BytesIO(response.content)).paragraphs]

    assert "Draft — not yet published" in texts(client.get(url))
    published = briefing_publish(audit=audit, user=chair)
    before = timezone.now() - datetime.timedelta(seconds=5)
    document = Document(BytesIO(client.get(url).content))
    on = f"{timezone.localtime(published.published_at):%-d %B %Y}"
    line = f"Draft — may differ from version 1, published {on}"
    assert line in [p.text for p in document.paragraphs]
    assert line in client.get(reverse("briefing_html", args=[audit.pk])).content.decode()
    properties = document.core_properties
    assert properties.title == f"{audit.title}: {audit.theme.name}"
    assert properties.created >= before and properties.modified >= before
    assert properties.author == audit.partnership.name
    assert properties.last_modified_by == audit.partnership.name
    assert properties.keywords == "Draft"
    for value in (properties.author, properties.comments, properties.keywords):
        assert "python-docx" not in value
    assert chair.get_full_name() not in (properties.author, properties.last_modified_by)

    # A published version, were it written to Word, says its version and keeps its own time.
    version = {"number": 1, "published_at": published.published_at, "published_by": chair}
    frozen = Document(BytesIO(render_docx(audit, version=version)))
    frozen_texts = [p.text for p in frozen.paragraphs]
    assert (
        f"Version 1, published {timezone.localtime(published.published_at):%-d %B %Y}"
        in frozen_texts
    )
    assert not any(text.startswith("Draft") for text in frozen_texts)
    assert frozen.core_properties.keywords == "Version 1"
    assert frozen.core_properties.created == published.published_at.replace(microsecond=0)


def test_the_learning_summary_and_an_actions_annex_are_optional_and_on_for_new_audits(
    client, audit, chair
):
    from actions.models import Action
    from findings.models import MeetingRecord

    CaseFactory(audit=audit, label="Case 1")
    MeetingRecord.objects.create(
        audit=audit, learning_summary="Housing must join core groups.\nSupervision is thin."
    )
    Action.objects.create(audit=audit, text="Invite housing.", due_date="2027-01-31")
    Action.objects.create(
        audit=audit, text="Dropped idea.", status="cancelled", cancel_reason="Merged."
    )
    client.force_login(chair)
    html = client.get(reverse("briefing_html", args=[audit.pk])).content.decode()
    # The actions go into the briefing only once the plan is published with it: until then a
    # co-ordinator reading the draft may read only their own agency's actions.
    assert headings(html)[-1] == "Learning summary" and "Invite housing." not in html
    Audit.objects.filter(pk=audit.pk).update(plan_published_at=timezone.now())
    html = client.get(reverse("briefing_html", args=[audit.pk])).content.decode()
    assert headings(html)[-2:] == ["Learning summary", "Annex: actions"]
    assert in_order(html, ["Housing must join core groups.", "Supervision is thin."])
    assert (
        "Invite housing." in html
        and '(due <span class="text-nowrap">31 January 2027</span>)' in html
    )
    assert "Dropped idea." not in html

    from maca.concurrency import version_of

    layout = reverse("briefing_layout", args=[audit.pk])
    assert re.search(r'name="include_learning_summary"[^>]*checked', client.get(layout).text)
    keys = ("theme_and_cases", "process", "strengths", "findings", "good_practice")
    data = {f"heading_{key}": "" for key in (*keys, "recommendations")}
    data.update(include_good_practice="on", loaded_version=version_of(audit))
    assert client.post(layout, data).status_code == 302  # the two boxes unticked
    audit.refresh_from_db()
    assert not audit.include_learning_summary and not audit.include_actions_annex
    html = client.get(reverse("briefing_html", args=[audit.pk])).content.decode()
    assert "Learning summary" not in html and "Invite housing." not in html


def test_a_new_audit_starts_with_the_partnership_s_standard_paragraphs(audit, chair):
    from cases.models import BriefingParagraph
    from cases.services.setup import audit_create

    data = {
        "theme": None,
        "new_theme_name": "Neglect 2027",
        "title": "Multi Agency Case Audit",
        "submission_deadline": None,
        "meeting_date": None,
        "protective_marking": "",
        "target_case_count": 6,
    }
    first = audit_create(user=chair, partnership=audit.partnership, data=data)
    texts = list(first.paragraphs.values_list("section", "text"))
    assert ("process", "Multi-agency meeting to examine and analyse each case.") in texts
    assert any(section == "theme_and_cases" for section, _ in texts)
    assert first.include_learning_summary and first.include_actions_annex

    # Another audit's own points name its cases: a new audit never starts with them.
    first.paragraphs.all().delete()
    BriefingParagraph.objects.create(
        audit=first, section="theme_and_cases", text="Five cases of children missing education."
    )
    second = audit_create(
        user=chair, partnership=audit.partnership, data={**data, "new_theme_name": "Exploitation"}
    )
    assert list(second.paragraphs.values_list("section", "text")) == texts


def test_a_title_and_theme_past_words_255_character_properties_still_download(client, audit, chair):
    from io import BytesIO

    from docx import Document

    audit.title = "T" * 200
    audit.save()
    audit.theme.name = "Theme " * 33
    audit.theme.save()
    client.force_login(chair)
    response = client.get(reverse("briefing_docx", args=[audit.pk]))
    assert response.status_code == 200
    document = Document(BytesIO(response.content))
    properties = document.core_properties
    assert len(properties.comments) == 255 and properties.comments.endswith("…")
    assert properties.title and len(properties.title) <= 255
    assert any(("Theme " * 33).strip() in p.text for p in document.paragraphs)  # not cut
    # Its file is named by the theme's first words, each whole.
    stem = "-".join(["theme"] * 10)
    assert f'filename="{stem}-briefing-draft.docx"' in response["Content-Disposition"]


@pytest.mark.parametrize("case", ["abc", "1.5", "-1", "١", "9" * 19, "9" * 5000, ""])
def test_a_broken_case_in_the_add_item_address_is_a_bad_request(client, audit, chair, case):
    CaseFactory(audit=audit, label="Case 1")
    client.force_login(chair)
    url = reverse("item_add", args=[audit.pk, "finding"])
    assert client.get(url, {"case": case}).status_code == 400
    assert client.get(url, {"case": "999999"}).status_code == 404


def test_every_page_of_a_draft_says_it_is_a_draft_and_no_page_of_a_published_one_does(
    client, audit, chair, tmp_path
):
    from docx import Document

    from findings.briefing import render_pdf_bytes
    from findings.publishing import briefing_publish

    case = CaseFactory(audit=audit)
    for number in range(40):
        StrengthFactory(case=case, text=f"Strength {number}: " + "a careful plan was made. " * 8)
    Audit.objects.filter(pk=audit.pk).update(protective_marking="OFFICIAL-SENSITIVE")
    audit = Audit.objects.select_related("theme", "partnership").get(pk=audit.pk)
    pages = pdf_text(render_pdf_bytes(audit), tmp_path).split("\f")[:-1]
    assert len(pages) > 1
    assert "Draft — not yet published" in pages[0]  # on the cover, under its marking
    tops = [page.strip().splitlines()[0] for page in pages[1:]]
    assert tops == ["OFFICIAL-SENSITIVE · DRAFT — NOT PUBLISHED"] * (len(pages) - 1)
    client.force_login(chair)
    word = Document(io.BytesIO(client.get(reverse("briefing_docx", args=[audit.pk])).content))
    assert word.sections[0].header.paragraphs[0].text == tops[0]

    version = briefing_publish(audit=audit, user=chair)
    published = client.get(reverse("briefing_version_pdf", args=[audit.pk, version.number]))
    text = pdf_text(published.content, tmp_path)
    assert "DRAFT" not in text and text.count("OFFICIAL-SENSITIVE") >= len(pages)


def test_write_the_briefing_lists_the_cases_of_an_issue_in_their_order(client, audit, chair):
    """A tag first met on the second case's finding, then on a recommendation evidenced by both
    cases, was listed as "(Case B, Case A)"."""
    from findings.models import Tag

    sharing = Tag.objects.get_or_create(name="information sharing", partnership=audit.partnership)[
        0
    ]
    first, second = (
        CaseFactory(audit=audit, label=f"Case {x}", order=n) for n, x in enumerate("AB")
    )
    FindingFactory(case=second).tags.add(sharing)
    recommendation = RecommendationFactory(audit=audit)
    recommendation.tags.add(sharing)
    recommendation.cases.add(first, second)
    client.force_login(chair)
    html = client.get(reverse("authoring", args=[audit.pk])).content.decode()
    assert "(Case A, Case B)" in html
