"""Pages. Thin: resolve the user's scope through selectors, render."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from gridgov.accounts.enums import GridDuty, Role
from gridgov.accounts.models import GridStaff, User
from gridgov.accounts.scope import grids_visible, region_root_for, regions_visible
from gridgov.core.errors import NotFound
from gridgov.geo import selectors
from gridgov.geo.enums import GeoSource, RegionLevel
from gridgov.geo.models import Grid, Region

GRIDS_PER_PAGE = 50


def _user(request: HttpRequest) -> User:
    # Every view here is behind login_required, so the user is a real account.
    return cast(User, request.user)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    # Grid workers live on their phones: their start page is the field app.
    if getattr(request.user, "role", None) == Role.GRID_WORKER:
        return redirect("field:app")
    return redirect("territory")


@login_required
@require_GET
def territory(request: HttpRequest) -> HttpResponse:
    root = region_root_for(_user(request))
    if root is None:
        return render(request, "web/territory_empty.html", status=200)
    return redirect("region", code=root.code)


def _region_or_404(request: HttpRequest, code: str) -> Region:
    try:
        return selectors.region_get(user=_user(request), code=code)
    except NotFound as exc:
        raise Http404(exc.message_zh) from exc


@login_required
@require_GET
def region_page(request: HttpRequest, code: str) -> HttpResponse:
    region = _region_or_404(request, code)
    chain = [
        r for r in selectors.region_chain(region) if regions_visible(_user(request)).filter(pk=r.pk).exists()
    ]
    grids = selectors.region_grids(user=_user(request), region=region)
    figures = grids.aggregate(grids=Count("id"), households=Sum("households"), population=Sum("population"))
    context = {
        "region": region,
        "chain": chain,
        "figures": figures,
        "synthetic": region.source == GeoSource.SYNTHETIC,
    }
    if region.level == RegionLevel.COMMUNITY:
        page = Paginator(grids, GRIDS_PER_PAGE).get_page(request.GET.get("page"))
        context.update(grid_page=page, child_label="网格")
    else:
        # A region has at most a few dozen children; one small aggregate each keeps the scope
        # rule in one place (grids_visible) instead of re-deriving it in SQL here.
        rows = []
        for child in selectors.region_children(user=_user(request), region=region):
            child_grids = grids_visible(_user(request), Grid.objects.filter(code__startswith=child.prefix))
            agg = child_grids.aggregate(n=Count("id"), pop=Sum("population"))
            rows.append({"region": child, "grids": agg["n"], "population": agg["pop"] or 0})
        level = RegionLevel(region.level).child
        context.update(children=rows, child_label=level.label if level else "")
    return render(request, "web/region.html", context)


@login_required
@require_GET
def region_features(request: HttpRequest, code: str) -> JsonResponse:
    region = _region_or_404(request, code)
    return JsonResponse(selectors.map_features(user=_user(request), region=region))


@login_required
@require_GET
def grid_page(request: HttpRequest, code: str) -> HttpResponse:
    try:
        grid = selectors.grid_get(user=_user(request), code=code)
    except NotFound as exc:
        raise Http404(exc.message_zh) from exc
    chain = [
        r
        for r in selectors.region_chain(grid.community)
        if regions_visible(_user(request)).filter(pk=r.pk).exists()
    ]
    staff = GridStaff.objects.filter(grid=grid).select_related("user").order_by("duty", "user__username")
    by_duty = {d: [s.user for s in staff if s.duty == d] for d in GridDuty}
    feature = {
        "type": "Feature",
        "geometry": grid.boundary,
        "properties": {"code": grid.code, "name": grid.name, "kind": grid.kind, "is_grid": True},
    }
    return render(
        request,
        "web/grid.html",
        {
            "grid": grid,
            "chain": chain,
            "by_duty": by_duty,
            "duties": GridDuty,
            "feature": feature,
            "synthetic": grid.source == GeoSource.SYNTHETIC,
        },
    )


@login_required
@require_GET
def territory_search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:64]
    regions = grids = None
    if q:
        match = Q(name__icontains=q) | Q(code__startswith=q)
        regions = regions_visible(_user(request)).filter(match).order_by("code")[:50]
        grids = grids_visible(_user(request)).filter(match).select_related("community").order_by("code")[:50]
    return render(request, "web/search.html", {"q": q, "regions": regions, "grids": grids})
