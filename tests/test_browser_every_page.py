"""Every page of MACA, for every role, on a desktop and on a phone: axe finds no WCAG 2.2 A/AA
violation.

The pages come from the URL resolver, not from a list kept here: each named route without
parameters is opened as it is, and a route with parameters is reached by following the links,
htmx requests and forms of the pages each role sees in the demo, which supplies the ids. So a
new page is checked as soon as something links to it, and a route that nothing reaches fails
the test until it is linked (or named below as not a page). POST-only routes (405 to a GET) and
file downloads (not text/html) are asked once and left out.

Axe runs once per page type, role and width, and only on a role's page whose kinds of element
(tag, class, role, type) are not all on a page of the same route already checked: another
role's copy of the same page adds nothing for axe to find."""

import heapq
import io
from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from actions.models import Action, PackageImport
from actions.services import action_evidence_add
from cases.models import Audit, Case, Theme
from cases.services import stages, tool
from cases.services.nominations import nomination_create, selection_draw
from documents.models import RequestedDocument
from findings.models import Finding
from learning.documents import report_options
from maca.invitations import invitation_issue, invitation_link_make
from maca.models import Agency, Membership, Partnership, User

from .conftest import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The chair first: it reaches the most, so the other roles' copies of a page add little. The
# partnership administrator alone reaches the partnership's own pages.
ROLES = ["chair", "qa", "housing", "viewer", "admin"]
WIDTHS = [1280, 390]
# Not a page anyone navigates to: what a load balancer asks for.
NOT_PAGES = {"health"}
# What a page offers depends on the state of its audit, case, agency's return or action (a
# chronology is edited while submissions are open, an action reopened once complete): while some
# route is still unfound, a route is followed again for other objects of these.
STATEFUL = ("pk", "case_id", "agency_id", "action_id")


# Two frames, so the page has laid itself out at the new width; a page the browser stops
# painting (a download, a dialog) would never give a frame, so a second is the most it waits.
NEXT_FRAME = (
    "() => new Promise(done => {"
    " requestAnimationFrame(() => requestAnimationFrame(done)); setTimeout(done, 1000); })"
)


def named_routes(resolver=None, prefix="") -> dict[str, str]:
    """Every route name of the project's own URLs (Django's admin has its own namespace)."""
    resolver = resolver or get_resolver()
    names = {}
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace is None:
                names |= named_routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and entry.name:
            names[entry.name] = prefix + str(entry.pattern)
    return names


class PageParser(HTMLParser):
    """Where a page leads (links, htmx requests, forms and their buttons' own actions, the
    pictures it shows) and the kinds of element it is made of."""

    def __init__(self):
        super().__init__()
        self.leads_to: list[str] = []
        self.kinds: set[tuple] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.kinds.add((tag, attrs.get("class"), attrs.get("role"), attrs.get("type")))
        for attribute in ("href", "hx-get", "hx-post", "action", "formaction"):
            if attrs.get(attribute) and tag != "link":
                self.leads_to.append(urldefrag(attrs[attribute]).url)
        if tag == "img" and attrs.get("src"):  # a picture MACA serves, such as a logo
            self.leads_to.append(attrs["src"])


