"""Model fields shared by the domains."""

from __future__ import annotations

from typing import Any

from django.db import models


class CodeField(models.CharField):
    """Text that is a code, not words: keys, blind indexes, household numbers. It is only ever
    compared for equality or by prefix, never sorted for a reader, so on PostgreSQL it carries
    COLLATE "C": bytes are compared as bytes. Under a libc collation (the database default,
    C.UTF-8 or zh_CN.UTF-8) every comparison goes through strcoll and PostgreSQL cannot use
    abbreviated sort keys, so building the unique index of a million blind indexes took 3.7 s
    instead of 1.6 s (the bulk load rebuilds those indexes; docs/import.md, "Bulk load"), and
    a LIKE 'prefix%' can use the plain btree index. SQLite compares bytes (BINARY) already and
    knows no collation named "C", so nothing changes there."""

    def db_parameters(self, connection: Any) -> dict[str, Any]:
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params
