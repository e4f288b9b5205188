"""/api/v1/geo: the routers of the geo modules, assembled."""

from __future__ import annotations

from ninja import Router

from gridgov.geo.api_layers import router as layers_router
from gridgov.geo.api_locate import router as locate_router

router = Router(tags=["geo"])
router.add_router("", layers_router)
router.add_router("", locate_router)
