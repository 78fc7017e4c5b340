"""The learning library: each role finds exactly what it may read, on SQLite and PostgreSQL."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from findings.models import Tag
from learning.indexing import update_search_vectors
from learning.models import LibraryEntry
from learning.search import word_search
from maca.models import Membership

from .learning_world import Role, build_world, publish, quick_pdfs

pytestmark = pytest.mark.django_db

EVERY_SOURCE = ("Alpha", "Bravo", "Charlie", "Delta")


@pytest.fixture
def world(monkeypatch):
    quick_pdfs(monkeypatch)
    return build_world()


def found(client, user, **params) -> str:
    client.force_login(user)
    response = client.get(reverse("learning_library"), params)
    assert response.status_code == 200
    return response.content.decode()


def texts_of(body: str) -> list[str]:
    """The results' words, marks removed, one per result."""
    excerpts = re.findall(r'<p class="mb-1 library-excerpt">(.*?)</p>', body, re.S)
    return [re.sub(r"</?mark>", "", excerpt) for excerpt in excerpts]


def sources(body: str) -> set[str]:
    return {word for text in texts_of(body) for word in EVERY_SOURCE if word in text}


MEMBER_ROLES = [Role.CHAIR, Role.QA_MEMBER]


@pytest.mark.parametrize("role", MEMBER_ROLES)
def test_the_chair_and_qa_members_find_every_published_audit_of_their_partnership(
    client, world, role
):
    body = found(client, world.users[role], q="supervision")
    assert sources(body) == {"Alpha", "Bravo"}
    texts = " ".join(texts_of(body))
    assert "Alpha summary" in texts and "Alpha recommendation" in texts
    assert "Alpha housing action" in texts and "Alpha police action" in texts
    assert "Bravo action" not in texts  # only the actions of published plans
    assert "written after publishing" not in texts  # the draft moved on; the library did not
    assert "meeting note" not in body


def test_a_coordinator_finds_only_audits_their_agency_takes_part_in_and_their_plans(client, world):
    """Alpha's plan was published with its briefing: a co-ordinator reads all of it, as a
    viewer does. Bravo, which their agency has no part in, is found for nobody of theirs."""
    body = found(client, world.users[Role.COORDINATOR], q="supervision")
    assert sources(body) == {"Alpha"}
    texts = " ".join(texts_of(body))
    assert "Alpha housing action" in texts and "Alpha police action" in texts
    assert "Bravo action" not in texts


def test_a_viewer_finds_published_briefings_and_only_plans_published_to_them(client, world):
    body = found(client, world.users[Role.VIEWER], q="supervision")
    assert sources(body) == {"Alpha", "Bravo"}
    texts = " ".join(texts_of(body))
    assert "Alpha housing action" in texts and "Alpha police action" in texts
    assert "Bravo action" not in texts  # Bravo's plan was not published


def test_nobody_finds_another_partnerships_text(client, world):
    assert sources(found(client, world.users["outsider"], q="supervision")) == {"Delta"}
    assert sources(found(client, world.users["outsider"])) == {"Delta"}


def test_a_user_without_a_membership_finds_nothing(client, world, django_user_model):
    loner = django_user_model.objects.create_user("loner", password="x")
    assert texts_of(found(client, loner, q="supervision")) == []
    assert "Nothing has been published to you yet" in found(client, loner)


def test_a_new_version_replaces_the_audits_items_and_never_adds_the_draft_before(client, world):
    chair = world.users[Role.CHAIR]
    assert "written after publishing" not in found(client, chair, q="written")
    publish(world.alpha, chair)
    assert "written after publishing" in " ".join(texts_of(found(client, chair, q="written")))
    assert LibraryEntry.objects.filter(audit=world.alpha).values("version").distinct().count() == 1


def test_results_show_context_theme_date_section_case_and_link_to_the_published_item(client, world):
    body = found(client, world.users[Role.VIEWER], q="nobody")
    assert "<mark>nobody</mark>" in body
    entry = LibraryEntry.objects.get(text__startswith="Alpha: nobody")
    link = reverse("briefing_version", args=[world.alpha.pk, 1]) + f"#{entry.anchor}"
    assert f'href="{link}"' in body
    assert "Findings · Case 1" in body and "Neglect" in body and "12 March 2025" in body
    version = world.client_version = client.get(link.split("#")[0]).content.decode()
    assert f'id="{entry.anchor}"' in version


