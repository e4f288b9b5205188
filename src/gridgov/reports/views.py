"""Report pages under /bulletins/. Thin: reads through reports/selectors (scope), writes
through reports/services; a refused write shows its reason and changes nothing."""

from __future__ import annotations

from datetime import date
from typing import cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from gridgov.accounts.models import User
from gridgov.core import clock
from gridgov.core.errors import DomainError, NotFound
from gridgov.geo.models import Region
from gridgov.reports import selectors
from gridgov.reports.access import GENERATE_ROLES, may_edit, may_generate, prefix_for
from gridgov.reports.enums import GenerationStatus, ReportKind, VersionState
from gridgov.reports.models import Report
from gridgov.reports.periods import last_complete
from gridgov.reports.present import FORMATS, download, png_response, title_of
from gridgov.reports.services import report_edit, report_publish, report_request
from gridgov.reports.tables import cell_text, tables_of

PER_PAGE = 30
EDIT_ONLY = "只有覆盖该区域的指挥中心的领导、调度员可以编辑和发布简报。"


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "reports/forbidden.html",
        {"why": "简报通报供各级指挥中心查阅;您的账号没有绑定指挥中心。"},
        status=403,
    )


def _report(request: HttpRequest, pk: int) -> Report:
    try:
        return selectors.report_get_for(_user(request), pk)
    except NotFound as exc:
        raise Http404(exc.message_zh) from None


