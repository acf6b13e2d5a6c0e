"""The login forms of the console and the admin, both through ``accounts.login``'s limits and demo-password rule."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from gongzhi.accounts import login
from gongzhi.core.errors import DomainError


class LimitedLoginMixin(forms.Form):
    """Refuses before checking the password when a limit is reached or the demo password is typed outside demo
    mode; counts the attempt; gives the count back when the password was right. ``locked_out`` is set (with the
    seconds to wait) when the login was refused for the limits, so the view can answer 429."""

    request: Any
    locked_out: login.LockedOut | None = None

    @sensitive_variables("password")
    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return super().clean()  # type: ignore[no-any-return]
        try:
            attempt = login.begin(self.request, username)
        except login.LockedOut as exc:
            self.locked_out = exc
            raise forms.ValidationError(exc.message, code=exc.code) from None
        try:
            login.refuse_demo_password(password)
        except DomainError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None
        try:
            return super().clean()  # type: ignore[no-any-return]
        finally:
            if getattr(self, "user_cache", None) is not None:
                # The password was right: not a guess, even when the login is refused after it (not staff).
                attempt.succeeded()


class LoginForm(LimitedLoginMixin, AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The user name or password is not right. Please try again."),
    }


class AdminLoginForm(LimitedLoginMixin, AdminAuthenticationForm):
    pass
