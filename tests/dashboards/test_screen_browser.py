"""The big screen in headless Chromium at 1920×1080, as a county leader: the figures shown are
the stats API's, a case created through the API arrives without a reload, a click on the map
drills down and the breadcrumb climbs back, another county's screen is refused, and a lost
connection shows a banner that goes away. Screenshots land in the temp directory."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
import shapely
from django.test import Client
from django.urls import reverse

from gridgov.accounts.tokens import token_create
from gridgov.cases.enums import CaseAction, Channel
from gridgov.core import clock
from gridgov.dashboards.screen import FIGURES, screen_clock
from gridgov.stats.services import stats_refresh
from tests.conftest import browser_login, close_context
from tests.dashboards.conftest import TO_REGISTERED, act, inside, make_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


TODAY_INTAKE = "document.querySelector('#figures td[data-indicator=intake][data-period=today]').dataset.value"


def shot(name: str) -> Path:
    return Path(tempfile.gettempdir()) / f"{name}.png"


@pytest.fixture
def wall(browser):
    """A page the size of the command centre's wall screen."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1920, "height": 1080})
    pg = context.new_page()
    yield pg
    close_context(context)


@pytest.fixture
def some_cases(world, seat):
    made = [
        make_case(seat, world.grid, title="楼道墙体开裂"),
        make_case(seat, world.grid, title="小区门口积水", channel=Channel.CITIZEN_APP),
        make_case(seat, world.other_grid, title="路灯不亮", category="0101"),
    ]
    act(seat, made[0].number, CaseAction.ACCEPT)
    stats_refresh()
    return made


def api_figures(user, region: str) -> dict[str, dict]:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user)}")
    c = screen_clock(clock.now())
    out = {}
    for which, start, end in (("today", c["today"], c["today"]), ("month", c["month_start"], c["month_end"])):
        params = {"region": region, "start": start, "end": end, "names": ",".join(FIGURES)}
        response = client.get("/api/v1/stats/indicators", params)
        assert response.status_code == 200, response.content[:500]
        out[which] = response.json()["indicators"]
    return out


def shown_figures(page) -> dict[str, dict]:
    cells = page.eval_on_selector_all(
        "#figures td[data-indicator]",
        "tds => tds.map(td => [td.dataset.period, td.dataset.indicator, td.dataset.value,"
        " td.querySelector('.value').textContent])",
    )
    out: dict[str, dict] = {"today": {}, "month": {}}
    for which, name, value, text in cells:
        out[which][name] = (float(value) if value else None, text)
    return out


def formatted(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "%":
        return f"{value:.1f}%"
    return str(round(value))


def assert_figures_equal(page, user, region: str) -> None:
    api = api_figures(user, region)
    shown = shown_figures(page)
    for which in ("today", "month"):
        assert set(shown[which]) == set(FIGURES)
        for name in FIGURES:
            value, text = shown[which][name]
            expected = api[which][name]["value"]
            assert value == (pytest.approx(expected) if expected is not None else None), (which, name)
            assert text == formatted(expected, api[which][name]["unit"]), (which, name)


def wait_drawn(page) -> None:
    page.wait_for_selector("#map.ready")
    page.wait_for_function("document.getElementById('screen').dataset.figuresAt !== undefined")
    page.wait_for_selector("#feed-new li")


def away_from_cases(region) -> tuple[float, float]:
    """A point inside the polygon as far as can be from the point the cases were placed on
    (their markers take a click on themselves: they open the case)."""
    polygon = shapely.from_geojson(json.dumps(region.boundary))
    taken = shapely.point_on_surface(polygon)
    x0, y0, x1, y1 = polygon.bounds
    xs = [x0 + (x1 - x0) * i / 20 for i in range(1, 20)]
    ys = [y0 + (y1 - y0) * j / 20 for j in range(1, 20)]
    candidates = [shapely.Point(x, y) for x in xs for y in ys]
    inner = polygon.buffer(-min(x1 - x0, y1 - y0) / 20)
    best = max((p for p in candidates if inner.contains(p)), key=taken.distance)
    return best.x, best.y


def click_map_at(page, lon: float, lat: float) -> None:
    xy = page.evaluate(
        "([lat, lon]) => { const m = document.getElementById('map').leafletMap;"
        " const p = m.latLngToContainerPoint([lat, lon]); const r = m.getContainer().getBoundingClientRect();"
        " return [p.x + r.left, p.y + r.top]; }",
        [lat, lon],
    )
    page.mouse.click(*xy)


def test_a_county_leader_sees_the_apis_figures_and_a_new_case_arrives_without_a_reload(
    _city, live_server, wall, world, personas, seat, some_cases
):
    browser_login(wall, live_server, personas.county_leader.username)
    wall.goto(f"{live_server.url}{reverse('dashboards:screen')}")
    wall.wait_for_url(f"**/screen/{world.county.code}/")
    wait_drawn(wall)
    assert "更新于" in wall.locator("#stamp").inner_text()
    assert_figures_equal(wall, personas.county_leader, world.county.code)
    today_intake = shown_figures(wall)["today"]["intake"][0]
    assert today_intake == 3
    feed = wall.locator("#feed-new li").all_inner_texts()
    assert any("小区门口积水" in t for t in feed)
    assert wall.locator("#map").get_attribute("data-points") == "3"
    wall.screenshot(path=shot("screen-county"))

    # A new case through the API, and the worker's stats refresh: the page was not reloaded.
    wall.evaluate("window.__sameDocument = true")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=seat)}")
    lon, lat = inside(world.grid)
    body = {
        "channel": "hotline_12345",
        "category": "0101",
        "title": "新来电:电梯困人",
        "location": {"lon": lon, "lat": lat},
        "reporter": {"name": "李四", "phone": "13900001111"},
    }
    made = client.post(
        "/api/v1/cases", json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY="screen-1"
    )
    assert made.status_code == 201, made.content[:500]
    number = made.json()["number"]
    stats_refresh()
    wall.wait_for_selector(f'#feed-new li[data-number="{number}"]', timeout=15_000)
    wall.wait_for_function(
        f"{TODAY_INTAKE} === '4'",
        timeout=20_000,
    )
    wall.wait_for_function("document.getElementById('map').dataset.points === '4'", timeout=25_000)
    assert wall.evaluate("window.__sameDocument") is True
    assert "新来电:电梯困人" in wall.locator("#feed-new").inner_text()
    assert_figures_equal(wall, personas.county_leader, world.county.code)


