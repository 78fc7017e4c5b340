"""Every place the briefing publishes is searched for a child's identifying details, and refused
naming that place; what only looks identifying is refused until the chair confirms that very text.
The child and their details are invented."""

import datetime
import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from actions.models import Action
from cases.models import (
    AuditEvent,
    BriefingParagraph,
    ChronologyEntry,
    ConfirmedText,
    LocalReference,
    NominationIdentity,
    ToolAnswer,
)
from cases.selectors.identifiers import (
    Flag,
    confirmed_digests,
    identifying_details_in_pack,
    listed,
    looks_identifying,
    text_digest,
    unconfirmed_flags,
)
from cases.services.confirmations import texts_confirm
from findings import publishing, sevenminute
from findings.models import BriefingVersion, MeetingRecord, SevenMinuteBriefing
from findings.publishing import (
    BriefingChangedWhilePublishing,
    BriefingHasIdentifiers,
    BriefingLooksIdentifying,
    SevenMinuteTooLong,
    briefing_publish,
    briefing_text_confirm,
    identifying_details_in_briefing,
    unconfirmed_in_briefing,
)
from maca.models import Membership

from .conftest import member
from .factories import (
    AgencyFactory,
    AgencySubmissionFactory,
    CaseFactory,
    ChronologyEntryFactory,
    FindingFactory,
    GoodPracticeFactory,
    NominationFactory,
    ParagraphFactory,
    RecommendationFactory,
    StrengthFactory,
    ToolQuestionFactory,
    ToolSectionFactory,
)

pytestmark = pytest.mark.django_db

PART = "part of the name held for Case 1"
# Invented: the NHS number passes the check digit; the phone number is from Ofcom's drama range.
POSTCODE_TEXT = "Moved to NN1 2AB last spring."


@pytest.fixture
def housing(audit):
    agency = AgencyFactory(name="Housing", partnership=audit.partnership)
    audit.agencies.add(agency)
    return agency


@pytest.fixture
def case(audit, housing):
    nomination = NominationFactory(audit=audit, label="Case 1")
    identity = NominationIdentity.objects.create(
        nomination=nomination, child_name="Ellie Brampton", date_of_birth="2015-03-05"
    )
    LocalReference.objects.create(identity=identity, agency=housing, reference="HX-44821")
    return CaseFactory(audit=audit, label="Case 1", order=1)


def found(audit, *, with_plan=False):
    return identifying_details_in_briefing(audit, with_plan=with_plan)


# Each place the briefing publishes ----------------------------------------------------------


def _title(audit, case, text):
    audit.title = text
    audit.save()


def _theme(audit, case, text):
    audit.theme.name = text
    audit.theme.save()


def _paragraph(section):
    def write(audit, case, text):
        ParagraphFactory(audit=audit, section=section, text="Seen at school.", order=1)
        ParagraphFactory(audit=audit, section=section, text=text, order=2)

    return write


def _case_item(factory):
    def write(audit, case, text):
        factory(case=case, text="Seen at school.", order=1)
        factory(case=case, text=text, order=2)

    return write


def _audit_item(factory):
    def write(audit, case, text):
        factory(audit=audit, text="Seen at school.", order=1)
        factory(audit=audit, text=text, order=2)

    return write


def _heading(audit, case, text):
    audit.heading_strengths = text
    audit.save()
    StrengthFactory(case=case, text="Seen at school.")


PLACES = [
    (_title, "The title"),
    (_theme, "The theme"),
    (_heading, "The heading “Ellie’s strengths”"),
    (_paragraph(BriefingParagraph.Section.THEME_AND_CASES), "Theme / Cases, point 2"),
    (_paragraph(BriefingParagraph.Section.PROCESS), "Process, point 2"),
    (_case_item(StrengthFactory), "Strengths identified per case › Case 1, point 2"),
    (_case_item(FindingFactory), "Findings identified per case › Case 1, point 2"),
    (
        _audit_item(GoodPracticeFactory),
        "Good Practice and Evidence as a Result of this Audit and similar Reviews, point 2",
    ),
    (
        _audit_item(RecommendationFactory),
        "Recommendations – Issues Identified Across Multiple Cases, point 2",
    ),
]


