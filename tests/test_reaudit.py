"""Re-audits: scheduled from a closed audit (once), cases carried forward with their identifiers,
impact verdicts on the original's recommendations, and the comparison page and PDF."""

import datetime
import html
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from actions.models import Action
from cases.models import (
    AgencySubmission,
    Audit,
    AuditEvent,
    Grade,
    LocalReference,
    Nomination,
    NominationIdentity,
    ToolAnswer,
)
from cases.services.reaudit import reaudit_schedule
from cases.services.retention import retention_enforce
from findings.models import ImpactVerdict
from maca.models import Membership

from .conftest import member, pdf_text
from .factories import (
    ActionFactory,
    AgencyFactory,
    AuditFactory,
    CaseFactory,
    FindingFactory,
    RecommendationFactory,
    TagFactory,
    ToolQuestionFactory,
    ToolSectionFactory,
)

pytestmark = pytest.mark.django_db
Role = Membership.Role


@pytest.fixture
def original(audit):
    """A closed audit: two agencies, a two-section tool, three cases (one with a child's
    identifiers), tagged findings and a recommendation with two actions."""
    housing, police = AgencyFactory(name="Housing"), AgencyFactory(name="Police")
    audit.agencies.add(housing, police)
    for title in ("Working together", "Voice of the child"):
        ToolQuestionFactory(section=ToolSectionFactory(audit=audit, title=title), text="Seen?")
    cases = [CaseFactory(audit=audit, label=f"Case {n}", order=n) for n in (1, 2, 3)]
    cases[0].agencies.add(housing)
    nomination = Nomination.objects.create(
        audit=audit,
        label="Case 1",
        reason="Repeated referrals.",
        status=Nomination.Status.SELECTED,
        case=cases[0],
        age_band="5_9",
    )
    nomination.agencies.add(housing)
    identity = NominationIdentity.objects.create(
        nomination=nomination, child_name="Zebedee Quartermaine"
    )
    LocalReference.objects.create(identity=identity, agency=housing, reference="HX-77310")
    drift, voice = TagFactory(name="drift and delay"), TagFactory(name="voice of the child")
    FindingFactory(case=cases[0], text="Drift.").tags.add(drift)
    FindingFactory(case=cases[1], text="Unheard.").tags.add(voice)
    recommendation = RecommendationFactory(audit=audit, text="Invite Housing to core groups.")
    ActionFactory(
        audit=audit,
        recommendation=recommendation,
        text="Update the guidance.",
        status=Action.Status.COMPLETE,
        outcome_statement="Guidance published.",
    )
    ActionFactory(audit=audit, recommendation=recommendation, text="Train the officers.")
    audit.move_to(Audit.Status.CLOSED)
    audit.save()
    return audit


def schedule(client, audit, **data):
    return client.post(reverse("reaudit_schedule", args=[audit.pk]), data)


def test_a_reaudit_meeting_more_than_five_years_ahead_is_refused(client, original, chair):
    client.force_login(chair)
    far = datetime.date(timezone.localdate().year + 6, 1, 1)
    refused = schedule(client, original, meeting_date=far.isoformat())
    assert "This is more than 5 years ahead: check the year." in refused.text
    assert not Audit.objects.filter(reaudit_of=original).exists()
    gone = schedule(client, original, meeting_date="2020-01-01")
    assert "This date has gone by: a re-audit is scheduled for a meeting still to come." in (
        gone.text
    )
    assert not Audit.objects.filter(reaudit_of=original).exists()
    near = datetime.date(timezone.localdate().year + 5, 12, 31)
    assert schedule(client, original, meeting_date=near.isoformat()).status_code == 302


