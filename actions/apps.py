from django.apps import AppConfig
from django.db.models.signals import post_delete


class ActionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "actions"

    def ready(self):
        from maca import once
        from maca.files import delete_file_with_record

        # Registers the action plan's reminders with the daily send_reminders run, the plan's
        # words with the check made before the briefing is published and its actions with the
        # briefing's annex, and its "Update the action" tasks with the home page.
        from . import my_tasks, publishing, reminders  # noqa: F401
        from .access import get_action_for

        # A form sent again about an action is answered with the first press's page only while
        # its sender may still open the action.
        once.register_gate("action_id", get_action_for)

        post_delete.connect(
            delete_file_with_record,
            sender=self.get_model("Evidence"),
            dispatch_uid="evidence_deleted",
        )
        post_delete.connect(
            delete_file_with_record,
            sender=self.get_model("PackageImport"),
            dispatch_uid="package_import_deleted",
        )
