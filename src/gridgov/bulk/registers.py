"""Checking and writing one batch of one register.

`prepare(batch)` reads and checks every row (required fields, check digits, enums, lengths,
twins within the file and in the database, community, scope, grid) and writes nothing;
`write(prepared)` writes the valid rows: the addresses they need (found by key, or created),
then the register's own rows, then one history record for the batch, in one transaction per
batch (pipeline.py).

`prepare` is `check_batch` (the per-row work, which needs no database and may run in a worker
process: workers.py) then `prepare_checked` (twins, lookups, placement from what is known: the
main process). `prepare` only reads, and on PostgreSQL the pipeline prepares batch n+1 while batch n is being
written on another connection: so `prepare` never counts on the previous batch being committed.
What it learns about the file's addresses (the grid of each new address key, the grid of each
community/road/number) is remembered by the handler across batches, and the address ids are
looked up at write time, inside the batch's transaction.

On PostgreSQL, `check_batch` also encodes what it can of each valid row as COPY text
(`encode_addresses`, `encode_rows`): the writing then only appends the address id and the grid
and joins the lines.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import connection

from gridgov.bulk.columns import Column, columns_for
from gridgov.bulk.enums import RegisterKind
from gridgov.bulk.fastcheck import id_numbers_ok
from gridgov.bulk.readers import Batch
from gridgov.bulk.resolve import (
    AddressParts,
    Directory,
    NormalCache,
    locate_batch,
    normal_parts,
    parse_coordinates,
)
from gridgov.bulk.sealing import FieldSealer
from gridgov.bulk.sqlwrite import NULL, copy_escape, copy_plain, insert_lines, insert_rows, select_in
from gridgov.core.errors import InvalidInput
from gridgov.core.pii import mask_id_number, mask_name, mask_phone, normalize_phone
from gridgov.geo.index import Layer
from gridgov.registry.enums import ChangeAction, Gender, IdType, Register
from gridgov.registry.models import Address, House, Organization, Resident
from gridgov.registry.services.history import history_record
from gridgov.registry.validators import check_id_number, check_usc_code

MASKS: dict[str, Callable[[str], str]] = {
    "name": mask_name,
    "legal_person": mask_name,
    "id_number": mask_id_number,
    "phone": mask_phone,
}
REGISTER_OF = {
    RegisterKind.RESIDENTS: Register.RESIDENT,
    RegisterKind.ADDRESSES: Register.ADDRESS,
    RegisterKind.HOUSES: Register.HOUSE,
    RegisterKind.ORGANIZATIONS: Register.ORGANIZATION,
}


@dataclass(frozen=True)
class Issue:
    row: int
    column: str  # the column's Chinese header, "" for the whole row
    value: str  # masked when the column is personal
    code: str
    message: str


@dataclass
class Rows:
    """The valid rows of a batch, column by column: what check_batch hands on (from a worker
    process, pickled once a batch) and what prepare_checked and write work on.

    By column, not one object a row: the process that writes is one for the whole file (the
    workers are many), and over columns its work is a few passes in C (set and dict operations,
    comprehensions) where over row objects it was some twenty Python steps a row, with a dict
    and an AddressParts built and freed for each (docs/benchmarks-import.md). Every list holds
    one entry a row, in the file's order."""

    n: list[int] = field(default_factory=list)  # the file row numbers
    key: list[str] = field(default_factory=list)  # the register's unique key (twins)
    lookup: list[str] = field(default_factory=list)  # what existing_keys finds it by (often `key`)
    shown: list[str] = field(default_factory=list)  # what a twin is reported by (often `key`)
    # The register's own columns but the address and grid: one COPY line (PostgreSQL, when the
    # handler encodes them: encode_rows) or a tuple of values.
    own: list[Any] = field(default_factory=list)
    community: list[int] = field(default_factory=list)
    akey: list[str] = field(default_factory=list)  # the address key; "" without an address
    road: list[str] = field(default_factory=list)
    number: list[str] = field(default_factory=list)
    grid: list[int | None] = field(default_factory=list)  # None: not placed by coordinates
    # The Address row the row would create but its id and grid: a COPY line or a tuple.
    address: list[Any] = field(default_factory=list)
    # Offset → (value shown, message) of a point that lies in no grid or outside its community.
    problem: dict[int, tuple[str, str]] = field(default_factory=dict)
    # The address ids, set by the main process (_place: found in the database; write_addresses).
    aid: list[int | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.n)

    def take(self, keep: list[int]) -> Rows:
        """The rows at these offsets, in order."""
        if len(keep) == len(self.n):
            return self
        if not keep:
            return Rows()
        pick = operator.itemgetter(*keep)

        def col(values: list[Any]) -> list[Any]:
            got = pick(values)
            return list(got) if len(keep) > 1 else [got]

        return Rows(
            n=col(self.n),
            key=col(self.key),
            lookup=col(self.lookup),
            shown=col(self.shown),
            own=col(self.own),
            community=col(self.community),
            akey=col(self.akey),
            road=col(self.road),
            number=col(self.number),
            grid=col(self.grid),
            address=col(self.address),
            problem={j: self.problem[i] for j, i in enumerate(keep) if i in self.problem},
            aid=col(self.aid) if self.aid else [],
        )


@dataclass
class Prepared:
    rows: Rows = field(default_factory=Rows)  # the valid rows, to be written
    issues: list[Issue] = field(default_factory=list)
    error_rows: int = 0
    seen_rows: int = 0


