from django.urls import path

from gongzhi.console import case_views, circle_views, inbox_views, io_views, station_views, views

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