def test_the_chair_schedules_a_reaudit_that_copies_and_carries_forward(client, original, chair):
    client.force_login(chair)
    carried = list(
        original.cases.filter(label__in=["Case 1", "Case 2"]).values_list("pk", flat=True)
    )
    response = schedule(client, original, meeting_date="2027-06-01", carry_forward=carried)
    reaudit = Audit.objects.get(reaudit_of=original)
    assert response.url == reverse("audit_detail", args=[reaudit.pk])
    assert (reaudit.theme, reaudit.status) == (original.theme, Audit.Status.DRAFT)
    assert reaudit.meeting_date == datetime.date(2027, 6, 1)
    assert set(reaudit.agencies.values_list("name", flat=True)) == {"Housing", "Police"}
    assert [s.title for s in reaudit.tool_sections.all()] == [
        "Working together",
        "Voice of the child",
    ]
    assert [c.label for c in reaudit.cases.all()] == ["Case 1", "Case 2"]
    assert list(reaudit.cases.get(label="Case 1").agencies.values_list("name", flat=True)) == [
        "Housing"
    ]
    copied = NominationIdentity.objects.get(nomination__audit=reaudit)
    assert copied.child_name == "Zebedee Quartermaine"
    assert copied.references.get().reference == "HX-77310"
    assert copied.nomination.case.label == "Case 1" and copied.nomination.age_band == "5_9"
    event = AuditEvent.objects.get(audit=reaudit, kind=AuditEvent.Kind.CARRIED_FORWARD)
    assert event.actor == chair
    assert event.detail == {
        "from_audit": original.pk,
        "labels": ["Case 1", "Case 2"],
        "identifiers": 1,
    }
    assert AuditEvent.objects.filter(audit=original, kind="reaudit_scheduled").exists()
    page = client.get(reverse("audit_detail", args=[reaudit.pk])).content.decode()
    assert "A re-audit of" in page and reverse("audit_detail", args=[original.pk]) in page


def test_carried_identifiers_are_kept_for_the_reaudits_own_retention_period(original, chair):
    reaudit, _ = reaudit_schedule(
        original=original,
        user=chair,
        meeting_date=None,
        carry_forward=[original.cases.get(label="Case 1").pk],
    )
    Audit.objects.filter(pk=original.pk).update(
        closed_at=timezone.now() - datetime.timedelta(days=365 * 7)
    )
    retention_enforce(today=timezone.localdate())
    assert not NominationIdentity.objects.filter(nomination__audit=original).exists()
    assert NominationIdentity.objects.filter(nomination__audit=reaudit).exists()


def test_a_second_press_schedules_one_reaudit(client, original, chair):
    client.force_login(chair)
    first = schedule(client, original, meeting_date="2027-06-01")
    second = schedule(client, original, meeting_date="2027-06-01")
    assert Audit.objects.filter(reaudit_of=original).count() == 1
    assert first.url == second.url


def test_once_scheduled_the_page_shows_the_reaudit_rather_than_a_form_that_would_be_ignored(
    client, original, chair
):
    client.force_login(chair)
    url = reverse("reaudit_schedule", args=[original.pk])
    assert "Schedule re-audit</button>" in client.get(url).content.decode()
    carried = [original.cases.get(label="Case 2").pk]
    schedule(client, original, meeting_date="2027-06-01", carry_forward=carried)
    reaudit = Audit.objects.get(reaudit_of=original)
    page = client.get(url).content.decode()
    assert "Schedule re-audit</button>" not in page and 'name="carry_forward"' not in page
    assert "Its multi-agency meeting: 1 June 2027." in page
    assert "Carried forward: Case 2." in page
    assert f'href="{reverse("audit_detail", args=[reaudit.pk])}"' in page
    assert f'href="{reverse("comparison", args=[reaudit.pk])}"' in page
    detail = client.get(reverse("audit_detail", args=[original.pk])).content.decode()
    assert "Open its re-audit" in detail and "Schedule a re-audit of this theme" not in detail


def test_an_audit_not_closed_is_refused_with_a_message(client, original, chair):
    original.move_to(Audit.Status.REPORTING)
    original.save()
    client.force_login(chair)
    response = schedule(client, original, meeting_date="2027-06-01")
    assert response.status_code == 403
    assert "Only a closed audit can be audited again" in response.content.decode()
    with pytest.raises(ValidationError, match="Only a closed audit can be audited again"):
        reaudit_schedule(original=original, user=chair, meeting_date=None)
    assert not Audit.objects.filter(reaudit_of=original).exists()


def test_an_audit_of_another_partnership_is_refused(client, original, outsider):
    client.force_login(outsider)
    assert schedule(client, original, meeting_date="2027-06-01").status_code == 404
    with pytest.raises(ValidationError, match="own partnership"):
        reaudit_schedule(original=original, user=outsider, meeting_date=None)
    assert not Audit.objects.filter(reaudit_of=original).exists()


def test_cases_of_another_audit_cannot_be_carried_forward(original, chair):
    stranger = CaseFactory(audit=AuditFactory(partnership=original.partnership))
    with pytest.raises(ValidationError):
        reaudit_schedule(
            original=original, user=chair, meeting_date=None, carry_forward=[stranger.pk]
        )
    assert not Audit.objects.filter(reaudit_of=original).exists()


