"""Cases and what hangs on them. Written only by the services (cases/services/*).

For the background worker: two partial indexes hold only the cases whose colour can still
change (`due_at` of open cases not yet red, `yellow_at` of open green ones), so "what turns yellow
or red by now" reads just those; `CaseEvent` ids only grow, so a reader that remembers the last
id it handled reads the outbox with `id > last` (re-reading a short window: ids are handed out
before commit on PostgreSQL).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from gridgov.accounts.models import Center, Department
from gridgov.cases.enums import (
    CaseAction,
    CaseStatus,
    Channel,
    ExtensionStatus,
    NoticeKind,
    PartRole,
    PartStatus,
    PauseKind,
    Rating,
    RoutingTarget,
    Urgency,
)
from gridgov.core.crypto import EncryptedTextField
from gridgov.geo.enums import Crs, RegionLevel
from gridgov.geo.models import Grid, Region
from gridgov.sla.durations import Duration
from gridgov.sla.enums import Colour, DurationUnit
from gridgov.sla.policies import DeadlinePolicy as Policy


class Category(models.Model):
    """事项分类: two levels, shipped as data (cases/data/categories.json), edited in the admin."""

    code = models.CharField("分类编码", max_length=16, unique=True)
    name = models.CharField("名称", max_length=64)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name="上级"
    )
    active = models.BooleanField("启用", default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "事项分类"
        verbose_name_plural = "事项分类"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class RoutingRule(models.Model):
    """Who a category goes to in a region (and below it, unless a lower region has its own rule)."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+", verbose_name="区划")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="routing_rules")
    target = models.CharField("流转对象", max_length=16, choices=RoutingTarget.choices)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    center = models.ForeignKey(Center, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "分拨规则"
        verbose_name_plural = "分拨规则"
        constraints = [
            models.UniqueConstraint(
                fields=["region", "category"], name="routingrule_one_per_region_category"
            ),
            models.CheckConstraint(
                condition=(
                    Q(target=RoutingTarget.DEPARTMENT) & Q(department__isnull=False) & Q(center__isnull=True)
                )
                | (Q(target=RoutingTarget.CENTER) & Q(center__isnull=False) & Q(department__isnull=True)),
                name="routingrule_target_matches",
                violation_error_message="流转对象须与所选部门或指挥中心一致",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region.name} {self.category.name} → {self.department or self.center}"


class DeadlinePolicy(models.Model):
    """Deadlines per category × urgency × level; a blank column matches any. The most specific
    row wins (category, then its parent, then none); without any row the 131 rule applies."""

    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    urgency = models.CharField("紧急程度", max_length=16, choices=Urgency.choices, blank=True)
    level = models.CharField("层级", max_length=16, choices=RegionLevel.choices, blank=True)
    contact_amount = models.PositiveIntegerField("联系时限", default=1)
    contact_unit = models.CharField(
        max_length=16, choices=DurationUnit.choices, default=DurationUnit.WORK_HOURS
    )
    finish_amount = models.PositiveIntegerField("办结时限", default=3)
    finish_unit = models.CharField(max_length=16, choices=DurationUnit.choices, default=DurationUnit.WORKDAYS)
    feedback_amount = models.PositiveIntegerField("反馈时限", default=1)
    feedback_unit = models.CharField(
        max_length=16, choices=DurationUnit.choices, default=DurationUnit.WORKDAYS
    )
    # Read by the deadline worker when a case turns red (cases/tasks.py), not copied at intake.
    escalate_when_overdue = models.BooleanField(
        "超期自动上报", default=False, help_text="事件超期变红时自动上报上一级指挥中心"
    )

    class Meta:
        verbose_name = "时限策略"
        verbose_name_plural = "时限策略"

    def __str__(self) -> str:
        return f"{self.category or '全部'} {self.urgency or '*'} {self.level or '*'}"

    def as_policy(self) -> Policy:
        return Policy(
            contact=Duration(self.contact_amount, DurationUnit(self.contact_unit)),
            finish=Duration(self.finish_amount, DurationUnit(self.finish_unit)),
            feedback=Duration(self.feedback_amount, DurationUnit(self.feedback_unit)),
        )


class CaseSequence(models.Model):
    """The last number given per region per day; bumped by one atomic upsert (numbering.py)."""

    region_code = models.CharField(max_length=12)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["region_code", "day"], name="casesequence_unique")]


