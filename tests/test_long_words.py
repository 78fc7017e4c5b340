"""A word longer than its line (a pasted link, a run of letters) breaks rather than running off
the page or over the next column, in the briefing's and the plan's PDFs."""

import re
import subprocess

import pytest
from django.urls import reverse

from maca.models import Membership

from .conftest import member
from .factories import ActionFactory, AgencyFactory, CaseFactory, FindingFactory

pytestmark = pytest.mark.django_db

LONG_WORD = "Unbroken" * 15  # 120 characters, no place to break


def words_and_pages(pdf: bytes, tmp_path) -> tuple[list[tuple[str, float, float]], float]:
    """Every word pdftotext finds, with its left and right edges, and the page's width (pt)."""
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    html = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    width = float(re.search(r'<page width="([\d.]+)"', html).group(1))
    words = [
        (text, float(x_min), float(x_max))
        for x_min, x_max, text in re.findall(
            r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>',
            html,
        )
    ]
    return words, width


def assert_broken_within_the_page(pdf, tmp_path, margin_pt):
    words, width = words_and_pages(pdf, tmp_path)
    pieces = [w for w in words if len(w[0]) >= 6 and w[0] in LONG_WORD]
    assert pieces and max(len(text) for text, _, _ in pieces) < len(LONG_WORD), "not broken"
    over = [w for w in words if w[2] > width - margin_pt + 1]
    assert not over, over


def test_a_long_word_breaks_inside_the_briefing_pdf(client, audit, chair, tmp_path):
    case = CaseFactory(audit=audit, label="Case 1")
    FindingFactory(case=case, text=f"See {LONG_WORD} for the record.")
    client.force_login(chair)
    response = client.get(reverse("briefing_pdf", args=[audit.pk]), follow=True)
    assert response.status_code == 200
    assert_broken_within_the_page(response.content, tmp_path, margin_pt=56)  # 20 mm


def test_a_long_word_breaks_inside_its_column_of_the_plan_pdf(client, audit, tmp_path):
    agency = AgencyFactory(name="Housing")
    audit.agencies.add(agency)
    ActionFactory(audit=audit, owner_agency=agency, text=LONG_WORD, intended_outcome=LONG_WORD)
    client.force_login(member(audit, Membership.Role.CHAIR))
    response = client.get(reverse("action_plan_pdf"), follow=True)
    assert response.status_code == 200
    assert_broken_within_the_page(response.content, tmp_path, margin_pt=39)  # 14 mm
