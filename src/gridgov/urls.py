from django.contrib import admin
from django.urls import include, path

from gridgov.api import api

admin.site.site_header = "gridgov 配置管理"
admin.site.site_title = "gridgov"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("gridgov.accounts.urls")),
    path("cases/", include("gridgov.cases.urls")),
    path("screen/", include("gridgov.dashboards.urls")),
    path("bulletins/", include("gridgov.reports.urls")),
    path("registry/", include("gridgov.registry.urls")),
    path("bulk/", include("gridgov.bulk.urls")),
    path("audit/", include("gridgov.core.urls")),
    path("field/", include("gridgov.field.urls")),
    path("portal/", include("gridgov.portal.urls")),
    path("open311/v2/", include("gridgov.open311.urls")),
    path("", include("gridgov.web.urls")),
]
