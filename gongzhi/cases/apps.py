from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "gongzhi.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from gongzhi.cases import catalogue_cache, messages  # noqa: F401 - messages registers notification templates
        from gongzhi.cases.models import CaseCategory, SlaPolicy

        for model in (CaseCategory, SlaPolicy):
            for signal in (post_save, post_delete):
                signal.connect(
                    catalogue_cache.invalidate, sender=model, dispatch_uid=f"gongzhi.cases.cache.{model.__name__}"
                )