@pytest.mark.parametrize("write, place", PLACES, ids=[place for _, place in PLACES])
def test_a_childs_name_anywhere_the_briefing_prints_refuses_publishing_naming_the_place(
    audit, case, chair, write, place
):
    text = "Ellie’s strengths" if write is _heading else "Ellie was seen at home."
    write(audit, case, text)
    assert found(audit) == [f"{place} contains {PART}."]
    with pytest.raises(BriefingHasIdentifiers) as refused:
        briefing_publish(audit=audit, user=chair)
    assert refused.value.places == [f"{place} contains {PART}."]
    assert refused.value.messages == [
        f"{place} contains {PART}. holds a child's identifying details."
    ]
    assert not BriefingVersion.objects.exists()


def test_a_case_label_holding_the_name_is_refused(audit, case):
    CaseFactory(audit=audit, label="Ellie B", order=2)
    assert found(audit) == [f"The case label “Ellie B” contains {PART}."]


def test_good_practice_left_out_of_the_briefing_is_not_checked(audit, case):
    GoodPracticeFactory(audit=audit, text="Ellie was seen.")
    audit.include_good_practice = False
    audit.save()
    assert found(audit) == []


def test_the_learning_summary_is_checked_where_it_is_printed_and_where_it_is_published(audit, case):
    MeetingRecord.objects.create(audit=audit, learning_summary="Seen at school.\nEllie moved.")
    # Printed as points, each named once (not again as the whole summary).
    assert found(audit) == [f"Learning summary, point 2 contains {PART}."]
    audit.include_learning_summary = False
    audit.save()
    audit.refresh_from_db()
    # Not printed, but still published to the learning library.
    assert found(audit) == [f"The learning summary contains {PART}."]


def test_the_plan_is_checked_only_when_it_goes_out_with_the_briefing(audit, case):
    Action.objects.create(audit=audit, text="Review the tenancy.", due_date="2027-01-01")
    Action.objects.create(
        audit=audit, text="Visit again.", lead="Ellie’s social worker", due_date="2027-01-01"
    )
    assert found(audit) == []
    assert found(audit, with_plan=True) == [f"The action plan, action 2 (lead) contains {PART}."]


def test_the_plans_annex_is_checked_once_the_plan_is_published(audit, case):
    Action.objects.create(audit=audit, text="Review the tenancy.", due_date="2027-01-01")
    Action.objects.create(audit=audit, text="Visit Ellie again.", due_date="2027-01-01")
    audit.plan_published_at = timezone.now()
    audit.save()
    assert f"Annex: actions, point 2 contains {PART}." in found(audit)


def test_an_action_in_the_annex_is_reported_once_as_the_plans_action(audit, case, chair):
    """The annex prints the plan's actions: each is named once, as the plan numbers it, which
    is where the chair edits it (a cancelled action is left out of the annex, not the plan)."""
    Action.objects.create(
        audit=audit, text="Merged.", status="cancelled", cancel_reason="Merged.", order=1
    )
    Action.objects.create(audit=audit, text="Visit Ellie again.", due_date="2027-01-01", order=2)
    expected = [f"The action plan, action 2 (action) contains {PART}."]
    assert found(audit, with_plan=True) == expected
    with pytest.raises(BriefingHasIdentifiers) as refused:
        briefing_publish(audit=audit, user=chair, with_plan=True)
    assert refused.value.places == expected
    audit.plan_published_at = timezone.now()
    audit.save()
    with pytest.raises(BriefingHasIdentifiers) as refused:
        briefing_publish(audit=audit, user=chair)  # the plan stays published, with its annex
    assert refused.value.places == expected


def test_an_action_in_the_annex_is_asked_about_once(audit, chair):
    CaseFactory(audit=audit, label="Case 1")
    Action.objects.create(audit=audit, text=POSTCODE_TEXT, due_date="2027-01-01")
    audit.plan_published_at = timezone.now()
    audit.save()
    assert [str(flag) for flag in unconfirmed_in_briefing(audit, with_plan=True)] == [
        "The action plan, action 1 (action) looks as if it holds a postcode."
    ]


