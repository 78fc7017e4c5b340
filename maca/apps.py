from django.apps import AppConfig


class MacaConfig(AppConfig):
    name = "maca"
    verbose_name = "MACA"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from maca import checks, lookups  # noqa: F401 (registers the `in` lookup, the checks)
        from maca.middleware import mark_session_seen

        user_logged_in.connect(mark_session_seen, dispatch_uid="maca_mark_session_seen")
        from maca.password import password_tries_end_on_sign_in

        user_logged_in.connect(password_tries_end_on_sign_in, dispatch_uid="maca_password_tries")

        from django.db.models.signals import pre_delete

        from maca.invitations import withdraw_invitations_of_deleted_account
        from maca.models import User

        pre_delete.connect(
            withdraw_invitations_of_deleted_account,
            sender=User,
            dispatch_uid="maca_withdraw_invitations_of_deleted_account",
        )

        from django.core.validators import MaxLengthValidator

        from maca.wording import TOO_LONG

        # Every text's limit worded alike, a form's or a model's: as the page says it while typing.
        MaxLengthValidator.message = TOO_LONG

        _name_empty_fields_when_forms_are_checked()

        from maca.upload_handlers import prepare_upload_temp_dir

        prepare_upload_temp_dir()


def _name_empty_fields_when_forms_are_checked() -> None:
    """Every form, MACA's and the libraries' alike, says which field was left empty, and what is
    wrong with a date or an email address it cannot read. Done as the form is checked, so that
    labels a form sets after it is made are the ones named."""
    from django.forms import BaseForm

    from maca.wording import explain_invalid_values, name_empty_fields

    full_clean = BaseForm.full_clean
    if getattr(full_clean, "names_empty_fields", False):
        return

    def full_clean_naming_empty_fields(form):
        name_empty_fields(form)
        explain_invalid_values(form)
        full_clean(form)

    full_clean_naming_empty_fields.names_empty_fields = True
    BaseForm.full_clean = full_clean_naming_empty_fields
