"""The columns of each register's import file: the template, the header check, the validation
and the export all read these, so a column is described once."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from gridgov.bulk.enums import RegisterKind
from gridgov.registry.enums import HouseOwnership, HouseUse, OrganizationKind, Relation, ResidentKind


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # Chinese, as in the template's header row
    required: bool = False
    example: str = ""
    note: str = ""  # what goes in it, shown on the page and in docs
    choices: type[models.TextChoices] | None = None
    personal: bool = False  # masked wherever it is shown back (the error report)
    max_length: int = 0

    def choice_map(self) -> dict[str, str]:
        """Label or value → value: a file may say 户籍人口, 户籍 or registered."""
        assert self.choices is not None
        found: dict[str, str] = {}
        for value, label in self.choices.choices:
            found[str(value)] = str(value)
            found[str(label)] = str(value)
            # The short form people write: 户籍人口 → 户籍, 个体工商户 → 个体.
            if len(str(label)) > 2:
                found.setdefault(str(label)[:2], str(value))
        return found

    def choice_labels(self) -> str:
        assert self.choices is not None
        return "、".join(str(label) for _, label in self.choices.choices)


ADDRESS_COLUMNS: tuple[Column, ...] = (
    Column(
        "community",
        "所属社区",
        required=True,
        example="620102001001",
        note="村(社区)的 12 位区划代码,或辖区内唯一的社区名称",
    ),
    Column("road", "街路巷", example="张掖路", max_length=64),
    Column("number", "门牌号", example="12", max_length=32),
    Column("building", "楼栋", example="3", max_length=32),
    Column("unit", "单元", example="2", max_length=16),
    Column("room", "室", example="301", max_length=16),
    Column("lon", "经度", example="103.8343", note="WGS84;与纬度同时填写时按坐标定位网格"),
    Column("lat", "纬度", example="36.0611", note="WGS84"),
)

RESIDENT_COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", required=True, example="张三", personal=True, max_length=64),
    Column(
        "id_number",
        "公民身份号码",
        required=True,
        example="620102199001011233",
        note="18 位,按 GB 11643 校验;单元格请设为文本格式",
        personal=True,
    ),
    Column("phone", "联系电话", example="13812345678", personal=True),
    Column("kind", "人口类型", required=True, example="户籍人口", choices=ResidentKind),
    Column("household_no", "户号", example="620102000123", max_length=32),
    Column("relation", "与户主关系", example="户主", choices=Relation),
    *ADDRESS_COLUMNS,
)

HOUSE_COLUMNS: tuple[Column, ...] = (
    *ADDRESS_COLUMNS,
    Column("use", "房屋用途", required=True, example="自住", choices=HouseUse),
    Column("ownership", "产权性质", required=True, example="私有产权", choices=HouseOwnership),
    Column("area_m2", "建筑面积(平方米)", example="89.5"),
)

ORGANIZATION_COLUMNS: tuple[Column, ...] = (
    Column(
        "usc_code",
        "统一社会信用代码",
        required=True,
        example="91620102MA7123456T",
        note="18 位,按 GB 32100 校验",
    ),
    Column("name", "单位名称", required=True, example="兰州某某商贸有限公司", max_length=128),
    Column("kind", "单位类型", required=True, example="企业", choices=OrganizationKind),
    Column("legal_person", "法定代表人", example="李四", personal=True, max_length=64),
    Column("phone", "联系电话", example="09318123456", personal=True),
    *ADDRESS_COLUMNS,
)

COLUMNS: dict[RegisterKind, tuple[Column, ...]] = {
    RegisterKind.RESIDENTS: RESIDENT_COLUMNS,
    RegisterKind.ADDRESSES: ADDRESS_COLUMNS,
    RegisterKind.HOUSES: HOUSE_COLUMNS,
    RegisterKind.ORGANIZATIONS: ORGANIZATION_COLUMNS,
}


def columns_for(register: str) -> tuple[Column, ...]:
    return COLUMNS[RegisterKind(register)]
