"""Admin forms that apply the binding rules of accounts/binding.py, so the admin refuses what
the services refuse, with the same messages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from gridgov.accounts.binding import binding_check, duty_check
from gridgov.accounts.models import GridStaff, User
from gridgov.core.errors import DomainError
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


class UserAddForm(_BindingMixin, AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "display_name", "role", "center", "department")


class UserEditForm(_BindingMixin, UserChangeForm):
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
