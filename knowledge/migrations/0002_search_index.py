"""Full-text search indexes: pg_trgm GIN indexes on PostgreSQL, an FTS5 trigram table on SQLite.

Both give substring semantics, which is what searching code needs (identifiers, punctuation,
partial names); bench/search.py measures pg_trgm against a tsvector index on the same data.
"""
from django.db import migrations

POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS layerfile_content_trgm ON knowledge_layerfile USING gin (content gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS layerfile_path_trgm ON knowledge_layerfile USING gin (path gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS symbol_name_trgm ON knowledge_symbol USING gin (name gin_trgm_ops)",
]
POSTGRES_REVERSE = [
    "DROP INDEX IF EXISTS layerfile_content_trgm",
    "DROP INDEX IF EXISTS layerfile_path_trgm",
    "DROP INDEX IF EXISTS symbol_name_trgm",
]
SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS knowledge_layerfile_fts USING fts5("
    "path, content, content='knowledge_layerfile', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS knowledge_layerfile_fts_insert AFTER INSERT ON knowledge_layerfile BEGIN "
    "INSERT INTO knowledge_layerfile_fts(rowid, path, content) VALUES (new.id, new.path, new.content); END",
    "CREATE TRIGGER IF NOT EXISTS knowledge_layerfile_fts_delete AFTER DELETE ON knowledge_layerfile BEGIN "
    "INSERT INTO knowledge_layerfile_fts(knowledge_layerfile_fts, rowid, path, content) "
    "VALUES ('delete', old.id, old.path, old.content); END",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS knowledge_layerfile_fts_insert",
    "DROP TRIGGER IF EXISTS knowledge_layerfile_fts_delete",
    "DROP TABLE IF EXISTS knowledge_layerfile_fts",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_layers")]
    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}),
        )
    ]