@pytest.mark.parametrize("part", sevenminute.PARTS, ids=[p.field for p in sevenminute.PARTS])
def test_each_part_of_the_7_minute_briefing_is_checked(audit, case, part):
    SevenMinuteBriefing.objects.create(audit=audit, **{part.field: "Ellie moved twice."})
    where = f"The 7-minute briefing, part {part.number} ({part.title})"
    assert found(audit) == [f"{where} contains {PART}."]


@pytest.mark.parametrize(
    "text, what",
    [
        ("Ellie Brampton moved.", "the name held for Case 1"),
        ("Born 5 March 2015.", "the date of birth held for Case 1"),
        ("Recorded as 05/03/15.", "the date of birth held for Case 1"),
        ("File hx 448 21 closed.", "Housing's reference number for Case 1"),
        ("File HX44821 closed.", "Housing's reference number for Case 1"),
    ],
)
def test_each_detail_held_for_the_child_is_found(audit, case, text, what):
    StrengthFactory(case=case, text=text)
    assert found(audit) == [f"Strengths identified per case › Case 1, point 1 contains {what}."]


def test_every_child_of_the_audit_is_looked_for(audit, case, housing):
    second = NominationFactory(audit=audit, label="Case 2")
    NominationIdentity.objects.create(nomination=second, child_name="Tobias Quenby")
    StrengthFactory(case=case, text="Tobias was seen.")
    assert found(audit) == [
        "Strengths identified per case › Case 1, point 1 contains part of the name held for Case 2."
    ]


def test_a_briefing_holding_nothing_of_a_child_publishes(audit, case, chair):
    StrengthFactory(case=case, text="Quick referral by the school.")
    version = briefing_publish(audit=audit, user=chair)
    assert (version.number, version.published_by) == (1, chair)


# The meeting pack ---------------------------------------------------------------------------


def test_the_pack_check_names_each_entry_and_answer_in_the_packs_order(audit, case, housing):
    police = AgencyFactory(name="Police", partnership=audit.partnership)
    second = CaseFactory(audit=audit, label="Case 2", order=2)
    day = datetime.date(2025, 1, 7)
    ChronologyEntryFactory(case=second, agency=housing, date=day, event="Ellie seen.")
    ChronologyEntryFactory(case=case, agency=police, date=day, event="Ellie seen.")
    ChronologyEntryFactory(case=case, agency=housing, date=day, source_agency="Ellie's school")
    ChronologyEntryFactory(
        case=case, agency=housing, date=day - datetime.timedelta(days=1), event="Ellie seen."
    )
    ChronologyEntryFactory(case=case, agency=housing, date=day, event="Seen at school.")
    section = ToolSectionFactory(audit=audit, order=1)
    first_question = ToolQuestionFactory(section=section, text="Was risk clear?", order=1)
    later = ToolQuestionFactory(section=section, text="Was the plan clear?", order=2)
    submission = AgencySubmissionFactory(case=case, agency=housing)
    ToolAnswer.objects.create(submission=submission, question=later, text="HX-44821 says so.")
    ToolAnswer.objects.create(submission=submission, question=first_question, text="Yes.")
    assert identifying_details_in_pack(audit) == [
        f"Case 1, Housing's chronology, entry of 6 January 2025 contains {PART}.",
        f"Case 1, Housing's chronology, entry of 7 January 2025 contains {PART}.",
        f"Case 1, Police's chronology, entry of 7 January 2025 contains {PART}.",
        f"Case 2, Housing's chronology, entry of 7 January 2025 contains {PART}.",
        "Case 1, Housing's audit tool, answer to “Was the plan clear?” contains Housing's "
        "reference number for Case 1.",
    ]


