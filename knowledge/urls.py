from django.urls import path

from knowledge import views

app_name = "knowledge"
urlpatterns = [
    path("", views.layers, name="layers"),
    path("repositories/", views.repositories, name="repositories"),
]
