from django.urls import path

from gridgov.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("territory/", views.territory, name="territory"),
    path("territory/search/", views.territory_search, name="territory-search"),
    path("territory/<str:code>/", views.region_page, name="region"),
    path("territory/<str:code>/features.geojson", views.region_features, name="region-features"),
    path("grids/<str:code>/", views.grid_page, name="grid"),
]
