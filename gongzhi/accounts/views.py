"""The staff login pages: Django's views with ``accounts.forms`` (limits, demo password), a 429 with Retry-After
when logging in is paused, and the staff session's length (``accounts.login.start_staff_session``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse

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
