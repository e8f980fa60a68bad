from __future__ import annotations

from contextlib import suppress
from typing import Any

from allauth.account.models import EmailAddress, EmailConfirmation
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext, gettext_lazy

from roamwise.audit.admin import PersonalDataAdmin, can_see_contact, current_grant
from roamwise.audit.masking import mask_email, mask_phone
from roamwise.audit.models import AccessEvent

from . import services
from .models import AccountClosure, ParentalConsent, Profile, User

# allauth's own admin pages would show emails, sessions and authenticators
# without a reason or an audit record; staff see them through the user page.
for model in (EmailAddress, EmailConfirmation, Authenticator, UserSession):
    with suppress(NotRegistered):
        admin.site.unregister(model)


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    extra = 0
    readonly_fields = ("masked_phone",)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and can_see_contact(request, obj):
            return ["phone", "date_of_birth"]
        return ["masked_phone", "date_of_birth"]

    @admin.display(description="Phone")
    def masked_phone(self, profile: Profile) -> str:
        return mask_phone(profile.phone)


class StaffUserChangeForm(UserChangeForm):
    """The customer form of the back office: a new sign-in email must be free."""

    def clean_email(self) -> str:
        email = BaseUserManager.normalize_email(self.cleaned_data.get("email") or "")
        current = self.instance.email or ""
        if email.lower() == current.lower():
            return current
        if not email:
            raise forms.ValidationError(gettext_lazy("The sign-in email cannot be removed."))
        taken = User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists()
        taken = taken or (
            EmailAddress.objects.filter(email__iexact=email)
            .exclude(user_id=self.instance.pk)
            .exists()
        )
        if taken:
            raise forms.ValidationError(gettext_lazy("This address belongs to another account."))
        return email


@admin.register(User)
class UserAdmin(PersonalDataAdmin, DjangoUserAdmin):
    form = StaffUserChangeForm
    inlines = [ProfileInline]
    inline_personal_fields = {"profile": ("phone", "date_of_birth")}
    list_display = ("username", "masked_email", "is_active", "is_staff", "date_joined")
    readonly_fields = ("public_id", "last_login", "date_joined", "masked_email")
    # Names are encrypted and cannot be searched; see get_search_fields.
    search_fields = ("username",)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is None:
            return fieldsets
        show_contact = can_see_contact(request, obj)
        result = []
        for title, options in fieldsets:
            fields = list(options["fields"])
            if not show_contact:
                fields = ["masked_email" if f == "email" else f for f in fields]
            result.append((title, {**options, "fields": fields}))
        result.append(("Public id", {"fields": ("public_id",)}))
        return result

    @admin.display(description="Email")
    def masked_email(self, user: User) -> str:
        return mask_email(user.email)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # A sign-in identity: staff cannot give an account another one
            # (ACC-04). The email changes only through its owner's confirmation.
            fields.append("username")
        if not request.user.is_superuser:
            # Only a superuser grants powers; nobody else can raise their own.
            fields += ["is_superuser", "is_staff", "groups", "user_permissions"]
        return fields

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """A new sign-in email is not set here: it is sent for confirmation to
        its owner, the current address is told, and the request is audited with
        the reason given when the record was opened (ACC-04, SEC-04)."""
        new_email = ""
        if change and "email" in form.changed_data:
            new_email = form.cleaned_data["email"]
            obj.email = form.initial.get("email") or ""  # stays until the owner confirms
            form.changed_data.remove("email")
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            if new_email:
                grant = current_grant(request, obj) or {}
                self._record(
                    request,
                    obj,
                    AccessEvent.Action.CHANGE,
                    ["email"],
                    grant.get("reason", "changed in the back office"),
                )
                services.email_change_by_staff(
                    user=obj,
                    new_email=new_email,
                    staff=request.user,  # type: ignore[arg-type]
                    request=request,
                )
        if new_email:
            messages.info(
                request,
                gettext(
                    "The new email address was sent a confirmation link. It becomes the "
                    "sign-in address once its owner follows it; the current address was told."
                ),
            )

    def get_search_fields(self, request: HttpRequest) -> Any:
        # Searching by email would tell a role without contact access whether
        # an address belongs to a customer.
        if request.user.has_perm("accounts.view_contact_details"):
            return ("username", "email")
        return ("username",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # An account is erased through the data map (rights.erasure): records
        # kept by law stay, minimised, and the rest goes, keys first. A plain
        # delete here would do neither; staff erase through a rights request.
        return False

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        if not request.user.is_superuser:
            raise PermissionDenied(gettext("Customers reset their own password by email."))
        return super().user_change_password(request, id, form_url)


@admin.register(ParentalConsent)
class ParentalConsentAdmin(PersonalDataAdmin):
    list_display = ("child", "status", "expires_at", "decided_at")
    list_filter = ("status",)
    readonly_fields = ("token_hash",)


@admin.register(AccountClosure)
class AccountClosureAdmin(PersonalDataAdmin):
    list_display = ("user", "closed_at", "delete_after")
    date_hierarchy = "delete_after"