def test_filters_combine_and_stay_in_the_pages_links(client, world):
    chair = world.users[Role.CHAIR]
    tag = "drift-and-delay"
    assert sources(found(client, chair, tag=tag)) == {"Alpha", "Bravo"}
    assert sources(found(client, chair, tag=tag, year="2026")) == {"Bravo"}
    theme = world.alpha.theme_id
    assert sources(found(client, chair, tag=tag, theme=str(theme))) == {"Alpha"}
    texts = texts_of(found(client, chair, section="good_practice"))
    assert texts == ["Alpha good practice: joint visits."]
    texts = texts_of(found(client, chair, agency=str(world.housing.pk), section="actions"))
    assert texts == ["Alpha housing action on supervision."]


def test_unknown_filter_values_are_ignored_with_a_message(client, world):
    body = found(
        client,
        world.users[Role.VIEWER],
        q="supervision",
        tag="no-such-tag",
        year="1066",
        agency="abc",
        theme=str(world.delta.theme_id),  # another partnership's theme
        section="chronologies",
        partnership=str(world.delta.partnership_id),
    )
    for label in ("tag", "year", "agency", "theme", "section", "partnership"):
        assert f"The {label} “" in body
    assert sources(body) == {"Alpha", "Bravo"}


def test_pages_of_results(client, world):
    chair = world.users[Role.CHAIR]
    assert len(texts_of(found(client, chair))) == 10  # a page holds 20
    from learning import views

    views.PAGE_SIZE, saved = 4, views.PAGE_SIZE
    try:
        body = found(client, chair, tag="drift-and-delay", page="2")
        assert "page 2 of" not in body  # two results: one page
        body = found(client, chair, year="2025", page="2")
        assert "page 2 of 3" in body and "year=2025&amp;page=1" in body
        assert '<span class="page-link">2 of 3</span>' in body  # beside Previous and Next
        assert len(texts_of(found(client, chair, page="3"))) == 2
        assert "page 1 of 3" in found(client, chair, page="nonsense")
    finally:
        views.PAGE_SIZE = saved


