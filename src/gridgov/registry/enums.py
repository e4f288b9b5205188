"""The registers' kinds, states and levels: enums, never bare strings."""

from __future__ import annotations

from django.db import models


class DataSource(models.TextChoices):
    REAL = "real", "真实"
    SYNTHETIC = "synthetic", "合成(演示)"
    IMPORTED = "imported", "导入"


class HouseUse(models.TextChoices):
    OWN = "own", "自住"
    RENTED = "rented", "出租"
    COMMERCIAL = "commercial", "商用"
    VACANT = "vacant", "空置"
    OTHER = "other", "其他"


class HouseOwnership(models.TextChoices):
    PRIVATE = "private", "私有产权"
    PUBLIC = "public", "公有产权"
    COLLECTIVE = "collective", "集体产权"
    UNIT = "unit", "单位产权"
    OTHER = "other", "其他"


class Gender(models.TextChoices):
    MALE = "male", "男"
    FEMALE = "female", "女"
    UNKNOWN = "unknown", "未知"


class IdType(models.TextChoices):
    ID_CARD = "id_card", "居民身份证"
    PASSPORT = "passport", "护照"
    HMT_PERMIT = "hmt_permit", "港澳台居民证件"
    FOREIGN_PR = "foreign_pr", "外国人永久居留身份证"


class ResidentKind(models.TextChoices):
    REGISTERED = "registered", "户籍人口"
    MIGRANT = "migrant", "流动人口"
    FOREIGN = "foreign", "境外人员"


class Relation(models.TextChoices):
    HEAD = "head", "户主"
    SPOUSE = "spouse", "配偶"
    CHILD = "child", "子女"
    PARENT = "parent", "父母"
    OTHER = "other", "其他"


class OrganizationKind(models.TextChoices):
    ENTERPRISE = "enterprise", "企业"
    SHOP = "shop", "个体工商户"
    SCHOOL = "school", "学校"
    MEDICAL = "medical", "医疗机构"
    SOCIAL = "social", "社会组织"
    PUBLIC = "public", "机关事业单位"
    OTHER = "other", "其他"


class FacilityState(models.TextChoices):
    GOOD = "good", "完好"
    DAMAGED = "damaged", "破损"
    MISSING = "missing", "丢失"
    REMOVED = "removed", "已拆除"


class KeyPlaceKind(models.TextChoices):
    NINE_SMALL = "nine_small", "九小场所"
    CROWDED = "crowded", "人员密集场所"
    HAZMAT = "hazmat", "危险化学品场所"
    CAMPUS = "campus", "学校及周边"
    CONSTRUCTION = "construction", "建筑工地"
    RENTAL = "rental", "出租屋/群租房"
    OTHER = "other", "其他"


class HazardLevel(models.TextChoices):
    GENERAL = "general", "一般隐患"
    MAJOR = "major", "重大隐患"


class HazardStatus(models.TextChoices):
    FOUND = "found", "已发现"
    ORDERED = "ordered", "责令整改"
    RECTIFIED = "rectified", "已整改"
    CHECKED = "checked", "已复查销号"


class HazardAction(models.TextChoices):
    ORDER = "order", "下达整改"
    RECTIFY = "rectify", "报告整改"
    CHECK_PASS = "check_pass", "复查通过"
    CHECK_FAIL = "check_fail", "复查未通过"


class RiskLevel(models.TextChoices):
    LOW = "low", "低风险"
    MEDIUM = "medium", "中风险"
    HIGH = "high", "高风险"


class KeyPersonStatus(models.TextChoices):
    IN_CONTROL = "in_control", "在管在控"
    AWAY = "away", "外出(已报备)"
    LOST = "lost", "失联"
    RELEASED = "released", "已解除管控"


# A released person is off the ledger's visit duty.
VISITED_STATUSES = frozenset({KeyPersonStatus.IN_CONTROL, KeyPersonStatus.AWAY, KeyPersonStatus.LOST})


class Register(models.TextChoices):
    ADDRESS = "address", "标准地址"
    HOUSE = "house", "实有房屋"
    RESIDENT = "resident", "实有人口"
    ORGANIZATION = "organization", "实有单位"
    FACILITY = "facility", "部件"
    POI = "poi", "兴趣点"
    KEY_PLACE = "key_place", "重点场所"
    HAZARD = "hazard", "安全隐患"
    CARE = "care", "关爱人群"
    KEY_PERSON = "key_person", "重点人员"
    VISIT = "visit", "走访"
    VISIT_FREQUENCY = "visit_frequency", "走访频次"


class ChangeAction(models.TextChoices):
    CREATE = "create", "新增"
    UPDATE = "update", "修改"
    DELETE = "delete", "删除"
    IMPORT = "import", "导入"
