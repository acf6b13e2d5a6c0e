from django.urls import path

from gongzhi.console import views

app_name = "console"

urlpatterns = [
    path("", views.home, name="home"),
    path("grid/<int:node_id>/", views.grid_node, name="grid_node"),
    path("grid/<int:node_id>/boundaries.geojson", views.grid_node_geojson, name="grid_node_geojson"),
]
