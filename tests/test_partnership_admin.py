"""The partnership administrator: runs MACA for one partnership (its people and roles, agencies,
settings and logo) in MACA's own pages, and sees no audit by virtue of the role."""

import html
import re
import struct
import zlib
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases.services.setup import audit_create
from findings.models import BriefingVersion
from findings.publishing import briefing_publish
from maca.concurrency import version_of
from maca.models import Agency, Invitation, Membership, Partnership, User

from .conftest import member, pdf_text, stored_files
from .factories import ActionFactory, AgencyFactory, CaseFactory, UserFactory
from .test_chronology_files import plain

pytestmark = pytest.mark.django_db
Role = Membership.Role


def png(width=2, height=2) -> bytes:
    """A real PNG of one colour."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x1d\x3f\x6e" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def partnership(audit):
    return audit.partnership


@pytest.fixture
def administrator(audit):
    return member(audit, Role.PARTNERSHIP_ADMIN, username="runs-maca")


@pytest.fixture
def other_partnership():
    other = Partnership.objects.create(name="Southshire Partnership")
    AgencyFactory(name="Police", partnership=other)
    return other


def url(name, partnership, *args):
    return reverse(name, args=[partnership.pk, *args])


def messages_of(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


# People and their roles -------------------------------------------------------------------------


def test_the_administrator_invites_people_to_roles_in_their_partnership(
    client, partnership, administrator, mailoutbox, django_capture_on_commit_callbacks
):
    police = AgencyFactory(name="Police", partnership=partnership)
    elsewhere = UserFactory(email="pat@example.org", first_name="Pat", last_name="Elsewhere")
    client.force_login(administrator)
    page = client.get(url("partnership_people", partnership))
    assert page.status_code == 200
    assert "Partnership administrator" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("partnership_people", partnership),
            {"email": "Pat@Example.org", "role": Role.COORDINATOR, "agency": police.pk},
            follow=True,
        )
    said = response.content.decode()
    # The same words as for an address without an account: nothing of Pat's account shows.
    assert "An invitation to join as Agency co-ordinator for Police was emailed to" in said
    assert "Elsewhere" not in said
    invitation = Invitation.objects.get(email="pat@example.org")
    assert (invitation.partnership, invitation.agency) == (partnership, police)
    assert not Membership.objects.filter(user=elsewhere).exists()  # only by accepting
    assert len(mailoutbox) == 1 and partnership.name in mailoutbox[0].body
    # Another administrator, and a chair: any role of the partnership.
    for email, role in (
        ("second@example.org", Role.PARTNERSHIP_ADMIN),
        ("c@example.org", Role.CHAIR),
    ):
        client.post(url("partnership_people", partnership), {"email": email, "role": role})
        assert Invitation.objects.filter(email=email, role=role, partnership=partnership)


def test_inviting_an_address_again_moments_later_says_no_second_email_went(
    client, partnership, administrator, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(administrator)
    people = url("partnership_people", partnership)
    said = []
    for _press in range(2):  # two presses of their own (a second page, typed again)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(people, {"email": "v@example.org", "role": Role.VIEWER})
        said.append(messages_of(response)[-1])
    assert said == [
        "An invitation to join as Viewer was emailed to v@example.org. They become a member when "
        "they accept it.",
        "An invitation to join as Viewer was emailed to v@example.org moments ago: that email "
        "stands, and no second one was sent. They become a member when they accept it.",
    ]
    assert len(mailoutbox) == 1


def test_inviting_someone_to_a_role_they_hold_here_already_says_so_and_sends_nothing(
    client, partnership, administrator, mailoutbox, django_capture_on_commit_callbacks
):
    police = AgencyFactory(name="Police", partnership=partnership)
    housing = AgencyFactory(name="Housing", partnership=partnership)
    held = UserFactory(email="Sam@example.org")
    Membership.objects.create(
        user=held, partnership=partnership, role=Role.COORDINATOR, agency=police
    )
    client.force_login(administrator)
    people = url("partnership_people", partnership)
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(
            people, {"email": "sam@EXAMPLE.org", "role": Role.COORDINATOR, "agency": police.pk}
        )
    assert "sam@example.org already holds the role Agency co-ordinator for Police here." in (
        html.unescape(again.content.decode())
    )
    assert not Invitation.objects.exists() and mailoutbox == []
    # Another agency's co-ordinator, or another role, is a new invitation.
    client.post(
        people, {"email": "sam@example.org", "role": Role.COORDINATOR, "agency": housing.pk}
    )
    client.post(people, {"email": "sam@example.org", "role": Role.QA_MEMBER})
    assert Invitation.objects.filter(email="sam@example.org").count() == 2


def empty_choice(page: str, name: str) -> str:
    """What the list `name` offers for choosing nothing, as it is read out."""
    return re.search(rf'<select name="{name}"[^>]*>\s*<option value=""[^>]*>([^<]*)<', page)[1]


def test_the_people_form_says_what_no_agency_means_and_what_an_address_looks_like(
    client, partnership, administrator
):
    AgencyFactory(name="Police", partnership=partnership)
    client.force_login(administrator)
    page = client.get(url("partnership_people", partnership)).content.decode()
    assert empty_choice(page, "agency") == "No agency: only an agency co-ordinator has one"
    assert "---------" not in page
    data = {"email": "pat.example.org", "role": Role.VIEWER}
    refused = client.post(url("partnership_people", partnership), data).content.decode()
    assert (
        "Email address: This is not a whole email address: write it in full, for example "
        "name@example.org." in html.unescape(refused)
    )
    assert "Enter a valid email address." not in refused
    assert not Invitation.objects.exists()


def test_an_agency_chosen_for_a_role_without_one_is_said_beside_it_not_dropped(
    client, partnership, administrator, mailoutbox
):
    police = AgencyFactory(name="Police", partnership=partnership)
    client.force_login(administrator)
    data = {"email": "viewer@example.org", "role": Role.VIEWER, "agency": police.pk}
    response = client.post(url("partnership_people", partnership), data)
    page = response.content.decode()
    assert "A viewer is not invited for an agency: only an agency co-ordinator is." in page
    assert 'value="viewer@example.org"' in page
    assert not Invitation.objects.exists() and mailoutbox == []
    qa = {**data, "role": Role.QA_MEMBER}
    assert (
        "A QA member is not invited"
        in client.post(url("partnership_people", partnership), qa).content.decode()
    )


def test_a_coordinator_speaks_for_one_of_the_partnership_s_own_agencies(
    client, partnership, administrator, other_partnership
):
    theirs = Agency.objects.get(partnership=other_partnership)
    AgencyFactory(name="Police", partnership=partnership)  # one of its own to choose from
    client.force_login(administrator)
    data = {"email": "coord@example.org", "role": Role.COORDINATOR}
    for agency in ("", theirs.pk):
        response = client.post(url("partnership_people", partnership), {**data, "agency": agency})
        assert response.status_code == 422
        assert 'value="coord@example.org"' in response.content.decode()  # nothing typed is lost
    assert (
        "Choose the agency this co-ordinator speaks for"
        in client.post(url("partnership_people", partnership), data).content.decode()
    )
    assert not User.objects.filter(email="coord@example.org").exists()
    assert not Invitation.objects.filter(email="coord@example.org").exists()


def test_the_administrator_cannot_change_their_own_roles_nor_make_a_superuser(
    client, partnership, administrator
):
    client.force_login(administrator)
    response = client.post(
        url("partnership_people", partnership),
        {"email": administrator.email, "role": Role.CHAIR},
    )
    assert response.status_code == 422
    assert "You cannot change your own roles" in response.content.decode()
    assert not Membership.objects.filter(user=administrator, role=Role.CHAIR).exists()
    own = Membership.objects.get(user=administrator)
    remove = url("partnership_member_remove", partnership, own.pk)
    assert "You cannot change your own roles" in client.get(remove).content.decode()
    client.post(remove)
    assert Membership.objects.filter(pk=own.pk).exists()
    # Whatever else a request carries, no account is made staff or superuser.
    client.post(
        url("partnership_people", partnership),
        {"email": "new@example.org", "role": Role.VIEWER, "is_superuser": "on", "is_staff": "on"},
    )
    # The invitation carries a role only; the account is made by its owner on accepting.
    assert not User.objects.filter(email="new@example.org").exists()
    invited = Invitation.objects.get(email="new@example.org")
    assert invited.role == Role.VIEWER


def test_the_administrator_removes_a_role_of_their_partnership_only(
    client, audit, partnership, administrator, other_partnership
):
    viewer = member(audit, Role.VIEWER)
    elsewhere = Membership.objects.create(
        user=viewer, partnership=other_partnership, role=Role.VIEWER
    )
    client.force_login(administrator)
    assert (
        client.get(url("partnership_member_remove", partnership, elsewhere.pk)).status_code == 404
    )
    assert (
        client.post(url("partnership_member_remove", partnership, elsewhere.pk)).status_code == 404
    )
    mine = Membership.objects.get(user=viewer, partnership=partnership)
    response = client.post(url("partnership_member_remove", partnership, mine.pk))
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=mine.pk).exists()
    assert Membership.objects.filter(pk=elsewhere.pk).exists()
    assert User.objects.filter(pk=viewer.pk).exists()  # the account is kept


def test_nobody_else_opens_the_administration_pages(
    client, audit, partnership, administrator, other_partnership, outsider
):
    pages = [
        url(name, partnership)
        for name in (
            "partnership_people",
            "partnership_agencies",
            "partnership_settings",
            "partnership_logo_edit",
        )
    ]
    for role in (Role.CHAIR, Role.QA_MEMBER, Role.VIEWER):
        client.force_login(member(audit, role))
        for page in pages:
            assert client.get(page).status_code == 403, (role, page)
        assert client.get(reverse("partnership_list")).status_code == 404
    client.force_login(outsider)
    for page in pages:
        assert client.get(page).status_code == 404
    # Another partnership's administrator: 404, as if this partnership did not exist.
    theirs = UserFactory()
    Membership.objects.create(
        user=theirs, partnership=other_partnership, role=Role.PARTNERSHIP_ADMIN
    )
    client.force_login(theirs)
    for page in pages:
        assert client.get(page).status_code == 404
        assert client.post(page, {"email": "x@example.org", "role": Role.CHAIR}).status_code == 404
    assert not User.objects.filter(email="x@example.org").exists()


def test_a_chair_cannot_give_the_administrator_s_role_nor_remove_it(client, audit, administrator):
    chair = member(audit, Role.CHAIR)
    client.force_login(chair)
    members = client.get(reverse("audit_members", args=[audit.pk])).content.decode()
    assert "Partnership administrator" not in members
    response = client.post(
        reverse("audit_members", args=[audit.pk]),
        {"email": "someone@example.org", "role": Role.PARTNERSHIP_ADMIN},
    )
    assert response.status_code == 200
    assert not Membership.objects.filter(role=Role.PARTNERSHIP_ADMIN).exclude(user=administrator)
    own = Membership.objects.get(user=administrator)
    answer = client.post(reverse("audit_member_remove", args=[audit.pk, own.pk]))
    assert answer.status_code == 404
    assert Membership.objects.filter(pk=own.pk).exists()


# No case-level data by virtue of the role --------------------------------------------------------


def test_the_administrator_sees_no_audit(client, audit, administrator):
    CaseFactory(audit=audit, label="Case 1")
    ActionFactory(audit=audit, text="Invented action text")
    briefing_publish(audit=audit, user=member(audit, Role.CHAIR))
    client.force_login(administrator)
    home = client.get(reverse("home")).content.decode()
    assert audit.theme.name not in home
    assert reverse("action_plan") not in home  # no action plan in the navigation
    assert reverse("partnership_list") in home
    assert "As a partnership administrator you see no audit" in home
    assert "once your partnership's chair adds you" not in home  # it would say the opposite
    for name in ("audit_detail", "briefing_html", "briefing_pdf", "audit_actions"):
        assert client.get(reverse(name, args=[audit.pk])).status_code == 404, name
    for name in ("action_plan", "access_log", "audit_create"):
        assert client.get(reverse(name)).status_code == 404, name
    library = client.get(reverse("learning_library")).content.decode()
    assert audit.theme.name not in library


# Agencies ---------------------------------------------------------------------------------------


def test_agencies_are_the_partnership_s_own_and_their_names_unique_in_it(
    client, partnership, administrator, other_partnership
):
    client.force_login(administrator)
    add = url("partnership_agencies", partnership)
    assert client.post(add, {"name": "Police", "sector": "police"}).status_code == 302
    again = client.post(add, {"name": " police ", "sector": "police"})
    assert again.status_code == 422
    assert "The partnership already has an agency called Police." in again.content.decode()
    # Invisible characters neither make a name that looks like nothing nor a second "Police".
    for invisible in ("\u200b", "Pol\u200bice", "\u202ePolice"):
        refused = client.post(add, {"name": invisible, "sector": "police"})
        assert refused.status_code == 422, invisible
    assert Agency.objects.filter(partnership=partnership).count() == 1
    from cases.forms.setup import parse_new_agencies

    assert parse_new_agencies("Pol\u200bice\n\u3164\nHousing\u2800, housing", "other") == [
        ("Police", "other"),
        ("Housing", "housing"),
    ]
    # The other partnership's Police is another agency, and not shown here.
    mine = Agency.objects.get(partnership=partnership, name="Police")
    assert Agency.objects.filter(name="Police").count() == 2
    page = client.get(add).content.decode()
    theirs = Agency.objects.get(partnership=other_partnership)
    assert url("partnership_agency_edit", partnership, mine.pk) in page
    assert url("partnership_agency_edit", partnership, theirs.pk) not in page
    assert client.get(url("partnership_agency_edit", partnership, theirs.pk)).status_code == 404
    edit = url("partnership_agency_edit", partnership, mine.pk)
    loaded = version_of(mine)
    saved = client.post(edit, {"name": "City Police", "sector": "police", "loaded_version": loaded})
    assert saved.status_code == 302
    mine.refresh_from_db()
    assert mine.name == "City Police"
    stale = client.post(edit, {"name": "Town Police", "sector": "police", "loaded_version": loaded})
    assert stale.status_code == 422
    assert "Someone else changed this agency" in stale.content.decode()
    assert 'value="Town Police"' in stale.content.decode()


# Settings ---------------------------------------------------------------------------------------


def test_settings_start_each_new_audit_and_7_minute_briefing(client, audit, administrator):
    partnership = audit.partnership
    client.force_login(administrator)
    form = client.get(url("partnership_settings", partnership)).content.decode()
    assert "Strengths identified per case" in form
    data = {
        "protective_marking": "OFFICIAL",
        "standard_theme_and_cases": "Cases chosen by the QA group.\n\nThemes from the board.",
        "standard_process": "Chronologies from every agency.",
        "heading_theme_and_cases": "",  # MACA's wording
        "heading_process": "How we did it",
        "heading_strengths": "What went well",
        "heading_findings": "What did not",
        "heading_good_practice": "Good practice",
        "heading_recommendations": "What must change",
        "seven_minute_questions": "What will you do tomorrow?",
        "seven_minute_find_out_more": "Procedures: www.example.org",
        "loaded_version": version_of(partnership),
    }
    assert client.post(url("partnership_settings", partnership), data).status_code == 302
    partnership.refresh_from_db()
    assert partnership.heading_theme_and_cases == "Theme / Cases"
    assert partnership.heading_process == "How we did it"

    chair = member(audit, Role.CHAIR)
    client.force_login(chair)
    assert 'value="OFFICIAL"' in client.get(reverse("audit_create")).content.decode()
    new = audit_create(
        user=chair,
        partnership=partnership,
        data={
            "theme": None,
            "new_theme_name": "Exploitation",
            "title": "MACA",
            "submission_deadline": None,
            "meeting_date": None,
            "protective_marking": "OFFICIAL",
            "target_case_count": 6,
        },
    )
    assert new.heading_strengths == "What went well"
    paragraphs = new.paragraphs.order_by("order")
    assert list(paragraphs.values_list("section", "text")) == [
        ("theme_and_cases", "Cases chosen by the QA group."),
        ("theme_and_cases", "Themes from the board."),
        ("process", "Chronologies from every agency."),
    ]
    client.post(reverse("seven_minute_draft", args=[new.pk]))
    assert new.seven_minute_briefing.questions == "What will you do tomorrow?"
    audit.refresh_from_db()
    assert audit.heading_process == "Process"  # an audit already started keeps its own


@pytest.mark.parametrize(
    ("marking", "said"),
    [
        ("OFFICIAL\x0b", "invisible control character"),
        ("", "Enter the protective marking printed on every page"),
    ],
    ids=["control-character", "empty"],
)
def test_a_bad_protective_marking_is_refused_next_to_it(
    client, partnership, administrator, marking, said
):
    client.force_login(administrator)
    response = client.post(
        url("partnership_settings", partnership),
        {"protective_marking": marking, "loaded_version": version_of(partnership)},
    )
    assert response.status_code == 422
    assert said in response.content.decode()
    partnership.refresh_from_db()
    assert partnership.protective_marking == "OFFICIAL-SENSITIVE"


# The logo ---------------------------------------------------------------------------------------


def upload_logo(client, partnership, content, name="logo.png"):
    return client.post(
        url("partnership_logo_edit", partnership), {"logo": SimpleUploadedFile(name, content)}
    )


@pytest.mark.storage
def test_the_logo_is_checked_kept_in_storage_and_shown_to_members_only(
    client, audit, partnership, administrator, outsider, django_capture_on_commit_callbacks
):
    client.force_login(administrator)
    assert upload_logo(client, partnership, png()).status_code == 302
    partnership.refresh_from_db()
    assert partnership.logo_kind == "png"
    assert stored_files() == [partnership.logo.name]
    for who in (administrator, member(audit, Role.VIEWER), member(audit, Role.CHAIR)):
        client.force_login(who)
        answer = client.get(url("partnership_logo", partnership))
        assert answer.status_code == 200
        assert answer["Content-Type"] == "image/png"
        assert answer["X-Content-Type-Options"] == "nosniff"
        assert b"".join(answer.streaming_content) == png()
        page = client.get(reverse("home")).content.decode()
        assert url("partnership_logo", partnership) in page and partnership.name in page
    client.force_login(outsider)
    answer = client.get(url("partnership_logo", partnership))
    assert answer.status_code == 404 and not getattr(answer, "streaming", False)

    # Replaced: the earlier file goes once the new one is kept; removed: nothing is left.
    client.force_login(administrator)
    earlier = partnership.logo.name
    with django_capture_on_commit_callbacks(execute=True):
        upload_logo(client, partnership, png(3, 1))
    partnership.refresh_from_db()
    assert stored_files() == [partnership.logo.name] and partnership.logo.name != earlier
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("partnership_logo_remove", partnership))
    partnership.refresh_from_db()
    assert not partnership.logo and stored_files() == []
    assert client.get(url("partnership_logo", partnership)).status_code == 404
    page = client.get(reverse("home")).content.decode()
    assert partnership.name in page and url("partnership_logo", partnership) not in page


@pytest.mark.storage
@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "Files named .svg"),
        ("logo.png", b"%PDF-1.4\n%%EOF\n", "is not a PNG or JPEG image"),
        ("logo.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "is not a PNG or JPEG image"),
        ("logo.png", png()[:40], "damaged or cut short"),
        ("logo.png", png(4001, 1), "up to 4,000 pixels"),
        ("logo.png", b"", "The file is empty"),
    ],
)
def test_a_logo_that_is_not_a_png_or_jpeg_picture_is_refused_and_nothing_kept(
    client, partnership, administrator, name, content, words
):
    client.force_login(administrator)
    response = upload_logo(client, partnership, content, name)
    assert response.status_code == 422
    assert words in response.content.decode()
    partnership.refresh_from_db()
    assert not partnership.logo and stored_files() == []


@pytest.mark.storage
def test_a_logo_over_its_size_cap_is_refused(client, partnership, administrator, settings):
    settings.MACA_LOGO_MAX_BYTES = 100
    client.force_login(administrator)
    response = upload_logo(client, partnership, png(40, 40) + b"\x00" * 200)
    assert response.status_code == 422
    assert "a logo can be up to 100" in response.content.decode()
    assert stored_files() == []


def test_the_logo_and_name_head_the_briefing_the_7_minute_briefing_and_the_plan(
    client, audit, partnership, administrator, tmp_path
):
    from docx import Document

    client.force_login(administrator)
    upload_logo(client, partnership, png(20, 10))
    chair = member(audit, Role.CHAIR)
    CaseFactory(audit=audit, label="Case 1")
    ActionFactory(
        audit=audit, text="Write a protocol.", owner_agency=AgencyFactory(partnership=partnership)
    )
    client.force_login(chair)
    data_uri = re.compile(
        r'<img class="partnership-logo" src="data:image/png;base64,[^"]+" alt="Logo of '
    )
    for name in ("briefing_html", "seven_minute"):
        page = client.get(reverse(name, args=[audit.pk])).content.decode()
        assert data_uri.search(page), name
        assert partnership.name in page
    for name in ("briefing_pdf", "seven_minute_pdf"):
        pdf = client.get(reverse(name, args=[audit.pk]), follow=True).content
        assert b"/Subtype /Image" in pdf, name
        assert partnership.name in pdf_text(pdf, tmp_path)
    plan = client.get(reverse("action_plan_pdf"), follow=True).content
    assert b"/Subtype /Image" in plan and partnership.name in pdf_text(plan, tmp_path)
    for name in ("briefing_docx", "seven_minute_docx"):
        document = Document(BytesIO(client.get(reverse(name, args=[audit.pk])).content))
        assert document.inline_shapes, name
        assert document.inline_shapes[0]._inline.docPr.get("descr") == f"Logo of {partnership.name}"
        assert partnership.name in [p.text for p in document.paragraphs]
    # A published version keeps the logo it went out with.
    version = briefing_publish(audit=audit, user=chair)
    assert "data:image/png;base64," in BriefingVersion.objects.get(pk=version.pk).html


def test_the_settings_do_not_save_over_a_chair_s_standard_7_minute_text(
    client, partnership, administrator
):
    from findings.services import partnership_seven_minute_text_update

    client.force_login(administrator)
    loaded = version_of(partnership)
    partnership_seven_minute_text_update(
        partnership=partnership, questions="The chair's question?", find_out_more=""
    )
    response = client.post(
        url("partnership_settings", partnership),
        {"protective_marking": "OFFICIAL", "seven_minute_questions": "", "loaded_version": loaded},
    )
    assert response.status_code == 422
    assert "Someone else changed the partnership&#x27;s settings" in response.content.decode()
    partnership.refresh_from_db()
    assert partnership.seven_minute_questions == "The chair's question?"


def test_the_logo_hint_gives_the_size_limit_as_people_write_it(client, partnership, administrator):
    client.force_login(administrator)
    page = client.get(url("partnership_logo_edit", partnership)).content.decode()
    assert "A PNG or JPEG picture, up to 512\xa0KB." in page
    assert "512.0" not in page


def test_the_operator_invites_a_new_partnership_s_first_administrator_by_command(
    client, other_partnership, mailoutbox, settings, django_capture_on_commit_callbacks
):
    from io import StringIO

    from django.core.management import CommandError, call_command

    settings.SITE_URL = "https://maca.example.org"
    said = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "invite_administrator", "Eve.Admin@Example.org", partnership="southshire partnership",
            stdout=said,
        )  # fmt: skip
    assert (
        "Invited eve.admin@example.org to administer 'Southshire Partnership': the email was sent "
        "now" in said.getvalue()
    )
    (email,) = mailoutbox
    assert email.to == ["eve.admin@example.org"]
    assert email.body.startswith("Hello,\n\nYou are invited to MACA, the multi-agency case audit")
    assert "None" not in email.body and "ask whoever runs MACA for your partnership" in email.body
    # A second run moments later sends no second email, and says so.
    call_command(
        "invite_administrator", "eve.admin@example.org", partnership="Southshire Partnership",
        stdout=said,
    )  # fmt: skip
    assert "no second one was sent" in said.getvalue() and len(mailoutbox) == 1

    link = re.search(r"https://maca\.example\.org(/invitations/\S+/)", email.body).group(1)
    assert "Create your account" in client.get(link).content.decode()
    password = "a-long-new-pass-4521"
    client.post(
        link,
        {"first_name": "Eve", "last_name": "Admin", "password1": password, "password2": password},
    )
    eve = User.objects.get(email="eve.admin@example.org")
    assert Membership.objects.get(user=eve).role == Role.PARTNERSHIP_ADMIN
    assert Membership.objects.get(user=eve).partnership == other_partnership

    # Two of the same letters: the one written as given, else a question rather than a guess.
    shouting = Partnership.objects.create(name="SOUTHSHIRE PARTNERSHIP")
    call_command("invite_administrator", "s@example.org", partnership="SOUTHSHIRE PARTNERSHIP")
    assert Invitation.objects.get(email="s@example.org").partnership == shouting
    with pytest.raises(CommandError, match="Several partnerships are named so"):
        call_command("invite_administrator", "t@example.org", partnership="southshire partnership")
    with pytest.raises(CommandError, match="No partnership is named 'Northvale'.*Southshire"):
        call_command("invite_administrator", "x@example.org", partnership="Northvale")
    with pytest.raises(CommandError, match="valid email"):
        call_command("invite_administrator", "not-an-address", partnership="Southshire Partnership")
    # An account made from the invitation is named by its address: no longer than a name.
    longest = "a" * 60 + "." + "b" * 60 + "@" + "c" * 16 + ".example.org"  # 150 characters
    call_command("invite_administrator", longest, partnership="Southshire Partnership")
    with pytest.raises(CommandError, match="at most 150 characters"):
        call_command("invite_administrator", "a" + longest, partnership="Southshire Partnership")


def test_an_invitation_that_lapsed_unanswered_stays_listed_for_a_month(
    client, partnership, administrator
):
    import datetime

    from django.utils import timezone

    client.force_login(administrator)
    for email in ("frank@example.org", "gina@example.org", "old@example.org"):
        client.post(
            url("partnership_people", partnership), {"email": email, "role": Role.QA_MEMBER}
        )
    Invitation.objects.update(expires=timezone.now() - datetime.timedelta(days=2))
    Invitation.objects.filter(email="old@example.org").update(
        expires=timezone.now() - datetime.timedelta(days=31)
    )
    client.post(  # Gina is invited again: her new invitation is the one listed
        url("partnership_people", partnership),
        {"email": "gina@example.org", "role": Role.QA_MEMBER},
    )
    page = plain(client.get(url("partnership_people", partnership)))
    lapsed = page[page.index("Invitations that lapsed unanswered") :]
    assert "frank@example.org QA member" in lapsed
    assert "gina@example.org" not in lapsed and "old@example.org" not in lapsed
    assert "gina@example.org" in page[: page.index("Invitations that lapsed unanswered")]


def test_an_agency_name_refused_as_too_long_is_not_also_said_to_be_missing(
    client, partnership, administrator
):
    client.force_login(administrator)
    add = url("partnership_agencies", partnership)
    for typed in ("A" * 300, "Youth\x07Offending", ""):
        refused = client.post(add, {"name": typed, "sector": "other"})
        assert refused.status_code == 422, repr(typed)
        page = html.unescape(refused.content.decode())
        assert "Give the agency's name." not in page, repr(typed)
    # A name of nothing but invisible characters is still said to be missing.
    blank = client.post(add, {"name": "\u200b\u3164", "sector": "other"})
    assert "Give the agency's name." in html.unescape(blank.content.decode())


def test_an_agency_typed_with_another_apostrophe_or_dash_is_the_agency_already_there(
    client, partnership, administrator
):
    from cases.services.setup import _agencies

    AgencyFactory(name="Children’s Social Care", partnership=partnership)
    AgencyFactory(name="Health – GP practices", partnership=partnership)
    AgencyFactory(name="Police", partnership=partnership)
    before = Agency.objects.filter(partnership=partnership).count()
    client.force_login(administrator)
    add = url("partnership_agencies", partnership)
    typed_alike = (
        "Children's social care",
        "Health - GP practices",
        "Ｈealth – GP  practices",
        "Polic\u0435",  # its last letter Cyrillic
        "Children\u2019s Soc\u0456al Care",  # a Cyrillic і
    )
    for typed in typed_alike:
        refused = client.post(add, {"name": typed, "sector": "other"})
        assert refused.status_code == 422, typed
        assert "The partnership already has an agency called" in html.unescape(
            refused.content.decode()
        )
    # A chair typing a new audit's agencies takes the one already there, too.
    taken = _agencies(partnership, {"new_agencies": [("Children's Social Care", "other")]})
    assert [agency.name for agency in taken] == ["Children’s Social Care"]
    assert Agency.objects.filter(partnership=partnership).count() == before


def test_the_settings_page_says_what_a_new_audit_starts_with_when_the_points_are_empty(
    client, audit, administrator
):
    """A new audit never starts with another audit's points: the page says MACA's wording is
    used, as it is."""
    client.force_login(administrator)
    page = html.unescape(
        client.get(url("partnership_settings", audit.partnership)).content.decode()
    )
    assert "latest audit" not in page
    assert "a new audit starts with MACA's wording of the usual process" in page


def test_inviting_a_co_ordinator_before_any_agency_says_where_agencies_are_added(client):
    """A new partnership has no agency: inviting a co-ordinator then says to add the agency
    first, rather than asking to choose from an empty list; what was typed is kept."""
    new = Partnership.objects.create(name="Eastvale Partnership")
    own = UserFactory(username="eastvale-admin")
    Membership.objects.create(user=own, partnership=new, role=Role.PARTNERSHIP_ADMIN)
    client.force_login(own)
    response = client.post(
        url("partnership_people", new), {"email": "coord@example.org", "role": Role.COORDINATOR}
    )
    assert response.status_code == 422
    page = html.unescape(response.content.decode())
    assert "The partnership has no agencies yet: add this co-ordinator's agency under" in page
    assert 'value="coord@example.org"' in page
    assert not Invitation.objects.filter(email="coord@example.org").exists()
