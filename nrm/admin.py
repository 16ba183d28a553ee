"""Configuration only. No model holding personal data of a person is
registered here, and none may be (a test checks)."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from nrm import services
from nrm.models import CountryProfile, Membership, Organisation, Pathway, Service, User
from nrm.roles import PERSONAL_DATA_ROLES


class MembershipInline(admin.TabularInline):
    """Shown for reference; memberships change only through MembershipAdmin,
    which goes through the audited services."""

    model = Membership
    fk_name = "user"
    extra = 0
    fields = ["organisation", "role", "is_active"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "email", "is_active", "is_staff", "last_login"]
    fieldsets = BaseUserAdmin.fieldsets + (
        ("Preferences", {"fields": ["preferred_language"]}),
    )

    def has_delete_permission(self, request, obj=None) -> bool:
        # Staff accounts are deactivated, never deleted: the audit trail
        # points at them.
        return False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "region", "country", "is_active"]
    list_filter = ["kind", "region", "is_active"]
    search_fields = ["name"]
    fields = ["name", "kind", "region", "country", "email", "is_active"]

    def save_model(self, request, obj, form, change):
        if not change:
            from django.contrib.auth.models import Group

            obj.group = Group.objects.create(name=f"org:{obj.name}"[:150])
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["user", "organisation", "role", "is_active"]

    def clean(self):
        cleaned = super().clean()
        actor = getattr(self, "actor", None)
        if (
            self.instance.pk is None
            and actor is not None
            and cleaned.get("user") == actor
            and cleaned.get("role") in PERSONAL_DATA_ROLES
        ):
            raise forms.ValidationError(
                "Nobody may give themselves a role that reads personal data."
            )
        return cleaned


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Granting and revoking go through the audited services; a granted role
    cannot be edited into another (revoke it and grant the new one)."""

    form = MembershipForm
    list_display = ["user", "organisation", "role", "is_active"]
    list_filter = ["role", "is_active", "organisation__kind"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user
        return form

    def get_readonly_fields(self, request, obj=None):
        return ["user", "organisation", "role"] if obj else []

    def save_model(self, request, obj, form, change):
        if not change:
            created = services.membership_create(
                user=obj.user,
                organisation=obj.organisation,
                role=obj.role,
                actor=request.user,
            )
            obj.pk = created.pk
        elif "is_active" in form.changed_data and not obj.is_active:
            services.membership_deactivate(membership_id=obj.pk, actor=request.user)
        # Re-activating is a new grant: add a membership instead.

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CountryProfile)
class CountryProfileAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "country",
        "is_active",
        "rg_decision_working_days",
        "recovery_period_days",
        "statistics_threshold",
    ]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["organisation", "kind", "is_active"]
    list_filter = ["kind", "is_active"]


@admin.register(Pathway)
class PathwayAdmin(admin.ModelAdmin):
    list_display = [
        "purpose",
        "region",
        "person_group",
        "sex",
        "exploitation_form",
        "service",
        "priority",
        "is_active",
    ]
    list_filter = ["purpose", "region", "person_group", "is_active"]