@login_required
def index(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if prefix_for(user) is None:
        return _forbidden(request)
    if request.method == "POST":
        return _generate(request)
    kind = request.GET.get("kind", "")
    kind = kind if kind in ReportKind.values else ""
    status = request.GET.get("status", "")
    status = status if status in GenerationStatus.values else ""
    region = request.GET.get("region", "").strip()[:12]
    qs = selectors.reports_for(user, kind=kind, region_code=region, status=status).prefetch_related(
        "versions"
    )
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    rows = []
    for b in page.object_list:
        versions = sorted(b.versions.all(), key=lambda v: -v.number)
        published = next((v for v in versions if v.state == VersionState.PUBLISHED), None)
        rows.append({"b": b, "latest": versions[0] if versions else None, "published": published})
    today = timezone.localdate(clock.now())
    generates = user.is_superuser or user.role in GENERATE_ROLES
    regions = list(selectors.regions_for_generation(user)) if generates else []
    filters = {k: v for k, v in (("kind", kind), ("status", status), ("region", region)) if v}
    return render(
        request,
        "reports/index.html",
        {
            "rows": rows,
            "page": page,
            "kinds": ReportKind.choices,
            "statuses": GenerationStatus.choices,
            "filters": filters,
            "query": urlencode(filters),
            "regions": regions,
            "default_day": last_complete(ReportKind.DAILY, today).start.isoformat(),
            "today": today.isoformat(),
        },
    )


def _generate(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    back = reverse("reports:index")
    kind = request.POST.get("kind", "")
    code = request.POST.get("region", "").strip()[:12]
    raw_day = request.POST.get("day", "").strip()
    region = Region.objects.defer("boundary").filter(code=code).first()
    if region is None:
        messages.error(request, f"请选择区域(“{code}”不存在)。")
        return redirect(back)
    try:
        day = date.fromisoformat(raw_day)
    except ValueError:
        messages.error(request, f"日期“{raw_day}”无效,格式如 2026-03-02。")
        return redirect(back)
    try:
        b, queued = report_request(
            actor=user,
            kind=kind,
            region=region,
            day=day,
            now=clock.now(),
            regenerate=request.POST.get("regenerate") == "1",
        )
    except DomainError as exc:
        messages.error(request, exc.message_zh)
        return redirect(back)
    messages.success(request, "已提交生成,稍候即可查看。" if queued else "该时段的简报已存在。")
    return redirect("reports:detail", b.pk)


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    b = _report(request, pk)
    versions = selectors.versions_of(b)
    number = request.GET.get("v")
    version = None
    if versions:
        try:
            version = selectors.version_get(b, int(number)) if number else versions[0]
        except (ValueError, NotFound):
            raise Http404("没有这个版本") from None
    tables = []
    if version:
        for t in tables_of(version.data):
            rows = [[cell_text(t, r, c, v) for c, v in enumerate(row)] for r, row in enumerate(t.rows)]
            tables.append({"t": t, "rows": rows})
    editable = may_edit(user, b.region)
    return render(
        request,
        "reports/detail.html",
        {
            "b": b,
            "title": title_of(b),
            "version": version,
            "is_latest": bool(version and versions and version.number == versions[0].number),
            "versions": versions,
            "tables": tables,
            "charts": list(version.charts.all()) if version else [],
            "may_edit": editable,
            "may_regenerate": may_generate(user, b.region),
            "busy": b.status in (GenerationStatus.QUEUED, GenerationStatus.RUNNING),
            "formats": list(FORMATS),
        },
    )


@login_required
@require_GET
def status(request: HttpRequest, pk: int) -> JsonResponse:
    b = _report(request, pk)
    return JsonResponse(
        {
            "status": b.status,
            "label": b.get_status_display(),
            "progress": b.progress,
            "note": b.progress_note,
            "error": b.error[:300],
        }
    )


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    b = _report(request, pk)
    if not may_edit(user, b.region):
        return render(
            request,
            "reports/forbidden.html",
            {"why": EDIT_ONLY},
            status=403,
        )
    try:
        latest = selectors.version_get(b)
    except NotFound:
        messages.error(request, "简报尚未生成,不能编辑。")
        return redirect("reports:detail", b.pk)
    sections = latest.sections
    if request.method == "POST":
        texts = {s["key"]: request.POST.get(f"section-{s['key']}", "") for s in latest.sections}
        try:
            base = int(request.POST.get("base_version", "0"))
            v = report_edit(actor=user, report=b, sections=texts, base=base, now=clock.now())
        except ValueError:
            messages.error(request, "表单已过期,请刷新后重试。")
        except DomainError as exc:
            messages.error(request, exc.message_zh)
            sections = [{**s, "text": texts.get(s["key"], s["text"])} for s in latest.sections]
        else:
            if v.number != latest.number:
                messages.success(
                    request, f"已保存为第 {v.number} 版草稿;第 {latest.number} 版已发布,保持不变。"
                )
            else:
                messages.success(request, f"第 {v.number} 版草稿已保存。")
            return redirect("reports:detail", b.pk)
    return render(
        request,
        "reports/edit.html",
        {"b": b, "title": title_of(b), "latest": latest, "sections": sections},
        status=422 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    b = _report(request, pk)
    if not may_edit(user, b.region):
        return render(request, "reports/forbidden.html", {"why": EDIT_ONLY}, status=403)
    try:
        base = int(request.POST.get("base_version", "0"))
        v = report_publish(actor=user, report=b, base=base, now=clock.now())
    except ValueError:
        messages.error(request, "表单已过期,请刷新后重试。")
    except DomainError as exc:
        messages.error(request, exc.message_zh)
    else:
        messages.success(request, f"第 {v.number} 版已发布。")
    return redirect("reports:detail", b.pk)


@login_required
@require_GET
def file(request: HttpRequest, pk: int, number: int, fmt: str) -> HttpResponse:
    b = _report(request, pk)
    if fmt not in FORMATS:
        raise Http404("不支持的格式")
    try:
        v = selectors.version_get(b, number)
    except NotFound:
        raise Http404("没有这个版本") from None
    return download(b, v, fmt)


@login_required
@require_GET
def chart(request: HttpRequest, pk: int, number: int, key: str) -> HttpResponse:
    b = _report(request, pk)
    try:
        return png_response(selectors.chart_png(b, number, key))
    except NotFound:
        raise Http404("没有这张图") from None
