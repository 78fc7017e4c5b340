import factory

from actions.models import Action, ActionUpdate
from cases.models import (
    AgencySubmission,
    Audit,
    BriefingParagraph,
    Case,
    ChronologyEntry,
    Nomination,
    Theme,
    ToolQuestion,
    ToolSection,
)
from findings.models import Finding, GoodPractice, Recommendation, Strength, Tag
from maca.models import Agency, Membership, Partnership, User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    # Hashed as the account is made, a password given too (set after, it would be a change).
    password = factory.django.Password(PASSWORD)


class PartnershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partnership
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Partnership {n}")


def test_partnership():
    """The partnership an agency or tag belongs to when a test does not say: one for the whole
    test, so that agencies made apart can still take part in its audits."""
    return PartnershipFactory(name="Test partnership")


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ["partnership", "name"]

    partnership = factory.LazyFunction(test_partnership)
    name = factory.Sequence(lambda n: f"Agency {n}")
    sector = Agency.Sector.HEALTH


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    partnership = factory.SubFactory(PartnershipFactory)
    role = Membership.Role.QA_MEMBER


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme

    partnership = factory.SubFactory(PartnershipFactory)
    name = factory.Sequence(lambda n: f"Theme {n}")


class AuditFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Audit

    partnership = factory.SubFactory(PartnershipFactory)
    theme = factory.SubFactory(ThemeFactory, partnership=factory.SelfAttribute("..partnership"))


class ParagraphFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BriefingParagraph

    audit = factory.SubFactory(AuditFactory)
    section = BriefingParagraph.Section.THEME_AND_CASES
    text = factory.Sequence(lambda n: f"Paragraph {n}.")
    order = factory.Sequence(lambda n: n)


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    audit = factory.SubFactory(AuditFactory)
    label = factory.Sequence(lambda n: f"Case {n + 1}")
    order = factory.Sequence(lambda n: n)


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ["partnership", "name"]

    partnership = factory.LazyFunction(test_partnership)
    name = factory.Sequence(lambda n: f"tag {n}")


class StrengthFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Strength

    case = factory.SubFactory(CaseFactory)
    text = factory.Sequence(lambda n: f"Strength {n}.")
    order = factory.Sequence(lambda n: n)


class FindingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Finding

    case = factory.SubFactory(CaseFactory)
    text = factory.Sequence(lambda n: f"Finding {n}.")
    order = factory.Sequence(lambda n: n)


class GoodPracticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GoodPractice

    audit = factory.SubFactory(AuditFactory)
    text = factory.Sequence(lambda n: f"Good practice {n}.")
    order = factory.Sequence(lambda n: n)


class RecommendationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recommendation

    audit = factory.SubFactory(AuditFactory)
    text = factory.Sequence(lambda n: f"Recommendation {n}.")
    order = factory.Sequence(lambda n: n)


class ActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Action

    audit = factory.SubFactory(AuditFactory)
    text = factory.Sequence(lambda n: f"Action {n}.")


class ActionUpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionUpdate

    action = factory.SubFactory(ActionFactory)
    date = factory.Faker("date_object")
    text = "Progress made."


class NominationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Nomination

    audit = factory.SubFactory(AuditFactory, status=Audit.Status.NOMINATING)
    label = factory.Sequence(lambda n: f"Case {n + 1}")
    reason = "Repeated referrals with no plan."


class ChronologyEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChronologyEntry

    case = factory.SubFactory(CaseFactory)
    agency = factory.SubFactory(AgencyFactory)
    date = factory.Faker("date_object")
    event = factory.Sequence(lambda n: f"Event {n}.")


class ToolSectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ToolSection

    audit = factory.SubFactory(AuditFactory)
    title = factory.Sequence(lambda n: f"Section {n}")
    order = factory.Sequence(lambda n: n)


class ToolQuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ToolQuestion

    section = factory.SubFactory(ToolSectionFactory)
    text = factory.Sequence(lambda n: f"Question {n}?")
    order = factory.Sequence(lambda n: n)


class AgencySubmissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgencySubmission

    case = factory.SubFactory(CaseFactory)
    agency = factory.SubFactory(AgencyFactory)


def police_in_two_partnerships(person, **audit_fields) -> list[tuple]:
    """Two neighbouring partnerships, each with its "Police" taking part in its own "Neglect"
    audit, and `person` Police's co-ordinator in both: [(partnership name, police, audit)]."""
    made = []
    for name in ("Northshire Partnership", "Southvale Partnership"):
        partnership = PartnershipFactory(name=name)
        police = AgencyFactory(partnership=partnership, name="Police")
        theme = ThemeFactory(partnership=partnership, name="Neglect")
        audit = AuditFactory(partnership=partnership, theme=theme, **audit_fields)
        audit.agencies.add(police)
        MembershipFactory(
            user=person, partnership=partnership, role=Membership.Role.COORDINATOR, agency=police
        )
        made.append((name, police, audit))
    return made
