"""The background worker's jobs for audit packages. With the default immediate backend they run
at once (nothing extra to start); with TASKS_BACKEND=database, `manage.py db_worker` runs them."""

from django_tasks import task


@task()
def import_package(import_id: int) -> None:
    from .imports import package_import_run

    package_import_run(import_id=import_id)
