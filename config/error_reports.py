"""Error reports (the admins' e-mail, the DEBUG page) that carry no personal data.

Django's reports show the request's GET and POST data, cookies, headers, the
exception's message and every frame's local variables: any of them may hold
a name, a date of birth or a narrative. These classes keep only what locates
the fault: the exception's type, the stack (files, lines, functions, source),
the request's method and path, and variable and parameter names with their
values withheld. Settings: DEFAULT_EXCEPTION_REPORTER(_FILTER).
"""

from __future__ import annotations

from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

WITHHELD = "[withheld: may contain personal data]"

# Request metadata that names no person and no secret.
_SAFE_META = frozenset(
    {
        "REQUEST_METHOD",
        "PATH_INFO",
        "SCRIPT_NAME",
        "SERVER_NAME",
        "SERVER_PORT",
        "SERVER_PROTOCOL",
        "CONTENT_TYPE",
        "CONTENT_LENGTH",
        "HTTP_HOST",
        "HTTP_ACCEPT",
        "HTTP_ACCEPT_LANGUAGE",
        "HTTP_USER_AGENT",
        "wsgi.url_scheme",
    }
)


class PersonalDataReporterFilter(SafeExceptionReporterFilter):
    """Withholds every POST value, every frame variable, every cookie and all
    request metadata outside a short safe list; also with DEBUG on."""

    cleansed_substitute = WITHHELD

    def is_active(self, request) -> bool:
        return True

    def get_post_parameters(self, request):
        if request is None:
            return {}
        return dict.fromkeys(request.POST, WITHHELD)

    def get_traceback_frame_variables(self, request, tb_frame):
        return [(name, WITHHELD) for name in tb_frame.f_locals]

    def get_safe_request_meta(self, request):
        if not hasattr(request, "META"):
            return {}
        return {
            key: (value if key in _SAFE_META else WITHHELD)
            for key, value in request.META.items()
        }

    def get_safe_cookies(self, request):
        if not hasattr(request, "COOKIES"):
            return {}
        return dict.fromkeys(request.COOKIES, WITHHELD)


class PersonalDataExceptionReporter(ExceptionReporter):
    """Also withholds what the filter does not cover: the exception messages
    (a database error quotes row values), the query string, uploaded file
    names, template error messages."""

    def get_traceback_data(self):
        data = super().get_traceback_data()
        if "exception_value" in data:
            data["exception_value"] = WITHHELD
        data.pop("exception_notes", None)
        data["unicode_hint"] = ""
        for frame in data.get("frames", []):
            cause = frame.get("exc_cause")
            if cause is not None:
                frame["exc_cause"] = f"{type(cause).__name__}: {WITHHELD}"
        if self.request is not None:
            data["request_GET_items"] = [(k, WITHHELD) for k in self.request.GET]
            data["request_FILES_items"] = [(k, WITHHELD) for k in self.request.FILES]
            data["request_insecure_uri"] = self.request.path
        if data.get("template_info"):
            data["template_info"] = {**data["template_info"], "message": WITHHELD}
        return data
