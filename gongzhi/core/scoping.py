"""The scoping protocol every selector follows: reads take the viewer, and out of scope is 404.

A selector returns a queryset already restricted to what the viewer may see; views fetch single objects through
``get_in_scope`` so that "not yours" and "does not exist" are the same answer (DESIGN.md §3).
"""

from __future__ import annotations

from typing import Any

from django.db import models

from gongzhi.core.errors import NotFound, gettext_noop


def get_in_scope[M: models.Model](queryset: models.QuerySet[M], **lookup: Any) -> M:
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise NotFound(gettext_noop("%(what)s not found"), params={"what": queryset.model._meta.verbose_name}) from None
