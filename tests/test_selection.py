"""Choosing the cross-section: the spread summary, random draws and confirming the selection."""

import html
import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Audit, AuditEvent, Case, Nomination, SelectionDraw
from cases.selectors.nominations import pool, spread_summary
from cases.services.nominations import NOT_SELECTED_REASON, draw_from, selection_draw
from maca.models import Membership

from .conftest import member
from .factories import AgencyFactory, NominationFactory

pytestmark = pytest.mark.django_db
Role = Membership.Role


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def open_audit(audit):
    audit.status = Audit.Status.NOMINATING
    audit.target_case_count = 3
    audit.save()
    return audit


@pytest.fixture
def housing(open_audit):
    agency = AgencyFactory(name="Housing Trust")
    open_audit.agencies.add(agency)
    return agency


@pytest.fixture
def people(open_audit, housing):
    return {
        "chair": member(open_audit, Role.CHAIR),
        "qa_member": member(open_audit, Role.QA_MEMBER),
        "coordinator": member(open_audit, Role.COORDINATOR, agency=housing),
        "viewer": member(open_audit, Role.VIEWER),
    }


@pytest.fixture
def nominations(open_audit, housing):
    made = []
    for number, (age, gender) in enumerate(
        [("5_9", "boy"), ("16_17", "girl"), ("1_4", "girl"), ("10_15", "boy"), ("5_9", "girl")],
        start=1,
    ):
        nomination = NominationFactory(
            audit=open_audit,
            label=f"Case {number}",
            age_band=age,
            gender=gender,
            tags=["eviction"] if number == 2 else [],
        )
        if number % 2:
            nomination.agencies.add(housing)
        made.append(nomination)
    return made


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("url_name", ["selection", "selection_confirm"])
def test_selection_pages_are_for_the_chair(client, open_audit, people, outsider, url_name):
    url = reverse(url_name, args=[open_audit.pk])
    expected = {"qa_member": 403, "coordinator": 403, "viewer": 404}
    for role, status in expected.items():
        client.force_login(people[role])
        assert client.get(url).status_code == status, role
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(people["chair"])
    assert client.get(reverse("selection", args=[open_audit.pk])).status_code == 200


def test_draw_and_confirm_are_for_the_chair(client, open_audit, people, nominations):
    for name in ("selection_draw", "selection_confirm"):
        url = reverse(name, args=[open_audit.pk])
        client.force_login(people["qa_member"])
        assert client.post(url, {"pick": [nominations[0].pk]}).status_code == 403
    assert not SelectionDraw.objects.exists()
    assert not Case.objects.exists()


def test_the_page_shows_the_target_and_the_spread_with_gaps_in_words(
    client, open_audit, people, nominations
):
    client.force_login(people["chair"])
    url = reverse("selection", args=[open_audit.pk])
    picks = [nominations[0].pk, nominations[2].pk]  # a 5-9 boy and a 1-4 girl
    page = client.get(url, {"update": "1", "pick": picks}).content.decode()
    assert "Target:</strong> 3 cases" in page
    assert "Proposed:</strong> 2 of 5" in page
    assert "No 16–17 year olds selected" in page
    assert "No 10–15 year olds selected" in page
    assert "No cases tagged “eviction” selected" in page
    assert "No girls selected" not in page
    for pk in picks:
        assert f'value="{pk}" id="pick-{pk}" checked' in page


def test_spread_summary_counts_each_value(open_audit, nominations, housing):
    summary = {group["key"]: group for group in spread_summary(pool(open_audit), [])}
    ages = {
        row["label"]: (row["nominated"], row["proposed"]) for row in summary["age_band"]["rows"]
    }
    assert ages["5–9"] == (2, 0)
    assert summary["agencies"]["rows"][0]["nominated"] == 3
    assert "No cases involving Housing Trust selected" in summary["agencies"]["gaps"]
    chosen = [n.pk for n in nominations]
    everything = spread_summary(pool(open_audit), chosen)
    assert all(not group["gaps"] for group in everything)