@dataclass
class Checked:
    """A batch after check_batch: the issues of its bad rows, its valid rows, and how many
    non-blank rows it had."""

    bad: list[tuple[int, list[Issue]]] = field(default_factory=list)
    rows: Rows = field(default_factory=Rows)
    seen_rows: int = 0


@dataclass
class Written:
    rows: int = 0
    addresses_created: int = 0
    ungridded: int = 0
    conflicts: int = 0  # valid rows whose twin appeared in the database meanwhile


BAD_PHONE = "联系电话应为 11 位手机号或带区号的固话"


def _stored_text(p: AddressParts) -> tuple[str, str, str, str, str, str]:
    """The text columns of the Address row the parts make, in the order of _ADDRESS_LINE."""
    return p.road, p.number, p.building, p.unit, p.room, p.text[:255]


def _nothing() -> None:
    pass


def _copy_id(value: int | None) -> str:
    return NULL if value is None else str(value)


def _phone_ok(digits: str) -> bool:
    # A mainland mobile (11 digits from 1) or a fixed line with its area code (10-12 digits from 0).
    return (len(digits) == 11 and digits[0] == "1") or (10 <= len(digits) <= 12 and digits[0] == "0")


class Handler:
    register: RegisterKind
    # The register's own model: its table, with the addresses', is what a bulk load writes.
    model: type[Any]
    # Whether a row must name a road (an address, a house); elsewhere the address is optional.
    needs_address = False

    def __init__(self, *, directory: Directory, actor: Any, job_id: str, source: str, now: datetime):
        self.columns: tuple[Column, ...] = columns_for(self.register)
        self.pos = {c.key: i for i, c in enumerate(self.columns)}
        self.directory = directory
        self.actor = actor
        self.job_id = job_id
        self.source = source
        self.now = now
        # Keys already seen in this file, to report a twin within the file.
        self.seen: dict[str, int] = {}
        self.choice_maps = {c.key: c.choice_map() for c in self.columns if c.choices is not None}
        self.normal_cache: NormalCache = {}
        # Placement learnt from the earlier batches of this run, which may not be committed yet
        # while this batch is prepared: the grid of each address key created by the file, and the
        # grid of each (community, road, number) where a point was placed.
        self.key_grid: dict[str, int | None] = {}
        self.near_grid: dict[tuple[int, str, str], int] = {}
        # A bulk load (pipeline._run_bulk_load) holds the tables locked: nobody else writes them,
        # so what this run wrote is all that changed. `fresh`: the tables that were empty then,
        # where nothing can be found but this run's own rows, which the handler remembers.
        self.locked = False
        self.fresh: set[str] = set()
        self.created_ids: dict[str, int] = {}
        # Called before prepare_checked reads the database: a bulk load that writes batch n on
        # a thread while batch n+1 is prepared (pipeline._BulkWriter) waits there for batch n,
        # so a lookup sees every batch before it, as when the two take turns.
        self.settle: Callable[[], None] = _nothing
        self._address_at = tuple(
            self.pos[k] for k in ("community", "lon", "lat", "road", "number", "building", "unit", "room")
        )
        self._address_cells = operator.itemgetter(*self._address_at)
        cols = list(enumerate(self.columns))
        self._required = [(i, c) for i, c in cols if c.required]
        self._limited = [(i, c) for i, c in cols if c.max_length]
        self._enums = [(i, c, self.choice_maps[c.key]) for i, c in cols if c.choices is not None]
        # PostgreSQL: check_batch also encodes the rows as COPY text (encode_rows), and the
        # writing joins them; SQLite is given the values.
        self.encode = connection.vendor == "postgresql"
        # The grid layer check_batch places points in: None for this process's current layer
        # (checked against the database once a second); a worker process is given the layer
        # the main process had when it forked, and must not look at the database.
        self.layer: Layer | None = None

    # --- checking ----------------------------------------------------------------------------

    def issue(self, row: int, key: str, value: str, code: str, message: str) -> Issue:
        col = self.columns[self.pos[key]] if key in self.pos else None
        masker = MASKS.get(key) if col is not None and col.personal else None
        shown = masker(value) if masker else value
        return Issue(row, col.header if col else "", shown[:200], code, message)

    def _common(self, n: int, cells: list[str], out: list[Issue]) -> None:
        for i, col in self._required:
            if not cells[i]:
                out.append(self.issue(n, col.key, "", "required", f"“{col.header}”为必填项"))
        for i, col in self._limited:
            value = cells[i]
            if len(value) > col.max_length:
                out.append(
                    self.issue(n, col.key, value, "too_long", f"“{col.header}”最多 {col.max_length} 个字")
                )
        for i, col, allowed in self._enums:
            value = cells[i]
            if value and value not in allowed:
                out.append(
                    self.issue(
                        n, col.key, value, "bad_choice", f"“{col.header}”取值无效,应为:{col.choice_labels()}"
                    )
                )

    def _address(self, n: int, cells: list[str], out: list[Issue]) -> AddressParts | None:
        i_community, i_lon, i_lat, i_road, i_number, i_building, i_unit, i_room = self._address_at
        community_text = cells[i_community]
        if not community_text:
            return None  # already reported as required
        community = self.directory.by_code.get(community_text)
        if community is None:
            community, code, message = self.directory.find(community_text)
            if community is None:
                out.append(self.issue(n, "community", community_text, code, message))
                return None
        lon, lat, bad, message = parse_coordinates(cells[i_lon], cells[i_lat])
        if bad:
            out.append(self.issue(n, bad, cells[self.pos[bad]], "bad_coordinates", message))
            return None
        parts = AddressParts(
            community,
            cells[i_road],
            cells[i_number],
            cells[i_building],
            cells[i_unit],
            cells[i_room],
            lon,
            lat,
        )
        if not parts.road:
            if self.needs_address or parts.number or parts.building or parts.unit or parts.room:
                out.append(self.issue(n, "road", "", "required", "填写了地址时“街路巷”为必填项"))
                return None
            return parts  # a community without an address: no Address row
        return normal_parts(parts, self.normal_cache)

    def check_row(self, n: int, cells: list[str], out: list[Issue]) -> dict[str, Any] | None:
        """The register's own fields of one row (after the common checks), or None."""
        raise NotImplementedError

    def unique_key(self, row: dict[str, Any]) -> str:
        raise NotImplementedError

    def existing_keys(self, rows: Rows) -> set[str]:
        """The unique keys of these rows already in the database."""
        raise NotImplementedError

    def batch_start(self, batch: Batch, by_column: list[tuple[str, ...]]) -> None:
        """Work done for the whole batch at once (by_column: its cells column by column) before
        its rows are checked one by one."""

    def _flagged(self, by_column: list[tuple[str, ...]]) -> set[int]:
        """The rows (offsets) that fail a common check, found column by column with C-level
        passes (min, max of lengths, set difference), so that only those rows go through
        _common, which says in order what is wrong."""
        out: set[int] = set()

        def column(i: int) -> tuple[str, ...]:
            return by_column[i] if by_column else ()

        for i, _ in self._required:
            values = column(i)
            if not all(values):
                out.update(o for o, v in enumerate(values) if not v)
        for i, col in self._limited:
            values = column(i)
            limit = col.max_length
            if values and max(map(len, values)) > limit:
                out.update(o for o, v in enumerate(values) if len(v) > limit)
        for i, _, allowed in self._enums:
            values = column(i)
            bad = set(values) - allowed.keys() - {""}
            if bad:
                out.update(o for o, v in enumerate(values) if v in bad)
        return out

    def check_batch(self, batch: Batch) -> Checked:
        """The per-row work of `prepare` that needs nothing but the row and what the handler
        holds in memory (the directory, the grid layer, the key ring): the checks, the address's
        normal form and key, the grid by coordinates, the sealing. No database and no state
        across batches but caches, so it may run in a worker process (workers.py)."""
        by_column = list(zip(*batch.rows, strict=True)) if batch.rows else []
        self.batch_start(batch, by_column)
        checked = Checked()
        bad = checked.bad
        flagged = self._flagged(by_column)
        valid: list[dict[str, Any]] = []
        # The people of one household are consecutive rows with the same address cells: the
        # address is resolved, placed and encoded once for them all (one AddressParts shared,
        # which nothing changes after this method). Only a resolved address is remembered: a
        # row whose address fails is checked again, so that each such row gets its own issue.
        same: dict[tuple[str, ...], AddressParts] = {}
        address_cells = self._address_cells
        for offset, cells in enumerate(batch.rows):
            if not any(cells):
                continue
            n = batch.first_row + offset
            checked.seen_rows += 1
            issues: list[Issue] = []
            if offset in flagged:
                self._common(n, cells, issues)
            spelled = address_cells(cells)
            parts = same.get(spelled)
            if parts is None:
                parts = self._address(n, cells, issues)
                if parts is not None:
                    same[spelled] = parts
            row = self.check_row(n, cells, issues)
            if issues or row is None or parts is None:
                bad.append((n, issues))
                continue
            row["parts"] = parts
            row["n"] = n
            valid.append(row)
        # Every resolved point placed now, though a twin or a bad row may not need it: the
        # placing is per point, and those are rare.
        located = list(same.values())
        for p, (col, message) in zip(located, locate_batch(located, layer=self.layer), strict=True):
            if col:
                p.problem = message
        self.seal_rows(valid)
        if self.encode:
            self.encode_addresses(located)
            self.encode_rows(valid)
        checked.rows = self.columns_of(valid)
        return checked

    def columns_of(self, valid: list[dict[str, Any]]) -> Rows:
        """The checked rows as the columns the main process works on (Rows)."""
        parts: list[AddressParts] = [r["parts"] for r in valid]
        key = [self.unique_key(r) for r in valid]
        return Rows(
            n=[r["n"] for r in valid],
            key=key,
            lookup=self.lookups(valid, key),
            shown=self.shown_keys(valid, key),
            own=self.own_values(valid),
            community=[p.community.id for p in parts],
            akey=[p.key for p in parts],
            road=[p.road for p in parts],
            number=[p.number for p in parts],
            grid=[p.grid_id for p in parts],
            address=[p.line for p in parts] if self.encode else [self._address_values(p) for p in parts],
            problem={i: (f"{p.lon},{p.lat}", p.problem) for i, p in enumerate(parts) if p.problem},
        )

    def lookups(self, valid: list[dict[str, Any]], key: list[str]) -> list[str]:
        """What existing_keys looks each row up by: its key, unless the register says otherwise."""
        return key

    def shown_keys(self, valid: list[dict[str, Any]], key: list[str]) -> list[str]:
        """The value a twin is reported by (masked by `issue` when personal): the key itself,
        or the address's text for the registers keyed by address."""
        return key

    def own_values(self, valid: list[dict[str, Any]]) -> list[Any]:
        """The register's own columns of each row but its address and grid (see Rows.own)."""
        return [None] * len(valid)

    @staticmethod
    def _address_values(p: AddressParts) -> tuple[Any, ...]:
        """The Address row's values in the order of _ADDRESS_LINE (without an encoded line)."""
        return (p.community.id, *_stored_text(p), p.key, p.lon, p.lat)

    def seal_rows(self, rows: list[dict[str, Any]]) -> None:
        """Ciphertexts and blind indexes of the valid rows' personal fields, for the batch's
        own_values (pure: no database, no state across batches)."""

    def encode_addresses(self, located: list[AddressParts]) -> None:
        """PostgreSQL: the Address row each of the batch's addresses would create, as COPY text
        but its id and grid (the _ADDRESS_LINE columns), encoded before the main process has
        settled the twins, the address ids and the grids (those it appends)."""
        keyed = [p for p in located if p.key]
        # The stored parts (road … room) are pieces of the printed text (validators.address_text
        # joins them), so the texts alone say whether any of them needs escaping: one C pass.
        plain = copy_plain([p.text for p in keyed])
        for p in keyed:
            # Both coordinates or neither (parse_coordinates).
            xy = f"{NULL}\t{NULL}" if p.lon is None else f"{p.lon!r}\t{p.lat!r}"
            if plain:
                p.line = (
                    f"{p.community.id}\t{p.road}\t{p.number}\t{p.building}\t{p.unit}\t{p.room}"
                    f"\t{p.text[:255]}\t{p.key}\t{xy}"
                )
            else:
                p.line = "\t".join((str(p.community.id), *map(copy_escape, _stored_text(p)), p.key, xy))

    def encode_rows(self, rows: list[dict[str, Any]]) -> None:
        """PostgreSQL: the register's own columns of each valid row as COPY text, when the
        handler encodes them (encodes_own), but the address and the grid, which the writing
        appends."""

    def prepare(self, batch: Batch) -> Prepared:
        return self.prepare_checked(self.check_batch(batch))

    def prepare_checked(self, checked: Checked) -> Prepared:
        """The rest of `prepare`, in the main process: twins within the file (across batches)
        and in the database, the grid from what the database and the earlier batches know, the
        scope."""
        if not all(t in self.fresh for t in self.tables()):
            self.settle()  # the lookups below read what the batches before wrote
        prepared = Prepared(seen_rows=checked.seen_rows)
        issues = prepared.issues
        for _, row_issues in checked.bad:
            issues.extend(row_issues)
        rows = self._not_twins(checked.rows, issues)
        in_db = self.existing_keys(rows) if len(rows) else set()
        if in_db:
            keep = []
            for i, k in enumerate(rows.key):
                if k in in_db:
                    issues.append(
                        self.issue(
                            rows.n[i],
                            self.key_column,
                            rows.shown[i],
                            "duplicate_in_database",
                            self.in_db_message,
                        )
                    )
                    continue
                keep.append(i)
            rows = rows.take(keep)
        rows = self._place(rows, issues)
        prepared.rows = rows
        # Every non-blank row is either written or one error row, whatever its issues.
        prepared.error_rows = checked.seen_rows - len(rows)
        issues.sort(key=operator.attrgetter("row"))  # stable: a row's own issues keep their order
        return prepared

    def _not_twins(self, rows: Rows, issues: list[Issue]) -> Rows:
        """The rows whose key the file has not had before (this batch or an earlier one)."""
        seen, keys = self.seen, rows.key
        if seen.keys().isdisjoint(keys) and len(set(keys)) == len(keys):
            seen.update(zip(keys, rows.n, strict=True))  # the common batch: no twin, C loops only
            return rows
        keep = []
        for i, (k, n) in enumerate(zip(keys, rows.n, strict=True)):
            if k in seen:
                issues.append(
                    self.issue(
                        n, self.key_column, rows.shown[i], "duplicate_in_file", f"与第 {seen[k]} 行重复"
                    )
                )
                continue
            # A row whose twin is in the database is "seen" too: a second copy of it in the file
            # is reported as the file's own twin.
            seen[k] = n
            keep.append(i)
        return rows.take(keep)

    key_column = ""
    in_db_message = "数据库中已存在"

    def bulk_load(self, fresh: set[str]) -> None:
        """Called once the bulk load holds its lock: see `locked` and `fresh`."""
        self.locked = True
        self.fresh = set(fresh)

    def _empty(self, model: type[Any]) -> bool:
        return model._meta.db_table in self.fresh

    @classmethod
    def tables(cls) -> list[str]:
        """The tables an import of this register writes rows into (addresses first)."""
        own = cls.model._meta.db_table
        return list(dict.fromkeys([Address._meta.db_table, own]))

    def _place(self, rows: Rows, issues: list[Issue]) -> Rows:
        """Grid of every row: by coordinates (done in check_batch), else from what the database
        and the earlier batches know; the address ids the database has. The passes over every
        row are C loops; the Python ones go over the rows that need them (no grid yet, a point
        that cannot be placed, an importer bound to grids)."""
        count = len(rows)
        grid, akey, problem, n = rows.grid, rows.akey, rows.problem, rows.n
        aid: list[int | None] = [None] * count
        rows.aid = aid
        if count and not self._empty(Address):
            wanted = sorted({k for i, k in enumerate(akey) if k and i not in problem})
            known = {k: (pk, g) for pk, k, g in select_in(Address, "key", wanted, ["id", "key", "grid_id"])}
            for i, k in enumerate(akey) if known else ():
                found = known.get(k)
                if found is not None and i not in problem:
                    aid[i] = found[0]
                    if grid[i] is None:
                        grid[i] = found[1]
        spots = list(zip(rows.community, rows.road, rows.number, strict=True))
        # Where a point is known at the same road and number (this batch, the earlier ones, the
        # database), a row without coordinates takes that grid: the same building lies in one grid.
        near = {s: g for s, g, k in zip(spots, grid, akey, strict=True) if g is not None and k}
        key_grid, near_grid = self.key_grid, self.near_grid
        lacking = [i for i, g in enumerate(grid) if g is None and i not in problem]
        for i in lacking:
            k = akey[i]
            if k and aid[i] is None and k in key_grid:
                grid[i] = key_grid[k]  # an address created by an earlier batch of the file
        missing = [
            i
            for i in lacking
            if grid[i] is None and akey[i] and spots[i] not in near and spots[i] not in near_grid
        ]
        if missing:
            self.settle()
            for cid, road, number, at in (
                Address.objects.filter(
                    community_id__in={spots[i][0] for i in missing},
                    road__in={spots[i][1] for i in missing},
                    grid__isnull=False,
                )
                .values_list("community_id", "road", "number", "grid_id")
                .iterator()
            ):
                near.setdefault((cid, road, number), at)
        for i in lacking:
            if grid[i] is None:
                spot = spots[i]
                g = near.get(spot) or near_grid.get(spot)
                if g is None:
                    only = self.directory.grids_of.get(spot[0], [])
                    if len(only) == 1:
                        g = only[0]
                grid[i] = g
        dropped = set(problem)
        for i, (value, message) in sorted(problem.items()):
            issues.append(self.issue(n[i], "lon", value, "unresolvable", message))
        # Only an importer bound to grids can meet a grid outside their scope.
        if self.directory.limited:
            allowed = self.directory.grid_allowed
            for i, placed in enumerate(grid):
                if i not in dropped and not allowed(placed):
                    issues.append(
                        self.issue(
                            n[i],
                            "community",
                            self.directory.code_of[rows.community[i]],
                            "out_of_scope",
                            "地址不在您负责的网格内(或无法定位到网格),不能导入",
                        )
                    )
                    dropped.add(i)
        # The grid of each address the file creates, for its later rows without coordinates.
        for i, (k, placed, a) in enumerate(zip(akey, grid, aid, strict=True)):
            if k and a is None and k not in key_grid and i not in dropped:
                key_grid[k] = placed
        near_grid.update(near)
        if dropped:
            rows = rows.take([i for i in range(count) if i not in dropped])
        return rows

    # --- writing -----------------------------------------------------------------------------

    def write_addresses(self, rows: Rows, written: Written) -> None:
        """Create the addresses the rows need and not yet in the database; set rows.aid."""
        aid, akey = rows.aid, rows.akey
        # The first row of each address key not found in the database: the Address it creates.
        if aid.count(None) == len(aid):
            # C loops: reversed, so the first row of a key is the one that stays.
            first = dict(zip(reversed(akey), range(len(akey) - 1, -1, -1), strict=True))
        else:
            first = {}
            for i, (k, a) in enumerate(zip(akey, aid, strict=True)):
                if a is None and k not in first:
                    first[k] = i
        first.pop("", None)  # rows with a community and no address
        if not first:
            return
        if self.locked:
            # Created by an earlier batch of this load: nobody else can have written one.
            created = self.created_ids
            for k in [k for k in first if k in created]:
                del first[k]
            if first:
                self._write_addresses_locked(rows, first, written)
            get = created.get
        else:
            # Created meanwhile by an earlier batch of the file (prepared before that batch was
            # committed) or by another import: use it rather than collide with it.
            ids = dict(select_in(Address, "key", list(first), ["key", "id"]))
            for k in ids:
                del first[k]
            if first:
                written.addresses_created += self._insert_addresses(rows, first)
                ids.update(select_in(Address, "key", list(first), ["key", "id"]))
            get = ids.get
        rows.aid = [a if a is not None else get(k) for a, k in zip(aid, akey, strict=True)]

    def _write_addresses_locked(self, rows: Rows, first: dict[str, int], written: Written) -> None:
        """The new addresses with ids drawn from the table's sequence beforehand, so no query
        has to find them again after the COPY (the tables are locked: no twin can appear)."""
        from django.db import connection

        with connection.cursor() as cursor:
            # A block of len(first) ids in one statement; safe only because the load's lock keeps
            # every other insert (and so every other nextval) off the table meanwhile.
            cursor.execute(
                "SELECT setval(s::regclass, nextval(s::regclass) + %s - 1)"
                " FROM pg_get_serial_sequence(%s, 'id') AS s",
                [len(first), Address._meta.db_table],
            )
            last = int(cursor.fetchone()[0])
        ids = range(last - len(first) + 1, last + 1)
        made = self._insert_addresses(rows, first, ids=ids)
        written.addresses_created += made
        if made != len(first):  # a twin after all (sqlwrite skipped it): take the stored ids
            self.created_ids.update(select_in(Address, "key", list(first), ["key", "id"]))
        else:
            self.created_ids.update(zip(first, ids, strict=True))

    # The columns of AddressParts.line, in order (the id before them, the grid after them).
    _ADDRESS_LINE = (
        "community_id",
        "road",
        "number",
        "building",
        "unit",
        "room",
        "text",
        "key",
        "lon",
        "lat",
    )

    def _insert_addresses(self, rows: Rows, first: dict[str, int], *, ids: range | None = None) -> int:
        """Write the new addresses, each from the first row that names it (with their ids when
        drawn beforehand); the rows written."""
        constants = self.address_constants()
        columns = [*self._ADDRESS_LINE, "grid_id"]
        if ids is not None:
            columns.insert(0, "id")
        address, grid = rows.address, rows.grid
        if self.encode:
            lines = [f"{address[i]}\t{_copy_id(grid[i])}" for i in first.values()]
            if ids is not None:
                lines = [f"{pk}\t{line}" for pk, line in zip(ids, lines, strict=True)]
            return insert_lines(Address, columns, lines, now=self.now, constants=constants)
        values: list[tuple[Any, ...]] = [(*address[i], grid[i]) for i in first.values()]
        if ids is not None:
            values = [(pk, *v) for pk, v in zip(ids, values, strict=True)]
        return insert_rows(Address, columns, values, now=self.now, constants=constants)

    # The register's own columns as write_rows gives them, the address's id and the grid's
    # last (`place`); the Address handler has none: its rows are written by write_addresses.
    own_columns: tuple[str, ...] = ()
    place: tuple[str, ...] = ("address_id", "grid_id")
    # Whether encode_rows encodes the register's own columns as COPY text (Rows.own a line).
    encodes_own = False

    def write_rows(self, rows: Rows, written: Written) -> None:
        """The register's own rows, their address and grid appended."""
        own, aid, grid = rows.own, rows.aid, rows.grid
        constants = self.own_constants()
        if self.encode and self.encodes_own:
            lines = [
                f"{o}\t{NULL if a is None else a}\t{NULL if g is None else g}"
                for o, a, g in zip(own, aid, grid, strict=True)
            ]
            done = insert_lines(self.model, self.own_columns, lines, now=self.now, constants=constants)
        else:
            if self.place == ("address_id",):
                values = [(*o, a) for o, a in zip(own, aid, strict=True)]
            else:
                values = [(*o, a, g) for o, a, g in zip(own, aid, grid, strict=True)]
            done = insert_rows(self.model, self.own_columns, values, now=self.now, constants=constants)
        written.rows += done
        written.conflicts += len(rows) - done

    def address_constants(self) -> dict[str, Any]:
        return {"source": self.source, "created_at": self.now, "updated_at": self.now}

    def own_constants(self) -> dict[str, Any]:
        """The values the same in every row of the register's own table."""
        return {"source": self.source, "created_at": self.now, "updated_at": self.now}

    def bulk_writes(self) -> list[tuple[type[Any], tuple[str, ...], dict[str, Any]]]:
        """(model, columns, constants) of every table the writing fills: what a bulk load makes
        the tables' defaults meanwhile (sqlwrite.constant_defaults)."""
        out: list[tuple[type[Any], tuple[str, ...], dict[str, Any]]] = [
            (Address, (*self._ADDRESS_LINE, "grid_id"), self.address_constants())
        ]
        if self.own_columns:
            out.append((self.model, self.own_columns, self.own_constants()))
        return out

    def write(self, prepared: Prepared) -> Written:
        written = Written()
        rows = prepared.rows
        if not len(rows):
            return written
        self.write_addresses(rows, written)
        self.write_rows(rows, written)
        written.ungridded = rows.grid.count(None)
        history_record(
            register=REGISTER_OF[self.register],
            object_id="",
            actor=self.actor,
            action=ChangeAction.IMPORT,
            now=self.now,
            after={
                "rows": written.rows,
                "first_row": rows.n[0],
                "last_row": rows.n[-1],
                "addresses_created": written.addresses_created,
            },
            batch=self.job_id,
        )
        return written


