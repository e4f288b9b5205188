"""Admin forms that apply the binding rules of accounts/binding.py, so the admin refuses what
the services refuse, with the same messages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from gridgov.accounts.binding import binding_check, duty_check
from gridgov.accounts.models import GridStaff, User
from gridgov.accounts.services import phone_check
from gridgov.core.errors import DomainError
from gridgov.core.pii import mask_phone
from gridgov.geo.models import Grid


def _as_validation_error(exc: DomainError) -> forms.ValidationError:
    return forms.ValidationError(exc.message_zh, code=exc.code)


class _BindingMixin(forms.ModelForm):
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        role = data.get("role") or getattr(self.instance, "role", "")
        if role:
            try:
                binding_check(
                    role=role,
                    center=data.get("center"),
                    department=data.get("department"),
                    is_superuser=bool(
                        data.get("is_superuser", getattr(self.instance, "is_superuser", False))
                    ),
                )
            except DomainError as exc:
                raise _as_validation_error(exc) from None
        return data


class _PhoneMixin(forms.ModelForm):
    """The phone is never shown in clear in the admin: the form shows the masked number and
    takes a new one (validated as the services validate it), or clears it."""

    new_phone = forms.CharField(
        label="手机号码", required=False, max_length=32,
        help_text="用于短信通知。留空则不修改;填写新号码将替换原号码(加密保存)。",
    )  # fmt: skip
    clear_phone = forms.BooleanField(label="清除手机号码", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = getattr(self.instance, "phone", "") if self.instance.pk else ""
        self.fields["new_phone"].widget.attrs["placeholder"] = mask_phone(current) if current else "未填写"
        if current:
            field = self.fields["new_phone"]
            field.help_text = f"当前:{mask_phone(current)}。{field.help_text}"

    def clean_new_phone(self) -> str:
        try:
            return phone_check(self.cleaned_data.get("new_phone", ""))
        except DomainError as exc:
            raise _as_validation_error(exc) from None

    def save(self, commit: bool = True) -> Any:
        user = super().save(commit=False)
        if self.cleaned_data.get("new_phone"):
            user.phone = self.cleaned_data["new_phone"]
        elif self.cleaned_data.get("clear_phone"):
            user.phone = ""
        if commit:
            user.save()
            self.save_m2m()
        return user


class UserAddForm(_PhoneMixin, _BindingMixin, AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "display_name", "role", "center", "department")


class UserEditForm(_PhoneMixin, _BindingMixin, UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User


class GridStaffForm(forms.ModelForm):
    class Meta:
        model = GridStaff
        fields = ("grid", "user", "duty")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("grid") and data.get("user") and data.get("duty"):
            try:
                duty_check(user=data["user"], grid=data["grid"], duty=data["duty"])
            except DomainError as exc:
                raise _as_validation_error(exc) from None
        return data


class GridStaffFormSet(forms.BaseInlineFormSet):
    """Checks each row against the parent as edited in the same submission (a user moved to
    another centre, say), which the row's own form cannot see."""

    def clean(self) -> None:
        super().clean()
        problems = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("duty"):
                continue
            user = self.instance if isinstance(self.instance, User) else data.get("user")
            grid = self.instance if isinstance(self.instance, Grid) else data.get("grid")
            if user is None or grid is None:
                continue
            try:
                duty_check(user=user, grid=grid, duty=data["duty"])
            except DomainError as exc:
                problems.append(_as_validation_error(exc))
        if problems:
            raise forms.ValidationError(problems)