def test_a_draw_is_recorded_and_becomes_the_proposal(client, open_audit, people, nominations):
    client.force_login(people["chair"])
    response = client.post(reverse("selection_draw", args=[open_audit.pk]))
    assert response.status_code == 302
    draw = SelectionDraw.objects.get()
    assert draw.drawn_by == people["chair"]
    assert draw.created_at is not None
    assert len(draw.seed) == 16
    assert draw.nominations.count() == 3
    event = AuditEvent.objects.get(audit=open_audit, kind=AuditEvent.Kind.DRAW)
    assert event.detail["seed"] == draw.seed
    assert sorted(event.detail["labels"]) == sorted(n.label for n in draw.nominations.all())

    page = client.get(reverse("selection", args=[open_audit.pk])).content.decode()
    assert draw.seed in page
    assert str(people["chair"]) in page
    for nomination in draw.nominations.all():
        assert f'value="{nomination.pk}" id="pick-{nomination.pk}" checked' in page

    client.post(reverse("selection_draw", args=[open_audit.pk]))  # a redraw
    assert SelectionDraw.objects.count() == 2
    assert "Replaced" in client.get(reverse("selection", args=[open_audit.pk])).content.decode()


def test_the_same_seed_reproduces_the_same_draw(open_audit, people, nominations):
    ids = [n.pk for n in nominations]
    assert draw_from(ids, 3, "0123abcd0123abcd") == draw_from(ids, 3, "0123abcd0123abcd")
    assert len({tuple(draw_from(ids, 3, f"seed{n}")) for n in range(20)}) > 1
    first = selection_draw(audit=open_audit, user=people["chair"], seed="feedfacefeedface")
    again = selection_draw(audit=open_audit, user=people["chair"], seed="feedfacefeedface")
    assert {n.pk for n in first.nominations.all()} == {n.pk for n in again.nominations.all()}


def test_drawing_with_no_nominations_is_refused_with_a_message(client, open_audit, people):
    client.force_login(people["chair"])
    response = client.post(reverse("selection_draw", args=[open_audit.pk]))
    assert response.status_code == 302
    assert any("no nominations" in text for text in texts(response))
    assert not SelectionDraw.objects.exists()


def test_confirming_asks_first_then_creates_the_cases(
    client, open_audit, people, nominations, housing
):
    client.force_login(people["chair"])
    draw = selection_draw(audit=open_audit, user=people["chair"], seed="abcdefabcdefabcd")
    chosen = sorted(n.pk for n in draw.nominations.all())
    url = reverse("selection_confirm", args=[open_audit.pk])

    page = client.get(url, {"pick": chosen}).content.decode()
    assert "When you confirm" in page
    assert "Confirm the selection of 3 cases" in page
    assert "these 3 nominations become the audit's cases" in html.unescape(page)
    assert not Case.objects.exists()

    response = client.post(url, {"pick": chosen})
    assert response.status_code == 302
    open_audit.refresh_from_db()
    assert open_audit.status == Audit.Status.SELECTED
    cases = list(open_audit.cases.all())
    by_order = [n for n in nominations if n.pk in chosen]
    assert [c.label for c in cases] == [n.label for n in by_order]
    for case, nomination in zip(cases, by_order, strict=True):
        nomination.refresh_from_db()
        assert nomination.status == Nomination.Status.SELECTED
        assert nomination.case == case
        assert set(case.agencies.all()) == set(nomination.agencies.all())
    for nomination in nominations:
        if nomination.pk not in chosen:
            nomination.refresh_from_db()
            assert nomination.status == Nomination.Status.DECLINED
            assert nomination.decline_reason == NOT_SELECTED_REASON
    draw.refresh_from_db()
    assert draw.confirmed
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.SELECTION, audit=open_audit).exists()
    move = AuditEvent.objects.get(kind=AuditEvent.Kind.STATUS, audit=open_audit)
    assert move.detail == {"from": "nominating", "to": "selected"}

    # Afterwards the selection is over: no second confirmation, no nominations.
    assert client.post(url, {"pick": chosen}).status_code == 302
    assert Case.objects.count() == 3


def test_a_hand_picked_selection_keeps_declined_reasons_and_skips_the_draw(
    client, open_audit, people, nominations
):
    nominations[4].status = Nomination.Status.DECLINED
    nominations[4].decline_reason = "Same family as Case 1"
    nominations[4].save()
    selection_draw(audit=open_audit, user=people["chair"], seed="1111111111111111")
    client.force_login(people["chair"])
    url = reverse("selection_confirm", args=[open_audit.pk])
    page = html.unescape(client.get(url, {"pick": [nominations[1].pk]}).content.decode())
    assert "this nomination becomes the audit's case, with the agencies involved in it;" in page
    assert "these 1" not in page and "Confirm the selection of 1 case<" in page
    client.post(url, {"pick": [nominations[1].pk]})
    nominations[4].refresh_from_db()
    assert nominations[4].decline_reason == "Same family as Case 1"
    assert not SelectionDraw.objects.get().confirmed
    assert list(Case.objects.values_list("label", flat=True)) == ["Case 2"]


