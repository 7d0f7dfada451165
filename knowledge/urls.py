from django.urls import path

from knowledge import layer_views, views

app_name = "knowledge"
urlpatterns = [
    path("", views.layers, name="layers"),
    path("repositories/", views.repositories, name="repositories"),
    path("layers/create/", views.create_layers, name="create_layers"),
    path("layers/<int:pk>/", layer_views.layer_detail, name="layer"),
    path("layers/<int:pk>/status/", layer_views.layer_status, name="layer_status"),
    path("layers/<int:pk>/retry/", views.retry_layer, name="retry"),
    path("layers/<int:pk>/delete/", layer_views.layer_delete_view, name="delete"),
    path("layers/<int:pk>/files/<path:path>", layer_views.file_view, name="file"),
]
