"""Top-level routes."""
from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from config.health import healthz
from knowledge.api.endpoints import not_found as api_not_found

# The admin signs in through Strata's own sign-in: throttled (shared cache) and two-factor aware.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="knowledge:layers", permanent=False)),
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages that name no icon (the admin's, a JSON answer): the same icon.
    path("favicon.ico", lambda request: HttpResponsePermanentRedirect(static("favicon.svg"))),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("integrations/", include("integrations.urls")),
    path("knowledge/", include("knowledge.urls")),
    path("search/", include("knowledge.search_urls")),
    path("webhooks/", include("webhooks.urls")),
    path("api/v1/", include("knowledge.api_urls")),
    path("api/v1", api_not_found),
    path("profile/", include("knowledge.profile_urls")),
]

handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
