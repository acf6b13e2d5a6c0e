from django.urls import path, re_path

from gongzhi.open311 import views

app_name = "open311"

FMT = r"\.(?P<fmt>[A-Za-z0-9]{1,8})"

urlpatterns = [
    path("", views.root, name="root"),
    re_path(rf"^discovery{FMT}$", views.discovery, name="discovery"),
    re_path(rf"^services{FMT}$", views.service_list, name="services"),
    re_path(rf"^services/(?P<code>[^/]{{1,64}}?){FMT}$", views.service_definition, name="service"),
    re_path(rf"^requests{FMT}$", views.requests, name="requests"),
    re_path(rf"^requests/(?P<request_id>[^/]{{1,64}}?){FMT}$", views.one_request, name="request"),
    re_path(rf"^tokens/(?P<token>[^/]{{1,64}}?){FMT}$", views.token, name="token"),
    # The service request updates extension; both names are in use.
    re_path(rf"^servicerequestupdates{FMT}$", views.request_updates, name="updates"),
    re_path(rf"^request_updates{FMT}$", views.request_updates, name="request_updates"),
]
