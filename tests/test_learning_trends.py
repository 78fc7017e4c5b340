"""Trends across audits: figures per role, charts with their tables and downloads."""

import csv
import datetime
import html
import io
import re

import pytest
from django.urls import reverse

from findings.models import Tag
from learning.trends import trends_for

from .learning_world import Role, add_operational_data, build_world, publish, quick_pdfs

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(monkeypatch):
    quick_pdfs(monkeypatch)
    built = build_world()
    add_operational_data(built)
    return built


def page(client, user, **params):
    client.force_login(user)
    return client.get(reverse("learning_trends"), params)


def rows(trends, key):
    return dict(trends.charts[key].rows)


def test_the_chair_sees_tags_grades_returns_and_actions_of_published_audits(world):
    trends = trends_for(world.users[Role.CHAIR], partnership=world.partnership)
    assert [audit.theme for audit in trends.audits] == ["Neglect", "Exploitation"]
    findings = trends.charts["finding-tags"]
    assert findings.columns == ["2025", "2026"]
    assert rows(trends, "finding-tags")["drift and delay"] == [1, 1]
    assert rows(trends, "finding-tags")["voice of the child"] == [1, 0]
    # Submitted answers only: Bravo's draft "outstanding" is not counted.
    assert rows(trends, "grades") == {
        "Housing — Voice": [0, 1, 0, 0],
        "Police — Voice": [0, 0, 0, 1],
    }
    assert rows(trends, "returns") == {"Housing": [1, 0, 0], "Police": [0, 1, 1]}
    assert rows(trends, "actions-by-agency") == {"Housing": [0, 1, 0, 0], "Police": [0, 0, 1, 1]}
    recurring = {tag.name: [a.theme for a in tag.audits] for tag in trends.recurring}
    assert recurring == {"drift and delay": ["Neglect", "Exploitation"]}


def test_the_period_narrows_every_figure(world):
    import datetime

    trends = trends_for(
        world.users[Role.CHAIR],
        partnership=world.partnership,
        start=datetime.date(2026, 1, 1),
        end=datetime.date(2026, 12, 31),
    )
    assert [audit.theme for audit in trends.audits] == ["Exploitation"]
    assert trends.recurring == []
    assert rows(trends, "grades") == {}


def test_a_coordinator_counts_only_audits_they_take_part_in_and_their_published_plans(world):
    """Their agency's actions, and every action of a plan published with its briefing, as its
    annex shows them: as much of the plan as a viewer reads, no more."""
    trends = trends_for(world.users[Role.COORDINATOR], partnership=world.partnership)
    assert [audit.theme for audit in trends.audits] == ["Neglect"]
    assert rows(trends, "actions-by-agency") == {"Housing": [0, 1, 0, 0], "Police": [0, 0, 1, 0]}


def test_a_viewer_counts_published_audits_and_the_plans_published_to_them(world):
    trends = trends_for(world.users[Role.VIEWER], partnership=world.partnership)
    assert [audit.theme for audit in trends.audits] == ["Neglect", "Exploitation"]
    assert rows(trends, "actions-by-agency") == {"Housing": [0, 1, 0, 0], "Police": [0, 0, 1, 0]}


def _release_pack(audit):
    from django.utils import timezone

    from cases.models import Audit

    Audit.objects.filter(pk=audit.pk).update(pack_released_at=timezone.now())


def test_a_coordinator_counts_grades_and_returns_only_of_work_the_gate_shows_them(world):
    """Until the chair releases the meeting pack a co-ordinator reads their own agency's audit
    tools and its column of the progress page, no other agency's: a chart of one audit's grades
    would otherwise tell them how Police graded the case."""
    coordinator = world.users[Role.COORDINATOR]
    trends = trends_for(coordinator, partnership=world.partnership)
    assert rows(trends, "grades") == {"Housing — Voice": [0, 1, 0, 0]}
    assert rows(trends, "returns") == {"Housing": [1, 0, 0]}
    _release_pack(world.alpha)
    trends = trends_for(coordinator, partnership=world.partnership)
    assert rows(trends, "grades") == {
        "Housing — Voice": [0, 1, 0, 0],
        "Police — Voice": [0, 0, 0, 1],
    }
    assert rows(trends, "returns") == {"Housing": [1, 0, 0], "Police": [0, 1, 0]}


