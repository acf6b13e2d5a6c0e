"""The staff login pages: Django's views with ``accounts.forms`` (limits, demo password), a 429 with Retry-After
when logging in is paused, and the staff session's length (``accounts.login.start_staff_session``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from gongzhi.accounts import forms, login


def _paused(response: HttpResponse, form: Any) -> HttpResponse:
    locked = getattr(form, "locked_out", None)
    if locked is not None:
        response.status_code = 429
        response["Retry-After"] = str(locked.retry_after)
    return response


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = forms.LoginForm

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        login.start_staff_session(self.request)
        return response

    def form_invalid(self, form: Any) -> HttpResponse:
        return _paused(super().form_invalid(form), form)


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's own login view (its template and checks) with the same form, answer and session length."""
    response = admin.site.login(request)
    if request.method == "POST" and response.status_code == 302 and request.user.is_authenticated:
        login.start_staff_session(request)
        return response
    context = getattr(response, "context_data", None) or {}
    return _paused(response, context.get("form"))


def _activating_user(uidb64: str, token: str) -> Any:
    """The account the link names when its token is good (not expired — PASSWORD_RESET_TIMEOUT — and not used: the
    token changes once a password is set), else None."""
    try:
        pk = force_str(urlsafe_base64_decode(uidb64))
        user = get_user_model()._default_manager.get(pk=pk)
    except (TypeError, ValueError, OverflowError, get_user_model().DoesNotExist):
        return None
    if not user.is_active or not default_token_generator.check_token(user, token):
        return None
    return user


@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
def activate(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """Set the first password of a new account (a steward appointed in the console gets the link by text message)."""
    user = _activating_user(uidb64, token)
    if user is None:
        response = render(request, "accounts/activate.html", {"invalid": True}, status=400)
    else:
        form = SetPasswordForm(user, request.POST or None)
        if request.method == "POST" and form.is_valid():
            form.save()
            messages.success(request, _("Your password is set. Log in with your user name and the new password."))
            return redirect("accounts:login")
        status = 400 if request.method == "POST" else 200
        response = render(request, "accounts/activate.html", {"form": form, "account": user}, status=status)
    # The link's token must not leak to another site; "no-referrer" would make the form's POST say Origin: null (CSRF).
    response["Referrer-Policy"] = "same-origin"
    return response
