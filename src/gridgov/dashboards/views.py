"""The big screen's page. Thin: the place is checked against the user's scope here, and the
page's script (static/dashboards/screen.js) reads everything else from the JSON API, so a
drill-down changes the URL and the panels without reloading the page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from gridgov.core.errors import Forbidden, NotFound
from gridgov.dashboards.place import place_get, place_root_for
from gridgov.dashboards.screen import RANKING, indicator_meta, panel_settings


def _refused(request: HttpRequest, exc: Forbidden) -> HttpResponse:
    return render(request, "dashboards/forbidden.html", {"why": exc.message_zh}, status=403)


@login_required
@require_GET
def screen_home(request: HttpRequest) -> HttpResponse:
    try:
        root = place_root_for(request.user)
    except Forbidden as exc:
        return _refused(request, exc)
    except NotFound as exc:
        raise Http404(exc.message_zh) from exc
    return redirect("dashboards:place", code=root.code)


@login_required
@require_GET
def screen(request: HttpRequest, code: str) -> HttpResponse:
    try:
        place = place_get(user=request.user, code=code)
    except Forbidden as exc:
        return _refused(request, exc)
    except NotFound as exc:
        raise Http404(exc.message_zh) from exc
    indicators = indicator_meta()
    by_name = {i["name"]: i for i in indicators}
    context = {
        "place": place,
        "indicators": indicators,
        # The ranking's columns in the order the script fills them (the rank key first).
        "ranking_columns": [by_name[n] for n in RANKING if n != "intake"],
        "settings": panel_settings(),
    }
    return render(request, "dashboards/screen.html", context)
