"""Strings Django 6.1 and the packages we install show in the interface but whose zh_Hans catalogues lack (the
admin's "Filter by …", forms' "- Select an option -", the task queue's admin). Marked here so ``make messages``
keeps them in our catalogue, which Django reads after its own (LOCALE_PATHS wins). Never imported.

``core/tests/test_django_catalogue.py`` compares the installed Django's English and Chinese catalogues and fails
when a string they lack is missing here, so a Django upgrade that adds some names them. The admin's JavaScript
strings are in ``locale/zh_Hans/LC_MESSAGES/djangojs.po`` (kept by hand: ``make messages`` only compiles it).
"""

from django.utils.translation import gettext_noop, ngettext_lazy

DJANGO = [
    # django/conf/locale
    gettext_noop("- Select an option -"),
    gettext_noop("“%(value)s” is not a valid binary value."),
    gettext_noop("No %s matches the given query."),
    # django/contrib/admin
    gettext_noop('The app "%s" could not be found.'),
    gettext_noop(", "),
    gettext_noop("Filter by %(field_name)s"),
    gettext_noop("Logout"),
]
MORE_OBJECTS = ngettext_lazy("…and %(count)d more object.", "…and %(count)d more objects.", "count")

# django-tasks-db (the background tasks' admin): no catalogue of its own.
TASKS = [
    gettext_noop("Background tasks"),
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
]
