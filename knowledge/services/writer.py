"""A generation's rows: written in batches as the archive streams in, removed, and their indexes compacted."""
from __future__ import annotations

from collections.abc import Iterable
from contextlib import ExitStack, contextmanager

from django.db import connection, models

from integrations.services.deletion import delete_in_chunks
from knowledge.ingest.pipeline import FileResult, IngestSummary
from knowledge.ingest.symbols import extractor_version
from knowledge.models import ContentChunk, Dependency, Doc, Generation, LayerFile, SkippedFile, Symbol

# NUL cannot be stored in PostgreSQL text; such content is not text to show or search anyway.
_NUL = "\x00"
CHUNK_LINES = 50
CHUNK_CHARS = 4096
BATCH = 500  # files written at a time,
BATCH_CHARS = 16 * 1024 * 1024  # or fewer when their text is this large: memory stays bounded


def _text(result: FileResult) -> str:
    if result.text is None or _NUL in result.text:
        return ""
    return result.text


def chunks_of(text: str) -> list[tuple[int, str]]:
    """(first line, text) pieces of at most CHUNK_LINES lines and, unless one line alone is longer,
    at most CHUNK_CHARS characters. Joined with newlines they give back the text exactly.

    Most pieces of source fit at once, so whole windows of lines are tried before counting line
    by line.
    """
    lines = text.split("\n") if text else []
    total, start, pieces = len(lines), 0, []
    while start < total:
        window = lines[start:start + CHUNK_LINES]
        joined = "\n".join(window)
        if len(joined) > CHUNK_CHARS and len(window) > 1:
            window = _fitting(window)
            joined = "\n".join(window)
        pieces.append((start + 1, joined))
        start += len(window)
    return pieces


def _fitting(window: list[str]) -> list[str]:
    """The leading lines of `window` that fit in CHUNK_CHARS (always at least one)."""
    size = len(window[0]) + 1
    for count, line in enumerate(window[1:], start=1):
        if size + len(line) > CHUNK_CHARS:
            return window[:count]
        size += len(line) + 1
    return window


def _copy(table: str, columns: list[str], rows: Iterable[tuple]) -> None:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {quote(table)} ({', '.join(map(quote, columns))}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def insert_rows(model: type[models.Model], columns: list[str], rows: list[tuple]) -> None:
    """Insert plain tuples without building model instances: COPY on PostgreSQL, executemany elsewhere."""
    if not rows:
        return
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        _copy(table, columns, rows)
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {quote(table)} ({', '.join(map(quote, columns))}) VALUES ({', '.join(['%s'] * len(columns))})", rows
        )


def insert_files(files: list[LayerFile], stream: "RowStream") -> None:
    """Insert LayerFile rows and set their ids (the chunks and symbols point at them)."""
    if not stream.streaming:
        LayerFile.objects.bulk_create(files, batch_size=500)
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('knowledge_layerfile', 'id')) FROM generate_series(1, %s)", [len(files)])
        for obj, (pk,) in zip(files, cursor.fetchall(), strict=True):
            obj.pk = pk
    stream.write([tuple(getattr(obj, f.attname) for f in _FILE_FIELDS) for obj in files])


_FILE_FIELDS = LayerFile._meta.concrete_fields
FILE_COLUMNS = [f.column for f in _FILE_FIELDS]
CHUNK_COLUMNS = ["generation_id", "file_id", "start_line", "text", "searchable"]
SYMBOL_COLUMNS = ["generation_id", "file_id", "kind", "name", "container", "line", "end_line"]


class RowStream:
    """Where a build's rows of one table go: on PostgreSQL, COPYs open for the whole build on
    connections of their own (``lanes`` of them, taking batches in turn), fed through psycopg's
    queued writer.

    Computing the trigrams of the search indexes is most of the database's work; streaming lets
    PostgreSQL do it on other cores while this process goes on parsing, instead of waiting at
    the end of every batch. The rows commit when the stream closes, before the generation goes
    live. Anywhere else (SQLite, or inside a transaction whose files another connection could not
    see) rows are inserted batch by batch on the main connection.
    """

    def __init__(self, model: type[models.Model], columns: list[str], *, lanes: int = 1):
        self.model, self.columns, self.lanes = model, columns, lanes
        self._stack = ExitStack()
        self._copies: list = []
        self._turn = 0

    @property
    def streaming(self) -> bool:
        return bool(self._copies)

    def __enter__(self) -> "RowStream":
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            try:
                for _ in range(self.lanes):
                    self._copies.append(self._stack.enter_context(self._lane()))
            except BaseException:
                self._stack.close()
                raise
        return self

    @contextmanager
    def _lane(self):
        import psycopg
        from psycopg.copy import QueuedLibpqWriter

        quote = connection.ops.quote_name
        sql = f"COPY {quote(self.model._meta.db_table)} ({', '.join(map(quote, self.columns))}) FROM STDIN"
        with psycopg.connect(**connection.get_connection_params()) as conn:  # commits on a clean exit
            cursor = conn.cursor()
            with cursor.copy(sql, writer=QueuedLibpqWriter(cursor)) as copy:
                yield copy

    def write(self, rows: list[tuple]) -> None:
        if not self._copies:
            insert_rows(self.model, self.columns, rows)
            return
        copy = self._copies[self._turn % len(self._copies)]
        self._turn += 1
        for row in rows:
            copy.write_row(row)

    def __exit__(self, exc_type, exc, tb) -> None:
        self._stack.__exit__(exc_type, exc, tb)


