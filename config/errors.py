"""Error answers that fit the asker: JSON under /api/ (agents parse every answer), Django's own
pages elsewhere. Wired as the project's handler400/403/404/500."""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

API_PREFIX = "/api/"


def _api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def json_error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": {"message": message}}, status=status)


def bad_request(request: HttpRequest, exception: Exception, template_name: str = defaults.ERROR_400_TEMPLATE_NAME) -> HttpResponse:
    if _api(request):
        return json_error(400, "The request could not be read.")
    return defaults.bad_request(request, exception, template_name)


def permission_denied(request: HttpRequest, exception: Exception,
                      template_name: str = defaults.ERROR_403_TEMPLATE_NAME) -> HttpResponse:
    if _api(request):
        return json_error(403, "Not allowed.")
    return defaults.permission_denied(request, exception, template_name)


def page_not_found(request: HttpRequest, exception: Exception, template_name: str = defaults.ERROR_404_TEMPLATE_NAME) -> HttpResponse:
    if _api(request):
        return json_error(404, "Not found: the endpoints are described at /api/v1/openapi.json.")
    return defaults.page_not_found(request, exception, template_name)


def server_error(request: HttpRequest, template_name: str = defaults.ERROR_500_TEMPLATE_NAME) -> HttpResponse:
    if _api(request):
        return json_error(500, "Something went wrong on our side; it has been logged. Try again later.")
    return defaults.server_error(request, template_name)
