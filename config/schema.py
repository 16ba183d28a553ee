"""The OpenAPI schema's generic rules, so that every operation is documented
the same way without each view restating them:

- every error status an operation can answer with, each with the error body
  of the API's error contract (config/api.py): `{"code", "message", "detail"}`;
- `additionalProperties: false` on request bodies whose serializer refuses
  unknown keys (core.serializers.StrictSerializer);
- pagination, from the view's `pagination_class` (core.pagination);
- a GET's query parameters, from the view's `query_serializer` (core.api);
- the Idempotency-Key header every POST accepts (nrm/idempotency.py).

Which errors an operation can answer with follows from its shape:

    400  it takes query parameters or a request body (or may: unsafe methods)
    401  it needs a signed-in caller (no credentials, or expired ones)
    403  signed in, but the role or a missing one-time password refuses it
    404  it names an object (a path parameter, or an id in its body), or the
         policy hides the whole resource from some roles
    409  it writes: wrong state, or a concurrent writer won the race
    410  it writes about a person whose personal data was erased

A view documents a status itself (extend_schema(responses=...)) to replace
the generic entry for that status; an error documented with a description
only gets the error body.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema

from nrm.idempotency import HEADER, KEY_PATTERN, REPLAYED_HEADER

ERROR_COMPONENT = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "description": "The body of every error answer.",
    "properties": {
        "code": {
            "type": "string",
            "description": "A stable code for programs (e.g. invalid, "
            "not_authenticated, forbidden, not_found, conflict, erased).",
        },
        "message": {"type": "string", "description": "A text for people."},
        "detail": {
            "nullable": True,
            "description": "Field errors for 400 (field name -> messages), "
            "otherwise null or a small object of ids and codes.",
        },
    },
    "required": ["code", "message", "detail"],
    "additionalProperties": False,
}
DESCRIPTIONS = {
    "400": "The request is not valid (see `detail` for field errors).",
    "401": "Not signed in, or the credentials are wrong or expired.",
    "403": "Signed in, but this is not yours to do.",
    "404": "Absent, or not visible to you (the two answer alike).",
    "409": "The object is not in a state that allows this, or it changed meanwhile.",
    "410": "The person's personal data has been erased.",
}
UNSAFE = {"post", "put", "patch", "delete"}

_DESCRIPTION = (
    "Optional. A retry of this request with the same key and the same body "
    f"gets the first answer again (with the header `{REPLAYED_HEADER}: true`) "
    "and has no second effect; the same key with another body is a 422. Keys "
    "are per user, 1-255 printable ASCII characters (e.g. a UUID), and expire "
    "after 24 hours."
)


def document_idempotency(result, generator, request, public):
    """Every POST accepts the Idempotency-Key header and may answer 422."""
    for path_item in result.get("paths", {}).values():
        operation = path_item.get("post")
        if operation is None:
            continue
        operation.setdefault("parameters", []).append(
            {
                "in": "header",
                "name": HEADER,
                "required": False,
                "schema": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 255,
                    "pattern": KEY_PATTERN,
                },
                "description": _DESCRIPTION,
            }
        )
        operation.setdefault("responses", {}).setdefault(
            "422", {"description": f"The {HEADER} was used for another request."}
        )
    return result


class AutoSchema(SpectacularAutoSchema):
    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        query = getattr(self.view, "query_serializer", None)
        if query is not None and self.method == "GET":
            parameters = [query, *parameters]
        return parameters

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and getattr(
            serializer, "refuses_unknown_keys", False
        ):
            schema["additionalProperties"] = False
        return schema


def _is_secured(operation: dict) -> bool:
    security = operation.get("security")
    return bool(security) and {} not in security


def _error_statuses(method: str, operation: dict) -> list[str]:
    parameters = operation.get("parameters", [])
    in_path = any(p.get("in") == "path" for p in parameters)
    in_query = any(p.get("in") == "query" for p in parameters)
    writes = method in UNSAFE
    statuses = []
    if in_query or writes or "requestBody" in operation:
        statuses.append("400")
    if _is_secured(operation):
        statuses += ["401", "403", "404"]
    elif in_path:
        statuses.append("404")
    if writes and _is_secured(operation):
        statuses += ["409", "410"]
    return statuses


def add_error_responses(result, generator, request, public):
    """drf-spectacular post-processing hook (SPECTACULAR_SETTINGS)."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components[ERROR_COMPONENT] = ERROR_SCHEMA  # also core.serializers.ErrorSerializer
    reference = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            responses = operation.setdefault("responses", {})
            for status in _error_statuses(method, operation):
                responses.setdefault(status, {"description": DESCRIPTIONS[status]})
            for status, response in responses.items():
                # A view may name an error with a description only: its body
                # is still the error body.
                if str(status).startswith("4") and "content" not in response:
                    response["content"] = {"application/json": {"schema": reference}}
    return result
