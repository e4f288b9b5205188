"""The grid layer in memory: which grid holds a point, for one point or a million.

Why in memory and not in the database: docs/decisions/0002-spatial-index-in-memory.md.

How a point is answered. Over the layer's bounding box lies a raster of small square cells.
A cell that no grid edge touches lies wholly inside one grid (or wholly outside all), so the
raster stores that answer and a point in such a cell is answered by array indexing alone. A cell
that an edge touches is marked. If one or two straight segments cross it from side to side,
their lines cut it into regions whose answers are known, and a point is answered by the signs
of cross products (unless it lies within rounding distance of a line). Any other point goes to
the exact test: shapely's STRtree and prepared polygons. So the answer is always the exact one;
the raster only decides how much work it takes.

What "in a grid" means: a grid that contains the point (shapely `contains`, the interior) holds
it. A point exactly on an edge, which no grid contains, belongs to a grid whose edge it lies on
(`covers`): a point on the shared edge of two grids gets one answer, always the same one, and a
point on the outer edge of the layer is still inside it. Where several grids qualify (the edge
of two grids, or grids that overlap) the smallest index wins; grids are ordered by code.

Staying in step with the database: every write to regions or grids bumps `LayerVersion` in the
same transaction. Each process reads that row at most once a second (or at once after a save in
this process, or when asked with fresh=True) and rebuilds when it changed. A built layer is
immutable, so threads share it without locks; only the rebuild is serialised.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from gridgov.core import clock
from gridgov.geo.enums import GridKind, RegionLevel

log = logging.getLogger(__name__)

OUTSIDE = -1
_EDGE = -2  # raster value of a cell that some grid edge touches: decided point by point
EARTH_RADIUS_M = 6_371_008.8

# The raster's size bounds its memory: 8 M cells are 16 MB as int16 (32 MB as int32). For a city
# of 14 k grids this gives cells of about 70 m; some 17 % of the points inside the city land in
# edge cells, and about 1 % (those near a vertex) need the exact test. Finer cells would cut that
# but cost memory in every worker process. A small layer gets a raster in proportion (about
# 45 x 45 cells per grid), so it builds at once.
DEFAULT_MAX_CELLS = 8_000_000
_CELLS_PER_GRID = 2_000
# A point batch smaller than this is not worth handing to the thread pool.
_PARALLEL_MIN = 100_000
_CHUNK = 250_000
# Margin, in cells, by which every edge is widened when cells are marked, so that rounding in
# mapping a point to its cell can never put it in an unmarked cell that an edge really touches.
_EPS_CELLS = 1e-6
# Edges are cut into pieces no longer than half a cell, so each piece touches at most 2x2 cells.
_PIECE_CELLS = 0.5
_SEGMENT_CHUNK = 200_000

IntArray = NDArray[np.int32]
FloatArray = NDArray[np.float64]

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=max(1, os.cpu_count() or 1), thread_name_prefix="geo-index"
            )
        return _pool


def haversine_m(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> FloatArray:
    x1, y1, x2, y2 = (np.radians(np.asarray(a, dtype=np.float64)) for a in (lon1, lat1, lon2, lat2))
    h = np.sin((y2 - y1) / 2) ** 2 + np.cos(y1) * np.cos(y2) * np.sin((x2 - x1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


@dataclass(frozen=True)
class BuildStats:
    grids: int
    raster_width: int
    raster_height: int
    cell_m: float
    edge_cells: int
    seconds: float

    @property
    def edge_share(self) -> float:
        return self.edge_cells / max(1, self.raster_width * self.raster_height)


def _outlines(geoms: NDArray[Any]) -> NDArray[Any]:
    """Every ring, line and point the geometries are made of: the places where "covers" can
    change. Multi-part geometries and collections are taken apart first."""
    parts = shapely.get_parts(geoms)
    while True:
        nested = shapely.get_type_id(parts) >= 4  # multi-geometries and collections
        if not nested.any():
            break
        parts = np.concatenate([parts[~nested], shapely.get_parts(parts[nested])])
    polygon = shapely.get_type_id(parts) == 3
    # A lone point becomes a zero-length line so that it is marked like any edge.
    points = shapely.get_type_id(parts) == 0
    dots = shapely.linestrings(np.repeat(shapely.get_coordinates(parts[points]), 2, axis=0).reshape(-1, 2, 2))
    return np.concatenate([shapely.get_rings(parts[polygon]), parts[~polygon & ~points], np.atleast_1d(dots)])


def _side(
    ax: FloatArray, ay: FloatArray, bx: FloatArray, by: FloatArray, px: FloatArray, py: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Which side of the line a→b each point is on (positive: left), and a bound on the
    rounding error of that number. Coordinates are at most 180 in size, so each difference is
    off by at most half a unit in the last place of 180 (1.4e-14) and the products by a relative
    1.1e-16; the bound below is some 70 times that, so a side whose value exceeds it is certain."""
    dx, dy = bx - ax, by - ay
    ex, ey = px - ax, py - ay
    side = dx * ey - dy * ex
    margin = 1e-12 * (np.abs(dx) + np.abs(dy) + np.abs(ex) + np.abs(ey)) + 1e-14 * (
        np.abs(dx * ey) + np.abs(dy * ex)
    )
    return side, margin


