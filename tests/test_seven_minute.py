"""The 7-minute briefing: drafted from the briefing, edited with word limits, one A4 page always,
published with the briefing in the same version, read by viewers in HTML, PDF and Word."""

import hashlib
import html
import io
import json
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from docx import Document

from actions.package import package_import
from cases.models import Audit, NominationIdentity
from findings import sevenminute
from findings.models import BriefingVersion, MeetingRecord, SevenMinuteBriefing
from findings.publishing import (
    BriefingHasIdentifiers,
    SevenMinuteTooLong,
    briefing_publish,
    unchanged_since,
)
from findings.services import seven_minute_draft, seven_minute_save
from maca.models import Membership

from .conftest import member, pdf_text
from .factories import (
    AgencyFactory,
    AuditFactory,
    CaseFactory,
    FindingFactory,
    GoodPracticeFactory,
    NominationFactory,
    RecommendationFactory,
    StrengthFactory,
)
from .test_briefing import assert_laid_out_as_the_pdf, pdf_objects

pytestmark = pytest.mark.django_db
DEMO_DIR = Path(__file__).resolve().parent.parent / "actions" / "demo"


def pdf_info(pdf: bytes, tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "seven.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return {
        key.strip(): value.strip()
        for key, _, value in (line.partition(":") for line in out.stdout.splitlines())
    }


def pages_as_pictures(pdf: bytes, tmp_path: Path) -> list[Path]:
    path = tmp_path / "picture.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "30", str(path), str(tmp_path / "page")], check=True)
    return sorted(tmp_path.glob("page*.png"))


def assert_one_tagged_a4_page(pdf: bytes, tmp_path: Path, title: str) -> None:
    info = pdf_info(pdf, tmp_path)
    assert info["Pages"] == "1"
    assert info["Page size"].startswith("595.276 x 841.89")  # A4
    assert info["Tagged"] == "yes"
    assert info["Title"] == title
    assert len(pages_as_pictures(pdf, tmp_path)) == 1
    assert b"/Lang (en-GB)" in pdf_objects(pdf)


@pytest.fixture
def written(audit):
    audit.protective_marking = "OFFICIAL-SENSITIVE"
    audit.save()
    audit.partnership.seven_minute_questions = "What will you do differently tomorrow?"
    audit.partnership.seven_minute_find_out_more = "Procedures: www.example.org/procedures"
    audit.partnership.save()
    first, second = (
        CaseFactory(audit=audit, label="Case 1"),
        CaseFactory(audit=audit, label="Case 2"),
    )
    FindingFactory(case=first, text="Drift while the family moved between areas.")
    FindingFactory(case=second, text="No one saw the baby for six weeks.")
    StrengthFactory(case=first, text="Housing raised the alarm early.")
    GoodPracticeFactory(audit=audit, text="A same-day referral route for evictions.")
    RecommendationFactory(audit=audit, text="Agree who leads when a family moves area.")
    MeetingRecord.objects.create(
        audit=audit, learning_summary="Children were unseen while adults' needs filled the plan."
    )
    return audit


def test_drafting_fills_parts_one_to_five_from_the_briefing_and_six_and_seven_from_the_partnership(
    written,
):
    parts = sevenminute.parts_of(seven_minute_draft(audit=written))
    assert "Two cases were audited" in parts["background"]
    assert parts["why_it_matters"] == "Children were unseen while adults' needs filled the plan."
    assert parts["what_we_found"].splitlines() == [
        "Drift while the family moved between areas.",
        "No one saw the baby for six weeks.",
    ]
    assert "Housing raised the alarm early." in parts["what_went_well"]
    assert "A same-day referral route for evictions." in parts["what_went_well"]
    assert parts["what_needs_to_change"] == "Agree who leads when a family moves area."
    assert parts["questions"] == "What will you do differently tomorrow?"
    assert parts["find_out_more"] == "Procedures: www.example.org/procedures"
    for written_part in sevenminute.written_parts(parts):
        assert written_part.over_limit == 0


def test_a_draft_keeps_to_each_parts_word_limit(written):
    case = written.cases.first()
    for number in range(30):
        FindingFactory(
            case=case, text=f"Finding number {number} about drift and delay in the plan."
        )
    parts = sevenminute.parts_of(seven_minute_draft(audit=written))
    limit = next(p.word_limit for p in sevenminute.PARTS if p.field == "what_we_found")
    assert 0 < sevenminute.word_count(parts["what_we_found"]) <= limit


