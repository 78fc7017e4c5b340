"""`manage.py inventory`: what a restore must bring back, and what it did not."""

import json
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from .factories import PartnershipFactory

pytestmark = [pytest.mark.django_db, pytest.mark.storage]


def inventory() -> dict:
    out = StringIO()
    call_command("inventory", stdout=out)
    return json.loads(out.getvalue())


def test_a_file_the_database_names_but_the_store_lacks_is_listed():
    partnership = PartnershipFactory()
    partnership.logo.save("logo.png", ContentFile(b"\x89PNG not really"), save=True)
    found = inventory()
    assert found["missing_files"] == []
    assert partnership.logo.name in found["files"]
    assert found["tables"]["maca.Partnership"] == 1

    default_storage.delete(partnership.logo.name)  # a store brought back to an earlier day
    assert inventory()["missing_files"] == [f"maca.Partnership.logo: {partnership.logo.name}"]
