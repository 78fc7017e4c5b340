from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied

from .models import (
    AccessLogEntry,
    Agency,
    Invitation,
    Membership,
    Partnership,
    SentReminder,
    User,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["partnership", "agency"]

    # Roles are given by invitations (which the partnership's chairs are told of), or here by a
    # superuser: a staff account that could add one could make itself chair of any partnership.
    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_change_permission(request, obj)


# What makes an account a superuser, staff, or gives it permissions: given only by a superuser.
# A staff account that could tick them could make itself a superuser, who reads every
# partnership's case-level data, whatever permissions it was given (Django's own warning).
PRIVILEGES = ("is_staff", "is_superuser", "groups", "user_permissions")


def _holds_something(user) -> bool:
    """Whether signing in as `user` would give anything: an address a reset link goes to, a
    role in a partnership, or the rights of staff or a superuser."""
    return bool(user.email or user.is_staff or user.is_superuser or user.memberships.exists())


@admin.register(User)
class MacaUserAdmin(UserAdmin):
    inlines = [MembershipInline]

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return fields
        # An address is added where there is none, on an account that holds nothing yet; one
        # there is kept: changed (or, on an account with a role or the staff's rights, added)
        # as the staff account's own, a reset link would sign them in as its owner.
        kept = ("email",) if obj is not None and _holds_something(obj) else ()
        return (*fields, *(name for name in (*PRIVILEGES, *kept) if name not in fields))

    def user_change_password(self, request, id, form_url=""):
        """Setting someone's password is signing in as them: a superuser's alone. Anyone else
        who forgot theirs asks for a reset link, which goes to their own address."""
        if not request.user.is_superuser:
            raise PermissionDenied("Only a superuser can set someone's password.")
        return super().user_change_password(request, id, form_url)


@admin.register(Partnership)
class PartnershipAdmin(admin.ModelAdmin):
    """Installation staff create partnerships; its administrator keeps its settings and logo
    (uploaded through MACA's own checks, so not here)."""

    search_fields = ["name"]
    fields = ["name"]

    def response_add(self, request, obj, post_url_continue=None):
        # The partnership's first administrator is invited from the command line, by email.
        self.message_user(
            request,
            f"Next, invite its first partnership administrator: manage.py invite_administrator "
            f'EMAIL --partnership "{obj.name}". They invite everyone else from MACA\'s pages.',
        )
        return super().response_add(request, obj, post_url_continue)


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "partnership", "sector"]
    list_filter = ["partnership", "sector"]
    search_fields = ["name"]
    autocomplete_fields = ["partnership"]

    # An agency's audits, actions, members and chronologies are all of its partnership: moved
    # to another, they would be another partnership's agency's. Chosen once, when it is added.
    def get_readonly_fields(self, request, obj=None):
        return ["partnership"] if obj is not None else []


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "partnership", "role", "agency"]
    list_filter = ["role", "partnership"]
    search_fields = ["user__username", "user__email", "agency__name"]
    autocomplete_fields = ["user", "partnership", "agency"]

    # Given by a superuser only (see MembershipInline); any staff allowed may end one.
    def has_add_permission(self, request):
        return request.user.is_superuser and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_change_permission(request, obj)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Read, or deleted to erase an address: an invitation is made from an audit's Members page
    or the partnership's People page and accepted by its link."""

    list_display = ["email", "partnership", "role", "agency", "expires", "accepted_at"]
    list_filter = ["role", "partnership"]
    search_fields = ["email"]
    exclude = ["token_hash"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows nobody adds, changes or deletes at /admin/: evidence, shown as it was written."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ReadOnlyAdmin):
    """Read-only: entries are evidence for the data protection officer."""

    list_display = ["at", "username", "action", "path", "ip_address"]
    list_filter = ["action"]
    search_fields = ["username", "path"]


@admin.register(SentReminder)
class SentReminderAdmin(admin.ModelAdmin):
    list_display = ["key", "user", "sent_at"]


# A group is a set of permissions: a staff account allowed to change groups could give its own
# group every permission, superuser in all but name. Groups are a superuser's alone.
admin.site.unregister(Group)


@admin.register(Group)
class SuperusersGroupAdmin(GroupAdmin):
    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