def grade(audit, agency, section_title, value, label="Case 1"):
    case = audit.cases.get(label=label)
    question = audit.tool_sections.get(title=section_title).questions.first()
    submission, _ = AgencySubmission.objects.get_or_create(
        case=case, agency=agency, defaults={"status": AgencySubmission.Status.SUBMITTED}
    )
    ToolAnswer.objects.create(submission=submission, question=question, grade=value)


@pytest.fixture
def reaudit(original, chair):
    reaudit, _ = reaudit_schedule(
        original=original,
        user=chair,
        meeting_date=datetime.date(2027, 6, 1),
        carry_forward=list(original.cases.values_list("pk", flat=True)),
    )
    housing, police = (original.agencies.get(name=n) for n in ("Housing", "Police"))
    grade(original, housing, "Working together", Grade.REQUIRES_IMPROVEMENT)
    grade(original, police, "Working together", Grade.GOOD)
    grade(original, housing, "Voice of the child", Grade.GOOD)
    grade(reaudit, housing, "Working together", Grade.GOOD)  # better
    grade(reaudit, police, "Working together", Grade.INADEQUATE)  # worse
    grade(reaudit, housing, "Voice of the child", Grade.GOOD)  # same
    FindingFactory(case=reaudit.cases.get(label="Case 1"), text="Drift again.").tags.add(
        TagFactory(name="drift and delay")
    )
    return reaudit


def test_the_meeting_records_impact_verdicts_with_evidence(client, reaudit, chair):
    recommendation = reaudit.reaudit_of.recommendations.get()
    client.force_login(chair)
    page = client.get(reverse("impact", args=[reaudit.pk])).content.decode()
    assert "Invite Housing to core groups." in page and "Update the guidance." in page
    url = reverse("impact", args=[reaudit.pk])
    key = recommendation.pk
    typed = {
        f"measure_{key}": "Housing at every core group.",
        f"verdict_{key}": "partly_seen",
        **versions_on(client.get(url)),
    }
    response = client.post(url, typed)
    assert response.status_code == 422
    assert "Say what evidence the verdict rests on." in response.content.decode()
    assert "Housing at every core group." in response.content.decode()
    assert not ImpactVerdict.objects.exists()
    # Evidence with no verdict is not dropped in silence; evidence too long is told once.
    alone = {**typed, f"verdict_{key}": "", f"evidence_{key}": "Seen in two of three cases."}
    response = client.post(url, alone)
    assert response.status_code == 422
    body = html.unescape(response.content.decode())
    assert "Choose the impact the evidence for recommendation 1 shows" in body
    assert "Seen in two of three cases." in body
    too_long = client.post(url, {**typed, f"evidence_{key}": "x" * 4001})
    said = html.unescape(too_long.content.decode())
    assert "Say what evidence the verdict rests on." not in said
    assert not ImpactVerdict.objects.exists()
    client.post(url, {**typed, f"evidence_{key}": "Seen in two of three cases."})
    verdict = ImpactVerdict.objects.get()
    assert (verdict.verdict, verdict.evidence, verdict.recorded_by) == (
        "partly_seen",
        "Seen in two of three cases.",
        chair,
    )
    recommendation.refresh_from_db()
    assert recommendation.impact_measure == "Housing at every core group."
    client.post(
        url,
        {
            f"verdict_{key}": "",
            f"measure_{key}": "Housing at every core group.",
            **versions_on(client.get(url)),
        },
    )
    assert not ImpactVerdict.objects.exists()  # undecided again


def test_each_impact_box_says_which_recommendation_and_reads_out_its_message(
    client, reaudit, chair
):
    """A screen reader tabbing through eight recommendations hears which one each box is for,
    and, landing on a box with a problem, hears the problem."""
    key = reaudit.reaudit_of.recommendations.get().pk
    client.force_login(chair)
    url = reverse("impact", args=[reaudit.pk])
    page = client.get(url).content.decode()
    said = re.sub(r"<[^>]+>", "", page)
    assert "Evidence (recommendation 1)" in said
    assert "Impact at this re-audit (recommendation 1)" in said
    assert "How will we know it worked? (recommendation 1)" in said
    typed = {f"verdict_{key}": "partly_seen", **versions_on(client.get(url))}
    body = client.post(url, typed).content.decode()
    box = re.search(rf'<textarea name="evidence_{key}"[^>]*>', body).group(0)
    assert 'aria-invalid="true"' in box
    described = re.search(r'aria-describedby="([^"]+)"', box).group(1)
    assert re.search(rf'id="{described}">Say what evidence the verdict rests on.<', body)
    typed = {**typed, f"verdict_{key}": "", f"evidence_{key}": "Seen in two of three cases."}
    body = html.unescape(client.post(url, typed).content.decode())
    group = re.search(r'<fieldset[^>]*aria-describedby="([^"]+)"', body).group(1)
    assert re.search(rf'id="{group}">Choose the impact the evidence for recommendation 1', body)


