from __future__ import annotations

import pytest

from gridgov.bulk.sqlwrite import insert_rows, select_in
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
