"""This app's API routes, mounted under /api/v1/ by config/urls.py."""

from django.urls import path

from indicators import api

api_urlpatterns: list = [
    path(
        "indicator-catalogues/",
        api.IndicatorCatalogueListApi.as_view(),
        name="indicator-catalogue-list",
    ),
    path(
        "indicator-catalogues/<slug:catalogue_id>/",
        api.IndicatorCatalogueDetailApi.as_view(),
        name="indicator-catalogue-detail",
    ),
    path(
        "indicator-catalogues/<slug:catalogue_id>/assess/",
        api.IndicatorCatalogueAssessApi.as_view(),
        name="indicator-catalogue-assess",
    ),
]
