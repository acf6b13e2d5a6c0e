from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StationsConfig(AppConfig):
    name = "gongzhi.stations"
    verbose_name = _("Stations and matters")
    default_auto_field = "django.db.models.BigAutoField"
