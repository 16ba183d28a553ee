"""This app's API routes, mounted under /api/v1/ by config/urls.py."""

from django.urls import path

from nrm import api

api_urlpatterns: list = [
    path("auth/token/", api.TokenIssueApi.as_view(), name="auth-token"),
    path("auth/token/revoke/", api.TokenRevokeApi.as_view(), name="auth-token-revoke"),
    path(
        "auth/token/revoke-all/",
        api.TokenRevokeAllApi.as_view(),
        name="auth-token-revoke-all",
    ),
    path("auth/me/", api.MeApi.as_view(), name="auth-me"),
]
