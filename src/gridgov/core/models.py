from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditAction(models.TextChoices):
    LOGIN = "login", "登录"
    LOGIN_FAILED = "login_failed", "登录失败"
    LOCKED_OUT = "locked_out", "账号锁定"
    LOGOUT = "logout", "退出"
    ADMIN_ADD = "admin_add", "后台新增"
    ADMIN_CHANGE = "admin_change", "后台修改"
    ADMIN_DELETE = "admin_delete", "后台删除"
    TOKEN_CREATED = "token_created", "签发令牌"
    TOKEN_REVOKED = "token_revoked", "吊销令牌"
    UNMASK = "unmask", "查看完整个人信息"
    IMPORT = "import", "数据导入"


class AuditLog(models.Model):
    """Append-only record of security-relevant acts. Never updated, never deleted by the app."""

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as text too: the log must still say who it was after a user is deleted, and a failed
    # login may name a username that does not exist.
    username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=32, choices=AuditAction.choices, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=100, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {self.action}"
