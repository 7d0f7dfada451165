from django.urls import path

from integrations import views

app_name = "integrations"
urlpatterns = [
    path("", views.index, name="index"),
    path("bitbucket/token/", views.connect_api_token, name="connect_api_token"),
    path("bitbucket/disconnect/", views.disconnect, name="disconnect"),
    path("bitbucket/workspaces/", views.workspaces, name="workspaces"),
    path("bitbucket/workspaces/list/", views.workspaces_partial, name="workspaces_partial"),
    path("bitbucket/workspaces/link/", views.workspaces_link_view, name="workspaces_link"),
    path("bitbucket/workspaces/refresh/", views.workspaces_refresh_view, name="workspaces_refresh"),
    path("bitbucket/workspaces/<int:pk>/disconnect/", views.workspace_disconnect_view, name="workspace_disconnect"),
]
