from django.apps import AppConfig


class FindingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "findings"

    def ready(self):
        from cases.services.retention import register_case_level_model

        # The meeting's notes on each case go when the audit's retention period ends.
        register_case_level_model("meeting notes", self.get_model("CaseMeetingNote"))

        # Registers the reminder to agencies that have not recorded using the briefing.
        from . import usage  # noqa: F401
