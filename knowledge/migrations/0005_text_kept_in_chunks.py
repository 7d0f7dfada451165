"""Keep a file's text once, in its chunks, instead of in the file row and again in the chunks.

Every text file now has chunks that give back its text exactly; vendored and generated files'
chunks are marked not searchable and the search indexes leave them out. Existing files are
re-chunked from their stored text before the column goes.
"""
from django.db import migrations, models

CHUNK_LINES, CHUNK_CHARS = 50, 4096


def _pieces(text):
    # The rule of knowledge.services.writer.chunks_of as of this migration.
    lines = text.split("\n") if text else []
    start = 0
    while start < len(lines):
        window = lines[start:start + CHUNK_LINES]
        if len("\n".join(window)) > CHUNK_CHARS and len(window) > 1:
            size, count = len(window[0]) + 1, 1
            while count < len(window) and size + len(window[count]) <= CHUNK_CHARS:
                size += len(window[count]) + 1
                count += 1
            window = window[:count]
        yield start + 1, "\n".join(window)
        start += len(window)


def text_to_chunks(apps, schema_editor):
    LayerFile = apps.get_model("knowledge", "LayerFile")
    ContentChunk = apps.get_model("knowledge", "ContentChunk")
    files = LayerFile.objects.exclude(content="").values_list("pk", "generation_id", "content", "is_vendored", "is_generated")
    for pk, generation_id, content, vendored, generated in files.iterator(chunk_size=200):
        ContentChunk.objects.filter(file_id=pk).delete()
        ContentChunk.objects.bulk_create(
            ContentChunk(generation_id=generation_id, file_id=pk, start_line=start, text=text,
                         searchable=not (vendored or generated))
            for start, text in _pieces(content)
        )


def chunks_to_text(apps, schema_editor):
    LayerFile = apps.get_model("knowledge", "LayerFile")
    ContentChunk = apps.get_model("knowledge", "ContentChunk")
    for file in LayerFile.objects.only("pk").iterator(chunk_size=200):
        texts = ContentChunk.objects.filter(file_id=file.pk).order_by("start_line").values_list("text", flat=True)
        LayerFile.objects.filter(pk=file.pk).update(content="\n".join(texts))
    ContentChunk.objects.filter(searchable=False).delete()


def _sql(by_vendor):
    def run(apps, schema_editor):
        for statement in by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


TRIGRAM = ("CREATE INDEX IF NOT EXISTS contentchunk_text_trgm ON knowledge_contentchunk USING gin (text gin_trgm_ops)"
           " WITH (fastupdate = on, gin_pending_list_limit = 1048576)")
SQLITE_TRIGGERS = (
    "CREATE TRIGGER knowledge_contentchunk_fts_insert AFTER INSERT ON knowledge_contentchunk {insert_when} BEGIN "
    "INSERT INTO knowledge_contentchunk_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER knowledge_contentchunk_fts_delete AFTER DELETE ON knowledge_contentchunk {delete_when} BEGIN "
    "INSERT INTO knowledge_contentchunk_fts(knowledge_contentchunk_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
)
DROP_TRIGGERS = ["DROP TRIGGER IF EXISTS knowledge_contentchunk_fts_insert", "DROP TRIGGER IF EXISTS knowledge_contentchunk_fts_delete"]

# Only searchable chunks are indexed: the trigram index becomes partial, the FTS5 triggers conditional.
ONLY_SEARCHABLE = {
    "postgresql": ["DROP INDEX IF EXISTS contentchunk_text_trgm", TRIGRAM + " WHERE searchable"],
    "sqlite": DROP_TRIGGERS + [t.format(insert_when="WHEN new.searchable", delete_when="WHEN old.searchable") for t in SQLITE_TRIGGERS],
}
ALL_CHUNKS = {
    "postgresql": ["DROP INDEX IF EXISTS contentchunk_text_trgm", TRIGRAM],
    "sqlite": DROP_TRIGGERS + [t.format(insert_when="", delete_when="") for t in SQLITE_TRIGGERS],
}


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0004_vacuum_after_rebuilds")]
    operations = [
        migrations.AddField(model_name="contentchunk", name="searchable", field=models.BooleanField(default=True)),
        migrations.RunPython(_sql(ONLY_SEARCHABLE), _sql(ALL_CHUNKS)),
        migrations.RunPython(text_to_chunks, chunks_to_text),
        migrations.RemoveField(model_name="layerfile", name="content"),
    ]
