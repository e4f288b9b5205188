"""Command-centre screen benchmark: the indicator queries the big screen makes (`stats.indicators`
compute + breakdowns, reading the summary tables) against the naive GROUP BY over the cases
table, in the same run, at 1,000,000 cases on SQLite and 10,000,000 on PostgreSQL.

    .venv/bin/python bench/stats_screen.py                                   # both, full size
    .venv/bin/python bench/stats_screen.py --backends sqlite --sqlite-cases 100000 --repeat 10

For each database: a fresh one (PostgreSQL `gridgov_bench_stats`, SQLite under var/bench-stats/,
both dropped afterwards) with the real Lanzhou territory (4,417 synthetic grids) and the demo
accounts and departments; one case made by the real `case_create` as the template; then
SYNTHETIC historical cases over three years, set-based in one INSERT … SELECT over a generated
series (every column copied from the template except the ones that vary: number, place,
channel, category, department, level, status, clock times, rating, redo count). The summary
tables are then filled set-based from the cases table (`_summary_sql`: the rules of
stats/contribution.py written as SQL; the first dispatch, which lives in the events, is taken
as 30 minutes after acceptance, as no events are generated) and the open cases' facts.

Timed, after the planner's statistics are made as production makes them (`_statistics`: on
SQLite the worker housekeeping's first ANALYZE, bounded by its `analysis_limit`) and one untimed
warm-up, each `--repeat` times for a county (城关区, as its leader) and for the city (as the
city leader):

- the page's requests, as static/dashboards/screen.js sends them, through the whole Django
  stack (test client, session login): each on its own, the figure panels' refresh (six in a
  row, what the page does every 10 s) and a first paint (every request once, in a row);
- every `stats.indicators` call of the screen with every indicator (heavier than the page asks;
  the series of earlier runs);
- the monthly bulletin's "places repeating" (reports.gather, read unchanged) and the naive
  equivalents over the cases table (this month's totals, GROUP BYs by channel × day, by
  department and by child region), `--naive-repeat` times.

Markdown on standard output, progress on standard error.
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench_common import ROOT, child_env, loadavg, log, machine, pg_admin, pg_available, run_child

PG_NAME = "gridgov_bench_stats"
SQLITE_DIR = ROOT / "var" / "bench-stats"
YEARS_SECONDS = 3 * 365 * 86400

VARYING = {
    "number", "status", "channel", "category_id", "grid_id", "region_id", "territory_code",
    "owner_department_id", "level", "is_open", "colour", "rating", "redo_count", "created_at",
    "updated_at", "accepted_at", "contacted_at", "finish_started_at", "finished_at", "closed_at",
    "contact_due_at", "finish_due_at", "feedback_due_at", "due_at", "yellow_at",
}  # fmt: skip
CHANNELS = ["hotline_12345"] * 5 + ["citizen_app"] * 2 + ["grid_worker"] * 4 + [
    "police_110", "petition", "mediation", "sensor", "leader", "upper_transfer", "walk_in",
]  # fmt: skip
DEPARTMENT_CALLS = ("compute month", "breakdown region (month)", "breakdown channel (month)")
LEVELS = ["community"] * 4 + ["township"] * 2 + ["county"] * 3 + ["city"]


def _args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Indicator screen benchmark (see the module docstring).")
    p.add_argument("--sqlite-cases", type=int, default=1_000_000)
    p.add_argument("--pg-cases", type=int, default=10_000_000)
    p.add_argument("--backends", default="sqlite,postgresql")
    p.add_argument("--repeat", type=int, default=30)
    p.add_argument("--naive-repeat", type=int, default=5)
    p.add_argument("--keep", action="store_true", help="keep the databases (to rerun the timing)")
    p.add_argument(
        "--reuse", action="store_true", help="time the databases a --keep run left, generate nothing"
    )
    p.add_argument(
        "--refill-recent",
        action="store_true",
        help="with --reuse: give the last two weeks' cases varied texts and positions again and "
        "recount the recent words and hexagons (stats_recent) set-based, without regenerating",
    )
    p.add_argument(
        "--report", nargs="+", metavar="JSON", help="print the report of saved results, run nothing"
    )
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--cases", type=int, help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    return p.parse_args(argv)


# --- generation -----------------------------------------------------------------------------------


class Sql:
    """The few expressions that differ between the two databases."""

    def __init__(self, vendor: str) -> None:
        self.pg = vendor == "postgresql"

    def series(self) -> str:
        if self.pg:
            return "generate_series(1::bigint, %(n)s::bigint) AS s(g)"
        return (
            "(WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < %(n)s) "
            "SELECT g FROM s) s"
        )

    def at(self, seconds: str) -> str:
        """`now` minus three years plus `seconds`."""
        if self.pg:
            return f"(%(start)s::timestamptz + ({seconds}) * interval '1 second')"
        return f"strftime('%%Y-%%m-%%d %%H:%%M:%%S', %(start)s, CAST(({seconds}) AS INTEGER) || ' seconds')"

    def day(self, col: str) -> str:
        if self.pg:
            return f"(({col}) AT TIME ZONE 'Asia/Shanghai')::date"
        return f"date({col}, '+8 hours')"

    def secs(self, a: str, b: str) -> str:
        if self.pg:
            return f"CAST(EXTRACT(EPOCH FROM ({b}) - ({a})) AS bigint)"
        return f"CAST(ROUND((julianday({b}) - julianday({a})) * 86400) AS INTEGER)"

    def plus(self, col: str, seconds: int) -> str:
        if self.pg:
            return f"(({col}) + interval '{seconds} seconds')"
        return f"strftime('%%Y-%%m-%%d %%H:%%M:%%S', {col}, '+{seconds} seconds')"

    def least(self, a: str, b: str) -> str:
        return f"LEAST({a}, {b})" if self.pg else f"MIN({a}, {b})"

    def text(self, col: str) -> str:
        return f"CAST({col} AS {'text' if self.pg else 'TEXT'})"


# A prime above any case count: row numbers below it give distinct draws (a smaller modulus
# would repeat the same cases every MODULUS rows).
MODULUS = 2_147_483_647


def _h(mult: int) -> str:
    """A uniform integer 0 … MODULUS - 1 from the row number, one stream per multiplier."""
    return f"((g * {mult}) %% {MODULUS})"


def _cases_sql(q: Sql, cols: list[str], types: dict[str, str]) -> str:
    u = lambda m: f"({_h(m)} * 1.0 / {MODULUS})"  # noqa: E731
    # One inner row per case with its random draws; the outer select builds the columns.
    inner = (
        f"SELECT g, CAST({u(2654435761)} * {YEARS_SECONDS} AS INTEGER) AS created, "
        f"CAST({u(40503)} * 5400 AS INTEGER) AS accept_d, "
        f"CAST({u(69069)} * {u(69069)} * 518400 AS INTEGER) + 3600 AS finish_d, "
        f"CAST({u(22695477)} * 7200 AS INTEGER) AS close_d, "
        f"{_h(1103515245)} %% %(ngrids)s AS gi, {_h(134775813)} %% %(ncats)s AS ci, "
        f"{_h(214013)} %% %(ndepts)s AS di, {_h(16807)} %% {len(CHANNELS)} AS chi, "
        f"{_h(48271)} %% {len(LEVELS)} AS li, {_h(279470273)} %% 100 AS r "
        f"FROM {q.series()}"
    )
    age = f"({YEARS_SECONDS} - x.created)"
    done = f"(x.r >= 2 AND x.finish_d + x.close_d < {age})"
    status = (
        f"(CASE WHEN x.r < 2 THEN 'rejected' "
        f"WHEN {done} THEN (CASE WHEN x.r < 92 THEN 'archived' ELSE 'closed' END) "
        f"WHEN x.finish_d < {age} THEN 'reported' ELSE 'handling' END)"
    )
    is_open = f"(x.r >= 2 AND NOT {done})"
    due = "(x.created + 259200)"
    chan = "(CASE x.chi " + " ".join(f"WHEN {i} THEN '{c}'" for i, c in enumerate(CHANNELS)) + " END)"
    level = "(CASE x.li " + " ".join(f"WHEN {i} THEN '{c}'" for i, c in enumerate(LEVELS)) + " END)"
    finished = f"(CASE WHEN x.r >= 2 AND x.finish_d < {age} THEN {q.at('x.created + x.finish_d')} END)"
    expr = {
        "number": "'S' || " + (q.text("x.g") if q.pg else "substr('000000000' || x.g, -9, 9)"),
        "status": status,
        "channel": chan,
        "category_id": "c.category_id",
        "grid_id": "bg.grid_id",
        "region_id": "bg.region_id",
        "territory_code": "bg.code",
        "owner_department_id": "(CASE WHEN x.r < 2 OR x.r %% 10 = 9 THEN NULL ELSE d.department_id END)",
        "level": level,
        "is_open": is_open if q.pg else f"(CASE WHEN {is_open} THEN 1 ELSE 0 END)",
        "colour": f"(CASE WHEN NOT {is_open} THEN '' WHEN {due} < {YEARS_SECONDS} THEN 'red' "
        "ELSE 'green' END)",
        "rating": f"(CASE WHEN x.r >= 2 AND x.r < 92 AND {done} THEN (CASE WHEN x.r %% 7 = 0 "
        f"THEN 'basically_satisfied' WHEN x.r = 13 THEN 'unsatisfied' ELSE 'satisfied' END) ELSE '' END)",
        "redo_count": "(CASE WHEN x.r %% 31 = 5 THEN 1 ELSE 0 END)",
        "created_at": q.at("x.created"),
        "updated_at": q.at("x.created"),
        "accepted_at": f"(CASE WHEN x.r >= 2 THEN {q.at('x.created + x.accept_d')} END)",
        "contacted_at": q.at("x.created + x.accept_d"),
        "finish_started_at": q.at("x.created"),
        "finished_at": finished,
        "closed_at": f"(CASE WHEN {done} THEN {q.at('x.created + x.finish_d + x.close_d')} END)",
        "contact_due_at": q.at("x.created + 3600"),
        "finish_due_at": q.at(due),
        "feedback_due_at": (
            f"(CASE WHEN x.finish_d < {age} THEN {q.at('x.created + x.finish_d + 86400')} END)"
        ),
        "due_at": f"(CASE WHEN {is_open} THEN {q.at(due)} END)",
        "yellow_at": f"(CASE WHEN {is_open} THEN {q.at(due + ' - 51840')} END)",
    }
    select = []
    for c in cols:
        if c in expr:
            select.append(f"{expr[c]}" + (f"::{types[c]}" if q.pg and c in ("is_open",) else ""))
        elif q.pg:
            select.append(f"%({c})s::{types[c]}")
        else:
            select.append(f"%({c})s")
    names = ", ".join(f'"{c}"' for c in cols)
    return (
        f"INSERT INTO cases_case ({names}) SELECT {', '.join(select)} FROM ({inner}) x "
        "JOIN bench_grid bg ON bg.i = x.gi JOIN bench_cat c ON c.i = x.ci JOIN bench_dept d ON d.i = x.di "
        # In registration order, as a live table fills: a week of cases then lies in a few
        # thousand adjacent pages, not scattered over the whole heap (PostgreSQL read 60,000
        # pages for one week's heat layer in a table filled in random time order).
        "ORDER BY x.created"
    )


def _summary_sql(q: Sql) -> str:
    """The fine cells of all cases, set-based, in one scan of the cases table: each case row is
    joined with the eight rules of stats/contribution.py (intake, accept, dispatch, handled,
    closed, due if closed, due if open, rated) and the rules that apply are summed per cell."""
    from gridgov.stats.models import COUNTERS

    live = "status NOT IN ('rejected', 'merged')"
    dispatched = q.plus("accepted_at", 1800)
    rules: list[tuple[str, str, dict[str, str]]] = [
        ("created_at", "1 = 1", {"intake": "1"}),
        ("accepted_at", f"{live} AND accepted_at IS NOT NULL",
         {"accept_count": "1", "accept_seconds": q.secs("created_at", "accepted_at")}),
        (dispatched, f"{live} AND owner_department_id IS NOT NULL AND accepted_at IS NOT NULL",
         {"dispatch_count": "1", "dispatch_seconds": q.secs("created_at", dispatched)}),
        ("finished_at", f"{live} AND finished_at IS NOT NULL",
         {"handled": "1", "handled_on_time": "(CASE WHEN finished_at <= finish_due_at THEN 1 ELSE 0 END)"}),
        ("closed_at", f"{live} AND closed_at IS NOT NULL",
         {"closed": "1", "close_seconds": q.secs("created_at", "closed_at"),
          "closed_redone": "(CASE WHEN redo_count > 0 THEN 1 ELSE 0 END)",
          "closed_self": "(CASE WHEN level = 'community' THEN 1 ELSE 0 END)"}),
        (q.least("closed_at", "finish_due_at"), f"{live} AND closed_at IS NOT NULL",
         {"due": "1", "due_closed": "1", "due_closed_on_time": (
             "(CASE WHEN finished_at <= finish_due_at AND (feedback_due_at IS NULL OR "
             "closed_at <= feedback_due_at) THEN 1 ELSE 0 END)")}),
        ("finish_due_at", f"{live} AND closed_at IS NULL AND finish_due_at IS NOT NULL", {"due": "1"}),
        ("closed_at", f"{live} AND rating <> '' AND closed_at IS NOT NULL",
         {"rated": "1",
          "satisfied": "(CASE WHEN rating IN ('satisfied', 'basically_satisfied') THEN 1 ELSE 0 END)"}),
    ]  # fmt: skip
    kinds = "(VALUES " + ", ".join(f"({i})" for i in range(len(rules))) + ") AS k"
    day = "CASE k.column1 " + " ".join(f"WHEN {i} THEN {q.day(r[0])}" for i, r in enumerate(rules)) + " END"
    cond = " OR ".join(f"(k.column1 = {i} AND {r[1]})" for i, r in enumerate(rules))

    def counter(c: str) -> str:
        whens = " ".join(f"WHEN {i} THEN {r[2][c]}" for i, r in enumerate(rules) if c in r[2])
        return f"SUM(CASE k.column1 {whens} ELSE 0 END)"

    return (
        "INSERT INTO stats_cell (territory, department_id, category_id, channel, day, "
        f"{', '.join(COUNTERS)}) "
        f"SELECT territory_code, COALESCE(owner_department_id, 0), category_id, channel, {day}, "
        f"{', '.join(counter(c) for c in COUNTERS)} FROM cases_case CROSS JOIN {kinds} WHERE {cond} "
        f"GROUP BY territory_code, COALESCE(owner_department_id, 0), category_id, channel, {day}"
    )


def _rollup_sqls(q: Sql) -> list[str]:
    """The rollups, set-based: grid totals and the township rows by dimension from the cells,
    every level above from the level below it (the generated cases all lie in grids)."""
    from gridgov.stats.contribution import DIM_MAX_LENGTH, PREFIX_LENGTHS
    from gridgov.stats.models import COUNTERS

    cols = ", ".join(COUNTERS)
    sums = ", ".join(f"SUM({c})" for c in COUNTERS)
    insert = f"INSERT INTO stats_rollup (code, dim, key, day, {cols}) "
    out = [f"{insert}SELECT territory, '', '', day, {sums} FROM stats_cell GROUP BY territory, day"]
    lengths = sorted(PREFIX_LENGTHS, reverse=True)
    for below, n in itertools.pairwise(lengths):
        code = f"substr(code, 1, {n})"
        out.append(
            f"{insert}SELECT {code}, '', '', day, {sums} FROM stats_rollup "
            f"WHERE dim = '' AND length(code) = {below} GROUP BY {code}, day"
        )
    top = max(n for n in PREFIX_LENGTHS if n <= DIM_MAX_LENGTH)
    code = f"substr(territory, 1, {top})"
    for dim, key, join in (
        ("channel", "channel", ""),
        ("department", q.text("department_id"), ""),
        ("category", q.text("COALESCE(k.parent_id, k.id)"), " JOIN cases_category k ON k.id = c.category_id"),
    ):
        out.append(
            f"{insert}SELECT {code}, '{dim}', {key}, day, {sums} FROM stats_cell c{join} "
            f"GROUP BY {code}, {key}, day"
        )
    dim_lengths = sorted((n for n in PREFIX_LENGTHS if n <= DIM_MAX_LENGTH), reverse=True)
    for below, n in itertools.pairwise(dim_lengths):
        code = f"substr(code, 1, {n})"
        out.append(
            f"{insert}SELECT {code}, dim, key, day, {sums} FROM stats_rollup "
            f"WHERE dim <> '' AND length(code) = {below} GROUP BY {code}, dim, key, day"
        )
    return out


def _facts_sql(q: Sql) -> str:
    day = q.day("c.created_at")
    return (
        "INSERT INTO stats_casefact (case_id, territory, department_id, category_id, top_category_id, "
        "channel, "
        "received_day, is_open, overdue, days, words, cell) "
        f"SELECT c.id, c.territory_code, COALESCE(c.owner_department_id, 0), c.category_id, "
        f"COALESCE(k.parent_id, k.id), c.channel, {day}, c.is_open, c.colour = 'red', '{{}}', '[]', '' "
        "FROM cases_case c JOIN cases_category k ON k.id = c.category_id "
        "WHERE c.status NOT IN ('rejected', 'archived', 'merged')"
    )


BENCH_TEXTS = 3000  # distinct texts of the recent cases, from the demo's templates
POSITIONS_PER_GRID = 4


def _recent_fill(cur: Any, q: Sql) -> dict[str, int]:
    """The recent counts (stats_recent: words, hexagons and territories of the last two weeks),
    set-based.

    The generated cases all copy the template's text and position, which would leave one word
    set and one hexagon per level: too kind to the hot topics and the heat layer. So the cases
    of the kept days first get varied texts (BENCH_TEXTS made from the demo's templates, case
    id modulo BENCH_TEXTS) and positions (one of POSITIONS_PER_GRID points in their grid's
    box), in one UPDATE; the words of each text and the hexagon of each point at every level
    are computed here (jieba and h3, a few thousand of each), and the rows are then counted by
    one INSERT … SELECT each, as the reader would have counted them. The open-case facts keep
    no words (they are not read by the screen; the facts' `days` are not filled either)."""
    import random
    from datetime import UTC, datetime
    from datetime import time as dtime

    import h3
    from django.utils import timezone

    from gridgov.cases import demo_texts
    from gridgov.geo.models import Grid
    from gridgov.stats.contribution import PREFIX_LENGTHS, recent_start
    from gridgov.stats.recent import HEAT_RESOLUTION, words_of

    since = datetime.combine(recent_start(), dtime.min, tzinfo=timezone.get_current_timezone())
    # As the generated rows hold it: SQLite's text in UTC, PostgreSQL's timestamptz.
    since_param: Any = since if q.pg else since.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    rng = random.Random(20261121)
    codes = sorted(demo_texts.TEXTS)
    texts = []
    for i in range(BENCH_TEXTS):
        title, description, _ = demo_texts.case_text(
            rng.choice(codes), rng, place=f"第{i % 97}社区", rural=i % 5 == 0, at=since
        )
        texts.append((i, title, description))
    words = [(i, w) for i, title, description in texts for w in words_of(title, description)]
    points, cells = [], []
    for pk, box in (
        (g.pk, g.bbox) for g in Grid.objects.only("id", "min_lon", "min_lat", "max_lon", "max_lat")
    ):
        for j in range(POSITIONS_PER_GRID):
            # The box's centre moved a quarter of its size towards each corner.
            lon = (box[0] + box[2]) / 2 + (box[2] - box[0]) * (0.25 if j % 2 else -0.25)
            lat = (box[1] + box[3]) / 2 + (box[3] - box[1]) * (0.25 if j // 2 else -0.25)
            points.append((pk, j, lon, lat))
            cells += [(pk, j, n, h3.latlng_to_cell(lat, lon, HEAT_RESOLUTION[n])) for n in PREFIX_LENGTHS]
    for ddl in (
        "CREATE TEMP TABLE bench_text (i integer PRIMARY KEY, title text, description text)",
        "CREATE TEMP TABLE bench_word (i integer, word varchar(16))",
        "CREATE TEMP TABLE bench_point "
        "(grid_id bigint, j integer, lon double precision, lat double precision, PRIMARY KEY (grid_id, j))",
        "CREATE TEMP TABLE bench_cell (grid_id bigint, j integer, n integer, cell varchar(16))",
    ):
        cur.execute(ddl)
    cur.executemany("INSERT INTO bench_text VALUES (%s, %s, %s)", texts)
    cur.executemany("INSERT INTO bench_word VALUES (%s, %s)", words)
    cur.executemany("INSERT INTO bench_point VALUES (%s, %s, %s, %s)", points)
    cur.executemany("INSERT INTO bench_cell VALUES (%s, %s, %s, %s)", cells)
    cur.execute(
        "UPDATE cases_case SET title = t.title, description = t.description, lon = p.lon, lat = p.lat "
        f"FROM bench_text t, bench_point p WHERE cases_case.created_at >= %s "
        f"AND t.i = cases_case.id %% {BENCH_TEXTS} AND p.grid_id = cases_case.grid_id "
        f"AND p.j = cases_case.id %% {POSITIONS_PER_GRID}",
        [since_param],
    )
    updated = cur.rowcount
    cur.execute("DELETE FROM stats_recent")
    levels = "(VALUES " + ", ".join(f"({n})" for n in PREFIX_LENGTHS) + ") AS n"
    day = q.day("c.created_at")
    code = "substr(c.territory_code, 1, n.column1)"
    insert = "INSERT INTO stats_recent (code, dim, day, key, cases) "
    window = "c.created_at >= %s AND length(c.territory_code) >= n.column1"
    cur.execute(
        f"{insert}SELECT {code}, 'word', {day}, w.word, COUNT(*) FROM cases_case c CROSS JOIN {levels} "
        f"JOIN bench_word w ON w.i = c.id %% {BENCH_TEXTS} WHERE {window} GROUP BY {code}, {day}, w.word",
        [since_param],
    )
    cur.execute(
        f"{insert}SELECT {code}, 'heat', {day}, k.cell, COUNT(*) FROM cases_case c CROSS JOIN {levels} "
        f"JOIN bench_cell k ON k.grid_id = c.grid_id AND k.j = c.id %% {POSITIONS_PER_GRID} "
        f"AND k.n = n.column1 WHERE {window} AND c.lon IS NOT NULL GROUP BY {code}, {day}, k.cell",
        [since_param],
    )
    cur.execute(
        f"{insert}SELECT {code}, 'place', {day}, c.territory_code, COUNT(*) FROM cases_case c "
        f"CROSS JOIN {levels} WHERE {window} GROUP BY {code}, {day}, c.territory_code",
        [since_param],
    )
    for table in ("bench_text", "bench_word", "bench_point", "bench_cell"):
        cur.execute(f"DROP TABLE {table}")
    cur.execute("SELECT COUNT(*) FROM stats_recent")
    return {"cases_retexted": updated, "recent_rows": cur.fetchone()[0]}


def _generate(n: int) -> dict[str, float]:
    from datetime import UTC, timedelta

    from django.db import connection
    from django.utils import timezone

    from _bench_common import build_city
    from gridgov.accounts.models import Department, User
    from gridgov.cases.models import Case, Category
    from gridgov.cases.services import CaseDraft, case_create
    from gridgov.geo.models import Grid

    q = Sql(connection.vendor)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    build_city()
    timings["territory"] = time.perf_counter() - t0
    actor = User.objects.get(username="city_dispatcher")
    category = Category.objects.filter(active=True, parent__isnull=False).order_by("code").first()
    assert category is not None
    now = timezone.now().replace(microsecond=0)
    draft = CaseDraft(
        channel="hotline_12345", category_code=category.code, title="楼道墙体开裂(合成数据)",
        description="基准测试合成数据 / synthetic benchmark data", lon=103.83, lat=36.06,
    )  # fmt: skip
    template, _ = case_create(actor=actor, draft=draft, idempotency_key="bench-template", now=now)
    table = Case._meta.db_table
    grids = list(Grid.objects.order_by("code").values_list("pk", "code", "community_id"))
    cats = list(Category.objects.filter(parent__isnull=False).order_by("code").values_list("pk", flat=True))
    depts = list(Department.objects.order_by("code").values_list("pk", flat=True))
    with connection.cursor() as cur:
        if q.pg:
            # The generated rows reference existing ids by construction: foreign-key checks
            # (one trigger per row and key, queued to the end of the statement) are skipped
            # while loading, as a restore does.
            cur.execute("SET session_replication_role = replica")
            cur.execute("SET synchronous_commit = off")
            cur.execute("SET work_mem = '256MB'")
            cur.execute("SET maintenance_work_mem = '512MB'")
        for ddl in (
            "CREATE TEMP TABLE bench_grid "
            "(i integer PRIMARY KEY, grid_id bigint, code varchar(15), region_id bigint)",
            "CREATE TEMP TABLE bench_cat (i integer PRIMARY KEY, category_id bigint)",
            "CREATE TEMP TABLE bench_dept (i integer PRIMARY KEY, department_id bigint)",
        ):
            cur.execute(ddl)
        cur.executemany(
            "INSERT INTO bench_grid VALUES (%s, %s, %s, %s)", [(i, *g) for i, g in enumerate(grids)]
        )
        cur.executemany("INSERT INTO bench_cat VALUES (%s, %s)", list(enumerate(cats)))
        cur.executemany("INSERT INTO bench_dept VALUES (%s, %s)", list(enumerate(depts)))
        if q.pg:
            cur.execute(
                "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                [table],
            )
            types = dict(cur.fetchall())
            cols = [c for c in types if c != "id"]
            cur.execute(
                f"SELECT {', '.join(f'{c}::text' for c in cols)} FROM {table} WHERE id = %s", [template.pk]
            )
            row = cur.fetchone()
            names = cols
        else:
            types = {}
            cur.execute(f"SELECT * FROM {table} WHERE id = %s", [template.pk])
            row = cur.fetchone()
            names = [d[0] for d in cur.description]
        values = dict(zip(names, row, strict=True))
        cols = [c for c in names if c != "id"]
        params: dict[str, Any] = {c: values[c] for c in cols if c not in VARYING}
        start = now - timedelta(seconds=YEARS_SECONDS)
        params.update(
            n=n, ngrids=len(grids), ncats=len(cats), ndepts=len(depts),
            start=start if q.pg else start.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        )  # fmt: skip
        # Secondary indexes off while loading, back on afterwards: the same indexes, built once.
        indexes = _drop_indexes(cur, q, table)
        t0 = time.perf_counter()
        cur.execute(_cases_sql(q, cols, types), params)
        timings["cases_insert"] = time.perf_counter() - t0
        if q.pg:
            cur.execute("SET session_replication_role = DEFAULT")
        log(f"  {n:,} cases inserted in {timings['cases_insert']:.0f} s")
        t0 = time.perf_counter()
        for ddl in indexes:
            cur.execute(ddl)
        timings["cases_indexes"] = time.perf_counter() - t0
        log(f"  cases indexes rebuilt in {timings['cases_indexes']:.0f} s")
        t0 = time.perf_counter()
        stats_indexes = _drop_indexes(cur, q, "stats_cell") + _drop_indexes(cur, q, "stats_rollup")
        cur.execute(_summary_sql(q), [])  # [] so that %% in the SQLite expressions reads as %
        for ddl in stats_indexes:
            cur.execute(ddl)
        timings["cells"] = time.perf_counter() - t0
        log(f"  cells in {timings['cells']:.0f} s")
        t0 = time.perf_counter()
        for sql in _rollup_sqls(q):
            cur.execute(sql)
        cur.execute(_facts_sql(q))
        timings["rollups_facts"] = time.perf_counter() - t0
        log(f"  rollups and facts in {timings['rollups_facts']:.0f} s")
        t0 = time.perf_counter()
        log(f"  recent words and hexagons: {_recent_fill(cur, q)}")
        timings["recent"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        _statistics(connection)
        timings["analyze"] = time.perf_counter() - t0
    return timings


def _drop_indexes(cur: Any, q: Sql, table: str) -> list[str]:
    """Drop the table's secondary indexes (not the primary key, not unique constraints the
    loader relies on); returns the statements that make them again."""
    if q.pg:
        cur.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), c.conname "
            "FROM pg_index i LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid "
            "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary",
            [table],
        )
        again = []
        for name, ddl, constraint in cur.fetchall():
            if constraint:
                # Built again as a unique index, then attached as the same constraint: a later
                # migration that drops the constraint by name must find it.
                cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{constraint}"')
                again.append(ddl)
                again.append(f'ALTER TABLE {table} ADD CONSTRAINT "{constraint}" UNIQUE USING INDEX "{name}"')
            else:
                cur.execute(f"DROP INDEX {name}")
                again.append(ddl)
        return again
    cur.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
        [table],
    )
    again = []
    for name, ddl in cur.fetchall():
        cur.execute(f'DROP INDEX "{name}"')
        again.append(ddl)
    return again


