from django.urls import path

from knowledge import views

app_name = "knowledge"
urlpatterns = [
    path("", views.layers, name="layers"),
    path("repositories/", views.repositories, name="repositories"),
    path("layers/create/", views.create_layers, name="create_layers"),
    path("layers/<int:pk>/", views.layer_detail, name="layer"),
    path("layers/<int:pk>/retry/", views.retry_layer, name="retry"),
    path("layers/<int:pk>/files/<path:path>", views.file_view, name="file"),
]