def test_the_chair_edits_a_part_over_its_limit_and_it_is_kept_as_typed(client, written, chair):
    client.force_login(chair)
    page = client.get(reverse("seven_minute_edit", args=[written.pk])).content.decode()
    assert 'data-word-limit="80"' in page and "Up to 80 words." in page  # part 5's limit
    too_long = " ".join(["word"] * 130)
    data = {field: "" for field in sevenminute.PART_FIELDS}
    data["what_needs_to_change"] = too_long
    response = client.post(reverse("seven_minute_edit", args=[written.pk]), data)
    assert response.status_code == 302
    assert SevenMinuteBriefing.objects.get(audit=written).what_needs_to_change == too_long


def test_a_viewer_reads_only_the_published_7_minute_briefing(client, written, chair, tmp_path):
    seven_minute_draft(audit=written)
    viewer = member(written, Membership.Role.VIEWER)
    client.force_login(viewer)
    assert client.get(reverse("seven_minute", args=[written.pk])).status_code == 404
    version = briefing_publish(audit=written, user=chair)
    assert version.has_seven_minute
    assert version.seven_minute_sha256 == hashlib.sha256(version.seven_minute_pdf).hexdigest()
    assert version.sha256 != version.seven_minute_sha256

    draft = client.get(reverse("seven_minute", args=[written.pk]))
    assert draft.url == reverse("seven_minute_version", args=[written.pk, 1])
    page = client.get(draft.url).content.decode()
    assert version.seven_minute_sha256 in page
    assert "Version 1, published" in page and "Drift while the family moved" in page
    assert page.index("seven-part-1") < page.index("seven-part-7")  # read in order 1 to 7
    pdf = client.get(reverse("seven_minute_version_pdf", args=[written.pk, 1]))
    assert hashlib.sha256(pdf.content).hexdigest() == version.seven_minute_sha256
    assert_one_tagged_a4_page(pdf.content, tmp_path, "7-minute briefing: Neglect and housing")
    text = pdf_text(pdf.content, tmp_path)
    assert "OFFICIAL-SENSITIVE" in text and "Version 1, published" in text
    docx = Document(
        io.BytesIO(client.get(reverse("seven_minute_version_docx", args=[written.pk, 1])).content)
    )
    headings = [p.text for p in docx.paragraphs if p.style.name == "Heading 1"]
    assert headings == [f"{p.number}. {p.title}" for p in sevenminute.PARTS]
    assert_laid_out_as_the_pdf(docx, "7-minute briefing: Neglect and housing")
    assert client.get(reverse("seven_minute_edit", args=[written.pk])).status_code == 403
    assert client.get(reverse("seven_minute_docx", args=[written.pk])).status_code == 403


def test_publishing_refuses_a_7_minute_briefing_of_two_pages_naming_the_part(
    client, written, chair
):
    parts = sevenminute.parts_of(seven_minute_draft(audit=written))
    parts["what_we_found"] = "\n".join(["Drift and delay in the plan for the children."] * 60)
    seven_minute_save(audit=written, parts=parts)
    with pytest.raises(SevenMinuteTooLong) as refused:
        briefing_publish(audit=written, user=chair)
    assert refused.value.pages > 1 and refused.value.part.number == 3
    client.force_login(chair)
    response = client.post(reverse("briefing_publish", args=[written.pk]))
    assert response.status_code == 422
    assert "Shorten part 3 (What we found)" in response.content.decode()
    assert not BriefingVersion.objects.exists()


@pytest.mark.parametrize("words_a_line", [4, 7, 15])
def test_every_part_at_its_word_limit_still_fits_on_one_page(written, tmp_path, words_a_line):
    words = [
        "Agencies",
        "shared",
        "the",
        "housing",
        "history",
        "late",
        "and",
        "nobody",
        "checked",
        "on",
        "the",
        "baby",
    ]
    parts = {}
    for part in sevenminute.PARTS:
        chosen = [words[i % len(words)] for i in range(part.word_limit)]
        lines = range(0, len(chosen), words_a_line)
        parts[part.field] = "\n".join(" ".join(chosen[i : i + words_a_line]) for i in lines)
    pdf, pages = sevenminute.render_pdf(written, parts)
    assert pages == 1
    assert_one_tagged_a4_page(pdf, tmp_path, "7-minute briefing: Neglect and housing")