# --- timing -----------------------------------------------------------------------------------------


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(p * (len(xs) - 1))))]


def _time(fn: Any, repeat: int) -> dict[str, float]:
    fn()  # warm-up, not timed
    xs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        xs.append((time.perf_counter() - t0) * 1000)
    return {"p50": statistics.median(xs), "p95": _pct(xs, 0.95), "max": max(xs), "n": repeat}


def _screen_calls(scope: Any, today: Any) -> dict[str, Any]:
    """Every indicator (names=None) for each panel's question: heavier than what the page asks
    (see `_page_requests`), kept to compare with the figures of earlier runs."""
    from datetime import timedelta

    from gridgov.stats.indicators import Period, breakdown, compute

    month = Period.month_of(today)
    last30 = Period(today - timedelta(days=29), today)
    return {
        "compute today": lambda: compute(scope=scope, period=Period.day(today)),
        "compute month": lambda: compute(scope=scope, period=month),
        "breakdown region (month)": lambda: breakdown(scope=scope, period=month, by="region"),
        "breakdown channel (month)": lambda: breakdown(scope=scope, period=month, by="channel"),
        "breakdown department (month)": lambda: breakdown(scope=scope, period=month, by="department"),
        "breakdown category (month)": lambda: breakdown(scope=scope, period=month, by="category"),
        "breakdown day (30 days)": lambda: breakdown(
            scope=scope, period=last30, by="day", names=["intake", "closed", "on_time_closure_rate"]
        ),
    }