@dataclass
class Sealed:
    """A batch's valid residents' personal columns, one entry a row: the ID numbers in normal
    form, their ciphertexts and blind indexes, the phones', and on PostgreSQL the rows' COPY
    lines. Held by the handler for the batch being checked (check_batch), between seal_rows and
    columns_of."""

    ids: list[str] = field(default_factory=list)
    id_sealed: list[str] = field(default_factory=list)
    id_index: list[str] = field(default_factory=list)
    phone_sealed: list[str] = field(default_factory=list)
    phone_index: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # their COPY lines (encode_rows)


class ResidentHandler(Handler):
    register = RegisterKind.RESIDENTS
    model = Resident
    key_column = "id_number"
    in_db_message = "该身份证号码的人员已在登记簿中"

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.id_sealer = FieldSealer(Resident, "id_number")
        self.phone_sealer = FieldSealer(Resident, "phone")
        self.today = self.now.date()
        self._first = 0
        self._fast: list[bool] = []
        self._own_cells = operator.itemgetter(
            *(self.pos[k] for k in ("name", "id_number", "phone", "kind", "relation", "household_no"))
        )
        self._kinds = self.choice_maps["kind"]
        self._relations = self.choice_maps["relation"]
        # The sealed columns of the batch's valid rows (seal_rows), in their order.
        self._sealed: Sealed = Sealed()

    def batch_start(self, batch: Batch, by_column: list[tuple[str, ...]]) -> None:
        self._first = batch.first_row
        ids = by_column[self.pos["id_number"]] if by_column else ()
        # As a list: a row's flag is read from it in check_row, and a list item costs a fraction
        # of a numpy scalar.
        self._fast = id_numbers_ok(ids, today=self.today).tolist()

    def check_row(self, n: int, cells: list[str], out: list[Issue]) -> dict[str, Any] | None:
        name, raw_id, phone, kind, relation, household = self._own_cells(cells)
        number = ""
        if self._fast[n - self._first]:
            number = raw_id
        elif raw_id:
            try:
                number = check_id_number(raw_id, today=self.today)
            except InvalidInput as exc:
                out.append(self.issue(n, "id_number", raw_id, exc.code, exc.message_zh))
        if len(phone) == 11 and phone[0] == "1" and phone.isascii() and phone.isdigit():
            digits = phone  # a plain mobile number, the common case: already its normal form
        else:
            digits = normalize_phone(phone) if phone else ""
            if phone and not _phone_ok(digits):
                out.append(
                    self.issue(n, "phone", phone, "bad_phone", "联系电话应为 11 位手机号或带区号的固话")
                )
        if not number:
            return None
        return {
            "name": name,
            "id_number": number,
            "phone": digits,
            "kind": self._kinds.get(kind, ""),
            "relation": self._relations.get(relation, "other") if relation else "other",
            "household_no": household,
        }

    def unique_key(self, row: dict[str, Any]) -> str:
        return str(row["id_number"])

    def seal_rows(self, rows: list[dict[str, Any]]) -> None:
        # Kept as columns beside the rows (not written into each row's dict): encode_rows and
        # lookups read them column by column.
        ids = list(map(operator.itemgetter("id_number"), rows))
        phones = list(map(operator.itemgetter("phone"), rows))
        self._sealed = Sealed(
            ids=ids,
            id_sealed=self.id_sealer.seal(ids),
            id_index=self.id_sealer.index_normal(ids),
            phone_sealed=self.phone_sealer.seal(phones),
            phone_index=self.phone_sealer.index_normal(phones),
        )

    # The columns of a resident's COPY line from encode_rows, then the address and the grid.
    encodes_own = True
    own_columns = (
        "name",
        "id_number",
        "id_number_index",
        "phone",
        "phone_index",
        "gender",
        "birth_date",
        "kind",
        "household_no",
        "relation",
        "community_id",
        "address_id",
        "grid_id",
    )

    def _own_columns(self, rows: list[dict[str, Any]], *, as_text: bool) -> list[list[Any]]:
        """The batch's own_columns but the address and the grid, one list a column, as COPY
        text (as_text) or as values; the sealed ones from seal_rows."""
        sealed = self._sealed
        names, kinds, households, relations = (
            list(map(operator.itemgetter(k), rows)) for k in ("name", "kind", "household_no", "relation")
        )
        communities: list[Any] = [r["parts"].community.id for r in rows]
        male, female = Gender.MALE.value, Gender.FEMALE.value
        # GB 11643: the 17th character (the order code's last digit) is odd for a man.
        genders = [male if v[16] in "13579" else female for v in sealed.ids]
        births: list[Any]
        if as_text:
            if not copy_plain(names + households):
                names, households = list(map(copy_escape, names)), list(map(copy_escape, households))
            # The birth date as ISO 8601's basic form (19900101), which PostgreSQL reads as a date.
            births = [v[6:14] for v in sealed.ids]
            communities = list(map(str, communities))
        else:
            births = [date(int(v[6:10]), int(v[10:12]), int(v[12:14])) for v in sealed.ids]
        return [
            names,
            sealed.id_sealed,
            sealed.id_index,
            sealed.phone_sealed,
            sealed.phone_index,
            genders,
            births,
            kinds,
            households,
            relations,
            communities,
        ]

    def encode_rows(self, rows: list[dict[str, Any]]) -> None:
        """The row's own columns as COPY text (its address and grid are appended when written),
        joined column by column in C; which own_values hands on (Rows.own)."""
        self._sealed.lines = list(map("\t".join, zip(*self._own_columns(rows, as_text=True), strict=True)))

    def own_constants(self) -> dict[str, Any]:
        return {"id_type": IdType.ID_CARD.value, **super().own_constants()}

    def lookups(self, valid: list[dict[str, Any]], key: list[str]) -> list[str]:
        return self._sealed.id_index  # the blind index: the number itself is not stored

    def own_values(self, valid: list[dict[str, Any]]) -> list[Any]:
        if self.encode:
            return self._sealed.lines
        return list(zip(*self._own_columns(valid, as_text=False), strict=True))

    def existing_keys(self, rows: Rows) -> set[str]:
        if self._empty(Resident):
            return set()
        found = {i for (i,) in select_in(Resident, "id_number_index", rows.lookup, ["id_number_index"])}
        return {k for k, i in zip(rows.key, rows.lookup, strict=True) if i in found}


