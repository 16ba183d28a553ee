"""Configuration only. No model holding personal data of a person is
registered here, and none may be (a test checks)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from nrm.models import CountryProfile, Membership, Organisation, Pathway, Service, User


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    extra = 0
    fields = ["organisation", "role", "is_active"]


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


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role", "is_active"]
    list_filter = ["role", "is_active", "organisation__kind"]
    fields = ["user", "organisation", "role", "is_active"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if obj.is_active:
            obj.user.groups.add(obj.organisation.group)


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
