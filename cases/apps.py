from django.apps import AppConfig
from django.db.models.signals import post_delete


class CasesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cases"

    def ready(self):
        from maca.files import delete_file_with_record

        post_delete.connect(
            delete_file_with_record,
            sender=self.get_model("ChronologyFile"),
            dispatch_uid="chronology_file_deleted",
        )
        # The stage emails join the daily reminders run; the audits are offered by the access
        # log's filter.
        from . import selectors  # noqa: F401
        from .services import stage_emails  # noqa: F401
