"""Shared test world: a small real-boundary Lanzhou (real county polygons, synthetic grids below),
built once per test session, and the named personas of DESIGN.md.

Every test runs inside a transaction that is rolled back, so the world stays as built.
"""

from __future__ import annotations

import functools
import os
import threading
import time

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.signals import request_finished, request_started

from gridgov.accounts.enums import GridDuty, Role
from gridgov.accounts.models import Center, Department, GridStaff, User
from gridgov.cases.models import Category
from gridgov.cases.services.categories import categories_load
from gridgov.geo.enums import RegionLevel
from gridgov.geo.models import Grid, Region

TEST_GRIDS = int(os.environ.get("GRIDGOV_TEST_GRIDS", "120"))
PASSWORD = "Test-Passw0rd!"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test of one database's own path (marked `postgres` or `sqlite`) belongs to that
    database's run: CI runs the suite on both, so each such test runs exactly once there, and
    the other run deselects it instead of reporting a skip."""
    vendor = "sqlite" if "sqlite" in settings.DATABASES["default"]["ENGINE"] else "postgres"
    other = {"sqlite": "postgres", "postgres": "sqlite"}[vendor]
    kept = [item for item in items if item.get_closest_marker(other) is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


def _build_city() -> None:
    call_command(
        "geo", "import-city", "甘肃省", "兰州市", "--grids", str(TEST_GRIDS), "--seed", "7", "--quiet"
    )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        _build_city()


@pytest.fixture
def _city(django_db_blocker) -> None:
    """Committed, outside any test transaction: a transactional test (the browser tests) ends
    with a flush that empties every table, and the next test needs the city back."""
    with django_db_blocker.unblock():
        if not Region.objects.filter(level=RegionLevel.CITY).exists():
            _build_city()
        # The category taxonomy is data a migration loads; a flush empties it too.
        if not Category.objects.exists():
            categories_load()


@functools.cache
def _hash_for(hashers: tuple[str, ...]) -> str:
    return make_password(PASSWORD)


def _password_hash() -> str:
    # A real hash, made once per hasher setting: hashing it again with Argon2 for each of ten
    # personas in every test would cost seconds per test and prove nothing more. Keyed on the
    # setting, because some modules switch to a fast hasher and the hash must fit the setting.
    return _hash_for(tuple(settings.PASSWORD_HASHERS))


def _center(region: Region) -> Center:
    center, _ = Center.objects.get_or_create(
        region=region, defaults={"name": f"{region.name}社会治理综合指挥中心"}
    )
    return center


def make_user(
    username: str, role: Role, *, center: Center | None = None, department: Department | None = None, **extra
) -> User:
    user = User(
        username=username, role=role, center=center, department=department, display_name=username, **extra
    )
    user.password = _password_hash()
    user.save()
    return user


class World:
    """Handles on the territory the personas live in: two counties, townships, communities, grids."""

    def __init__(self) -> None:
        self.city = Region.objects.get(level=RegionLevel.CITY)
        counties = list(Region.objects.filter(level=RegionLevel.COUNTY).order_by("code"))
        self.county, self.other_county = counties[0], counties[1]
        self.township = Region.objects.filter(parent=self.county).order_by("code").first()
        self.community = Region.objects.filter(parent=self.township).order_by("code").first()
        grids = list(Grid.objects.filter(community=self.community).order_by("code"))
        if len(grids) < 2:
            # The smallest communities may hold one grid; take any community with two.
            community = next(
                c
                for c in Region.objects.filter(level=RegionLevel.COMMUNITY, code__startswith=self.county.code)
                if c.grids.count() >= 2
            )
            self.community, self.township = community, community.parent
            grids = list(community.grids.order_by("code"))
        self.grid, self.other_grid = grids[0], grids[1]
        self.far_grid = Grid.objects.filter(code__startswith=self.other_county.code).order_by("code").first()


@pytest.fixture
def world(_city, db) -> World:
    return World()


@pytest.fixture
def housing_bureau(world) -> Department:
    return Department.objects.create(
        region=world.county,
        code=f"{world.county.code}-ZJJ",
        name=f"{world.county.name}住建局",
        short_name="住建局",
    )


@pytest.fixture
def personas(world, housing_bureau):
    """The people of DESIGN.md, each bound where they work."""
    other_bureau = Department.objects.create(
        region=world.county,
        code=f"{world.county.code}-CGJ",
        name=f"{world.county.name}城管局",
        short_name="城管局",
    )
    p = type("Personas", (), {})()
    p.grid_worker = make_user("gw", Role.GRID_WORKER, center=_center(world.community))
    GridStaff.objects.create(grid=world.grid, user=p.grid_worker, duty=GridDuty.WORKER)
    p.grid_head = make_user("gh", Role.GRID_HEAD, center=_center(world.community))
    p.township_dispatcher = make_user("td", Role.DISPATCHER, center=_center(world.township))
    p.county_leader = make_user("cl", Role.LEADER, center=_center(world.county))
    p.other_county_leader = make_user("ocl", Role.LEADER, center=_center(world.other_county))
    p.city_dispatcher = make_user("cd", Role.DISPATCHER, center=_center(world.city))
    p.housing_handler = make_user("hh", Role.HANDLER, department=housing_bureau)
    p.other_handler = make_user("oh", Role.HANDLER, department=other_bureau)
    p.outsider = make_user("outsider", Role.DISPATCHER)
    p.admin = make_user("root", Role.ADMIN, is_superuser=True, is_staff=True)
    return p


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (Playwright cannot download its own browsers here)."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls that tests make
    # around it are still plain synchronous calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=os.environ.get("GRIDGOV_CHROMIUM", "/usr/bin/chromium"),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


class _Requests:
    """Requests the live server is still answering. A browser test's database is flushed when it
    ends; a request still running then (a page's poll, a service worker's sync) holds a table
    lock on the shared in-memory SQLite database, and the flush fails ("database table is
    locked"), which leaves the next test a dirty database.

    Only the live server's requests count: those its socket server answers on a thread of its
    own. The test client and schemathesis's WSGI calls send the same signals from the test's
    thread, and a response they never close (a streaming export read partly, every schemathesis
    call) never sends request_finished: counted, such a request kept the count above zero for
    the rest of the session, and every later browser test waited out the full timeout at its
    end (15 s each, some six minutes of CI)."""

    def __init__(self) -> None:
        self.running: dict[int, int] = {}  # thread → its requests not finished
        self.lock = threading.Lock()
        request_started.connect(self.started, weak=False)
        request_finished.connect(self.finished, weak=False)

    @staticmethod
    def _server_thread() -> int | None:
        # socketserver.ThreadingMixIn names each of its threads after process_request_thread.
        thread = threading.current_thread()
        return thread.ident if "process_request_thread" in thread.name else None

    def started(self, **kwargs) -> None:
        ident = self._server_thread()
        if ident is not None:
            with self.lock:
                self.running[ident] = self.running.get(ident, 0) + 1

    def finished(self, **kwargs) -> None:
        ident = self._server_thread()
        if ident is not None:
            with self.lock:
                left = self.running.get(ident, 0) - 1
                if left > 0:
                    self.running[ident] = left
                else:
                    self.running.pop(ident, None)

    def wait_idle(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while self.running and time.monotonic() < deadline:
            time.sleep(0.05)
        # Loud, not a silent wait: a request still running this long after its browser closed
        # is a server thread stuck, or a miscount like the one above, which cost 15 s a test.
        with self.lock:
            left = sum(self.running.values())
        assert not left, f"the live server still answers {left} request(s)"


_requests = _Requests()


def _flush_when_unlocked() -> None:
    """Retry the end-of-test flush of a transactional (browser) test while the shared in-memory
    SQLite database reports a table lock: a request or a background thread of the app may still
    be finishing a read. Only the cleanup is retried, never a test's own statements; a lock that
    lasts 10 s still fails."""
    from django.core.management.base import CommandError
    from django.db.utils import OperationalError
    from django.test import TransactionTestCase

    original = TransactionTestCase._fixture_teardown

    def teardown(self) -> None:
        for attempt in range(40):
            try:
                return original(self)
            except (CommandError, OperationalError) as exc:
                if "locked" not in str(exc.__cause__ or exc) or attempt == 39:
                    raise
                time.sleep(0.25)

    TransactionTestCase._fixture_teardown = teardown  # type: ignore[method-assign]


_flush_when_unlocked()


def close_context(context) -> None:
    """Close a browser context, then wait until the live server has answered what it sent."""
    context.close()
    _requests.wait_idle()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 860})
    pg = context.new_page()
    yield pg
    close_context(context)


def browser_login(page, live_server, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login/" not in url)
