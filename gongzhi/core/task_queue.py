"""The background task queue's app (django-tasks-db) under a name the admin can translate: its own is a plain
"Tasks Database Backend". Listed in INSTALLED_APPS in its place. (Not in ``core/apps.py``: a second AppConfig there
would stop Django from choosing ``CoreConfig`` for core.)"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig


class TasksDatabaseConfig(TasksAppConfig):
    verbose_name = _("Background tasks")