def test_publishing_refuses_a_childs_details_in_the_7_minute_briefing(written, chair):
    nomination = NominationFactory(audit=written, label="Case 1", case=written.cases.first())
    NominationIdentity.objects.create(nomination=nomination, child_name="Zebedee Quartermaine")
    parts = sevenminute.parts_of(seven_minute_draft(audit=written))
    parts["questions"] = "Who was checking on Zebedee Quartermaine at school?"
    seven_minute_save(audit=written, parts=parts)
    with pytest.raises(BriefingHasIdentifiers) as refused:
        briefing_publish(audit=written, user=chair)
    assert any("7-minute briefing, part 6" in place for place in refused.value.places)
    assert not BriefingVersion.objects.exists()


def test_a_changed_7_minute_briefing_is_a_change_to_publish(written, chair):
    seven_minute_draft(audit=written)
    briefing_publish(audit=written, user=chair)
    assert unchanged_since(written) is not None
    parts = sevenminute.parts_of(SevenMinuteBriefing.objects.get(audit=written))
    seven_minute_save(audit=written, parts={**parts, "questions": "A new question?"})
    assert unchanged_since(written) is None


def test_the_demo_7_minute_briefing_is_published_on_one_page(demo_audit, tmp_path):
    version = demo_audit.briefing_versions.first()
    assert version.has_seven_minute
    assert_one_tagged_a4_page(
        bytes(version.seven_minute_pdf), tmp_path, "7-minute briefing: Neglect and housing"
    )
    subject = pdf_info(bytes(version.seven_minute_pdf), tmp_path)["Subject"]
    assert subject == f"{demo_audit.title} 7-minute briefing: Neglect and housing"
    text = pdf_text(bytes(version.seven_minute_pdf), tmp_path)
    for part in sevenminute.PARTS:
        assert part.title in text
    assert "Not written yet" not in text


def test_the_command_drafts_an_imported_audits_parts_and_renders_one_page(db, tmp_path):
    data = json.loads((DEMO_DIR / "exploitation.json").read_text(encoding="utf-8"))
    audit = package_import(data)
    assert not SevenMinuteBriefing.objects.filter(audit=audit).exists()
    out = tmp_path / "imported.pdf"
    call_command("render_seven_minute", str(audit.pk), "--output", str(out), stdout=io.StringIO())
    assert SevenMinuteBriefing.objects.filter(audit=audit).exists()
    title = f"7-minute briefing: {audit.theme.name}"
    assert_one_tagged_a4_page(out.read_bytes(), tmp_path, title)
    html = tmp_path / "imported.html"
    call_command("render_seven_minute", str(audit.pk), "--output", str(html), stdout=io.StringIO())
    assert f"<title>Draft, not published · {title} · MACA</title>" in html.read_text()
    assert Audit.objects.get(pk=audit.pk).seven_minute_briefing.what_needs_to_change


def test_the_chair_can_make_parts_six_and_seven_the_partnership_standard(client, written, chair):
    client.force_login(chair)
    data = {field: "" for field in sevenminute.PART_FIELDS}
    data.update(questions="Who is the lead professional?", find_out_more="Call 01234 567890")
    data["make_standard"] = "on"
    # A telephone number is asked about, as anyone's would be: this one is the service's.
    asked = client.post(reverse("seven_minute_edit", args=[written.pk]), data)
    assert "This looks like it holds a phone number" in asked.content.decode()
    client.post(
        reverse("seven_minute_edit", args=[written.pk]), {**data, "holds_no_identifiers": "on"}
    )
    written.partnership.refresh_from_db()
    assert written.partnership.seven_minute_questions == "Who is the lead professional?"
    qa = member(written)
    client.force_login(qa)
    page = client.get(reverse("seven_minute_edit", args=[written.pk])).content.decode()
    assert "make_standard" not in page  # the partnership's text is the chair's


def test_saving_over_someone_elses_newer_parts_is_refused_keeping_what_was_typed(
    client, written, chair
):
    seven_minute_draft(audit=written)
    client.force_login(chair)
    page = client.get(reverse("seven_minute_edit", args=[written.pk])).content.decode()
    loaded = page.split('name="loaded_version" value="')[1].split('"')[0]
    values = page.split('name="loaded_values" value="')[1].split('"')[0]
    record = SevenMinuteBriefing.objects.get(audit=written)
    record.questions = "Their question?"
    record.save()
    data = {**sevenminute.parts_of(record), "questions": "My question?"}
    data.update(loaded_version=loaded, loaded_values=values)
    response = client.post(reverse("seven_minute_edit", args=[written.pk]), data)
    assert response.status_code == 422
    assert "Someone else changed the 7-minute briefing" in response.content.decode()
    assert "My question?" in response.content.decode()
    assert SevenMinuteBriefing.objects.get(audit=written).questions == "Their question?"


