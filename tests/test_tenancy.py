"""One installation, many partnerships: nobody in one partnership reaches anything of another.

Two partnerships are built alike, each with a person in every role and an audit holding every
kind of object (tests/test_access_matrix.py's world), agencies of the same names and a logo.
Then every URL pattern the resolver knows that names an object is asked for, by every person of
the first partnership, with the second partnership's ids filled in: the answer is 404 to each
method the route takes, with no file and none of the second partnership's words in it.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from maca.models import Membership

from .factories import AgencyFactory, MembershipFactory, PartnershipFactory, UserFactory
from .test_access_matrix import (
    LOGO_BYTES,
    FakeCSS,
    FakeHTML,
    Route,
    World,
    ask,
    build_world,
    leaked,
    requests_for,
    walk,
)

pytestmark = pytest.mark.django_db
Role = Membership.Role

# Everyone who may sign in to partnership A: every role, co-ordinators of an agency taking part
# and of one that is not, and a superuser who holds no role at all.
PEOPLE = (
    "chair",
    "qa",
    "viewer",
    "housing",
    "police",
    "education",
    "fire",
    "padmin",
    "superuser",
)
ID_KWARGS = lambda name: name == "pk" or name.endswith("_id") or name == "number"  # noqa: E731


def build_partnership(tag: str, name: str) -> tuple[World, dict]:
    partnership = PartnershipFactory(name=name)
    agencies = {
        key: AgencyFactory(name=key.title(), partnership=partnership)
        for key in ("housing", "police", "education")
    }
    fire = AgencyFactory(name="Fire", partnership=partnership)

    def person(role, agency=None):
        user = UserFactory()
        MembershipFactory(user=user, partnership=partnership, role=role, agency=agency)
        return user

    people = {
        "chair": person(Role.CHAIR),
        "qa": person(Role.QA_MEMBER),
        **{key: person(Role.COORDINATOR, agency) for key, agency in agencies.items()},
        "fire": person(Role.COORDINATOR, fire),
        "padmin": person(Role.PARTNERSHIP_ADMIN),
        "viewer": person(Role.VIEWER),
        "superuser": UserFactory(is_staff=True, is_superuser=True),
    }
    world = build_world(tag, partnership, agencies, people["chair"], people["qa"])
    return world, people


@pytest.fixture
def partnerships(settings, monkeypatch):
    settings.MFA_ENFORCED = False
    import weasyprint

    monkeypatch.setattr(weasyprint, "HTML", FakeHTML)
    monkeypatch.setattr(weasyprint, "CSS", FakeCSS)
    # The same names in both: each partnership has its own Police, Housing and Education.
    world_a, people_a = build_partnership("A", "Northshire Safeguarding Children Partnership")
    world_b, people_b = build_partnership("B", "Southshire Safeguarding Children Partnership")
    return world_a, people_a, world_b, people_b


def with_ids(route: Route) -> bool:
    return any(ID_KWARGS(name) for name in route.kwargs)


def url_of(route: Route, world: World, kind: str, fmt: str) -> str:
    return reverse(route.name, kwargs=world.kwargs(route, "housing", kind, fmt))


def methods_taken(client: Client, url: str) -> list[str]:
    """The methods the route answers with something other than 405, asked by a member of the
    partnership whose objects the address names (inside a rolled-back savepoint)."""
    return [
        method for method in ("GET", "POST") if ask(client, method, url, watch=False).status != 405
    ]


def is_a_file(answer) -> bool:
    return answer.body.startswith((b"%PDF", b"PK", b"\x89PNG", b"\xff\xd8")) or any(
        marker in answer.body for marker in (LOGO_BYTES,)
    )


# Over a thousand requests: on a busy machine longer than the suite's five minutes.
@pytest.mark.timeout(900)
@pytest.mark.same_on_every_database
def test_nobody_reaches_another_partnerships_objects_by_their_ids(partnerships):
    world_a, people_a, world_b, people_b = partnerships
    theirs = Client()
    theirs.force_login(people_b["chair"])
    routes = [route for route in walk() if with_ids(route)]
    assert any("partnership_id" in route.kwargs for route in routes)
    assert any("pk" in route.kwargs for route in routes)
    problems, asked = [], 0
    secrets_b = {text: f"partnership B's {what}" for text, what in world_b.secrets.items()}
    clients = {who: Client() for who in PEOPLE}
    for who, client in clients.items():
        client.force_login(people_a[who])
    for route in routes:
        for kind, fmt in requests_for(route):
            url = url_of(route, world_b, kind, fmt)
            methods = methods_taken(theirs, url)
            for who, client in clients.items():
                for method in methods:
                    answer = ask(client, method, url)
                    asked += 1
                    where = f"{method} {url} ({route.name}) as partnership A's {who}"
                    if answer.error:
                        problems.append(f"{where}: raised {answer.error}")
                    elif answer.status != 404:
                        problems.append(f"{where}: answered {answer.status}, not 404")
                    if answer.changed:
                        problems.append(f"{where}: changed {answer.changed}")
                    if is_a_file(answer) or answer.rendered_pdf:
                        problems.append(f"{where}: sent a file")
                    if found := leaked(answer.body, secrets_b):
                        problems.append(f"{where}: shows {', '.join(found)}")
    assert asked > 500
    assert not problems, f"{len(problems)} wrong answers:\n" + "\n".join(problems)


def test_pages_about_no_object_show_nothing_of_another_partnership(partnerships):
    """The lists (audits, the action plan, the learning library, trends, the board's report, the
    access log, the partnerships one administers) hold only one's own partnership's."""
    world_a, people_a, world_b, people_b = partnerships
    secrets_b = {text: f"partnership B's {what}" for text, what in world_b.secrets.items()}
    names_b = {world_b.audit.theme.name: "partnership B's theme"}
    problems = []
    for route in walk():
        if with_ids(route):
            continue
        for kind, fmt in requests_for(route):
            try:
                url = reverse(route.name, kwargs=world_a.kwargs(route, "housing", kind, fmt))
            except AssertionError:
                continue
            for who in PEOPLE:
                client = Client()
                client.force_login(people_a[who])
                answer = ask(client, "GET", url, watch=False)
                if answer.error:
                    problems.append(f"GET {url} as {who}: raised {answer.error}")
                if found := leaked(answer.body, {**secrets_b, **names_b}):
                    problems.append(f"GET {url} as {who} shows {', '.join(found)}")
    assert not problems, "\n".join(problems)
