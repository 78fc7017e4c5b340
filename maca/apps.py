from django.apps import AppConfig


class MacaConfig(AppConfig):
    name = "maca"
    verbose_name = "MACA"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from maca import lookups  # noqa: F401 (registers the integer `in` lookup)
        from maca.middleware import mark_session_seen

        user_logged_in.connect(mark_session_seen, dispatch_uid="maca_mark_session_seen")

        from django.core.validators import MaxLengthValidator

        from maca.wording import TOO_LONG

        # Every text's limit worded alike, a form's or a model's: as the page says it while typing.
        MaxLengthValidator.message = TOO_LONG

        from maca.upload_handlers import prepare_upload_temp_dir

        prepare_upload_temp_dir()
