import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

from cases.models import Audit
from maca.models import Membership

from .factories import AuditFactory, MembershipFactory, UserFactory

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Real hashing is deliberately slow; tests only need passwords to check."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def audit():
    return AuditFactory(title="Multi Agency Case Audit", theme__name="Neglect and housing")


def member(audit, role=Membership.Role.QA_MEMBER, agency=None, **user_fields):
    user = UserFactory(**user_fields)
    MembershipFactory(user=user, partnership=audit.partnership, role=role, agency=agency)
    return user


@pytest.fixture
def chair(audit):
    return member(audit, Membership.Role.CHAIR)


@pytest.fixture
def outsider():
    """A member of another partnership, who must learn nothing about this one's audits."""
    user = UserFactory()
    MembershipFactory(user=user, role=Membership.Role.CHAIR)
    return user


@pytest.fixture
def demo_audit(db):
    call_command("load_demo", stdout=io.StringIO())
    return Audit.objects.select_related("theme", "partnership").get(
        theme__name="Neglect and housing"
    )


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    )
    return result.stdout


# Playwright drives Debian's Chromium: it cannot download a browser build of its own here.
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


def console_errors(page) -> list[str]:
    """Collect the page's console errors (a blocked inline script or style shows up here)."""
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_violations(page) -> list[str]:
    """WCAG 2.2 A/AA violations on the page as axe-core finds them, one line each."""
    # Evaluated through the browser's debugging protocol, which the page's Content Security
    # Policy does not govern; a <script> tag would rightly be refused.
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    return [
        f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']} — {v['help']}"
        for v in result["violations"]
    ]