@pytest.mark.parametrize("field", ["event", "source_agency", "action_taken"])
def test_the_pack_check_reads_every_written_field_of_an_entry(audit, case, housing, field):
    ChronologyEntryFactory(
        case=case,
        agency=housing,
        date=datetime.date(2025, 3, 1),
        date_precision=ChronologyEntry.Precision.MONTH,
        **{"event": "Visit.", field: "Ellie Brampton was there."},
    )
    assert identifying_details_in_pack(audit) == [
        "Case 1, Housing's chronology, entry of March 2025 (approx.) contains the name held "
        "for Case 1."
    ]


def test_the_pack_check_lists_answers_by_case_agency_section_and_question(audit, case, housing):
    police = AgencyFactory(name="Police", partnership=audit.partnership)
    second = CaseFactory(audit=audit, label="Case 2", order=2)
    first_section = ToolSectionFactory(audit=audit, order=1)
    later_section = ToolSectionFactory(audit=audit, order=2)
    q1 = ToolQuestionFactory(section=first_section, text="Q1?", order=1)
    q2 = ToolQuestionFactory(section=first_section, text="Q2?", order=2)
    q3 = ToolQuestionFactory(section=later_section, text="Q3?", order=1)
    submissions = {
        (c.label, a.name): AgencySubmissionFactory(case=c, agency=a)
        for c, a in [(second, housing), (case, police), (case, housing)]
    }
    expected = [
        ("Case 1", "Housing", q1),
        ("Case 1", "Housing", q2),
        ("Case 1", "Housing", q3),
        ("Case 1", "Police", q1),
        ("Case 2", "Housing", q1),
    ]
    for label, agency, question in reversed(expected):  # written in the opposite order
        ToolAnswer.objects.create(
            submission=submissions[label, agency], question=question, text="Ellie said so."
        )
    assert identifying_details_in_pack(audit) == [
        f"{label}, {agency}'s audit tool, answer to “{question.text}” contains {PART}."
        for label, agency, question in expected
    ]


def test_the_pack_check_reads_in_the_same_queries_however_much_is_written(
    audit, case, housing, django_assert_num_queries
):
    question = ToolQuestionFactory(section=ToolSectionFactory(audit=audit))
    for n in range(3):
        other = CaseFactory(audit=audit, label=f"Case {n + 2}")
        agency = AgencyFactory(partnership=audit.partnership)
        ChronologyEntryFactory(case=other, agency=agency, event="Ellie seen.")
        submission = AgencySubmissionFactory(case=other, agency=agency)
        ToolAnswer.objects.create(submission=submission, question=question, text="Ellie said.")
    # The children's details (and their references and agencies), the entries, the answers.
    with django_assert_num_queries(5):
        assert len(identifying_details_in_pack(audit)) == 6


def test_a_pack_without_a_childs_details_held_is_not_read(
    audit, housing, django_assert_num_queries
):
    ChronologyEntryFactory(case=CaseFactory(audit=audit), agency=housing, event="Ellie seen.")
    with django_assert_num_queries(1):
        assert identifying_details_in_pack(audit) == []


def test_each_reader_of_the_plans_words_is_registered_once(audit, case, monkeypatch):
    monkeypatch.setattr(publishing, "_plan_text_readers", [])

    def reader(audit_):
        return [("The plan's extra words", "Ellie's plan.")]

    assert publishing.register_plan_texts(reader) is reader
    publishing.register_plan_texts(reader)
    assert found(audit, with_plan=True) == [f"The plan's extra words contains {PART}."]
    assert found(audit) == []


# What only looks identifying ----------------------------------------------------------------


def test_a_text_is_fingerprinted_however_it_is_spaced():
    expected = hashlib.sha256(b"Moved to NN1 2AB").hexdigest()
    assert text_digest("  Moved to\n NN1   2AB ") == expected
    assert text_digest(None) == text_digest("") == hashlib.sha256(b"").hexdigest()


