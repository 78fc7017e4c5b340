"""The background worker's jobs. With the default immediate backend they run at once, in the
request that asked (nothing extra to start); with TASKS_BACKEND=database, `manage.py db_worker`
runs them."""

from django_tasks import task


@task()
def make_requested_document(document_id: int) -> None:
    from .services import document_make

    document_make(document_id=document_id)
