"""The demo's cases are made on the shared test city by the demo accounts of accounts/demo.py."""

from __future__ import annotations

import pytest

from gridgov.accounts.demo import seed_demo_accounts
from tests.cases.conftest import _pii_keys, _quick_passwords  # noqa: F401  (autouse fixtures)
from tests.conftest import PASSWORD


@pytest.fixture
def demo_city(world):
    seed_demo_accounts(city=world.city, password=PASSWORD)
    return world.city
