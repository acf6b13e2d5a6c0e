from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "gongzhi.portal"
    label = "portal"
    verbose_name = _("Resident portal")

    def ready(self) -> None:
        from gongzhi.portal import messages  # noqa: F401 - registers the login-code text message
