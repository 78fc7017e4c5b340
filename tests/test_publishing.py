import hashlib
import re
import subprocess

import pytest
from django.urls import reverse

from cases.models import Audit, LocalReference, NominationIdentity
from findings.models import BriefingVersion, Strength
from findings.publishing import identifying_details_in_briefing
from maca.models import Membership, User

from .conftest import member, pdf_text
from .factories import (
    ActionFactory,
    AgencyFactory,
    CaseFactory,
    FindingFactory,
    NominationFactory,
    RecommendationFactory,
    StrengthFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def written(audit):
    case = CaseFactory(audit=audit, label="Case 1")
    StrengthFactory(case=case, text="Quick referral by the school.")
    return case


def publish(client, audit):
    return client.post(reverse("briefing_publish", args=[audit.pk]))


def test_the_chair_publishes_version_one_with_its_fingerprint(
    client, audit, chair, written, tmp_path
):
    client.force_login(chair)
    confirm = client.get(reverse("briefing_publish", args=[audit.pk]))
    assert "Publish version 1" in confirm.content.decode()
    response = publish(client, audit)
    assert response.status_code == 302
    version = BriefingVersion.objects.get()
    assert (version.number, version.published_by) == (1, chair)
    assert version.sha256 == hashlib.sha256(bytes(version.pdf)).hexdigest()
    listing = client.get(reverse("briefing_versions", args=[audit.pk])).content.decode()
    assert "Version 1" in listing and version.sha256 in listing

    download = client.get(reverse("briefing_version_pdf", args=[audit.pk, 1]))
    assert hashlib.sha256(download.content).hexdigest() == version.sha256
    assert 'filename="neglect-and-housing-briefing-v1.pdf"' in download["Content-Disposition"]
    text = pdf_text(download.content, tmp_path)
    assert "Version 1, published" in text
    path = tmp_path / "v1.pdf"
    path.write_bytes(download.content)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    assert "Keywords:        Version 1" in info
    page = client.get(reverse("briefing_version", args=[audit.pk, 1])).content.decode()
    assert version.sha256 in page and "Quick referral by the school." in page


def test_a_published_version_does_not_change_after_later_edits(client, audit, chair, written):
    client.force_login(chair)
    publish(client, audit)
    first = BriefingVersion.objects.get()
    pdf, html = bytes(first.pdf), first.html
    StrengthFactory(case=written, text="Added after publishing.")
    assert (
        "Added after publishing."
        in client.get(reverse("briefing_html", args=[audit.pk])).content.decode()
    )
    assert (
        "Added after publishing."
        not in client.get(reverse("briefing_version", args=[audit.pk, 1])).content.decode()
    )
    assert client.get(reverse("briefing_version_pdf", args=[audit.pk, 1])).content == pdf
    publish(client, audit)
    assert list(audit.briefing_versions.values_list("number", flat=True)) == [2, 1]
    first.refresh_from_db()
    assert first.html == html
    with pytest.raises(ValueError):
        first.save()


def test_drafts_say_so(client, audit, chair, written):
    client.force_login(chair)
    assert (
        "Draft — not yet published"
        in client.get(reverse("briefing_html", args=[audit.pk])).content.decode()
    )


def test_publishing_is_refused_when_the_text_holds_a_childs_name_or_reference(client, audit, chair):
    housing = AgencyFactory(name="Housing")
    nomination = NominationFactory(audit=audit, label="Case 1")
    identity = NominationIdentity.objects.create(nomination=nomination, child_name="Ellie Brampton")
    LocalReference.objects.create(identity=identity, agency=housing, reference="HX-44821")
    case = CaseFactory(audit=audit, label="Case 1")
    FindingFactory(case=case, text="Ellie's mother spoke to Housing (ref HX-44821).")
    StrengthFactory(case=case, text="Brampton family engaged well.")
    client.force_login(chair)
    response = publish(client, audit)
    assert response.status_code == 422
    body = response.content.decode()
    place = "Findings identified per case › Case 1, point 1 contains "
    assert place + "Housing&#x27;s reference number for Case 1." in body
    assert (
        "Strengths identified per case › Case 1, point 1 contains part of the name held for Case 1."
        in body
    )
    assert not BriefingVersion.objects.exists()


def test_the_publish_page_lists_a_childs_details_before_publish_is_pressed_and_keeps_the_ticks(
    client, audit, chair, identified
):
    import datetime

    from django.utils import timezone

    audit.meeting_date = timezone.localdate() + datetime.timedelta(days=10)
    audit.save()
    FindingFactory(case=identified, text="Ellie's mother was seen.")
    client.force_login(chair)
    url = reverse("briefing_publish", args=[audit.pk])
    page = client.get(url).text
    assert "1 place in the briefing holds a child's identifying details" in page
    assert "Findings identified per case › Case 1, point 1 contains part of the name" in page

    refused = client.post(url, {"before_meeting": "on"})
    assert refused.status_code == 422
    assert "The briefing was not published: it holds identifying details" in refused.text
    assert re.search(r'<input[^>]*name="before_meeting"[^>]*checked', refused.text)  # kept
    assert "Publish version 1" in refused.text
    assert refused.text.count("contains part of the name held for Case 1") == 1  # said once
    assert not BriefingVersion.objects.exists()


@pytest.mark.parametrize(
    "role, status",
    [(Membership.Role.QA_MEMBER, 403), (Membership.Role.VIEWER, 404)],
)
def test_only_the_chair_publishes(client, audit, written, role, status):
    client.force_login(member(audit, role))
    assert publish(client, audit).status_code == status
    assert not BriefingVersion.objects.exists()


def test_versions_are_private_to_the_partnership(client, audit, chair, outsider, written):
    client.force_login(chair)
    publish(client, audit)
    client.force_login(outsider)
    for url in (
        reverse("briefing_versions", args=[audit.pk]),
        reverse("briefing_version", args=[audit.pk, 1]),
        reverse("briefing_version_pdf", args=[audit.pk, 1]),
    ):
        assert client.get(url).status_code == 404


@pytest.fixture
def identified(audit):
    housing = AgencyFactory(name="Housing")
    nomination = NominationFactory(audit=audit, label="Case 1")
    identity = NominationIdentity.objects.create(
        nomination=nomination, child_name="Ellie Brampton", date_of_birth="2015-03-05"
    )
    LocalReference.objects.create(identity=identity, agency=housing, reference="HX44821")
    return CaseFactory(audit=audit, label="Case 1")


@pytest.mark.parametrize(
    "text, found",
    [
        ("Born 5/3/2015, the youngest.", "the date of birth held for Case 1"),
        ("Born on 05-03-2015.", "the date of birth held for Case 1"),
        ("Born 5th March 2015.", "the date of birth held for Case 1"),
        ("Recorded as 2015-03-05.", "the date of birth held for Case 1"),
        ("Born March 5, 2015.", "the date of birth held for Case 1"),
        ("Born 05/03/15.", "the date of birth held for Case 1"),
        ("Housing ref HX 448-21 was closed.", "Housing's reference number for Case 1"),
        ("Ellie\u200bBrampton moved twice.", "the name held for Case 1"),
        ("ＥＬＬＩＥ was seen.", "part of the name held for Case 1"),
        # Every kind of character that renders as nothing, hidden inside the name.
        *(
            (f"El{hidden}lie Bramp{hidden}ton moved twice.", "the name held for Case 1")
            for hidden in (
                "\u2064",  # invisible plus
                "\u200e\u200f",  # direction marks, as text pasted from an email brings
                "\u202a\u202e\u202c",  # embeddings and overrides
                "\u2066\u2069",  # isolates
                "\u061c\u180e",  # the Arabic letter mark, the Mongolian vowel separator
                "\u034f\u180b\ufe0f",  # the grapheme joiner and variation selectors
                "\U000e0041\U000e007f",  # tags
                "\u3164",  # the Hangul filler
            )
        ),
        # Letters of other alphabets drawn like Latin ones, read as they look, not as they sound:
        # a Cyrillic Е and a Greek Β; a Cyrillic Н and Х, which sound "N" and "Kh".
        ("\u0415llie \u0392rampton moved twice.", "the name held for Case 1"),
        ("\u0392rampton moved twice.", "part of the name held for Case 1"),
        ("Housing ref \u041d\u0425 448-21 was closed.", "Housing's reference number for Case 1"),
        # A name written in another alphabet, read as it sounds.
        ("\u042d\u043b\u043b\u0438\u0435 moved twice.", "part of the name held for Case 1"),
    ],
)
def test_the_check_sees_through_spacing_invisible_characters_and_date_formats(
    audit, identified, text, found
):
    StrengthFactory(case=identified, text=text)
    places = identifying_details_in_briefing(audit)
    assert any(place.endswith(f" contains {found}.") for place in places), places


def test_a_symbol_is_not_read_as_words_but_a_letter_drawn_as_one_is(audit, identified):
    from maca.identifiers import normalised

    assert normalised("£500 for the family 🌹, № 4") == " 500 for the family  , No 4"
    texts = [f"Seen with {drawn} today." for drawn in ("🅴🅻🅻🅸🅴", "🄴🄻🄻🄸🄴", "🇪🇱🇱🇮🇪")]
    # A tick or a currency sign is no letter, and a flag beside a name does not hide it.
    texts += ["✓Ellie attended.", "¥Ellie paid.", "Ellie🇬🇧 attended.", "🇬🇧Ellie attended."]
    for text in texts:
        StrengthFactory(case=identified, text=text)
    places = identifying_details_in_briefing(audit)
    assert len(places) == len(texts), places
    assert all("part of the name held for Case 1" in place for place in places)
    # Shapes too are found in whichever reading holds them: here the first of two.
    from maca.identifiers import identifying_shapes

    assert identifying_shapes("Write to 🅽🅽1 2AB.") == ["a postcode"]


def test_the_two_readings_of_a_text_are_searched_apart(audit, identified):
    from maca.identifiers import identifying_shapes, searched

    # The Cyrillic С reads "S" by its sound and "C" by its look: two readings, never joined,
    # so the end of one and the start of the other make no date of birth.
    text = "14/02/2024 Home visit; the \u0421arer said the baby had been born"
    assert searched(text) == [text.replace("\u0421", "S"), text.replace("\u0421", "C")]
    assert identifying_shapes(text) == []
    # An accented look-alike is read as the letter it looks like too.
    assert "Harry" in searched("\u0389arry")[-1]


@pytest.mark.parametrize(
    "text",
    ["Seen 15/3/2015 and 5/3/2016.", "Bramptonshire Road school closed.", "Smellie was wellied."],
)
def test_the_check_does_not_refuse_text_that_only_looks_alike(audit, identified, text):
    StrengthFactory(case=identified, text=text)
    assert identifying_details_in_briefing(audit) == []


def test_a_case_label_and_a_published_plan_are_checked_too(client, audit, chair, identified):
    from actions.models import Action

    identified.label = "Ellie B"
    identified.save()
    StrengthFactory(case=identified, text="Quick referral by the school.")
    places = identifying_details_in_briefing(audit)
    assert "The case label “Ellie B” contains part of the name held for Case 1." in places
    identified.label = "Case 1"
    identified.save()
    Action.objects.create(audit=audit, text="Review Ellie's tenancy.", due_date="2027-01-01")
    assert identifying_details_in_briefing(audit) == []  # the plan stays with the members
    client.force_login(chair)
    refused = client.post(reverse("briefing_publish", args=[audit.pk]), {"with_plan": "on"})
    assert refused.status_code == 422
    assert (
        "The action plan, action 1 (action) contains part of the name" in refused.content.decode()
    )
    assert client.post(reverse("briefing_publish", args=[audit.pk])).status_code == 302


def test_the_publish_page_says_which_sections_will_be_left_out(client, audit, chair, written):
    client.force_login(chair)
    page = client.get(reverse("briefing_publish", args=[audit.pk])).content.decode()
    assert "have nothing in them and will be left out" in page
    assert ">write them first</a>" in page
    for heading in ("Theme / Cases", "Process", "Findings identified per case", "Learning summary"):
        assert f"<li>{heading}</li>" in page
    assert "<li>Strengths identified per case</li>" not in page


def test_the_publish_page_speaks_of_one_section_left_out_as_it(client, demo_audit):
    exploitation = Audit.objects.get(theme__name="Child exploitation")
    client.force_login(User.objects.get(username="chair"))
    page = client.get(reverse("briefing_publish", args=[exploitation.pk])).content.decode()
    assert "1 of the briefing's sections has nothing in it and will be left out" in page
    assert "<li>Learning summary</li>" in page
    assert ">write it first</a>" in page and "write them first" not in page


def test_an_annex_of_actions_waiting_for_the_plan_is_not_said_to_be_empty(
    client, audit, chair, written
):
    ActionFactory(audit=audit)
    ActionFactory(audit=audit, status="cancelled", cancel_reason="Not needed.")
    client.force_login(chair)
    page = client.get(reverse("briefing_publish", args=[audit.pk])).text
    assert "<li>Annex: actions</li>" not in page
    assert "“Annex: actions” lists the plan's 1 action only when the plan is published" in page


def test_the_chair_is_told_of_identifying_details_while_writing(client, audit, chair, identified):
    """Only the chair, who holds the details: shown to a QA member, the warning would let them
    test guesses at details they may not see."""
    StrengthFactory(case=identified, text="Ellie Brampton was seen at home.")
    url = reverse("authoring", args=[audit.pk])
    client.force_login(chair)
    page = client.get(url).content.decode()
    assert "Take identifying details out before the briefing can be published" in page
    assert "contains the name held for Case 1." in page
    client.force_login(member(audit, Membership.Role.QA_MEMBER))
    assert "Take identifying details out" not in client.get(url).content.decode()


def test_identifying_details_written_in_place_are_reported_at_once_and_cleared(
    client, audit, chair, identified
):
    """A change made in place brings the chair's list of identifying details up to date, with
    no need to load the page again; a QA member's change brings an empty one."""
    add = reverse("item_add", args=[audit.pk, "strength"]) + f"?case={identified.pk}"
    htmx = {"HTTP_HX_REQUEST": "true"}
    area = '<div id="identifying-details" hx-swap-oob="innerHTML">'
    client.force_login(chair)
    said = client.post(add, {"new-strength-text": "Ellie Brampton was seen at home."}, **htmx)
    found = said.content.decode().split(area)[1]
    assert "Take identifying details out" in found and "the name held for Case 1." in found
    assert 'role="alert"' not in found  # swapped in, it is told once, by the message area:
    assert "The briefing still holds identifying details" in found.split('id="messages"')[1]
    strength = Strength.objects.get()
    delete = reverse("item_delete", args=[audit.pk, "strength", strength.pk])
    cleared = client.post(delete, **htmx).content.decode().split(area)[1]
    assert "Take identifying details out" not in cleared
    assert "still holds identifying details" not in cleared

    client.force_login(member(audit, Membership.Role.QA_MEMBER))
    said = client.post(add, {"new-strength-text": "Ellie Brampton was seen at home."}, **htmx)
    assert area in said.content.decode()
    assert "Take identifying details out" not in said.content.decode()


def test_a_whole_name_is_reported_once_not_once_per_part(audit, identified):
    StrengthFactory(case=identified, text="Ellie Brampton was seen at home.")
    assert identifying_details_in_briefing(audit) == [
        "Strengths identified per case › Case 1, point 1 contains the name held for Case 1."
    ]


@pytest.mark.parametrize(
    "name, text, found",
    [
        ("Will Hope", "The plan will give the family hope.", False),
        ("Will Hope", "Will was seen at school.", True),
        ("Will HOPE", "Hope was seen.", True),
        ("JANE SMITH", "Jane was seen.", True),
        ("Mary-Jane Lee", "Mary was seen at school.", True),
        ("Zoë O'Neill", "Zoe moved twice; Oneill is her mother's name.", True),
        ("Zoë O'Neill", "ZOË moved twice.", True),
    ],
)
def test_name_parts_are_found_as_names_are_written(audit, name, text, found):
    nomination = NominationFactory(audit=audit, label="Case 1")
    NominationIdentity.objects.create(nomination=nomination, child_name=name)
    StrengthFactory(case=CaseFactory(audit=audit, label="Case 1"), text=text)
    assert bool(identifying_details_in_briefing(audit)) == found


def test_publishing_again_says_whether_anything_has_changed(client, audit, chair, written):
    client.force_login(chair)
    page = reverse("briefing_publish", args=[audit.pk])
    assert "Nothing in the briefing has changed" not in client.get(page).content.decode()
    publish(client, audit)
    assert "has changed since <strong>version 1</strong>" in client.get(page).content.decode()
    StrengthFactory(case=written, text="Added after publishing.")
    assert "Nothing in the briefing has changed" not in client.get(page).content.decode()


def test_the_audit_page_gives_the_latest_version_and_the_draft_only_once_it_differs(
    client, audit, chair, written
):
    client.force_login(chair)
    page = client.get(reverse("audit_detail", args=[audit.pk])).content.decode()
    assert "View the draft briefing" in page  # nothing published yet: the draft, named so
    publish(client, audit)

    page = client.get(reverse("audit_detail", args=[audit.pk])).content.decode()
    assert reverse("briefing_version_pdf", args=[audit.pk, 1]) in page
    assert reverse("briefing_version_docx", args=[audit.pk, 1]) in page
    assert reverse("briefing_pdf", args=[audit.pk]) not in page
    versions_url = reverse("briefing_versions", args=[audit.pk])
    assert "read the draft" not in client.get(versions_url).content.decode()

    StrengthFactory(case=written, text="Added after publishing.")
    listing = client.get(versions_url).content.decode()
    assert "changed since version 1" in listing and "read the draft" in listing


def test_a_version_s_word_file_is_the_one_published(client, audit, chair, written):
    from io import BytesIO

    from docx import Document

    client.force_login(chair)
    publish(client, audit)
    StrengthFactory(case=written, text="Added after publishing.")
    response = client.get(reverse("briefing_version_docx", args=[audit.pk, 1]))
    assert 'filename="neglect-and-housing-briefing-v1.docx"' in response["Content-Disposition"]
    text = "\n".join(p.text for p in Document(BytesIO(response.content)).paragraphs)
    assert "Version 1, published" in text and "Draft" not in text
    assert "Added after publishing." not in text


def test_publishing_before_the_meeting_asks_first_naming_the_date(client, audit, chair, written):
    import datetime

    from django.utils import timezone

    audit.meeting_date = timezone.localdate() + datetime.timedelta(days=10)
    audit.save()
    when = f"{audit.meeting_date:%-d %B %Y}"
    client.force_login(chair)
    url = reverse("briefing_publish", args=[audit.pk])
    assert f"Publish before the multi-agency meeting on {when}" in client.get(url).text
    refused = client.post(url)
    assert refused.status_code == 422
    assert f"The meeting is on {when}, after today." in refused.text
    assert not BriefingVersion.objects.exists()
    assert client.post(url, {"before_meeting": "on"}).status_code == 302
    assert BriefingVersion.objects.count() == 1

    audit.meeting_date = timezone.localdate()  # on the day, or after: no question
    audit.save()
    assert "before the multi-agency meeting" not in client.get(url).text
    assert client.post(url).status_code == 302


def test_the_pdf_is_rendered_before_the_audit_is_locked(audit, chair, written, monkeypatch):
    """Nobody's edits to the audit wait while a large briefing's PDF is rendered."""
    from django.db.models import QuerySet

    from findings import briefing, publishing

    events = []
    render, lock = briefing.render_pdf_bytes, QuerySet.select_for_update

    def rendering(*args, **kwargs):
        events.append("render")
        return render(*args, **kwargs)

    def locking(self, *args, **kwargs):
        events.append("lock")
        return lock(self, *args, **kwargs)

    monkeypatch.setattr(briefing, "render_pdf_bytes", rendering)
    monkeypatch.setattr(QuerySet, "select_for_update", locking)
    version = publishing.briefing_publish(audit=audit, user=chair)
    assert events == ["render", "lock"]
    assert version.number == 1 and version.pdf.startswith(b"%PDF")


def test_a_number_taken_while_rendering_is_rendered_again_under_the_lock(
    audit, chair, written, monkeypatch, tmp_path
):
    from django.utils import timezone

    from findings import briefing, publishing

    render = briefing.render_pdf_bytes
    numbers = []

    def rendering(audit_, *, version):
        numbers.append(version["number"])
        if len(numbers) == 1:  # another publisher finishes while this one renders
            BriefingVersion.objects.create(
                audit=audit,
                number=1,
                html="x",
                pdf=b"%PDF",
                sha256="0" * 64,
                published_by=chair,
                published_at=timezone.now(),
            )
        return render(audit_, version=version)

    monkeypatch.setattr(briefing, "render_pdf_bytes", rendering)
    version = publishing.briefing_publish(audit=audit, user=chair)
    assert numbers == [1, 2] and version.number == 2
    assert "Version 2" in pdf_text(bytes(version.pdf), tmp_path)


def _edit_item(audit, kind, item, user, **changes):
    """Save `changes` over a briefing item as a QA member's edit form does, the rest kept."""
    from findings.forms import item_form_class
    from findings.services import KINDS, item_update
    from maca.concurrency import version_of

    data = {
        "text": item.text,
        "agency": item.agency_id or "",
        "tags": [tag.pk for tag in item.tags.all()],
        "loaded_version": version_of(item),
    }
    if kind == "recommendation":
        data |= {
            "cases": [case.pk for case in item.cases.all()],
            "impact_measure": item.impact_measure,
        }
    form = item_form_class(KINDS[kind], audit)(data | changes, instance=item)
    assert form.is_valid(), form.errors
    item_update(form=form, user=user)


def _edit_strength(audit, strength, text, user):
    _edit_item(audit, "strength", strength, user, text=text)


def _write_seven_minute_part(audit, text, user):
    from findings.services import seven_minute_save

    seven_minute_save(audit=audit, parts={"background": text}, user=user)


EDITS_SAVED_WHILE_PUBLISHING = {
    "a strength": lambda audit, user: _edit_strength(
        audit, audit.cases.get().strengths.get(), "Edited while publishing.", user
    ),
    "the 7-minute briefing": lambda audit, user: _write_seven_minute_part(
        audit, "Edited while publishing.", user
    ),
}


@pytest.mark.parametrize("edited", EDITS_SAVED_WHILE_PUBLISHING)
def test_an_edit_saved_while_the_pdf_renders_is_not_published_unchecked(
    client, audit, chair, written, monkeypatch, edited
):
    """Another QA member saves an edit while the chair's Publish is rendering the PDF: the
    version would hold the words checked and the library the edited ones, never checked."""
    from findings import briefing
    from learning.models import LibraryEntry

    qa_member = member(audit)
    render = briefing.render_pdf_bytes
    renders = []

    def rendering_while_someone_saves(*args, **kwargs):
        renders.append(1)
        if len(renders) == 1:
            EDITS_SAVED_WHILE_PUBLISHING[edited](audit, qa_member)
        return render(*args, **kwargs)

    monkeypatch.setattr(briefing, "render_pdf_bytes", rendering_while_someone_saves)
    client.force_login(chair)
    refused = client.post(reverse("briefing_publish", args=[audit.pk]), {"with_plan": "on"})
    assert refused.status_code == 422
    assert (
        "Something in the briefing changed while it was being published; check it and publish "
        "again." in refused.text
    )
    with_plan_box = re.search(r'<input[^>]*name="with_plan"[^>]*>', refused.text).group()
    assert "checked" in with_plan_box  # as the chair ticked it
    assert not BriefingVersion.objects.exists()
    assert not LibraryEntry.objects.exists()
    audit.refresh_from_db()
    assert audit.briefing_published_at is None and audit.plan_published_at is None

    again = client.post(reverse("briefing_publish", args=[audit.pk]), {"with_plan": "on"})
    assert again.status_code == 302
    version = BriefingVersion.objects.get()
    published = version.html + version.seven_minute_html
    assert "Edited while publishing." in published
    if edited == "a strength":
        texts = list(LibraryEntry.objects.values_list("text", flat=True))
        assert texts == ["Edited while publishing."]


def test_an_edit_saved_while_the_library_is_filled_is_not_published(
    audit, chair, written, monkeypatch
):
    from findings import briefing, publishing
    from learning.models import LibraryEntry

    monkeypatch.setattr(briefing, "render_pdf_bytes", lambda audit, version=None: b"%PDF-1.7")
    qa_member = member(audit)

    def saved_while_indexing(sender, version, **kwargs):
        _edit_strength(audit, written.strengths.get(), "Edited while indexing.", qa_member)

    publishing.briefing_published.connect(saved_while_indexing)
    try:
        with pytest.raises(publishing.BriefingChangedWhilePublishing):
            publishing.briefing_publish(audit=audit, user=chair)
    finally:
        publishing.briefing_published.disconnect(saved_while_indexing)
    assert not BriefingVersion.objects.exists()
    assert not LibraryEntry.objects.exists()


def test_a_briefing_left_alone_while_publishing_is_published_and_indexed(
    client, audit, chair, written
):
    from learning.models import LibraryEntry

    client.force_login(chair)
    assert publish(client, audit).status_code == 302
    assert BriefingVersion.objects.get().number == 1
    assert list(LibraryEntry.objects.values_list("text", flat=True)) == [
        "Quick referral by the school."
    ]


@pytest.fixture
def drawn_on(audit, written):
    """A finding about Housing, and a recommendation drawn on the first of two cases."""
    housing, police = (
        AgencyFactory(name=n, partnership=audit.partnership) for n in ("Housing", "Police")
    )
    audit.agencies.add(housing, police)
    FindingFactory(case=written, text="Drift while the family moved.", agency=housing)
    CaseFactory(audit=audit, label="Case 2")
    RecommendationFactory(audit=audit, text="Share tenancy risks.").cases.add(written)


def _finding_moved_to_police(audit, user):
    finding = audit.cases.get(label="Case 1").findings.get()
    _edit_item(audit, "finding", finding, user, agency=audit.agencies.get(name="Police").pk)


def _recommendation_drawn_on_both_cases(audit, user):
    cases = [case.pk for case in audit.cases.all()]
    _edit_item(audit, "recommendation", audit.recommendations.get(), user, cases=cases)


PRINTED_DETAILS_CHANGED_WHILE_PUBLISHING = {
    "a finding's agency": (_finding_moved_to_police, "Police:</span> Drift while the family"),
    "a recommendation's cases": (_recommendation_drawn_on_both_cases, "(Seen in Case 1, Case 2)"),
}


def _saved_while_rendering(monkeypatch, edit):
    """Run `edit` while the first PDF renders, as another member's save would."""
    from findings import briefing

    render = briefing.render_pdf_bytes
    renders = []

    def rendering_while_someone_saves(*args, **kwargs):
        renders.append(1)
        if len(renders) == 1:
            edit()
        return render(*args, **kwargs)

    monkeypatch.setattr(briefing, "render_pdf_bytes", rendering_while_someone_saves)


@pytest.mark.parametrize("changed", PRINTED_DETAILS_CHANGED_WHILE_PUBLISHING)
def test_an_agency_or_cases_changed_while_the_pdf_renders_is_not_published(
    client, audit, chair, drawn_on, monkeypatch, changed
):
    from learning.models import LibraryEntry

    edit, printed = PRINTED_DETAILS_CHANGED_WHILE_PUBLISHING[changed]
    qa_member = member(audit)
    _saved_while_rendering(monkeypatch, lambda: edit(audit, qa_member))
    client.force_login(chair)
    refused = publish(client, audit)
    assert refused.status_code == 422
    assert "Something in the briefing changed while it was being published" in refused.text
    assert not BriefingVersion.objects.exists()
    assert not LibraryEntry.objects.exists()

    assert publish(client, audit).status_code == 302
    assert printed in BriefingVersion.objects.get().html


def test_learning_tags_changed_while_the_pdf_renders_are_not_indexed_unchecked(
    audit, chair, written, monkeypatch
):
    from findings import publishing
    from learning.models import LibraryEntry

    tag = TagFactory(partnership=audit.partnership, name="Tenancy risk")
    strength = written.strengths.get()
    qa_member = member(audit)

    def tagged():
        _edit_item(audit, "strength", strength, qa_member, tags=[tag.pk])

    _saved_while_rendering(monkeypatch, tagged)
    with pytest.raises(publishing.BriefingChangedWhilePublishing):
        publishing.briefing_publish(audit=audit, user=chair)
    assert not LibraryEntry.objects.exists()

    publishing.briefing_publish(audit=audit, user=chair)
    assert list(LibraryEntry.objects.values_list("tags__name", flat=True)) == ["Tenancy risk"]


def test_the_check_names_a_case_by_its_label_as_it_is_now(client, audit, chair, identified):
    nomination = NominationIdentity.objects.get().nomination
    nomination.case = identified
    nomination.save()
    identified.label = "Case 2"  # renumbered by the chair after the selection
    identified.save()
    StrengthFactory(case=identified, text="Ellie Brampton moved twice.")
    places = identifying_details_in_briefing(audit)
    assert places and all("held for Case 2" in place for place in places), places
    client.force_login(chair)
    listed = client.get(reverse("nomination_list", args=[audit.pk])).content.decode()
    assert "now Case 2" in listed
    shown = client.get(reverse("nomination_identifiers", args=[audit.pk, nomination.pk]))
    assert "Identifying details: Case 2" in shown.content.decode()
    assert "Nominated as Case 1." in shown.content.decode()


def test_a_learning_tag_of_an_item_is_checked_before_it_is_published(
    client, audit, chair, identified
):
    from findings.models import Tag

    finding = FindingFactory(case=identified, text="Nobody asked the child.")
    tag = Tag.objects.create(partnership=audit.partnership, name="Brampton family")
    finding.tags.add(tag)
    places = identifying_details_in_briefing(audit)
    assert "The learning tag “Brampton family” contains part of the name held for Case 1." in places
    client.force_login(chair)
    assert client.post(reverse("briefing_publish", args=[audit.pk])).status_code == 422
    finding.tags.remove(tag)  # made, but marking nothing: not published
    assert identifying_details_in_briefing(audit) == []