class GridIndex:
    """Point → grid over a fixed array of polygons (WGS84 lon/lat). Pure geometry: knows
    nothing of Django; grid i is geoms[i]."""

    def __init__(self, geoms: Sequence[Any] | NDArray[Any], *, max_cells: int = DEFAULT_MAX_CELLS):
        started = time.perf_counter()
        self.geoms: NDArray[Any] = np.asarray(geoms, dtype=object)
        n = len(self.geoms)
        # Prepared up front: a predicate would otherwise prepare each polygon on first use, and
        # two threads doing that to the same polygon at once is not safe.
        shapely.prepare(self.geoms)
        self.tree = shapely.STRtree(self.geoms)
        self._nearest: tuple[shapely.STRtree, NDArray[Any]] | None = None
        self._nearest_lock = threading.Lock()
        self._lat0 = 0.0
        self._seg: FloatArray = np.zeros((0, 4))
        self._split_cells: NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self._split_seg: NDArray[np.int32] = np.zeros((0, 2), dtype=np.int32)
        self._split_answers: NDArray[np.int32] = np.zeros((0, 4), dtype=np.int32)
        bounds = shapely.total_bounds(self.geoms) if n else np.full(4, np.nan)
        if not np.isfinite(bounds).all():
            # No grid, or only empty ones: nothing can hold a point.
            self._raster: NDArray[np.integer[Any]] = np.full((1, 1), OUTSIDE, dtype=np.int16)
            self._x0 = self._y0 = 0.0
            self._inv_cw = self._inv_ch = 0.0
            self._w = self._h = 0
            self.stats = BuildStats(0, 0, 0, 0.0, 0, time.perf_counter() - started)
            return
        x0, y0, x1, y1 = (float(v) for v in bounds)
        self._lat0 = (y0 + y1) / 2
        kx = max(math.cos(math.radians(self._lat0)), 0.01)
        # Square cells on the ground: a cell is s degrees of latitude high and s/kx of longitude wide.
        span = max((x1 - x0) * kx * (y1 - y0), 1e-12)
        s = math.sqrt(span / min(max_cells, _CELLS_PER_GRID * n))
        s = max(s, 1e-7)
        cw, ch = s / kx, s
        # One cell of margin on every side: a covered point is never on the raster's own edge.
        self._x0, self._y0 = x0 - cw, y0 - ch
        self._w = math.ceil((x1 - self._x0) / cw) + 2
        self._h = math.ceil((y1 - self._y0) / ch) + 2
        self._inv_cw, self._inv_ch = 1.0 / cw, 1.0 / ch
        dtype = np.int16 if n < np.iinfo(np.int16).max - 2 else np.int32
        edge, first_seg, last_seg, more = self._edge_mask()
        self._raster = self._fill(edge, dtype)
        self._split_edge_cells(edge, first_seg, last_seg, more)
        self.stats = BuildStats(
            grids=n,
            raster_width=self._w,
            raster_height=self._h,
            cell_m=s * math.pi / 180 * EARTH_RADIUS_M,
            edge_cells=int(edge.sum()),
            seconds=time.perf_counter() - started,
        )

    def __len__(self) -> int:
        return len(self.geoms)

    # --- building --------------------------------------------------------------------------

    def _pieces(self) -> Any:
        """(cells, segment ids) in chunks: every cell that each outline segment may touch. A
        segment is cut into pieces at most half a cell long, and each piece marks the cells its
        bounding box, widened by _EPS_CELLS, overlaps (at most 2 x 2)."""
        w, h = self._w, self._h
        u = (self._seg[:, [0, 2]] - self._x0) * self._inv_cw
        v = (self._seg[:, [1, 3]] - self._y0) * self._inv_ch
        for start in range(0, len(self._seg), _SEGMENT_CHUNK):
            j = np.arange(start, min(start + _SEGMENT_CHUNK, len(self._seg)))
            ua, va = u[j, 0], v[j, 0]
            du, dv = u[j, 1] - ua, v[j, 1] - va
            pieces = np.maximum(1, np.ceil(np.maximum(np.abs(du), np.abs(dv)) / _PIECE_CELLS)).astype(
                np.int64
            )
            seg = np.repeat(np.arange(len(j)), pieces)
            step = np.arange(len(seg)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
            t0 = step / pieces[seg]
            t1 = (step + 1) / pieces[seg]
            pu0, pu1 = ua[seg] + t0 * du[seg], ua[seg] + t1 * du[seg]
            pv0, pv1 = va[seg] + t0 * dv[seg], va[seg] + t1 * dv[seg]
            c0 = np.clip(np.floor(np.minimum(pu0, pu1) - _EPS_CELLS), 0, w - 1).astype(np.int64)
            c1 = np.clip(np.floor(np.maximum(pu0, pu1) + _EPS_CELLS), 0, w - 1).astype(np.int64)
            r0 = np.clip(np.floor(np.minimum(pv0, pv1) - _EPS_CELLS), 0, h - 1).astype(np.int64)
            r1 = np.clip(np.floor(np.maximum(pv0, pv1) + _EPS_CELLS), 0, h - 1).astype(np.int64)
            ids = j[seg].astype(np.int32)
            cells = np.concatenate([r0 * w + c0, r0 * w + c1, r1 * w + c0, r1 * w + c1])
            yield cells, np.concatenate([ids, ids, ids, ids])

    def _edge_mask(self) -> tuple[NDArray[np.bool_], IntArray, IntArray, NDArray[np.bool_]]:
        """The cells that some outline touches; for each, the smallest and the largest id of the
        segments touching it, and whether any third segment touches it too."""
        n_cells = self._w * self._h
        mark = np.zeros(n_cells, dtype=bool)
        first_seg = np.full(n_cells, np.iinfo(np.int32).max, dtype=np.int32)
        last_seg = np.full(n_cells, -1, dtype=np.int32)
        more = np.zeros(n_cells, dtype=bool)
        coords, ring_of = shapely.get_coordinates(_outlines(self.geoms), return_index=True)
        joined = np.flatnonzero(ring_of[:-1] == ring_of[1:])
        a, b = coords[joined], coords[joined + 1]
        # The shared edge of two grids appears once in each ring, in opposite directions: one
        # segment, endpoints in a fixed order, so that a cell it crosses sees a single segment.
        swap = (a[:, 0] > b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] > b[:, 1]))
        lo, hi = np.where(swap[:, None], b, a), np.where(swap[:, None], a, b)
        self._seg = np.unique(np.hstack([lo, hi]), axis=0) if len(lo) else np.zeros((0, 4))
        for cells, ids in self._pieces():
            mark[cells] = True
            np.minimum.at(first_seg, cells, ids)
            np.maximum.at(last_seg, cells, ids)
        for cells, ids in self._pieces():
            more[cells[(ids != first_seg[cells]) & (ids != last_seg[cells])]] = True
        return mark.reshape(self._h, self._w), first_seg, last_seg, more

    def _fill(self, edge: NDArray[np.bool_], dtype: type[np.integer[Any]]) -> NDArray[np.integer[Any]]:
        """Every unmarked cell gets the answer for its whole run of unmarked cells along the
        row: no outline crosses the run, so one answer holds for all of it. A run touching an
        unmarked cell of the row above is joined to that run and has its answer; only runs
        with none (the top of each region) are answered by an exact test of a cell centre."""
        h, w = edge.shape
        free = ~edge
        starts = free.copy()
        starts[:, 1:] &= edge[:, :-1]
        flat_starts = starts.ravel()
        run = np.cumsum(flat_starts, dtype=np.int64) - 1
        runs = int(run[-1]) + 1 if len(run) else 0
        parent = np.arange(runs, dtype=np.int64)
        joined = np.zeros((h, w), dtype=bool)
        joined[1:] = free[1:] & free[:-1]
        below = np.flatnonzero(joined.ravel())
        # Several cells of a run may see runs above; they are all one region, any will do.
        parent[run[below]] = run[below - w]
        # Parents lie in the row above, so following them ends at a root within h steps;
        # pointer doubling gets there in log2(h) passes.
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
        roots = np.flatnonzero(parent == np.arange(runs))
        first = np.flatnonzero(flat_starts)[roots]
        rows, cols = np.divmod(first, w)
        answers = np.full(runs, OUTSIDE, dtype=np.int32)
        answers[roots] = self._exact(
            self._x0 + (cols + 0.5) / self._inv_cw, self._y0 + (rows + 0.5) / self._inv_ch
        )
        answers = answers[parent]
        raster = np.full(h * w, _EDGE, dtype=dtype)
        flat_free = free.ravel()
        raster[flat_free] = answers[run[flat_free]]
        return raster

    def _split_edge_cells(
        self, edge: NDArray[np.bool_], first_seg: IntArray, last_seg: IntArray, more: NDArray[np.bool_]
    ) -> None:
        """Most edge cells are crossed from side to side by one straight segment, or by two (the
        shared edge of two grids drawn with different vertices), and by nothing else. The lines
        of the two segments cut the cell into at most four convex regions, one per pair of
        sides, and no outline runs through any of them, so one exact answer holds in each: that
        of a free neighbour of a cell corner lying in the region, or an exact test of the corner.
        A point there is then answered by the signs of two cross products, unless it lies so
        close to a line that rounding could flip a sign (or in a region no corner reaches, such
        as the sliver between two nearly equal lines): those go to the exact test."""
        cells = np.flatnonzero(edge.ravel() & ~more)
        seg_a, seg_b = first_seg[cells], last_seg[cells]
        rows, cols = np.divmod(cells, self._w)

        def crosses(sid: IntArray) -> NDArray[np.bool_]:
            # From side to side: an end inside the cell would be a vertex, and the regions
            # would no longer be cut by whole lines.
            ax, ay, bx, by = self._seg[sid].T
            e = _EPS_CELLS
            beyond = []
            for x, y in ((ax, ay), (bx, by)):
                u = (x - self._x0) * self._inv_cw
                v = (y - self._y0) * self._inv_ch
                beyond.append((u < cols - e) | (u > cols + 1 + e) | (v < rows - e) | (v > rows + 1 + e))
            return beyond[0] & beyond[1] & ((ax != bx) | (ay != by))

        keep = np.flatnonzero(crosses(seg_a) & crosses(seg_b))
        cells, rows, cols, seg_a, seg_b = cells[keep], rows[keep], cols[keep], seg_a[keep], seg_b[keep]
        corner_x = np.stack([cols, cols + 1, cols, cols + 1]) / self._inv_cw + self._x0
        corner_y = np.stack([rows, rows, rows + 1, rows + 1]) / self._inv_ch + self._y0
        scores = []
        for sid in (seg_a, seg_b):
            ax, ay, bx, by = self._seg[sid].T
            side, margin = _side(ax, ay, bx, by, corner_x, corner_y)
            scores.append(side / np.where(margin > 0, margin, 1.0))
        pick = np.arange(len(cells))
        answers = np.full((len(cells), 4), _EDGE, dtype=np.int32)
        for q in range(4):
            # Region q: left (positive) or right of each line; a corner well inside it, if any.
            fit = np.minimum(scores[0] * (1 - 2 * (q >> 1)), scores[1] * (1 - 2 * (q & 1)))
            k = np.argmax(fit, axis=0)
            has = fit[k, pick] > 1
            answer = np.full(len(cells), _EDGE, dtype=np.int32)
            # The corner is shared with three neighbouring cells; an unmarked one holds the
            # corner in its outline-free region, so its answer is this region's answer.
            for dr in (0, -1):
                for dc in (0, -1):
                    r = np.clip(rows + (k >= 2) + dr, 0, self._h - 1)
                    c = np.clip(cols + (k % 2) + dc, 0, self._w - 1)
                    value = self._raster[r * self._w + c]
                    answer = np.where((answer == _EDGE) & (value != _EDGE), value, answer)
            unknown = np.flatnonzero(has & (answer == _EDGE))
            answer[unknown] = self._exact(corner_x[k[unknown], unknown], corner_y[k[unknown], unknown])
            answers[:, q] = np.where(has, answer, _EDGE)
        self._split_cells = cells
        self._split_seg = np.stack([seg_a, seg_b], axis=1).astype(np.int32)
        self._split_answers = answers

    # --- answering -------------------------------------------------------------------------

    def _exact(self, x: FloatArray, y: FloatArray) -> IntArray:
        out = np.full(len(x), OUTSIDE, dtype=np.int32)
        if len(x) == 0 or len(self.geoms) == 0:
            return out
        points = shapely.points(x, y)
        # Boxes first, then the predicate as one vectorised call on prepared polygons: measured
        # faster than letting the tree test the predicate pair by pair. For a point, covers is
        # intersects, and GEOS's prepared covers is the quicker of the two.
        which, grid = self.tree.query(points)
        hit = shapely.covers(self.geoms[grid], points[which])
        which, grid = which[hit], grid[hit].astype(np.int64)
        if len(which) == 0:
            return out
        # Points with one answer (nearly all) are done; several answers happen only on a shared
        # edge or where grids overlap. There a grid holding the point inside beats one on whose
        # edge it lies, then the smallest index wins.
        counts = np.bincount(which, minlength=len(x))
        single = counts[which] == 1
        out[which[single]] = grid[single]
        many = np.flatnonzero(~single)
        if len(many):
            w, g = which[many], grid[many]
            rank = g + np.where(shapely.contains(self.geoms[g], points[w]), 0, len(self.geoms))
            best = np.full(len(x), np.iinfo(np.int64).max, dtype=np.int64)
            np.minimum.at(best, w, rank)
            done = np.unique(w)
            out[done] = best[done] % len(self.geoms)
        return out

    def _locate_chunk(self, x: FloatArray, y: FloatArray) -> IntArray:
        u = (x - self._x0) * self._inv_cw
        v = (y - self._y0) * self._inv_ch
        # NaN fails every comparison, so it lands outside with no special case.
        ok = (u >= 0) & (u < self._w) & (v >= 0) & (v < self._h)
        cell = np.where(ok, v, 0).astype(np.intp) * self._w + np.where(ok, u, 0).astype(np.intp)
        out = self._raster.ravel()[cell].astype(np.int32)
        out[~ok] = OUTSIDE
        edge = np.flatnonzero(out == _EDGE)
        if len(edge) and len(self._split_cells):
            out[edge] = self._by_side(cell[edge], x[edge], y[edge])
            edge = edge[out[edge] == _EDGE]
        if len(edge):
            out[edge] = self._exact(x[edge], y[edge])
        return out

    def _by_side(self, cell: NDArray[np.intp], x: FloatArray, y: FloatArray) -> IntArray:
        out = np.full(len(cell), _EDGE, dtype=np.int32)
        pos = np.minimum(np.searchsorted(self._split_cells, cell), len(self._split_cells) - 1)
        hit = np.flatnonzero(self._split_cells[pos] == cell)
        if len(hit) == 0:
            return out
        k = pos[hit]
        px, py = x[hit], y[hit]
        ax, ay, bx, by = self._seg[self._split_seg[k, 0]].T
        side_a, margin_a = _side(ax, ay, bx, by, px, py)
        ax, ay, bx, by = self._seg[self._split_seg[k, 1]].T
        side_b, margin_b = _side(ax, ay, bx, by, px, py)
        sure = (np.abs(side_a) > margin_a) & (np.abs(side_b) > margin_b)
        region = 2 * (side_a < 0) + (side_b < 0)
        out[hit] = np.where(sure, self._split_answers[k, region], _EDGE)
        return out

    def locate_many(self, lons: ArrayLike, lats: ArrayLike, *, parallel: bool = True) -> IntArray:
        """The index of the grid holding each point, or OUTSIDE (-1); coordinates in WGS84."""
        x = np.ascontiguousarray(lons, dtype=np.float64).ravel()
        y = np.ascontiguousarray(lats, dtype=np.float64).ravel()
        if x.shape != y.shape:
            raise ValueError("lons and lats differ in length")
        if self._w == 0:
            return np.full(len(x), OUTSIDE, dtype=np.int32)
        if not parallel or len(x) < _PARALLEL_MIN:
            return self._locate_chunk(x, y)
        # numpy and shapely release the GIL in their loops, so chunks on threads use every core.
        bounds = range(0, len(x), _CHUNK)
        parts = _executor().map(lambda s: self._locate_chunk(x[s : s + _CHUNK], y[s : s + _CHUNK]), bounds)
        return np.concatenate(list(parts))

    def locate(self, lon: float, lat: float) -> int:
        return int(
            self._locate_chunk(np.array([lon], dtype=np.float64), np.array([lat], dtype=np.float64))[0]
        )

    def _project(self, x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        # Equirectangular about the layer's middle latitude: metres, good to about 1 % within a
        # city; the distance reported is then measured again on the sphere.
        k = math.cos(math.radians(self._lat0))
        return np.radians(x) * EARTH_RADIUS_M * k, np.radians(y) * EARTH_RADIUS_M

    def _unproject(self, x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        k = math.cos(math.radians(self._lat0))
        return np.degrees(x / (EARTH_RADIUS_M * k)), np.degrees(y / EARTH_RADIUS_M)

    def _nearest_tree(self) -> tuple[shapely.STRtree, NDArray[Any]]:
        # Built on first use: many processes never see a point outside the layer.
        with self._nearest_lock:
            if self._nearest is None:
                projected = shapely.transform(
                    self.geoms, lambda xy: np.column_stack(self._project(xy[:, 0], xy[:, 1]))
                )
                shapely.prepare(projected)
                self._nearest = (shapely.STRtree(projected), projected)
            return self._nearest

    def nearest_many(self, lons: ArrayLike, lats: ArrayLike) -> tuple[IntArray, FloatArray]:
        """The nearest grid to each point and the distance to it in metres (0 inside a grid).
        Non-finite coordinates give -1 and NaN."""
        x = np.ascontiguousarray(lons, dtype=np.float64).ravel()
        y = np.ascontiguousarray(lats, dtype=np.float64).ravel()
        idx = np.full(len(x), OUTSIDE, dtype=np.int32)
        dist = np.full(len(x), np.nan)
        ok = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
        if len(ok) == 0 or len(self.geoms) == 0:
            return idx, dist
        tree, projected = self._nearest_tree()
        px, py = self._project(x[ok], y[ok])
        pts = shapely.points(px, py)
        which, grid = tree.query_nearest(pts, all_matches=False)
        # Walk from the nearest point of the polygon to the point, then measure it on the sphere.
        lines = shapely.shortest_line(projected[grid], pts[which])
        ends = shapely.get_coordinates(lines).reshape(-1, 2, 2)
        ax, ay = self._unproject(ends[:, 0, 0], ends[:, 0, 1])
        idx[ok[which]] = grid
        dist[ok[which]] = haversine_m(ax, ay, x[ok[which]], y[ok[which]])
        return idx, dist


# --- the layer of this process, kept in step with the database ---------------------------


@dataclass(frozen=True)
class RegionRef:
    id: int
    code: str
    name: str
    level: RegionLevel
    parent_id: int | None


@dataclass(frozen=True)
class GridRef:
    id: int
    code: str
    name: str
    kind: GridKind
    community_id: int


Stamp = tuple[int, Any]


@dataclass
class Layer:
    """One consistent picture of the territory: the geometry index with what is needed to
    answer without touching the database again (grid and region names, the region tree)."""

    stamp: Stamp
    index: GridIndex
    grids: list[GridRef]
    regions: dict[int, RegionRef]
    load_seconds: float = 0.0
    _chains: dict[int, tuple[RegionRef, ...]] = field(default_factory=dict, repr=False)

    @property
    def version(self) -> int:
        return self.stamp[0]

    def chain(self, grid: int) -> tuple[RegionRef, ...]:
        """The regions above a grid, from the top of the tree down to its community."""
        community = self.grids[grid].community_id
        found = self._chains.get(community)
        if found is None:
            chain: list[RegionRef] = []
            node = self.regions.get(community)
            while node is not None and len(chain) < 10:
                chain.append(node)
                node = self.regions.get(node.parent_id) if node.parent_id is not None else None
            found = tuple(reversed(chain))
            self._chains[community] = found
        return found


def _read_stamp() -> Stamp:
    from gridgov.geo.models import LayerVersion

    row = LayerVersion.objects.order_by("pk").values_list("version", "changed_at").first()
    return (int(row[0]), row[1]) if row else (0, None)


def load_layer(*, max_cells: int = DEFAULT_MAX_CELLS) -> Layer:
    """Read the whole layer from the database and index it."""
    from django.db.models import TextField
    from django.db.models.functions import Cast

    from gridgov.geo.models import Grid, Region

    started = time.perf_counter()
    stamp = _read_stamp()
    regions = {
        pk: RegionRef(pk, code, name, RegionLevel(level), parent)
        for pk, code, name, level, parent in Region.objects.values_list(
            "pk", "code", "name", "level", "parent_id"
        )
    }
    rows = list(
        Grid.objects.order_by("code")
        # The GeoJSON as text goes straight to GEOS's reader, skipping a Python dict per grid.
        .annotate(geojson=Cast("boundary", TextField()))
        .values_list("pk", "code", "name", "kind", "community_id", "geojson")
    )
    grids = [
        GridRef(pk, code, name, GridKind(kind), community) for pk, code, name, kind, community, _ in rows
    ]
    geoms = (
        shapely.from_geojson(np.array([r[5] for r in rows], dtype=object))
        if rows
        else np.empty(0, dtype=object)
    )
    loaded = time.perf_counter() - started
    index = GridIndex(geoms, max_cells=max_cells)
    log.info(
        "grid layer v%s: %d grids indexed in %.2fs (read %.2fs, raster %dx%d of %.0f m, %.1f%% edge cells)",
        stamp[0],
        len(grids),
        loaded + index.stats.seconds,
        loaded,
        index.stats.raster_width,
        index.stats.raster_height,
        index.stats.cell_m,
        100 * index.stats.edge_share,
    )
    return Layer(stamp=stamp, index=index, grids=grids, regions=regions, load_seconds=loaded)


class _Holder:
    CHECK_SECONDS = 1.0

    def __init__(self, loader: Callable[[], Layer], stamper: Callable[[], Stamp]):
        self._loader = loader
        self._stamper = stamper
        self._layer: Layer | None = None
        self._checked: datetime | None = None
        self._dirty = False
        self._lock = threading.Lock()

    def _recent(self) -> bool:
        if self._checked is None:
            return False
        # clock.now(), not a monotonic clock, so that tests can move time on; a clock that
        # jumped backwards counts as "not recent" rather than postponing every check.
        elapsed = (clock.now() - self._checked).total_seconds()
        return 0 <= elapsed < self.CHECK_SECONDS

    def get(self, *, fresh: bool = False) -> Layer:
        layer = self._layer
        if layer is not None and not fresh and not self._dirty and self._recent():
            return layer
        # While one thread rebuilds, the others go on with the layer they have, unless they
        # have none or were told to wait for the current one.
        if layer is not None and not fresh and not self._lock.acquire(blocking=False):
            return layer
        if layer is None or fresh:
            self._lock.acquire()
        try:
            self._dirty = False
            stamp = self._stamper()
            self._checked = clock.now()
            if self._layer is None or self._layer.stamp != stamp:
                self._layer = self._loader()
            return self._layer
        finally:
            self._lock.release()

    def mark_stale(self) -> None:
        self._dirty = True


_holder = _Holder(load_layer, _read_stamp)


def current_layer(*, fresh: bool = False) -> Layer:
    """This process's layer, rebuilt first if the database's LayerVersion moved on. fresh=True
    checks the version now instead of trusting a check made in the last second."""
    return _holder.get(fresh=fresh)


def mark_stale() -> None:
    """Make the next current_layer() check the version at once (after a write in this process,
    or when a test rolls back a transaction that had changed the layer)."""
    _holder.mark_stale()


def _connect_signals() -> None:
    from django.db.models.signals import post_delete, post_save

    from gridgov.geo.models import Grid, LayerVersion, Region

    def stale(**_: Any) -> None:
        mark_stale()

    for model in (Grid, Region, LayerVersion):
        post_save.connect(stale, sender=model, weak=False, dispatch_uid=f"geo-index-{model.__name__}-save")
        post_delete.connect(
            stale, sender=model, weak=False, dispatch_uid=f"geo-index-{model.__name__}-delete"
        )


_connect_signals()
