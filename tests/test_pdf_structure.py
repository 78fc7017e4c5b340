"""The PDFs as a screen reader reads them: the structure tree (PDF/UA tags) of each has one H1,
headings that never skip a level, the running header and footer marked as artifacts, the
protective marking once in the tagged text, and table header cells that say what they head."""

import io
import re

import pikepdf
import pytest
from django.test import Client
from django.urls import reverse

from maca.models import User

pytestmark = pytest.mark.django_db

HEADING = re.compile(r"^H([1-6])$")


# Each tagged document of the demo's audit, as the chair downloads it: one line each.
DOCUMENTS = {
    "briefing": lambda audit: reverse("briefing_pdf", args=[audit.pk]),
    "action plan": lambda audit: reverse("action_plan_pdf"),
    "integrated chronology": lambda audit: reverse(
        "integrated_chronology_pdf", args=[audit.pk, audit.cases.order_by("order").first().pk]
    ),
}


class Tree:
    """The tags of a PDF in reading order, and the text of its marked (non-artifact) content."""

    def __init__(self, pdf: pikepdf.Pdf):
        self.pdf = pdf
        self.elements: list[pikepdf.Dictionary] = []
        self._walk(pdf.Root.StructTreeRoot)

    def _walk(self, node):
        kids = node.get("/K")
        if kids is None:
            return
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                self.elements.append(kid)
                self._walk(kid)

    def tags(self) -> list[str]:
        return [str(element.S)[1:] for element in self.elements]

    def headings(self) -> list[int]:
        return [int(m.group(1)) for tag in self.tags() if (m := HEADING.match(tag))]


def page_text(pdf: pikepdf.Pdf, *, artifacts: bool) -> str:
    """The text drawn on every page, either inside /Artifact sequences or outside them."""
    chunks = []
    for page in pdf.pages:
        fonts = {name: _unicode_map(font) for name, font in page.Resources.Font.items()}
        font: dict = {}
        in_artifact: list[bool] = []
        for operands, operator in pikepdf.parse_content_stream(page):
            op = str(operator)
            if op in ("BMC", "BDC"):
                in_artifact.append(str(operands[0]) == "/Artifact")
            elif op == "EMC" and in_artifact:
                in_artifact.pop()
            elif op == "Tf":
                font = fonts[str(operands[0])]
            elif op in ("Tj", "TJ") and any(in_artifact) == artifacts:
                chunks.append(_shown(operands, font))
        chunks.append("\n")
    return "".join(chunks)


def _unicode_map(font) -> dict[int, str]:
    """Glyph code -> text, from the font's ToUnicode CMap (two-byte codes, as WeasyPrint
    writes them)."""
    cmap = font.ToUnicode.read_bytes().decode("latin-1")
    codes = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, text in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            codes[int(code, 16)] = bytes.fromhex(text).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for low, high, text in re.findall(
            r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block
        ):
            for offset in range(int(high, 16) - int(low, 16) + 1):
                codes[int(low, 16) + offset] = chr(int(text, 16) + offset)
    return codes


def _shown(operands, font: dict[int, str]) -> str:
    parts = operands[0] if isinstance(operands[0], pikepdf.Array) else [operands[0]]
    text = []
    for part in parts:
        if isinstance(part, pikepdf.String):
            raw = bytes(part)
            text.extend(font.get(int.from_bytes(raw[i : i + 2]), "") for i in range(0, len(raw), 2))
    return "".join(text)


@pytest.fixture
def chair_client(demo_audit):
    client = Client()
    client.force_login(User.objects.get(username="chair"))
    return client


@pytest.mark.parametrize("document", DOCUMENTS)
def test_a_pdf_is_tagged_for_a_screen_reader(chair_client, demo_audit, document):
    response = chair_client.get(DOCUMENTS[document](demo_audit), follow=True)
    assert response.status_code == 200
    pdf = pikepdf.open(io.BytesIO(response.content))
    tree = Tree(pdf)

    headings = tree.headings()
    assert headings.count(1) == 1, f"one H1, not {headings.count(1)}: {tree.tags()}"
    assert headings[0] == 1
    for before, after in zip(headings, headings[1:], strict=False):
        assert after <= before + 1, f"H{after} follows H{before}: {headings}"
    for element in tree.elements:
        if str(element.S) == "/H1":
            assert not any(str(kid.get("/S", "")).startswith("/H") for kid in _kids(element))

    header_cells = [e for e in tree.elements if str(e.S) == "/TH"]
    assert header_cells or "Table" not in tree.tags()
    for cell in header_cells:
        scope = cell.get("/A", {}).get("/Scope") if "/A" in cell else None
        assert scope in ("/Column", "/Row", "/Both"), f"a table header cell has no scope: {cell}"

    # Each page's running header and footer (the marking, the partnership, "Page N of M") are
    # artifacts, which a screen reader skips; the marking is read once, at the start.
    assert "Page 1 of" in page_text(pdf, artifacts=True)
    tagged = page_text(pdf, artifacts=False)
    assert "Page 1 of" not in tagged
    assert tagged.count("OFFICIAL-SENSITIVE") == 1, tagged.count("OFFICIAL-SENSITIVE")


def _kids(element):
    kids = element.get("/K")
    if kids is None:
        return []
    return [k for k in (kids if isinstance(kids, pikepdf.Array) else [kids])]
