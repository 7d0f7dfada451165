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


def _run(by_vendor):
    def run(apps, schema_editor):
        for statement in by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


TRIGRAM = ("CREATE INDEX IF NOT EXISTS contentchunk_text_trgm ON knowledge_contentchunk USING gin (text gin_trgm_ops)"
           " WITH (fastupdate = on, gin_pending_list_limit = 1048576)")
FTS = ("CREATE VIRTUAL TABLE knowledge_contentchunk_fts USING fts5("
       "text, content='knowledge_contentchunk', content_rowid='id', tokenize='trigram')")
TRIGGERS = (
    "CREATE TRIGGER knowledge_contentchunk_fts_insert AFTER INSERT ON knowledge_contentchunk {insert_when} BEGIN "
    "INSERT INTO knowledge_contentchunk_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER knowledge_contentchunk_fts_delete AFTER DELETE ON knowledge_contentchunk {delete_when} BEGIN "
    "INSERT INTO knowledge_contentchunk_fts(knowledge_contentchunk_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
)


def _fts(where: str, insert_when: str, delete_when: str) -> list[str]:
    return [FTS, f"INSERT INTO knowledge_contentchunk_fts(rowid, text) SELECT id, text FROM knowledge_contentchunk {where}"] + [
        t.format(insert_when=insert_when, delete_when=delete_when) for t in TRIGGERS
    ]


# The search indexes are dropped while rows move and built afterwards from what is there. On
# SQLite this is also what repairs the FTS5 table: rebuilding knowledge_contentchunk (as 0003 and
# the field changes here do) drops the triggers that fed it, so it cannot be trusted any more.
DROP_INDEXES = {
    "postgresql": ["DROP INDEX IF EXISTS contentchunk_text_trgm"],
    "sqlite": [
        "DROP TRIGGER IF EXISTS knowledge_contentchunk_fts_insert",
        "DROP TRIGGER IF EXISTS knowledge_contentchunk_fts_delete",
        "DROP TABLE IF EXISTS knowledge_contentchunk_fts",
    ],
}
ONLY_SEARCHABLE = {  # the trigram index becomes partial, the FTS5 triggers conditional
    "postgresql": [TRIGRAM + " WHERE searchable"],
    "sqlite": _fts("WHERE searchable", "WHEN new.searchable", "WHEN old.searchable"),
}
ALL_CHUNKS = {"postgresql": [TRIGRAM], "sqlite": _fts("", "", "")}


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0004_vacuum_after_rebuilds")]
    operations = [
        migrations.RunPython(_run(DROP_INDEXES), _run(ALL_CHUNKS)),
        migrations.AddField(model_name="contentchunk", name="searchable", field=models.BooleanField(default=True)),
        migrations.RunPython(text_to_chunks, chunks_to_text),
        migrations.RemoveField(model_name="layerfile", name="content"),
        migrations.RunPython(_run(ONLY_SEARCHABLE), _run(DROP_INDEXES)),
    ]
