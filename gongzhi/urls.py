from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog

admin.site.site_header = "共治 gongzhi"
admin.site.site_title = "共治 gongzhi"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="console:home", permanent=False)),
    path("accounts/", include("gongzhi.accounts.urls")),
    path("console/", include("gongzhi.console.urls")),
    path("r/", include("gongzhi.portal.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
]
