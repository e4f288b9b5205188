from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from gridgov.bulk.sqlwrite import _with_constants, constant_defaults, insert_rows, select_in
from gridgov.core import clock
from gridgov.registry.models import Address

pytestmark = pytest.mark.django_db


def test_rows_whose_unique_key_is_already_there_are_skipped_and_the_others_written(world):
    now = clock.now()
    cols = ["community_id", "road", "text", "key"]
    c = world.community.pk
    stamps = {"created_at": now, "updated_at": now}
    assert insert_rows(Address, cols, [(c, "甲路", "甲路", "k1")], now=now, constants=stamps) == 1
    written = insert_rows(
        Address, cols, [(c, "乙路", "乙路", "k2"), (c, "甲路", "甲路(又)", "k1")], now=now, constants=stamps
    )
    assert written == 1
    assert sorted(Address.objects.values_list("key", "text")) == [("k1", "甲路"), ("k2", "乙路")]
    one = Address.objects.get(key="k2")
    # Columns left out got their field defaults.
    assert (one.source, one.number, one.grid_id, one.created_at) == ("real", "", None, now)
    assert sorted(select_in(Address, "key", ["k1", "k2", "k3"], ["key"])) == [("k1",), ("k2",)]


@pytest.mark.postgres
def test_constants_made_defaults_are_left_out_only_on_the_connection_that_made_them(world):
    """Inside constant_defaults the load's own writes leave the constants to the table's DEFAULT;
    a write on another connection of the same process (another thread) gives every column, and
    after the block the old defaults (none) are back."""
    now = clock.now()
    cols = ["community_id", "road", "text", "key"]
    stamps = {"source": "imported", "created_at": now, "updated_at": now}
    everything, _ = _with_constants(Address, cols, stamps, now)
    elsewhere: list[list[str]] = []

    def other_thread() -> None:
        elsewhere.append(_with_constants(Address, cols, stamps, now)[0])
        connection.close()

    with transaction.atomic(), constant_defaults(Address, cols, stamps, now=now):
        here, _ = _with_constants(Address, cols, stamps, now)
        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join()
        row = [(world.community.pk, "丙路", "丙路", "k9")]
        assert insert_rows(Address, cols, row, now=now, constants=stamps) == 1
    assert here == cols
    assert elsewhere == [everything] and len(everything) > len(cols)
    one = Address.objects.get(key="k9")
    assert (one.source, one.created_at, one.number) == ("imported", now, "")
    with connection.cursor() as c:
        c.execute(
            "SELECT count(*) FROM information_schema.columns"
            " WHERE table_name = 'registry_address' AND column_default IS NOT NULL"
            " AND column_default NOT LIKE 'nextval%%'"
        )
        assert c.fetchone()[0] == 0
