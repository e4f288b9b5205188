"""Export of the grid layer: the API for a logged-in user within their scope, and the CLI."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from gridgov.geo.enums import GridKind
from gridgov.geo.models import Grid

URL = "/api/v1/geo/grids.geojson"


def _get(client: Client, user, region: str):
    client.force_login(user)
    return client.get(URL, {"region": region})


def _codes(response) -> list[str]:
    return [f["properties"]["code"] for f in response.json()["features"]]


# Each persona costs an Argon2 hash, so the API tests are few and each asks several questions.


def test_a_county_leader_exports_the_grids_of_the_county_and_of_a_township_and_they_import_back_clean(
    client, personas, world, tmp_path
):
    response = _get(client, personas.county_leader, world.county.code)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    body = response.json()
    assert body["type"] == "FeatureCollection"
    expected = list(Grid.objects.filter(code__startswith=world.county.code).order_by("code"))
    assert _codes(response) == [g.code for g in expected] and expected
    first, grid = body["features"][0], expected[0]
    assert first["geometry"] == grid.boundary
    assert first["properties"]["name"] == grid.name
    assert GridKind(first["properties"]["kind"]) == grid.kind
    assert first["properties"]["population"] == grid.population

    township = _get(client, personas.county_leader, world.township.code)
    assert _codes(township) and all(c.startswith(world.township.code) for c in _codes(township))
    path = tmp_path / "township.geojson"
    path.write_bytes(township.content)
    out = io.StringIO()
    call_command("geo", "import-grids", str(path), "--dry-run", stdout=out)
    assert f"updated {len(_codes(township))}" in out.getvalue()


def test_each_caller_exports_only_what_their_scope_holds(client, personas, world):
    for region in (world.other_county.code, world.city.code, "999999"):
        response = _get(client, personas.county_leader, region)
        assert response.status_code == 404, region
        assert response.json()["code"] == "not_found"
    assert _get(client, personas.outsider, world.county.code).status_code == 404
    # A grid worker may name the community (the map places them there) but gets only their grid.
    assert _codes(_get(client, personas.grid_worker, world.community.code)) == [world.grid.code]
    assert len(_codes(_get(client, personas.city_dispatcher, world.city.code))) == Grid.objects.count()


def test_anonymous_callers_are_refused_and_the_region_is_required(client, personas, world):
    assert Client().get(URL, {"region": world.county.code}).status_code == 401
    client.force_login(personas.county_leader)
    assert client.get(URL).status_code == 422


@pytest.mark.django_db
def test_the_cli_exports_a_region_to_a_file_or_stdout(tmp_path):
    path = tmp_path / "lanzhou.geojson"
    out = io.StringIO()
    call_command("geo", "export-grids", "620100", str(path), stdout=out)
    body = json.loads(path.read_text(encoding="utf-8"))
    assert len(body["features"]) == Grid.objects.count()
    assert "兰州市" in out.getvalue()
    out = io.StringIO()
    call_command("geo", "export-grids", "620102", "-", stdout=out)
    assert {f["properties"]["code"][:6] for f in json.loads(out.getvalue())["features"]} == {"620102"}
    with pytest.raises(CommandError, match="no region"):
        call_command("geo", "export-grids", "999999", str(path), stdout=io.StringIO())
