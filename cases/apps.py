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
        from maca import once

        # The stage emails join the daily reminders run; the audits are offered by the access
        # log's filter.
        from . import access, selectors  # noqa: F401
        from .services import stage_emails  # noqa: F401

        # A form sent again is answered with the first press's page only while its sender may
        # still reach the audit or partnership its address names.
        once.register_gate("pk", access.audit_reached)
        once.register_gate("partnership_id", access.partnership_reached)

        from maca.models import password_changed

        from .services.emails import password_change_notify

        password_changed.connect(password_change_notify, dispatch_uid="password_change_notify")