class AddressHandler(Handler):
    register = RegisterKind.ADDRESSES
    model = Address
    needs_address = True
    key_column = "road"
    in_db_message = "该地址已在登记簿中"

    def check_row(self, n: int, cells: list[str], out: list[Issue]) -> dict[str, Any] | None:
        return {}

    def unique_key(self, row: dict[str, Any]) -> str:
        return str(row["parts"].key)

    def shown_keys(self, valid: list[dict[str, Any]], key: list[str]) -> list[str]:
        return [r["parts"].text for r in valid]

    def existing_keys(self, rows: Rows) -> set[str]:
        if self._empty(Address):
            return set()
        return {k for (k,) in select_in(Address, "key", rows.key, ["key"])}

    def write_rows(self, rows: Rows, written: Written) -> None:
        # The addresses are the rows: write_addresses has created them.
        written.rows += written.addresses_created
        written.conflicts += len(rows) - written.addresses_created


class HouseHandler(Handler):
    register = RegisterKind.HOUSES
    model = House
    needs_address = True
    key_column = "road"
    in_db_message = "该地址已登记房屋"

    def check_row(self, n: int, cells: list[str], out: list[Issue]) -> dict[str, Any] | None:
        p = self.pos
        area_text = cells[p["area_m2"]]
        area = None
        if area_text:
            try:
                area = float(area_text)
            except ValueError:
                area = -1.0
            if not (0 < area < 1_000_000):
                out.append(self.issue(n, "area_m2", area_text, "bad_number", "建筑面积应为正数(平方米)"))
                return None
        return {
            "use": self.choice_maps["use"].get(cells[p["use"]], ""),
            "ownership": self.choice_maps["ownership"].get(cells[p["ownership"]], ""),
            "area_m2": area,
        }

    own_columns = ("use", "ownership", "area_m2", "address_id")
    place = ("address_id",)

    def own_constants(self) -> dict[str, Any]:
        return {"created_at": self.now, "updated_at": self.now}

    def unique_key(self, row: dict[str, Any]) -> str:
        return str(row["parts"].key)

    def shown_keys(self, valid: list[dict[str, Any]], key: list[str]) -> list[str]:
        return [r["parts"].text for r in valid]

    def own_values(self, valid: list[dict[str, Any]]) -> list[Any]:
        return [(r["use"], r["ownership"], r["area_m2"]) for r in valid]

    def existing_keys(self, rows: Rows) -> set[str]:
        if self._empty(House) or self._empty(Address):
            return set()
        found = set()
        stored = select_in(Address, "key", rows.key, ["key", "id"])
        with_house = {a for (a,) in select_in(House, "address_id", [pk for _, pk in stored], ["address_id"])}
        for k, pk in stored:
            if pk in with_house:
                found.add(k)
        return found


