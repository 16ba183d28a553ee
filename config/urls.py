from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from config.health import healthz
from indicators.api_urls import api_urlpatterns as indicators_api
from nrm.api_urls import api_urlpatterns as nrm_api
from referral.api_urls import api_urlpatterns as referral_api

api_v1 = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    *nrm_api,
    *indicators_api,
    *referral_api,
]

handler404 = "config.api.page_not_found"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="v1")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("nrm.urls")),
    path("", include("indicators.urls")),
    path("", include("referral.urls")),
    # The trainer's pages; 404 outside a training mechanism.
    path("", include("training.urls")),
]