def test_an_empty_or_foreign_selection_is_refused(client, open_audit, people, nominations):
    foreign = NominationFactory()
    client.force_login(people["chair"])
    url = reverse("selection_confirm", args=[open_audit.pk])
    for data in ({}, {"pick": ["nonsense"]}, {"pick": [foreign.pk]}):
        response = client.post(url, data)
        assert response.status_code == 302
        assert any("Tick at least one nomination" in text for text in texts(response))
    open_audit.refresh_from_db()
    assert open_audit.status == Audit.Status.NOMINATING
    assert not Case.objects.exists()


def test_selection_outside_the_nominating_stage_says_why(client, open_audit, people):
    open_audit.status = Audit.Status.SUBMISSIONS
    open_audit.save()
    client.force_login(people["chair"])
    for name in ("selection", "selection_confirm"):
        response = client.get(reverse(name, args=[open_audit.pk]))
        assert response.status_code == 302
        assert any("Cases are selected while" in text for text in texts(response))
    response = client.post(reverse("selection_draw", args=[open_audit.pk]))
    assert response.status_code == 302
    assert not SelectionDraw.objects.exists()


def test_selection_page_runs_a_constant_number_of_queries(client, open_audit, people, housing):
    client.force_login(people["chair"])
    url = reverse("selection", args=[open_audit.pk])

    def add(count):
        for _ in range(count):
            nomination = NominationFactory(audit=open_audit, tags=["neglect"], age_band="5_9")
            nomination.agencies.add(housing)
        selection_draw(audit=open_audit, user=people["chair"])

    add(1)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    add(9)
    with CaptureQueriesContext(connection) as ten:
        assert client.get(url).status_code == 200
    assert len(one) == len(ten)


def test_the_chair_numbers_the_selected_cases_in_order_and_relabels_them_uniquely(
    client, audit, chair
):
    from findings.models import BriefingVersion

    from .factories import CaseFactory

    audit.status = Audit.Status.SELECTED
    audit.save()
    one, two, four = (CaseFactory(audit=audit, label=f"Case {n}", order=n) for n in (1, 2, 4))
    client.force_login(chair)
    url = reverse("case_labels", args=[audit.pk])
    hub = client.get(reverse("audit_detail", args=[audit.pk])).content.decode()
    assert url in hub
    assert "Case 1, Case 2, Case 3" in client.get(url).content.decode()

    assert client.post(url, {"in_order": "1"}).status_code == 302
    assert list(audit.cases.values_list("label", flat=True)) == ["Case 1", "Case 2", "Case 3"]

    # Two cases may swap labels; two the same (whatever the capitals) are refused, field by field.
    swap = {f"case_{one.pk}": "Case 2", f"case_{two.pk}": "Case 1", f"case_{four.pk}": "Case C"}
    assert client.post(url, swap).status_code == 302
    assert list(audit.cases.values_list("label", flat=True)) == ["Case 2", "Case 1", "Case C"]
    clash = {**swap, f"case_{four.pk}": "case 1"}
    refused = client.post(url, clash)
    assert refused.status_code == 422
    assert "each label must be different" in refused.content.decode()
    assert 'value="case 1"' in refused.content.decode()  # nothing typed is lost
    assert list(audit.cases.values_list("label", flat=True)) == ["Case 2", "Case 1", "Case C"]

    # Once the briefing is published, the labels stay as it went out.
    BriefingVersion.objects.create(
        audit=audit, number=1, published_at=audit.created_at, html="", pdf=b"", sha256="0" * 64
    )
    assert url not in client.get(reverse("audit_detail", args=[audit.pk])).content.decode()
    client.post(url, {"in_order": "1"})
    client.post(url, {f"case_{one.pk}": "X", f"case_{two.pk}": "Y", f"case_{four.pk}": "Z"})
    assert list(audit.cases.values_list("label", flat=True)) == ["Case 2", "Case 1", "Case C"]


