"""The sign-in forms. They parse input; nrm/auth.py decides."""

from __future__ import annotations

from django import forms
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _

# One message for an unknown username, a wrong password and an inactive
# account alike, so the answer tells nobody which usernames exist.
INVALID_SIGN_IN = _("The username or password is not correct.")


class SignInForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none"}
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, request, *args, **kwargs):
        self.request = request
        self.user = None
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        username, password = cleaned.get("username"), cleaned.get("password")
        if username and password:
            # Through every backend: axes refuses a locked username+address
            # first; ModelBackend runs the hasher for unknown usernames too.
            self.user = authenticate(self.request, username=username, password=password)
            if self.user is None:
                raise forms.ValidationError(INVALID_SIGN_IN, code="invalid_login")
        return cleaned


class OneTimePasswordForm(forms.Form):
    otp_token = forms.CharField(
        label=_("One-time password"),
        help_text=_("The 6-digit code your authenticator app shows now."),
        min_length=6,
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9 ]*",
                "autofocus": True,
            }
        ),
    )
