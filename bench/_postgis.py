"""PostGIS side of the locate benchmark: the same polygons and points loaded into a throwaway
database, indexed and analysed, then each honest formulation of "which polygon holds each point"
timed on the server with only the query in the clock.

Needs a PostgreSQL on 127.0.0.1:5432 (user postgres, trust) with the postgis extension
available (Debian: postgresql-15-postgis-3). Used by bench/locate.py only.
"""

from __future__ import annotations

import io
import os
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

DSN = os.environ.get("BENCH_POSTGIS_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")

# Each returns (point id, grid id) rows; the benchmark wraps it in an aggregate so that every row
# is produced on the server but none is shipped to the client. Grid ids are our indices, so the
# smallest-id rule of the point-first query is the same rule as ours. OFFSET 0 keeps a LATERAL
# subquery from being flattened into a join whose order the planner then picks itself: for
# ST_Intersects it turns the loop round to points-outside, which loses PostGIS's cache of the
# prepared polygon (seen in EXPLAIN). The plain join leaves the choice to the planner.
FORMULATIONS: dict[str, str] = {
    "polygon-first LATERAL, ST_Contains": (
        "SELECT p.id, g.id AS gid FROM grids g "
        "CROSS JOIN LATERAL (SELECT p.id FROM {pts} p WHERE ST_Contains(g.geom, p.geom) OFFSET 0) p"
    ),
    "polygon-first LATERAL, ST_Intersects": (
        "SELECT p.id, g.id AS gid FROM grids g "
        "CROSS JOIN LATERAL (SELECT p.id FROM {pts} p WHERE ST_Intersects(g.geom, p.geom) OFFSET 0) p"
    ),
    "polygon-first LATERAL on ST_Subdivide(64) pieces": (
        "SELECT p.id, s.id AS gid FROM grids_sub s "
        "CROSS JOIN LATERAL (SELECT p.id FROM {pts} p WHERE ST_Intersects(s.geom, p.geom) OFFSET 0) p"
    ),
    "plain join, ST_Contains (planner's order)": (
        "SELECT p.id, g.id AS gid FROM {pts} p JOIN grids g ON ST_Contains(g.geom, p.geom)"
    ),
    "plain join, ST_Intersects (planner's order)": (
        "SELECT p.id, g.id AS gid FROM {pts} p JOIN grids g ON ST_Intersects(g.geom, p.geom)"
    ),
    "point-first LATERAL, LIMIT 1": (
        "SELECT p.id, g.gid FROM {pts} p LEFT JOIN LATERAL (SELECT g.id AS gid FROM grids g "
        "WHERE ST_Intersects(g.geom, p.geom) ORDER BY g.id LIMIT 1) g ON true"
    ),
}
SETTINGS = {
    "serial, JIT off": ("SET max_parallel_workers_per_gather = 0", "SET jit = off"),
    "serial, JIT on": ("SET max_parallel_workers_per_gather = 0", "SET jit = on"),
    "parallel 2, JIT off": ("SET max_parallel_workers_per_gather = 2", "SET jit = off"),
}
# A formulation whose warm-up run is this many times slower than the best so far is not run again:
# it cannot become the best, and some take tens of seconds.
_HOPELESS = 3.0


@dataclass
class Timing:
    formulation: str
    setting: str
    seconds: float
    inside: int


def available() -> str | None:
    """None if PostGIS can be used, else the reason."""
    try:
        import psycopg

        with psycopg.connect(DSN, connect_timeout=3, autocommit=True) as conn:
            row = conn.execute(
                "SELECT default_version FROM pg_available_extensions WHERE name = 'postgis'"
            ).fetchone()
            if row is None:
                return "the postgis extension is not installed (apt-get install postgresql-15-postgis-3)"
    except Exception as exc:
        return f"no PostgreSQL at {DSN}: {exc}"
    return None


