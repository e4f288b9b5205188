"""Audit of logins, failed logins, lockouts and admin changes, hooked on the framework's signals.

django-axes listens to the same login signals and is installed before this app, so by the time
these receivers run axes has counted the attempt and marked the request as locked out or not.
"""

from __future__ import annotations

from typing import Any

from axes.helpers import get_failure_limit
from axes.signals import user_locked_out
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver

from gridgov.core.audit import audit_record
from gridgov.core.models import AuditAction


@receiver(user_logged_in, dispatch_uid="gridgov.audit.login")
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(action=AuditAction.LOGIN, actor=user, request=request)


@receiver(user_logged_out, dispatch_uid="gridgov.audit.logout")
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(action=AuditAction.LOGOUT, actor=user, request=request)


@receiver(user_login_failed, dispatch_uid="gridgov.audit.login_failed")
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    audit_record(
        action=AuditAction.LOGIN_FAILED,
        username=str(credentials.get("username", ""))[:150],
        request=request,
        # Attempts made while locked out fail too, without the password being checked.
        detail={"locked_out": bool(getattr(request, "axes_locked_out", False))},
    )


@receiver(user_locked_out, dispatch_uid="gridgov.audit.locked_out")
def _locked_out(sender: Any, request: Any, username: str | None = None, **kwargs: Any) -> None:
    # Axes sends this signal on the attempt that reaches the limit and again on every attempt
    # made during the lockout; only the first is a new lockout. axes_failures_since_start is
    # set to the count when axes has just counted this failure (and left unset when it refused
    # the attempt without counting), so equality with the limit marks the attempt that locked.
    failures = getattr(request, "axes_failures_since_start", None)
    credentials = getattr(request, "axes_credentials", None)
    if failures is None or failures != get_failure_limit(request, credentials):
        return
    audit_record(
        action=AuditAction.LOCKED_OUT,
        username=(username or "")[:150],
        request=request,
        detail={"failures": failures},
    )


_ADMIN_ACTIONS = {
    ADDITION: AuditAction.ADMIN_ADD,
    CHANGE: AuditAction.ADMIN_CHANGE,
    DELETION: AuditAction.ADMIN_DELETE,
}


def audit_log_entry(entry: LogEntry) -> None:
    """Copy one admin LogEntry into the audit log (which, unlike LogEntry, nobody may edit)."""
    audit_record(
        action=_ADMIN_ACTIONS[entry.action_flag],
        actor=entry.user,
        object_type=f"{entry.content_type.app_label}.{entry.content_type.model}"
        if entry.content_type
        else "",
        object_id=entry.object_id or "",
        detail={"repr": entry.object_repr, "change": entry.get_change_message()},
    )


@receiver(post_save, sender=LogEntry, dispatch_uid="gridgov.audit.admin")
def _admin_change(sender: Any, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    # The admin saves single entries one by one; the bulk path (deleting several objects at
    # once) bypasses this signal and is audited by accounts.admin_audit.AuditedAdmin.
    if created:
        audit_log_entry(instance)
