"""What a screen reader says for the parts of a page a test names: links, buttons, headings.

Read from the HTML the test client got, without a browser: an element's name is its text, its
visually hidden text included, leaving out whatever is aria-hidden; an aria-label replaces it.
"""

from __future__ import annotations

from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


class _Names(HTMLParser):
    def __init__(self, tags: tuple[str, ...]):
        super().__init__(convert_charrefs=True)
        self.tags = tags
        self.open: list[dict] = []  # every open element: its tag, whether it hides, its words
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        attrs = dict(attrs)
        hidden = attrs.get("aria-hidden") == "true" or bool(self.open and self.open[-1]["hidden"])
        self.open.append(
            {"tag": tag, "hidden": hidden, "label": attrs.get("aria-label"), "words": []}
        )

    def handle_endtag(self, tag):
        if tag in VOID or all(element["tag"] != tag for element in self.open):
            return
        while self.open:
            element = self.open.pop()
            words = " ".join(" ".join(element["words"]).split())
            if element["tag"] in self.tags and not element["hidden"]:
                self.found.append((element["tag"], element["label"] or words))
            if self.open and not element["hidden"]:
                self.open[-1]["words"].append(words)
            if element["tag"] == tag:
                return

    def handle_data(self, data):
        if self.open and not self.open[-1]["hidden"]:
            self.open[-1]["words"].append(data)


def names(html: str, *tags: str) -> list[str]:
    """The accessible names of the page's elements of these tags, in the order they close."""
    parser = _Names(tags or ("a", "button"))
    parser.feed(html)
    parser.close()
    return [name for _, name in parser.found]


def headings(html: str) -> list[str]:
    """The page's headings as "h2 Title", in the order a screen reader's heading list gives."""
    parser = _Names(HEADINGS)
    parser.feed(html)
    parser.close()
    return [f"{tag} {name}" for tag, name in parser.found]
