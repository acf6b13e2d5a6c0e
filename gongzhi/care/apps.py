from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "gongzhi.care"
    label = "care"
    verbose_name = _("Care for residents")

    def ready(self) -> None:
        from gongzhi.care import messages  # noqa: F401  # registers the care registry's inbox messages
