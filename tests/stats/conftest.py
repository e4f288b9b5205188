"""Helpers of the stats tests: the cases tests' API sessions and keys, and a desk that drives a
case through the real services step by step."""

from __future__ import annotations

import pytest

from tests.cases.conftest import Api, _media, _pii_keys, _quick_passwords, case_body, ok  # noqa: F401  (autouse fixtures)


class Loop:
    """The acts of the closed loop for one set of personas, each through the API."""

    def __init__(self, world, personas, bureau) -> None:
        self.world, self.personas, self.bureau = world, personas, bureau
        self.desk = Api(personas.city_dispatcher)
        self.handler = Api(personas.housing_handler)
        self.worker = Api(personas.grid_worker)

    def create(self, *, grid=None, desk: Api | None = None, **overrides) -> str:
        body = case_body(self.world, **overrides)
        if grid is not None:
            from tests.cases.conftest import inside

            lon, lat = inside(grid)
            body["location"] = {"lon": lon, "lat": lat}
        return ok((desk or self.desk).create(body), 201)["number"]

    def dispatch(self, number: str) -> None:
        for action in ("accept", "verify", "register"):
            ok(self.desk.act(number, action))
        ok(self.desk.act(number, "dispatch", department=self.bureau.code))

    def report_back(self, number: str, *, start: bool = True) -> None:
        if start:
            ok(self.handler.act(number, "handle"))
        ok(self.handler.act(number, "report_back", note="已处理"))

    def check_and_close(self, number: str) -> None:
        ok(self.worker.act(number, "check", passed=True))
        ok(self.desk.act(number, "close"))

    def follow_up(self, number: str, rating: str) -> None:
        ok(self.desk.act(number, "follow_up", rating=rating))


@pytest.fixture
def loop(world, personas, housing_bureau) -> Loop:
    return Loop(world, personas, housing_bureau)
