from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketConfig(AppConfig):
    name = "gongzhi.market"
    label = "market"
    verbose_name = _("Service market")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from gongzhi.market import messages  # noqa: F401  # registers the market's text messages
        from gongzhi.market.models import FreeRule
        from gongzhi.market.services import forget_rules

        # A rule changed in this process is seen at once here (other processes within services.RULES_SECONDS).
        for signal in (post_save, post_delete):
            signal.connect(
                lambda **kwargs: forget_rules(), sender=FreeRule, weak=False, dispatch_uid=f"market-rules-{signal}"
            )
