from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest
import shapely

from gridgov.bulk.columns import columns_for
from gridgov.geo.models import Grid
from gridgov.registry.validators import id_check_char, usc_check_char


def make_id(rng: random.Random, *, region: str = "620102") -> str:
    born = f"{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body = f"{region}{born}{rng.randint(0, 999):03d}"
    return body + id_check_char(body)


def make_usc(rng: random.Random) -> str:
    body = "91620102" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    return body + usc_check_char(body)


def inside(grid: Grid) -> tuple[float, float]:
    p = shapely.geometry.shape(grid.boundary).representative_point()
    return round(p.x, 7), round(p.y, 7)


def write_csv(path: Path, register: str, rows: list[dict[str, str]]) -> Path:
    cols = columns_for(register)
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        w.writerow([c.header for c in cols])
        for r in rows:
            w.writerow([r.get(c.key, "") for c in cols])
    return path


class Rows:
    """Valid resident rows in the world's community, each in a grid by its coordinates."""

    def __init__(self, world, seed: int = 1):
        self.world = world
        self.rng = random.Random(seed)
        self.point = inside(world.grid)

    def resident(self, **over: str) -> dict[str, str]:
        lon, lat = self.point
        row = {
            "name": "张" + self.rng.choice("伟芳娜敏静丽强磊军洋"),
            "id_number": make_id(self.rng),
            "phone": f"13{self.rng.randint(100000000, 999999999)}",
            "kind": "户籍人口",
            "household_no": "",
            "relation": "户主",
            "community": self.world.community.code,
            "road": "张掖路",
            "number": str(self.rng.randint(1, 200)),
            "building": str(self.rng.randint(1, 9)),
            "unit": "1",
            "room": str(self.rng.randint(101, 1802)),
            "lon": str(lon),
            "lat": str(lat),
        }
        row.update(over)
        return row


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploads land in the test's own directory, not in var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def rows(world) -> Rows:
    return Rows(world)
