from django.apps import AppConfig


class ActionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "actions"

    def ready(self):
        # Registers the action plan's reminders with the daily send_reminders run.
        from . import reminders  # noqa: F401
