"""One audit's action plan page, the plan as a PDF for the board, and viewers kept out."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from actions.models import Action
from findings.models import BriefingVersion
from maca.models import Membership

from .conftest import member, pdf_text, pdf_words, words_outside
from .factories import ActionFactory, AgencyFactory, AuditFactory, RecommendationFactory
from .spoken import names

pytestmark = pytest.mark.django_db
Role = Membership.Role


def days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


@pytest.fixture
def plan(audit, outsider):
    housing, police = AgencyFactory(name="Housing"), AgencyFactory(name="Police")
    audit.agencies.add(housing, police)
    first = RecommendationFactory(audit=audit, text="Invite housing to core groups.")
    second = RecommendationFactory(audit=audit, text="Audit supervision of neglect cases.")
    ActionFactory(
        audit=audit,
        recommendation=first,
        owner_agency=housing,
        due_date=days(-3),
        lead="Head of Housing",
        text="Housing attends every core group.",
    )
    ActionFactory(
        audit=audit,
        recommendation=first,
        owner_agency=police,
        due_date=days(60),
        lead="DI Example",
        text="Police share call-outs with housing.",
    )
    ActionFactory(audit=audit, owner_agency=housing, due_date=days(5), text="Unlinked housing")
    # A published briefing, so that the viewer is a reader of this audit.
    BriefingVersion.objects.create(
        audit=audit, number=1, published_at=timezone.now(), html="", pdf=b"", sha256="0" * 64
    )
    return {
        "first": first,
        "second": second,
        "chair": member(audit, Role.CHAIR),
        "qa": member(audit, Role.QA_MEMBER),
        "housing": member(audit, Role.COORDINATOR, agency=housing),
        "viewer": member(audit, Role.VIEWER),
        "outsider": outsider,
    }


@pytest.mark.parametrize(
    "who, answer",
    [("chair", 200), ("qa", 200), ("housing", 200), ("viewer", 404), ("outsider", 404)],
)
def test_who_sees_an_audits_plan(client, audit, plan, who, answer):
    client.force_login(plan[who])
    assert client.get(reverse("audit_actions", args=[audit.pk])).status_code == answer


def test_the_audits_plan_is_grouped_by_recommendation(client, audit, plan):
    client.force_login(plan["chair"])
    page = client.get(reverse("audit_actions", args=[audit.pk])).content.decode()
    first, second = plan["first"], plan["second"]
    assert page.index("Invite housing to core groups.") < page.index("Housing attends")
    assert page.index("Housing attends") < page.index("Police share")
    assert page.index("Police share") < page.index("Audit supervision of neglect cases.")
    assert page.index("Actions not from a recommendation") < page.index("Unlinked housing")
    assert "Red" in page and "Green" in page and "Amber" in page
    create = reverse("action_create", args=[audit.pk])
    assert f"{create}?recommendation={first.pk}" in page
    assert f"{create}?recommendation={second.pk}" in page
    assert "No actions yet" in page  # the second recommendation


def test_each_add_an_action_link_on_the_audit_page_names_its_recommendation(client, audit, plan):
    client.force_login(plan["chair"])
    heard = names(client.get(reverse("audit_detail", args=[audit.pk])).content.decode())
    adds = [name for name in heard if name.startswith("Add an action")]
    assert adds == ["Add an action for recommendation 1", "Add an action for recommendation 2"]


def test_a_coordinator_sees_their_own_agencys_actions_and_cannot_add(client, audit, plan):
    client.force_login(plan["housing"])
    page = client.get(reverse("audit_actions", args=[audit.pk])).content.decode()
    assert "Housing attends" in page and "Unlinked housing" in page
    assert "Police share" not in page
    assert "Add an action" not in page
    assert "your own agency" in page


def test_an_audit_without_recommendations_says_what_comes_next(client):
    audit = AuditFactory()
    client.force_login(member(audit, Role.CHAIR))
    page = client.get(reverse("audit_actions", args=[audit.pk])).content.decode()
    assert "no recommendations yet" in page


def test_an_audits_plan_takes_the_same_queries_at_one_and_ten_times_the_data(client):
    counts = []
    for size in (1, 10):
        audit = AuditFactory()
        agency = AgencyFactory()
        audit.agencies.add(agency)
        for _ in range(size):
            recommendation = RecommendationFactory(audit=audit)
            for _ in range(3):
                ActionFactory(audit=audit, recommendation=recommendation, owner_agency=agency)
        client.force_login(member(audit, Role.CHAIR))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("audit_actions", args=[audit.pk])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize(
    "name, args",
    [
        ("action_plan", []),
        ("my_actions", []),
        ("action_plan_pdf", []),
        ("action_plan_export", ["csv"]),
        ("action_plan_export", ["xlsx"]),
    ],
)
def test_viewers_get_404_on_every_plan_page_and_export(client, audit, plan, name, args):
    client.force_login(plan["viewer"])
    assert client.get(reverse(name, args=args)).status_code == 404
    client.force_login(plan["qa"])
    assert client.get(reverse(name, args=args), follow=True).status_code == 200


def test_the_plan_pdf_holds_the_actions_grouped_with_rag_in_words(client, audit, plan, tmp_path):
    other = AuditFactory(partnership=audit.partnership, theme__name="Exploitation")
    other.agencies.add(*audit.agencies.all())
    ActionFactory(audit=other, due_date=days(100), lead="Someone", text="Map hotspots.")
    client.force_login(plan["chair"])
    response = client.get(reverse("action_plan_pdf"), {"sort": "audit"}, follow=True)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="action-plan-')
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content, tmp_path)
    first_page = text.split("\f")[0]
    assert first_page.count("OFFICIAL-SENSITIVE") == 1  # the cover's, not a header above it too
    assert "Composite action plan" in text
    assert "Red: 1" in text and "Amber: 1" in text and "Green: 2" in text
    for words in ("Housing attends every core group.", "Police share call-outs", "Map hotspots."):
        assert words in text
    assert text.index("Exploitation") < text.index("Map hotspots.")
    assert text.index("Neglect and housing") < text.index("Housing attends")
    assert text.index("Exploitation") < text.index("Neglect and housing")


def test_the_plan_pdf_follows_the_filters_and_keeps_others_out(client, audit, plan, tmp_path):
    client.force_login(plan["housing"])
    response = client.get(reverse("action_plan_pdf"), {"overdue": "on"}, follow=True)
    text = pdf_text(response.content, tmp_path)
    assert "Housing attends every core group." in text
    assert "Unlinked housing" not in text and "Police share" not in text
    assert "Overdue only" in text


def test_a_plan_pdf_of_one_rating_counts_only_the_actions_it_holds(client, audit, plan, tmp_path):
    client.force_login(plan["chair"])
    response = client.get(reverse("action_plan_pdf"), {"rag": "green"}, follow=True)
    text = pdf_text(response.content, tmp_path)
    assert "1 action." in text and "Police share call-outs" in text
    assert "Green: 1" in text
    assert "Red:" not in text and "Amber:" not in text


def test_a_page_an_audits_table_runs_onto_names_the_audit(client, audit, plan, tmp_path):
    for number in range(40):
        ActionFactory(audit=audit, due_date=days(number), text=f"Numbered action {number}.")
    client.force_login(plan["chair"])
    pdf = client.get(reverse("action_plan_pdf"), follow=True).content
    pages = pdf_text(pdf, tmp_path).split("\f")
    assert len([page for page in pages if page.strip()]) > 1
    assert "(continued)" not in pages[0]
    assert f"{audit.theme.name} (continued)" in pages[1]


def test_the_plan_pdf_carries_the_audits_own_marking(client, audit, plan, tmp_path):
    audit.protective_marking = "OFFICIAL"
    audit.save()
    client.force_login(plan["chair"])
    text = pdf_text(client.get(reverse("action_plan_pdf"), follow=True).content, tmp_path)
    assert "OFFICIAL" in text and "OFFICIAL-SENSITIVE" not in text
    other = AuditFactory(
        partnership=audit.partnership, theme__name="Exploitation", protective_marking="SECRET"
    )
    other.agencies.add(*audit.agencies.all())
    ActionFactory(audit=other, due_date=days(100), lead="Someone", text="Map hotspots.")
    text = pdf_text(client.get(reverse("action_plan_pdf"), follow=True).content, tmp_path)
    assert "OFFICIAL / SECRET" in text  # the audits differ: the page carries both
    assert "(SECRET)" in text and "(OFFICIAL)" in text


def test_both_plans_say_which_open_actions_are_at_risk(client, audit, plan):
    Action.objects.filter(text="Police share call-outs with housing.").update(
        status=Action.Status.IN_PROGRESS, at_risk=True
    )
    client.force_login(plan["chair"])
    for url in (reverse("action_plan"), reverse("audit_actions", args=[audit.pk])):
        page = client.get(url).content.decode()
        row = page[page.index("Police share call-outs") :].split("</tr>")[0]
        assert "At risk" in row
        assert page.count(">At risk</span>") == 1


def test_what_when_and_how_it_stands_come_first_so_a_phone_shows_them(client, audit, plan):
    client.force_login(plan["chair"])
    for url in (reverse("action_plan"), reverse("audit_actions", args=[audit.pk])):
        page = client.get(url).content.decode()
        headings = re.findall(r'<th scope="col">([^<]+)</th>', page)
        assert headings[:4] == ["Action", "Due", "Status", "RAG"]
        assert "Owner" in headings[4:] and "Lead" in headings[4:]


def test_both_plan_pdfs_keep_every_word_inside_the_margins(client, demo_audit, tmp_path):
    """The composite plan and one audit's plan, A4 landscape: nothing (RAG badges, long dates,
    long words) runs past the 14 mm side margins, and one audit's plan is titled as such."""
    Action.objects.filter(audit=demo_audit).update(due_date=datetime.date(2026, 9, 30))
    ActionFactory(
        audit=demo_audit,
        due_date=datetime.date(2026, 9, 23),
        lead="Designated-Safeguarding-Lead-for-Northshire-Primary-Schools",
        text="Supercalifragilisticexpialidocious" * 3,
        status=Action.Status.CANCELLED,
        cancel_reason="Merged.",
    )
    client.force_login(demo_audit.partnership.memberships.get(user__username="chair").user)
    composite = client.get(reverse("action_plan_pdf"), follow=True).content
    one_response = client.get(reverse("action_plan_pdf"), {"audit": demo_audit.pk}, follow=True)
    # Named for its audit, as its briefing is: two audits' plans of one day are told apart.
    assert one_response["Content-Disposition"].startswith(
        f'attachment; filename="{slugify(demo_audit.theme.name)}-action-plan-'
    )
    one = one_response.content
    for pdf in (composite, one):
        words = pdf_words(pdf, tmp_path)
        assert words and words[0]["width"] > words[0]["height"]  # landscape
        assert words_outside(words, left_mm=14, right_mm=14) == []
    assert "Composite action plan" in pdf_text(composite, tmp_path)
    one_text = pdf_text(one, tmp_path)
    assert "Composite action plan" not in one_text
    assert f"Action plan: {demo_audit.theme.name}" in one_text