class OrganizationHandler(Handler):
    register = RegisterKind.ORGANIZATIONS
    model = Organization
    key_column = "usc_code"
    in_db_message = "该统一社会信用代码的单位已在登记簿中"

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.phone_sealer = FieldSealer(Organization, "phone")

    def check_row(self, n: int, cells: list[str], out: list[Issue]) -> dict[str, Any] | None:
        p = self.pos
        raw = cells[p["usc_code"]]
        code = ""
        if raw:
            try:
                code = check_usc_code(raw)
            except InvalidInput as exc:
                out.append(self.issue(n, "usc_code", raw, exc.code, exc.message_zh))
        phone = cells[p["phone"]]
        digits = normalize_phone(phone) if phone else ""
        if phone and not _phone_ok(digits):
            out.append(self.issue(n, "phone", phone, "bad_phone", "联系电话应为 11 位手机号或带区号的固话"))
        if not code:
            return None
        return {
            "usc_code": code,
            "name": cells[p["name"]],
            "kind": self.choice_maps["kind"].get(cells[p["kind"]], ""),
            "legal_person": cells[p["legal_person"]],
            "phone": digits,
        }

    own_columns = (
        "usc_code",
        "name",
        "kind",
        "legal_person",
        "phone",
        "phone_index",
        "community_id",
        "address_id",
        "grid_id",
    )

    def unique_key(self, row: dict[str, Any]) -> str:
        return str(row["usc_code"])

    def seal_rows(self, rows: list[dict[str, Any]]) -> None:
        phones = [r["phone"] for r in rows]
        for r, sph, iph in zip(
            rows, self.phone_sealer.seal(phones), self.phone_sealer.index_normal(phones), strict=True
        ):
            r["phone_sealed"] = sph
            r["phone_index"] = iph

    def own_values(self, valid: list[dict[str, Any]]) -> list[Any]:
        return [
            (
                r["usc_code"],
                r["name"],
                r["kind"],
                r["legal_person"],
                r["phone_sealed"],
                r["phone_index"],
                r["parts"].community.id,
            )
            for r in valid
        ]

    def existing_keys(self, rows: Rows) -> set[str]:
        if self._empty(Organization):
            return set()
        return {k for (k,) in select_in(Organization, "usc_code", rows.key, ["usc_code"])}


HANDLERS: dict[RegisterKind, type[Handler]] = {
    RegisterKind.RESIDENTS: ResidentHandler,
    RegisterKind.ADDRESSES: AddressHandler,
    RegisterKind.HOUSES: HouseHandler,
    RegisterKind.ORGANIZATIONS: OrganizationHandler,
}