def test_confirmed_digests_are_the_audits_and_by_the_chair_when_asked(audit, chair):
    qa = member(audit, Membership.Role.QA_MEMBER)
    texts_confirm(audit=audit, texts=["By the chair."], user=chair)
    texts_confirm(audit=audit, texts=["By a QA member."], user=qa)
    other = CaseFactory().audit
    texts_confirm(audit=other, texts=["Another audit's."], user=chair)
    assert confirmed_digests(audit) == {
        text_digest("By the chair."),
        text_digest("By a QA member."),
    }
    assert confirmed_digests(audit, by_chair=True) == {text_digest("By the chair.")}


@pytest.mark.parametrize(
    "text, label, kinds",
    [
        ("Ellie Smith", True, ["a name"]),
        ("Ellie Smith", False, []),
        ("Baby O'Neill", True, ["a name"]),
        ("Case 7", True, []),
        (POSTCODE_TEXT, False, ["a postcode"]),
        (None, True, []),
        ("", False, []),
    ],
)
def test_what_a_text_looks_as_if_it_held(text, label, kinds):
    assert looks_identifying(text, label=label) == kinds


def test_a_text_is_read_as_a_label_only_when_it_is_one():
    assert looks_identifying("Ellie Smith") == []


@pytest.mark.parametrize(
    "things, said",
    [
        (["a postcode"], "a postcode"),
        (["a postcode", "a name"], "a postcode and a name"),
        (["a postcode", "a name", "a phone number"], "a postcode, a name and a phone number"),
    ],
)
def test_what_looks_identifying_is_listed_as_a_sentence_reads(things, said):
    assert listed(things) == said


def test_a_flag_says_where_and_what():
    flag = Flag("The title", ("a postcode", "a phone number"), "x")
    assert str(flag) == "The title looks as if it holds a postcode and a phone number."


def test_unconfirmed_flags_are_the_texts_and_labels_the_chair_has_not_confirmed(audit, chair):
    qa = member(audit, Membership.Role.QA_MEMBER)
    texts = [
        ("Point 1", "Seen at school."),
        ("Point 2", POSTCODE_TEXT),
        ("Point 3", "Call 07700 900123."),
        ("Point 4", "Lives at 12 High Street."),
    ]
    labels = [("Label 1", "Ellie Smith"), ("Label 2", "Case 2")]
    texts_confirm(audit=audit, texts=["Call 07700  900123."], user=chair)  # spacing aside
    texts_confirm(audit=audit, texts=["Lives at 12 High Street."], user=qa)
    texts_confirm(audit=CaseFactory().audit, texts=[POSTCODE_TEXT], user=chair)
    assert unconfirmed_flags(audit, texts, labels=labels) == [
        Flag("Point 2", ("a postcode",), text_digest(POSTCODE_TEXT)),
        Flag("Point 4", ("a street address",), text_digest("Lives at 12 High Street.")),
        Flag("Label 1", ("a name",), text_digest("Ellie Smith")),
    ]
    assert unconfirmed_flags(audit, [("Point 2", "Ellie Smith")]) == []


