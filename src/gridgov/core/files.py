"""Files written beside a database transaction.

A file field's content goes to storage when the file is saved, before the row that names it is
committed; the storage is not part of the transaction. If the transaction then rolls back (a
check that fails after the upload, a lost race on a unique key, a database error), the file
would stay behind with no row pointing at it. `kept_with` deletes the files saved inside its
block when the block ends with an exception, so storage holds only files that rows name.

Put it outside the transaction it guards, so that a failing COMMIT is seen too:

    with kept_with() as store, transaction.atomic():
        store(visit.photo, content)
        visit.save()

Within an outer transaction that rolls back later, without this block raising, the file stays:
the caller that owns the outer transaction owns that case.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from django.core.files import File
from django.db.models.fields.files import FieldFile

log = logging.getLogger("gridgov.files")


class Store(Protocol):
    def __call__(self, field_file: FieldFile, content: File, name: str | None = None) -> str: ...


@contextmanager
def kept_with() -> Iterator[Store]:
    saved: list[FieldFile] = []

    def store(field_file: FieldFile, content: File, name: str | None = None) -> str:
        field_file.save(name or content.name or "file", content, save=False)
        saved.append(field_file)
        return field_file.name or ""

    try:
        yield store
    except BaseException:
        for field_file in saved:
            try:
                field_file.storage.delete(field_file.name or "")
            except OSError:
                # The rollback is what matters to the caller; a file that cannot be removed is
                # only disk space, and the log says which.
                log.exception("could not remove %s after a rolled-back write", field_file.name)
        raise
