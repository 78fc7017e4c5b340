"""On PostgreSQL a connection prepares the queries it runs again and again (parsed and planned
once): each request still gets the rows of its own audit and its own reader, and a change shows
on the next request."""

import os

import pytest
from django.db import connection
from django.urls import reverse

from maca.models import Membership

from .conftest import member
from .factories import AuditFactory, CaseFactory, FindingFactory
from .test_settings import setting_shown

Role = Membership.Role


def prepared_statements() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        return cursor.fetchone()[0]


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
def test_prepared_page_queries_answer_each_audit_with_its_own_items(client):
    first, second = AuditFactory(), AuditFactory()
    FindingFactory(case=CaseFactory(audit=first, label="Case 1"), text="Words of the first.")
    FindingFactory(case=CaseFactory(audit=second, label="Case 1"), text="Words of the second.")
    chair = member(first, Role.CHAIR)
    Membership.objects.create(user=chair, partnership=second.partnership, role=Role.CHAIR)
    client.force_login(chair)
    for _ in range(6):
        page = client.get(reverse("audit_detail", args=[first.pk])).content.decode()
        assert "Words of the first." in page and "Words of the second." not in page
    assert prepared_statements() > 0

    page = client.get(reverse("audit_detail", args=[second.pk])).content.decode()
    assert "Words of the second." in page and "Words of the first." not in page
    Membership.objects.filter(user=chair, partnership=second.partnership).delete()
    assert client.get(reverse("audit_detail", args=[second.pk])).status_code == 404


def database_options(**env) -> str:
    environment = {**os.environ, "DEBUG": "1", **env}
    return setting_shown("settings.DATABASES['default']['OPTIONS']", environment)


def test_prepared_statements_are_on_for_postgresql_unless_a_pooler_needs_them_off():
    url = "postgres://maca@db.example.org/maca"
    assert database_options(DATABASE_URL=url) == (
        "{'server_side_binding': True, 'prepare_threshold': 5}"
    )
    assert database_options(DATABASE_URL=url, DATABASE_PREPARED_STATEMENTS="0") == "{}"
    # The address's own options are kept beside them: verifying the server's certificate above all.
    assert database_options(DATABASE_URL=f"{url}?sslmode=verify-full&connect_timeout=5") == (
        "{'sslmode': 'verify-full', 'connect_timeout': 5, 'server_side_binding': True, "
        "'prepare_threshold': 5}"
    )


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
def test_many_rows_are_written_and_deleted_in_statements_that_fit():
    """A statement bound on the server carries at most 65,535 values: 70,000 tags are written
    and deleted (one value each, by their numbers) in statements that fit, as a large audit's
    rows are when retention deletes them."""
    from findings.models import Tag

    from .factories import PartnershipFactory

    partnership = PartnershipFactory()
    Tag.objects.bulk_create(
        Tag(partnership=partnership, name=f"Tag {n}", slug=f"tag-{n}") for n in range(70_000)
    )
    assert Tag.objects.filter(partnership=partnership, name__startswith="Tag ").count() == 70_000
    partnership_id = partnership.pk
    partnership.delete()  # its tags too, through the deletion's own batches
    assert not Tag.objects.filter(partnership_id=partnership_id).exists()
