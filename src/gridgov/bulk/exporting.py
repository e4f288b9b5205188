"""Export of a register to CSV or XLSX: the same columns as the import template (so an export
can be imported again elsewhere), only the rows the user may see, personal values masked unless
the user may unmask and gives a reason, which is written to the audit log with the row count.

Rows are read in chunks from a server-side cursor and written as they come (openpyxl's
write-only mode for XLSX), so a million rows need no more memory than a few thousand.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.db.models import F, Model, QuerySet, TextField
from django.db.models.functions import Cast

from gridgov.accounts.enums import ScopeKind
from gridgov.accounts.scope import scope_for
from gridgov.bulk.columns import Column, columns_for
from gridgov.bulk.enums import FileFormat, RegisterKind
from gridgov.bulk.sealing import Opener
from gridgov.core.audit import audit_record
from gridgov.core.errors import Forbidden, InvalidInput
from gridgov.core.models import AuditAction
from gridgov.core.pii import mask_id_number, mask_phone
from gridgov.geo.models import Region
from gridgov.registry.enums import HouseOwnership, HouseUse, OrganizationKind, Relation, ResidentKind
from gridgov.registry.models import Address, House, Organization, Resident
from gridgov.registry.permissions import may_unmask

CHUNK = 5_000
ADDRESS_VALUES = ("road", "number", "building", "unit", "room", "lon", "lat")


@dataclass(frozen=True)
class Plan:
    model: type[Model]
    # (column key, queryset value name); the value names are annotated below when needed
    values: tuple[tuple[str, str], ...]
    community_path: str  # the lookup of the row's community (for the scope)
    grid_path: str


def _address_values(prefix: str) -> tuple[tuple[str, str], ...]:
    return (
        ("community", f"{prefix}community__code"),
        *((k, f"{prefix}{k}") for k in ADDRESS_VALUES),
    )


PLANS: dict[RegisterKind, Plan] = {
    RegisterKind.RESIDENTS: Plan(
        Resident,
        (
            ("name", "name"),
            ("id_number", "raw_id_number"),
            ("phone", "raw_phone"),
            ("kind", "kind"),
            ("household_no", "household_no"),
            ("relation", "relation"),
            ("community", "community__code"),
            *((k, f"address__{k}") for k in ADDRESS_VALUES),
        ),
        "community",
        "grid_id",
    ),
    RegisterKind.ADDRESSES: Plan(Address, _address_values(""), "community", "grid_id"),
    RegisterKind.HOUSES: Plan(
        House,
        (*_address_values("address__"), ("use", "use"), ("ownership", "ownership"), ("area_m2", "area_m2")),
        "address__community",
        "address__grid_id",
    ),
    RegisterKind.ORGANIZATIONS: Plan(
        Organization,
        (
            ("usc_code", "usc_code"),
            ("name", "name"),
            ("kind", "kind"),
            ("legal_person", "legal_person"),
            ("phone", "raw_phone"),
            ("community", "community__code"),
            *((k, f"address__{k}") for k in ADDRESS_VALUES),
        ),
        "community",
        "grid_id",
    ),
}

LABELS: dict[str, dict[str, str]] = {
    "kind_residents": {str(v): str(label) for v, label in ResidentKind.choices},
    "kind_organizations": {str(v): str(label) for v, label in OrganizationKind.choices},
    "relation": {str(v): str(label) for v, label in Relation.choices},
    "use": {str(v): str(label) for v, label in HouseUse.choices},
    "ownership": {str(v): str(label) for v, label in HouseOwnership.choices},
}


def scoped(register: RegisterKind, user: Any, qs: QuerySet[Any] | None = None) -> QuerySet[Any]:
    """The rows of a register the user may read (None: the system, everything)."""
    plan = PLANS[register]
    qs = plan.model._default_manager.all() if qs is None else qs
    if user is None:
        return qs
    scope = scope_for(user)
    if scope.kind == ScopeKind.EVERYTHING:
        return qs
    if scope.kind == ScopeKind.REGION and scope.prefix is not None:
        return qs.filter(**{f"{plan.community_path}__code__startswith": scope.prefix})
    if scope.kind == ScopeKind.GRIDS and scope.grid_ids:
        return qs.filter(**{f"{plan.grid_path}__in": scope.grid_ids})
    return qs.none()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.7f}".rstrip("0").rstrip(".")
    return str(value)


def export_rows(
    register: RegisterKind, *, user: Any, unmask: bool, region_code: str = ""
) -> tuple[tuple[Column, ...], Callable[[], Iterator[list[str]]], int]:
    """(columns, a generator of rows, the row count)."""
    plan = PLANS[register]
    columns = columns_for(register)
    qs = scoped(register, user)
    if region_code:
        region = Region.objects.only("prefix").filter(code=region_code).first()
        if region is None:
            raise InvalidInput(f"区划代码 {region_code} 不存在", f"no region with code {region_code}")
        # The region's own prefix (geo.models.scope_prefix), not the code with its zeros cut:
        # a community code may end in zeros too.
        qs = qs.filter(**{f"{plan.community_path}__code__startswith": region.prefix})
    annotations: dict[str, Any] = {}
    names = [name for _, name in plan.values]
    for name in names:
        if name.startswith("raw_"):
            # The stored ciphertext as text, opened below with one cipher object per key
            # rather than the field's per-value path.
            annotations[name] = Cast(F(name[4:]), TextField())
    qs = qs.annotate(**annotations).order_by("pk")
    count = qs.count()
    openers = {name: Opener(plan.model, name[4:]) for name in names if name.startswith("raw_")}
    maskers: dict[str, Callable[[str], str]] = {"raw_id_number": mask_id_number, "raw_phone": mask_phone}
    kind_labels = (
        LABELS[f"kind_{register.value}"]
        if register
        in (
            RegisterKind.RESIDENTS,
            RegisterKind.ORGANIZATIONS,
        )
        else {}
    )
    labels = {
        "kind": kind_labels,
        "relation": LABELS["relation"],
        "use": LABELS["use"],
        "ownership": LABELS["ownership"],
    }
    keys = [k for k, _ in plan.values]
    order = [keys.index(c.key) for c in columns]

    def rows() -> Iterator[list[str]]:
        for values in qs.values_list(*names).iterator(chunk_size=CHUNK):
            out = []
            for key, name, value in zip(keys, names, values, strict=True):
                if name in openers:
                    plain = openers[name].open(value)
                    value = plain if unmask else maskers[name](plain)
                elif labels.get(key):
                    value = labels[key].get(value, value)
                out.append(_cell(value))
            yield [out[i] for i in order]

    return columns, rows, count


def export_write(
    register: str,
    *,
    user: Any,
    fmt: str,
    out: IO[bytes],
    unmask: bool = False,
    reason: str = "",
    region_code: str = "",
    request: Any = None,
) -> int:
    """Write the export to a binary stream; returns the rows written. An unmasked export needs
    the unmask permission and a reason, and is audited (one row for the whole file)."""
    try:
        kind = RegisterKind(register)
        form = FileFormat(fmt)
    except ValueError:
        raise InvalidInput(
            "未知的登记簿或文件格式", f"unknown register or format: {register} {fmt}"
        ) from None
    if unmask:
        if user is not None and not may_unmask(user):
            raise Forbidden("您无权导出完整个人信息", "you may not export personal data unmasked")
        if len(reason.strip()) < 2:
            raise InvalidInput("导出完整个人信息须说明理由", "give a reason to export personal data unmasked")
    columns, rows, count = export_rows(kind, user=user, unmask=unmask, region_code=region_code)
    if unmask:
        audit_record(
            action=AuditAction.UNMASK,
            actor=user,
            username="" if user is not None else "system (cli)",
            request=request,
            object_type=f"export.{kind.value}",
            object_id=region_code,
            detail={"reason": reason.strip(), "rows": count, "format": form.value, "register": kind.value},
        )
    header = [c.header for c in columns]
    written = 0
    if form == FileFormat.CSV:
        text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
        writer = csv.writer(text)
        writer.writerow(header)
        for row in rows():
            writer.writerow(row)
            written += 1
        text.flush()
        text.detach()
        return written
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(kind.label)
    sheet.append(header)
    for row in rows():
        sheet.append(row)
        written += 1
    book.save(out)
    return written


def export_to_path(register: str, path: Path, **kwargs: Any) -> int:
    with open(path, "wb") as fh:
        return export_write(register, out=fh, **kwargs)
