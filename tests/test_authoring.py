import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from findings.models import Finding, Recommendation, Strength, Tag
from maca.concurrency import version_of
from maca.models import Membership

from .conftest import member
from .factories import (
    AgencyFactory,
    AuditFactory,
    CaseFactory,
    FindingFactory,
    PartnershipFactory,
    RecommendationFactory,
    StrengthFactory,
)
from .spoken import names

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def qa(audit):
    return member(audit, Membership.Role.QA_MEMBER)


@pytest.fixture
def case(audit):
    return CaseFactory(audit=audit, label="Case 1")


def add_url(audit, kind, case=None):
    url = reverse("item_add", args=[audit.pk, kind])
    return f"{url}?case={case.pk}" if case else url


@pytest.mark.parametrize(
    "role, expected",
    [
        (Membership.Role.CHAIR, 200),
        (Membership.Role.QA_MEMBER, 200),
        (Membership.Role.COORDINATOR, 403),
    ],
)
def test_chair_and_qa_members_write_the_briefing(client, audit, role, expected):
    agency = AgencyFactory()
    audit.agencies.add(agency)
    user = member(audit, role, agency=agency if role == Membership.Role.COORDINATOR else None)
    client.force_login(user)
    assert client.get(reverse("authoring", args=[audit.pk])).status_code == expected


def test_outsiders_and_viewers_cannot_reach_authoring(client, audit, outsider):
    client.force_login(outsider)
    assert client.get(reverse("authoring", args=[audit.pk])).status_code == 404
    client.force_login(member(audit, Membership.Role.VIEWER))
    assert client.get(reverse("authoring", args=[audit.pk])).status_code == 404


def test_a_qa_member_adds_a_finding_with_agency_and_tags(client, audit, qa, case):
    police = AgencyFactory(name="Police", partnership=audit.partnership)
    audit.agencies.add(police)
    tag = Tag.objects.get(name="escalation", partnership=audit.partnership)
    client.force_login(qa)
    response = client.post(
        add_url(audit, "finding", case),
        {
            "new-finding-text": "  Concerns not escalated.  ",
            "new-finding-agency": police.pk,
            "new-finding-tags": [tag.pk],
        },
    )
    assert response.status_code == 302
    finding = Finding.objects.get()
    assert (finding.case, finding.text, finding.agency) == (case, "Concerns not escalated.", police)
    assert list(finding.tags.all()) == [tag]
    page = client.get(reverse("authoring", args=[audit.pk])).content.decode()
    assert "Concerns not escalated." in page
    # The tags are said as tags, not run on from the finding's sentence.
    finding.tags.add(Tag.objects.get(name="neglect", partnership=audit.partnership))
    page = client.get(reverse("authoring", args=[audit.pk])).content.decode()
    tags = re.search(r'<div class="mt-1 item-tags">.*?</div>', page)[0]
    assert " ".join(re.sub(r"<[^>]+>", "", tags).split()) == "Tags: escalation, neglect"


def test_each_cases_add_links_name_the_case(client, audit, qa, case):
    CaseFactory(audit=audit, label="Case 2")
    client.force_login(qa)
    heard = names(client.get(reverse("authoring", args=[audit.pk])).content.decode())
    adds = [name for name in heard if name.startswith(("Add a strength", "Add a finding"))]
    assert adds == [
        "Add a strength for Case 1",
        "Add a finding for Case 1",
        "Add a strength for Case 2",
        "Add a finding for Case 2",
    ]


