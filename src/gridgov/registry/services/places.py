"""Standard addresses and houses. An address is geocoded to its grid through geo.locate when it
has coordinates; without them, a grid chosen by hand must lie in the address's community."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from gridgov.core.errors import InvalidInput, NotFound
from gridgov.geo.enums import RegionLevel
from gridgov.geo.locate import locate_point
from gridgov.geo.models import Grid, Region
from gridgov.registry.enums import ChangeAction, DataSource, HouseOwnership, HouseUse, Register
from gridgov.registry.models import Address, House
from gridgov.registry.permissions import check_may_write
from gridgov.registry.services.history import history_record, snapshot
from gridgov.registry.validators import address_key, address_parts, address_text, normalize_address_part


def community_full_name(community: Region) -> str:
    """县区 + 乡镇街道 + 社区, the way addresses are written on forms."""
    names = []
    node: Region | None = community
    while node is not None and node.level in (
        RegionLevel.COUNTY,
        RegionLevel.TOWNSHIP,
        RegionLevel.COMMUNITY,
    ):
        names.append(node.name)
        node = node.parent
    return "".join(reversed(names))


def community_get(code: str) -> Region:
    community = Region.objects.filter(code=code, level=RegionLevel.COMMUNITY).first()
    if community is None:
        raise InvalidInput(f"社区 {code} 不存在", f"no community with code {code}", code="unknown_community")
    return community


def place_resolve(
    *, community: Region | None, grid_id: int | None, lon: float | None, lat: float | None
) -> tuple[Region, Grid | None]:
    """(community, grid) of a thing: its coordinates win; else a grid given by hand; else the
    community's only grid, if it has one."""
    if (lon is None) != (lat is None):
        raise InvalidInput("经度和纬度须同时填写", "give both longitude and latitude, or neither")
    if lon is not None and lat is not None:
        placed = locate_point(lon=lon, lat=lat)
        if placed.grid is not None:
            grid = Grid.objects.select_related("community").get(pk=placed.grid.id)
            if community is not None and grid.community_id != community.pk:
                raise InvalidInput(
                    f"坐标位于{grid.community.name}的网格{grid.name},不在所选社区{community.name}内",
                    "the coordinates lie in a grid of another community than the one chosen",
                    code="place_mismatch",
                )
            return grid.community, grid
        if community is None:
            raise InvalidInput(
                "坐标不在任何网格内", "the coordinates lie outside every grid", code="outside_grids"
            )
    if grid_id is not None:
        chosen = Grid.objects.select_related("community").filter(pk=grid_id).first()
        if chosen is None:
            raise InvalidInput("所选网格不存在", "the chosen grid does not exist", code="unknown_grid")
        if community is not None and chosen.community_id != community.pk:
            raise InvalidInput(
                "所选网格不在该社区内", "the chosen grid is not in that community", code="place_mismatch"
            )
        return chosen.community, chosen
    if community is None:
        raise InvalidInput(
            "请填写所属社区、网格或坐标", "give a community, a grid or coordinates", code="no_place"
        )
    only = list(Grid.objects.filter(community=community)[:2])
    return community, only[0] if len(only) == 1 else None


@transaction.atomic
def address_resolve(
    *,
    actor: Any,
    community_code: str,
    road: str,
    number: str = "",
    building: str = "",
    unit: str = "",
    room: str = "",
    lon: float | None = None,
    lat: float | None = None,
    grid_id: int | None = None,
    source: DataSource = DataSource.REAL,
    now: dt.datetime,
) -> Address:
    """The address with these parts, created (and geocoded) if it is new."""
    road = normalize_address_part(road)
    if not road:
        raise InvalidInput("街路巷不能为空", "the road is required", code="road_required")
    parts = address_parts(number, building, unit, room)
    community = community_get(community_code)
    key = address_key(community.code, road, *parts)
    found = Address.objects.filter(key=key).first()
    if found is not None:
        return found
    community, grid = place_resolve(community=community, grid_id=grid_id, lon=lon, lat=lat)
    check_may_write(actor, community=community, grid=grid)
    address = Address.objects.create(
        community=community,
        grid=grid,
        road=road,
        number=parts[0],
        building=parts[1],
        unit=parts[2],
        room=parts[3],
        text=address_text(community_full_name(community), road, *parts),
        key=key,
        lon=lon,
        lat=lat,
        source=source,
        created_at=now,
        updated_at=now,
    )
    history_record(
        register=Register.ADDRESS,
        object_id=address.pk,
        actor=actor,
        action=ChangeAction.CREATE,
        after=snapshot(address),
        now=now,
    )
    return address


def address_get(address_id: int) -> Address:
    address = Address.objects.select_related("community", "grid").filter(pk=address_id).first()
    if address is None:
        raise NotFound("地址不存在", "no such address")
    return address


@transaction.atomic
def house_save(
    *,
    actor: Any,
    house_id: int | None = None,
    address_id: int,
    use: HouseUse,
    ownership: HouseOwnership,
    area_m2: float | None = None,
    owner_name: str = "",
    note: str = "",
    now: dt.datetime,
) -> House:
    address = address_get(address_id)
    check_may_write(actor, community=address.community, grid=address.grid)
    if area_m2 is not None and not 0 < area_m2 < 1_000_000:
        raise InvalidInput("面积应大于 0 平方米", "the area must be above 0 m²", code="bad_area")
    if house_id is None:
        if House.objects.filter(address=address).exists():
            raise InvalidInput("该地址已登记房屋", "this address already has a house", code="duplicate_house")
        house = House(address=address, created_at=now)
        before = None
    else:
        house = House.objects.select_for_update(of=("self",)).filter(pk=house_id).first()  # type: ignore[assignment]
        if house is None:
            raise NotFound("房屋不存在", "no such house")
        before = snapshot(house)
        house.address = address
    house.use, house.ownership, house.area_m2 = HouseUse(use), HouseOwnership(ownership), area_m2
    house.owner_name, house.note, house.updated_at = owner_name.strip(), note.strip(), now
    house.save()
    history_record(
        register=Register.HOUSE,
        object_id=house.pk,
        actor=actor,
        action=ChangeAction.CREATE if before is None else ChangeAction.UPDATE,
        before=before,
        after=snapshot(house),
        now=now,
    )
    return house
