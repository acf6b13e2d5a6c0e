from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from gongzhi.accounts import views as accounts_views
from gongzhi.portal import views as portal_views

# Bad input is a 400 that says what was wrong (core.http.BadInput).
handler400 = "gongzhi.core.http.bad_request"

admin.site.site_header = "共治 gongzhi"
admin.site.site_title = "共治 gongzhi"

urlpatterns = [
    # Machine interfaces first: other systems call them many times a second, and URLs are tried in order.
    path("open311/v2/", include("gongzhi.open311.urls")),
    path("api/", include("gongzhi.api.urls")),
    # The public face is the resident home; staff who are signed in go on to their console (portal.views.root).
    path("", portal_views.root, name="root"),
    path("favicon.ico", portal_views.favicon, name="favicon"),
    path("accounts/", include("gongzhi.accounts.urls")),
    path("console/", include("gongzhi.console.urls")),
    path("analytics/", include("gongzhi.analytics.urls")),
    # 公开: the public transparency page, on the resident site (before the portal so it is matched first).
    path("r/figures/", include("gongzhi.analytics.public_urls")),
    path("r/", include("gongzhi.portal.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    # The admin's login with the staff login's 429 and session length (accounts.views), before the admin's own.
    path("admin/login/", accounts_views.admin_login),
    path("admin/", admin.site.urls),
]
