"""The access gate's own functions, asked directly: each role, each state of an audit, each edge
(no membership, another partnership, an id that is not a number), so that a rule changed in the
gate fails here even where no page happens to ask that exact question."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.test import RequestFactory
from django.utils import timezone

from actions import access as action_access
from actions.models import Action
from cases import access
from cases.models import Audit
from maca import access as gate
from maca.models import Membership, Partnership

from .factories import (
    ActionFactory,
    AgencyFactory,
    AuditFactory,
    MembershipFactory,
    PartnershipFactory,
    RecommendationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
Role = Membership.Role
NOW = timezone.now()


def _holding(*roles_where):
    """A user holding each (role, partnership, agency) given."""
    user = UserFactory()
    for role, partnership, agency in roles_where:
        MembershipFactory(user=user, role=role, partnership=partnership, agency=agency)
    return user


def _fresh(user):
    """The user as the next request loads them: nothing remembered from earlier questions."""
    return type(user).objects.get(pk=user.pk)


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


# Rule tables ---------------------------------------------------------------------------------


def _yes(obj):
    return True


def _no(obj):
    return False


TABLE = gate.RuleTable(
    rules={"read": {"a": _yes, "b": _no}, "write": {"b": _no, "a": _no}},
    not_now={_no: "Not now."},
)


def test_a_rule_table_allows_an_action_only_to_a_listed_role_whose_condition_holds():
    assert TABLE.can(["a"], "read", None)
    assert TABLE.can(["b", "a"], "read", None)
    assert not TABLE.can(["b"], "read", None)
    assert not TABLE.can(["c"], "read", None)
    assert not TABLE.can([], "read", None)
    assert not TABLE.can(["a", "b"], "write", None)
    assert TABLE.allowed(frozenset({"a"}), None) == frozenset({"read"})
    assert TABLE.allowed(frozenset({"b"}), None) == frozenset()


def test_a_rule_table_says_why_not_only_for_a_role_that_may_in_principle():
    assert TABLE.why_not(["a"], "write") == "Not now."
    assert TABLE.why_not(["c", "b"], "write") == "Not now."
    assert TABLE.why_not(["a"], "read") == ""  # its condition has no reason: it always holds
    assert TABLE.why_not(["c"], "read") == ""


# Memberships ---------------------------------------------------------------------------------


def test_memberships_sort_each_role_into_its_own_set():
    one, two, three, four = (PartnershipFactory() for _ in range(4))
    police, housing = AgencyFactory(partnership=three), AgencyFactory(partnership=three)
    user = _holding(
        (Role.CHAIR, one, None),
        (Role.QA_MEMBER, two, None),
        (Role.COORDINATOR, three, police),
        (Role.COORDINATOR, three, housing),
        (Role.VIEWER, four, None),
        # An agency recorded beside another role makes no one a co-ordinator.
        (Role.PARTNERSHIP_ADMIN, one, AgencyFactory(partnership=one)),
    )
    mine = gate.memberships_of(user)
    assert mine.staff == {one.pk, two.pk}
    assert mine.chaired == {one.pk}
    assert mine.coordinated == {three.pk: {police.pk, housing.pk}}
    assert mine.viewing == {four.pk}
    assert mine.administered == {one.pk}
    assert mine.roles == set(Role.values)
    assert mine.partnerships == sorted({one.pk, two.pk, three.pk, four.pk})


def test_nobody_signed_in_holds_nothing_and_asks_no_query(django_assert_num_queries):
    anonymous = AnonymousUser()
    with django_assert_num_queries(0):
        assert gate.membership_rows(anonymous) == []
        assert gate.memberships_of(anonymous).partnerships == []
        assert gate.roles_in_partnership(anonymous, 1) == frozenset()
    assert not gate.chaired_partnerships(anonymous).exists()
    assert not gate.administered_partnerships(anonymous).exists()


def test_memberships_are_read_once_per_request_and_afresh_when_forgotten(
    django_assert_num_queries,
):
    partnership = PartnershipFactory()
    user = _holding((Role.QA_MEMBER, partnership, None))
    with django_assert_num_queries(1):
        assert gate.membership_rows(user) == [(partnership.pk, Role.QA_MEMBER, None)]
        assert gate.membership_rows(user) == [(partnership.pk, Role.QA_MEMBER, None)]
    Membership.objects.filter(user=user).update(role=Role.CHAIR)
    assert gate.roles_in_partnership(user, partnership.pk) == {Role.QA_MEMBER}
    gate.forget_memberships(user)
    gate.forget_memberships(user)  # forgetting twice is harmless
    assert gate.roles_in_partnership(user, partnership.pk) == {Role.CHAIR}


def test_roles_in_a_partnership_are_that_partnerships_only_by_number_or_text():
    mine, other = PartnershipFactory(), PartnershipFactory()
    user = _holding(
        (Role.PARTNERSHIP_ADMIN, mine, None), (Role.VIEWER, mine, None), (Role.CHAIR, other, None)
    )
    assert gate.roles_in_partnership(user, mine.pk) == {Role.PARTNERSHIP_ADMIN, Role.VIEWER}
    assert gate.roles_in_partnership(user, str(mine.pk)) == {Role.PARTNERSHIP_ADMIN, Role.VIEWER}
    assert gate.roles_in_partnership(user, "nonsense") == frozenset()


def test_only_chairs_start_audits_and_only_administrators_administer():
    chaired, administered, other = (PartnershipFactory() for _ in range(3))
    user = _holding(
        (Role.CHAIR, chaired, None),
        (Role.PARTNERSHIP_ADMIN, administered, None),
        (Role.QA_MEMBER, other, None),
    )
    _holding((Role.CHAIR, other, None))  # someone else's chair
    assert list(gate.chaired_partnerships(user)) == [chaired]
    assert list(gate.administered_partnerships(user)) == [administered]


def test_any_of_joins_with_or_and_matches_nothing_when_empty():
    one, two, three = (PartnershipFactory() for _ in range(3))
    partnerships = Partnership.objects.filter(pk__in=[one.pk, two.pk, three.pk])
    assert not partnerships.filter(gate.any_of([])).exists()
    assert list(partnerships.filter(gate.any_of([Q(pk=one.pk)]))) == [one]
    both = partnerships.filter(gate.any_of(iter([Q(pk=one.pk), Q(pk=two.pk)])))
    assert set(both) == {one, two}


def test_require_answers_not_found_when_not_allowed():
    assert gate.require(True) is None
    with pytest.raises(Http404) as missing:
        gate.require(False)
    assert str(missing.value) == "Not found."


def test_a_partnerships_pages_open_to_its_administrators_only():
    partnership, other = PartnershipFactory(), PartnershipFactory()
    admin = _holding((Role.PARTNERSHIP_ADMIN, partnership, None))
    chair = _holding((Role.CHAIR, partnership, None))
    stranger = _holding((Role.PARTNERSHIP_ADMIN, other, None))
    found = gate.get_partnership_for(_request(admin), partnership.pk, "administer_partnership")
    assert found == partnership
    assert gate.get_partnership_for(_request(chair), partnership.pk, "view_logo") == partnership
    with pytest.raises(PermissionDenied) as refused:
        gate.get_partnership_for(_request(chair), partnership.pk, "administer_partnership")
    assert str(refused.value) == "Only the partnership's administrators can open this page."
    for user, asked in ((stranger, partnership.pk), (admin, "x"), (admin, 10**9)):
        with pytest.raises(Http404) as missing:
            gate.get_partnership_for(_request(user), asked, "view_logo")
        assert str(missing.value) == "No such partnership."


def test_a_role_left_in_a_deleted_partnership_still_finds_nothing():
    partnership = PartnershipFactory()
    admin = _holding((Role.PARTNERSHIP_ADMIN, partnership, None))
    gate.membership_rows(admin)  # remembered for the request, as a page would have
    Partnership.objects.filter(pk=partnership.pk).delete()
    with pytest.raises(Http404) as missing:
        gate.get_partnership_for(_request(admin), partnership.pk, "administer_partnership")
    assert str(missing.value) == "No such partnership."


# An audit's rules, by its state --------------------------------------------------------------


def _audit_in(state, partnership):
    fields = {
        "open": {},
        "closed": {"status": "closed"},
        "published": {"briefing_published_at": NOW},
        "plan published": {"briefing_published_at": NOW, "plan_published_at": NOW},
        "plan only": {"plan_published_at": NOW},
        "released": {"pack_released_at": NOW},
    }[state]
    return AuditFactory(partnership=partnership, **fields)


@pytest.mark.parametrize(
    ("state", "action", "role", "allowed"),
    [
        ("open", "schedule_reaudit", Role.CHAIR, False),
        ("closed", "schedule_reaudit", Role.CHAIR, True),
        ("closed", "schedule_reaudit", Role.QA_MEMBER, False),
        ("open", "author_briefing", Role.QA_MEMBER, True),
        ("closed", "author_briefing", Role.QA_MEMBER, False),
        ("open", "change_tool", Role.CHAIR, True),
        ("closed", "change_tool", Role.CHAIR, False),
        ("open", "change_tool", Role.QA_MEMBER, False),
        ("open", "view_plan", Role.VIEWER, False),
        ("published", "view_plan", Role.VIEWER, False),
        ("plan published", "view_plan", Role.VIEWER, True),
        ("published", "view_briefing", Role.VIEWER, True),
        ("open", "view_meeting_pack", Role.QA_MEMBER, False),
        ("released", "view_meeting_pack", Role.QA_MEMBER, True),
        ("open", "record_usage", Role.CHAIR, False),
        ("published", "record_usage", Role.CHAIR, True),
    ],
)
def test_what_a_role_may_do_follows_the_audits_state(state, action, role, allowed):
    audit = _audit_in(state, PartnershipFactory())
    user = _holding((role, audit.partnership, None))
    assert access.can(user, action, audit) is allowed
    assert (action in access.allowed_actions(user, audit)) is allowed


def test_only_an_open_reaudit_records_verdicts_and_any_reaudit_compares():
    partnership = PartnershipFactory()
    original = _audit_in("closed", partnership)
    open_reaudit = AuditFactory(partnership=partnership, reaudit_of=original)
    closed_reaudit = AuditFactory(partnership=partnership, reaudit_of=original, status="closed")
    chair = _holding((Role.CHAIR, partnership, None))
    assert access.can(chair, "record_impact", open_reaudit)
    assert not access.can(chair, "record_impact", closed_reaudit)
    assert not access.can(chair, "record_impact", _audit_in("open", partnership))
    assert access.can(chair, "view_comparison", closed_reaudit)
    assert not access.can(chair, "view_comparison", original)
    assert access.why_not(chair, "view_comparison", original) == (
        "This audit is not a re-audit of an earlier audit."
    )
    assert access.why_not(chair, "record_impact", closed_reaudit) == (
        "This audit is not an open re-audit of an earlier audit."
    )
    assert access.why_not(chair, "schedule_reaudit", open_reaudit) == (
        "Only a closed audit can be audited again: close it first."
    )


def test_a_viewer_is_told_the_plan_is_not_published_to_them():
    audit = _audit_in("plan only", PartnershipFactory())  # a plan without its briefing
    viewer = _holding((Role.VIEWER, audit.partnership, None))
    assert not access.can(viewer, "view_plan", audit)
    assert access.why_not(viewer, "view_plan", audit) == (
        "The action plan of this audit has not been published to viewers."
    )


# Who an audit opens to -----------------------------------------------------------------------


def test_a_coordinator_holds_the_role_only_through_an_agency_taking_part():
    # More agencies than rows joining agencies to audits: the two kinds of id differ.
    earlier = AuditFactory()
    agencies = [AgencyFactory(partnership=earlier.partnership) for _ in range(5)]
    earlier.agencies.add(*agencies[:2])
    audit = AuditFactory()
    taking_part, left_out = AgencyFactory(partnership=audit.partnership), AgencyFactory()
    audit.agencies.add(taking_part)
    both = _holding(
        (Role.COORDINATOR, audit.partnership, taking_part),
        (Role.COORDINATOR, audit.partnership, left_out),
    )
    outside = _holding((Role.COORDINATOR, audit.partnership, left_out))
    admin = _holding((Role.PARTNERSHIP_ADMIN, audit.partnership, None))
    assert access.access_for(both, audit) == access.AuditAccess(
        frozenset({Role.COORDINATOR}), frozenset({taking_part.pk})
    )
    assert access.access_for(outside, audit) == access.AuditAccess(frozenset(), frozenset())
    assert access.access_for(admin, audit) == access.AuditAccess(frozenset(), frozenset())
    assert not access.is_member(admin, audit) and not access.is_member(outside, audit)
    anonymous = access.access_for(AnonymousUser(), audit)
    assert anonymous == access.AuditAccess(frozenset(), frozenset())


def test_roles_in_an_audit_are_its_partnerships_only():
    audit, elsewhere = AuditFactory(), AuditFactory()
    user = _holding(
        (Role.CHAIR, elsewhere.partnership, None), (Role.VIEWER, audit.partnership, None)
    )
    assert access.roles_for(user, audit) == {Role.VIEWER}
    assert access.roles_for(user, elsewhere) == {Role.CHAIR}


def test_what_a_user_holds_in_an_audit_is_read_once_per_audit_and_user(
    django_assert_num_queries,
):
    audit = AuditFactory()
    agency = AgencyFactory(partnership=audit.partnership)
    audit.agencies.add(agency)
    coordinator = _holding((Role.COORDINATOR, audit.partnership, agency))
    chair = _holding((Role.CHAIR, audit.partnership, None))
    with django_assert_num_queries(3):  # memberships and agencies, then the chair's memberships
        assert access.roles_for(coordinator, audit) == {Role.COORDINATOR}
        assert access.agency_ids_for(coordinator, audit) == {agency.pk}
        assert access.roles_for(coordinator, audit) == {Role.COORDINATOR}
        assert access.roles_for(chair, audit) == {Role.CHAIR}
        assert access.roles_for(chair, audit) == {Role.CHAIR}


def test_lists_of_audits_hold_only_those_a_user_is_a_member_of():
    partnership = PartnershipFactory()
    agency = AgencyFactory(partnership=partnership)
    taking_part = AuditFactory(partnership=partnership)
    taking_part.agencies.add(agency)
    not_taking_part = AuditFactory(partnership=partnership)
    published = AuditFactory(partnership=partnership, briefing_published_at=NOW)
    elsewhere = AuditFactory()
    published_elsewhere = AuditFactory(briefing_published_at=NOW)
    everything = Audit.objects.all()
    staff = _holding((Role.QA_MEMBER, partnership, None))
    coordinator = _holding((Role.COORDINATOR, partnership, agency))
    viewer = _holding((Role.VIEWER, partnership, None))
    admin = _holding((Role.PARTNERSHIP_ADMIN, partnership, None))
    seen = {user: set(access.restrict_audits(everything, user)) for user in (staff, coordinator)}
    assert seen[staff] == {taking_part, not_taking_part, published}
    assert seen[coordinator] == {taking_part}
    assert set(access.restrict_audits(everything, viewer)) == {published}
    assert not access.restrict_audits(everything, admin).exists()
    assert not access.restrict_audits(everything, AnonymousUser()).exists()
    assert elsewhere not in set(access.restrict_audits(everything, staff))
    assert published_elsewhere not in set(access.restrict_audits(everything, staff))


def test_get_audit_for_answers_not_found_to_non_members_and_forbidden_to_members():
    audit = AuditFactory()
    qa = _holding((Role.QA_MEMBER, audit.partnership, None))
    viewer = _holding((Role.VIEWER, audit.partnership, None))
    request = _request(qa)
    assert access.get_audit_for(request, audit.pk, "view_audit") == audit
    assert request.audit == audit
    with pytest.raises(PermissionDenied) as refused:
        access.get_audit_for(_request(qa), audit.pk, "manage_audit")
    assert str(refused.value) == ""  # a role that may never: no reason to give
    for user, asked in ((viewer, audit.pk), (qa, "x"), (qa, 10**9)):
        request = _request(user)
        with pytest.raises(Http404) as missing:
            access.get_audit_for(request, asked, "view_audit")
        assert str(missing.value) == "No such audit."
        assert not hasattr(request, "audit")
    audit.status = "closed"
    audit.save()
    refused_request = _request(_fresh(qa))
    with pytest.raises(PermissionDenied, match="This audit is closed"):
        access.get_audit_for(refused_request, audit.pk, "author_briefing")
    assert refused_request.audit == audit  # a refusal is logged under the audit


def test_get_audit_for_brings_the_theme_and_partnership_in_the_same_query(
    django_assert_num_queries,
):
    audit = AuditFactory()
    chair = _holding((Role.CHAIR, audit.partnership, None))
    gate.membership_rows(chair)
    with django_assert_num_queries(1):
        found = access.get_audit_for(_request(chair), audit.pk, "view_audit")
        assert found.theme.name and found.partnership.name


def test_who_sees_every_action_and_which_agencies_the_rest_see():
    audit = AuditFactory(briefing_published_at=NOW)
    agency = AgencyFactory(partnership=audit.partnership)
    audit.agencies.add(agency)
    chair, qa, viewer = (
        _holding((role, audit.partnership, None))
        for role in (Role.CHAIR, Role.QA_MEMBER, Role.VIEWER)
    )
    coordinator = _holding((Role.COORDINATOR, audit.partnership, agency))
    assert access.sees_every_action(chair, audit) and access.sees_every_action(qa, audit)
    assert not access.sees_every_action(coordinator, audit)
    assert not access.sees_every_action(viewer, audit)
    assert access.plan_agency_ids(chair, audit) is None
    assert access.plan_agency_ids(qa, audit) is None
    assert access.plan_agency_ids(coordinator, audit) == {agency.pk}
    assert access.plan_agency_ids(viewer, audit) == frozenset()  # the plan is not published
    audit.plan_published_at = NOW
    # Published with the briefing, the whole plan is read by viewers and co-ordinators alike.
    for reader in (viewer, coordinator):
        assert access.plan_agency_ids(_fresh(reader), audit) is None
        assert access.sees_every_action(_fresh(reader), audit)


# The action plan -----------------------------------------------------------------------------


def _plan_world():
    partnership = PartnershipFactory()
    police, housing = (AgencyFactory(partnership=partnership) for _ in range(2))
    audit = AuditFactory(partnership=partnership)
    audit.agencies.add(police, housing)
    published = AuditFactory(partnership=partnership, briefing_published_at=NOW)
    published.plan_published_at = NOW
    published.save()
    # Another partnership's published plan, holding one of this partnership's agencies (which
    # its pages never allow): nobody here sees it.
    theirs = AuditFactory(briefing_published_at=NOW, plan_published_at=NOW)
    theirs.agencies.add(police)
    actions = {
        "theirs": ActionFactory(audit=theirs, owner_agency=police),
        "police": ActionFactory(audit=audit, owner_agency=police),
        "housing": ActionFactory(audit=audit, owner_agency=housing),
        "published": ActionFactory(audit=published, owner_agency=police),
        "elsewhere": ActionFactory(owner_agency=AgencyFactory()),
    }
    return partnership, police, housing, audit, actions


def _seen(user, *, published=True):
    restricted = action_access.restrict_actions(Action.objects.all(), user, published=published)
    return dict(restricted.values_list("pk", "opens"))


def test_each_role_sees_and_opens_its_own_actions_only():
    partnership, police, housing, audit, actions = _plan_world()
    chair = _holding((Role.CHAIR, partnership, None))
    coordinator = _holding((Role.COORDINATOR, partnership, police))
    viewer = _holding((Role.VIEWER, partnership, None))
    admin = _holding((Role.PARTNERSHIP_ADMIN, partnership, None))
    pk = {name: action.pk for name, action in actions.items()}
    assert _seen(chair) == {pk["police"]: True, pk["housing"]: True, pk["published"]: True}
    assert _seen(coordinator) == {pk["police"]: True}  # not taking part in the published audit
    assert _seen(viewer) == {pk["published"]: False}
    assert _seen(viewer, published=False) == {}
    assert _seen(admin) == {} and _seen(AnonymousUser()) == {}
    both = _holding((Role.COORDINATOR, partnership, police), (Role.VIEWER, partnership, None))
    assert _seen(both) == {pk["police"]: True, pk["published"]: False}


def test_a_coordinator_sees_their_agencys_actions_only_while_it_takes_part():
    partnership, police, _, audit, actions = _plan_world()
    coordinator = _holding((Role.COORDINATOR, partnership, police))
    audit.agencies.remove(police)
    assert _seen(coordinator) == {}
    assert not Action.objects.filter(
        access.takes_part(audit="audit_id", agency="owner_agency_id"), pk=actions["police"].pk
    ).exists()


def test_a_viewer_sees_a_plan_only_once_published_with_its_briefing():
    partnership, _, _, audit, actions = _plan_world()
    viewer = _holding((Role.VIEWER, partnership, None))
    assert action_access.reads_plan(viewer)
    published = actions["published"].audit
    for briefing, plan in ((NOW, None), (None, NOW)):
        Audit.objects.filter(pk=published.pk).update(
            briefing_published_at=briefing, plan_published_at=plan
        )
        assert _seen(_fresh(viewer)) == {}
        assert not action_access.reads_plan(_fresh(viewer))


def test_every_working_role_reads_the_plan_and_nobody_else():
    partnership = PartnershipFactory()
    agency = AgencyFactory(partnership=partnership)
    for role, of in ((Role.CHAIR, None), (Role.QA_MEMBER, None), (Role.COORDINATOR, agency)):
        assert action_access.reads_plan(_holding((role, partnership, of)))
    assert not action_access.reads_plan(_holding((Role.VIEWER, partnership, None)))
    assert not action_access.reads_plan(_holding((Role.PARTNERSHIP_ADMIN, partnership, None)))
    assert not action_access.reads_plan(AnonymousUser())


def test_an_action_page_opens_to_those_who_may_open_it_and_names_its_audit(
    django_assert_num_queries,
):
    partnership, police, _, audit, actions = _plan_world()
    coordinator = _holding((Role.COORDINATOR, partnership, police))
    viewer = _holding((Role.VIEWER, partnership, None))
    Action.objects.filter(pk=actions["police"].pk).update(
        lead_user=coordinator, recommendation=RecommendationFactory(audit=audit)
    )
    request = _request(coordinator)
    gate.membership_rows(coordinator)
    with django_assert_num_queries(1):
        found = action_access.get_action_for(request, actions["police"].pk)
        assert found.audit.theme.name and found.audit.partnership.name
        assert found.owner_agency.name and found.lead_user.username
        assert found.recommendation.text
    assert found == actions["police"]
    assert request.audit == audit
    for user, asked in (
        (coordinator, actions["housing"].pk),
        (viewer, actions["published"].pk),
        (coordinator, "x"),
    ):
        with pytest.raises(Http404) as missing:
            action_access.get_action_for(_request(user), asked)
        assert str(missing.value) == "No such action."


def test_progress_on_an_action_is_for_its_agencys_coordinators_and_the_chair():
    partnership, police, housing, _, actions = _plan_world()
    chair = _holding((Role.CHAIR, partnership, None))
    qa = _holding((Role.QA_MEMBER, partnership, None))
    police_coordinator = _holding((Role.COORDINATOR, partnership, police))
    housing_coordinator = _holding((Role.COORDINATOR, partnership, housing))
    action = actions["police"]
    assert action_access.can_update_action(chair, action)
    assert action_access.can_update_action(police_coordinator, action)
    assert not action_access.can_update_action(housing_coordinator, action)
    assert not action_access.can_update_action(qa, action)


def test_an_agencys_work_opens_to_its_coordinators_the_chair_and_after_release_the_rest():
    audit = AuditFactory()
    police, housing = (AgencyFactory(partnership=audit.partnership) for _ in range(2))
    audit.agencies.add(police, housing)
    chair = _holding((Role.CHAIR, audit.partnership, None))
    qa = _holding((Role.QA_MEMBER, audit.partnership, None))
    coordinator = _holding((Role.COORDINATOR, audit.partnership, police))
    both = {police.pk, housing.pk}
    assert access.visible_agency_ids(chair, audit, both) == both
    assert access.visible_agency_ids(coordinator, audit, both) == {police.pk}
    assert access.visible_agency_ids(qa, audit, both) == set()
    assert access.can_view_agency_work(coordinator, audit, police.pk)
    assert not access.can_view_agency_work(coordinator, audit, housing.pk)
    assert not access.can_view_agency_work(qa, audit, police.pk)
    audit.pack_released_at = NOW
    assert access.visible_agency_ids(_fresh(qa), audit, both) == both
    assert access.can_view_agency_work(_fresh(qa), audit, police.pk)
    assert not access.can_edit_agency_work(_fresh(qa), audit, police.pk)


def test_a_childs_identifiers_are_the_chairs_and_the_involved_coordinators_once_selected():
    audit = AuditFactory()
    police, housing = (AgencyFactory(partnership=audit.partnership) for _ in range(2))
    audit.agencies.add(police, housing)
    chair = _holding((Role.CHAIR, audit.partnership, None))
    coordinator = _holding((Role.COORDINATOR, audit.partnership, police))
    qa = _holding((Role.QA_MEMBER, audit.partnership, None))
    assert access.can_view_identifiers(chair, audit, [], selected=False)
    assert access.can_view_identifiers(coordinator, audit, [police.pk])
    assert not access.can_view_identifiers(coordinator, audit, [police.pk], selected=False)
    assert not access.can_view_identifiers(coordinator, audit, [housing.pk])
    assert not access.can_view_identifiers(qa, audit, [police.pk, housing.pk])


def test_emails_go_only_to_active_people_with_an_address_whom_the_gate_lets_see_now():
    audit = AuditFactory()
    chair = _holding((Role.CHAIR, audit.partnership, None))
    qa = _holding((Role.QA_MEMBER, audit.partnership, None))
    inactive = _holding((Role.CHAIR, audit.partnership, None))
    inactive.is_active = False
    no_address = _holding((Role.CHAIR, audit.partnership, None))
    no_address.email = ""
    removed = _holding((Role.CHAIR, audit.partnership, None))
    assert access.is_member(removed, audit)  # remembered, as a long job would have
    Membership.objects.filter(user=removed).delete()
    people = [inactive, no_address, chair, removed, qa]
    assert access.recipients_who_may_see(audit, people) == [chair, qa]
    assert access.recipients_who_may_see(audit, people, "manage_audit") == [chair]
    as_loaded = Audit.objects.get(pk=audit.pk)  # nobody asked about it yet
    assert access.recipients_who_may_see(as_loaded, [_fresh(qa)]) == [qa]


def test_an_old_date_is_not_a_publication():
    audit = AuditFactory(briefing_published_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))
    viewer = _holding((Role.VIEWER, audit.partnership, None))
    assert access.is_member(viewer, audit)
    audit.briefing_published_at = None
    assert not access.is_member(_fresh(viewer), audit)


def test_a_partnership_heads_a_page_only_for_its_members_with_its_own_name_and_logo(
    django_assert_num_queries,
):
    """Read with the memberships, in the same one query: a partnership the user belongs to,
    its name and logo; none other. Forgotten, they are read afresh (a role ended since)."""
    eastvale = PartnershipFactory(name="Eastvale Partnership", logo="logos/eastvale.png")
    westvale = PartnershipFactory(name="Westvale Partnership")
    person = UserFactory()
    MembershipFactory(user=person, partnership=eastvale, role=Role.VIEWER)
    with django_assert_num_queries(1):
        shown = gate.member_partnership(person, eastvale.pk)
        assert gate.member_partnership(person, westvale.pk) is None
    assert (shown.pk, shown.name, shown.logo.name) == (
        eastvale.pk,
        "Eastvale Partnership",
        "logos/eastvale.png",
    )
    Membership.objects.filter(user=person).delete()
    gate.forget_memberships(person)
    assert gate.member_partnership(person, eastvale.pk) is None
