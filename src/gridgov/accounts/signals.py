"""Audit of logins, failed logins and admin changes, hooked on Django's own signals."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver

from gridgov.core.audit import audit_record
from gridgov.core.models import AuditAction


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(action=AuditAction.LOGIN, actor=user, request=request)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(action=AuditAction.LOGOUT, actor=user, request=request)


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    audit_record(action=AuditAction.LOGIN_FAILED, username=str(credentials.get("username", ""))[:150], request=request)


_ADMIN_ACTIONS = {ADDITION: AuditAction.ADMIN_ADD, CHANGE: AuditAction.ADMIN_CHANGE, DELETION: AuditAction.ADMIN_DELETE}


@receiver(post_save, sender=LogEntry)
def _admin_change(sender: Any, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    if not created:
        return
    audit_record(
        action=_ADMIN_ACTIONS[instance.action_flag],
        actor=instance.user,
        object_type=str(instance.content_type) if instance.content_type else "",
        object_id=instance.object_id or "",
        detail={"repr": instance.object_repr, "change": instance.get_change_message()},
    )