# The page's requests, as static/dashboards/screen.js sends them (one at a time, through a
# queue): the figure panel's group every 10 s, the map every 15 s, the feed every 5 s, the
# trend and hot topics every 60 s (each cached a minute on the server; timed uncached here).
FIGURE_GROUP = ("clock", "figures today", "figures month", "source", "ranking", "regions")
PAGE_GROUPS = {
    "figure panels, one refresh (6 requests in a row)": FIGURE_GROUP,
    "first paint (every request once, in a row)": (
        "place", *FIGURE_GROUP, "trend (uncached)", "hot (uncached)", "feed", "shapes", "map",
    ),
}  # fmt: skip


def _page_requests(client: Any, code: str, today: Any) -> dict[str, Any]:
    """HTTP GETs through the whole Django stack (middleware, session, scope check, JSON), with
    the parameters screen.js sends for a region's screen."""
    from django.core.cache import cache

    from gridgov.dashboards.models import SimplifiedShape
    from gridgov.dashboards.screen import FIGURES, RANKING
    from gridgov.stats.indicators import Period

    month = Period.month_of(today)
    m = {"start": month.start.isoformat(), "end": month.end.isoformat()}
    t = {"start": today.isoformat(), "end": today.isoformat()}

    def get(path: str, **params: str) -> Any:
        def call() -> None:
            response = client.get(f"/api/v1/{path}", {"region": code, **params})
            assert response.status_code == 200, (path, response.status_code, response.content[:300])

        return call

    def uncached(call: Any) -> Any:
        def run() -> None:
            cache.clear()  # the trend is kept a minute; time the work itself
            call()

        return run

    def new_layer(call: Any) -> Any:
        def run() -> None:
            # The first drill-down after a change to the layer: nothing simplified is stored.
            SimplifiedShape.objects.all().delete()
            call()

        return run

    figures = ",".join(FIGURES)
    return {
        "place": get("dashboards/place"),
        "clock": get("dashboards/clock"),
        "figures today": get("stats/indicators", names=figures, **t),
        "figures month": get("stats/indicators", names=figures, **m),
        "source": get("stats/breakdown", by="channel", names="intake", **m),
        "ranking": get("stats/breakdown", by="department", names=",".join(RANKING), **m),
        "regions": get("stats/breakdown", by="region", names="intake,in_progress,overdue", **m),
        "trend (uncached)": uncached(get("dashboards/trend")),
        "hot (uncached)": uncached(get("dashboards/hot")),
        "feed": get("dashboards/feed"),
        "shapes": get("dashboards/shapes"),
        "shapes (first use after a layer change)": new_layer(get("dashboards/shapes")),
        "map": get("dashboards/map"),
    }


