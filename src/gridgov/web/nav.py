"""The main navigation, put together from each domain's `nav.py`.

Each domain lists its own pages (`ENTRIES`), so adding a domain never means editing the shared
base template; `order` keeps the bar stable whichever app loads first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module

from django.apps import apps
from django.urls import NoReverseMatch, reverse


def _everyone(user) -> bool:
    return True


@dataclass(frozen=True)
class NavEntry:
    url_name: str
    label: str  # Chinese first; translated through the template's {% translate %} catalogue
    order: int = 100
    visible: Callable[..., bool] = field(default=_everyone)


@cache
def all_entries() -> tuple[NavEntry, ...]:
    found: list[NavEntry] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("gridgov."):
            continue
        try:
            module = import_module(f"{config.name}.nav")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.nav":
                raise
            continue
        found.extend(module.ENTRIES)
    return tuple(sorted(found, key=lambda e: e.order))


def entries_for(user) -> list[tuple[str, str]]:
    """(href, label) pairs this user may see."""
    out = []
    for entry in all_entries():
        if not entry.visible(user):
            continue
        try:
            out.append((reverse(entry.url_name), entry.label))
        except NoReverseMatch:
            # A domain that declares a page it has not wired yet must not break every page.
            continue
    return out


ENTRIES = [NavEntry("territory", "网格地图", order=10)]
