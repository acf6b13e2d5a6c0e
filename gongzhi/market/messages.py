"""Text messages of the service market (registered with ``notifications`` when the app loads)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gongzhi.notifications.messages import register

register(
    "market.booked",
    label=_("Market booking confirmed"),
    title=_("Booked: %(service)s"),
    body=_("%(service)s at %(event)s, %(day)s %(time)s, %(place)s. Show code %(code)s at the stall."),
    sms=_("Booked: %(service)s, %(day)s %(time)s at %(place)s. Show code %(code)s at the stall."),
)
register(
    "market.waitlisted",
    label=_("Market waiting list"),
    title=_("On the waiting list: %(service)s"),
    body=_("%(service)s, %(day)s %(time)s is full. You are on the waiting list; we will text you if a place frees up."),
    sms=_("%(service)s, %(day)s %(time)s is full: you are on the waiting list. We will text you if a place frees up."),
)
register(
    "market.promoted",
    label=_("Market place freed"),
    title=_("A place for you: %(service)s"),
    body=_("A place freed up: %(service)s, %(day)s %(time)s at %(place)s is booked for you. Code %(code)s."),
    sms=_("A place freed up: %(service)s, %(day)s %(time)s at %(place)s is booked for you. Code %(code)s."),
)
register(
    "market.reminder",
    label=_("Market reminder"),
    title=_("Tomorrow: %(service)s"),
    body=_(
        "Tomorrow %(time)s: %(service)s at %(place)s. Code %(code)s. Cannot come? Please cancel on the bookings page."
    ),
    sms=_("Tomorrow %(time)s: %(service)s at %(place)s, code %(code)s. Cannot come? Please cancel it."),
)
register(
    "market.event_cancelled",
    label=_("Market event cancelled"),
    title=_("Cancelled: %(event)s"),
    body=_("%(event)s on %(day)s is cancelled: %(reason)s. Your booking for %(service)s is void."),
    sms=_("%(event)s on %(day)s is cancelled: %(reason)s. Your booking for %(service)s is void."),
)
