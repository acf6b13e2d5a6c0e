"""Django admin for the grid. Writes that carry rules (paths, boundary versions, post placement) go through services."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from gongzhi.core.errors import DomainError
from gongzhi.grid import geo, roles, services
from gongzhi.grid.models import Building, Compound, Department, GridNode, Jurisdiction, StaffPost


@admin.register(Jurisdiction)
class JurisdictionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "boundary_version", "created_at")
    search_fields = ("code", "name")
    readonly_fields = ("boundary_version", "created_at")


class GridNodeForm(forms.ModelForm):
    class Meta:
        model = GridNode
        fields = ("jurisdiction", "parent", "level", "code", "name", "boundary", "sort_order")

    def clean_boundary(self):
        boundary = self.cleaned_data.get("boundary")
        if boundary:
            try:
                geo.geometry_from_geojson(boundary)
            except geo.BoundaryError as exc:
                raise forms.ValidationError(str(exc)) from None
        return boundary or None

    def clean(self):
        data = super().clean()
        if self.instance.pk is None and data.get("level"):
            try:
                services.validate_child_level(data.get("parent"), data["level"])
            except DomainError as exc:
                raise forms.ValidationError(exc.message) from None
        elif self.instance.pk is not None and (
            data.get("parent") != self.instance.parent or data.get("level") != self.instance.level
        ):
            raise forms.ValidationError(_("Moving a node or changing its level is done by re-importing the grid."))
        return data


@admin.register(GridNode)
class GridNodeAdmin(admin.ModelAdmin):
    form = GridNodeForm
    list_display = ("name", "level", "code", "parent", "jurisdiction")
    list_filter = ("jurisdiction", "level")
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)
    readonly_fields = ("path", "centroid_lat", "centroid_lon")
    list_select_related = ("parent", "jurisdiction")

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            created = services.add_node(
                jurisdiction=data["jurisdiction"],
                parent=data.get("parent"),
                level=data["level"],
                code=data["code"],
                name=data["name"],
                boundary=data.get("boundary"),
                sort_order=data.get("sort_order") or 0,
            )
            obj.pk = created.pk
            return
        boundary_changed = "boundary" in form.changed_data
        GridNode.objects.filter(pk=obj.pk).update(code=obj.code, name=obj.name, sort_order=obj.sort_order)
        if boundary_changed:
            services.set_boundary(node=obj, boundary=data.get("boundary"))


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "service_area", "phone", "active")
    list_filter = ("jurisdiction", "kind", "active")
    search_fields = ("code", "name")
    raw_id_fields = ("service_area",)


@admin.register(Compound)
class CompoundAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "node", "property_company")
    list_filter = ("jurisdiction",)
    search_fields = ("code", "name", "address")
    raw_id_fields = ("node", "property_company")


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "compound", "node", "households")
    list_filter = ("jurisdiction",)
    search_fields = ("code", "name", "address")
    raw_id_fields = ("node", "compound")
    readonly_fields = ("public_token",)
    list_select_related = ("compound", "node")


class StaffPostForm(forms.ModelForm):
    class Meta:
        model = StaffPost
        fields = (
            "user",
            "jurisdiction",
            "role",
            "node",
            "department",
            "title",
            "duty",
            "public_phone",
            "photo",
            "is_public",
            "active",
        )

    def clean(self):
        data = super().clean()
        node, department = data.get("node"), data.get("department")
        if node and department:
            raise forms.ValidationError(_("A post sits on a grid node or on a department, not both."))
        if data.get("role"):
            problem = roles.post_placement_error(
                data["role"], level=node.level if node else None, on_department=department is not None
            )
            if problem:
                raise forms.ValidationError(problem)
        place = node or department
        if place and data.get("jurisdiction") and place.jurisdiction_id != data["jurisdiction"].pk:
            raise forms.ValidationError(_("The node or department belongs to another jurisdiction."))
        return data


@admin.register(StaffPost)
class StaffPostAdmin(admin.ModelAdmin):
    form = StaffPostForm
    list_display = ("user", "role", "node", "department", "title", "public_phone", "is_public", "active")
    list_filter = ("jurisdiction", "role", "active", "is_public")
    search_fields = ("user__username", "user__display_name", "title")
    raw_id_fields = ("user", "node", "department")
    list_select_related = ("user", "node", "department")
