"""The directory of partner mechanisms, in the admin (configuration only: no
personal data). A key's fingerprint is computed from the key itself, for
comparison with the partner's out of band before the key is trusted."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from referral.models import PartnerKey, PartnerMechanism
from referral.vault import jose


class PartnerKeyForm(forms.ModelForm):
    class Meta:
        model = PartnerKey
        fields = ["use", "kid", "jwk", "valid_from", "valid_until"]

    def clean_jwk(self):
        try:
            return jose.public_jwk(self.cleaned_data["jwk"])
        except jose.JoseError:
            raise forms.ValidationError(_("Not a public EC P-256 key (JWK).")) from None

    def save(self, commit=True):
        key = super().save(commit=False)
        key.jwk = {**key.jwk, "kid": key.kid, "use": key.use}
        key.fingerprint = jose.fingerprint(key.jwk)
        if commit:
            key.save()
        return key


class PartnerKeyInline(admin.TabularInline):
    model = PartnerKey
    form = PartnerKeyForm
    extra = 0
    fields = ["use", "kid", "jwk", "fingerprint", "valid_from", "valid_until"]
    readonly_fields = ["fingerprint"]


@admin.register(PartnerMechanism)
class PartnerMechanismAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "mechanism_id", "inbox_url", "is_active"]
    list_filter = ["country", "is_active"]
    fields = [
        "mechanism_id",
        "country",
        "name",
        "contact_point",
        "inbox_url",
        "organisation",
        "is_active",
    ]
    inlines = [PartnerKeyInline]
