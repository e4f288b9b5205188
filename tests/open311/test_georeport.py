"""The Open311 GeoReport v2 server: every endpoint in JSON and XML, answers validated against
the published schemas, api_key for POST, the filters and the default window."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.test import Client

from gridgov.cases.enums import CaseStatus, Channel
from gridgov.cases.models import Case, Category
from gridgov.open311 import selectors
from gridgov.open311.models import Open311Client, ServiceAttribute
from tests.open311.conftest import MONDAY, make_case, timedelta, validate, xml
from tests.portal.conftest import close_through_loop, inside

pytestmark = pytest.mark.django_db
BASE = "/open311/v2"


@pytest.fixture
def client():
    return Client()


def test_discovery_names_the_endpoint_and_both_formats(client, world):
    body = client.get(f"{BASE}/discovery.json").json()
    endpoint = body["endpoints"][0]
    assert endpoint["url"].endswith("/open311/v2/")
    assert endpoint["formats"] == ["application/json", "text/xml"]
    root = xml(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.find("endpoints/endpoint/formats")] == ["application/json", "text/xml"]


def test_services_are_the_leaf_categories_and_metadata_marks_those_with_attributes(client, world):
    ServiceAttribute.objects.create(
        category=Category.objects.get(code="2101"), code="COVER", description="井盖状态",
        datatype="singlevaluelist", required=True,
        values=[{"key": "lost", "name": "丢失"}, {"key": "broken", "name": "破损"}],
    )  # fmt: skip
    body = client.get(f"{BASE}/services.json").json()
    validate("services.json", body)
    by_code = {s["service_code"]: s for s in body}
    assert by_code["2101"]["metadata"] is True and by_code["2101"]["group"] == "城市管理部件"
    assert by_code["2001"]["metadata"] is False
    assert "01" not in by_code  # a group is not a service
    root = xml(client.get(f"{BASE}/services.xml"))
    assert len(root.findall("service")) == len(body)
    manhole = next(s for s in root.findall("service") if s.findtext("service_code") == "2101")
    assert manhole.findtext("metadata") == "true" and manhole.findtext("service_name") == "井盖"


def test_a_service_definition_lists_its_attributes_in_both_formats(client, world):
    ServiceAttribute.objects.create(
        category=Category.objects.get(code="2101"), code="COVER", description="井盖状态",
        datatype="singlevaluelist", required=True, values=[{"key": "lost", "name": "丢失"}],
    )  # fmt: skip
    body = client.get(f"{BASE}/services/2101.json").json()
    validate("service-definition.json", body)
    assert body["attributes"][0]["code"] == "COVER" and body["attributes"][0]["values"] == [
        {"key": "lost", "name": "丢失"}
    ]
    root = xml(client.get(f"{BASE}/services/2101.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("attributes/attribute/values/value/name") == "丢失"
    empty = client.get(f"{BASE}/services/2001.json").json()
    validate("service-definition.json", empty)
    assert empty["attributes"] == []


def test_an_unknown_service_is_a_georeport_404_in_both_formats(client, world):
    response = client.get(f"{BASE}/services/nope.json")
    assert response.status_code == 404
    [err] = response.json()
    assert err["code"] == 404 and err["description"].startswith("服务 nope 不存在 / ")
    root = xml(client.get(f"{BASE}/services/nope.xml"))
    assert root.tag == "errors" and root.findtext("error/code") == "404"


def test_an_unknown_format_is_a_404(client, world):
    assert client.get(f"{BASE}/services.csv").status_code == 404


def _post(client, key: str | None, fmt: str = "json", **fields):
    data = {"service_code": "2001", "lat": "", "long": "", "description": "路边堆放建筑垃圾", **fields}
    if key is not None:
        data["api_key"] = key
    return client.post(f"{BASE}/requests.{fmt}", data)


def test_posting_a_request_needs_a_valid_api_key(client, world, partner):
    lon, lat = inside(world.grid)
    for key in (None, "o311_wrong"):
        refused = _post(client, key, lat=lat, long=lon)
        assert refused.status_code == 403
        assert refused.json()[0]["code"] == 403
    assert Case.objects.count() == 0
    call_command("open311", "revoke-key", partner.client.name)
    assert _post(client, partner.key, lat=lat, long=lon).status_code == 403
    assert Case.objects.count() == 0


def test_a_posted_request_is_a_case_on_the_partners_channel_with_the_partner_as_reference(
    client, world, partner
):
    lon, lat = inside(world.grid)
    reporter = {"first_name": "五", "last_name": "王", "phone": "13811112222"}
    response = _post(
        client, partner.key, lat=lat, long=lon, address_string="某路 12 号", device_id="dev-1", **reporter
    )
    assert response.status_code == 200, response.content
    [answer] = response.json()
    case = Case.objects.get(number=answer["service_request_id"])
    assert case.channel == Channel.UPPER_TRANSFER
    assert case.external_refs == {"open311": "省12345平台", "open311_device_id": "dev-1"}
    assert case.grid_id == world.grid.pk and case.reporter_name == "王五"
    assert case.created_by == partner.client.user
    # And it reads back at once, in both formats, without the reporter.
    one = client.get(f"{BASE}/requests/{case.number}.json").json()
    validate("requests.json", one)
    assert one[0]["service_request_id"] == case.number and "13811112222" not in json.dumps(one)
    root = xml(client.get(f"{BASE}/requests/{case.number}.xml"))
    assert root.tag == "service_requests" and root.findtext("request/status") == "open"
    assert client.get(f"{BASE}/request/{case.number}.json").json() == one  # the Swagger file's path


def test_posting_in_xml_and_checking_attributes(client, world, partner):
    ServiceAttribute.objects.create(
        category=Category.objects.get(code="2101"), code="COVER", description="井盖状态",
        datatype="singlevaluelist", required=True, values=[{"key": "lost", "name": "丢失"}],
    )  # fmt: skip
    lon, lat = inside(world.grid)
    missing = _post(client, partner.key, "xml", service_code="2101", lat=lat, long=lon)
    assert missing.status_code == 400 and xml(missing).findtext("error/code") == "400"
    bad = _post(client, partner.key, service_code="2101", lat=lat, long=lon, **{"attribute[COVER]": "gold"})
    assert bad.status_code == 400
    ok = _post(
        client, partner.key, "xml", service_code="2101", lat=lat, long=lon, **{"attribute[COVER]": "lost"}
    )
    assert ok.status_code == 200
    number = xml(ok).findtext("request/service_request_id")
    assert "井盖状态:丢失" in Case.objects.get(number=number).description
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"service_code": ""},
        {"service_code": "9999"},
        {"lat": "36.1"},
        {"lat": "abc", "long": "103"},
        {"lat": "", "long": "", "address_string": ""},
    ],
)
def test_a_bad_post_is_a_4xx_georeport_error_and_makes_nothing(client, world, partner, fields):
    response = _post(client, partner.key, **({"address_string": "某路"} | fields))
    assert response.status_code in (400, 404), response.content
    assert response.json()[0]["code"] == response.status_code
    assert Case.objects.count() == 0


def test_get_requests_takes_the_last_90_days_by_default_and_filters(client, world, personas, monday):
    desk = personas.city_dispatcher
    old = make_case(world, desk, at=MONDAY - timedelta(days=100), n=1)
    recent = make_case(world, desk, at=MONDAY - timedelta(days=10), n=2)
    other = make_case(world, desk, at=MONDAY - timedelta(days=5), category="2002", n=3)
    closed = make_case(world, desk, at=MONDAY - timedelta(days=3), n=4)
    close_through_loop(personas, closed.number)
    private = make_case(world, desk, at=MONDAY - timedelta(days=2), category="1101", n=5)
    walk_in = make_case(world, desk, at=MONDAY - timedelta(days=2), channel=Channel.WALK_IN, n=6)

    def numbers(**params) -> list[str]:
        body = client.get(f"{BASE}/requests.json", params).json()
        validate("requests.json", body)
        root = xml(client.get(f"{BASE}/requests.xml", params))
        assert [r.findtext("service_request_id") for r in root.findall("request")] == [
            r["service_request_id"] for r in body
        ]
        return [r["service_request_id"] for r in body]

    assert numbers() == [closed.number, other.number, recent.number]
    assert private.number not in numbers() and walk_in.number not in numbers()
    assert numbers(service_code="2002") == [other.number]
    assert numbers(service_code="2001,2002", status="open") == [other.number, recent.number]
    assert numbers(status="closed") == [closed.number]
    start = (MONDAY - timedelta(days=120)).isoformat()
    end = (MONDAY - timedelta(days=50)).isoformat()
    assert numbers(start_date=start, end_date=end) == [old.number]
    assert numbers(start_date=(MONDAY - timedelta(days=7)).isoformat()) == [closed.number, other.number]
    # service_request_id overrides the other parameters (and the window).
    assert numbers(service_request_id=f"{old.number},{recent.number}", status="closed") == [
        recent.number,
        old.number,
    ]
    closed_row = client.get(f"{BASE}/requests/{closed.number}.json").json()[0]
    assert closed_row["status"] == "closed" and closed_row["status_notes"] == "已清运完毕"
    assert client.get(f"{BASE}/requests/{private.number}.json").status_code == 404


def test_get_requests_answers_at_most_the_limit(client, world, personas, monday, monkeypatch):
    # The limit is 1,000; three stand for it here, so the test makes four cases, not 1,001.
    monkeypatch.setattr(selectors, "MAX_REQUESTS", 3)
    for n in range(4):
        make_case(world, personas.city_dispatcher, at=MONDAY - timedelta(hours=n + 1), n=n)
    assert len(client.get(f"{BASE}/requests.json").json()) == 3


def test_bad_filters_are_a_400(client, world):
    assert client.get(f"{BASE}/requests.json", {"start_date": "yesterday"}).status_code == 400
    assert client.get(f"{BASE}/requests.json", {"status": "pending"}).status_code == 400
    assert client.get(f"{BASE}/requests.json", {"end_date": ""}).status_code == 400


def test_an_inverted_date_range_is_empty_not_an_error(client, world, personas, monday):
    make_case(world, personas.city_dispatcher, at=MONDAY - timedelta(hours=1), n=1)
    later, earlier = MONDAY.isoformat(), (MONDAY - timedelta(days=1)).isoformat()
    assert client.get(f"{BASE}/requests.json", {"start_date": later, "end_date": earlier}).json() == []


def test_service_request_updates_are_the_public_timeline(client, world, personas, monday):
    case = make_case(world, personas.city_dispatcher, at=MONDAY - timedelta(days=1), n=1)
    close_through_loop(personas, case.number)
    body = client.get(f"{BASE}/servicerequestupdates.json", {"service_request_id": case.number}).json()
    descriptions = [u["description"] for u in body]
    assert descriptions[0] == "已办结" and descriptions[-1] == "已收到您的反映"
    assert body[0]["status"] == "closed" and body[-1]["status"] == "open"
    assert all(u["service_request_id"] == case.number for u in body)
    assert "王科长" not in json.dumps(body, ensure_ascii=False)  # an internal dispatch note
    root = xml(client.get(f"{BASE}/servicerequestupdates.xml", {"service_request_id": case.number}))
    assert root.tag == "service_request_updates" and len(root.findall("request_update")) == len(body)
    in_window = client.get(f"{BASE}/servicerequestupdates.json").json()
    assert {u["update_id"] for u in body} <= {u["update_id"] for u in in_window}


def test_keys_are_issued_listed_and_revoked_on_the_command_line(world, personas, capsys):
    call_command("open311", "new-key", "区级App", "--channel", "citizen_app")
    out = capsys.readouterr().out
    key = out.strip().splitlines()[-1]
    client = Open311Client.objects.get(name="区级App")
    assert key.startswith("o311_") and client.digest != key and key.startswith("o311_" + client.prefix)
    assert client.channel == Channel.CITIZEN_APP and not client.user.has_usable_password()
    call_command("open311", "list-keys")
    assert "区级App" in capsys.readouterr().out
    assert selectors.client_for_key(key) == client
    call_command("open311", "revoke-key", "区级App")
    with pytest.raises(Exception, match="api_key"):
        selectors.client_for_key(key)
    assert Case.objects.filter(status=CaseStatus.RECEIVED).count() == 0
