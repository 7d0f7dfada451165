"""Migrations that move data: what a deployment had before must read the same after."""
from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from integrations.models import Connection, Repository, Workspace

pytestmark = pytest.mark.django_db(transaction=True)

LANDED = ("knowledge", "0002_search_index")  # where deployments were before file text moved into chunks


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


def _fts_ids(phrase: str) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rowid FROM knowledge_contentchunk_fts WHERE knowledge_contentchunk_fts MATCH %s", [f'"{phrase}"'])
        return sorted(row[0] for row in cursor.fetchall())


def _fts_intact() -> None:
    # Raises "database disk image is malformed" when the index is damaged (rank 0: the index alone,
    # as it deliberately leaves out the chunks that are not searchable).
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO knowledge_contentchunk_fts(knowledge_contentchunk_fts, rank) VALUES ('integrity-check', 0)")


@pytest.fixture
def repository(django_user_model):
    user = django_user_model.objects.create_user(username="old", email="old@example.com")
    link = Connection.objects.create(user=user, auth_method=Connection.AuthMethod.API_TOKEN)
    workspace = Workspace.objects.create(connection=link, uuid="{w}", slug="w", name="W")
    return Repository.objects.create(workspace=workspace, uuid="{r}", slug="r", name="r", full_name="w/r")


def test_file_text_stored_on_files_moves_into_chunks_and_back(repository):
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("knowledge")[0]
    try:
        apps = _migrate(LANDED)
        generation = apps.get_model("knowledge", "Generation").objects.create(
            layer=apps.get_model("knowledge", "KnowledgeLayer").objects.create(repository_id=repository.pk), number=1)
        LayerFile, ContentChunk = apps.get_model("knowledge", "LayerFile"), apps.get_model("knowledge", "ContentChunk")
        own = "def old():\n    pass\n" * 30 + "x" * 6000 + "\n"
        own_file = LayerFile.objects.create(generation=generation, path="a.py", size=1, sha256="0" * 64, content=own)
        # Before: the indexed chunks were cut lossily (a long line cut at 4096); vendored files had none.
        ContentChunk.objects.create(generation=generation, file=own_file, start_line=1, text=own[:4096])
        LayerFile.objects.create(generation=generation, path="vendor/v.js", size=1, sha256="0" * 64, is_vendored=True,
                                 content="function vendored() {}\n")

        apps = _migrate(latest)
        by_path = {}
        for chunk in apps.get_model("knowledge", "ContentChunk").objects.order_by("file__path", "start_line"):
            by_path.setdefault(chunk.file.path, []).append(chunk)
        assert "\n".join(c.text for c in by_path["a.py"]) == own and all(c.searchable for c in by_path["a.py"])
        assert [(c.text, c.searchable) for c in by_path["vendor/v.js"]] == [("function vendored() {}\n", False)]
        if connection.vendor == "sqlite":  # the FTS5 table holds exactly the searchable chunks
            _fts_intact()
            assert _fts_ids("def old") == [c.pk for c in by_path["a.py"] if "def old" in c.text]
            assert _fts_ids("vendored") == []

        apps = _migrate(LANDED)
        files = dict(apps.get_model("knowledge", "LayerFile").objects.values_list("path", "content"))
        assert files == {"a.py": own, "vendor/v.js": "function vendored() {}\n"}
        if connection.vendor == "sqlite":
            _fts_intact()
    finally:
        _migrate(latest)


def test_after_all_migrations_the_content_search_index_is_in_place():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # Django rebuilds a SQLite table to alter it, which drops its triggers: a later migration
            # that alters knowledge_contentchunk must create them again.
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'knowledge_contentchunk'")
            triggers = dict(cursor.fetchall())
            assert set(triggers) == {"knowledge_contentchunk_fts_insert", "knowledge_contentchunk_fts_delete"}
            assert all("searchable" in sql for sql in triggers.values())
        else:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'contentchunk_text_trgm'")
            definition = cursor.fetchone()[0]
            assert "gin_trgm_ops" in definition and "WHERE searchable" in definition
