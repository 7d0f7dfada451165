from django.urls import path, re_path

from knowledge.api import endpoints

urlpatterns = [
    path("openapi.json", endpoints.openapi, name="api_openapi"),
    path("layers", endpoints.layers, name="api_layers"),
    path("layers/<int:layer_id>", endpoints.layer, name="api_layer"),
    path("layers/<int:layer_id>/files", endpoints.files, name="api_files"),
    path("layers/<int:layer_id>/files/<path:path>", endpoints.file, name="api_file"),
    path("layers/<int:layer_id>/symbols", endpoints.symbols, name="api_symbols"),
    path("search", endpoints.search, name="api_search"),
    re_path(r"^(?P<rest>.*)$", endpoints.not_found, name="api_not_found"),  # every other path: a JSON 404
]
