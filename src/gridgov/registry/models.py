"""The base registers (一标三实, 人地事物组织) and the key-person ledger.

Written only by the services (registry/services/*) and by the bulk importer (gridgov.bulk),
which writes rows exactly as the services would. Notes for a bulk writer:

- Personal fields are `EncryptedTextField`s: the stored text is
  `crypto.encrypt(value, aad=field.aad)` where `field.aad` is "registry.<model>.<field>"
  (e.g. "registry.resident.id_number"), and the blind index beside it is
  `field.index_for(value)` (HMAC of the normal form, purpose = the same aad). Get the field with
  `Resident._meta.get_field("id_number")`. Using the field's own methods keeps the index findable
  by search and recomputable by `gridgov core rotate-pii-keys --reindex`.
- `Address.key` is `validators.address_key(community.code, road, number, building, unit, room)`.
- Every row carries `community` (and `grid` when known): reads are scoped through them
  (selectors.scoped), so a row without them is invisible to everyone but a superuser.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from gridgov.accounts.models import Department
from gridgov.core.crypto import EncryptedTextField
from gridgov.core.fields import CodeField
from gridgov.geo.models import Grid, Region
from gridgov.registry.enums import (
    ChangeAction,
    DataSource,
    FacilityState,
    Gender,
    HazardLevel,
    HazardStatus,
    HouseOwnership,
    HouseUse,
    IdType,
    KeyPersonStatus,
    KeyPlaceKind,
    OrganizationKind,
    Register,
    Relation,
    ResidentKind,
    RiskLevel,
)

PHONE_NORMALIZER = "gridgov.core.pii.normalize_phone"
ID_NORMALIZER = "gridgov.registry.validators.normalize_id_number"


class Timestamped(models.Model):
    created_at = models.DateTimeField("创建时间")
    updated_at = models.DateTimeField("更新时间")

    class Meta:
        abstract = True


class Placed(Timestamped):
    """A register row that lies in a community, and in a grid when it could be resolved."""

    community = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name="社区")
    grid = models.ForeignKey(
        Grid, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="网格"
    )
    source = models.CharField("来源", max_length=16, choices=DataSource.choices, default=DataSource.REAL)

    class Meta:
        abstract = True


# The large registers (Address, Resident) keep only the indexes their reads use. On PostgreSQL
# Django adds a varchar_pattern_ops twin to every unique / db_index CharField, for LIKE 'x%';
# the reads here are equality (keys, blind indexes) or icontains, which that twin serves neither,
# so those columns are indexed through named Index / UniqueConstraint instead (no twin). The
# single-column community / grid indexes are left out where a composite index leads with the
# same column. Each index left out is one random-page write less per imported row.
def _community_unindexed() -> models.ForeignKey[Region, Region]:
    return models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name="社区", db_index=False
    )


def _grid_unindexed() -> models.ForeignKey[Grid | None, Grid | None]:
    return models.ForeignKey(
        Grid,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="网格",
        db_index=False,
    )


class Address(Placed):
    """标准地址: community → road → number → building → unit → room."""

    community = _community_unindexed()
    grid = _grid_unindexed()
    road = models.CharField("街路巷", max_length=64)
    number = models.CharField("门牌号", max_length=32, blank=True)
    building = models.CharField("楼栋", max_length=32, blank=True)
    unit = models.CharField("单元", max_length=16, blank=True)
    room = models.CharField("房间", max_length=16, blank=True)
    text = models.CharField("完整地址", max_length=255)
    key = CodeField(max_length=64, editable=False)
    lon = models.FloatField("经度", null=True, blank=True)
    lat = models.FloatField("纬度", null=True, blank=True)

    class Meta:
        ordering = ["text"]
        verbose_name = "标准地址"
        verbose_name_plural = "标准地址"
        indexes = [
            models.Index(fields=["grid", "text"]),
            models.Index(fields=["community", "text"]),
            models.Index(fields=["text"], name="registry_addr_text_idx"),
        ]
        constraints = [models.UniqueConstraint(fields=["key"], name="registry_addr_key_uniq")]

    def __str__(self) -> str:
        return self.text


class House(Timestamped):
    """实有房屋: one per standard address (the room, or the building when it has no rooms)."""

    address = models.OneToOneField(
        Address, on_delete=models.PROTECT, related_name="house", verbose_name="地址"
    )
    use = models.CharField("用途", max_length=16, choices=HouseUse.choices, default=HouseUse.OWN)
    ownership = models.CharField(
        "产权", max_length=16, choices=HouseOwnership.choices, default=HouseOwnership.PRIVATE
    )
    area_m2 = models.FloatField("面积(平方米)", null=True, blank=True)
    owner_name = models.CharField("产权人", max_length=64, blank=True)
    note = models.CharField("备注", max_length=255, blank=True)

    class Meta:
        ordering = ["address__text"]
        verbose_name = "实有房屋"
        verbose_name_plural = "实有房屋"

    def __str__(self) -> str:
        return self.address.text


class Resident(Placed):
    """实有人口. id_number and phone are encrypted; the *_index columns find them by exact value."""

    community = _community_unindexed()
    grid = _grid_unindexed()
    name = models.CharField("姓名", max_length=64)
    id_type = models.CharField("证件类型", max_length=16, choices=IdType.choices, default=IdType.ID_CARD)
    id_number = EncryptedTextField("证件号码", index_field="id_number_index", normalizer=ID_NORMALIZER)
    id_number_index = CodeField(max_length=64, editable=False)
    phone = EncryptedTextField("联系电话", blank=True, index_field="phone_index", normalizer=PHONE_NORMALIZER)
    phone_index = CodeField(max_length=64, blank=True, editable=False)
    gender = models.CharField("性别", max_length=8, choices=Gender.choices, default=Gender.UNKNOWN)
    birth_date = models.DateField("出生日期", null=True, blank=True)
    kind = models.CharField(
        "人口类型", max_length=16, choices=ResidentKind.choices, default=ResidentKind.REGISTERED
    )
    household_no = CodeField("户号", max_length=32, blank=True)
    relation = models.CharField("与户主关系", max_length=16, choices=Relation.choices, default=Relation.OTHER)
    address = models.ForeignKey(
        Address,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="residents",
        verbose_name="居住地址",
    )
    nationality = models.CharField("国籍", max_length=32, blank=True)
    note = models.CharField("备注", max_length=255, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "实有人口"
        verbose_name_plural = "实有人口"
        indexes = [
            models.Index(fields=["grid", "kind"]),
            models.Index(fields=["community", "kind"]),
            models.Index(fields=["name"], name="registry_res_name_idx"),
            models.Index(fields=["phone_index"], name="registry_res_phone_idx"),
            models.Index(fields=["household_no"], name="registry_res_household_idx"),
        ]
        constraints = [models.UniqueConstraint(fields=["id_number_index"], name="registry_res_idnum_uniq")]
        permissions = [("unmask_personal_data", "查看完整个人信息(需说明理由,留审计记录)")]

    def __str__(self) -> str:
        return self.name


class Organization(Placed):
    """实有单位 / 法人."""

    usc_code = models.CharField("统一社会信用代码", max_length=18)
    name = models.CharField("名称", max_length=128)
    kind = models.CharField(
        "类型", max_length=16, choices=OrganizationKind.choices, default=OrganizationKind.ENTERPRISE
    )
    address = models.ForeignKey(
        Address,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="organizations",
        verbose_name="地址",
    )
    legal_person = models.CharField("法定代表人", max_length=64, blank=True)
    phone = EncryptedTextField("联系电话", blank=True, index_field="phone_index", normalizer=PHONE_NORMALIZER)
    phone_index = CodeField(max_length=64, blank=True, editable=False)
    employees = models.PositiveIntegerField("从业人数", null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "实有单位"
        verbose_name_plural = "实有单位"
        # Named, so PostgreSQL adds no varchar_pattern_ops twin (see Address).
        indexes = [
            models.Index(fields=["name"], name="registry_org_name_idx"),
            models.Index(fields=["phone_index"], name="registry_org_phone_idx"),
        ]
        constraints = [models.UniqueConstraint(fields=["usc_code"], name="registry_org_usc_uniq")]

    def __str__(self) -> str:
        return self.name


class Facility(Placed):
    """部件: a public facility with its category code (registry/data/facility_categories.json)."""

    code = models.CharField("部件编码", max_length=32, unique=True)
    category = models.CharField("部件类别", max_length=8, db_index=True)
    name = models.CharField("名称", max_length=64)
    lon = models.FloatField("经度")
    lat = models.FloatField("纬度")
    owner_department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="权属部门",
    )
    state = models.CharField("状态", max_length=16, choices=FacilityState.choices, default=FacilityState.GOOD)
    note = models.CharField("备注", max_length=255, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "部件"
        verbose_name_plural = "部件"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Poi(Placed):
    """兴趣点."""

    name = models.CharField("名称", max_length=128, db_index=True)
    kind = models.CharField("类别", max_length=32, blank=True)
    lon = models.FloatField("经度")
    lat = models.FloatField("纬度")
    address = models.ForeignKey(
        Address, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="地址"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "兴趣点"
        verbose_name_plural = "兴趣点"

    def __str__(self) -> str:
        return self.name


class KeyPlace(Placed):
    """重点场所 and its inspection duty: inspected at least every `inspect_every_days`."""

    name = models.CharField("名称", max_length=128, db_index=True)
    kind = models.CharField("类别", max_length=16, choices=KeyPlaceKind.choices, default=KeyPlaceKind.OTHER)
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="所属单位",
    )
    address = models.ForeignKey(
        Address, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="地址"
    )
    lon = models.FloatField("经度", null=True, blank=True)
    lat = models.FloatField("纬度", null=True, blank=True)
    duties = models.TextField("检查要求", blank=True)
    inspect_every_days = models.PositiveIntegerField("检查周期(天)", default=30)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="责任人",
    )
    last_inspected_at = models.DateTimeField("最近检查", null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "重点场所"
        verbose_name_plural = "重点场所"

    def __str__(self) -> str:
        return self.name


class Hazard(Placed):
    """安全隐患: found → rectification ordered (deadline) → rectified → checked (states.py)."""

    title = models.CharField("隐患名称", max_length=128)
    description = models.TextField("隐患描述", blank=True)
    level = models.CharField(
        "隐患等级", max_length=16, choices=HazardLevel.choices, default=HazardLevel.GENERAL
    )
    status = models.CharField("状态", max_length=16, choices=HazardStatus.choices, default=HazardStatus.FOUND)
    key_place = models.ForeignKey(
        KeyPlace,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hazards",
        verbose_name="重点场所",
    )
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="责任单位",
    )
    lon = models.FloatField("经度", null=True, blank=True)
    lat = models.FloatField("纬度", null=True, blank=True)
    found_at = models.DateTimeField("发现时间")
    found_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="发现人",
    )
    order_text = models.TextField("整改要求", blank=True)
    deadline = models.DateField("整改期限", null=True, blank=True)
    rectified_at = models.DateTimeField("整改时间", null=True, blank=True)
    rectify_note = models.TextField("整改情况", blank=True)
    checked_at = models.DateTimeField("复查时间", null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="复查人",
    )
    check_note = models.TextField("复查意见", blank=True)

    class Meta:
        ordering = ["-found_at", "-id"]
        verbose_name = "安全隐患"
        verbose_name_plural = "安全隐患"
        indexes = [models.Index(fields=["status", "deadline"])]

    def __str__(self) -> str:
        return self.title


class CareCategory(models.Model):
    """关爱人群的类别 (留守儿童, 空巢老人 …), shipped as data, editable."""

    code = models.CharField("编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=64)
    order = models.PositiveIntegerField("排序", default=0)
    active = models.BooleanField("启用", default=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = "关爱人群类别"
        verbose_name_plural = "关爱人群类别"

    def __str__(self) -> str:
        return self.name


class CareMembership(Timestamped):
    category = models.ForeignKey(
        CareCategory, on_delete=models.PROTECT, related_name="members", verbose_name="类别"
    )
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="care", verbose_name="人员")
    since = models.DateField("纳入日期", null=True, blank=True)
    active = models.BooleanField("在册", default=True)
    note = models.CharField("备注", max_length=255, blank=True)

    class Meta:
        verbose_name = "关爱对象"
        verbose_name_plural = "关爱对象"
        constraints = [models.UniqueConstraint(fields=["category", "resident"], name="care_unique")]

    def __str__(self) -> str:
        return f"{self.category} {self.resident}"


class KeyPersonCategory(models.Model):
    """重点人员类别 (GB/T 31000 kinds, shipped as data in registry/data/, editable)."""

    code = models.CharField("编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=64)
    order = models.PositiveIntegerField("排序", default=0)
    active = models.BooleanField("启用", default=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = "重点人员类别"
        verbose_name_plural = "重点人员类别"

    def __str__(self) -> str:
        return self.name


class VisitFrequency(models.Model):
    """How often a key person of a category at a risk level must be visited."""

    category = models.ForeignKey(
        KeyPersonCategory, on_delete=models.CASCADE, related_name="frequencies", verbose_name="类别"
    )
    risk_level = models.CharField("风险等级", max_length=16, choices=RiskLevel.choices)
    every_days = models.PositiveIntegerField("走访周期(天)")

    class Meta:
        ordering = ["category__order", "risk_level"]
        verbose_name = "走访频次"
        verbose_name_plural = "走访频次"
        constraints = [
            models.UniqueConstraint(fields=["category", "risk_level"], name="visitfrequency_unique"),
            models.CheckConstraint(condition=Q(every_days__gte=1), name="visitfrequency_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.category} {self.get_risk_level_display()} {self.every_days}天"


class KeyPerson(Placed):
    """One resident under dynamic management in one category. `next_visit_due` is kept by the
    services (from the frequency table and the last visit) so "who is overdue" is one indexed read."""

    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="key_persons", verbose_name="人员"
    )
    category = models.ForeignKey(
        KeyPersonCategory, on_delete=models.PROTECT, related_name="persons", verbose_name="类别"
    )
    risk_level = models.CharField("风险等级", max_length=16, choices=RiskLevel.choices, default=RiskLevel.LOW)
    status = models.CharField(
        "管控状态", max_length=16, choices=KeyPersonStatus.choices, default=KeyPersonStatus.IN_CONTROL
    )
    grid_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="责任网格员",
    )
    police = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="责任民警",
    )
    since = models.DateField("纳入管理日期")
    note = models.TextField("备注", blank=True)
    last_visit_at = models.DateTimeField("最近走访", null=True, blank=True)
    next_visit_due = models.DateField("下次走访截止", null=True, blank=True)

    class Meta:
        ordering = ["next_visit_due", "id"]
        verbose_name = "重点人员"
        verbose_name_plural = "重点人员"
        constraints = [models.UniqueConstraint(fields=["resident", "category"], name="keyperson_unique")]
        indexes = [
            models.Index(fields=["grid_worker", "next_visit_due"]),
            models.Index(fields=["next_visit_due"]),
        ]

    def __str__(self) -> str:
        return f"{self.resident} ({self.category})"


class Visit(models.Model):
    """走访: one visit to a key person. `client_key` makes a re-sent offline visit one row."""

    key_person = models.ForeignKey(
        KeyPerson, on_delete=models.PROTECT, related_name="visits", verbose_name="重点人员"
    )
    client_key = models.CharField(max_length=64, unique=True)
    visited_at = models.DateTimeField("走访时间")
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="走访人",
    )
    lon = models.FloatField("经度", null=True, blank=True)
    lat = models.FloatField("纬度", null=True, blank=True)
    place = models.CharField("走访地点", max_length=255, blank=True)
    findings = models.TextField("走访情况")
    photo = models.FileField("照片", upload_to="registry/visits/%Y/%m/", blank=True)
    status_after = models.CharField("走访后状态", max_length=16, choices=KeyPersonStatus.choices, blank=True)
    risk_after = models.CharField("走访后风险等级", max_length=16, choices=RiskLevel.choices, blank=True)
    # Copied from the key person when recorded: the visit is read through the same scope.
    grid = models.ForeignKey(Grid, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    community = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("录入时间")

    class Meta:
        ordering = ["-visited_at", "-id"]
        verbose_name = "走访记录"
        verbose_name_plural = "走访记录"

    def __str__(self) -> str:
        return f"{self.key_person} {self.visited_at:%Y-%m-%d}"


class KeyPersonChange(models.Model):
    """Dynamic management: each change of status or risk level, with who, when and why."""

    key_person = models.ForeignKey(KeyPerson, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField("时间")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status_from = models.CharField(max_length=16, choices=KeyPersonStatus.choices, blank=True)
    status_to = models.CharField(max_length=16, choices=KeyPersonStatus.choices)
    risk_from = models.CharField(max_length=16, choices=RiskLevel.choices, blank=True)
    risk_to = models.CharField(max_length=16, choices=RiskLevel.choices)
    reason = models.TextField("原因")
    visit = models.ForeignKey(Visit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "动态管理记录"
        verbose_name_plural = "动态管理记录"


class ChangeRecord(models.Model):
    """The history of every change to a register row. Personal fields are masked in before/after;
    a bulk import may write one record per batch (`batch` = the import job) instead of one per row."""

    register = models.CharField("台账", max_length=24, choices=Register.choices)
    object_id = models.CharField("对象", max_length=64, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="操作人",
    )
    at = models.DateTimeField("时间", db_index=True)
    action = models.CharField("操作", max_length=16, choices=ChangeAction.choices)
    before = models.JSONField("修改前", null=True, blank=True)
    after = models.JSONField("修改后", null=True, blank=True)
    batch = models.CharField("导入批次", max_length=64, null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "变更记录"
        verbose_name_plural = "变更记录"
        indexes = [models.Index(fields=["register", "object_id", "at"])]
        permissions = [("view_audit_log", "查看审计日志")]

    def __str__(self) -> str:
        return f"{self.register}:{self.object_id} {self.action}"
