"""What changed in the briefing: between published versions for every reader, and from the
latest version to the draft for its authors."""

import re

import pytest
from django.urls import reverse

from findings import changes, publishing
from findings.models import Finding, Strength
from maca.models import AccessLogEntry, Membership

from .conftest import member
from .factories import CaseFactory, FindingFactory, RecommendationFactory, StrengthFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(audit):
    return CaseFactory(audit=audit, label="Case 1")


@pytest.fixture
def published(audit, chair, case):
    """Version 1, then the briefing edited: a point added, one taken out, one reworded."""
    StrengthFactory(case=case, text="Quick referral by the school.")
    FindingFactory(case=case, text="The housing officer was not invited to the meeting.")
    recommendation = RecommendationFactory(audit=audit, text="Invite housing to every meeting.")
    publishing.briefing_publish(audit=audit, user=chair)
    Strength.objects.get().delete()
    FindingFactory(case=case, text="Nobody asked where the family would sleep.")
    recommendation.text = "Invite housing officers to every strategy meeting."
    recommendation.save()
    return audit


def changes_page(client, audit, **asked):
    return client.get(reverse("briefing_changes", args=[audit.pk]), asked)


def words(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_chair_sees_what_changed_since_the_latest_version_point_by_point(
    client, published, chair
):
    client.force_login(chair)
    response = changes_page(client, published)
    assert response.status_code == 200
    page = response.content.decode()
    text = words(page)
    assert "Changes from version 1 to the draft" in text
    assert "Taken out, Case 1: Quick referral by the school." in text
    assert "Added, Case 1: Nobody asked where the family would sleep." in text
    assert "<del>" in page and "<ins>" in page
    assert (
        "Reworded: Invite housing [added: officers ] to every [added: strategy ] meeting." in text
    )
    assert "Strengths identified per case Section taken out" in text  # its only point went
    # What stayed the same is not listed.
    assert "not invited to the meeting" not in text
    assert AccessLogEntry.objects.filter(audit_id=published.pk, user=chair).exists()


def test_a_point_moved_to_another_case_says_where_it_was(client, published, chair, case):
    other = CaseFactory(audit=published, label="Case 2")
    moved = Finding.objects.get(text__startswith="The housing officer")
    moved.case = other
    moved.save()
    client.force_login(chair)
    text = words(changes_page(client, published).content.decode())
    assert (
        "Moved, Case 2 (from Case 1): The housing officer was not invited to the meeting." in text
    )
    assert "Taken out, Case 1: The housing officer" not in text


def test_a_viewer_compares_published_versions_and_never_the_draft(client, published, chair):
    viewer = member(published, Membership.Role.VIEWER)
    client.force_login(viewer)
    only_one = words(changes_page(client, published).content.decode())
    assert "Only one version is published" in only_one
    assert "Nobody asked" not in only_one

    publishing.briefing_publish(audit=published, user=chair)
    text = words(changes_page(client, published).content.decode())
    assert "Changes from version 1 to version 2" in text
    assert "Added, Case 1: Nobody asked where the family would sleep." in text

    FindingFactory(case=published.cases.get(), text="Words only the draft holds.")
    asked_draft = changes_page(client, published, since="1", until="draft")
    assert asked_draft.status_code == 200  # the draft is not theirs: the last two versions
    assert "Changes from version 1 to version 2" in words(asked_draft.content.decode())
    assert "Words only the draft holds." not in asked_draft.content.decode()


def test_a_published_version_compared_with_itself_or_one_that_is_not_there_says_so(
    client, published, chair
):
    client.force_login(chair)
    same = changes_page(client, published, since="1", until="1")
    assert same.status_code == 422
    assert "Choose two different versions to compare." in same.content.decode()
    missing = changes_page(client, published, since="7", until="draft")
    assert missing.status_code == 422
    assert "There is no such version of this briefing" in missing.content.decode()


def test_a_draft_with_no_version_has_nothing_to_compare(client, audit, chair, case):
    client.force_login(chair)
    for asked in ({}, {"since": "1", "until": "draft"}):
        response = changes_page(client, audit, **asked)
        assert response.status_code == 200
        text = words(response.content.decode())
        assert "Nothing is published yet, so there is no version to compare with." in text


def test_other_words_in_the_address_leave_the_first_comparison(client, published, chair):
    client.force_login(chair)
    response = changes_page(client, published, utm_source="email")
    assert response.status_code == 200
    assert "Changes from version 1 to the draft" in words(response.content.decode())


def test_unchanged_text_says_it_is_the_same(client, audit, chair, case):
    StrengthFactory(case=case, text="Quick referral by the school.")
    publishing.briefing_publish(audit=audit, user=chair)
    client.force_login(chair)
    assert "The text is the same in both." in words(changes_page(client, audit).content.decode())


def test_nobody_outside_the_audit_learns_it_has_versions(client, published, outsider):
    client.force_login(outsider)
    assert changes_page(client, published).status_code == 404
    assert changes_page(client, published, since="1", until="draft").status_code == 404


def test_the_versions_and_publish_pages_lead_to_the_changes(client, published, chair):
    client.force_login(chair)
    versions = client.get(reverse("briefing_versions", args=[published.pk])).content.decode()
    to_draft = reverse("briefing_changes", args=[published.pk]) + "?since=1&amp;until=draft"
    assert to_draft in versions
    publish = client.get(reverse("briefing_publish", args=[published.pk])).content.decode()
    assert to_draft in publish
    publishing.briefing_publish(audit=published, user=chair)
    versions = client.get(reverse("briefing_versions", args=[published.pk])).content.decode()
    assert reverse("briefing_changes", args=[published.pk]) + "?since=1&amp;until=2" in versions


PAGE = """<main class="briefing"><header class="cover"><p class="partnership">North</p>
<h1><span class="title">{title}</span></h1><p class="version draft">{version}</p></header>
{sections}<footer class="version-footer">{version}</footer></main>"""


def section(key, heading, *points, case=""):
    group = f"<h3>{case}</h3>" if case else ""
    items = "".join(f"<li>{point}</li>" for point in points)
    return (
        f'<section class="briefing-section" id="section-{key}"><h2>{heading}</h2>'
        f'{group}<ul class="points">{items}</ul></section>'
    )


def page(title="Neglect", version="Draft", *sections):
    return PAGE.format(title=title, version=version, sections="".join(sections))


def test_the_version_line_is_not_a_change_but_the_cover_and_whole_sections_are():
    before = page("Neglect", "Version 1", section("strengths", "Strengths", "Seen."))
    after = page("Neglect and housing", "Version 2", section("findings", "Findings", "Missed."))
    found = changes.compared(before, after)
    assert [(s.heading, s.status) for s in found] == [
        ("Cover", ""),
        ("Findings", "added"),
        ("Strengths", "removed"),
    ]
    cover = found[0].changes[0]
    assert cover.kind == "reworded" and ("added", "and housing") in cover.words
    assert changes.compared(before, before.replace("Version 1", "Version 2")) == []


def test_a_point_moved_to_another_case_is_said_once_with_the_case_it_came_from():
    before = page("T", "V", section("findings", "Findings", "Missed.", "Kept.", case="Case 1"))
    two_cases = (
        '<section class="briefing-section" id="section-findings"><h2>Findings</h2>'
        '<div class="case-group"><h3>Case 1</h3><ul><li>Kept.</li></ul></div>'
        '<div class="case-group"><h3>Case 2</h3><ul><li>Missed.</li></ul></div></section>'
    )
    found = changes.compared(before, page("T", "V", two_cases))[0].changes
    assert [(c.kind, c.group, c.text, c.origin) for c in found] == [
        ("moved", "Case 2", "Missed.", "from Case 1"),
    ]


def strengths_and_a_finding_missed():
    return page(
        "T",
        "V",
        section("strengths", "Strengths", "Seen."),
        section("findings", "Findings", "Late.", "Missed.", case="Case 1"),
    )


def test_a_point_moved_to_another_section_names_the_section_it_came_from():
    before = strengths_and_a_finding_missed()
    after = page(
        "T",
        "V",
        section("strengths", "Strengths", "Seen.", "Missed."),
        section("findings", "Findings", "Late.", case="Case 1"),
    )
    found = changes.compared(before, after)
    assert [(s.heading, [(c.kind, c.text, c.origin) for c in s.changes]) for s in found] == [
        ("Strengths", [("moved", "Missed.", "from Findings, Case 1")]),
    ]


def test_a_point_added_twice_is_moved_once_and_added_once_and_whole_sections_stay_whole():
    before = strengths_and_a_finding_missed()
    after = page(
        "T",
        "V",
        section("strengths", "Strengths", "Seen.", "Missed.", "Missed."),
        section("findings", "Findings", "Late.", case="Case 1"),
        section("good-practice", "Good practice", "Late."),
    )
    found = changes.compared(before, after)
    assert [(s.heading, [(c.kind, c.text, c.origin) for c in s.changes]) for s in found] == [
        (
            "Strengths",
            [("moved", "Missed.", "from Findings, Case 1"), ("added", "Missed.", "")],
        ),
        ("Good practice", [("added", "Late.", "")]),
    ]


def test_a_very_long_reworded_point_is_shown_whole(monkeypatch):
    monkeypatch.setattr(changes, "WORDS_COMPARED", 3)
    before = page("T", "V", section("findings", "Findings", "one two three four"))
    after = page("T", "V", section("findings", "Findings", "one two three five"))
    words = changes.compared(before, after)[0].changes[0].words
    assert words == [("removed", "one two three four"), ("added", "one two three five")]


def test_past_the_comparison_s_budget_points_are_shown_whole(monkeypatch):
    monkeypatch.setattr(changes, "WORDS_PER_COMPARISON", 16)
    before = page("T", "V", section("findings", "Findings", "a b c d", "e f g h", "i j k l"))
    after = page("T", "V", section("findings", "Findings", "a b c x", "e f g y", "i j k z"))
    found = [change.words for change in changes.compared(before, after)[0].changes]
    assert ("same", "a b c") in found[0] and ("same", "e f g") in found[1]
    assert found[2] == [("removed", "i j k l"), ("added", "i j k z")]


def test_a_reworded_point_is_paired_with_the_one_it_reads_like():
    before = page(
        "T", "V", section("r", "Recommendations", "Invite housing.", "Share the plan with school.")
    )
    after = page("T", "V", section("r", "Recommendations", "Share the plan with the school nurse."))
    found = changes.compared(before, after)[0].changes
    assert [(c.kind, c.text) for c in found] == [("removed", "Invite housing."), ("reworded", "")]
    assert found[1].words == [
        ("same", "Share the plan with"),
        ("removed", "school."),
        ("added", "the school nurse."),
    ]


def test_a_point_moved_within_a_section_is_said_once_as_moved():
    before = page("T", "V", section("r", "Recommendations", "First.", "Second.", "Third."))
    after = page("T", "V", section("r", "Recommendations", "Third.", "First.", "Second."))
    found = changes.compared(before, after)[0].changes
    assert [(c.kind, c.text, c.origin) for c in found] == [
        ("moved", "Third.", "was point 3, now 1")
    ]


def test_lines_of_a_point_are_words_apart_and_points_after_the_cases_belong_to_none():
    lines = "<li>Seen<br>at school.</li>"
    grouped = (
        '<section class="briefing-section" id="section-f"><h2>Findings</h2>'
        '<div class="case-group"><h3>Case 1</h3><ul><li>Missed.</li></ul></div>'
        "<ul>{}</ul></section>"
    )
    before = page("T", "V", grouped.format("<li>Seen at home.</li>"))
    after = page("T", "V", grouped.format(lines))
    sections = changes.sections_of(after)
    assert sections["f"].points == [("Case 1", "Missed."), ("", "Seen at school.")]
    found = changes.compared(before, after)[0].changes
    assert found[0].group == "" and ("added", "school.") in found[0].words


def test_pages_that_are_not_briefings_cannot_be_compared():
    assert changes.compared("<p>Not a briefing.</p>", page("T", "V")) is None


@pytest.mark.parametrize(
    "asked, heading",
    [
        ({"until": "2"}, "Changes from version 1 to version 2"),
        ({"since": "1"}, "Changes from version 1 to version 2"),
        ({"since": "2", "until": "1"}, "Changes from version 1 to version 2"),
        ({"since": "1", "until": "draft"}, "Changes from version 1 to version 2"),
    ],
)
def test_a_viewer_s_half_or_backward_address_is_read_as_meant(
    client, published, chair, asked, heading
):
    publishing.briefing_publish(audit=published, user=chair)
    client.force_login(member(published, Membership.Role.VIEWER))
    response = changes_page(client, published, **asked)
    assert response.status_code == 200
    assert heading in words(response.content.decode())


@pytest.mark.parametrize("since", ["abc", "99", "9" * 5000, "²"])
def test_a_version_that_is_not_there_is_named_next_to_its_field(client, published, chair, since):
    client.force_login(chair)
    response = changes_page(client, published, since=since, until="draft")
    assert response.status_code == 422
    assert "There is no such version of this briefing: choose one from the list." in (
        response.content.decode()
    )
