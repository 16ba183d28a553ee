"""A test-only URL that fails while handling personal data (synthetic)."""

from django.urls import include, path


def fail_with_personal_data(request):
    given_name = request.POST.get("given_name", "")
    record = {"given_name": given_name, "query": request.GET.get("q", "")}
    try:
        raise LookupError(f"no record for {record['query']}")
    except LookupError as exc:
        raise ValueError(f"could not register {given_name}") from exc


urlpatterns = [
    path("test-only/fail/", fail_with_personal_data, name="test-only-fail"),
    path("", include("config.urls")),
]