def test_inline_add_with_htmx_returns_the_updated_content(client, audit, qa, case):
    client.force_login(qa)
    response = client.post(
        add_url(audit, "strength", case), {"new-strength-text": "Voice recorded."}, **HTMX
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#authoring"
    assert "Voice recorded." in response.content.decode()


def message_area(response) -> str:
    """The page's message area as an answer in place swaps it in (last), with what it says."""
    html = response.content.decode()
    return html[html.index('<div id="messages" aria-live="polite" hx-swap-oob="innerHTML">') :]


def test_a_change_made_in_place_says_so_and_the_next_press_says_only_its_own(
    client, audit, qa, case
):
    client.force_login(qa)
    added = client.post(add_url(audit, "strength", case), {"new-strength-text": "Seen."}, **HTMX)
    assert "The strength was added." in message_area(added)
    strength = Strength.objects.get()
    # Also beside the item, where the eye is (the message area may be far above).
    item = added.content.decode().split(f'id="item-strength-{strength.pk}"')[1].split("</li>")[0]
    assert 'class="small mb-0 mt-1 just-said text-success-emphasis" aria-hidden="true">' in item
    assert "The strength was added." in item
    edit = reverse("item_edit", args=[audit.pk, "strength", strength.pk])
    prefix = f"edit-strength-{strength.pk}"
    version = {f"{prefix}-loaded_version": loaded_version(client, edit, prefix)}
    unchanged = client.post(edit, {f"{prefix}-text": "Seen.", **version}, **HTMX)
    assert "Nothing changed, so nothing was saved." in message_area(unchanged)
    assert "was added" not in message_area(unchanged)
    refused = client.post(edit, {f"{prefix}-text": " ", **version}, **HTMX)
    assert refused.status_code == 422
    assert 'role="status"' not in message_area(refused)
    moved = client.post(
        reverse("item_move", args=[audit.pk, "strength", strength.pk]), {"direction": "up"}, **HTMX
    )
    assert 'role="status"' not in message_area(moved)
    # Shown once: the next whole page does not say it again.
    page = client.get(reverse("authoring", args=[audit.pk])).content.decode()
    assert "was added" not in page and "Nothing changed" not in page


def test_a_form_opened_in_place_leaves_the_message_area_alone(client, audit, qa, case):
    client.force_login(qa)
    form = client.get(add_url(audit, "strength", case), **HTMX).content.decode()
    assert 'id="messages"' not in form


def test_add_forms_open_in_two_cases_at_once_have_ids_of_their_own(client, audit, qa, case):
    other = CaseFactory(audit=audit, label="Case 2")
    client.force_login(qa)
    first = client.get(add_url(audit, "finding", case), **HTMX).content.decode()
    second = client.get(add_url(audit, "finding", other), **HTMX).content.decode()
    ids = [set(re.findall(r' id="(id_[^"]+)"', form)) for form in (first, second)]
    assert ids[0] and ids[1] and not ids[0] & ids[1]
    assert 'name="new-finding-text"' in first and 'name="new-finding-text"' in second


def test_an_empty_item_is_refused_next_to_the_field_and_nothing_is_saved(client, audit, qa, case):
    client.force_login(qa)
    response = client.post(add_url(audit, "strength", case), {"new-strength-text": "   "}, **HTMX)
    assert response.status_code == 422
    assert "Enter the text." in response.content.decode()
    assert not Strength.objects.exists()


def test_a_recommendation_links_the_cases_that_evidence_it(client, audit, qa):
    first, second = (
        CaseFactory(audit=audit, label="Case 1"),
        CaseFactory(audit=audit, label="Case 2"),
    )
    other_audit_case = CaseFactory()
    client.force_login(qa)
    client.post(
        add_url(audit, "recommendation"),
        {
            "new-recommendation-text": "Share plans.",
            "new-recommendation-cases": [first.pk, second.pk],
        },
    )
    recommendation = Recommendation.objects.get()
    assert set(recommendation.cases.all()) == {first, second}
    response = client.post(
        add_url(audit, "recommendation"),
        {"new-recommendation-text": "Bad.", "new-recommendation-cases": [other_audit_case.pk]},
    )
    assert response.status_code == 422
    assert Recommendation.objects.count() == 1


def loaded_version(client, url, prefix):
    page = client.get(url).content.decode()
    return page.split(f'name="{prefix}-loaded_version" value="')[1].split('"')[0]


def test_edit_keeps_what_was_typed_on_error_and_saves_when_valid(client, audit, qa, case):
    finding = FindingFactory(case=case, text="Original.")
    client.force_login(qa)
    url = reverse("item_edit", args=[audit.pk, "finding", finding.pk])
    prefix = f"edit-finding-{finding.pk}"
    version = {f"{prefix}-loaded_version": loaded_version(client, url, prefix)}
    response = client.post(url, {f"{prefix}-text": "", f"{prefix}-agency": "999", **version})
    assert response.status_code == 422
    client.post(url, {f"{prefix}-text": "Changed.", **version})
    finding.refresh_from_db()
    assert finding.text == "Changed."


def test_the_edit_page_opened_in_its_own_tab_confirms_and_returns_to_writing(
    client, audit, qa, case
):
    finding = FindingFactory(case=case, text="Original.")
    client.force_login(qa)
    url = reverse("item_edit", args=[audit.pk, "finding", finding.pk])
    page = client.get(url).content.decode()
    assert "hx-post" not in page  # a plain form: nothing on this page for htmx to swap into
    prefix = f"edit-finding-{finding.pk}"
    version = {f"{prefix}-loaded_version": loaded_version(client, url, prefix)}
    response = client.post(url, {f"{prefix}-text": "Changed.", **version}, follow=True)
    assert response.redirect_chain[-1][0] == (
        reverse("authoring", args=[audit.pk]) + f"#item-finding-{finding.pk}"
    )
    assert "The finding was saved." in response.content.decode()


def test_reordering_moves_an_item_and_stops_at_the_ends(client, audit, qa, case):
    first, second, third = (StrengthFactory(case=case, text=t) for t in ("A", "B", "C"))
    client.force_login(qa)

    def move(item, direction):
        url = reverse("item_move", args=[audit.pk, "strength", item.pk])
        return client.post(url, {"direction": direction})

    move(third, "up")
    assert [s.text for s in case.strengths.all()] == ["A", "C", "B"]
    move(first, "up")
    assert [s.text for s in case.strengths.all()] == ["A", "C", "B"]
    move(first, "down")
    assert [s.text for s in case.strengths.all()] == ["C", "A", "B"]
    assert move(first, "sideways").status_code == 400


def test_delete_asks_first_then_deletes(client, audit, qa, case):
    strength = StrengthFactory(case=case, text="To go.")
    client.force_login(qa)
    url = reverse("item_delete", args=[audit.pk, "strength", strength.pk])
    assert "Delete this strength?" in client.get(url).content.decode()
    assert Strength.objects.exists()
    response = client.post(url)
    assert not Strength.objects.exists()
    # Back to the list it was in, saying so.
    assert response["Location"] == (
        reverse("authoring", args=[audit.pk]) + f"#list-strength-{case.pk}"
    )
    assert "The strength was deleted." in client.get(response["Location"]).content.decode()
    recommendation = RecommendationFactory(audit=audit)
    delete = reverse("item_delete", args=[audit.pk, "recommendation", recommendation.pk])
    assert client.post(delete)["Location"].endswith("#list-recommendation")


def test_items_of_another_audit_are_not_found(client, audit, qa):
    foreign = StrengthFactory()
    client.force_login(qa)
    assert (
        client.get(reverse("item_edit", args=[audit.pk, "strength", foreign.pk])).status_code == 404
    )
    assert (
        client.post(reverse("item_delete", args=[audit.pk, "strength", foreign.pk])).status_code
        == 404
    )
    assert Strength.objects.filter(pk=foreign.pk).exists()
    assert client.get(reverse("item_edit", args=[audit.pk, "nonsense", 1])).status_code == 404


def test_headings_narrative_and_good_practice_switch(client, audit, qa):
    client.force_login(qa)
    url = reverse("briefing_layout", args=[audit.pk])
    data = {
        f"heading_{key}": ""
        for key in (
            "theme_and_cases",
            "process",
            "strengths",
            "findings",
            "good_practice",
            "recommendations",
        )
    }
    data.update(
        heading_findings="What we worried about",
        theme_and_cases="One.\n\nTwo.",
        process="",
        loaded_version=version_of(audit),
    )
    client.post(url, data)  # include_good_practice unticked
    audit.refresh_from_db()
    assert audit.heading_findings == "What we worried about"
    assert audit.heading_strengths == "Strengths identified per case"
    assert not audit.include_good_practice
    assert [p.text for p in audit.paragraphs.all()] == ["One.", "Two."]
    html = client.get(reverse("briefing_html", args=[audit.pk])).content.decode()
    assert "One." in html
    # The audit's own headings wherever its items are listed, its page included.
    CaseFactory(audit=audit, label="Case 1")
    for page in ("audit_detail", "authoring"):
        listed = client.get(reverse(page, args=[audit.pk])).content.decode()
        assert ">What we worried about</h" in listed and ">Findings</h" not in listed


def test_tag_counts_show_issues_across_cases(client, audit, qa):
    neglect = Tag.objects.get(name="neglect")
    for label in ("Case 1", "Case 2"):
        FindingFactory(case=CaseFactory(audit=audit, label=label)).tags.add(neglect)
    client.force_login(qa)
    html = client.get(reverse("authoring", args=[audit.pk])).content.decode()
    assert "<td>neglect</td><td>2</td><td>2 <span" in html
    assert "(Case 1, Case 2)" in html


def test_only_the_chair_adds_tags(client, audit, chair, qa):
    client.force_login(qa)
    assert client.post(reverse("tag_add", args=[audit.pk]), {"name": "New"}).status_code == 403
    client.force_login(chair)
    client.post(reverse("tag_add", args=[audit.pk]), {"name": "Private fostering"})
    assert Tag.objects.filter(name="Private fostering").exists()


def test_a_tag_a_chair_adds_stays_within_their_partnership(client, audit, chair, case):
    from .factories import AuditFactory, CaseFactory

    client.force_login(chair)
    client.post(reverse("tag_add", args=[audit.pk]), {"name": "Family of Robin Invented"})
    client.post(reverse("tag_add", args=[audit.pk]), {"name": "NEGLECT"})  # its own already
    own = Tag.objects.get(name="Family of Robin Invented")
    assert own.partnership == audit.partnership
    assert not Tag.objects.filter(name="NEGLECT").exists()
    url = reverse("item_add", args=[audit.pk, "strength"]) + f"?case={case.pk}"
    assert "Family of Robin Invented" in client.get(url).content.decode()
    other = AuditFactory()
    other_case = CaseFactory(audit=other)
    client.force_login(member(other, Membership.Role.CHAIR))
    page = client.get(
        reverse("item_add", args=[other.pk, "strength"]) + f"?case={other_case.pk}"
    ).content.decode()
    assert "Family of Robin Invented" not in page
    assert "voice of the child" in page  # every partnership starts with the learning themes


def test_every_new_partnership_starts_with_the_learning_themes():
    partnership = PartnershipFactory()
    names = set(Tag.objects.filter(partnership=partnership).values_list("name", flat=True))
    assert {"drift and delay", "voice of the child", "trauma-informed practice"} <= names
    assert len(names) >= 17
    assert Tag.objects.get(partnership=partnership, name="voice of the child").slug == (
        "voice-of-the-child"
    )


def test_authoring_page_queries_do_not_grow(client):
    counts = []
    for size in (1, 8):
        audit = AuditFactory()
        for _ in range(size):
            case = CaseFactory(audit=audit)
            StrengthFactory(case=case).tags.add(Tag.objects.first())
            FindingFactory(case=case)
            RecommendationFactory(audit=audit).cases.add(case)
        client.force_login(member(audit, Membership.Role.QA_MEMBER))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("authoring", args=[audit.pk])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_a_closed_audit_is_no_longer_written(client, audit, qa, case):
    strength = StrengthFactory(case=case)
    audit.status = "closed"
    audit.save()
    client.force_login(qa)
    assert client.get(reverse("authoring", args=[audit.pk])).status_code == 403
    move = reverse("item_move", args=[audit.pk, "strength", strength.pk])
    assert client.post(move, {"direction": "down"}).status_code == 403


def test_error_pages_lead_back_home(client, outsider):
    client.force_login(outsider)
    response = client.get("/audits/999999/")
    assert response.status_code == 404
    assert "Go to your audits" in response.content.decode()


def test_two_people_editing_one_finding_lose_nothing(client, audit, qa, case):
    finding = FindingFactory(case=case, text="First words.")
    url = reverse("item_edit", args=[audit.pk, "finding", finding.pk])
    prefix = f"edit-finding-{finding.pk}"
    client.force_login(qa)
    mine = loaded_version(client, url, prefix)

    chair = type(client)()
    chair.force_login(member(audit, Membership.Role.CHAIR))
    theirs = loaded_version(chair, url, prefix)
    chair.post(url, {f"{prefix}-text": "The chair's words.", f"{prefix}-loaded_version": theirs})

    response = client.post(url, {f"{prefix}-text": "My words.", f"{prefix}-loaded_version": mine})
    assert response.status_code == 422
    body = response.content.decode()
    assert "Someone else changed this finding" in body
    assert "The chair&#x27;s words." in body and "My words." in body
    finding.refresh_from_db()
    assert finding.text == "The chair's words."
    newer = body.split(f'name="{prefix}-loaded_version" value="')[1].split('"')[0]
    client.post(url, {f"{prefix}-text": "My words.", f"{prefix}-loaded_version": newer})
    finding.refresh_from_db()
    assert finding.text == "My words."


def test_tags_are_offered_in_alphabetical_order_whatever_their_capitals(client, audit, chair, case):
    client.force_login(chair)
    for name in ("Zebra crossing", "apple tree"):
        client.post(reverse("tag_add", args=[audit.pk]), {"name": name})
    url = reverse("item_add", args=[audit.pk, "strength"]) + f"?case={case.pk}"
    page = client.get(url).content.decode()
    offered = page[page.index('name="new-strength-tags"') :]  # the tag boxes, after any message
    names = [tag.name for tag in Tag.objects.for_partnership(audit.partnership_id)]
    assert names == sorted(names, key=str.lower)
    order = [offered.index(name) for name in ("apple tree", "Think Family", "Zebra crossing")]
    assert order == sorted(order)


def test_each_case_shows_its_meeting_notes_and_the_agencies_returns_beside_the_items(
    client, audit, qa, case
):
    from django.utils import timezone

    from cases.models import AgencySubmission, ToolAnswer
    from findings.models import CaseMeetingNote

    from .factories import AgencyFactory, AgencySubmissionFactory, ToolQuestionFactory

    CaseMeetingNote.objects.create(case=case, text="The meeting found drift after the move.")
    police = AgencyFactory(name="Police")
    question = ToolQuestionFactory(section__audit=audit, text="Was the child's voice heard?")
    submitted = AgencySubmissionFactory(
        case=case, agency=police, status=AgencySubmission.Status.SUBMITTED
    )
    ToolAnswer.objects.create(
        submission=submitted, question=question, text="Seen alone twice.", grade="good"
    )
    draft = AgencySubmissionFactory(case=case, status=AgencySubmission.Status.DRAFT)
    ToolAnswer.objects.create(submission=draft, question=question, text="Not finished yet.")
    client.force_login(qa)
    url = reverse("authoring", args=[audit.pk])

    page = client.get(url).content.decode()
    assert "<details" in page and "<details open" not in page  # collapsed by default
    assert "The meeting found drift after the move." in page
    assert "Seen alone twice." not in page  # the pack is not released to QA members yet

    audit.pack_released_at = timezone.now()
    audit.save()
    page = client.get(url).content.decode()
    assert "Police: audit tool" in page and "Was the child&#x27;s voice heard?" in page
    assert "Seen alone twice." in page and "Good" in page
    assert "Not finished yet." not in page  # drafts stay with their agency


def test_saving_a_finding_unchanged_keeps_no_history_entry_but_a_new_tag_does(
    client, audit, qa, case
):
    finding = FindingFactory(case=case, text="Concerns not escalated.")
    tag = Tag.objects.get(name="escalation", partnership=audit.partnership)
    client.force_login(qa)
    url = reverse("item_edit", args=[audit.pk, "finding", finding.pk])
    prefix = f"edit-finding-{finding.pk}"

    def save(**changes):
        form = {
            f"{prefix}-text": finding.text,
            f"{prefix}-loaded_version": loaded_version(client, url, prefix),
            **{f"{prefix}-{name}": value for name, value in changes.items()},
        }
        return client.post(url, form, follow=True).content.decode()

    entries = finding.history.count()
    # Told as information, not as a success: nothing was saved.
    assert 'alert alert-info" role="status">Nothing changed, so nothing was saved.' in save()
    assert finding.history.count() == entries
    assert "The finding was saved." in save(tags=[tag.pk])
    assert finding.history.count() == entries + 1
    assert list(finding.tags.all()) == [tag]


def test_a_tag_holding_someones_details_is_refused_and_says_why(client, audit, chair, case):
    from cases.models import NominationIdentity

    from .factories import NominationFactory

    nomination = NominationFactory(audit=audit, case=case, label=case.label)
    NominationIdentity.objects.create(nomination=nomination, child_name="Alex Sample")
    client.force_login(chair)
    url = reverse("tag_add", args=[audit.pk])
    for name, said in [
        ("Alex Sample", "Take out the child's name"),
        ("Moved to NN1 2AB", "looks like it holds a postcode"),
        ("   ", "Enter the new tag's name."),
    ]:
        page = html.unescape(client.post(url, {"name": name}, follow=True).content.decode())
        assert said in page
    assert not Tag.objects.filter(name__in=["Alex Sample", "Moved to NN1 2AB"]).exists()
    client.post(url, {"name": "Kinship care"})
    assert Tag.objects.filter(name="Kinship care").exists()
