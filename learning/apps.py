from django.apps import AppConfig


class LearningConfig(AppConfig):
    """Learning across audits: the library of published items, trends and the board's report.

    Sits above `actions`: it reads actions, findings, cases and maca; nothing below imports it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "learning"

    def ready(self):
        from findings.publishing import briefing_published

        from .documents import register
        from .indexing import index_published_version

        register()  # the board's report is made by the background worker

        briefing_published.connect(
            index_published_version, dispatch_uid="learning_index_published_version"
        )
