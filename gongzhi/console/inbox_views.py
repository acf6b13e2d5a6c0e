"""The viewer's notification inbox (their own only)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from gongzhi.core.http import parse_id
from gongzhi.core.redirects import safe_next
from gongzhi.notifications import selectors, services

INBOX_SIZE = 100


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    rows = selectors.inbox_for(request.user, unread_only=unread_only, limit=INBOX_SIZE)
    return render(request, "console/inbox.html", {"rows": rows, "unread_only": unread_only})


@login_required
@require_POST
def inbox_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification (``id``) or all of them read; then follow its link when one is given."""
    ids = [i for i in map(parse_id, request.POST.getlist("id")) if i is not None]
    services.mark_read(user=request.user, notification_ids=ids or None)
    return redirect(safe_next(request, reverse("console:inbox")))