def test_a_qa_member_counts_every_return_and_grades_once_the_pack_is_released(world):
    qa = world.users[Role.QA_MEMBER]
    trends = trends_for(qa, partnership=world.partnership)
    assert rows(trends, "grades") == {}
    assert rows(trends, "returns") == {"Housing": [1, 0, 0], "Police": [0, 1, 1]}
    _release_pack(world.alpha)
    assert rows(trends_for(qa, partnership=world.partnership), "grades") == {
        "Housing — Voice": [0, 1, 0, 0],
        "Police — Voice": [0, 0, 0, 1],
    }


def test_a_viewer_counts_no_agency_s_grades_or_returns(client, world):
    """A viewer reads published briefings and plans, never an agency's submissions: not even
    counted, nor in the board's report they ask for."""
    _release_pack(world.alpha)
    viewer = world.users[Role.VIEWER]
    trends = trends_for(viewer, partnership=world.partnership)
    assert rows(trends, "grades") == {}
    assert rows(trends, "returns") == {}
    client.force_login(viewer)
    for key in ("grades", "returns"):
        figures = client.get(
            reverse("learning_trends_chart", args=[key, "csv"]), {"start": "", "end": ""}
        )
        assert "Police" not in figures.content.decode()


def test_the_page_shows_each_chart_with_its_description_table_and_downloads(client, world):
    response = page(client, world.users[Role.CHAIR])
    body = response.content.decode()
    assert response.status_code == 200
    assert "2 published audits in the period" in body
    assert "Recurring" in body and "drift and delay</a> in 2 audits" in body
    chart = reverse("learning_trends_chart", args=["grades", "svg"])
    start = f"{datetime.date.today().year - 4}-01-01"  # the last five calendar years
    assert f'src="{chart}?partnership={world.partnership.pk}&amp;start={start}"' in body
    assert f'value="{start}"' in body
    assert 'aria-describedby="chart-grades-desc"' in body
    assert '<th scope="row" class="fw-normal">Police — Voice</th>' in body
    assert "Charlie" not in body and "Delta" not in body


def test_each_chart_holds_its_place_in_the_shape_it_is_drawn(client, world):
    """A chart loads lazily: the page gives its size, so that the text below it does not jump
    when it arrives, on a wide screen and on a phone."""
    body = page(client, world.users[Role.CHAIR]).content.decode()
    query = {"partnership": world.partnership.pk}
    for key in ("grades", "returns"):
        address = reverse("learning_trends_chart", args=[key, "svg"])
        for layout, tag in (("", "img"), ("narrow", "source")):
            drawn = client.get(address, {**query, "layout": layout}).content.decode()
            width, height = (
                float(re.search(rf'{side}="([\d.]+)pt"', drawn)[1]) for side in ("width", "height")
            )
            marked = re.search(
                rf'<{tag}[^>]*{re.escape(address)}[^>]*width="(\d+)" height="(\d+)"', body
            )
            assert marked, (key, layout)
            assert abs(int(marked[1]) / int(marked[2]) - width / height) < 0.01, (key, layout)