class GenerationWriter:
    """Turns FileResults into rows of one generation, a batch at a time."""

    def __init__(
        self, generation: Generation, *, files: RowStream, chunks: RowStream, symbols: RowStream,
        kept_symbols: dict[tuple[str, str], int] | None = None,
    ):
        self.generation = generation
        self.files, self.chunks, self.symbols = files, chunks, symbols
        # (sha256, language) -> the id of an earlier generation's file with the same content,
        # whose symbols are copied for results marked symbols_kept.
        self.kept_symbols = kept_symbols or {}
        self.symbols_copied = 0

    def write(self, batch: Iterable[FileResult]) -> int:
        batch = list(batch)
        files = [
            LayerFile(
                generation=self.generation, path=r.path, size=r.size, sha256=r.sha256, language=r.language or "",
                lines=r.lines, is_binary=r.binary, is_vendored=r.vendored, is_generated=r.generated,
                is_truncated=r.truncated,
            )
            for r in batch
        ]
        insert_files(files, self.files)
        generation_id = self.generation.pk
        symbols, dependencies, docs, chunks, copies = [], [], [], [], []
        for row, result in zip(files, batch, strict=True):
            if result.symbols_kept:
                copies.append((self.kept_symbols[(result.sha256, row.language)], row.pk))
            # The text is kept only as chunks; vendored and generated files' are not searched.
            searchable = not (row.is_vendored or row.is_generated)
            chunks.extend((generation_id, row.pk, start, text, searchable) for start, text in chunks_of(_text(result)))
            symbols.extend(
                (generation_id, row.pk, str(s.kind), s.name[:255], (s.container or "")[:255], s.line, s.end_line)
                for s in result.symbols
            )
            if result.manifest is not None:
                dependencies.extend(
                    Dependency(generation=self.generation, ecosystem=d.ecosystem, name=d.name[:255],
                               constraint=d.constraint[:255], scope=str(d.scope), group=d.group[:255],
                               manifest=d.manifest)
                    for d in result.manifest.dependencies
                )
            if result.doc is not None:
                docs.append(Doc(generation=self.generation, path=result.doc.path, title=result.doc.title[:255],
                                html=result.doc.html, kind=result.doc.kind))
        self.symbols.write(symbols)
        self._copy_symbols(copies)
        self.chunks.write(chunks)
        Dependency.objects.bulk_create(dependencies, batch_size=2000)
        Doc.objects.bulk_create(docs, batch_size=200)
        return len(files)

    def _copy_symbols(self, pairs: list[tuple[int, int]]) -> None:
        """Copy the symbols of unchanged files (earlier file id, new file id) inside the database."""
        if not pairs:
            return
        values = ", ".join(["(%s, %s)"] * len(pairs))
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO knowledge_symbol (generation_id, file_id, kind, name, container, line, end_line)"
                " SELECT %s, m.column2, s.kind, s.name, s.container, s.line, s.end_line"
                f" FROM knowledge_symbol s JOIN (VALUES {values}) AS m ON s.file_id = m.column1",
                [self.generation.pk, *(n for pair in pairs for n in pair)],
            )
            self.symbols_copied += cursor.rowcount

    def finish(self, summary: IngestSummary) -> dict:
        """Record skipped files and return the generation's stats."""
        SkippedFile.objects.bulk_create(
            (SkippedFile(generation=self.generation, path=s.path, reason=str(s.reason)) for s in summary.skipped),
            batch_size=2000,
        )
        return {
            "files": summary.files,
            "bytes": summary.bytes,
            "symbols": summary.symbols + self.symbols_copied,
            "symbols_parsed": summary.symbols,
            "symbols_version": extractor_version(),
            "skipped": summary.skipped_count,
            "languages": language_rows(summary),
            "readme": summary.readme.path if summary.readme else None,
            "notes": summary.notes,
            "manifest_errors": [f"{m.path}: {m.error}" for m in summary.manifests if m.error],
        }


def language_rows(summary: IngestSummary) -> list[dict]:
    """The languages of a generation's stats, largest share first."""
    return [
        {"language": s.language, "files": s.files, "bytes": s.bytes, "share": round(s.share, 4)}
        for s in summary.language_shares()
    ]


# Every table of a generation's rows, children first.
GENERATION_TABLES = (Symbol, ContentChunk, Dependency, SkippedFile, Doc, LayerFile)


def generation_rows_purge(*, generation_id: int) -> None:
    """Delete a generation's rows, children first, in chunks; the generation itself stays."""
    for model in GENERATION_TABLES:
        delete_in_chunks(model._base_manager.filter(generation_id=generation_id))


def generation_purge(*, generation_id: int) -> None:
    """Delete a generation and its rows, children first, in chunks."""
    generation_rows_purge(generation_id=generation_id)
    Generation.objects.filter(pk=generation_id).delete()


def search_index_compact() -> None:
    """Merge the search indexes' pending lists (PostgreSQL GIN) so searches stop scanning them."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for index in ("contentchunk_text_trgm", "symbol_name_trgm", "layerfile_path_trgm"):
                cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
