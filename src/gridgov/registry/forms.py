"""The pages' forms: shapes and Chinese field labels only; every rule is the service's, whose
errors the views show on the form."""

from __future__ import annotations

from django import forms

from gridgov.registry.enums import (
    FacilityState,
    HazardLevel,
    IdType,
    KeyPersonStatus,
    KeyPlaceKind,
    OrganizationKind,
    Relation,
    ResidentKind,
    RiskLevel,
)
from gridgov.registry.models import CareCategory, KeyPersonCategory


def _grid_choices(grids) -> list[tuple[str, str]]:
    return [("", "请选择网格…")] + [(str(g.pk), f"{g.name}({g.code})") for g in grids]


class Placed(forms.Form):
    """A form whose record lies in a grid the user may see."""

    def __init__(self, *args, grids=(), **kwargs):
        super().__init__(*args, **kwargs)
        if "grid_id" in self.fields:
            self.fields["grid_id"].choices = _grid_choices(grids)  # type: ignore[attr-defined]


class ResidentForm(Placed):
    name = forms.CharField(label="姓名", max_length=64)
    id_type = forms.ChoiceField(label="证件类型", choices=IdType.choices, initial=IdType.ID_CARD)
    id_number = forms.CharField(label="证件号码", max_length=32, help_text="18 位身份证号码,末位可为 X")
    phone = forms.CharField(label="联系电话", max_length=32, required=False)
    kind = forms.ChoiceField(label="人口类型", choices=ResidentKind.choices)
    household_no = forms.CharField(label="户号", max_length=32, required=False)
    relation = forms.ChoiceField(label="与户主关系", choices=Relation.choices, initial=Relation.OTHER)
    grid_id = forms.TypedChoiceField(label="所在网格", coerce=int)
    nationality = forms.CharField(label="国籍(境外人员)", max_length=32, required=False)
    note = forms.CharField(label="备注", max_length=255, required=False)


class OrganizationForm(Placed):
    name = forms.CharField(label="单位名称", max_length=128)
    usc_code = forms.CharField(label="统一社会信用代码", max_length=24)
    kind = forms.ChoiceField(label="单位类型", choices=OrganizationKind.choices)
    legal_person = forms.CharField(label="法定代表人", max_length=64, required=False)
    phone = forms.CharField(label="联系电话", max_length=32, required=False)
    employees = forms.IntegerField(label="从业人数", min_value=0, required=False)
    grid_id = forms.TypedChoiceField(label="所在网格", coerce=int)


class Located(forms.Form):
    lon = forms.FloatField(label="经度(WGS84)", min_value=-180, max_value=180)
    lat = forms.FloatField(label="纬度(WGS84)", min_value=-90, max_value=90)


class FacilityForm(Located):
    code = forms.CharField(label="部件编码", max_length=32)
    category = forms.ChoiceField(label="部件类别")
    name = forms.CharField(label="名称", max_length=64, required=False)
    state = forms.ChoiceField(label="状态", choices=FacilityState.choices)
    note = forms.CharField(label="备注", max_length=255, required=False)

    def __init__(self, *args, categories=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [(c, f"{c} {n}") for c, n in (categories or {}).items()]  # type: ignore[attr-defined]


class PoiForm(Located):
    name = forms.CharField(label="名称", max_length=128)
    kind = forms.CharField(label="类别", max_length=32, required=False)


class KeyPlaceForm(Placed):
    name = forms.CharField(label="场所名称", max_length=128)
    kind = forms.ChoiceField(label="场所类别", choices=KeyPlaceKind.choices)
    duties = forms.CharField(label="检查要求", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    inspect_every_days = forms.IntegerField(label="检查周期(天)", min_value=1, max_value=366, initial=30)
    grid_id = forms.TypedChoiceField(label="所在网格", coerce=int)


class HazardForm(Placed):
    title = forms.CharField(label="隐患名称", max_length=128)
    description = forms.CharField(label="隐患描述", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    level = forms.ChoiceField(label="隐患等级", choices=HazardLevel.choices)
    grid_id = forms.TypedChoiceField(label="所在网格", coerce=int)


class HazardActForm(forms.Form):
    note = forms.CharField(label="说明", widget=forms.Textarea(attrs={"rows": 2}))
    deadline = forms.DateField(
        label="整改期限", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class KeyPersonForm(forms.Form):
    category = forms.ModelChoiceField(
        label="重点人员类别", queryset=KeyPersonCategory.objects.filter(active=True), to_field_name="code"
    )
    risk_level = forms.ChoiceField(label="风险等级", choices=RiskLevel.choices)
    reason = forms.CharField(label="列管原因", widget=forms.Textarea(attrs={"rows": 2}))


class KeyPersonChangeForm(forms.Form):
    status = forms.ChoiceField(label="管控状态", choices=KeyPersonStatus.choices)
    risk_level = forms.ChoiceField(label="风险等级", choices=RiskLevel.choices)
    reason = forms.CharField(label="调整原因", widget=forms.Textarea(attrs={"rows": 2}))


class VisitForm(forms.Form):
    client_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    visited_at = forms.DateTimeField(
        label="走访时间", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    place = forms.CharField(label="走访地点", max_length=255, required=False)
    findings = forms.CharField(label="走访情况", widget=forms.Textarea(attrs={"rows": 3}))
    photo = forms.FileField(label="照片", required=False)
    status_after = forms.ChoiceField(
        label="走访后管控状态", choices=[("", "不变"), *KeyPersonStatus.choices], required=False
    )
    risk_after = forms.ChoiceField(
        label="走访后风险等级", choices=[("", "不变"), *RiskLevel.choices], required=False
    )


class CareForm(forms.Form):
    category = forms.ModelChoiceField(
        label="关爱人群类别", queryset=CareCategory.objects.filter(active=True), to_field_name="code"
    )
    active = forms.TypedChoiceField(
        label="操作", choices=[("1", "纳入"), ("0", "移出")], coerce=lambda v: v == "1", initial="1"
    )
    note = forms.CharField(label="备注", max_length=255, required=False)


class UnmaskForm(forms.Form):
    reason = forms.CharField(
        label="查看理由",
        max_length=500,
        min_length=4,
        error_messages={"required": "查看完整个人信息须说明理由", "min_length": "理由至少 4 个字"},
    )