def test_charts_download_as_svg_png_and_csv(client, world):
    client.force_login(world.users[Role.CHAIR])
    query = {"partnership": world.partnership.pk, "download": "1"}
    svg = client.get(reverse("learning_trends_chart", args=["grades", "svg"]), query)
    assert svg["Content-Type"].startswith("image/svg+xml")
    text = svg.content.decode()
    assert (
        '<title id="chart-title">Audit-tool grades by agency and question section</title>' in text
    )
    assert "Police — Voice" in text and "<script" not in text
    assert "attachment" in svg["Content-Disposition"]
    # The file's name says the period it covers, as the board report's does.
    assert re.search(r'-grades-\d{4}-\d{2}-\d{2}\.svg"$', svg["Content-Disposition"])
    dated = client.get(
        reverse("learning_trends_chart", args=["grades", "csv"]),
        {**query, "start": "2025-01-01", "end": "2025-12-31"},
    )
    assert dated["Content-Disposition"].endswith('-grades-2025-01-01-2025-12-31.csv"')
    png = client.get(reverse("learning_trends_chart", args=["actions-by-agency", "png"]), query)
    assert png.content.startswith(b"\x89PNG")
    data = client.get(reverse("learning_trends_chart", args=["returns", "csv"]), query)
    table = list(csv.reader(io.StringIO(data.content.decode())))
    assert table == [
        ["Agency", "On time", "Late", "Not submitted"],
        ["Housing", "1", "0", "0"],
        ["Police", "0", "1", "1"],
    ]
    assert (
        client.get(reverse("learning_trends_chart", args=["nothing", "svg"]), query).status_code
        == 404
    )
    assert (
        client.get(reverse("learning_trends_chart", args=["grades", "exe"]), query).status_code
        == 404
    )


def test_a_theme_named_like_a_formula_heads_its_column_of_the_csv_as_text(client, world):
    world.alpha.theme.name = '=HYPERLINK("https://example.org","Open")'
    world.alpha.theme.save()
    client.force_login(world.users[Role.CHAIR])
    query = {"partnership": world.partnership.pk, "download": "1"}
    data = client.get(reverse("learning_trends_chart", args=["recent-finding-tags", "csv"]), query)
    header = next(csv.reader(io.StringIO(data.content.decode())))
    assert header[1] == '\'=HYPERLINK("https://example.org","Open") (March 2025)'


def test_a_tag_with_dollar_signs_is_drawn_as_typed(client, world):
    Tag.objects.filter(name__iexact="drift and delay").update(name=r"Costs $5 \frac $")
    client.force_login(world.users[Role.CHAIR])
    query = {"partnership": world.partnership.pk}
    svg = client.get(reverse("learning_trends_chart", args=["finding-tags", "svg"]), query)
    assert svg.status_code == 200
    assert r">Costs $5 \frac $</text>" in svg.content.decode()
    png = client.get(reverse("learning_trends_chart", args=["finding-tags", "png"]), query)
    assert png.content.startswith(b"\x89PNG")


def test_another_partnership_is_not_shown_and_is_named_as_ignored(client, world):
    body = page(
        client, world.users[Role.CHAIR], partnership=world.delta.partnership_id
    ).content.decode()
    assert "is not one of yours" in body
    assert "Neglect elsewhere" not in body
    outsider = world.users["outsider"]
    trends = trends_for(outsider, partnership=world.partnership)
    assert trends.audits == []


def test_an_end_before_the_start_gets_a_message_beside_the_field(client, world):
    body = page(
        client, world.users[Role.CHAIR], start="2026-05-01", end="2025-01-01"
    ).content.decode()
    assert "‘To’ must be on or after ‘From’." in body
    assert 'value="2026-05-01"' in body and 'value="2025-01-01"' in body
    assert 'id="id_end_error"' in body
    body = page(client, world.users[Role.CHAIR], start="not a date", end="\x00").content.decode()
    assert "This is not a real date: check the day, month and year, for example 23/11/2026." in body


@pytest.mark.parametrize("name", ["learning_trends", "learning_report"])
def test_a_wrong_period_is_summarised_first_with_a_link_to_its_field(client, world, name):
    """The page opens on the summary (the focus goes to it), not on the boxes far below."""
    client.force_login(world.users[Role.CHAIR])
    body = client.get(reverse(name), {"start": "2026-02-30", "end": "2025-01-01"}).content
    summary = body.decode().split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    assert "There is a problem" in summary
    assert re.search(r'href="#id_start">From: This is not a real date', summary)