def test_nothing_looking_identifying_reads_no_confirmations(audit, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert unconfirmed_flags(audit, [("Point 1", "Seen at school.")]) == []


def test_the_briefing_flags_a_label_once_as_a_label(audit, chair):
    CaseFactory(audit=audit, label="Ellie Smith", order=1)
    StrengthFactory(case=audit.cases.get(), text=POSTCODE_TEXT)
    flags = unconfirmed_in_briefing(audit)
    assert [str(flag) for flag in flags] == [
        "Strengths identified per case › Ellie Smith, point 1 looks as if it holds a postcode.",
        "The case label “Ellie Smith” looks as if it holds a name.",
    ]
    with pytest.raises(BriefingLooksIdentifying) as refused:
        briefing_publish(audit=audit, user=chair)
    assert refused.value.flags == flags
    assert refused.value.messages == [str(flag) for flag in flags]
    assert not BriefingVersion.objects.exists()


def test_the_plan_is_asked_about_only_when_it_goes_out(audit, chair):
    CaseFactory(audit=audit, label="Case 1")
    Action.objects.create(audit=audit, text=POSTCODE_TEXT, due_date="2027-01-01")
    assert unconfirmed_in_briefing(audit) == []
    (flag,) = unconfirmed_in_briefing(audit, with_plan=True)
    assert flag.place == "The action plan, action 1 (action)"


def test_the_chair_confirms_the_very_text_flagged(audit, chair):
    case = CaseFactory(audit=audit, label="Case 1")
    StrengthFactory(case=case, text=POSTCODE_TEXT)
    StrengthFactory(case=case, text="Call 07700 900123.")
    first, second = unconfirmed_in_briefing(audit)
    confirmed = briefing_text_confirm(audit=audit, digest=first.digest, user=chair)
    assert confirmed == first
    kept = ConfirmedText.objects.get()
    assert (kept.text_hash, kept.confirmed_by, kept.by_chair) == (first.digest, chair, True)
    assert unconfirmed_in_briefing(audit) == [second]
    for digest in (first.digest, "0" * 64):  # confirmed already, or no longer there
        with pytest.raises(ValidationError) as refused:
            briefing_text_confirm(audit=audit, digest=digest, user=chair)
        assert refused.value.messages == [
            "That text has changed or been confirmed since the page was opened: nothing was "
            "confirmed. Check the list again."
        ]
    assert ConfirmedText.objects.count() == 1


def test_the_chair_may_confirm_a_plan_text_before_publishing_the_plan(audit, chair):
    CaseFactory(audit=audit, label="Case 1")
    Action.objects.create(audit=audit, text=POSTCODE_TEXT, due_date="2027-01-01")
    flag = briefing_text_confirm(audit=audit, digest=text_digest(POSTCODE_TEXT), user=chair)
    assert flag.place == "The action plan, action 1 (action)"
    assert unconfirmed_in_briefing(audit, with_plan=True) == []


def test_a_confirmation_by_someone_else_does_not_let_the_briefing_publish(audit, chair):
    qa = member(audit, Membership.Role.QA_MEMBER)
    case = CaseFactory(audit=audit, label="Case 1")
    StrengthFactory(case=case, text=POSTCODE_TEXT)
    texts_confirm(audit=audit, texts=[POSTCODE_TEXT], user=qa)
    with pytest.raises(BriefingLooksIdentifying):
        briefing_publish(audit=audit, user=chair)
    texts_confirm(audit=audit, texts=[POSTCODE_TEXT], user=chair)
    assert briefing_publish(audit=audit, user=chair).number == 1


# Versions and the published plan ------------------------------------------------------------


@pytest.fixture
def written(audit):
    case = CaseFactory(audit=audit, label="Case 1")
    StrengthFactory(case=case, text="Quick referral by the school.")
    return case


def test_publishing_an_unchanged_briefing_makes_no_new_version(audit, chair, written):
    first = briefing_publish(audit=audit, user=chair)
    assert first.newly_published is not False
    again = briefing_publish(audit=audit, user=chair)
    assert again.pk == first.pk and again.newly_published is False
    assert BriefingVersion.objects.count() == 1
    StrengthFactory(case=written, text="Added later.")
    assert briefing_publish(audit=audit, user=chair).number == 2


def test_a_past_briefing_keeps_the_date_it_was_published(audit, chair, written):
    when = timezone.make_aware(datetime.datetime(2024, 5, 6, 10, 30))
    version = briefing_publish(audit=audit, user=chair, published_at=when)
    assert version.published_at == when
    assert "6 May 2024" in version.html


def test_publishing_is_announced_with_the_version(audit, chair, written):
    heard = []

    def listen(sender, version, **kwargs):
        heard.append(version)

    publishing.briefing_published.connect(listen)
    try:
        version = briefing_publish(audit=audit, user=chair)
    finally:
        publishing.briefing_published.disconnect(listen)
    assert heard == [version]


def test_publishing_with_the_plan_records_who_published_it_and_when(audit, chair, written):
    Action.objects.create(audit=audit, text="Review the tenancy.", due_date="2027-01-01")
    before = timezone.now()
    first = briefing_publish(audit=audit, user=chair, with_plan=True)
    audit.refresh_from_db()
    assert audit.plan_published_at is not None and audit.plan_published_at >= before
    assert "Review the tenancy." in first.html
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.PLAN_PUBLISHED)
    assert (event.audit, event.actor) == (audit, chair)
    published_at = audit.plan_published_at

    # Left as it is: still published, with its annex, and no second event.
    StrengthFactory(case=written, text="Added later.")
    second = briefing_publish(audit=audit, user=chair)
    audit.refresh_from_db()
    assert audit.plan_published_at == published_at
    assert "Review the tenancy." in second.html
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.PLAN_PUBLISHED).count() == 1

    third = briefing_publish(audit=audit, user=chair, with_plan=False)
    audit.refresh_from_db()
    assert audit.plan_published_at is None
    assert "Review the tenancy." not in third.html
    withdrawn = AuditEvent.objects.get(kind=AuditEvent.Kind.PLAN_WITHDRAWN)
    assert (withdrawn.audit, withdrawn.actor) == (audit, chair)


