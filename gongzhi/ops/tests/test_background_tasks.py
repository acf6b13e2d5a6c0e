"""The background-task queue (django-tasks-db) is named in the admin's language, not "Tasks Database Backend"."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db


def test_the_admin_names_the_task_queue_in_chinese(admin_client):
    config = apps.get_app_config("django_tasks_database")  # the same app and label, tables unchanged
    assert type(config).__name__ == "BackgroundTasksConfig"
    index = admin_client.get(reverse("admin:index")).content.decode()
    assert "后台任务" in index and "任务结果" in index
    assert "Tasks Database Backend" not in index and "Task Results" not in index
    from gongzhi.notifications.tasks import retry_failed_task

    retry_failed_task.enqueue()  # one row, so the list shows its columns
    results = admin_client.get(reverse("admin:django_tasks_database_dbtaskresult_changelist")).content.decode()
    assert "入队时间" in results and "优先级" in results and "队列名称" in results
    with translation.override("en"):
        assert str(config.verbose_name) == "Background tasks"
