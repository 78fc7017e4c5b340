from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = "Requested documents"

    def ready(self):
        from cases.services.retention import register_audit_copies, register_kept_for_a_while

        documents = self.get_model("RequestedDocument").objects
        # The documents made of an audit hold its case-level data: they go with its children's
        # identifying details (the chair's purge) and with its case-level data (retention).
        register_audit_copies("requested documents", documents.of_audit)
        # Whatever the audit, none outlives its keeping time waiting for the next request.
        register_kept_for_a_while("requested documents", documents.past_keeping)
