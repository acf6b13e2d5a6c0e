from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolunteersConfig(AppConfig):
    name = "gongzhi.volunteers"
    label = "volunteers"
    verbose_name = _("Stewards, volunteers and party members")

    def ready(self) -> None:
        from gongzhi.volunteers import messages  # noqa: F401  # registers the text message of an appointment
