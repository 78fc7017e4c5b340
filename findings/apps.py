from django.apps import AppConfig


class FindingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "findings"

    def ready(self):
        from cases.services.retention import register_case_level_model

        # The meeting's notes on each case go when the audit's retention period ends.
        register_case_level_model("meeting notes", self.get_model("CaseMeetingNote"))

        # Every new partnership starts with the same learning themes.
        from django.db.models.signals import post_save

        from maca.models import Partnership

        from .services import give_new_partnership_its_tags

        post_save.connect(
            give_new_partnership_its_tags, sender=Partnership, dispatch_uid="learning_tags"
        )

        # Registers the reminder to agencies that have not recorded using the briefing, and the
        # briefing's versions with the stage emails.
        from . import publishing, usage  # noqa: F401