def _bulletin_calls(region: Any, today: Any) -> dict[str, Any]:
    """The monthly bulletin's one read of the cases table besides the overdue list: the places
    where cases repeat (reports.gather.places_repeating, unchanged), this month."""
    from gridgov.reports.gather import places_repeating
    from gridgov.stats.indicators import Period

    month = Period.month_of(today)
    return {"places repeating (month)": lambda: places_repeating(region, month)}


def _naive_calls(prefix: str, today: Any) -> dict[str, Any]:
    """The same questions asked of the cases table directly, as one would without summaries."""
    from datetime import datetime, timedelta
    from datetime import time as dtime

    from django.db.models import Avg, Count, F, Q
    from django.db.models.functions import Substr, TruncDate
    from django.utils import timezone

    from gridgov.cases.models import Case
    from gridgov.geo.models import Region

    tz = timezone.get_current_timezone()
    start = datetime.combine(today.replace(day=1), dtime.min, tzinfo=tz)
    end = datetime.combine(today + timedelta(days=1), dtime.min, tzinfo=tz)
    scoped = Case.objects.filter(territory_code__startswith=prefix)
    month_created = scoped.filter(created_at__gte=start, created_at__lt=end)
    child_len = Region.objects.filter(prefix=prefix).values_list("level", flat=True).first()
    n = {"city": 6, "county": 9}.get(child_len or "", 12)

    def totals() -> Any:
        a = month_created.aggregate(intake=Count("id"), open=Count("id", filter=Q(is_open=True)))
        b = scoped.filter(closed_at__gte=start, closed_at__lt=end).aggregate(
            closed=Count("id"),
            on_time=Count("id", filter=Q(finished_at__lte=F("finish_due_at"))),
            hours=Avg(F("closed_at") - F("created_at")),
        )
        return a, b

    return {
        "totals (month)": totals,
        "GROUP BY channel × day (month)": lambda: list(
            month_created.annotate(d=TruncDate("created_at", tzinfo=tz))
            .values("channel", "d")
            .annotate(n=Count("id"))
        ),
        "GROUP BY department (month)": lambda: list(
            month_created.values("owner_department_id").annotate(
                n=Count("id"), closed=Count("id", filter=Q(closed_at__isnull=False))
            )
        ),
        "GROUP BY child region (month)": lambda: list(
            month_created.annotate(k=Substr("territory_code", 1, n)).values("k").annotate(n=Count("id"))
        ),
    }


