"""OpenAPI schema additions that hold for the whole API."""

from __future__ import annotations

from nrm.idempotency import HEADER, REPLAYED_HEADER

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
                "schema": {"type": "string", "maxLength": 255},
                "description": _DESCRIPTION,
            }
        )
        operation.setdefault("responses", {}).setdefault(
            "422", {"description": f"The {HEADER} was used for another request."}
        )
    return result
