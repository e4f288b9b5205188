"""The summary tables behind every indicator (docs/decisions/0004-summary-tables.md).

Written only by `stats.services` (the reader of the case events) and read only by
`stats.indicators`. Every counter is additive, so any period and any subtree is a sum of rows:

- `Cell`: the fine grain, day × territory (grid code, or the region code of a case off the
  grid) × department × category (leaf) × channel. Arbitrary filter combinations read it with a
  prefix range on the territory.
- `Rollup`: the same counters summed per region code (every ancestor prefix of the territory)
  and day, in total and, down to township level, by channel, department and top-level
  category: what the screen reads, a few dozen rows per region and day whatever the volume.
- `CaseFact`: the current state of every case that can still change (not rejected, archived
  or merged): its contribution to the two tables above (so a change retracts it and adds the
  new one) and the two states, in progress and overdue now.
- `Recent`: for the last two weeks only (`stats.recent`), the cases registered per region code
  and day by word of their text and by H3 hexagon of their position: the screen's hot topics
  and heat layer, read as sums like the rollups instead of segmenting texts per request.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

# The additive counters, in one place: the models, the reader and the recount use this list.
COUNTERS: tuple[str, ...] = (
    "intake",
    "closed",
    "closed_redone",
    "closed_self",
    "close_seconds",
    "handled",
    "handled_on_time",
    "due",
    "due_closed",
    "due_closed_on_time",
    "rated",
    "satisfied",
    "accept_count",
    "accept_seconds",
    "dispatch_count",
    "dispatch_seconds",
)


class Counters(models.Model):
    intake = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    closed_redone = models.IntegerField(default=0)
    closed_self = models.IntegerField(default=0)
    close_seconds = models.BigIntegerField(default=0)
    handled = models.IntegerField(default=0)
    handled_on_time = models.IntegerField(default=0)
    due = models.IntegerField(default=0)
    due_closed = models.IntegerField(default=0)
    due_closed_on_time = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    accept_count = models.IntegerField(default=0)
    accept_seconds = models.BigIntegerField(default=0)
    dispatch_count = models.IntegerField(default=0)
    dispatch_seconds = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class Cell(Counters):
    day = models.DateField()
    territory = models.CharField(max_length=15)
    department_id = models.IntegerField(default=0)  # 0: not with a department
    category_id = models.IntegerField()
    channel = models.CharField(max_length=16)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["territory", "day", "department_id", "category_id", "channel"], name="stats_cell_key"
            )
        ]
        indexes = [
            models.Index(fields=["day", "territory"], name="stats_cell_day"),
            # A department's own figures with a second dimension (its breakdown by channel, or
            # by region below township level) read only its rows.
            models.Index(fields=["department_id", "day"], name="stats_cell_department"),
        ]


class Dim(models.TextChoices):
    TOTAL = "", "合计"
    CHANNEL = "channel", "来源"
    DEPARTMENT = "department", "部门"
    CATEGORY = "category", "分类"


class Rollup(Counters):
    code = models.CharField(max_length=15)
    dim = models.CharField(max_length=16, choices=Dim.choices, blank=True)
    key = models.CharField(max_length=16, blank=True)
    day = models.DateField()

    class Meta:
        # Day before key: the screen asks for every key of one dimension over a few days (the
        # department ranking, the channels), which is one contiguous range of this index; with
        # the key before the day the same question scanned every key's whole history (about
        # 40 × 1,100 entries for the departments) and kept only the period's days.
        constraints = [models.UniqueConstraint(fields=["code", "dim", "day", "key"], name="stats_rollup_key")]


class CaseFact(models.Model):
    case_id = models.BigIntegerField(primary_key=True)
    territory = models.CharField(max_length=15)
    department_id = models.IntegerField(default=0)
    category_id = models.IntegerField()
    top_category_id = models.IntegerField()
    channel = models.CharField(max_length=16)
    received_day = models.DateField()
    is_open = models.BooleanField()
    overdue = models.BooleanField()
    # {"YYYY-MM-DD": {counter: amount}}: what this case added to its cells, to take back.
    days = models.JSONField(default=dict)
    # What it added to `Recent` on its received day, to take back: its text's words and its
    # position's finest hexagon (empty once that day is no longer kept).
    words = models.JSONField(default=list)
    cell = models.CharField(max_length=15, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(
                fields=["territory", "received_day"], condition=Q(is_open=True), name="stats_fact_open"
            ),
            models.Index(
                fields=["department_id", "received_day"],
                condition=Q(is_open=True),
                name="stats_fact_open_dept",
            ),
        ]


class RecentDim(models.TextChoices):
    WORD = "word", "词语"
    HEAT = "heat", "热力"
    PLACE = "place", "地点"  # the key is the case's own territory (grid, else region code)


class Recent(models.Model):
    """Cases registered per region code (every ancestor prefix of the territory, as the
    rollups) and day, by a word of their text, by the hexagon of their position at the
    resolution the map uses at that code's level, or by their own territory (where cases
    repeat). Days before `recent.recent_since` are deleted by the reader."""

    code = models.CharField(max_length=15)
    dim = models.CharField(max_length=8, choices=RecentDim.choices)
    day = models.DateField()
    key = models.CharField(max_length=16)
    cases = models.IntegerField(default=0)

    class Meta:
        # As the rollups: one place's week of one dimension is one contiguous range.
        constraints = [models.UniqueConstraint(fields=["code", "dim", "day", "key"], name="stats_recent_key")]
        indexes = [models.Index(fields=["day"], name="stats_recent_day")]  # the daily pruning
