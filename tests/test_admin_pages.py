"""Django's administration pages are for the installation's staff: case-level models are shown to
superusers only, read only, and every look at them is in the access log."""

import html
import re
from pathlib import PurePosixPath

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from cases.admin import CaseLevelAdmin
from cases.models import ChronologyFile
from maca.middleware import ADMIN_CASE_LEVEL_APPS
from maca.models import AccessLogEntry, Partnership

from .factories import AgencyFactory, CaseFactory, UserFactory

pytestmark = pytest.mark.django_db

CASE_LEVEL = sorted(
    (model for model in admin.site._registry if model._meta.app_label in ADMIN_CASE_LEVEL_APPS),
    key=lambda model: model._meta.label,
)


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def staff(client):
    """A staff account that is not a superuser, holding every permission there is."""
    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.all())
    client.force_login(user)
    return user


@pytest.fixture
def superuser(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def test_every_case_level_model_is_behind_the_case_level_rules():
    assert CASE_LEVEL
    for model in CASE_LEVEL:
        assert isinstance(admin.site._registry[model], CaseLevelAdmin), model


def test_staff_who_are_not_superusers_see_no_case_level_model(client, staff, audit):
    index = client.get(reverse("admin:index")).content.decode()
    for model in CASE_LEVEL:
        assert url(model, "changelist") not in index, model
        assert client.get(url(model, "changelist")).status_code == 403, model
    assert client.get(url(type(audit), "change", audit.pk)).status_code == 403
    # What they are there for: partnerships, agencies, people and their memberships.
    assert reverse("admin:maca_partnership_changelist") in index
    assert reverse("admin:maca_agency_changelist") in index
    assert reverse("admin:maca_membership_changelist") in index


def test_superusers_read_case_level_models_and_change_nothing(client, superuser, audit):
    case = CaseFactory(audit=audit, label="Case 1")
    page = client.get(url(type(case), "change", case.pk))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.post(url(type(case), "change", case.pk), {"label": "Renamed"}).status_code == 403
    assert client.get(url(type(case), "delete", case.pk)).status_code == 403
    assert client.post(url(type(case), "delete", case.pk), {"post": "yes"}).status_code == 403
    assert client.get(url(type(case), "add")).status_code == 403
    case.refresh_from_db()
    assert case.label == "Case 1"
    for model in CASE_LEVEL:
        model_admin = admin.site._registry[model]
        assert model_admin.has_view_permission(page.wsgi_request), model
        for change in ("add", "change", "delete"):
            assert not getattr(model_admin, f"has_{change}_permission")(page.wsgi_request), model


def test_every_look_of_a_superuser_at_case_level_data_is_in_the_access_log(
    client, superuser, audit
):
    case = CaseFactory(audit=audit, label="Case 1")
    for model in CASE_LEVEL:
        before = AccessLogEntry.objects.count()
        assert client.get(url(model, "changelist")).status_code == 200, model
        assert AccessLogEntry.objects.count() == before + 1, model
    client.get(url(type(case), "change", case.pk))
    entry = AccessLogEntry.objects.first()
    assert (entry.what, entry.audit_id, entry.username) == (
        "cases_case_change",
        audit.pk,
        superuser.username,
    )


@pytest.mark.storage
def test_a_chronology_documents_page_names_its_file_but_hands_out_no_address_of_it(
    client, superuser, audit
):
    """The file leaves only through MACA's access-checked, logged download: the page gives no
    link to it (with an object store, a link would be a signed address that fetches the file
    for an hour, from anywhere, with no entry in the access log)."""
    case = CaseFactory(audit=audit, label="Case 1")
    upload = ChronologyFile(
        case=case,
        agency=AgencyFactory(partnership=audit.partnership),
        original_name="chronology.csv",
        kind="csv",
        size=3,
        sha256="a" * 64,
    )
    upload.file.save("chronology.csv", ContentFile(b"a,b"), save=False)
    upload.save()
    page = client.get(url(ChronologyFile, "change", upload.pk)).content.decode()
    assert "chronology.csv" in page
    stored = PurePosixPath(upload.file.name).name
    assert stored in page  # which file it is, for the host
    assert not re.search(rf'href="[^"]*{re.escape(stored)}', page)
    assert default_storage.url(upload.file.name) not in html.unescape(page)


def test_adding_a_partnership_says_how_to_invite_its_first_administrator(client, superuser):
    response = client.post(
        reverse("admin:maca_partnership_add"), {"name": "Eastvale Partnership"}, follow=True
    )
    assert Partnership.objects.filter(name="Eastvale Partnership").exists()
    assert (
        "Next, invite its first partnership administrator: manage.py invite_administrator EMAIL "
        '--partnership "Eastvale Partnership".'
    ) in html.unescape(response.content.decode())


def _user_form(user, **changes) -> dict:
    """The user's change form as the page sends it, with `changes`."""
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "is_staff": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "09:00:00",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    return {**data, **changes}


def test_staff_who_are_not_superusers_cannot_make_anyone_a_superuser_nor_give_permissions(
    client, staff
):
    """Whatever permissions a staff account holds, it cannot make itself (or an account it
    controls) a superuser, who reads every partnership's case-level data, nor give itself or
    anyone permissions or groups: "Case-level data is shown to superusers only" would otherwise
    hold only until a staff account ticked a box."""
    other = UserFactory(is_staff=True)
    for user in (staff, other):
        page = client.get(url(type(user), "change", user.pk)).content.decode()
        for field in ("is_superuser", "user_permissions", "groups", "is_staff"):
            assert f'name="{field}"' not in page, field
        before = set(user.user_permissions.all())
        response = client.post(
            url(type(user), "change", user.pk),
            _user_form(user, is_superuser="on", user_permissions=[1]),
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        user.refresh_from_db()
        assert not user.is_superuser
        assert set(user.user_permissions.all()) == before


def test_superusers_still_give_staff_and_superuser_status(client, superuser):
    other = UserFactory()
    assert (
        'name="is_superuser"' in client.get(url(type(other), "change", other.pk)).content.decode()
    )
    client.post(url(type(other), "change", other.pk), _user_form(other, is_superuser="on"))
    other.refresh_from_db()
    assert other.is_superuser and other.is_staff


def test_staff_who_are_not_superusers_cannot_give_anyone_a_role_in_a_partnership(client, staff):
    """A role is given by an invitation, which the partnership's chairs are told of: a staff
    account could otherwise make itself, or an account it made, chair of any partnership and
    read its audits in MACA's own pages. It may still end a role (a breach contained)."""
    from maca.models import Membership

    from .factories import MembershipFactory, PartnershipFactory

    elsewhere = PartnershipFactory()
    add = reverse("admin:maca_membership_add")
    assert client.get(add).status_code == 403
    sent = {"user": staff.pk, "partnership": elsewhere.pk, "role": "chair", "agency": ""}
    assert client.post(add, sent).status_code == 403
    held = MembershipFactory(user=UserFactory(), partnership=elsewhere, role="viewer")
    change = reverse("admin:maca_membership_change", args=[held.pk])
    client.post(change, {**sent, "user": held.user_id})
    held.refresh_from_db()
    assert (held.user_id, held.role) != (staff.pk, "chair")
    response = client.post(
        url(type(staff), "change", staff.pk),
        _user_form(
            staff,
            **{
                "memberships-TOTAL_FORMS": "1",
                "memberships-0-partnership": elsewhere.pk,
                "memberships-0-role": "chair",
                "memberships-0-agency": "",
            },
        ),
    )
    assert response.status_code in (302, 403)
    assert not Membership.objects.filter(user=staff).exists()
    delete = reverse("admin:maca_membership_delete", args=[held.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not Membership.objects.filter(pk=held.pk).exists()


def test_superusers_still_give_a_role_in_admin(client, superuser):
    from maca.models import Membership

    from .factories import PartnershipFactory

    elsewhere, person = PartnershipFactory(), UserFactory()
    sent = {"user": person.pk, "partnership": elsewhere.pk, "role": "viewer", "agency": ""}
    assert client.post(reverse("admin:maca_membership_add"), sent).status_code == 302
    assert Membership.objects.filter(user=person, partnership=elsewhere).exists()


def test_staff_who_are_not_superusers_cannot_take_over_anyone_s_account(client, staff):
    """Setting a chair's password, or their address to one of the staff account's own and then
    asking for a reset link, would be signing in as them, into every audit they chair. An
    address is still added where an account has none (so that it can ask for a reset link)."""
    chair = UserFactory(email="chair@example.org")
    chair.set_password("the-chairs-Own-42")
    chair.save()
    password_page = reverse("admin:auth_user_password_change", args=[chair.pk])
    assert client.get(password_page).status_code == 403
    sent = {"password1": "taken-Over-pass-42", "password2": "taken-Over-pass-42"}
    assert client.post(password_page, sent).status_code == 403
    chair.refresh_from_db()
    assert chair.check_password("the-chairs-Own-42")
    page = client.get(url(type(chair), "change", chair.pk)).content.decode()
    assert 'name="email"' not in page
    client.post(url(type(chair), "change", chair.pk), _user_form(chair, email="me@staff.example"))
    chair.refresh_from_db()
    assert chair.email == "chair@example.org"
    without = UserFactory(email="")
    assert 'name="email"' in client.get(url(type(without), "change", without.pk)).content.decode()
    client.post(
        url(type(without), "change", without.pk), _user_form(without, email="n@example.org")
    )
    without.refresh_from_db()
    assert without.email == "n@example.org"


def test_an_agency_stays_in_the_partnership_it_was_added_to(client, superuser):
    """Its audits, actions and members are its partnership's: moved, they would be another's."""
    from maca.models import Agency

    from .factories import PartnershipFactory

    police, elsewhere = AgencyFactory(name="Police"), PartnershipFactory()
    change = reverse("admin:maca_agency_change", args=[police.pk])
    sent = {"name": "Police", "partnership": elsewhere.pk, "sector": police.sector}
    assert client.post(change, sent).status_code == 302
    assert Agency.objects.get(pk=police.pk).partnership_id != elsewhere.pk
    added = {"name": "Fire", "partnership": elsewhere.pk, "sector": police.sector}
    assert client.post(reverse("admin:maca_agency_add"), added).status_code == 302
    assert Agency.objects.get(name="Fire").partnership_id == elsewhere.pk


def test_staff_who_are_not_superusers_cannot_give_an_address_to_an_account_that_holds_a_role(
    client, staff
):
    """An account without an address (a superuser made by `createsuperuser`, which does not ask
    for one; a chair's made on the server) is signed into by whoever gives it their own address
    and asks for a reset link: only an account holding nothing yet has one added by staff."""
    from .factories import MembershipFactory

    chair = MembershipFactory(user=UserFactory(email=""), role="chair").user
    root = UserFactory(email="", is_staff=True, is_superuser=True)
    for account in (chair, root):
        page = client.get(url(type(account), "change", account.pk)).content.decode()
        assert 'name="email"' not in page
        response = client.post(
            url(type(account), "change", account.pk), _user_form(account, email="me@staff.example")
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        account.refresh_from_db()
        assert account.email == ""


def test_staff_who_are_not_superusers_cannot_give_their_group_permissions(client, staff):
    from django.contrib.auth.models import Group

    group = Group.objects.create(name="Help desk")
    staff.groups.add(group)
    change = reverse("admin:auth_group_change", args=[group.pk])
    assert client.get(change).status_code == 403
    sent = {"name": "Help desk", "permissions": [p.pk for p in Permission.objects.all()[:5]]}
    assert client.post(change, sent).status_code == 403
    assert not group.permissions.exists()
    assert client.get(reverse("admin:auth_group_add")).status_code == 403


def test_superusers_still_keep_groups(client, superuser):
    assert client.get(reverse("admin:auth_group_add")).status_code == 200


def test_an_account_named_by_an_address_with_an_apostrophe_is_saved_in_admin(client, superuser):
    """An account made by accepting an invitation is named by its address, which may hold
    characters a typed user name once could not: switching it off must not ask to rename it."""
    other = UserFactory(username="nia.o'brien@example.org", email="nia.o'brien@example.org")
    response = client.post(url(type(other), "change", other.pk), _user_form(other, is_active=""))
    assert response.status_code == 302
    other.refresh_from_db()
    assert not other.is_active