def route_of(url: str) -> tuple | None:
    """The route's name and the objects (of STATEFUL) it is about."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    return None if match.namespace else (match.url_name, *map(match.kwargs.get, STATEFUL))


def seeds(user) -> list[str]:
    """The routes without parameters, and the password-reset link an email would carry."""
    urls = [reverse(name) for name, route in named_routes().items() if "<" not in route]
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return urls + [reverse("password_reset_confirm", args=[uid, token])]


@dataclass
class Crawl:
    """What the roles reached: each route asked, the ones that are not pages, and each role's
    pages (route -> (URL, kinds of element))."""

    asked: set[str] = field(default_factory=set)
    not_pages: set[str] = field(default_factory=set)
    pages: dict[str, dict[str, tuple[str, set]]] = field(default_factory=dict)

    def follow(self, role: str, client: Client, start: list[str], wanted: set[str]) -> None:
        """One page per route this client reaches: links to routes not yet asked first, then
        the same routes about other objects (STATEFUL) while some of `wanted` is unfound."""
        new_routes: deque[str] = deque(start)
        # A heap of routes already found, about other objects: those of the audit or action
        # least looked at so far first, so that every audit's and action's state is seen early.
        new_states: list[tuple] = []
        looked_at: Counter = Counter()
        asked_here: set[tuple] = set()
        names_here: set[str] = set()
        pages = self.pages.setdefault(role, {})
        while new_routes or (new_states and not wanted <= self.asked):
            url = new_routes.popleft() if new_routes else heapq.heappop(new_states)[-1]
            route = route_of(url)
            if route is None or route in asked_here or route[0] in self.not_pages:
                continue
            if new_routes and route[0] in names_here:  # found meanwhile, about another object
                heapq.heappush(new_states, (looked_at[route[1::3]], len(new_states), url))
                continue
            asked_here.add(route)
            looked_at[route[1::3]] += 1
            names_here.add(route[0])
            self.asked.add(route[0])
            response = client.get(url)
            assert response.status_code < 500, f"{url} answered {response.status_code}"
            if response.status_code in (301, 302, 303) and route_of(response["Location"]):
                new_routes.append(response["Location"])  # a page reached by a redirect
            if response.status_code == 405 or response.get("Content-Type", "")[:9] not in (
                "text/html",
                "",
            ):
                self.not_pages.add(route[0])  # POST-only, or a file download
            if response.status_code != 200 or route[0] in self.not_pages:
                continue
            parsed = PageParser()
            parsed.feed(response.content.decode())
            pages.setdefault(route[0], (url, parsed.kinds))
            for link in parsed.leads_to:
                linked = route_of(link)
                if linked and linked not in asked_here:
                    if linked[0] not in names_here:
                        new_routes.append(link)
                    else:
                        priority = looked_at[linked[1::3]]
                        heapq.heappush(new_states, (priority, len(new_states), link))


def add_what_the_demo_does_not_show() -> list[str]:
    """An audit taking nominations, with a draw to confirm, a file of evidence for an action,
    a PDF the chair asked for that is still being made and a package still being imported;
    returns the addresses of the pages that wait for them, which only the redirect after asking
    leads to."""
    chair, qa = User.objects.get(username="chair"), User.objects.get(username="qa")
    partnership = Partnership.objects.get(memberships__user=chair)
    theme = Theme.objects.create(partnership=partnership, name="Neglect of teenagers")
    audit = Audit.objects.create(partnership=partnership, theme=theme, target_case_count=2)
    audit.agencies.set(Agency.objects.filter(name__in=["Police", "Housing"]))
    tool.default_tool_create(audit=audit)
    stages.audit_advance(audit=audit, user=chair)
    for label in ("Case T", "Case U"):
        data = {"label": label, "reason": "Missing from home.", "age_band": "16_17"}
        data["agencies"] = list(audit.agencies.all())
        nomination_create(audit=audit, user=qa, data=data, identity=None)
    selection_draw(audit=audit, user=chair, seed="every-page")
    action = Action.objects.filter(status=Action.Status.IN_PROGRESS).first()
    attendance = SimpleUploadedFile("attendance.csv", b"Name,Date\nTrainee A,2026-11-02\n")
    action_evidence_add(action=action, user=chair, uploaded_file=attendance)
    waiting = RequestedDocument.objects.create(
        audit=audit, kind=RequestedDocument.Kind.CASE_PACK, requested_by=chair
    )
    # A finding that looks identifying, which the chair confirms from the publishing page.
    written = Case.objects.filter(audit__partnership=partnership).order_by("pk").first()
    Finding.objects.create(case=written, text="Seen at the clinic, NN1 2AB.", order=99)
    report = RequestedDocument.objects.create(
        partnership=partnership,
        kind=RequestedDocument.Kind.ASSURANCE_REPORT,
        options=report_options(
            asker=chair, partnership=partnership, start=None, end=None, file_format="pdf"
        ),
        requested_by=chair,
        status=RequestedDocument.Status.READY,
        content=b"%PDF-1.4\n%%EOF\n",
        filename="board-assurance-report.pdf",
    )
    # A package the chair is importing, still waiting for the worker.
    package = PackageImport.objects.create(
        requested_by=chair, partnership=partnership, original_name="past-audit.json"
    )
    return [
        reverse("document_progress", args=[audit.pk, waiting.pk]),
        reverse("own_document_progress", args=[report.pk]),
        reverse("audit_import_progress", args=[package.pk]),
        invitation_page(chair),
    ]


def invitation_page(chair) -> str:
    """The page an emailed invitation leads to (its link is made only as the email is sent)."""
    invitation, _ = invitation_issue(
        email="invited@example.org",
        partnership=Partnership.objects.get(memberships__user=chair),
        role=Membership.Role.QA_MEMBER,
        agency=None,
        invited_by=chair,
    )
    return urlsplit(invitation_link_make(invitation)).path


@pytest.fixture
def demo_pages(live_server):
    """For each role (and for someone not signed in): a session cookie, and its pages."""
    call_command("load_demo", stdout=io.StringIO())
    waiting_pages = add_what_the_demo_does_not_show()
    crawl = Crawl()
    wanted = set(named_routes()) - NOT_PAGES
    cookies = {"anonymous": {}}
    chair = User.objects.get(username="chair")
    crawl.follow("anonymous", Client(), seeds(chair) + waiting_pages[-1:], set())
    for role in ROLES:
        client = Client()
        user = User.objects.get(username=role)
        client.force_login(user)
        crawl.follow(role, client, seeds(user) + waiting_pages, wanted)
        cookies[role] = {name: morsel.value for name, morsel in client.cookies.items()}
    assert not wanted - crawl.asked, f"nothing leads to {sorted(wanted - crawl.asked)}"
    return live_server.url, cookies, crawl.pages


@pytest.mark.timeout(1200)  # hundreds of pages, each at two widths
def test_every_page_for_every_role_passes_axe_at_desktop_and_phone_widths(browser, demo_pages):
    base_url, cookies, pages = demo_pages
    host = urlsplit(base_url).hostname
    checked: dict[str, set] = {}
    found: dict[str, list[str]] = {}
    for role in ["anonymous", *ROLES]:
        context = browser.new_context(viewport={"width": WIDTHS[0], "height": 900})
        context.add_cookies(
            [{"name": k, "value": v, "domain": host, "path": "/"} for k, v in cookies[role].items()]
        )
        page = context.new_page()
        for name, (url, kinds) in sorted(pages[role].items()):
            if kinds <= checked.setdefault(name, set()):
                continue
            checked[name] |= kinds
            page.goto(base_url + url)
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                page.evaluate(NEXT_FRAME)  # the page has laid itself out at the new width
                for violation in axe_violations(page):
                    found.setdefault(f"{violation}, at {width} px", []).append(f"{role} {name}")
            page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        context.close()
    assert not found, "\n".join(f"{v}\n    on {', '.join(where)}" for v, where in found.items())