@pytest.mark.parametrize("page", ["action_plan", "audit_actions", "audit_detail"])
def test_each_row_of_a_list_of_actions_names_its_owner_and_lead_in_the_same_queries(
    client, audit, plan, page
):
    """The lead is a MACA user by name, or the lead as typed; a row reads nothing more."""
    from .factories import UserFactory

    url = reverse(page) if page == "action_plan" else reverse(page, args=[audit.pk])
    lead = UserFactory(first_name="Sam", last_name="Lead")
    Action.objects.filter(text="Housing attends every core group.").update(lead_user=lead)
    client.force_login(plan["chair"])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        page_text = client.get(url).content.decode()
    housing = page_text[page_text.index("Housing attends every core group.") :].split("</tr>")[0]
    police = page_text[page_text.index("Police share call-outs") :].split("</tr>")[0]
    assert "<td>Sam Lead</td>" in housing and "<td>Housing</td>" in housing
    assert "<td>DI Example</td>" in police and "<td>Police</td>" in police
    if page == "action_plan":
        assert f"<td>{audit.theme.name}</td>" in housing
    agency = plan["housing"].memberships.first().agency
    for n in range(20):
        ActionFactory(audit=audit, owner_agency=agency, lead_user=UserFactory(), text=f"More {n}")
    with CaptureQueriesContext(connection) as more:
        assert client.get(url).status_code == 200
    assert len(more) == len(few)