class Case(models.Model):
    # Unique through Meta.constraints (no varchar_pattern_ops twin; see Meta.indexes).
    number = models.CharField("事件编号", max_length=32)
    channel = models.CharField("来源", max_length=16, choices=Channel.choices)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="cases", verbose_name="分类"
    )
    title = models.CharField("标题", max_length=200)
    description = models.TextField("描述", blank=True)
    urgency = models.CharField("紧急程度", max_length=16, choices=Urgency.choices, default=Urgency.NORMAL)
    external_refs = models.JSONField("外部编号", default=dict, blank=True)

    # Where: WGS84 after conversion; the grid and region found by the locator.
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    crs = models.CharField(max_length=8, choices=Crs.choices, blank=True, help_text="the reporter's CRS")
    address = models.CharField("地址", max_length=200, blank=True)
    grid = models.ForeignKey(Grid, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name="所属区划")
    # The grid's code inside the layer, else its region's code: what data scope filters on.
    territory_code = models.CharField(max_length=15, db_index=True)
    outside_city = models.BooleanField("城市范围外", default=False)

    reporter_anonymous = models.BooleanField("匿名", default=False)
    reporter_name = EncryptedTextField("反映人", blank=True)
    reporter_phone = EncryptedTextField(
        "联系电话",
        blank=True,
        index_field="reporter_phone_index",
        normalizer="gridgov.core.pii.normalize_phone",
    )
    reporter_phone_index = models.CharField(max_length=64, blank=True, editable=False)

    # Who has it: the centre in charge at the case's level, and the department it is with.
    received_by = models.ForeignKey(
        Center, on_delete=models.PROTECT, related_name="+", verbose_name="首问单位", db_index=False
    )
    owner_center = models.ForeignKey(
        Center, on_delete=models.PROTECT, related_name="+", verbose_name="责任中心"
    )
    owner_department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="承办部门",
        db_index=False,  # case_department_status leads with it
    )
    routed_department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="建议部门",
        db_index=False,
    )
    level = models.CharField("层级", max_length=16, choices=RegionLevel.choices)

    status = models.CharField("状态", max_length=16, choices=CaseStatus.choices)
    suspended_from = models.CharField(max_length=16, choices=CaseStatus.choices, blank=True)
    version = models.PositiveIntegerField(default=1)
    redo_count = models.PositiveIntegerField("重办次数", default=0)
    rating = models.CharField("评价", max_length=24, choices=Rating.choices, blank=True)
    result = models.TextField("办理结果", blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name="主件",
        db_index=False,  # case_parent_set: merged children only
    )

    # Clocks. The durations are copied from the policy when the clock starts, so editing a
    # policy changes new cases, not the deadlines people were already given.
    policy_contact = models.CharField(max_length=8, blank=True)
    policy_finish = models.CharField(max_length=8, blank=True)
    policy_feedback = models.CharField(max_length=8, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    contacted_at = models.DateTimeField(null=True, blank=True)
    finish_started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    contact_due_at = models.DateTimeField(null=True, blank=True)
    finish_due_at = models.DateTimeField(null=True, blank=True)
    feedback_due_at = models.DateTimeField(null=True, blank=True)
    is_open = models.BooleanField(default=True)
    due_at = models.DateTimeField(null=True, blank=True)
    yellow_at = models.DateTimeField(null=True, blank=True)
    colour = models.CharField("三色", max_length=8, choices=Colour.choices, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "事件"
        verbose_name_plural = "事件"
        constraints = [models.UniqueConstraint(fields=["number"], name="case_number_unique")]
        # Every index is written by every intake, so the table keeps only those a read uses
        # (cases migration 0005 says, for each one it dropped, why no read misses it):
        # - named Index instead of db_index for the CharFields read by equality or IN only
        #   (number, status, colour, the phone's blind index): on PostgreSQL db_index/unique also
        #   build a varchar_pattern_ops twin for LIKE 'x%', which no read of these columns makes.
        #   territory_code keeps db_index and its twin: other apps filter it with startswith,
        #   which only that twin serves under a non-C collation.
        # - no single-column index on foreign keys nobody filters on (received_by, created_by,
        #   routed_department) nor on one a composite leads with (owner_department); a delete
        #   of a centre, department or user (rare, admin) scans the table for its PROTECT check.
        # - parent: only merged children have one; the partial index holds just those.
        indexes = [
            models.Index(fields=["is_open", "due_at"], name="case_open_due"),  # the overdue lists
            # The deadline worker's two questions (selectors.cases_due), each matched exactly by
            # a partial index: only the cases whose colour can still change are in them, so a
            # range scan reads the due rows and nothing else, however many are already red or
            # yellow. The conditions must stay identical to the selector's filters.
            models.Index(
                fields=["due_at"],
                condition=Q(is_open=True) & ~Q(colour=Colour.RED),
                name="case_due_not_red",
            ),
            models.Index(
                fields=["yellow_at"],
                condition=Q(is_open=True, colour=Colour.GREEN),
                name="case_yellow_green",
            ),
            models.Index(fields=["owner_department", "status"], name="case_department_status"),
            models.Index(fields=["status"], name="case_status_idx"),
            models.Index(fields=["colour"], name="case_colour_idx"),
            models.Index(fields=["reporter_phone_index"], name="case_phone_idx"),
            models.Index(fields=["parent"], condition=Q(parent__isnull=False), name="case_parent_set"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def owner(self) -> Center | Department:
        return self.owner_department or self.owner_center


class Attachment(models.Model):
    file = models.FileField(upload_to="cases/%Y/%m/")
    name = models.CharField("文件名", max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments"
    )
    event = models.ForeignKey(
        "CaseEvent", null=True, blank=True, on_delete=models.PROTECT, related_name="attachments"
    )

    class Meta:
        verbose_name = "附件"
        verbose_name_plural = "附件"

    def __str__(self) -> str:
        return self.name


class CaseEvent(models.Model):
    """One act on a case: the audit trail, the timeline and the workers' outbox. Append-only."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=24, choices=CaseAction.choices)
    from_status = models.CharField(max_length=16, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=CaseStatus.choices)
    # No index on actor: its one read (a worker's log, field/selectors.py) is bounded by `at`.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "事件流转记录"
        verbose_name_plural = "事件流转记录"

    def __str__(self) -> str:
        return f"{self.case_id} {self.action} {self.from_status}→{self.to_status}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise RuntimeError("CaseEvent is append-only")
        super().save(*args, **kwargs)


class CasePart(models.Model):
    """协办: each department summoned to a case has its own part and its own result."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="parts")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=8, choices=PartRole.choices)
    status = models.CharField(max_length=8, choices=PartStatus.choices, default=PartStatus.OPEN)
    task = models.TextField(blank=True)
    result = models.TextField(blank=True)
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "department"], name="casepart_one_per_department")
        ]


class CaseExtension(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="extensions")
    amount = models.PositiveIntegerField()
    unit = models.CharField(max_length=16, choices=DurationUnit.choices)
    reason = models.TextField()
    status = models.CharField(max_length=8, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(status="pending"), name="caseextension_one_pending"
            )
        ]

    @property
    def duration(self) -> Duration:
        return Duration(self.amount, DurationUnit(self.unit))


class CasePause(models.Model):
    """A stretch of time the clocks stood still (suspension); open while ended_at is null."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="pauses")
    kind = models.CharField(max_length=16, choices=PauseKind.choices)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]


class Notice(models.Model):
    """三单: a warning, assignment or supervision sheet to the case's owner, answered by a time."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notices")
    kind = models.CharField(max_length=16, choices=NoticeKind.choices)
    to_center = models.ForeignKey(Center, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField()
    respond_by = models.DateTimeField()
    response = models.TextField(blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "三单(预警/交办/督办)"
        verbose_name_plural = "三单(预警/交办/督办)"
        indexes = [models.Index(fields=["responded_at", "respond_by"], name="notice_open_by")]


class IdempotencyKey(models.Model):
    """A client's Idempotency-Key, per user: the same key never makes a second case."""

    # No own index on user: the unique (user, key) leads with it.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    key = models.CharField(max_length=128)
    request_hash = models.CharField(max_length=64)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotencykey_unique")]
