from django.urls import path

from knowledge import search_views

urlpatterns = [path("", search_views.search, name="search")]
