from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import AccountClosure, ParentalConsent, Profile, User


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    extra = 0


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [ProfileInline]
    list_display = ("username", "email", "is_active", "is_staff", "date_joined")
    readonly_fields = ("public_id", "last_login", "date_joined")
    fieldsets = (*(DjangoUserAdmin.fieldsets or ()), ("Public id", {"fields": ("public_id",)}))


@admin.register(ParentalConsent)
class ParentalConsentAdmin(admin.ModelAdmin):
    list_display = ("child", "status", "expires_at", "decided_at")
    list_filter = ("status",)
    readonly_fields = ("token_hash",)


@admin.register(AccountClosure)
class AccountClosureAdmin(admin.ModelAdmin):
    list_display = ("user", "closed_at", "delete_after")
    date_hierarchy = "delete_after"