def test_publishing_the_plan_saves_the_audit_as_changed(audit, chair, written):
    long_ago = timezone.make_aware(datetime.datetime(2020, 1, 1))
    type(audit).objects.filter(pk=audit.pk).update(updated_at=long_ago)
    publishing._set_plan_published(audit, chair, True)
    audit.refresh_from_db()
    assert audit.updated_at > long_ago and audit.plan_published_at is not None
    publishing._set_plan_published(audit, chair, True)  # already: nothing recorded again
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.PLAN_PUBLISHED).count() == 1


def test_publishing_the_plan_keeps_an_edit_made_while_the_briefing_rendered(
    audit, chair, written, monkeypatch
):
    from findings import briefing

    render = briefing.render_pdf_bytes

    def rendering(*args, **kwargs):
        type(audit).objects.filter(pk=audit.pk).update(title="Renamed meanwhile")
        return render(*args, **kwargs)

    monkeypatch.setattr(briefing, "render_pdf_bytes", rendering)
    # The title rendered is not the one saved now: refused, rather than publishing either.
    with pytest.raises(BriefingChangedWhilePublishing) as refused:
        briefing_publish(audit=audit, user=chair, with_plan=True)
    assert refused.value.messages == [
        "Something in the briefing changed while it was being published; check it and publish "
        "again."
    ]
    audit.refresh_from_db()
    assert audit.title == "Renamed meanwhile" and audit.plan_published_at is None
    monkeypatch.setattr(briefing, "render_pdf_bytes", render)
    briefing_publish(audit=audit, user=chair, with_plan=True)
    audit.refresh_from_db()
    assert audit.title == "Renamed meanwhile" and audit.plan_published_at is not None


def test_a_plan_holding_a_childs_name_is_refused_while_it_stays_published(audit, case, chair):
    Action.objects.create(audit=audit, text="Visit Ellie.", due_date="2027-01-01")
    with pytest.raises(BriefingHasIdentifiers):
        briefing_publish(audit=audit, user=chair, with_plan=True)
    audit.plan_published_at = timezone.now()
    audit.save()
    with pytest.raises(BriefingHasIdentifiers):
        briefing_publish(audit=audit, user=chair)
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.PLAN_PUBLISHED).exists()


# The 7-minute briefing's version ------------------------------------------------------------

SEVEN = {
    "background": "Neglect in housing.",
    "what_we_found": "Drift while the family moved.",
}


def test_the_7_minute_briefing_is_frozen_with_the_version(audit, chair, written):
    SevenMinuteBriefing.objects.create(audit=audit, **SEVEN)
    version = briefing_publish(audit=audit, user=chair)
    parts = sevenminute.parts_of(SevenMinuteBriefing.objects.get())
    assert version.seven_minute_parts == parts
    pdf = bytes(version.seven_minute_pdf)
    assert pdf.startswith(b"%PDF")
    assert version.seven_minute_sha256 == hashlib.sha256(pdf).hexdigest()
    assert version.seven_minute_sha256 != version.sha256
    html = version.seven_minute_html
    assert "Drift while the family moved" in html
    assert "Version 1 published" in html and version.seven_minute_sha256 in html
    assert f"by {chair}" in html
    again = briefing_publish(audit=audit, user=chair)
    assert again.pk == version.pk and again.newly_published is False
    SevenMinuteBriefing.objects.update(questions="What would you do?")
    assert briefing_publish(audit=audit, user=chair).number == 2


