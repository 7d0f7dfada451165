from django.urls import path

from knowledge import api

urlpatterns = [
    path("layers", api.layers, name="api_layers"),
    path("search", api.search_view, name="api_search"),
    path("layers/<int:layer_id>/files/<path:path>", api.file, name="api_file"),
    path("layers/<int:layer_id>/symbols", api.symbols, name="api_symbols"),
]
