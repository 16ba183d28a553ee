"""Signing in for API clients: tokens, and who the caller is.

`POST /api/v1/auth/token/` takes a username, a password and (for users who
need or have a second factor) a one-time password, and returns a token to send
as `Authorization: Token <token>`. Tokens expire (REST_KNOX["TOKEN_TTL"],
8 hours by default), are stored as a digest only, and can be revoked one by
one or all at once. Failures count towards the same lockout as the pages.
"""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.permissions import HoldsApiToken, IsSignedIn
from nrm import auth
from nrm.errors import Forbidden, InvalidInput
from nrm.forms import INVALID_SIGN_IN
from nrm.selectors import active_memberships

_OTP_MESSAGES = {
    "wrong": _("The one-time password is not correct or has expired."),
    "throttled": _("Too many wrong one-time passwords in a row; wait a few seconds."),
    "locked": _("Too many failed sign-in attempts."),
}


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Documents nrm.auth.TokenAuthentication in the OpenAPI schema."""

    target_class = "nrm.auth.TokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization",
            token_prefix="Token",  # noqa: S106 - the scheme name, not a secret
        )


class TokenIssueInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    otp_token = serializers.CharField(max_length=12, required=False, allow_blank=True)


class TokenIssueOutput(serializers.Serializer):
    token = serializers.CharField()
    expiry = serializers.DateTimeField(allow_null=True)
    otp_verified = serializers.BooleanField()


class MembershipOutput(serializers.Serializer):
    organisation_id = serializers.UUIDField()
    organisation = serializers.CharField(source="organisation.name")
    role = serializers.CharField()


class MeOutput(serializers.Serializer):
    id = serializers.UUIDField()
    username = serializers.CharField()
    preferred_language = serializers.CharField()
    otp_verified = serializers.BooleanField()
    memberships = MembershipOutput(many=True)


class TokenIssueApi(APIView):
    """Open to anyone: the credentials are the policy. Not under the session,
    so no CSRF token is needed: the answer goes to the caller, not a cookie."""

    authentication_classes: tuple = ()
    permission_classes = (AllowAny,)

    @extend_schema(request=TokenIssueInput, responses={200: TokenIssueOutput})
    def post(self, request):
        data = TokenIssueInput(data=request.data)
        data.is_valid(raise_exception=True)
        django_request = request._request
        user = authenticate(
            django_request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if user is None:
            # Locked out: axes' middleware answers 429 instead of this.
            raise InvalidInput(str(INVALID_SIGN_IN), code="invalid_credentials")
        otp_verified = False
        if auth.second_factor_needed(user):
            if not auth.has_device(user):
                raise Forbidden(
                    str(_("Set up your one-time passwords on the sign-in page first.")),
                    code="otp_setup_required",
                )
            token = data.validated_data.get("otp_token", "")
            if not token:
                raise InvalidInput(
                    str(_("Enter the one-time password.")), code="otp_required"
                )
            device, outcome = auth.verify_second_factor(django_request, user, token)
            if device is None:
                raise InvalidInput(str(_OTP_MESSAGES[outcome]), code="invalid_otp")
            otp_verified = True
        auth.reset_lockout(django_request, user)
        instance, secret = auth.token_issue(user=user, otp_verified=otp_verified)
        body = {
            "token": secret,
            "expiry": instance.expiry,
            "otp_verified": otp_verified,
        }
        response = Response(TokenIssueOutput(body).data, status=status.HTTP_200_OK)
        # A bearer secret: no cache, shared or private, may keep it (RFC 6749
        # section 5.1); the caller is anonymous, so the security headers'
        # middleware would not add it.
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
        return response


class TokenRevokeApi(APIView):
    """Revokes the token the request is made with."""

    permission_classes = (HoldsApiToken,)

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        auth.token_revoke(user=request.user, token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenRevokeAllApi(APIView):
    """Revokes every token of the caller (signed in, or with one of them)."""

    permission_classes = (IsSignedIn | HoldsApiToken,)

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        auth.token_revoke_all(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    """The caller: their roles at their organisations."""

    permission_classes = (IsSignedIn,)

    @extend_schema(responses={200: MeOutput})
    def get(self, request):
        user = request.user
        body = {
            "id": user.pk,
            "username": user.get_username(),
            "preferred_language": user.preferred_language,
            "otp_verified": auth.is_verified(user),
            "memberships": active_memberships(user),
        }
        return Response(MeOutput(body).data)
