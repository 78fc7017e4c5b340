import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from actions.models import PackageImport
from actions.package import package_export
from cases.models import Audit, LocalReference, NominationIdentity
from maca.models import AccessLogEntry, Membership

from .conftest import member
from .factories import NominationFactory
from .test_package import VALID, bad, counts

pytestmark = pytest.mark.django_db


def upload(content, name="past.json"):
    raw = content if isinstance(content, bytes) else json.dumps(content).encode()
    return SimpleUploadedFile(name, raw, content_type="application/json")


def test_a_chair_imports_a_past_audit_into_their_partnership(client, audit, chair):
    client.force_login(chair)
    url = reverse("audit_import")
    assert client.get(url).status_code == 200
    response = client.post(url, {"package": upload(VALID), "partnership": audit.partnership.pk})
    imported = Audit.objects.exclude(pk=audit.pk).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("audit_detail", args=[imported.pk])
    assert imported.partnership == audit.partnership  # not the partnership named in the file
    assert imported.cases.count() == 2


@pytest.mark.parametrize(
    "content, shown",
    [
        (b"{nope", "not valid JSON"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not a text file: an audit package is JSON text"),
        (bad(format="maca-audit/9"), "must be &#x27;maca-audit/1&#x27;"),
        (bad(recommendations__0__cases=["Case 7"]), "$.recommendations[0].cases[0]"),
    ],
)
def test_bad_packages_show_the_same_messages_and_write_nothing(
    client, audit, chair, content, shown
):
    client.force_login(chair)
    before = counts()
    response = client.post(
        reverse("audit_import"),
        {"package": upload(content), "partnership": audit.partnership.pk},
        follow=True,
    )
    job = PackageImport.objects.get()
    assert response.redirect_chain == [(reverse("audit_import_progress", args=[job.pk]), 302)]
    assert "The package was not imported" in response.content.decode()
    assert reverse("audit_import") in response.content.decode()  # to try again
    assert shown in response.content.decode()
    assert counts() == before


def test_an_empty_file_is_refused_next_to_the_field(client, audit, chair):
    client.force_login(chair)
    response = client.post(
        reverse("audit_import"), {"package": upload(b""), "partnership": audit.partnership.pk}
    )
    assert response.status_code == 422
    assert "The submitted file is empty." in response.content.decode()


def test_only_chairs_may_import(client, audit, outsider):
    client.force_login(member(audit, Membership.Role.QA_MEMBER))
    assert client.get(reverse("audit_import")).status_code == 404
    other_partnership = outsider.memberships.get().partnership
    client.force_login(member(audit, Membership.Role.CHAIR))
    response = client.post(
        reverse("audit_import"), {"package": upload(VALID), "partnership": other_partnership.pk}
    )
    assert response.status_code == 422
    assert not Audit.objects.filter(partnership=other_partnership).exists()
    assert not PackageImport.objects.exists()


def test_a_chair_downloads_the_audit_as_a_package_that_imports_back_as_the_same(client, demo_audit):
    chair = Membership.objects.get(partnership=demo_audit.partnership, role="chair").user
    case = demo_audit.cases.first()
    nomination = NominationFactory(audit=demo_audit, case=case, label=case.label)
    identity = NominationIdentity.objects.create(
        nomination=nomination, child_name="Kestrel Ashdown-Vale"
    )
    LocalReference.objects.create(
        identity=identity, agency=demo_audit.agencies.first(), reference="KX-4471-Q"
    )
    client.force_login(chair)
    page = client.get(reverse("audit_detail", args=[demo_audit.pk])).content.decode()
    url = reverse("audit_package", args=[demo_audit.pk])
    assert f'href="{url}"' in page

    response = client.get(url)
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == (
        f'attachment; filename="neglect-and-housing-{demo_audit.pk}.maca-audit.json"'
    )
    downloaded = response.content.decode()
    assert json.loads(downloaded) == package_export(demo_audit)
    assert "Kestrel Ashdown-Vale" not in downloaded and "KX-4471-Q" not in downloaded
    look = AccessLogEntry.objects.filter(user=chair).latest("at")
    assert (look.action, look.what, look.audit_id) == ("export", "audit_package", demo_audit.pk)

    client.post(
        reverse("audit_import"),
        {
            "package": upload(response.content, name="downloaded.json"),
            "partnership": demo_audit.partnership.pk,
        },
    )
    imported = Audit.objects.get(pk=PackageImport.objects.get().audit_id)
    assert package_export(imported) == package_export(demo_audit)


def test_the_package_download_is_the_chairs_alone(client, demo_audit):
    url = reverse("audit_package", args=[demo_audit.pk])
    qa = Membership.objects.filter(partnership=demo_audit.partnership, role="qa_member").first()
    client.force_login(qa.user)
    assert (
        f'href="{url}"'
        not in client.get(reverse("audit_detail", args=[demo_audit.pk])).content.decode()
    )
    assert client.get(url).status_code == 403
