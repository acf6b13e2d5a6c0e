from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketConfig(AppConfig):
    name = "gongzhi.market"
    label = "market"
    verbose_name = _("Service market")

    def ready(self) -> None:
        from gongzhi.market import messages  # noqa: F401  # registers the market's text messages
