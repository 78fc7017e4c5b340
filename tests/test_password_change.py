"""Changing one's own password while signed in: the current one asked for, every other session
ended, this one kept, the owner emailed, and guesses at the current one limited."""

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.urls import reverse

from maca.models import User
from maca.once import FIELD
from maca.signin import KNOWN_BROWSER_COOKIE

from .factories import PASSWORD, UserFactory
from .test_one_press import form_on, press_twice, said

pytestmark = pytest.mark.django_db

URL = reverse("password_change")
NEW = "a-new-long-pass-7193"


@pytest.fixture
def person():
    return UserFactory(username="nia", email="nia@example.org", first_name="Nia")


def signed_in(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def change(client, *, current=PASSWORD, new=NEW, again=None):
    fields = form_on(client, URL)
    assert fields.get(FIELD), "the form carries no one-time token"
    data = {**fields, "old_password": current, "new_password1": new, "new_password2": again or new}
    return client.post(URL, data)


def test_changing_the_password_ends_every_other_session_and_keeps_this_one(
    person, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://maca.example.org"
    here, elsewhere = signed_in(person), signed_in(person)
    assert elsewhere.get(reverse("home")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = change(here)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert KNOWN_BROWSER_COOKIE in response.cookies  # this browser stays one they sign in from
    page = here.get(reverse("home"))
    assert page.status_code == 200
    assert "Your password was changed. Anywhere else you were signed in" in page.content.decode()
    # The other browser is signed out on its very next request.
    assert elsewhere.get(reverse("home"))["Location"].startswith(reverse("login"))
    person.refresh_from_db()
    assert person.check_password(NEW) and not person.check_password(PASSWORD)
    # The owner is told, in case it was not them, with where to set a new one.
    (notice,) = mailoutbox
    assert notice.to == ["nia@example.org"]
    assert notice.subject == "Your MACA password was changed"
    assert "If you did not, someone else may have signed in as you" in notice.body
    assert "https://maca.example.org/password/reset/" in notice.body


def test_a_wrong_current_password_or_a_weak_new_one_is_said_by_its_field_and_changes_nothing(
    person, mailoutbox
):
    client = signed_in(person)
    wrong = change(client, current="not-my-password")
    assert wrong.status_code == 422
    page = wrong.content.decode()
    assert "<title>Error: Change your password" in page
    assert "This is not your current password. Type it again." in page
    weak = change(client, new="password", again="password").content.decode()
    assert "This password is too common." in weak
    mismatched = change(client, again="a-different-pass-8842").content.decode()
    assert "The two password fields didn’t match." in mismatched
    person.refresh_from_db()
    assert person.check_password(PASSWORD)
    assert [(m.to, m.subject) for m in mailoutbox] == []


def test_five_wrong_current_passwords_sign_the_session_out(person):
    client = signed_in(person)
    for _ in range(4):
        assert change(client, current="a-guess").status_code == 422
    fifth = change(client, current="a-guess")
    assert fifth["Location"] == reverse("login")
    assert "too many wrong passwords" in " ".join(said(fifth))
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))
    person.refresh_from_db()
    assert person.check_password(PASSWORD)


def test_a_right_password_after_wrong_ones_starts_the_count_again(person):
    client = signed_in(person)
    for _ in range(4):
        change(client, current="a-guess")
    assert change(client).status_code == 302
    for _ in range(4):
        assert change(client, current="a-guess").status_code == 422


def test_guesses_sent_at_once_are_counted_as_they_arrive_and_those_past_five_not_checked(
    person,
):
    """Five presses counted already (sent at once, still being checked): a sixth is refused
    unchecked, even with the right password, and signs the session out."""
    client = signed_in(person)
    fields = form_on(client, URL)
    User.objects.filter(pk=person.pk).update(current_password_tries=5)
    data = {**fields, "old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}
    refused = client.post(URL, data)
    assert refused["Location"] == reverse("login")
    person.refresh_from_db()
    assert person.check_password(PASSWORD)
    signing_in = Client().post(reverse("login"), {"username": "nia", "password": PASSWORD})
    assert signing_in.status_code == 302  # signing in starts the count again
    person.refresh_from_db()
    assert person.current_password_tries == 0


def test_the_count_of_guesses_is_the_accounts_not_a_sessions(person):
    first, second = signed_in(person), signed_in(person)
    for _ in range(3):
        assert change(first, current="a-guess").status_code == 422
    assert change(second, current="a-guess").status_code == 422
    assert change(second, current="a-guess")["Location"] == reverse("login")


def test_a_second_press_changes_the_password_and_emails_the_owner_once(
    person, mailoutbox, django_capture_on_commit_callbacks
):
    client = signed_in(person)
    fields = {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}
    with django_capture_on_commit_callbacks(execute=True):
        first, second = press_twice(client, URL, changes=fields)
    assert first.status_code == 302 and second.status_code == 302
    assert second["Location"] == first["Location"]
    assert len(mailoutbox) == 1
    assert User.objects.get(pk=person.pk).check_password(NEW)


def test_setting_a_password_from_an_emailed_link_emails_the_owner_too(
    person, mailoutbox, django_capture_on_commit_callbacks
):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    client = Client()
    uid = urlsafe_base64_encode(force_bytes(person.pk))
    token = default_token_generator.make_token(person)
    link = reverse("password_reset_confirm", args=[uid, token])
    form = client.get(link, follow=True)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302
    assert [message.subject for message in mailoutbox] == ["Your MACA password was changed"]


def test_every_page_offers_the_change_to_someone_signed_in(person):
    page = signed_in(person).get(reverse("home")).content.decode()
    assert f'href="{URL}">Password</a>' in page


def test_a_password_set_by_the_host_emails_the_owner_too_but_a_new_account_or_sign_in_does_not(
    person, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    with django_capture_on_commit_callbacks(execute=True):
        UserFactory(username="new", email="new@example.org")  # a first password
        # A hash of an older kind, made again in the preferred one as they sign in.
        person.password = make_password("known-to-nia-1", hasher="md5")
        person.save()
        signing_in = Client().post(
            reverse("login"), {"username": "nia", "password": "known-to-nia-1"}
        )
        assert signing_in.status_code == 302
    person.refresh_from_db()
    assert person.password.startswith("pbkdf2_sha256$")  # upgraded
    assert [(m.to, m.subject) for m in mailoutbox] == []
    with django_capture_on_commit_callbacks(execute=True):
        person.refresh_from_db()
        person.set_password("set-by-the-host-1")  # /admin/ or manage.py changepassword
        person.save()
    assert [m.to for m in mailoutbox] == [["nia@example.org"]]
    assert mailoutbox[0].subject == "Your MACA password was changed"
    with django_capture_on_commit_callbacks(execute=True):
        person.set_unusable_password()  # /admin/'s "Password-based authentication: Disabled"
        person.save()
    assert len(mailoutbox) == 2


def test_the_form_names_each_password_for_what_it_is(person):
    from maca.password import OwnPasswordForm

    from .test_chronology_files import plain

    page = plain(signed_in(person).get(URL))
    for label in ("Your current password", "New password", "The new password again"):
        assert f" {label} " in page, label
    assert OwnPasswordForm(person, data={"old_password": "x"}).is_bound  # as a keyword too