def test_a_click_on_the_map_drills_down_and_the_breadcrumb_climbs_back(
    _city, live_server, wall, world, personas, seat, some_cases
):
    browser_login(wall, live_server, personas.county_leader.username)
    wall.goto(f"{live_server.url}{reverse('dashboards:place', args=[world.county.code])}")
    wait_drawn(wall)
    wall.evaluate("window.__sameDocument = true")
    click_map_at(wall, *away_from_cases(world.township))
    wall.wait_for_url(f"**/screen/{world.township.code}/")
    wall.wait_for_function(f"document.getElementById('map').dataset.place === '{world.township.code}'")
    crumbs = wall.locator("#crumbs a").all_inner_texts()
    assert [c.split()[0] for c in crumbs] == [world.county.name, world.township.name]
    wall.wait_for_function(
        f"document.getElementById('screen').dataset.statsRegion === '{world.township.code}'"
        f" && {TODAY_INTAKE} === '3'",
        timeout=15_000,
    )
    assert_figures_equal(wall, personas.county_leader, world.township.code)

    # Down to the community through the region chart's bar for it, then to a grid on the map.
    wall.goto(f"{live_server.url}{reverse('dashboards:place', args=[world.community.code])}")
    wait_drawn(wall)
    click_map_at(wall, *away_from_cases(world.grid))
    wall.wait_for_url(f"**/screen/{world.grid.code}/")
    wall.wait_for_function(f"document.getElementById('map').dataset.place === '{world.grid.code}'")
    wall.wait_for_function(
        f"{TODAY_INTAKE} === '2'",
        timeout=15_000,
    )
    wall.screenshot(path=shot("screen-grid"))

    # Back up by the breadcrumb, and by the browser's back button.
    wall.locator("#crumbs a", has_text=world.township.name).click()
    wall.wait_for_url(f"**/screen/{world.township.code}/")
    wall.go_back()
    wall.wait_for_url(f"**/screen/{world.grid.code}/")
    wall.wait_for_function(f"document.getElementById('map').dataset.place === '{world.grid.code}'")


def test_a_bar_of_the_region_chart_drills_down(_city, live_server, wall, world, personas, seat, some_cases):
    browser_login(wall, live_server, personas.county_leader.username)
    wall.goto(f"{live_server.url}{reverse('dashboards:place', args=[world.county.code])}")
    wait_drawn(wall)
    wall.wait_for_function(
        "Number(document.getElementById('chart-regions').dataset.bars) > 0"
        " && document.getElementById('chart-regions').dataset.settled === '1'"
    )
    keys = json.loads(wall.locator("#chart-regions").get_attribute("data-keys"))
    index = keys.index(world.township.code)
    xy = wall.evaluate(
        "(i) => { const el = document.getElementById('chart-regions');"
        " const c = echarts.getInstanceByDom(el);"
        " const bar = c.getModel().getSeriesByIndex(0).getData().getItemLayout(i);"
        " const r = el.getBoundingClientRect();"
        " return [r.left + bar.x + bar.width / 2, r.top + bar.y + bar.height / 2]; }",
        index,
    )
    wall.mouse.click(*xy)
    wall.wait_for_url(f"**/screen/{world.township.code}/")


def test_another_countys_screen_is_refused(_city, live_server, wall, world, personas):
    browser_login(wall, live_server, personas.county_leader.username)
    response = wall.goto(f"{live_server.url}{reverse('dashboards:place', args=[world.other_county.code])}")
    assert response.status == 403
    assert "无权查看" in wall.locator("#forbidden").inner_text()


