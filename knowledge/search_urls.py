from django.urls import path

from knowledge import views

urlpatterns = [path("", views.search, name="search")]
