"""django-tasks-db (the background-task queue that ``gongzhi worker`` runs) under a translated name in the admin.

Its own app config calls it "Tasks Database Backend", in English only. ``BackgroundTasksConfig`` is installed in its
place (settings.INSTALLED_APPS): the same app, label and tables, with a name in the reader's language.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django_tasks_db.apps import TasksAppConfig


class BackgroundTasksConfig(TasksAppConfig):
    verbose_name = _("Background tasks")


# django-tasks-db ships no Chinese catalogue. Its model and field names are gettext strings, and gettext looks a msgid
# up in every catalogue: marking them here keeps them in ours (gongzhi/locale), so the admin shows them in Chinese.
TASK_WORDS = (
    gettext_noop("Task Result"),
    gettext_noop("Task Results"),
    gettext_noop("enqueued at"),
    gettext_noop("started at"),
    gettext_noop("finished at"),
    gettext_noop("args kwargs"),
    gettext_noop("priority"),
    gettext_noop("task path"),
    gettext_noop("worker id"),
    gettext_noop("queue name"),
    gettext_noop("backend name"),
    gettext_noop("run after"),
    gettext_noop("return value"),
    gettext_noop("exception class path"),
    gettext_noop("traceback"),
)