def test_the_trends_page_reads_in_a_constant_number_of_queries(
    client, world, django_assert_max_num_queries
):
    chair = world.users[Role.CHAIR]
    page(client, chair)
    with django_assert_max_num_queries(20) as first:
        page(client, chair)
    for _ in range(3):
        publish(world.bravo, chair)
    with django_assert_max_num_queries(len(first.captured_queries)):
        page(client, chair)


def test_a_theme_whose_name_starts_with_an_underscore_is_named_in_the_legend(client, world):
    world.alpha.theme.name = "_Neglect"
    world.alpha.theme.save()
    client.force_login(world.users[Role.CHAIR])
    query = {"partnership": world.partnership.pk}
    svg = client.get(reverse("learning_trends_chart", args=["recent-finding-tags", "svg"]), query)
    assert ">_Neglect (March 2025)</text>" in svg.content.decode()


def test_a_period_of_one_audit_reads_in_the_singular(client, world):
    chair = world.users[Role.CHAIR]
    one = {"partnership": world.partnership, "start": datetime.date(2026, 1, 1)}
    trends = trends_for(chair, **one)
    assert [audit.theme for audit in trends.audits] == ["Exploitation"]
    assert trends.charts["finding-tags"].description.startswith(
        "Bars for the tag most often given to published findings, one bar per year (2026), "
    )
    assert trends.charts["actions-by-audit"].title == "Actions of the last audit with actions"
    assert "Across them: 1 action: " in trends.charts["actions-by-audit"].description
    html = page(client, chair, start="2026-01-01").content.decode()
    assert "of the last 1 audit" not in html and "1 audits" not in html
    assert "Only one audit falls in the period: a tag recurs once it is given to findings" in html


def test_a_tag_chart_cut_to_its_first_rows_keeps_the_most_seen_and_says_how_many_are_left():
    from types import SimpleNamespace

    from learning import trends
    from learning.models import LibraryEntry

    recent = [SimpleNamespace(pk=1, name="Neglect"), SimpleNamespace(pk=2, name="Exploitation")]
    findings = LibraryEntry.Section.FINDINGS
    uses = [
        {"section": findings, "audit_id": 1, "name": f"Aardvark {n:02}", "items": 1}
        for n in range(trends.TOP_TAGS)
    ]
    uses.append({"section": findings, "audit_id": 2, "name": "Think Family", "items": 2})
    uses.append({"section": findings, "audit_id": 2, "name": "Zebra", "items": 1})
    chart = trends._tags_by_audit(uses, recent)
    names = [name for name, _ in chart.rows]
    assert names[0] == "Think Family"  # as few audits as the others, given more often
    assert len(names) == trends.TOP_TAGS and "Zebra" not in names
    assert "given to findings in most of these audits (2 more not shown)" in chart.description
    # The uses counted are those of the bars shown, and the whole is said beside them.
    shown = trends.TOP_TAGS - 1 + 2
    assert f"{shown} uses among them, of {trends.TOP_TAGS + 3} in all." in chart.description
    assert "of every tag" not in chart.description


@pytest.mark.parametrize("name", ["learning_library", "learning_trends", "learning_report"])
def test_a_partnership_administrator_is_told_why_there_is_no_learning(client, world, name):
    """Not "You are not a member of a partnership yet", nor a wait for publishing that will
    never end: the administrator's role reads no audit, and they are told whom to ask."""
    from .factories import MembershipFactory, UserFactory

    administrator = UserFactory(username="runs-maca")
    MembershipFactory(
        user=administrator, partnership=world.partnership, role=Role.PARTNERSHIP_ADMIN
    )
    client.force_login(administrator)
    body = html.unescape(client.get(reverse(name)).content.decode())
    assert "As a partnership administrator you read no audit" in body
    assert "not a member of a partnership" not in body
    assert "Nothing has been published to you yet" not in body
    assert "Neglect" not in body.split("</h1>", 1)[1]