def _child(args: argparse.Namespace) -> dict[str, Any]:
    import django

    django.setup()
    from django.db import connection

    from gridgov.geo.enums import RegionLevel
    from gridgov.geo.models import Region
    from gridgov.stats.indicators import Scope, today
    from gridgov.stats.models import CaseFact, Cell, Rollup

    out: dict[str, Any] = {"vendor": connection.vendor, "cases": args.cases}
    if args.reuse:  # the stats schema of the code being timed (an index added since, say)
        from django.core.management import call_command

        # Only the stats app's: the cases table keeps the indexes it was generated with (another
        # app's migration on ten million rows is not this benchmark's subject).
        call_command("migrate", "stats", verbosity=0)
        call_command("migrate", "dashboards", verbosity=0)
        if args.refill_recent:
            t0 = time.perf_counter()
            with connection.cursor() as cur:
                filled = _recent_fill(cur, Sql(connection.vendor))
            out["refill_recent"] = {**filled, "seconds": round(time.perf_counter() - t0, 1)}
            log(f"  recent refilled: {out['refill_recent']}")
        _statistics(connection)
    out["generate"] = None if args.reuse else _generate(args.cases)
    from gridgov.cases.models import Case

    out["cases"] = Case.objects.count() - 1  # less the template
    out["rows"] = {
        "cells": Cell.objects.count(),
        "rollups": Rollup.objects.count(),
        "facts": CaseFact.objects.count(),
    }
    log(f"  rows: {out['rows']}")
    city = Region.objects.get(level=RegionLevel.CITY)
    county = (
        Region.objects.filter(level=RegionLevel.COUNTY, code="620102").first()
        or Region.objects.filter(level=RegionLevel.COUNTY).order_by("code").first()
    )
    d = today()
    out["load_before"] = loadavg()
    out["page"], out["screen"], out["naive"], out["bulletin"] = {}, {}, {}, {}
    from django.test import Client

    from gridgov.accounts.models import User

    for name, region, username in (
        ("county " + county.name, county, f"{county.code}_leader"),
        ("city " + city.name, city, "city_leader"),
    ):
        client = Client()
        client.force_login(User.objects.get(username=username))
        requests = _page_requests(client, region.code, d)
        page = {label: _time(fn, args.repeat) for label, fn in requests.items()}
        for group, labels in PAGE_GROUPS.items():
            page[group] = _time(
                lambda labels=labels, requests=requests: [requests[label]() for label in labels], args.repeat
            )
        out["page"][f"{name} ({username})"] = page
        log(f"  {name}: figure panels p95 {page[next(iter(PAGE_GROUPS))]['p95']:.1f} ms")
        calls = _screen_calls(Scope(region=region), d)
        timed = {label: _time(fn, args.repeat) for label, fn in calls.items()}
        timed["all seven in a row"] = _time(lambda calls=calls: [fn() for fn in calls.values()], args.repeat)
        out["screen"][name] = timed
        out["bulletin"][name] = {
            label: _time(fn, args.naive_repeat) for label, fn in _bulletin_calls(region, d).items()
        }
        naive = _naive_calls(region.prefix, d)
        out["naive"][name] = {label: _time(fn, args.naive_repeat) for label, fn in naive.items()}
    # A department's view of the city: one filter, so the rollups answer its totals, but its
    # breakdown by channel needs two dimensions at once: the fine cells.
    from gridgov.accounts.models import Department

    dept = Department.objects.filter(region=city).order_by("code").first() or Department.objects.first()
    if dept is not None:
        scope = Scope(region=city, department_id=dept.pk)
        calls = {k: v for k, v in _screen_calls(scope, d).items() if k in DEPARTMENT_CALLS}
        name = f"department {dept.name} (city)"
        out["screen"][name] = {label: _time(fn, args.repeat) for label, fn in calls.items()}
    out["load_after"] = loadavg()
    return out


