"""Routes of the webhook receiver."""
app_name = "webhooks"
urlpatterns: list = []