def test_a_period_of_one_audit_charts_its_finding_tags_once(client, world):
    """By year and in the last audit, one audit's tags are the same figures: shown once."""
    chair = world.users[Role.CHAIR]
    trends = trends_for(chair, partnership=world.partnership, start=datetime.date(2026, 1, 1))
    assert "recent-finding-tags" not in trends.charts
    body = page(client, chair, start="2026-01-01").content.decode()
    assert body.count('<h2 class="h4" id="chart-finding-tags-heading">') == 1
    assert "Tags given to findings in the last audit" not in body
    # Two audits: their tags by year and audit by audit differ, and both are shown.
    body = page(client, chair).content.decode()
    assert "Tags given to findings, by year" in body
    assert "Tags given to findings in the last 2 audits" in body


@pytest.mark.parametrize("name", ["learning_trends", "learning_report"])
def test_a_period_without_audits_says_there_are_none_in_words(client, world, name):
    client.force_login(world.users[Role.CHAIR])
    body = client.get(reverse(name), {"start": "2010-01-01", "end": "2010-12-31"}).content
    assert "No published audits in the period</h2>" in body.decode()
    assert "0 published audits" not in body.decode()


def test_empty_grades_and_returns_say_why(client, world):
    """In the place of an empty chart: no audit tool was submitted, the audits were imported
    (a package carries no audit tools), or the reader's role reads none."""
    from actions.models import PackageImport
    from cases.models import AgencySubmission

    chair = world.users[Role.CHAIR]
    in_2026 = {"start": "2026-01-01"}
    body = html.unescape(page(client, chair, **in_2026).content.decode())
    grades = body.split('id="chart-grades-heading"')[1].split("</section>")[0]
    assert "No audit tool was submitted in this period's audits." in grades
    assert "Nothing to show" not in grades
    # A co-ordinator learns nothing of whether other agencies have sent theirs.
    from learning.trends import _why_no_audit_tools

    coordinator = world.users[Role.COORDINATOR]
    assert _why_no_audit_tools(coordinator, world.partnership, [world.bravo.pk]) is None
    assert _why_no_audit_tools(chair, world.partnership, [world.bravo.pk]) == (
        "No audit tool was submitted in this period's audits."
    )

    AgencySubmission.objects.filter(case__audit=world.bravo).delete()
    PackageImport.objects.create(
        partnership=world.partnership, audit=world.bravo, status=PackageImport.Status.DONE
    )
    body = html.unescape(page(client, chair, **in_2026).content.decode())
    for key in ("grades", "returns"):
        chart = body.split(f'id="chart-{key}-heading"')[1].split("</section>")[0]
        assert (
            "The audit of this period was imported from a package, which carries no audit tools."
            in chart
        )

    body = html.unescape(page(client, world.users[Role.VIEWER]).content.decode())
    returns = body.split('id="chart-returns-heading"')[1].split("</section>")[0]
    assert "Your role reads no agency's audit tools, so their grades and returns are not" in returns


@pytest.mark.parametrize(
    ("name", "current"),
    [
        ("learning_library", "Library"),
        ("learning_trends", "Trends"),
        ("learning_report", "Board assurance report"),
    ],
)
def test_the_learning_tabs_are_a_labelled_navigation_marking_the_current_page(
    client, world, name, current
):
    client.force_login(world.users[Role.CHAIR])
    body = client.get(reverse(name)).content.decode()
    tabs = body.split('<nav aria-label="Learning"', 1)[1].split("</nav>", 1)[0]
    assert re.findall(r'aria-current="page">([^<]+)</a>', tabs) == [current]
    assert tabs.count("<a ") == 3


def test_a_long_audit_name_is_drawn_whole_over_two_lines_not_cut():
    from learning.charts import chart_svg
    from learning.trends import Chart

    name = "Children missing from education (September 2025)"
    chart = Chart(
        key="actions-by-audit",
        title="Actions of the last 3 audits",
        description="",
        row_heading="Audit",
        columns=["Done on time", "Overdue"],
        rows=[(name, [2, 1])],
        kind="stacked",
    )
    svg = chart_svg(chart)
    assert "Children missing from education" in svg and "(September 2025)" in svg
    assert "…" not in svg
