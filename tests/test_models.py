import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from cases.models import DEFAULT_HEADINGS, Audit
from maca.models import Membership

from .factories import (
    AgencyFactory,
    AuditFactory,
    CaseFactory,
    MembershipFactory,
    PartnershipFactory,
    ThemeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def raises_integrity_error(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_case_labels_are_unique_within_an_audit_but_not_across_audits():
    first = CaseFactory(label="Case 1")
    raises_integrity_error(lambda: CaseFactory(audit=first.audit, label="Case 1"))
    assert CaseFactory(label="Case 1").audit != first.audit


def test_blank_labels_and_names_are_refused_by_the_database():
    raises_integrity_error(lambda: CaseFactory(label=""))
    raises_integrity_error(lambda: ThemeFactory(name=""))


def test_agency_names_are_unique():
    AgencyFactory(name="Housing")
    raises_integrity_error(lambda: AgencyFactory._meta.model.objects.create(name="Housing"))


def test_a_coordinator_must_name_their_agency():
    raises_integrity_error(lambda: MembershipFactory(role=Membership.Role.COORDINATOR, agency=None))
    assert MembershipFactory(role=Membership.Role.COORDINATOR, agency=AgencyFactory()).pk


def test_the_same_role_cannot_be_given_twice():
    user, partnership = UserFactory(), PartnershipFactory()
    MembershipFactory(user=user, partnership=partnership, role=Membership.Role.CHAIR)
    raises_integrity_error(
        lambda: MembershipFactory(user=user, partnership=partnership, role=Membership.Role.CHAIR)
    )
    housing = AgencyFactory(name="Housing")
    police = AgencyFactory(name="Police")
    coordinator = Membership.Role.COORDINATOR
    MembershipFactory(user=user, partnership=partnership, role=coordinator, agency=housing)
    MembershipFactory(user=user, partnership=partnership, role=coordinator, agency=police)
    raises_integrity_error(
        lambda: MembershipFactory(
            user=user, partnership=partnership, role=coordinator, agency=housing
        )
    )


def test_an_audit_starts_with_the_six_headings_of_the_partnership_briefing():
    audit = AuditFactory()
    assert audit.headings == DEFAULT_HEADINGS
    assert list(audit.headings.values()) == [
        "Theme / Cases",
        "Process",
        "Strengths identified per case",
        "Findings identified per case",
        "Good Practice and Evidence as a Result of this Audit and similar Reviews",
        "Recommendations – Issues Identified Across Multiple Cases",
    ]
    assert audit.title == "Multi Agency Case Audit"
    assert audit.status == Audit.Status.DRAFT


def test_an_agency_is_named_as_it_is_shown_whoever_saves_it():
    """The administration pages save agencies too: no name keeps an invisible character."""
    from maca.models import Agency

    from .factories import PartnershipFactory

    partnership = PartnershipFactory()
    for typed in ("Pol\u200bice", "Police\ufe0f", "\u2060Police\u034f", "Police\u3164"):
        agency = Agency(partnership=partnership, name=typed)
        agency.save()
        assert agency.name == "Police", repr(typed)
        agency.delete()
    # Checked as the administration pages check it: no name at all is said, not a crash.
    with pytest.raises(ValidationError, match="Give the agency's name."):
        Agency(partnership=partnership, name="\u200b\u3164").full_clean()
