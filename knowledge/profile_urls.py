from django.urls import path

from knowledge import profile

urlpatterns = [
    path("", profile.profile, name="profile"),
    path("tokens/", profile.create_token, name="create_token"),
    path("tokens/<int:pk>/revoke/", profile.revoke_token, name="revoke_token"),
]
