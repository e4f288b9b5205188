"""Holidays, make-up working days and business hours in Django's admin."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from gridgov.accounts.admin_audit import AuditedAdmin
from gridgov.core import clock
from gridgov.core.errors import DomainError
from gridgov.sla.calendar import LIBRARY_YEARS, WorkCalendar
from gridgov.sla.enums import DaySource
from gridgov.sla.models import BusinessHours, CalendarDay
from gridgov.sla.selectors import current_calendar
from gridgov.sla.services import calendar_year_load

WEEKDAYS = "一二三四五六日"


class YearFilter(admin.SimpleListFilter):
    title = "年份"
    parameter_name = "year"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        years = CalendarDay.objects.dates("date", "year", order="DESC")
        return [(str(d.year), f"{d.year}年") for d in years]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value():
            return queryset.filter(date__year=int(self.value() or 0))
        return queryset


class LoadYearForm(forms.Form):
    year = forms.IntegerField(
        label="年份",
        min_value=LIBRARY_YEARS.start,
        max_value=LIBRARY_YEARS.stop - 1,
        help_text=f"chinese-calendar 收录 {LIBRARY_YEARS.start}–{LIBRARY_YEARS.stop - 1} 年",
    )


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditedAdmin):
    list_display = ("date", "weekday", "is_workday", "name", "origin", "library_says", "note")
    list_filter = (YearFilter, "is_workday", "origin")
    search_fields = ("name", "note")
    date_hierarchy = "date"
    list_per_page = 100
    fields = ("date", "is_workday", "name", "note", "origin", "updated_at")
    readonly_fields = ("origin", "updated_at")
    change_list_template = "admin/sla/calendarday/change_list.html"

    @admin.display(description="星期")
    def weekday(self, obj: CalendarDay) -> str:
        return f"周{WEEKDAYS[obj.date.weekday()]}"

    @admin.display(description="国务院安排(库)")
    def library_says(self, obj: CalendarDay) -> str:
        # An empty calendar answers from the library alone, so the reviewer sees where an
        # override departs from it.
        info = _LIBRARY_ONLY.info(obj.date)
        if info.source != DaySource.LIBRARY:
            return "库中无此年"
        verdict = "上班" if info.is_workday else "休息"
        return verdict if info.is_workday == obj.is_workday else f"{verdict}(与此处不同)"

    def get_urls(self) -> list[URLPattern]:
        load = path(
            "load-year/", self.admin_site.admin_view(self.load_year_view), name="sla_calendarday_load_year"
        )
        return [load, *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        # The year now and the next one: December's cases already run into January.
        calendar = current_calendar()
        today = clock.now().astimezone(calendar.tz).date()
        for warning in calendar.warnings_for(today, today.replace(year=today.year + 1)):
            messages.warning(request, f"{warning.message_zh}。请在此录入国务院办公厅公布的安排。")
        return super().changelist_view(request, extra_context)

    def load_year_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = LoadYearForm(request.POST or None, initial={"year": LIBRARY_YEARS.stop - 1})
        if request.method == "POST" and form.is_valid():
            year = form.cleaned_data["year"]
            try:
                result = calendar_year_load(year=year, actor=request.user)
            except DomainError as exc:
                messages.error(request, exc.message_zh)
            else:
                messages.success(
                    request,
                    f"已载入 {year} 年安排 {result.created} 天,保留已有录入 {result.kept} 天,请逐条核对。",
                )
                url = reverse("admin:sla_calendarday_changelist")
                return HttpResponseRedirect(f"{url}?year={year}")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "从 chinese-calendar 载入年度节假日安排",
            "form": form,
        }
        return TemplateResponse(request, "admin/sla/calendarday/load_year.html", context)


_LIBRARY_ONLY = WorkCalendar()


@admin.register(BusinessHours)
class BusinessHoursAdmin(AuditedAdmin):
    list_display = (
        "__str__",
        "morning_start",
        "morning_end",
        "afternoon_start",
        "afternoon_end",
        "updated_at",
    )
    fields = ("morning_start", "morning_end", "afternoon_start", "afternoon_end")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # One row serves the whole platform.
        return super().has_add_permission(request) and not BusinessHours.objects.exists()