def test_someone_in_two_partnerships_is_told_whose_each_action_and_agency_is(client, tmp_path):
    """Neighbouring partnerships each have a "Police" and audit the same themes: the plan's
    page, its filters and its spreadsheets say which partnership each action belongs to."""
    import csv
    import io

    from .factories import UserFactory, police_in_two_partnerships

    person = UserFactory()
    neighbours = police_in_two_partnerships(person, title="Multi Agency Case Audit")
    for name, police, audit in neighbours:
        ActionFactory(audit=audit, owner_agency=police, text=f"Act in {name}", due_date=days(5))
    client.force_login(person)

    page = client.get(reverse("action_plan")).content.decode()
    options = re.findall(r"<option[^>]*>([^<]*)</option>", page)
    assert "Police (Northshire Partnership)" in options
    assert "Police (Southvale Partnership)" in options
    assert "Neglect — Multi Agency Case Audit (Southvale Partnership)" in options
    assert '<th scope="col">Partnership</th>' in page
    assert re.search(r"Act in Southvale Partnership.*?<td>Southvale Partnership</td>", page, re.S)

    text = client.get(reverse("action_plan_export", args=["csv"])).content.decode("utf-8-sig")
    records = {row["Action"]: row for row in csv.DictReader(io.StringIO(text))}
    assert records["Act in Northshire Partnership"]["Partnership"] == "Northshire Partnership"
    assert records["Act in Southvale Partnership"]["Partnership"] == "Southvale Partnership"

    southvale_police = next(p for n, p, _ in neighbours if n == "Southvale Partnership")
    pdf = client.get(
        reverse("action_plan_pdf"), {"owner_agency": southvale_police.pk}, follow=True
    ).content
    text = " ".join(pdf_text(pdf, tmp_path).split())
    assert "Filtered: Owner agency: Police (Southvale Partnership)." in text