def test_the_impact_choices_are_drawn_as_the_sites_radio_buttons(client, reaudit, chair):
    """Styled as every other choice: a clear ring with its label beside it, not a bare dot
    pressed against the words (which, on a phone, breaks away from them)."""
    client.force_login(chair)
    page = client.get(reverse("impact", args=[reaudit.pk])).content.decode()
    radios = re.findall(r'<input type="radio"[^>]*>', page)
    assert len(radios) == 4
    assert all('class="form-check-input"' in radio for radio in radios)


def versions_on(page) -> dict:
    """The version inputs of the form on `page`, as the browser sends them back."""
    html = page.content.decode()
    return {
        name: re.search(rf'name="{name}" value="([^"]*)"', html).group(1)
        for name in ("loaded_version", "loaded_values")
    }


def test_two_people_saving_verdicts_at_the_meeting_never_save_over_each_other_unseen(
    client, reaudit, chair, django_user_model
):
    first = reaudit.reaudit_of.recommendations.get()
    second = RecommendationFactory(audit=reaudit.reaudit_of, text="Audit the core groups.")
    url = reverse("impact", args=[reaudit.pk])
    client.force_login(chair)
    chairs_page = versions_on(client.get(url))  # the chair opens the page first
    qa = member(reaudit, Role.QA_MEMBER, username="qa-at-the-meeting")
    client.force_login(qa)
    client.post(
        url,
        {
            f"verdict_{first.pk}": "seen",
            f"evidence_{first.pk}": "Minutes of three core groups.",
            **versions_on(client.get(url)),
        },
    )
    assert ImpactVerdict.objects.get().recorded_by == qa

    client.force_login(chair)
    chairs = {
        f"verdict_{second.pk}": "not_seen",
        f"evidence_{second.pk}": "No audit of core groups yet.",
        **chairs_page,
    }
    refused = client.post(url, chairs)
    said = refused.content.decode()
    assert refused.status_code == 422
    assert "Someone else changed the verdicts while you were editing, so nothing was saved" in said
    # What the chair typed is kept; the QA member's verdict, left alone here, is now in the form.
    assert "No audit of core groups yet." in said and "Minutes of three core groups." in said
    assert ImpactVerdict.objects.count() == 1

    client.post(url, {**chairs, f"verdict_{first.pk}": "seen",
                      f"evidence_{first.pk}": "Minutes of three core groups.",
                      **versions_on(refused)})  # fmt: skip
    saved = {v.recommendation_id: (v.verdict, v.evidence) for v in ImpactVerdict.objects.all()}
    assert saved == {
        first.pk: ("seen", "Minutes of three core groups."),
        second.pk: ("not_seen", "No audit of core groups yet."),
    }


def test_verdicts_are_recorded_only_on_an_open_reaudit(client, original, reaudit, chair):
    client.force_login(chair)
    assert client.get(reverse("impact", args=[original.pk])).status_code == 403
    reaudit.move_to(Audit.Status.CLOSED)
    reaudit.save()
    assert client.get(reverse("impact", args=[reaudit.pk])).status_code == 403


def test_the_comparison_reads_better_same_and_worse(client, reaudit, chair, tmp_path):
    recommendation = reaudit.reaudit_of.recommendations.get()
    ImpactVerdict.objects.create(
        reaudit=reaudit, recommendation=recommendation, verdict="seen", evidence="Minutes show it."
    )
    ActionFactory(
        audit=reaudit.reaudit_of,
        recommendation=recommendation,
        text="Visit every school.",
        due_date=datetime.date(2020, 1, 6),
    )
    client.force_login(chair)
    page = client.get(reverse("comparison", args=[reaudit.pk])).content.decode()
    # As the impact page's RAG says: an overdue action is said to be overdue.
    assert "Visit every school. — Not started, overdue (RAG red)" in page
    rows = page.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    cells = [[c.split("<")[0] for c in row.split("<td>")[1:]] for row in rows]
    # The sections in the audit tool's order, "Working together" its first.
    assert cells[0][:4] == ["Housing", "Working together", "Requires improvement", "Good"]
    assert "Better" in rows[0]
    assert cells[1][:4] == ["Housing", "Voice of the child", "Good", "Good"]
    assert "Same" in rows[1]
    assert cells[2][:4] == ["Police", "Working together", "Good", "Inadequate"]
    assert "Worse" in rows[2]
    assert "1 better, 1 the same, 1 worse" in page
    still = page.split("Still found")[1].split("No longer found")[0]
    gone = page.split("No longer found")[1].split("impact-heading")[0]
    assert "drift and delay" in still and "voice of the child" in gone
    assert "Impact seen" in page and "Minutes show it." in page
    assert "Update the guidance. — Complete" in page and "Train the officers. — Not started" in page
    pdf = client.get(reverse("comparison_pdf", args=[reaudit.pk]))
    text = pdf_text(pdf.content, tmp_path)
    assert "Better" in text and "Worse" in text and "Impact seen" in text
    assert "Zebedee" not in page and "Zebedee" not in text


