from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliberationConfig(AppConfig):
    name = "gongzhi.deliberation"
    label = "deliberation"
    verbose_name = _("Deliberation and notices")

    def ready(self) -> None:
        from gongzhi.deliberation import messages  # noqa: F401  # registers the notices' text messages
