from django.apps import AppConfig


class FindingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "findings"

    def ready(self):
        # Registers the reminder to agencies that have not recorded using the briefing.
        from . import usage  # noqa: F401