def test_the_comparison_is_for_reaudits_and_their_partnership_only(
    client, original, reaudit, outsider
):
    qa = member(original, Role.QA_MEMBER)
    client.force_login(qa)
    assert client.get(reverse("comparison", args=[reaudit.pk])).status_code == 200
    assert client.get(reverse("comparison", args=[original.pk])).status_code == 403
    client.force_login(outsider)
    assert client.get(reverse("comparison", args=[reaudit.pk])).status_code == 404


def test_the_comparison_reads_in_the_same_number_of_queries_however_much_there_is(
    reaudit, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from actions.impact import comparison_context

    with CaptureQueriesContext(connection) as few:
        comparison_context(reaudit)
    original = reaudit.reaudit_of
    for number in range(5):
        recommendation = RecommendationFactory(audit=original, text=f"More advice {number}.")
        ActionFactory(audit=original, recommendation=recommendation)
        FindingFactory(case=reaudit.cases.first()).tags.add(TagFactory(name=f"tag {number}"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        comparison_context(reaudit)


def test_a_reaudits_pages_and_tasks_say_it_is_the_reaudit(client, original, reaudit, chair):
    """Its theme is the original's: without "(re-audit)" its tab, heading, breadcrumbs and the
    chair's task read exactly as the original audit's did. Its tab names it without brackets,
    so that its stage is not a second pair of them."""
    name = f"{original.theme.name} (re-audit)"
    client.force_login(chair)
    page = client.get(reverse("audit_detail", args=[reaudit.pk])).content.decode()
    assert f"<title>{original.theme.name}, re-audit · Draft · MACA</title>" in page
    assert f'<h1 class="h2 mb-2">{name}</h1>' in page
    members = client.get(reverse("audit_members", args=[reaudit.pk])).content.decode()
    assert f"<title>Members · {original.theme.name}, re-audit · MACA</title>" in members
    assert f'<a href="{reverse("audit_detail", args=[reaudit.pk])}">{name}</a>' in members
    home = client.get(reverse("home")).content.decode()
    assert f'<span class="text-body-secondary" id="task-1-where">{name}</span>' in home
    # The original keeps its own name.
    page = client.get(reverse("audit_detail", args=[original.pk])).content.decode()
    assert f'<h1 class="h2 mb-2">{original.theme.name}</h1>' in page


def test_the_comparison_counts_the_recommendations_still_without_a_verdict(client, reaudit, chair):
    client.force_login(chair)
    url = reverse("comparison", args=[reaudit.pk])
    page = client.get(url).content.decode()
    assert (
        "Impact seen: 0 · Impact partly seen: 0 · Impact not seen: 0 · Not recorded yet: 1" in page
    )
    ImpactVerdict.objects.create(
        reaudit=reaudit, recommendation=reaudit.reaudit_of.recommendations.get(), verdict="seen"
    )
    page = client.get(url).content.decode()
    assert "Impact seen: 1 · Impact partly seen: 0 · Impact not seen: 0</p>" in page


def test_impact_evidence_that_looks_identifying_is_asked_about_before_it_is_kept(
    client, reaudit, chair
):
    from cases.forms.identifying import CONFIRM_FIELD

    recommendation = reaudit.reaudit_of.recommendations.get()
    client.force_login(chair)
    url = reverse("impact", args=[reaudit.pk])
    key = recommendation.pk
    typed = {
        f"verdict_{key}": "seen",
        f"evidence_{key}": "Seen for the child born 12/03/2019 at NR1 2AB.",
        **versions_on(client.get(url)),
    }
    asked = client.post(url, typed)
    assert asked.status_code == 422
    page = html.unescape(asked.content.decode())
    assert "This looks like it holds" in page and "re-audit's comparison" in page
    assert "Seen for the child born 12/03/2019 at NR1 2AB." in page
    assert 'name="holds_no_identifiers"' in page and 'type="checkbox"' in page
    assert not ImpactVerdict.objects.exists()
    assert client.post(url, {**typed, CONFIRM_FIELD: "on"}).status_code == 302
    assert ImpactVerdict.objects.get().evidence == typed[f"evidence_{key}"]


def test_a_reaudits_page_names_the_original_by_its_meeting_date_and_links_to_it(
    client, original, reaudit, chair
):
    original.meeting_date = datetime.date(2025, 3, 12)
    original.save()
    client.force_login(chair)
    url = reverse("audit_detail", args=[reaudit.pk])
    page = html.unescape(client.get(url).content.decode())
    link = reverse("audit_detail", args=[original.pk])
    assert (
        f'A re-audit of <a href="{link}">the audit that met on 12 March 2025</a>, '
        "to see whether practice has changed." in page
    )
    original.meeting_date = None
    original.save()
    page = html.unescape(client.get(url).content.decode())
    assert f'<a href="{link}">the audit \u201cMulti Agency Case Audit\u201d</a>' in page


def test_a_reaudits_page_names_the_original_without_a_link_for_who_may_not_open_it(
    client, original, reaudit
):
    """A co-ordinator whose agency joined only the re-audit is not a member of the original: it
    is named to them without its date or title, which are its own readers'."""
    original.meeting_date = datetime.date(2025, 3, 12)
    original.save()
    newcomer = AgencyFactory(name="Education")
    reaudit.agencies.add(newcomer)
    client.force_login(member(reaudit, Role.COORDINATOR, agency=newcomer))
    page = client.get(reverse("audit_detail", args=[reaudit.pk])).content.decode()
    assert "A re-audit of an earlier audit of this theme, to see whether" in page
    assert "12 March 2025" not in page
    assert reverse("audit_detail", args=[original.pk]) + '"' not in page
    assert client.get(reverse("audit_detail", args=[original.pk])).status_code == 404


def test_a_reaudits_next_step_does_not_ask_the_chair_to_add_the_agencies_again(
    client, original, reaudit, chair
):
    """Scheduling copied the original's agencies and tool: the chair is told to check them."""
    client.force_login(chair)
    said = (
        "Set the re-audit up: it has the original audit's agencies and audit tool questions, "
        "so check them, add the members, then open nominations"
    )
    page = html.unescape(client.get(reverse("audit_detail", args=[reaudit.pk])).content.decode())
    assert said in page and "add the agencies taking part" not in page
    home = html.unescape(client.get(reverse("home")).content.decode())
    assert said in home


def test_the_comparison_lists_an_agencys_sections_in_the_audit_tools_order(
    client, original, reaudit, chair
):
    """Sections were listed alphabetically ("Assessment, Impact and outcome, ..., Voice of the
    child"), not in the order the agencies answered them."""
    housing = original.agencies.get(name="Housing")
    first = ToolSectionFactory(audit=reaudit, title="Recognition of need", order=0)
    ToolQuestionFactory(section=first, text="Recognised early?")
    reaudit.tool_sections.exclude(pk=first.pk).update(order=1)
    grade(reaudit, housing, "Recognition of need", Grade.GOOD)
    client.force_login(chair)
    page = client.get(reverse("comparison", args=[reaudit.pk])).content.decode()
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    sections = [row.split("<td>")[2].split("<")[0] for row in body.split("<tr>")[1:]]
    assert sections[:3] == ["Recognition of need", "Working together", "Voice of the child"]


def test_a_reaudits_files_are_not_named_as_its_originals(client, original, reaudit, chair):
    """Both audits are of one theme: a re-audit's downloads say it is the re-audit, so that the
    two are told apart in a folder of downloads."""
    client.force_login(chair)

    def downloaded_as(audit) -> str:
        response = client.get(reverse("audit_package", args=[audit.pk]))
        return response["Content-Disposition"]

    theme = slugify(original.theme.name)
    assert f"{theme}-{original.pk}.maca-audit.json" in downloaded_as(original)
    assert f"{theme}-re-audit-{reaudit.pk}.maca-audit.json" in downloaded_as(reaudit)
    assert reaudit.file_stem == f"{theme}-re-audit" and original.file_stem == theme
