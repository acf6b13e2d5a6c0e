from django.urls import path, re_path

from gongzhi.api.api import api, not_found

urlpatterns = [
    path("", api.urls),
    # Anything else under /api/ is a JSON 404 too (never the HTML page), e.g. an id with an encoded slash.
    re_path(r"^(?P<rest>.*)$", not_found),
]
