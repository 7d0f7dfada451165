"""Search indexes: pg_trgm GIN indexes on PostgreSQL, FTS5 trigram tables on SQLite.

Both give substring semantics, which is what searching code needs (identifiers, punctuation,
partial paths); bench/layers.py measures pg_trgm against a tsvector index on the same data.
Content is indexed per chunk of lines (knowledge_contentchunk), not per file: rechecks stay cheap
and a hit's line comes with it. The GIN indexes keep a large (1 GB) pending list so a build's inserts
stay fast; knowledge.tasks.compact_search_index merges them once a generation is live.
"""
from django.db import DatabaseError, migrations, transaction

POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS contentchunk_text_trgm ON knowledge_contentchunk USING gin (text gin_trgm_ops)"
    " WITH (fastupdate = on, gin_pending_list_limit = 1048576)",
    "CREATE INDEX IF NOT EXISTS layerfile_path_trgm ON knowledge_layerfile USING gin (path gin_trgm_ops)"
    " WITH (fastupdate = on, gin_pending_list_limit = 1048576)",
    "CREATE INDEX IF NOT EXISTS symbol_name_trgm ON knowledge_symbol USING gin (name gin_trgm_ops)"
    " WITH (fastupdate = on, gin_pending_list_limit = 1048576)",
]
POSTGRES_REVERSE = [
    "DROP INDEX IF EXISTS contentchunk_text_trgm",
    "DROP INDEX IF EXISTS layerfile_path_trgm",
    "DROP INDEX IF EXISTS symbol_name_trgm",
]
SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS knowledge_contentchunk_fts USING fts5("
    "text, content='knowledge_contentchunk', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS knowledge_contentchunk_fts_insert AFTER INSERT ON knowledge_contentchunk BEGIN "
    "INSERT INTO knowledge_contentchunk_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS knowledge_contentchunk_fts_delete AFTER DELETE ON knowledge_contentchunk BEGIN "
    "INSERT INTO knowledge_contentchunk_fts(knowledge_contentchunk_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS knowledge_contentchunk_fts_insert",
    "DROP TRIGGER IF EXISTS knowledge_contentchunk_fts_delete",
    "DROP TABLE IF EXISTS knowledge_contentchunk_fts",
]


# lz4 compresses stored source about 3x faster than the default pglz (measured on the Django sdist);
# servers built without lz4 keep pglz.
POSTGRES_OPTIONAL = [
    "ALTER TABLE knowledge_layerfile ALTER COLUMN content SET COMPRESSION lz4",
    "ALTER TABLE knowledge_contentchunk ALTER COLUMN text SET COMPRESSION lz4",
]


def _run(statements_by_vendor, optional_by_vendor=None):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for statement in statements_by_vendor.get(vendor, []):
            schema_editor.execute(statement)
        for statement in (optional_by_vendor or {}).get(vendor, []):
            try:
                with transaction.atomic(using=schema_editor.connection.alias):
                    schema_editor.execute(statement)
            except DatabaseError:
                pass

    return run


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_layers")]
    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES, "sqlite": SQLITE}, {"postgresql": POSTGRES_OPTIONAL}),
            _run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}),
        )
    ]
