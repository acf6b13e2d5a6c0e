from django.urls import path

from gongzhi.console import case_views, circle_views, inbox_views, io_views, lists_views, station_views, views

app_name = "console"

urlpatterns = [
    path("", views.home, name="home"),
    path("grid/", views.areas, name="areas"),
    path("grid/<int:node_id>/", views.grid_node, name="grid_node"),
    path("grid/<int:node_id>/boundaries.geojson", views.grid_node_geojson, name="grid_node_geojson"),
    # Workbenches by role
    path("tasks/", case_views.tasks, name="tasks"),
    path("queue/", case_views.queue, name="queue"),
    path("department/", case_views.department, name="department"),
    path("department/tasks/<int:task_id>/report-in/", case_views.report_in, name="report_in"),
    path("clearance/", case_views.clearance, name="clearance"),
    path("record/", case_views.record, name="record"),
    # Command centre
    path("cases/", case_views.cases, name="cases"),
    path("cases/bulk/", case_views.cases_bulk, name="cases_bulk"),
    path("cases/map/", case_views.cases_map, name="cases_map"),
    path("cases/map.geojson", case_views.cases_geojson, name="cases_geojson"),
    path("cases/export.xlsx", io_views.cases_export, name="cases_export"),
    # One case
    path("cases/<int:case_id>/", case_views.case_detail, name="case"),
    path("cases/<int:case_id>/act/<slug:action>/", case_views.case_action, name="case_action"),
    path("cases/<int:case_id>/photos/<int:index>/", case_views.case_photo, name="case_photo"),
    path("cases/<int:case_id>/reporter-phone/", case_views.reveal_phone, name="reveal_phone"),
    path("cases/<int:case_id>/need/", lists_views.case_to_need, name="case_to_need"),
    # The lists (一台账三清单)
    path("lists/", lists_views.overview, name="lists"),
    path("lists/<slug:kind>/export.xlsx", lists_views.list_export, name="lists_export"),
    path("lists/<slug:kind>/template.xlsx", lists_views.list_template, name="lists_template"),
    path("lists/handbook/<int:node_id>.pdf", lists_views.handbook, name="lists_handbook"),
    path("lists/needs/", lists_views.needs, name="lists_needs"),
    path("lists/needs/new/", lists_views.need_new, name="lists_need_new"),
    path("lists/needs/<int:need_id>/", lists_views.need_detail, name="lists_need"),
    path("lists/needs/<int:need_id>/edit/", lists_views.need_edit, name="lists_need_edit"),
    path("lists/needs/<int:need_id>/<slug:action>/", lists_views.need_action, name="lists_need_action"),
    path("lists/resources/", lists_views.resources, name="lists_resources"),
    path("lists/resources/new/", lists_views.resource_new, name="lists_resource_new"),
    path("lists/resources/<int:resource_id>/", lists_views.resource_edit, name="lists_resource_edit"),
    path("lists/projects/", lists_views.projects, name="lists_projects"),
    path("lists/projects/new/", lists_views.project_new, name="lists_project_new"),
    path("lists/projects/<int:project_id>/", lists_views.project_detail, name="lists_project"),
    path("lists/projects/<int:project_id>/edit/", lists_views.project_edit, name="lists_project_edit"),
    # Stations (驿站)
    path("stations/", station_views.stations, name="stations"),
    path("stations/new/", station_views.station_new, name="station_new"),
    path("stations/circle/", circle_views.station_circle, name="station_circle"),
    path("stations/<int:station_id>/", station_views.station, name="station"),
    path("stations/<int:station_id>/edit/", station_views.station_edit, name="station_edit"),
    path("stations/<int:station_id>/rota/", station_views.station_rota, name="station_rota"),
    path("stations/<int:station_id>/visit/", station_views.station_visit, name="station_visit"),
    path("stations/<int:station_id>/walk-in/", station_views.station_walk_in, name="station_walk_in"),
    path("stations/<int:station_id>/errand/", station_views.station_errand, name="station_errand"),
    # Excel imports
    path("imports/", io_views.imports_page, name="imports"),
    path("imports/template.xlsx", io_views.import_template, name="import_template"),
    path("imports/<int:job_id>/", io_views.import_detail, name="import"),
    path("imports/<int:job_id>/progress/", io_views.import_progress, name="import_progress"),
    path("imports/<int:job_id>/problems.xlsx", io_views.import_errors, name="import_errors"),
    # Inbox
    path("inbox/", inbox_views.inbox, name="inbox"),
    path("inbox/read/", inbox_views.inbox_read, name="inbox_read"),
]