HOSTILE = [
    '"',
    '"voice of',
    "supervision & | ! ( ) <-> :* '",
    "100%",
    "_",
    "%_%",
    "' OR 1=1; DROP TABLE learning_libraryentry; --",
    "\x00supervision\x00",
    "supervision" * 500,
    "Дитина голос 子供の声 صوت الطفل 🧒",
    "<script>alert(1)</script>",
    "-",
    "or",
    "the",
    "\ue000\ue001",
    "   ",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_search_terms_never_error(client, world, query):
    body = found(client, world.users[Role.CHAIR], q=query)
    assert "<script>alert" not in body
    assert "result" in body


def test_hostile_terms_with_every_filter(client, world):
    chair = world.users[Role.CHAIR]
    body = found(client, chair, q="'%", tag="%", year="20_6", theme="1 OR 1=1", page="-1")
    assert "result" in body.lower()


def test_percent_and_underscore_are_searched_as_themselves(client, world):
    chair = world.users[Role.CHAIR]
    assert texts_of(found(client, chair, q="%")) == []
    assert texts_of(found(client, chair, q="_")) == []


def test_a_search_reads_phrases_left_out_words_and_either_as_a_web_search_does(client, world):
    """As the search box's hint shows, on either database."""
    chair = world.users[Role.CHAIR]
    phrase = texts_of(found(client, chair, q='"nobody heard the child"'))
    assert len(phrase) == 1 and phrase[0].startswith("Alpha: nobody heard the child")
    assert texts_of(found(client, chair, q='"the child nobody heard"')) == []
    supervision = texts_of(found(client, chair, q="supervision"))
    without_drift = texts_of(found(client, chair, q="supervision -drift"))
    assert without_drift and all("drift" not in text for text in without_drift)
    # Left out too: a row tagged "Drift and delay", whose words do not say it.
    assert any(text.startswith("Bravo: supervision") for text in supervision)
    expected = {t for t in supervision if "drift" not in t and not t.startswith("Bravo")}
    assert set(without_drift) == expected
    either = texts_of(found(client, chair, q="patchy or weekly"))
    assert {text.split(":")[0] for text in either} == {"Bravo", "Alpha strength"}


def test_a_tag_s_name_finds_the_rows_tagged_with_it(client, world):
    """As the search box's hint shows: "voice of the child" finds what is tagged so, whether
    or not its words say it."""
    chair = world.users[Role.CHAIR]
    tagged = texts_of(found(client, chair, q='"voice of the child"'))
    assert len(tagged) == 1 and tagged[0].startswith("Alpha: nobody heard the child")
    voice_page = found(client, chair, q="voice")
    voice = texts_of(voice_page)
    assert any(text.startswith("Alpha: nobody heard the child") for text in voice)
    # Its tags are shown, the match marked: what it was found by.
    assert "Tagged <mark>voice</mark> of the child" in voice_page
    assert texts_of(found(client, chair, q="heard -voice")) == []
    # A row with two matching tags is listed once, its tags in alphabetical order.
    row = LibraryEntry.objects.get(text="Alpha tagged: supervision and drift again.")
    row.tags.add(Tag.objects.filter(name__iexact="voice of the child").first())
    update_search_vectors(LibraryEntry.objects.filter(pk=row.pk))
    page = found(client, chair, q="drift or voice")
    both = texts_of(page)
    assert len([text for text in both if text.startswith("Alpha tagged")]) == 1
    assert re.search(r"Tagged <mark>drift</mark> and delay; <mark>voice</mark> of the child", page)


def test_a_word_is_found_from_its_start_and_either_apostrophe_stands_for_both(client, world):
    chair = world.users[Role.CHAIR]
    assert texts_of(found(client, chair, q="or")) == []  # not inside "for" or "worker"
    for typed in ("school’s -housing or", "school's -housing or"):
        search = word_search(typed)
        for text, finds in (("The school's nurse", True), ("The school’s nurse", True)):
            assert [re.search(p, text, re.I) is not None for p in search.found] == [finds]
        assert not re.search(search.found[0], "The schools' nurse", re.I)
    assert re.search(search.left_out[0], "Housing officers", re.I)
    assert not re.search(search.left_out[0], "rehousing", re.I)
    assert word_search("%% _ -").groups == []


def test_a_word_is_found_with_or_without_its_accents(client, world):
    """People seldom type accents: "cafe" finds "café", and "café" finds "cafe", on either
    database, and the word found is marked as it is written."""
    chair = world.users[Role.CHAIR]
    row = LibraryEntry.objects.get(text="Alpha tagged: supervision and drift again.")
    row.text = "Alpha: Zoë and a naïve plan met at the café."
    row.save()
    update_search_vectors(LibraryEntry.objects.filter(pk=row.pk))
    for typed in ("cafe", "CAFE", "café", "naive", "Zoe", "zoë"):
        texts = texts_of(found(client, chair, q=typed))
        assert [text.rstrip(".") for text in texts] == [row.text.rstrip(".")], typed
    assert "<mark>café</mark>" in found(client, chair, q="cafe")
    assert texts_of(found(client, chair, q="caff")) == []
    # Letters beyond Latin-1 (Vietnamese), and letters with a stroke, either way round.
    row.text = "Alpha: Việt and Søren met at Łódź."
    row.save()
    update_search_vectors(LibraryEntry.objects.filter(pk=row.pk))
    for typed in ("Việt", "Viet", "soren", "Søren", "lodz"):
        texts = texts_of(found(client, chair, q=typed))
        assert [text.rstrip(".") for text in texts] == [row.text.rstrip(".")], typed
    plain = LibraryEntry.objects.get(text="Alpha: nobody heard the child.")
    assert [text.rstrip(".") for text in texts_of(found(client, chair, q="héard"))] == [
        plain.text.rstrip(".")
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="English stemming is PostgreSQL's")
def test_postgres_stems_and_ranks(client, world):
    chair = world.users[Role.CHAIR]
    texts = texts_of(found(client, chair, q="supervise"))
    assert any("supervision" in text for text in texts)
    assert any("supervising" in text for text in texts)
    assert "<mark>supervision</mark>" in found(client, chair, q="supervise")
    texts = texts_of(found(client, chair, q='"nobody heard"'))
    assert len(texts) == 1 and texts[0].startswith("Alpha: nobody heard the child")
    assert LibraryEntry.objects.filter(search_vector__isnull=True).count() == 0


def test_the_library_reads_in_a_constant_number_of_queries(
    client, world, django_assert_max_num_queries
):
    chair = world.users[Role.CHAIR]
    client.force_login(chair)
    url = reverse("learning_library")
    client.get(url, {"q": "supervision"})
    with django_assert_max_num_queries(14):
        client.get(url, {"q": "supervision", "tag": "drift-and-delay"})
    for number in range(6):
        publish(world.bravo, chair)
        LibraryEntry.objects.filter(audit=world.bravo).update(held_on=f"201{number}-01-01")
    with django_assert_max_num_queries(14):
        client.get(url, {"q": "supervision", "tag": "drift-and-delay"})


def test_everyone_signed_in_sees_the_learning_link(client, world):
    body = found(client, world.users[Role.VIEWER])
    assert f'href="{reverse("learning_library")}"' in body
    assert Membership.objects.filter(user=world.users[Role.VIEWER]).exists()


def test_publishing_is_refused_while_the_learning_summary_holds_a_childs_name(monkeypatch):
    from cases.models import NominationIdentity
    from findings.models import MeetingRecord
    from findings.publishing import BriefingHasIdentifiers

    from .factories import AuditFactory, CaseFactory, NominationFactory, UserFactory

    quick_pdfs(monkeypatch)
    audit = AuditFactory()
    CaseFactory(audit=audit, label="Case 1")
    nomination = NominationFactory(audit=audit, label="Case 1")
    NominationIdentity.objects.create(nomination=nomination, child_name="Ellie Brampton")
    MeetingRecord.objects.create(audit=audit, learning_summary="Ellie Brampton was not heard.")
    with pytest.raises(BriefingHasIdentifiers) as refused:
        publish(audit, UserFactory())
    assert any("learning summary" in place.lower() for place in refused.value.places)
    assert not LibraryEntry.objects.exists()


def test_index_library_puts_versions_published_before_the_library_into_it(world):
    import io

    from django.core.management import call_command

    from findings.models import Finding

    Finding.objects.filter(text__startswith="Alpha draft").delete()  # as published, again
    LibraryEntry.objects.all().delete()
    out = io.StringIO()
    call_command("index_library", stdout=out)
    assert "holds 11 published items" in out.getvalue()
    assert "left out" not in out.getvalue()
    assert LibraryEntry.objects.filter(audit=world.charlie).count() == 0
    assert LibraryEntry.objects.filter(audit=world.alpha).values("version").distinct().count() == 1


def test_index_library_never_puts_a_draft_written_since_the_latest_version_into_it(world):
    """A briefing changed since its latest version is not read as it is now: its draft has not
    been published, nor checked for a child's details. It goes in when it is published again."""
    import io

    from django.core.management import call_command

    LibraryEntry.objects.all().delete()
    out = io.StringIO()
    call_command("index_library", stdout=out)
    assert not LibraryEntry.objects.filter(text__contains="Alpha draft").exists()
    assert not LibraryEntry.objects.filter(audit=world.alpha).exists()
    assert LibraryEntry.objects.filter(audit=world.bravo).exists()
    assert "1 audit changed since its latest version was left out" in out.getvalue()
    assert "Alpha draft" not in found(
        Client(), world.users[Role.VIEWER], q="supervision written after publishing"
    )
    publish(world.alpha, world.users[Role.CHAIR])
    assert LibraryEntry.objects.filter(text__contains="Alpha draft").exists()


def _edit_after_publishing(audit, what: str) -> None:
    """The learning summary or an action's words changed since the latest version, on an audit
    whose briefing prints neither (so its pages read as they were published)."""
    from actions.models import Action
    from findings.models import MeetingRecord

    if what == "summary":
        record = MeetingRecord.objects.get(audit=audit)
        record.learning_summary = "Alpha summary rewritten: supervision, never published."
        record.save()
    else:
        action = Action.objects.filter(audit=audit).order_by("pk").first()
        action.text = "Alpha action rewritten on supervision, never published."
        action.save()


EDITS = ["summary", "action"]


@pytest.fixture
def alpha_without_summary_or_annex(world):
    """Alpha published again with a briefing that prints neither its learning summary nor its
    actions: both still go to the library, as published with it."""
    from cases.models import Audit

    Audit.objects.filter(pk=world.alpha.pk).update(
        include_learning_summary=False, include_actions_annex=False
    )
    world.alpha.refresh_from_db()
    publish(world.alpha, world.users[Role.CHAIR], with_plan=True)
    return world.alpha


def _index_library() -> str:
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("index_library", stdout=out)
    return out.getvalue()


def _assert_library_holds_only_what_was_published(client, world) -> None:
    texts = list(LibraryEntry.objects.filter(audit=world.alpha).values_list("text", flat=True))
    assert "Alpha summary: supervision." in texts
    assert "Alpha housing action on supervision." in texts
    assert not any("never published" in text for text in texts)
    found_texts = " ".join(texts_of(found(client, world.users[Role.VIEWER], q="supervision")))
    assert "never published" not in found_texts
    # On PostgreSQL a result shows the passage around the words found, without its full stop.
    assert "Alpha summary: supervision" in found_texts


@pytest.mark.parametrize("edited", EDITS)
def test_index_library_keeps_what_was_published_when_the_summary_or_an_action_changed_since(
    client, world, alpha_without_summary_or_annex, edited
):
    _edit_after_publishing(world.alpha, edited)
    _index_library()
    _assert_library_holds_only_what_was_published(client, world)


@pytest.mark.parametrize("edited", EDITS)
def test_index_library_leaves_out_a_version_published_before_the_library_changed_since(
    client, world, alpha_without_summary_or_annex, edited
):
    """A version published before the library had nothing indexed: its summary and actions are
    put in only as they were when it went out, else the audit is left out until published."""
    _edit_after_publishing(world.alpha, edited)
    LibraryEntry.objects.filter(audit=world.alpha).delete()
    out = _index_library()
    assert "1 audit changed since its latest version was left out" in out
    assert not LibraryEntry.objects.filter(text__contains="never published").exists()
    assert not LibraryEntry.objects.filter(audit=world.alpha).exists()


def _rows_of_an_earlier_rebuild(audit, edited: str) -> None:
    """The library as an earlier `index_library` left it: the edited text read into the row."""
    from actions.models import Action
    from findings.models import MeetingRecord

    if edited == "summary":
        row = LibraryEntry.objects.get(audit=audit, section=LibraryEntry.Section.LEARNING_SUMMARY)
        row.text = MeetingRecord.objects.get(audit=audit).learning_summary
    else:
        action = Action.objects.filter(audit=audit).order_by("pk").first()
        row = LibraryEntry.objects.get(action=action)
        row.text = action.text
    row.save()


@pytest.mark.parametrize("edited", EDITS)
def test_index_library_takes_out_rows_holding_a_summary_or_action_never_published(
    client, world, alpha_without_summary_or_annex, edited
):
    _edit_after_publishing(world.alpha, edited)
    _rows_of_an_earlier_rebuild(world.alpha, edited)
    viewer = world.users[Role.VIEWER]
    assert "never published" in found(client, viewer, q="supervision")

    out = _index_library()
    assert "1 audit changed since its latest version was left out" in out
    assert not LibraryEntry.objects.filter(audit=world.alpha).exists()
    assert "never published" not in found(client, viewer, q="supervision")
    assert sources(found(client, viewer, q="supervision")) == {"Bravo"}


@pytest.mark.parametrize("edited", EDITS)
def test_index_library_puts_back_what_was_published_once_the_edit_is_undone(
    client, world, alpha_without_summary_or_annex, edited
):
    """Rows an earlier rebuild read after an edit since undone are written again from the audit,
    which reads as it was published."""
    from actions.models import Action
    from findings.models import MeetingRecord

    record = MeetingRecord.objects.get(audit=world.alpha)
    action = Action.objects.filter(audit=world.alpha).order_by("pk").first()
    _edit_after_publishing(world.alpha, edited)
    _rows_of_an_earlier_rebuild(world.alpha, edited)
    record.save()
    action.save()
    assert "left out" not in _index_library()
    _assert_library_holds_only_what_was_published(client, world)


def test_index_library_keeps_rows_that_read_as_published_untouched(world):
    rows = set(LibraryEntry.objects.values_list("pk", "version", "text"))
    out = _index_library()
    assert set(LibraryEntry.objects.values_list("pk", "version", "text")) == rows
    assert f"holds {len(rows)} published items" in out and "left out" not in out


def test_index_library_keeps_rows_of_records_saved_before_their_history_was_kept(world):
    """Records last saved before the product kept their history hold what was published."""
    from actions.models import Action
    from findings.models import Finding, GoodPractice, MeetingRecord, Recommendation, Strength

    for model in (Strength, Finding, GoodPractice, Recommendation, MeetingRecord, Action):
        model.history.all().delete()
    rows = set(LibraryEntry.objects.values_list("pk", "version", "text"))
    out = _index_library()
    assert set(LibraryEntry.objects.values_list("pk", "version", "text")) == rows
    assert "left out" not in out


def test_index_library_takes_out_a_record_changed_after_publishing_before_history_was_kept(
    world,
):
    from django.utils import timezone

    from actions.models import Action

    action = Action.objects.filter(audit=world.alpha).order_by("pk").first()
    Action.history.all().delete()
    edited = "Alpha action rewritten, never published."
    Action.objects.filter(pk=action.pk).update(text=edited, updated_at=timezone.now())
    LibraryEntry.objects.filter(action=action).update(text=edited)  # as an older rebuild wrote
    _index_library()
    assert not LibraryEntry.objects.filter(text=edited).exists()


def test_index_library_reads_each_audits_rows_in_as_many_queries_however_many_there_are(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from actions.models import Action

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            _index_library()
        return len(captured)

    before = queries()
    action = Action.objects.filter(audit=world.alpha).order_by("pk").first()
    row = LibraryEntry.objects.get(action=action)
    for n in range(5):
        row.pk, row.order = None, 100 + n
        row.save()
    assert queries() == before


def test_the_tag_filter_offers_only_tags_on_rows_the_reader_may_read(client, world):
    Tag.objects.create(partnership=world.partnership, name="Made and never used")
    elsewhere = Tag.objects.create(
        partnership=world.delta.partnership, name="Another partnership's"
    )
    LibraryEntry.objects.filter(audit=world.delta).first().tags.add(elsewhere)

    options = re.compile(r'<select[^>]*name="tag".*?</select>', re.S)
    for role in (Role.CHAIR, Role.VIEWER):
        offered = options.search(found(client, world.users[role])).group()
        assert "voice of the child" in offered.lower()
        assert "Made and never used" not in offered
        assert "Another partnership" not in offered


def test_the_page_title_says_what_was_searched_and_how_much_was_found(client, world):
    """The title, read first by a screen reader and shown in the tab and the history, tells one
    search from another."""
    user = world.users[Role.CHAIR]

    def title(**params):
        return re.search(r"<title>(.*?)</title>", found(client, user, **params), re.S)[1]

    assert title() == "Learning library · MACA"
    assert re.fullmatch(
        r"“supervision”: \d+ results · Learning library · MACA", title(q="supervision")
    )
    assert title(q="zzzqqq") == "“zzzqqq”: no results · Learning library · MACA"
    voice = Tag.objects.filter(name__iexact="voice of the child").first()
    assert title(tag=voice.slug) == "1 result · Learning library · MACA"