def test_a_version_without_a_7_minute_briefing_has_none(audit, chair, written):
    assert publishing._seven_minute_for(audit, {"number": 1}) == {}
    assert publishing.seven_minute_parts(audit) is None
    version = briefing_publish(audit=audit, user=chair)
    assert version.seven_minute_parts in (None, {})
    assert not version.seven_minute_html


def test_the_7_minute_briefings_parts_are_read_as_written(audit):
    SevenMinuteBriefing.objects.create(audit=audit, **SEVEN)
    other = CaseFactory().audit
    SevenMinuteBriefing.objects.create(audit=other, background="Another audit's.")
    parts = publishing.seven_minute_parts(audit)
    assert parts["background"] == "Neglect in housing." and parts["questions"] == ""
    assert set(parts) == set(sevenminute.PART_FIELDS)


@pytest.mark.parametrize("pages", [0, 2, 3])
def test_a_7_minute_briefing_not_on_one_page_is_refused_naming_the_part(audit, monkeypatch, pages):
    SevenMinuteBriefing.objects.create(
        audit=audit, what_we_found="word " * 150, **{"background": "Neglect in housing."}
    )
    monkeypatch.setattr(sevenminute, "render_pdf", lambda *args, **kwargs: (b"%PDF", pages))
    with pytest.raises(SevenMinuteTooLong) as refused:
        publishing._seven_minute_for(audit, {"number": 1})
    assert (refused.value.pages, refused.value.part.number) == (pages, 3)
    assert str(refused.value) == (
        f"The 7-minute briefing runs to {pages} pages: shorten part 3 (What we found), "
        "which has 150 words (its limit is 110)."
    )


def test_the_7_minute_briefing_is_rendered_for_the_version_being_published(audit, monkeypatch):
    SevenMinuteBriefing.objects.create(audit=audit, **SEVEN)
    seen = []

    def render_pdf(audit_, parts, *, version):
        seen.append((audit_, parts, version))
        return b"%PDF-one", 1

    monkeypatch.setattr(sevenminute, "render_pdf", render_pdf)
    version = {"number": 4, "published_at": timezone.now(), "published_by": None}
    fields = publishing._seven_minute_for(audit, version)
    assert seen == [(audit, publishing.seven_minute_parts(audit), version)]
    sha256 = hashlib.sha256(b"%PDF-one").hexdigest()
    assert fields["seven_minute_pdf"] == b"%PDF-one"
    assert fields["seven_minute_sha256"] == sha256
    assert "Version 4 published" in fields["seven_minute_html"]
    assert sha256 in fields["seven_minute_html"]


def test_the_versions_pdf_and_word_file_name_the_version_not_a_draft(
    audit, chair, written, tmp_path
):
    from io import BytesIO

    from docx import Document

    from .conftest import pdf_text

    version = briefing_publish(audit=audit, user=chair)
    printed = pdf_text(bytes(version.pdf), tmp_path)
    assert "Version 1, published" in printed and "Draft" not in printed
    words = "\n".join(p.text for p in Document(BytesIO(bytes(version.docx))).paragraphs)
    assert "Version 1, published" in words and "Draft" not in words


def test_a_copy_sent_in_is_known_by_its_fingerprint_as_a_briefing_or_a_7_minute_briefing():
    latest = BriefingVersion(number=2, sha256="briefing-2", seven_minute_sha256="seven-2")
    first = BriefingVersion(number=1, sha256="briefing-1", seven_minute_sha256="")
    versions = [latest, first]
    assert publishing.version_of_copy(versions, "briefing-1") == (first, False)
    assert publishing.version_of_copy(versions, "seven-2") == (latest, True)
    assert publishing.version_of_copy(versions, "a copy changed since") == (None, False)