def _statistics(connection: Any) -> None:
    """The planner's statistics as production keeps them: on SQLite the worker's housekeeping
    (`core.housekeeping`: a first ANALYZE bounded by its `analysis_limit`, so a sample of each
    index, then `PRAGMA optimize`), here its first run; PostgreSQL's autovacuum analyses whole
    tables, as a plain ANALYZE does."""
    from gridgov.core.housekeeping import ANALYSIS_LIMIT

    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
        cur.execute("ANALYZE")


def _backend(name: str, args: argparse.Namespace) -> dict[str, Any]:
    SQLITE_DIR.mkdir(parents=True, exist_ok=True)
    n = args.sqlite_cases if name == "sqlite" else args.pg_cases
    db = SQLITE_DIR / "bench.sqlite3"
    if name == "postgresql":
        if not args.reuse:
            pg_admin(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
            pg_admin(f'CREATE DATABASE "{PG_NAME}"')
        url = f"postgresql://postgres@127.0.0.1:5432/{PG_NAME}"
    else:
        if not args.reuse:
            for f in SQLITE_DIR.glob("bench.sqlite3*"):
                f.unlink()
        url = f"sqlite:///{db}"
    env = child_env(tmp=str(SQLITE_DIR), database_url=url, settings="gridgov.settings")
    out = SQLITE_DIR / f"result-{name}.json"
    try:
        log(f"[{name}] {n:,} cases")
        run_child(
            Path(__file__).resolve(),
            ["--child", name, "--cases", str(n), "--out", str(out), *_pass(args)],
            env,
        )
        return json.loads(out.read_text())
    finally:
        if not args.keep:
            if name == "postgresql":
                pg_admin(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
            else:
                shutil.rmtree(SQLITE_DIR, ignore_errors=True)


def _pass(args: argparse.Namespace) -> list[str]:
    return [
        "--repeat",
        str(args.repeat),
        "--naive-repeat",
        str(args.naive_repeat),
        *(["--reuse"] if args.reuse else []),
        *(["--refill-recent"] if args.refill_recent else []),
    ]


def _report(results: list[dict[str, Any]], notes: list[str]) -> str:
    lines = [
        f"- Machine: {machine()}",
        f"- Command: `.venv/bin/python {' '.join(['bench/stats_screen.py', *sys.argv[1:]])}`",
        *[f"- {n}" for n in notes],
        "",
    ]
    for r in results:
        g = r["generate"] or {}
        made = (
            f"Generated in {sum(g.values()):.0f} s (territory {g['territory']:.0f} s, "
            f"cases {g['cases_insert']:.0f} s, "
            f"their indexes {g['cases_indexes']:.0f} s, cells {g['cells']:.0f} s, rollups and facts "
            f"{g['rollups_facts']:.0f} s, recent words and hexagons {g.get('recent', 0):.0f} s, "
            f"ANALYZE {g['analyze']:.0f} s); "
            if g
            else "Timed on the databases of an earlier --keep run"
            + (f" (recent counts refilled: {r['refill_recent']}); " if r.get("refill_recent") else "; ")
        )
        lines += [
            f"### {r['vendor']}, {r['cases']:,} synthetic cases",
            "",
            made + f"rows: {r['rows']['cells']:,} cells, "
            f"{r['rows']['rollups']:,} rollups, {r['rows']['facts']:,} open-case facts. "
            f"Load average (1/5/15) before timing {r['load_before']}, after {r['load_after']}.",
        ]
        tables = (
            ("page", "the page's request (HTTP, whole server stack)"),
            ("screen", "call of stats.indicators, every indicator (summary tables)"),
            ("bulletin", "bulletin read of the cases table (reports.gather)"),
            ("naive", "naive query over the cases table"),
        )
        for key, heading in tables:
            lines += ["", f"| scope | {heading} | p50 ms | p95 ms | max ms |", "|---|---|---:|---:|---:|"]
            for scope, calls in r.get(key, {}).items():
                for label, t in calls.items():
                    lines.append(f"| {scope} | {label} | {t['p50']:.1f} | {t['p95']:.1f} | {t['max']:.1f} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = _args(argv)
    if args.child:
        Path(args.out).write_text(json.dumps(_child(args), ensure_ascii=False, default=str))
        return
    if args.report:
        print(_report([json.loads(Path(f).read_text()) for f in args.report], []))
        return
    notes, results = [], []
    for name in [b.strip() for b in args.backends.split(",") if b.strip()]:
        if name == "postgresql" and (reason := pg_available()):
            notes.append(f"PostgreSQL skipped: {reason}")
            continue
        results.append(_backend(name, args))
    print(_report(results, notes))


if __name__ == "__main__":
    main()
