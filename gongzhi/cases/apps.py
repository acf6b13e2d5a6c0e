from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "gongzhi.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from gongzhi.cases import messages  # noqa: F401 - registers the notification templates of case events
