"""Idempotent writes: every POST of the API accepts an `Idempotency-Key`.

A client that retries a POST (after a timeout, a dropped connection) sends the
same `Idempotency-Key` header (1-255 printable ASCII characters, e.g. a UUID)
with the same body:

- the first request runs, and its answer (status and body) is kept with the
  key, in the same transaction as the write itself: both commit or neither;
- a retry with the same key and the same method, path and body gets that
  first answer again (header `Idempotent-Replayed: true`), with no second
  effect; a retry that arrives while the first is still running waits for it;
- the same key with another method, path or body is a 422 with a message;
- keys belong to the user who sent them (two users may use the same key) and
  expire after IDEMPOTENCY_KEY_TTL_SECONDS (24 hours by default);
- a first answer that is a server error (5xx) is not kept, and the write is
  rolled back with it: the retry runs afresh.

Only digests are stored: SHA-256 of the key, and an HMAC of the method, path
and body keyed with the key itself (so the stored digest cannot be tested
against guessed bodies without the key). The stored answer is the write's
response body, and no write response of this API decrypts personal data
(`tests/nrm/test_idempotency.py` checks the registration's answer).
Requests without a signed-in caller (sign-in itself) are not covered.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from rest_framework.exceptions import APIException

from nrm.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Printable ASCII without the space; the schema states it (config/schema.py).
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
_VALID_KEY = re.compile(KEY_PATTERN)


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(
        {"code": code, "message": message, "detail": None}, status=status
    )


def _caller(request):
    """The signed-in user (session) or the bearer of a valid API token."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    if "HTTP_AUTHORIZATION" not in request.META:
        return None
    from nrm.auth import TokenAuthentication

    try:
        found = TokenAuthentication().authenticate(request)
    except APIException:
        return None  # the view answers 401 itself
    return found[0] if found else None


def _claim(
    user, key: str, request_digest: str
) -> tuple[IdempotencyKey | None, HttpResponse | None]:
    """The new record for this key, or the answer to give instead."""
    now = timezone.now()
    key_digest = hashlib.sha256(key.encode()).hexdigest()
    IdempotencyKey.objects.filter(user=user, expires_at__lte=now).delete()
    try:
        with transaction.atomic():
            record = IdempotencyKey.objects.create(
                user=user,
                key_digest=key_digest,
                request_digest=request_digest,
                created_at=now,
                expires_at=now
                + timedelta(seconds=settings.IDEMPOTENCY_KEY_TTL_SECONDS),
            )
        return record, None
    except IntegrityError:
        # The same key is in use: its first request committed (the insert
        # waited for it). Nothing of ours was written.
        first = IdempotencyKey.objects.get(user=user, key_digest=key_digest)
    if not hmac.compare_digest(first.request_digest, request_digest):
        return None, _error(
            422,
            "idempotency_key_reused",
            "This Idempotency-Key was used for another request (another method, "
            "path or body); use a new key for a new request.",
        )
    replay = HttpResponse(
        bytes(first.body or b""), status=first.status, content_type=first.content_type
    )
    replay[REPLAYED_HEADER] = "true"
    return None, replay


class IdempotencyMiddleware:
    """After authentication and the security headers (so a replayed answer
    gets `Cache-Control: no-store` like the first)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get(HEADER)
        if (
            key is None
            or request.method != "POST"
            or not request.path.startswith("/api/")
        ):
            return self.get_response(request)
        if not _VALID_KEY.fullmatch(key):
            return _error(
                400,
                "invalid_idempotency_key",
                "The Idempotency-Key header must be 1 to 255 printable ASCII "
                "characters without spaces.",
            )
        user = _caller(request)
        if user is None:
            return self.get_response(request)
        message = b"\n".join(
            [request.method.encode(), request.get_full_path().encode(), request.body]
        )
        request_digest = hmac.new(key.encode(), message, hashlib.sha256).hexdigest()
        with transaction.atomic():
            record, answer = _claim(user, key, request_digest)
            if answer is not None:
                return answer
            response = self.get_response(request)
            if response.status_code >= 500 or response.streaming:
                transaction.set_rollback(True)
                return response
            record.status = response.status_code
            record.content_type = response.get("Content-Type", "")
            record.body = response.content
            record.save(update_fields=["status", "content_type", "body"])
        return response
