"""This app's staff pages, mounted at the site root by config/urls.py."""

from django.urls import path

from indicators import views

app_name = "indicators"

urlpatterns: list = [
    path(
        "indicators/<slug:catalogue_id>/questionnaire/",
        views.questionnaire,
        name="catalogue-questionnaire",
    ),
]
