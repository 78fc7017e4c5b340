from django.apps import AppConfig


class MacaConfig(AppConfig):
    name = "maca"
    verbose_name = "MACA"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

        from maca import lookups  # noqa: F401 (registers the integer `in` lookup)
        from maca.middleware import mark_session_seen
        from maca.pagecache import on_migrated, on_model_change

        user_logged_in.connect(mark_session_seen, dispatch_uid="maca_mark_session_seen")
        # Any model's change may change a page kept in memory (maca.pagecache).
        post_save.connect(on_model_change, dispatch_uid="maca_page_data_saved")
        post_delete.connect(on_model_change, dispatch_uid="maca_page_data_deleted")
        m2m_changed.connect(on_model_change, dispatch_uid="maca_page_data_linked")
        post_migrate.connect(on_migrated, dispatch_uid="maca_page_data_migrated")
