from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class RoutingConfig(AppConfig):
    name = "gongzhi.routing"
    label = "routing"
    verbose_name = _("Smart triage")

    def ready(self) -> None:
        # The per-process caches of models, thresholds and place names (services.py) are dropped at once when this
        # process changes them; other processes pick the change up when their copy expires.
        from gongzhi.routing import services
        from gongzhi.routing.models import Place, TriageModel, TriageSettings

        for model in (TriageModel, TriageSettings, Place):
            post_save.connect(services.invalidate, sender=model, dispatch_uid=f"routing-cache-{model.__name__}-save")
            post_delete.connect(
                services.invalidate, sender=model, dispatch_uid=f"routing-cache-{model.__name__}-delete"
            )