def test_a_viewer_of_a_briefing_published_without_one_is_told_so(client, written, chair):
    briefing_publish(audit=written, user=chair)
    client.force_login(member(written, Membership.Role.VIEWER))
    response = client.get(reverse("seven_minute", args=[written.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("briefing_versions", args=[written.pk])
    assert "No 7-minute briefing has been published for this audit yet." in (
        response.content.decode()
    )


def test_the_publish_page_names_empty_parts(client, written, chair):
    seven_minute_save(audit=written, parts={"background": "Why we looked at this."})
    client.force_login(chair)
    page = client.get(reverse("briefing_publish", args=[written.pk])).content.decode()
    assert "6 of its parts are empty" in page and "7 Find out more" in page


def test_the_publish_page_names_parts_over_their_limit_before_publishing(client, written, chair):
    """A part typed long is kept, and published while the page fits: the chair is told before
    pressing, not after teams have it."""
    seven_minute_save(
        audit=written,
        parts={"background": " ".join(["word"] * 100), "questions": "What now?"},
    )
    client.force_login(chair)
    page = html.unescape(
        client.get(reverse("briefing_publish", args=[written.pk])).content.decode()
    )
    assert "1 of its parts is over its word limit" in page
    assert "1 Background: 100 words, 30 over its limit of 70" in page
    assert "6 Questions" not in page.split("over its word limit")[1].split("</div>")[0]
    assert f"{reverse('seven_minute_edit', args=[written.pk])}#id_background" in page
    seven_minute_save(audit=written, parts={"background": "Why we looked at this."})
    page = client.get(reverse("briefing_publish", args=[written.pk])).content.decode()
    assert "over its word limit" not in page and "over their word limit" not in page


def test_only_writers_are_offered_the_edit_link(client, written):
    housing = AgencyFactory(name="Housing")
    written.agencies.add(housing)
    edit = reverse("seven_minute_edit", args=[written.pk])
    client.force_login(member(written))
    assert edit in client.get(reverse("seven_minute", args=[written.pk])).content.decode()
    client.force_login(member(written, Membership.Role.COORDINATOR, housing))
    page = client.get(reverse("seven_minute", args=[written.pk])).content.decode()
    assert edit not in page and "Download the draft (Word)" in page


def test_a_draft_after_publishing_says_which_version_readers_have_and_links_to_it(
    client, written, chair, tmp_path
):
    from django.utils import timezone

    seven_minute_draft(audit=written)
    client.force_login(chair)
    page = client.get(reverse("seven_minute", args=[written.pk])).content.decode()
    assert "Draft — not yet published" in page
    version = briefing_publish(audit=written, user=chair)
    on = f"{timezone.localtime(version.published_at):%-d %B %Y}"
    line = f"Draft — may differ from version 1, published {on}"
    page = client.get(reverse("seven_minute", args=[written.pk])).content.decode()
    assert line in page and "not yet published" not in page
    published = f'href="{reverse("seven_minute_version", args=[written.pk, 1])}"'
    assert f"{published}>Published version 1, for teams</a>" in page
    # Offered before the draft's own downloads, which say they are the draft.
    assert page.index(published) < page.index("Download the draft (PDF)")
    pdf = client.get(reverse("seven_minute_pdf", args=[written.pk])).content
    assert line in " ".join(pdf_text(pdf, tmp_path).split())
    docx = client.get(reverse("seven_minute_docx", args=[written.pk])).content
    assert line in [p.text for p in Document(io.BytesIO(docx)).paragraphs]


def test_a_reaudits_7_minute_briefing_says_it_is_the_reaudit(client, written, chair):
    reaudit = AuditFactory(partnership=written.partnership, theme=written.theme, reaudit_of=written)
    client.force_login(member(reaudit, Membership.Role.CHAIR))
    page = client.get(reverse("seven_minute", args=[reaudit.pk])).content.decode()
    assert (
        "<title>Draft, not published · 7-minute briefing: Neglect and housing (re-audit) · MACA"
        in page
    )
    assert '<span class="seven-theme-name">Neglect and housing (re-audit)</span>' in page
    original = client.get(reverse("seven_minute", args=[written.pk]))
    assert "(re-audit)" not in original.content.decode()


def test_the_audit_page_leads_to_the_published_7_minute_briefing_once_there_is_one(
    client, written, chair
):
    seven_minute_draft(audit=written)
    client.force_login(chair)
    audit_page = reverse("audit_detail", args=[written.pk])
    before = client.get(audit_page).content.decode()
    assert f'<a href="{reverse("seven_minute", args=[written.pk])}">7-minute briefing</a>' in before
    assert "Write it</a>" in before
    briefing_publish(audit=written, user=chair)
    page = client.get(audit_page).content.decode()
    published = reverse("seven_minute_version", args=[written.pk, 1])
    assert f'<a href="{published}">7-minute briefing</a>, as published in version 1' in page
    assert f'href="{reverse("seven_minute_edit", args=[written.pk])}">Edit the draft</a>' in page
    housing = AgencyFactory(name="Housing")
    written.agencies.add(housing)
    client.force_login(member(written, Membership.Role.COORDINATOR, housing))
    page = client.get(audit_page).content.decode()
    assert f'<a href="{published}">7-minute briefing</a>' in page and "Edit the draft" not in page


def test_those_who_record_sessions_are_offered_it_from_the_7_minute_briefing(
    client, written, chair
):
    housing = AgencyFactory(name="Housing")
    written.agencies.add(housing)
    usage = f'href="{reverse("usage", args=[written.pk])}">Record where it was used</a>'
    coordinator = member(written, Membership.Role.COORDINATOR, housing)
    client.force_login(coordinator)
    assert usage not in client.get(reverse("seven_minute", args=[written.pk])).content.decode()
    briefing_publish(audit=written, user=chair)
    for user, offered in [(coordinator, True), (chair, True), (member(written), False)]:
        client.force_login(user)
        page = client.get(reverse("seven_minute", args=[written.pk])).content.decode()
        assert (usage in page) == offered


def fields_of(page: str, action: str) -> dict:
    from .test_one_press import FormReader

    reader = FormReader(action, action)
    reader.feed(page)
    assert reader.found
    return {name: values[0] for name, values in reader.fields.items()}


def test_a_first_draft_asked_for_after_typing_keeps_what_was_typed(written, client, chair):
    """ "Draft from the briefing" on a 7-minute briefing never saved drafts only the parts left
    empty, into the form: nothing typed is lost, and nothing is saved until Save."""
    client.force_login(chair)
    edit = reverse("seven_minute_edit", args=[written.pk])
    page = client.get(edit).content.decode()
    assert 'form="seven-minute-form" formaction="' in page  # sent with the typed parts
    typed = {"background": "Our own words about the background.", "why_it_matters": " "}
    answer = client.post(reverse("seven_minute_draft", args=[written.pk]), typed)
    assert answer.status_code == 200
    body = html.unescape(answer.content.decode())
    assert "Our own words about the background." in body
    assert "Two cases were audited" not in body  # the typed part is not replaced
    assert "Children were unseen while adults' needs filled the plan." in body  # left empty
    assert "Agree who leads when a family moves area." in body
    assert "Nothing is saved yet" in body
    assert "What will you do differently tomorrow?" in body  # part 6, the partnership's text
    assert not SevenMinuteBriefing.objects.filter(audit=written).exists()
    # The drafted form is saved where the page says, never drafted again.
    fields = fields_of(answer.content.decode(), edit)
    assert fields["background"].strip() == "Our own words about the background."
    # Saved meanwhile in another tab: Save says what differs and keeps the whole form.
    seven_minute_save(audit=written, parts={"background": "Another tab's words."})
    refused = client.post(edit, fields)
    assert refused.status_code == 422
    shown = html.unescape(refused.content.decode())
    assert "Our own words about the background." in shown
    assert "Children were unseen while adults' needs filled the plan." in shown  # drafted, kept
    assert SevenMinuteBriefing.objects.get(audit=written).background == "Another tab's words."
    # A draft asked for from a page drawn before that save replaces nothing, typed or not.
    blank = {name: "" for name in typed} | {"loaded_version": fields["loaded_version"]}
    assert client.post(reverse("seven_minute_draft", args=[written.pk]), blank).status_code == 200
    assert SevenMinuteBriefing.objects.get(audit=written).background == "Another tab's words."
    SevenMinuteBriefing.objects.filter(audit=written).delete()
    # With nothing typed, the draft is made and saved, as before.
    assert client.post(reverse("seven_minute_draft", args=[written.pk])).status_code == 302
    assert "Two cases were audited" in SevenMinuteBriefing.objects.get(audit=written).background


def test_parts_six_and_seven_start_from_the_standard_text_when_written_by_hand(
    client, written, chair
):
    """An unwritten 7-minute briefing's form offers the partnership's parts 6 and 7, so that
    writing the parts by hand keeps them; "Draft from the briefing" from that form still drafts
    and saves at once, the offered text not being taken for words typed."""
    from .test_one_press import FormReader

    client.force_login(chair)
    edit = reverse("seven_minute_edit", args=[written.pk])
    page = client.get(edit).content.decode()
    reader = FormReader(edit, edit)
    reader.feed(page)
    fields = {name: values[0] for name, values in reader.fields.items()}
    assert fields["questions"].strip() == "What will you do differently tomorrow?"
    assert fields["find_out_more"].strip() == "Procedures: www.example.org/procedures"
    # As a browser sends a textarea: with Windows line endings.
    sent = {**fields, "find_out_more": fields["find_out_more"].strip() + "\r\n"}
    drafted = client.post(reverse("seven_minute_draft", args=[written.pk]), sent)
    assert drafted.status_code == 302
    record = SevenMinuteBriefing.objects.get(audit=written)
    assert "Two cases were audited" in record.background
    record.delete()
    typed = {**fields, "background": "Our own words about why we looked at this."}
    assert client.post(edit, typed).status_code == 302
    record = SevenMinuteBriefing.objects.get(audit=written)
    assert record.background == "Our own words about why we looked at this."
    assert record.questions == "What will you do differently tomorrow?"
    assert record.find_out_more == "Procedures: www.example.org/procedures"


def test_drafting_from_the_hand_written_form_is_not_stopped_by_the_standard_texts_line_endings(
    client, written, chair
):
    """The partnership's standard text, saved from a browser's box, keeps its Windows line
    endings: offered in the form and sent back, it is still not taken for words typed."""
    from .test_one_press import FormReader

    partnership = written.partnership
    partnership.seven_minute_questions = "What will you do differently?\r\nWho will you tell?"
    partnership.save(update_fields=["seven_minute_questions"])
    client.force_login(chair)
    edit = reverse("seven_minute_edit", args=[written.pk])
    reader = FormReader(edit, edit)
    reader.feed(client.get(edit).content.decode())
    fields = {name: values[0] for name, values in reader.fields.items()}
    # As a browser sends a textarea: every line ending a Windows one.
    sent = {
        name: value.replace("\r\n", "\n").replace("\n", "\r\n") for name, value in fields.items()
    }
    assert client.post(reverse("seven_minute_draft", args=[written.pk]), sent).status_code == 302
    assert "Two cases were audited" in SevenMinuteBriefing.objects.get(audit=written).background


def test_the_draft_word_file_gives_the_meeting_date_as_its_pdf_does(
    client, written, chair, tmp_path
):
    import datetime

    written.meeting_date = datetime.date(2026, 3, 12)
    written.save()
    seven_minute_draft(audit=written)
    client.force_login(chair)
    line = "Draft — not yet published · Multi-agency meeting 12 March 2026"
    pdf = client.get(reverse("seven_minute_pdf", args=[written.pk])).content
    assert line in " ".join(pdf_text(pdf, tmp_path).split())
    docx = client.get(reverse("seven_minute_docx", args=[written.pk])).content
    assert line in [p.text for p in Document(io.BytesIO(docx)).paragraphs]


def test_an_unsaved_7_minute_briefing_previews_parts_six_and_seven_as_its_form_starts_them(
    client, written, chair, tmp_path
):
    client.force_login(chair)
    page = client.get(reverse("seven_minute", args=[written.pk])).content.decode()
    assert "What will you do differently tomorrow?" in page
    assert "Procedures: www.example.org/procedures" in page
    assert page.count("Not written yet") == 5
    assert "Nothing of it is published with the briefing until it is saved" in page
    pdf = client.get(reverse("seven_minute_pdf", args=[written.pk])).content
    text = pdf_text(pdf, tmp_path)
    assert "What will you do differently tomorrow?" in text


@pytest.mark.parametrize(
    "count, said",
    [(1, "One case was audited"), (6, "Six cases were audited"), (14, "A total of 14 cases were")],
)
def test_the_drafted_background_counts_the_cases_in_words_that_begin_a_sentence(count, said):
    from findings.sevenminute import _cases_were

    assert said.startswith(_cases_were(count))
