"""Syncing 50 workspaces × 100 repositories from the sandbox: API calls made and seconds."""
from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import requests

from bench.harness import emit, sandbox

WORKSPACES = 50
REPOSITORIES = 100
TOKEN = "bench-api-token"
SCOPES = ["read:user:bitbucket", "read:workspace:bitbucket", "read:repository:bitbucket"]


def _seed(path: Path) -> None:
    seed = {
        "users": [{"nickname": "bench", "display_name": "Bench", "email": "bench@example.com",
                   "api_tokens": [{"token": TOKEN, "scopes": SCOPES}]}],
        "workspaces": [{"slug": f"ws-{w:02d}", "name": f"Workspace {w:02d}", "members": {"bench": "member"}} for w in range(WORKSPACES)],
        "repositories": [{"workspace": f"ws-{w:02d}", "slug": f"repo-{r:03d}"} for w in range(WORKSPACES) for r in range(REPOSITORIES)],
    }
    path.write_text(json.dumps(seed))


def run() -> None:
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from integrations.models import Repository, Workspace
    from integrations.services.connection import connection_connect_api_token
    from integrations.services.workspaces import workspaces_link

    with tempfile.TemporaryDirectory() as tmp:
        seed = Path(tmp) / "seed.json"
        _seed(seed)
        with sandbox(seed) as url:
            settings.BITBUCKET_API_URL = settings.BITBUCKET_WEB_URL = url
            user = get_user_model().objects.create_user(username="bench-sync", email="bench-sync@example.com")
            started = time.perf_counter()
            connection = connection_connect_api_token(user=user, email="bench@example.com", token=TOKEN)
            workspaces_link(connection=connection, workspace_ids=Workspace.objects.filter(connection=connection).values_list("pk", flat=True))
            seconds = time.perf_counter() - started
            calls = [r for r in requests.get(f"{url}/_sandbox/requests", timeout=30).json()["requests"] if r["path"].startswith("/2.0/")]
    loaded = Repository.objects.filter(workspace__connection=connection).count()
    assert loaded == WORKSPACES * REPOSITORIES, f"loaded {loaded} repositories"
    emit("sync_50x100", workspaces=WORKSPACES, repositories=loaded, api_calls=len(calls), seconds=round(seconds, 2),
         repositories_per_s=round(loaded / seconds, 1), database=settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1])
