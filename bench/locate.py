"""Locate benchmark: points per second of the in-memory grid index (geo/index.py) against plain
shapely, a naive per-point loop and PostGIS at its best, on the same polygons and points.

    .venv/bin/python bench/locate.py                       # Lanzhou 4,417 and Dingxi 13,853 grids
    .venv/bin/python bench/locate.py --points 200000 --layers 兰州市:1000 --no-postgis

Each layer runs in a child process of its own with a throwaway SQLite database, filled by the
real `gridgov geo import-city 甘肃省 <city> --grids N --seed S` (real county boundaries,
synthetic grids), so the index is built exactly as the server builds it. Two sets of points:
uniform in the layer's bounding box (about half fall outside the city), and a mix weighted to
the inside (90 % inside a grid, 10 % uniform). PostGIS: a throwaway database on 127.0.0.1:5432
with the same polygons and points, GiST-indexed, clustered and analysed; only the query is
timed, with every formulation in bench/_postgis.py, and the best is reported. Without the
postgis extension that part is skipped with a note. The naive loop runs on a sample and is
extrapolated (said so in its row). Results go to standard output as Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_LAYERS = "兰州市:4417,定西市:13853"


def _args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Locate benchmark (see the module docstring).")
    p.add_argument("--points", type=int, default=1_000_000, help="points per set (default 1,000,000)")
    p.add_argument("--layers", default=DEFAULT_LAYERS, help=f"CITY:GRIDS,… (default {DEFAULT_LAYERS})")
    p.add_argument("--province", default="甘肃省")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--repeat", type=int, default=5, help="runs of each of our timings; the best is kept")
    p.add_argument("--loop-sample", type=int, default=20_000, help="points for the per-point loop rows")
    p.add_argument("--no-postgis", action="store_true", help="skip PostGIS")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--json", help=argparse.SUPPRESS)
    return p.parse_args(argv)


# --- one layer, in its own process -------------------------------------------------------------


def _best(fn: Any, repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def _child(args: argparse.Namespace) -> dict[str, Any]:
    city, grids = args.child.split(":")
    tmp = tempfile.mkdtemp(prefix="gridgov-bench-locate-")
    os.environ["GRIDGOV_VAR"] = tmp
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    os.environ.setdefault("GRIDGOV_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    import numpy as np
    import shapely
    from django.core.management import call_command

    from gridgov.geo.index import OUTSIDE, GridIndex, load_layer

    sys.path.insert(0, str(HERE))
    import _postgis

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_command(
        "geo", "import-city", args.province, city, "--grids", grids, "--seed", str(args.seed), "--quiet"
    )
    log(f"[{city}] import-city --grids {grids}: {time.perf_counter() - started:.1f} s")

    loads = []
    for _ in range(3):
        t0 = time.perf_counter()
        layer = load_layer()
        loads.append((time.perf_counter() - t0, layer.load_seconds, layer.index.stats.seconds))
    total, read, build = min(loads)
    stats = layer.index.stats
    index = layer.index
    geoms = index.geoms
    log(
        f"[{city}] {len(geoms):,} grids: load {total:.2f} s (read {read:.2f} s, index {build:.2f} s), "
        f"raster {stats.raster_width}x{stats.raster_height} of {stats.cell_m:.0f} m, "
        f"{stats.edge_share:.1%} edge"
    )

    rng = np.random.default_rng(args.seed)
    x0, y0, x1, y1 = (float(v) for v in shapely.total_bounds(geoms))
    n = args.points
    ux, uy = rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)
    pool_x, pool_y = rng.uniform(x0, x1, 4 * n), rng.uniform(y0, y1, 4 * n)
    inside = np.flatnonzero(index.locate_many(pool_x, pool_y) != OUTSIDE)[: n - n // 10]
    mx = np.concatenate([pool_x[inside], ux[: n // 10]])
    my = np.concatenate([pool_y[inside], uy[: n // 10]])
    order = rng.permutation(len(mx))
    mx, my = mx[order], my[order]
    sets = {"uniform in the bbox": (ux, uy), "90 % inside": (mx, my)}

    tree = shapely.STRtree(geoms)

    def plain(x: Any, y: Any) -> Any:
        which, grid = tree.query(shapely.points(x, y), predicate="intersects")
        out = np.full(len(x), np.iinfo(np.int32).max, dtype=np.int64)
        np.minimum.at(out, which, grid)
        out[out == np.iinfo(np.int32).max] = OUTSIDE
        return out

    pool = ThreadPoolExecutor(2)

    def plain_threads(x: Any, y: Any) -> Any:
        half = len(x) // 2
        parts = pool.map(plain, [x[:half], x[half:]], [y[:half], y[half:]])
        return np.concatenate(list(parts))

    pg_reason = "skipped (--no-postgis)" if args.no_postgis else _postgis.available()
    pg = None
    if pg_reason is None:
        pg = _postgis.Bench(f"gridgov_bench_locate_{os.getpid()}")
        pg.load_grids(geoms)

    result: dict[str, Any] = {
        "load_before": os.getloadavg()[0],
        "city": city,
        "grids": len(geoms),
        "build": {
            "total": total,
            "read": read,
            "index": build,
            "raster": [stats.raster_width, stats.raster_height],
            "cell_m": stats.cell_m,
            "edge_share": stats.edge_share,
        },
        "postgis": None if pg is None else {"postgis": pg.version, "postgresql": pg.pg},
        "postgis_note": pg_reason,
        "sets": {},
    }
    try:
        for k, (name, (x, y)) in enumerate(sets.items()):
            rows: dict[str, Any] = {}
            sec, ours = _best(lambda x=x, y=y: index.locate_many(x, y), args.repeat)
            rows["ours, 2 threads"] = sec
            sec, single = _best(lambda x=x, y=y: index.locate_many(x, y, parallel=False), args.repeat)
            rows["ours, 1 thread"] = sec
            sec, ref = _best(lambda x=x, y=y: plain(x, y), 2)
            rows["plain shapely 2 (STRtree.query, 1 thread)"] = sec
            sec, _ = _best(lambda x=x, y=y: plain_threads(x, y), 2)
            rows["plain shapely 2 (STRtree.query, 2 threads)"] = sec
            mismatches = int((ours != ref).sum()) + int((single != ours).sum())
            inside_count = int((ours != OUTSIDE).sum())
            log(
                f"[{city}] {name}: ours {len(x) / rows['ours, 2 threads']:,.0f} pts/s, "
                f"{inside_count:,} inside, {mismatches} differences from plain shapely"
            )

            # The naive loop: one Point object and one tree query per point, in Python.
            m = min(args.loop_sample, len(x))
            started = time.perf_counter()
            for px, py in zip(x[:m], y[:m], strict=True):
                hits = tree.query(shapely.Point(px, py), predicate="intersects")
                _ = int(hits.min()) if len(hits) else OUTSIDE
            rows[f"per-point Python loop with STRtree (sample {m:,}, extrapolated)"] = (
                (time.perf_counter() - started) * len(x) / m
            )
            # Without any index: every grid tested for every point.
            m2 = max(10, min(args.loop_sample // 200, len(x)))
            started = time.perf_counter()
            for px, py in zip(x[:m2], y[:m2], strict=True):
                p = shapely.Point(px, py)
                next((i for i, g in enumerate(geoms) if g.intersects(p)), OUTSIDE)
            rows[f"per-point Python loop over all grids, no index (sample {m2:,}, extrapolated)"] = (
                (time.perf_counter() - started) * len(x) / m2
            )

            out = np.flatnonzero(ours[:100_000] == OUTSIDE)
            near_sec, _ = _best(lambda out=out, x=x, y=y: index.nearest_many(x[out], y[out]), 1)

            pg_rows: list[dict[str, Any]] = []
            pg_inside = None
            if pg is not None:
                table = f"pts{k}"
                t0 = time.perf_counter()
                pg.load_points(table, x, y)
                log(
                    f"[{city}] PostGIS: {len(x):,} points loaded, indexed, clustered in "
                    f"{time.perf_counter() - t0:.1f} s"
                )
                for t in pg.run(table, 2, log=log):
                    pg_rows.append(
                        {
                            "formulation": t.formulation,
                            "setting": t.setting,
                            "seconds": t.seconds,
                            "inside": t.inside,
                        }
                    )
                pg_inside = min(r["inside"] for r in pg_rows), max(r["inside"] for r in pg_rows)
            result["sets"][name] = {
                "points": len(x),
                "inside": inside_count,
                "mismatches": mismatches,
                "rows": rows,
                "nearest": {"points": len(out), "seconds": near_sec},
                "postgis": pg_rows,
                "postgis_inside": pg_inside,
            }
    finally:
        if pg is not None:
            pg.close()
    # A second build from the geometries alone, without the database read, for the build figure.
    build_only, _ = _best(lambda: GridIndex(geoms), 3)
    result["build"]["index_only"] = build_only
    result["load_after"] = os.getloadavg()[0]
    return result


# --- the report -------------------------------------------------------------------------------


def _machine() -> dict[str, str]:
    import numpy
    import shapely

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "os": platform.platform(),
        "python": platform.python_version(),
        "shapely": f"{shapely.__version__} (GEOS {'.'.join(map(str, shapely.geos_version))})",
        "numpy": numpy.__version__,
    }


def _report(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    lines = []
    m = _machine()
    pg = next((r["postgis"] for r in results if r["postgis"]), None)
    lines.append(f"- Machine: {m['cpu']}; {m['os']}")
    lines.append(f"- Python {m['python']}, shapely {m['shapely']}, numpy {m['numpy']}")
    if pg:
        lines.append(f"- PostgreSQL {pg['postgresql']}, PostGIS {pg['postgis']} (same machine, 127.0.0.1)")
    else:
        lines.append(f"- PostGIS: {results[0]['postgis_note']}")
    loads = ", ".join(f"{r['city']} {r['load_before']:.1f} → {r['load_after']:.1f}" for r in results)
    lines.append(f"- Load average (1 min) at the start and end of each layer, other work included: {loads}")
    cmd = " ".join(["bench/locate.py", *sys.argv[1:]])
    lines.append(f"- Command: `.venv/bin/python {cmd}`")
    lines.append("")
    lines.append("| layer | points | method | seconds | points/s | vs PostGIS best |")
    lines.append("|---|---|---|---:|---:|---:|")
    for r in results:
        for name, s in r["sets"].items():
            best_pg = min(s["postgis"], key=lambda t: t["seconds"]) if s["postgis"] else None
            label = f"{r['city']} {r['grids']:,} grids"
            pts = f"{s['points']:,} {name} ({s['inside']:,} inside)"
            for method, sec in s["rows"].items():
                ratio = f"{best_pg['seconds'] / sec:.1f}x" if best_pg else "-"
                lines.append(
                    f"| {label} | {pts} | {method} | {sec:.3f} | {s['points'] / sec:,.0f} | {ratio} |"
                )
            if best_pg:
                sec = best_pg["seconds"]
                lines.append(
                    f"| {label} | {pts} | PostGIS best: {best_pg['formulation']}, {best_pg['setting']} | "
                    f"{sec:.3f} | {s['points'] / sec:,.0f} | 1.0x |"
                )
    lines.append("")
    lines.append(
        "Index build (best of 3; `read` is the Grid rows from SQLite, `index` the raster and trees):"
    )
    lines.append("")
    lines.append("| layer | grids | read + index | read | index | index alone | raster | cell | edge cells |")
    lines.append("|---|---:|---:|---:|---:|---:|---|---:|---:|")
    for r in results:
        b = r["build"]
        lines.append(
            f"| {r['city']} | {r['grids']:,} | {b['total']:.2f} s | {b['read']:.2f} s | {b['index']:.2f} s | "
            f"{b['index_only']:.2f} s | {b['raster'][0]}x{b['raster'][1]} | {b['cell_m']:.0f} m | "
            f"{b['edge_share']:.1%} |"
        )
    lines.append("")
    lines.append("Nearest grid for the points outside every grid (first 100,000 points of each set):")
    lines.append("")
    lines.append("| layer | points | outside points | seconds | points/s |")
    lines.append("|---|---|---:|---:|---:|")
    for r in results:
        for name, s in r["sets"].items():
            nr = s["nearest"]
            rate = nr["points"] / nr["seconds"] if nr["seconds"] else 0
            lines.append(f"| {r['city']} | {name} | {nr['points']:,} | {nr['seconds']:.3f} | {rate:,.0f} |")
    if any(s["postgis"] for r in results for s in r["sets"].values()):
        lines.append("")
        lines.append("Every PostGIS formulation tried (seconds, query only):")
        lines.append("")
        lines.append("| layer | points | formulation | setting | seconds | inside |")
        lines.append("|---|---|---|---|---:|---:|")
        for r in results:
            for name, s in r["sets"].items():
                for t in s["postgis"]:
                    lines.append(
                        f"| {r['city']} | {name} | {t['formulation']} | {t['setting']} | "
                        f"{t['seconds']:.3f} | {t['inside']:,} |"
                    )
    checks = [
        f"{r['city']} {name}: ours and plain shapely differ on {s['mismatches']} of {s['points']:,} points"
        + (
            f"; PostGIS counted {s['postgis_inside'][0]:,}–{s['postgis_inside'][1]:,} inside, "
            f"we {s['inside']:,}"
            if s["postgis_inside"]
            else ""
        )
        for r in results
        for name, s in r["sets"].items()
    ]
    lines.append("")
    lines.append("Checks: " + "; ".join(checks) + ".")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = _args(argv)
    if args.child:
        result = _child(args)
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False))
        return
    results = []
    passthrough = [
        "--points",
        str(args.points),
        "--province",
        args.province,
        "--seed",
        str(args.seed),
        "--repeat",
        str(args.repeat),
        "--loop-sample",
        str(args.loop_sample),
    ]
    if args.no_postgis:
        passthrough.append("--no-postgis")
    with tempfile.TemporaryDirectory() as tmp:
        for spec in args.layers.split(","):
            out = Path(tmp) / "result.json"
            subprocess.run(
                [
                    sys.executable,
                    str(Path(__file__).resolve()),
                    "--child",
                    spec,
                    "--json",
                    str(out),
                    *passthrough,
                ],
                check=True,
                cwd=ROOT,
            )
            results.append(json.loads(out.read_text()))
    print(_report(results, args))


if __name__ == "__main__":
    main()
