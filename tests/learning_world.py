"""A small world for the learning pages: two partnerships, published and draft audits, one user
per role, each published item with a word that says where it came from."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from findings import briefing
from findings.models import CaseMeetingNote, MeetingRecord, Tag
from findings.publishing import briefing_publish
from maca.models import Membership

from .factories import (
    ActionFactory,
    AgencyFactory,
    AuditFactory,
    CaseFactory,
    FindingFactory,
    GoodPracticeFactory,
    MembershipFactory,
    PartnershipFactory,
    RecommendationFactory,
    StrengthFactory,
    TagFactory,
    UserFactory,
)

Role = Membership.Role


@dataclass
class World:
    partnership: object
    housing: object
    police: object
    alpha: object  # published with its plan; Housing and Police take part
    bravo: object  # published, plan not published; Police alone takes part
    charlie: object  # never published
    delta: object  # another partnership's, published
    users: dict


def quick_pdfs(monkeypatch) -> None:
    """Publishing renders a PDF; these tests read the library, not the PDF."""
    monkeypatch.setattr(briefing, "render_pdf_bytes", lambda audit, version=None: b"%PDF-1.7 test")


def publish(audit, user, *, with_plan=False, **kwargs):
    return briefing_publish(audit=audit, user=user, with_plan=with_plan, **kwargs)


def shared_tag(name):
    return Tag.objects.filter(name__iexact=name).first() or TagFactory(name=name)


def build_world() -> World:
    partnership = PartnershipFactory(name="Northshire Safeguarding Children Partnership")
    housing = AgencyFactory(name="Housing")
    police = AgencyFactory(name="Police")
    drift, voice = shared_tag("Drift and delay"), shared_tag("Voice of the child")
    users = {}
    for role, agency in [
        (Role.CHAIR, None),
        (Role.QA_MEMBER, None),
        (Role.COORDINATOR, housing),
        (Role.VIEWER, None),
    ]:
        users[role] = UserFactory(username=f"learning-{role}")
        MembershipFactory(user=users[role], partnership=partnership, role=role, agency=agency)
    chair = users[Role.CHAIR]

    alpha = AuditFactory(
        partnership=partnership, theme__name="Neglect", meeting_date=datetime.date(2025, 3, 12)
    )
    alpha.agencies.set([housing, police])
    case = CaseFactory(audit=alpha, label="Case 1")
    FindingFactory(case=case, text="Alpha: supervision was missing and drift followed.")
    FindingFactory.create(case=case, text="Alpha: nobody heard the child.").tags.set([voice])
    StrengthFactory(case=case, text="Alpha strength: supervising social worker visited weekly.")
    GoodPracticeFactory(audit=alpha, text="Alpha good practice: joint visits.", agency=housing)
    RecommendationFactory(audit=alpha, text="Alpha recommendation: supervision monthly.")
    ActionFactory(audit=alpha, text="Alpha housing action on supervision.", owner_agency=housing)
    ActionFactory(audit=alpha, text="Alpha police action on supervision.", owner_agency=police)
    MeetingRecord.objects.create(audit=alpha, learning_summary="Alpha summary: supervision.")
    CaseMeetingNote.objects.create(case=case, text="Alpha meeting note: supervision secret.")
    finding = FindingFactory(case=case, text="Alpha tagged: supervision and drift again.")
    finding.tags.set([drift])
    publish(alpha, chair, with_plan=True)
    FindingFactory(case=case, text="Alpha draft: supervision written after publishing.")

    bravo = AuditFactory(
        partnership=partnership, theme__name="Exploitation", meeting_date=datetime.date(2026, 5, 1)
    )
    bravo.agencies.set([police])
    bravo_case = CaseFactory(audit=bravo, label="Case 1")
    FindingFactory(case=bravo_case, text="Bravo: supervision was patchy.").tags.set([drift])
    ActionFactory(audit=bravo, text="Bravo action on supervision.", owner_agency=police)
    publish(bravo, chair)

    charlie = AuditFactory(partnership=partnership, theme__name="Domestic abuse")
    charlie.agencies.set([housing])
    FindingFactory(case=CaseFactory(audit=charlie), text="Charlie draft: supervision.")

    other = PartnershipFactory(name="Southshire Safeguarding Children Partnership")
    delta = AuditFactory(partnership=other, theme__name="Neglect elsewhere")
    FindingFactory(case=CaseFactory(audit=delta), text="Delta: supervision elsewhere.")
    other_chair = UserFactory(username="learning-other-chair")
    MembershipFactory(user=other_chair, partnership=other, role=Role.CHAIR)
    publish(delta, other_chair)
    users["outsider"] = other_chair
    return World(partnership, housing, police, alpha, bravo, charlie, delta, users)


def add_operational_data(world: World) -> None:
    """Grades, returns and actions in each state for the trends and the report."""
    from django.utils import timezone

    from actions.models import Action
    from cases.models import AgencySubmission, Audit, ToolAnswer

    from .factories import AgencySubmissionFactory, ToolQuestionFactory, ToolSectionFactory

    alpha = world.alpha
    Audit.objects.filter(pk=alpha.pk).update(submission_deadline=datetime.date(2025, 2, 28))
    case = alpha.cases.get()
    question = ToolQuestionFactory(section=ToolSectionFactory(audit=alpha, title="Voice"))
    on_time = AgencySubmissionFactory(case=case, agency=world.housing)
    late = AgencySubmissionFactory(case=case, agency=world.police)
    for submission, when, grade in [
        (on_time, datetime.datetime(2025, 2, 20, 12, tzinfo=datetime.UTC), "good"),
        (late, datetime.datetime(2025, 3, 5, 12, tzinfo=datetime.UTC), "inadequate"),
    ]:
        submission.status = AgencySubmission.Status.SUBMITTED
        submission.submitted_at = when
        submission.save()
        ToolAnswer.objects.create(submission=submission, question=question, grade=grade)
    draft = AgencySubmissionFactory(case=world.bravo.cases.get(), agency=world.police)
    ToolAnswer.objects.create(submission=draft, question=question, grade="outstanding")
    housing_action, police_action = Action.objects.filter(audit=alpha).order_by("pk")
    housing_action.due_date = datetime.date(2025, 6, 1)
    housing_action.status = Action.Status.COMPLETE
    housing_action.signed_off_at = datetime.datetime(2025, 7, 1, tzinfo=datetime.UTC)
    housing_action.save()
    police_action.due_date = timezone.localdate() - datetime.timedelta(days=3)
    police_action.save()
