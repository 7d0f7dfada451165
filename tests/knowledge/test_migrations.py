"""Migrations that move data: what a deployment had before must read the same after."""
from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from integrations.models import Connection, Repository, Workspace

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE, AFTER = ("knowledge", "0004_vacuum_after_rebuilds"), ("knowledge", "0005_text_kept_in_chunks")


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


@pytest.fixture
def repository(django_user_model):
    user = django_user_model.objects.create_user(username="old", email="old@example.com")
    link = Connection.objects.create(user=user, auth_method=Connection.AuthMethod.API_TOKEN)
    workspace = Workspace.objects.create(connection=link, uuid="{w}", slug="w", name="W")
    return Repository.objects.create(workspace=workspace, uuid="{r}", slug="r", name="r", full_name="w/r")


def test_file_text_stored_on_files_moves_into_chunks_and_back(repository):
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("knowledge")[0]
    try:
        apps = _migrate(BEFORE)
        generation = apps.get_model("knowledge", "Generation").objects.create(
            layer=apps.get_model("knowledge", "KnowledgeLayer").objects.create(repository_id=repository.pk), number=1)
        LayerFile, ContentChunk = apps.get_model("knowledge", "LayerFile"), apps.get_model("knowledge", "ContentChunk")
        own = "def old():\n    pass\n" * 30 + "x" * 6000 + "\n"
        own_file = LayerFile.objects.create(generation=generation, path="a.py", size=1, sha256="0" * 64, content=own)
        # Before: the indexed chunks were cut lossily (a long line cut at 4096); vendored files had none.
        ContentChunk.objects.create(generation=generation, file=own_file, start_line=1, text=own[:4096])
        LayerFile.objects.create(generation=generation, path="vendor/v.js", size=1, sha256="0" * 64, is_vendored=True,
                                 content="function vendored() {}\n")

        apps = _migrate(AFTER)
        chunks = apps.get_model("knowledge", "ContentChunk").objects.order_by("file__path", "start_line")
        by_path = {}
        for chunk in chunks:
            by_path.setdefault(chunk.file.path, []).append(chunk)
        assert "\n".join(c.text for c in by_path["a.py"]) == own and all(c.searchable for c in by_path["a.py"])
        assert [(c.text, c.searchable) for c in by_path["vendor/v.js"]] == [("function vendored() {}\n", False)]
        if connection.vendor == "sqlite":  # the FTS5 table follows: the old chunk gone, only searchable text in
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM knowledge_contentchunk_fts WHERE knowledge_contentchunk_fts MATCH '\"vendored\"'")
                assert cursor.fetchone()[0] == 0
                cursor.execute("SELECT rowid FROM knowledge_contentchunk_fts WHERE knowledge_contentchunk_fts MATCH '\"def old\"'")
                assert sorted(row[0] for row in cursor.fetchall()) == [c.pk for c in by_path["a.py"] if "def old" in c.text]

        apps = _migrate(BEFORE)
        files = dict(apps.get_model("knowledge", "LayerFile").objects.values_list("path", "content"))
        assert files == {"a.py": own, "vendor/v.js": "function vendored() {}\n"}
    finally:
        _migrate(latest)
