"""What each register's list page and XLSX export show, masked: (heading, value of a row)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import timezone

from gridgov.core.pii import mask_id_number, mask_phone
from gridgov.registry.enums import Register

Column = tuple[str, Callable[[Any], Any]]


def _grid(o: Any) -> str:
    return o.grid.name if getattr(o, "grid_id", None) else "(未落格)"


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _label(field: str) -> Callable[[Any], Any]:
    return lambda o: getattr(o, f"get_{field}_display")()


COLUMNS: dict[Register, list[Column]] = {
    Register.ADDRESS: [("地址", lambda o: o.text), ("网格", _grid), ("来源", _label("source"))],
    Register.HOUSE: [
        ("地址", lambda o: o.address.text),
        ("用途", _label("use")),
        ("产权", _label("ownership")),
        ("面积(㎡)", lambda o: o.area_m2 or ""),
    ],
    Register.RESIDENT: [
        ("姓名", lambda o: o.name),
        ("证件号码", lambda o: mask_id_number(o.id_number)),
        ("电话", lambda o: mask_phone(o.phone)),
        ("性别", _label("gender")),
        ("类型", _label("kind")),
        ("居住地址", lambda o: o.address.text if o.address_id else ""),
        ("网格", _grid),
    ],
    Register.ORGANIZATION: [
        ("名称", lambda o: o.name),
        ("统一社会信用代码", lambda o: o.usc_code),
        ("类型", _label("kind")),
        ("法定代表人", lambda o: o.legal_person),
        ("电话", lambda o: mask_phone(o.phone)),
        ("网格", _grid),
    ],
    Register.FACILITY: [
        ("部件编码", lambda o: o.code),
        ("类别", lambda o: o.category),
        ("名称", lambda o: o.name),
        ("状态", _label("state")),
        ("权属部门", lambda o: str(o.owner_department or "")),
        ("网格", _grid),
    ],
    Register.POI: [("名称", lambda o: o.name), ("类别", lambda o: o.kind), ("网格", _grid)],
    Register.KEY_PLACE: [
        ("名称", lambda o: o.name),
        ("类别", _label("kind")),
        ("检查周期(天)", lambda o: o.inspect_every_days),
        ("最近检查", lambda o: _when(o.last_inspected_at)),
        ("网格", _grid),
    ],
    Register.HAZARD: [
        ("隐患", lambda o: o.title),
        ("等级", _label("level")),
        ("状态", _label("status")),
        ("整改期限", lambda o: o.deadline or ""),
        ("发现时间", lambda o: _when(o.found_at)),
        ("网格", _grid),
    ],
    Register.KEY_PERSON: [
        ("姓名", lambda o: o.resident.name),
        ("类别", lambda o: o.category.name),
        ("风险等级", _label("risk_level")),
        ("管控状态", _label("status")),
        ("责任网格员", lambda o: str(o.grid_worker or "")),
        ("最近走访", lambda o: _when(o.last_visit_at)),
        ("下次走访截止", lambda o: o.next_visit_due or ""),
        ("网格", _grid),
    ],
    Register.VISIT: [
        ("重点人员", lambda o: o.key_person.resident.name),
        ("走访时间", lambda o: _when(o.visited_at)),
        ("走访人", lambda o: str(o.visitor or "")),
        ("地点", lambda o: o.place),
        ("走访情况", lambda o: o.findings[:60]),
    ],
}

RELATED: dict[Register, tuple[str, ...]] = {
    Register.HOUSE: ("address",),
    Register.RESIDENT: ("grid", "address"),
    Register.ORGANIZATION: ("grid",),
    Register.FACILITY: ("grid", "owner_department"),
    Register.KEY_PERSON: ("grid", "resident", "category", "grid_worker"),
    Register.VISIT: ("key_person__resident", "visitor"),
}


def related_for(register: Register) -> tuple[str, ...]:
    return RELATED.get(register, ("grid",))