def test_someone_in_one_partnership_gets_no_partnership_column_on_the_page(client, audit, plan):
    client.force_login(member(audit, Role.CHAIR))
    page = client.get(reverse("action_plan")).content.decode()
    assert '<th scope="col">Partnership</th>' not in page
    assert "Housing (" not in page


def test_on_a_phone_the_plan_says_it_scrolls_sideways_to_each_column_it_has(client, audit, plan):
    """The hint under a phone's narrow table names the columns off the screen: the Partnership
    column too, for someone in two partnerships, and no such column for anyone else."""
    from .factories import UserFactory, police_in_two_partnerships

    hint = re.compile(r"the table scrolls sideways to its ([^<]*)</span>")
    client.force_login(member(audit, Role.CHAIR))
    page = client.get(reverse("action_plan")).content.decode()
    assert hint.search(page)[1] == "RAG, owner, lead and audit"

    person = UserFactory()
    for _name, police, neighbours_audit in police_in_two_partnerships(person):
        ActionFactory(audit=neighbours_audit, owner_agency=police, due_date=days(5))
    client.force_login(person)
    page = client.get(reverse("action_plan")).content.decode()
    assert hint.search(page)[1] == "RAG, owner, lead, audit and partnership"


def test_the_plan_pdf_is_made_by_the_worker_and_waits_on_a_page_of_its_own(
    client, audit, plan, settings
):
    """A plan of years of actions takes a while to lay out: the worker makes it, and the page
    that waits for it says so and offers it, to its asker alone, once ready."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    from documents.models import RequestedDocument
    from documents.services import document_make

    client.force_login(plan["chair"])
    asked = client.get(reverse("action_plan_pdf"), {"overdue": "on", "sort": "-due", "x": "y"})
    document = RequestedDocument.objects.get(kind="action_plan")
    assert asked["Location"] == reverse("own_document_progress", args=[document.pk])
    assert document.options == {"query": {"overdue": "on", "sort": "-due"}}
    waiting = client.get(asked["Location"]).content.decode()
    assert "Action plan" in waiting and "Waiting to be made" in waiting
    again = client.get(reverse("action_plan_pdf"), {"overdue": "on", "sort": "-due"})
    assert again["Location"] == asked["Location"]  # a second press: the same copy

    document_make(document_id=document.pk)
    ready = client.get(asked["Location"]).content.decode()
    assert "The PDF is ready." in ready
    response = client.get(reverse("own_document_download", args=[document.pk]))
    assert response["Content-Type"] == "application/pdf"
    client.force_login(plan["qa"])
    assert client.get(reverse("own_document_download", args=[document.pk])).status_code == 404


def test_a_plan_pdf_is_not_handed_over_once_its_asker_may_no_longer_see_an_action_of_it(
    client, audit, plan
):
    from documents.models import RequestedDocument

    client.force_login(plan["housing"])
    assert client.get(reverse("action_plan_pdf"), follow=True).status_code == 200
    document = RequestedDocument.objects.get(kind="action_plan")
    download = reverse("own_document_download", args=[document.pk])
    assert len(document.options["actions"]) == 2  # Housing's two, not Police's
    assert document.options["partnerships"] == [audit.partnership_id]
    Membership.objects.filter(user=plan["housing"]).update(agency=AgencyFactory(name="Fire"))
    assert client.get(download).status_code == 404


def test_a_plan_too_long_for_one_pdf_is_refused_with_what_to_do_instead(
    client, audit, plan, monkeypatch
):
    from actions import plan_pdf

    monkeypatch.setattr(plan_pdf, "MAX_PDF_ACTIONS", 2)
    client.force_login(plan["chair"])
    page = client.get(reverse("action_plan_pdf"), follow=True).content.decode()
    assert "The PDF was not made. The plan as filtered holds 3 actions" in page
    assert "download it as Excel, which holds every action" in page
    monkeypatch.setattr(plan_pdf, "MAX_PDF_ACTIONS", 3)
    response = client.get(reverse("action_plan_pdf"), follow=True)
    assert response["Content-Type"] == "application/pdf"


def test_a_plan_pdf_is_asked_for_with_its_valid_filters_alone_each_in_one_spelling(
    client, audit, plan, settings
):
    """What is kept with the request is what the PDF will follow: a hostile value (a NUL
    character, which PostgreSQL cannot keep in a JSON field: a 500 there), another
    partnership's audit, a choice that is none, left out; the same filters spelled otherwise
    are the request already on its way, not another for the worker to make."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    from documents.models import RequestedDocument

    elsewhere = AuditFactory()
    client.force_login(plan["chair"])
    hostile = {
        "status": "open\x00",
        "audit": elsewhere.pk,
        "sort": "x" * 99,
        "rag": "red",
        "due_from": "2026-1-5",
        "overdue": "yes",
        "mine": "1",
    }
    asked = client.get(reverse("action_plan_pdf"), hostile)
    assert asked.status_code == 302
    document = RequestedDocument.objects.get(kind="action_plan")
    assert document.options["query"] == {
        "rag": "red",
        "overdue": "on",
        "due_from": "2026-01-05",
        "mine": "on",
    }
    for spelled in ({**hostile, "sort": "y"}, {**hostile, "due_from": "2026-01-05"}):
        assert client.get(reverse("action_plan_pdf"), spelled)["Location"] == asked["Location"]
    assert RequestedDocument.objects.filter(kind="action_plan").count() == 1