class Bench:
    def __init__(self, name: str):
        import psycopg

        self.name = name
        with psycopg.connect(DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
        self.conn = psycopg.connect(DSN.rsplit("/", 1)[0] + f"/{name}", autocommit=True)
        self.conn.execute("CREATE EXTENSION postgis")
        self.version = self.conn.execute("SELECT postgis_lib_version()").fetchone()[0]
        self.pg = self.conn.execute("SHOW server_version").fetchone()[0]

    def close(self) -> None:
        import psycopg

        self.conn.close()
        with psycopg.connect(DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}"')

    def _copy(self, sql: str, text: str) -> None:
        with self.conn.cursor() as cur, cur.copy(sql) as copy:
            copy.write(text)

    def load_grids(self, geoms: np.ndarray) -> None:
        c = self.conn
        c.execute("CREATE TABLE grids (id integer PRIMARY KEY, geom geometry(Geometry, 4326) NOT NULL)")
        hexes = shapely.to_wkb(shapely.set_srid(geoms, 4326), hex=True, include_srid=True)
        self._copy("COPY grids (id, geom) FROM STDIN", "".join(f"{i}\t{h}\n" for i, h in enumerate(hexes)))
        c.execute("CREATE INDEX grids_geom ON grids USING gist (geom)")
        c.execute("CLUSTER grids USING grids_geom")
        c.execute("CREATE TABLE grids_sub AS SELECT id, ST_Subdivide(geom, 64) AS geom FROM grids")
        c.execute("CREATE INDEX grids_sub_geom ON grids_sub USING gist (geom)")
        c.execute("ANALYZE grids")
        c.execute("ANALYZE grids_sub")

    def load_points(self, table: str, x: np.ndarray, y: np.ndarray) -> None:
        c = self.conn
        c.execute(f"CREATE TABLE {table}_raw (id integer, x double precision, y double precision)")
        buf = io.StringIO()
        np.savetxt(
            buf, np.column_stack([np.arange(len(x)), x, y]), fmt=["%d", "%.12f", "%.12f"], delimiter="\t"
        )
        self._copy(f"COPY {table}_raw FROM STDIN", buf.getvalue())
        c.execute(
            f"CREATE TABLE {table} AS SELECT id, "
            f"ST_SetSRID(ST_MakePoint(x, y), 4326)::geometry(Point, 4326) AS geom FROM {table}_raw"
        )
        c.execute(f"DROP TABLE {table}_raw")
        c.execute(f"ALTER TABLE {table} ADD PRIMARY KEY (id)")
        c.execute(f"CREATE INDEX {table}_geom ON {table} USING gist (geom)")
        c.execute(f"CLUSTER {table} USING {table}_geom")
        c.execute(f"ANALYZE {table}")

    def time_query(self, sql: str, setting: str, repeat: int, best_so_far: float) -> tuple[float, int]:
        c = self.conn
        for statement in SETTINGS[setting]:
            c.execute(statement)
        c.execute("SET work_mem = '256MB'")
        wrapped = f"SELECT count(*), sum(gid::bigint) FROM ({sql}) q WHERE gid IS NOT NULL"
        # The first run warms the buffer cache; it counts only if it is the only one.
        started = time.perf_counter()
        row = c.execute(wrapped).fetchone()
        best = time.perf_counter() - started
        if best > _HOPELESS * best_so_far:
            return best, int(row[0])
        best = float("inf")
        for _ in range(repeat):
            started = time.perf_counter()
            row = c.execute(wrapped).fetchone()
            best = min(best, time.perf_counter() - started)
        return best, int(row[0])

    def run(self, table: str, repeat: int, log: Any = print) -> list[Timing]:
        out: list[Timing] = []
        best = float("inf")
        for name, template in FORMULATIONS.items():
            for setting in SETTINGS:
                seconds, inside = self.time_query(template.format(pts=table), setting, repeat, best)
                best = min(best, seconds)
                log(f"    PostGIS {name:50s} {setting:20s} {seconds:7.2f} s  {inside:,} inside")
                out.append(Timing(name, setting, seconds, inside))
                if seconds > 10 * best:
                    # Ten times the best already: the other settings are not worth minutes each.
                    break
        return out