def test_a_lost_connection_shows_a_banner_and_the_screen_recovers(
    _city, live_server, wall, world, personas, seat, some_cases
):
    browser_login(wall, live_server, personas.county_leader.username)
    wall.goto(f"{live_server.url}{reverse('dashboards:place', args=[world.county.code])}")
    wait_drawn(wall)
    assert wall.locator("#offline").is_hidden()
    wall.route("**/api/v1/dashboards/feed*", lambda route: route.abort())
    wall.wait_for_selector("#offline:not([hidden])", timeout=15_000)
    assert "连接中断" in wall.locator("#offline").inner_text()
    wall.unroute("**/api/v1/dashboards/feed*")
    wall.wait_for_selector("#offline", state="hidden", timeout=15_000)


TITLES = (
    ("楼道墙体开裂", "0101"),
    ("小区门口积水严重", "0101"),
    ("路灯不亮影响夜间出行", "0101"),
    ("夜间施工噪音扰民", "0201"),
    ("餐馆油烟扰民", "0201"),
    ("垃圾清运不及时", "0201"),
    ("公交站台破损", "0301"),
    ("拖欠农民工工资", "0401"),
)
CHANNELS = (
    Channel.HOTLINE_12345,
    Channel.HOTLINE_12345,
    Channel.CITIZEN_APP,
    Channel.GRID_WORKER,
    Channel.POLICE_110,
)


def test_a_busy_countys_screen_fits_the_wall_without_scrolling(
    _city, live_server, wall, world, personas, seat, housing_bureau
):
    """Forty cases over the county's grids, the last month; every panel must fit 1920×1080."""
    from datetime import timedelta

    from gridgov.cases.models import Case, Category
    from gridgov.geo.models import Grid
    from gridgov.sla.enums import Colour
    from gridgov.stats.services import stats_rebuild

    grids = list(Grid.objects.filter(code__startswith=world.county.prefix).order_by("code"))
    known = set(Category.objects.values_list("code", flat=True))
    now = clock.now()
    for i in range(40):
        title, category = TITLES[i % len(TITLES)]
        case = make_case(
            seat,
            grids[(i * 7) % len(grids)],
            title=title,
            category=category if category in known else "0101",
            channel=CHANNELS[i % len(CHANNELS)],
            description=title,
        )
        if i % 3 == 0:
            act(seat, case.number, CaseAction.ACCEPT)
        elif i % 3 == 1:
            for action in TO_REGISTERED:
                act(seat, case.number, action)
            act(seat, case.number, CaseAction.DISPATCH, department_code=housing_bureau.code)
        if i % 5 == 0:
            Case.objects.filter(pk=case.pk).update(colour=Colour.RED, due_at=now - timedelta(hours=2))
        if i >= 12:
            Case.objects.filter(pk=case.pk).update(created_at=now - timedelta(days=(i * 13) % 29, hours=1))
    stats_rebuild()

    browser_login(wall, live_server, personas.county_leader.username)
    wall.goto(f"{live_server.url}{reverse('dashboards:place', args=[world.county.code])}")
    wait_drawn(wall)
    wall.wait_for_function("Number(document.getElementById('chart-trend').dataset.series) > 0")
    wall.wait_for_selector("#hot-words li[data-word]")
    wall.wait_for_selector("#ranking tbody tr")
    assert housing_bureau.name in wall.locator("#ranking").inner_text()
    c = screen_clock(clock.now())
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=personas.county_leader)}")
    rows = client.get(
        "/api/v1/stats/breakdown",
        {"by": "department", "region": world.county.code, "start": c["month_start"], "end": c["month_end"]},
    ).json()["rows"]
    bureau = next(r for r in rows if r["key"] == str(housing_bureau.pk))["indicators"]
    row = wall.locator(f'#ranking tr[data-key="{housing_bureau.pk}"]')
    for name in ("overdue", "on_time_handling_rate", "closure_rate", "satisfaction_rate"):
        expected = formatted(bureau[name]["value"], bureau[name]["unit"])
        assert row.locator(f'td[data-indicator="{name}"]').inner_text() == expected, name
    headers = wall.locator("#ranking thead th").all_inner_texts()
    assert headers[2:] == ["按期处置率", "结案率", "满意率", "超期量"]
    size = wall.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    assert size == [1920, 1080]
    overflowing = wall.evaluate(
        "[...document.querySelectorAll('.panel')].filter(p => p.getBoundingClientRect().bottom > 1080"
        " || p.scrollHeight > p.clientHeight + 1).map(p => p.id || p.className)"
    )
    assert overflowing == []
    assert_figures_equal(wall, personas.county_leader, world.county.code)
    wall.wait_for_timeout(1200)  # let the charts' entry animation finish before the photograph
    wall.screenshot(path=shot("screen-busy"))
