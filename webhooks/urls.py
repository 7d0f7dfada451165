"""Routes of the webhook receiver."""
from django.urls import path

from webhooks import views

app_name = "webhooks"
urlpatterns = [path("bitbucket/<uuid:hook_id>/", views.receive, name="receive")]
