"""/api/v1/geo: the routers of the geo modules, assembled."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["geo"])


def _assemble() -> None:
    import importlib

    for name in ("api_layers", "api_locate"):
        try:
            module = importlib.import_module(f"gridgov.geo.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"gridgov.geo.{name}":
                raise
            continue
        router.add_router("", module.router)


_assemble()