def test_labels_saved_meanwhile_by_another_chair_are_not_undone_unseen(client, audit, chair):
    from .factories import CaseFactory

    audit.status = Audit.Status.SELECTED
    audit.save()
    one, two = (CaseFactory(audit=audit, label=f"Case {n}", order=n) for n in (1, 2))
    url = reverse("case_labels", args=[audit.pk])
    client.force_login(chair)
    page = client.get(url).content.decode()
    loaded = dict(re.findall(r'name="(loaded_\d+)" value="([^"]*)"', page))
    assert loaded == {f"loaded_{one.pk}": "Case 1", f"loaded_{two.pk}": "Case 2"}
    # Another chair, from a page opened at the same time, renames Case 1 and saves.
    mine = {**loaded, f"case_{one.pk}": "Case 1", f"case_{two.pk}": "Bravo"}
    theirs = {**loaded, f"case_{one.pk}": "Alpha", f"case_{two.pk}": "Case 2"}
    assert client.post(url, theirs).status_code == 302
    refused = client.post(url, mine)
    assert refused.status_code == 422
    said = html.unescape(refused.content.decode())
    assert "Someone else saved the cases' labels after you opened this page: they now read " in said
    assert "Alpha, Case 2. Your labels are kept below" in said
    assert 'value="Bravo"' in said  # nothing typed is lost
    assert list(audit.cases.values_list("label", flat=True)) == ["Alpha", "Case 2"]
    # The page now stands for the labels saved: saving again, after a look, keeps theirs.
    again = dict(re.findall(r'name="(loaded_\d+)" value="([^"]*)"', said))
    assert again == {f"loaded_{one.pk}": "Alpha", f"loaded_{two.pk}": "Case 2"}
    assert client.post(url, {**mine, **again, f"case_{one.pk}": "Alpha"}).status_code == 302
    assert list(audit.cases.values_list("label", flat=True)) == ["Alpha", "Bravo"]
    # A second press of the same save is answered as the first, and changes nothing more.
    history = Case.history.count()
    assert client.post(url, {**mine, **again, f"case_{one.pk}": "Alpha"}).status_code == 302
    assert Case.history.count() == history


def test_pressing_confirm_twice_selects_once_and_says_so(client, open_audit, people, nominations):
    from .test_one_press import assert_same_answer, press_twice, said

    client.force_login(people["chair"])
    draw = selection_draw(audit=open_audit, user=people["chair"], seed="abcdefabcdefabcd")
    chosen = sorted(n.pk for n in draw.nominations.all())
    url = reverse("selection_confirm", args=[open_audit.pk])
    query = "&".join(f"pick={pk}" for pk in chosen)
    first, second = press_twice(client, f"{url}?{query}", url)
    assert_same_answer(first, second)
    assert len(said(second)) == 1 and "selected" in said(second)[0]
    assert "while the audit is at" not in said(second)[0]
    assert Case.objects.count() == len(chosen)


def test_a_case_is_not_relabelled_with_a_childs_details(client, audit, chair, housing):
    from cases.models import NominationIdentity

    from .factories import CaseFactory, NominationFactory

    audit.status = Audit.Status.SELECTED
    audit.save()
    one, two = (CaseFactory(audit=audit, label=f"Case {n}", order=n) for n in (1, 2))
    nomination = NominationFactory(audit=audit, case=two, label="Case 2")
    NominationIdentity.objects.create(nomination=nomination, child_name="Alex Sample")
    client.force_login(chair)
    url = reverse("case_labels", args=[audit.pk])

    # The name recorded for a child of the audit, on any case, even confirmed.
    recorded = {f"case_{one.pk}": "Alex Sample", f"case_{two.pk}": "Case B"}
    refused = client.post(url, {**recorded, "holds_no_identifiers": "on"})
    assert refused.status_code == 422
    assert "Take out the child&#x27;s name" in refused.content.decode()
    assert 'value="Alex Sample"' in refused.content.decode()  # nothing typed is lost
    assert list(audit.cases.values_list("label", flat=True)) == ["Case 1", "Case 2"]
    # Not ticked, the recorded name is refused at once: the chair is not asked to tick "I have
    # checked", which could not let it through.
    first = client.post(url, recorded)
    page = html.unescape(first.content.decode())
    assert first.status_code == 422
    assert "Take out the child's name" in page
    assert "This looks like it holds a name." not in page
    assert 'name="holds_no_identifiers"' not in page

    # A label that reads like anyone's name is asked about, and saved once confirmed.
    named = {f"case_{one.pk}": "Jayden Smith", f"case_{two.pk}": "Case B"}
    asked = client.post(url, named)
    assert asked.status_code == 422
    assert "This looks like it holds a name." in html.unescape(asked.content.decode())
    assert 'name="holds_no_identifiers"' in asked.content.decode()
    assert list(audit.cases.values_list("label", flat=True)) == ["Case 1", "Case 2"]
    assert client.post(url, {**named, "holds_no_identifiers": "on"}).status_code == 302
    assert list(audit.cases.values_list("label", flat=True)) == ["Jayden Smith", "Case B"]
    assert 'name="holds_no_identifiers"' not in client.get(url).content.decode()
