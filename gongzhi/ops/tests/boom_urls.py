"""The site's URLs plus one view that fails, for the tests that a server error is logged (test_error_logging)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from gongzhi.urls import handler400
from gongzhi.urls import urlpatterns as site_urlpatterns

__all__ = ["handler400", "urlpatterns"]


class BoomError(RuntimeError):
    pass


def boom(request: HttpRequest) -> HttpResponse:
    raise BoomError("a fault in the code, provoked by the test")


urlpatterns = [path("boom/", boom), *site_urlpatterns]
