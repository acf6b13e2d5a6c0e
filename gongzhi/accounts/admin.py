from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.forms import AdminLoginForm
from gongzhi.accounts.models import User

# The admin's login goes through the same limits and demo-password rule as the console's (accounts.login).
admin.site.login_form = AdminLoginForm


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "masked_phone", "is_staff", "is_active")
    search_fields = ("username", "display_name")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Contact"), {"fields": ("display_name", "phone")}),
    )

    @admin.display(description=_("mobile phone"))
    def masked_phone(self, obj: User) -> str:
        return obj.masked_phone

    def save_model(self, request, obj, form, change):
        # Keep the blind index in step with whatever phone was typed in the form.
        obj.set_phone(obj.phone or "")
        super().save_model(request, obj, form, change)
