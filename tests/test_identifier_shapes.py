"""Anyone's identifying details, found by their shape alone (maca.identifiers)."""

import pytest

from maca.identifiers import identifying_shapes, looks_like_a_name


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Moved to NN1 2AB last spring", ["a postcode"]),
        ("sw1a1aa", ["a postcode"]),
        ("DOB 14/03/2021", ["a date of birth"]),
        ("d.o.b. 1.2.19", ["a date of birth"]),
        ("born on 3 March 2019", ["a date of birth"]),
        ("NHS 943 476 5919", ["an NHS number"]),
        ("NHS 943 476 0070", ["an NHS number"]),  # its check digit is 0
        ("call 016977 0123", ["a phone number"]),  # ten digits: a small exchange
        ("+44 16977 0123", ["a phone number"]),  # nine digits after +44
        ("Her date of birth is 01/02/2015.", ["a date of birth"]),
        ("DOB 2015-02-01", ["a date of birth"]),
        ("born on the 3rd of March 2015", ["a date of birth"]),
        ("lives at 12 acacia avenue", ["a street address"]),
        ("mobile 07700 900123", ["a phone number"]),
        ("+44 7700 900123", ["a phone number"]),
        ("at 12 High Street", ["a street address"]),
        ("ＮＮ１ ２ＡＢ", ["a postcode"]),  # full-width letters are folded first
        # As a word processor writes a typed hyphen: en and em dashes, a non-breaking hyphen,
        # a minus sign; and the dots some write between the groups of an NHS number.
        ("NHS 943\u2013476\u20135919", ["an NHS number"]),
        ("NHS 943.476.5919", ["an NHS number"]),
        ("DOB 14\u201403\u20142021", ["a date of birth"]),
        ("phone 07700\u2011900123", ["a phone number"]),
        ("born 14\u221203\u22122021", ["a date of birth"]),
        ("mum's email jayden.smith@gmail.com", ["a personal email address"]),
        ("Write to J.Smith2010@Hotmail.CO.UK.", ["a personal email address"]),
        ("her address: kaylee_x@yahoo.com", ["a personal email address"]),
        ("jo@gmail.com-mum's address", ["a personal email address"]),
        ("Alex, b. 14.03.2015, lives with nan", ["a date of birth"]),
        ("her birthday is 14 March 2015", ["a date of birth"]),
        ("NI number JK 12 34 56 C", ["a National Insurance number"]),
        ("mum's NI AB123456D", ["a National Insurance number"]),
        ("UPN A12345678901B on the school's system", ["a pupil number"]),
        ("UPN H801200001001", ["a pupil number"]),
        ("upn a12345678901b", ["a pupil number"]),
        ("lives at 4 Meadow Way", ["a street address"]),
        ("moved to 17 Church View", ["a street address"]),
        ("at 2 Albion Place", ["a street address"]),
        ("Mrs Smith did not attend", ["a person's name after their title"]),
        ("seen by Dr. Patel, the GP", ["a person's name after their title"]),
        ("Mr J. Smith, the father", ["a person's name after their title"]),
        ("Mx JSmith", ["a person's name after their title"]),
        ("called Miss O'Neill at school", ["a person's name after their title"]),
        ("Mr B. Smith then arrived", ["a person's name after their title"]),
        ("Mr Hewitt and Mrs Theobald", ["a person's name after their title"]),
    ],
)
def test_what_has_the_shape_of_identifying_details_is_found(text, found):
    assert identifying_shapes(text) == found


@pytest.mark.parametrize(
    "text",
    [
        "Referred on 14/03/2024 by the school",
        "Three visits between 2019 and 2024",
        "Year 10, 2019-2020",
        "A 4 way meeting was held",
        "NHS 943 476 5918",  # the check digit is wrong: not an NHS number
        "Ref +44 77009 001234",  # eleven digits after +44: no UK number
        "Case ref 2023-0456",
        "ST4 lead",
        "On 3 June St Thomas' Hospital saw the child after a fall.",
        "There were 2 Family Court hearings before the order was made.",
        "On 14 March Youth Court remanded the young person.",
        "Police attended on 05-06-2023 10:30 after a call from school.",
        "A second strategy meeting in Y6 2nd term; KS2 1st assessment.",
        "Room B1 2nd floor was used for the ICPC.",
        "The family moved 3 times down the road.",
        "On 12 March Road works blocked the school run.",
        "Questions to safeguarding@northshire.gov.uk or mash@northshire-police.uk.",
        "Find out more: procedures@example.org",
        "The referral went to gmail.com's abuse desk",  # no address at all
        "Write to support@gmail.community",  # another service's domain, not Gmail's
        "The meeting took place in Room 2 on 14/03/2024",
        "A 2 way conversation with the school",
        "Sub. 14/03/2024 to panel",  # a cue only as a word of its own
        "Form GB 12 34 56 A was never issued",  # a prefix HMRC does not use
        "Ref A1234567890 in the case system",  # too short for a pupil number
        "Born in 2015, seen at 14",  # a year, not a date
        "Section 47 enquiries took place after 6 weeks in place",
        "a 10 minute walk from the school",
        "a 20 per cent rise in referrals",
        "The 4 agencies view is that the plan drifted",
        "Health visitor B. Jones visited 12/03/2023",
        "Mr B. attended on 14/02/2023",
        "his birthday party on 12/03/2023 was cancelled",
        "On 12 05 23 a referral was made",
        "Ms A attended with Mr B and their GP",  # pseudonymous initials
        "The strategy discussion was on Ms Teams.",
        "MRS and DR tests were arranged",
        "Mrs. mentioned the school",
        "Mr B. He said he had not been told.",  # an initial ending a sentence
        "Ms A. The school nurse was not invited.",
        "We spoke to Mr B. Mother disagreed.",
        "Ms A\nThe next visit was cancelled",  # an initial ending a line
        "They moved to Oak Dr. The family did not re-register.",
        "The plan was sent in Ms Word and reviewed on Ms Forms.",
    ],
)
def test_ordinary_casework_text_is_not_mistaken(text):
    assert identifying_shapes(text) == []


@pytest.mark.parametrize(
    ("label", "reads_like_a_name"),
    [
        ("Jayden Smith", True),
        ("Zoë Ann Ng", True),
        ("Case 7", False),
        ("Case A", False),
        ("Family Blue", True),  # a pseudonym of words is asked about: the writer confirms it
        ("Smith Family", True),
        ("The Smith Family", True),
        ("Baby Smith", True),
        ("Jayden Smith-Jones", True),
        ("Jayden O'Neill", True),
        ("Sibling group 2", False),
        ("Case Seven", False),
        ("Jayden", True),  # a common given name
        ("jayden", True),
        ("Case Jayden 2", True),
        ("Case-Jayden", True),  # the name joined to a label's word
        ("Case_Jayden_2", True),
        ("Jayden's family", True),
        ("Family O'Neill-Smith", True),
        ("Robin", False),  # one word, not among the common names: a pseudonym as often
        ("Case 12", False),
        ("Family B", False),
        ("Sibling group Blue", True),
    ],
)
def test_a_label_that_reads_like_a_name(label, reads_like_a_name):
    assert looks_like_a_name(label) is reads_like_a_name


@pytest.mark.parametrize(
    "text", ["1 " + "Aa " * 40000, "dob " * 25000, "0-" * 50000, "A1" + " " * 100000]
)
def test_long_hostile_text_is_read_in_one_pass(text):
    # Patterns that backtrack would take minutes on these; each is read in well under a second.
    identifying_shapes(text)
    looks_like_a_name(text)
