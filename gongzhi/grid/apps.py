from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


def _forget_node(sender: Any, instance: Any, **kwargs: Any) -> None:
    from gongzhi.grid.selectors import forget_nodes

    forget_nodes(instance.pk)


class GridConfig(AppConfig):
    name = "gongzhi.grid"
    label = "grid"
    verbose_name = _("Grid")

    def ready(self) -> None:
        from gongzhi.grid.models import GridNode

        post_save.connect(_forget_node, sender=GridNode, dispatch_uid="gongzhi.grid.forget_node.save")
        post_delete.connect(_forget_node, sender=GridNode, dispatch_uid="gongzhi.grid.forget_node.delete")
