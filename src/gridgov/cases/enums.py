from __future__ import annotations

from django.db import models


class CaseStatus(models.TextChoices):
    RECEIVED = "received", "待受理"
    REJECTED = "rejected", "不予受理"
    ACCEPTED = "accepted", "已受理(待核实)"
    VERIFIED = "verified", "已核实(待立案)"
    REGISTERED = "registered", "已立案(待派遣)"
    DISPATCHED = "dispatched", "已派遣(待处置)"
    HANDLING = "handling", "处置中"
    REPORTED = "reported", "已反馈(待核查)"
    CHECKED = "checked", "已核查(待结案)"
    CLOSED = "closed", "已结案(待回访)"
    ARCHIVED = "archived", "已回访归档"
    SUSPENDED = "suspended", "挂起"
    MERGED = "merged", "已合并"


# No more work happens on these; their clocks and colours are off.
FINAL_STATUSES = frozenset({CaseStatus.REJECTED, CaseStatus.ARCHIVED, CaseStatus.MERGED})
# The loop is closed; only the follow-up remains.
DONE_STATUSES = FINAL_STATUSES | {CaseStatus.CLOSED}


class Channel(models.TextChoices):
    HOTLINE_12345 = "hotline_12345", "12345热线"
    CITIZEN_APP = "citizen_app", "小程序/网站"
    GRID_WORKER = "grid_worker", "网格员上报"
    POLICE_110 = "police_110", "110非警务警情"
    PETITION = "petition", "信访"
    MEDIATION = "mediation", "人民调解"
    SENSOR = "sensor", "视频/物联感知"
    LEADER = "leader", "领导交办"
    UPPER_TRANSFER = "upper_transfer", "上级转办"
    WALK_IN = "walk_in", "来访"


class Urgency(models.TextChoices):
    NORMAL = "normal", "一般"
    URGENT = "urgent", "紧急"
    EMERGENCY = "emergency", "特急"


class Rating(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    BASICALLY_SATISFIED = "basically_satisfied", "基本满意"
    UNSATISFIED = "unsatisfied", "不满意"


class CaseAction(models.TextChoices):
    # Acts of people, all in the table of states.py.
    ACCEPT = "accept", "受理"
    REJECT = "reject", "不予受理"
    VERIFY = "verify", "核实"
    REGISTER = "register", "立案"
    DISPATCH = "dispatch", "派遣"
    CONTACT = "contact", "联系反映人"
    HANDLE = "handle", "处置"
    REPORT_BACK = "report_back", "反馈"
    CHECK = "check", "核查"
    CLOSE = "close", "结案"
    FOLLOW_UP = "follow_up", "回访"
    RETURN = "return", "退回"
    REQUEST_EXTENSION = "request_extension", "申请延期"
    APPROVE_EXTENSION = "approve_extension", "批准延期"
    REFUSE_EXTENSION = "refuse_extension", "驳回延期"
    SUSPEND = "suspend", "挂起"
    RESUME = "resume", "恢复"
    ESCALATE = "escalate", "上报"
    SEND_DOWN = "send_down", "下派"
    ASSIST = "assist", "协办"
    PART_REPORT = "part_report", "协办反馈"
    MERGE = "merge", "合并"
    SUPERVISE = "supervise", "督办"
    RESPOND = "respond", "回复督办/预警"
    # Events the system writes; nobody can ask for them through the actions endpoint.
    CREATE = "create", "登记"
    RECOLOUR = "recolour", "时限变色"
    PARENT_CLOSED = "parent_closed", "随主件结案"


SYSTEM_ACTIONS = frozenset({CaseAction.CREATE, CaseAction.RECOLOUR, CaseAction.PARENT_CLOSED})


class Outcome(models.TextChoices):
    """What an act concluded, where the next status depends on it (a check passed or failed)."""

    PASSED = "passed", "通过"
    FAILED = "failed", "不通过"
    SATISFIED = "satisfied", "满意"
    UNSATISFIED = "unsatisfied", "不满意"


class NoticeKind(models.TextChoices):
    WARNING = "warning", "预警单"
    ASSIGNMENT = "assignment", "交办单"
    SUPERVISION = "supervision", "督办单"


class PartRole(models.TextChoices):
    LEAD = "lead", "主办"
    ASSIST = "assist", "协办"


class PartStatus(models.TextChoices):
    OPEN = "open", "办理中"
    DONE = "done", "已完成"


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    REFUSED = "refused", "已驳回"


class PauseKind(models.TextChoices):
    SUSPENSION = "suspension", "挂起"
    EXTENSION = "extension", "延期审批中"


class RoutingTarget(models.TextChoices):
    DEPARTMENT = "department", "职能部门"
    CENTER = "center", "指挥中心"
