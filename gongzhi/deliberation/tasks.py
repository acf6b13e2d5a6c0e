"""Periodic jobs of deliberation, run by ``gongzhi worker``.

``close_due_votes`` closes every open vote whose closing time has passed and counts it (``services.close_vote``
with no actor: the worker). A vote closed meanwhile by someone else is skipped; running it again closes nothing.

``send_notice_texts`` texts each newly published notice (published within ``NEW_WITHIN``, not expired, not
withdrawn) to the active subscriptions of its buildings: ``services.claim_deliveries`` marks each subscription sent
in the same transaction that queues the text (``notifications.send_sms``), under the notice's row lock, so each is
texted once — also when two workers run at once or one restarts halfway. An expired notice is never sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from gongzhi.core import timeutil
from gongzhi.core.errors import Conflict, NotFound
from gongzhi.deliberation import services
from gongzhi.deliberation.choices import NoticeStatus
from gongzhi.deliberation.messages import NOTICE, NOTICE_URGENT
from gongzhi.deliberation.models import Notice, Subscription
from gongzhi.notifications import services as notifications

# A notice is texted when it is new: one published longer ago (the worker was stopped for days) is on the pages.
NEW_WITHIN = timedelta(days=1)
STOP_PATH = "/r/notices/stop/{token}/"


def stop_link(subscription: Subscription) -> str:
    """The opt-out page of a subscription: absolute with GONGZHI_PUBLIC_URL, else its path."""
    return (settings.GONGZHI_PUBLIC_URL or "").rstrip("/") + STOP_PATH.format(token=subscription.token)


def close_due_votes(*, now: datetime | None = None) -> int:
    """Worker: close the votes whose closing time has passed. Returns how many it closed."""
    now = now or timeutil.now()
    closed = 0
    for pk in services.votes_to_close(now=now):
        try:
            services.close_vote(vote=pk, actor=None, at=now)
        except (Conflict, NotFound):  # closed (or gone) meanwhile
            continue
        closed += 1
    return closed


def send_notice_texts(*, now: datetime | None = None) -> int:
    """Worker: text new notices to their buildings' subscribers, each once. Returns how many texts were queued."""
    now = now or timeutil.now()
    due = Notice.objects.filter(
        status=NoticeStatus.PUBLISHED, expires_at__gt=now, published_at__lte=now, published_at__gte=now - NEW_WITHIN
    ).values_list("pk", flat=True)
    sent = 0
    for pk in list(due):
        with transaction.atomic():
            subscriptions = services.claim_deliveries(notice=pk, at=now)
            if not subscriptions:
                continue
            notice = Notice.objects.get(pk=pk)
            kind = NOTICE_URGENT if notice.urgent else NOTICE
            for sub in Subscription.objects.filter(pk__in=[s.pk for s in subscriptions]).select_related(
                "building__compound"
            ):
                queued = notifications.send_sms(
                    phone=sub.phone,
                    kind=kind,
                    context={"title": notice.title, "building": str(sub.building), "link": stop_link(sub)},
                    subject=f"notice:{notice.pk}",
                )
                sent += int(queued is not None)
    return sent
