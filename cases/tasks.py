"""The background worker's jobs for audits. With the default immediate backend they run at once
(nothing extra to start); with TASKS_BACKEND=database, `manage.py db_worker` runs them."""

from django_tasks import task


@task()
def send_queued_email(email_id: int) -> str:
    from cases.services.emails import queued_email_send

    return queued_email_send(email_id=email_id)


@task()
def send_stage_emails_of_audit(audit_id: int) -> None:
    from cases.services.stage_emails import stage_emails_send

    stage_emails_send(audit_id=audit_id)
