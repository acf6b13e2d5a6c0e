from django.urls import path, register_converter

from gongzhi.analytics import station_views, views


class MonthConverter:
    regex = r"[0-9]{4}-[0-9]{2}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class ReportFormatConverter:
    """The monthly report comes as PDF or Excel; any other ending is not a page (404)."""

    regex = r"pdf|xlsx"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(MonthConverter, "month")
register_converter(ReportFormatConverter, "report_format")

app_name = "analytics"
urlpatterns = [
    path("", views.home, name="home"),
    path("node/<int:node_id>/", views.dashboard, name="dashboard"),
    path("node/<int:node_id>/panel/<slug:name>.json", views.panel, name="panel"),
    path("stations/<int:station_id>/day/", station_views.station_day, name="station_day"),
    path("node/<int:node_id>/report/<month:month>.<report_format:fmt>", views.report, name="report"),
]
