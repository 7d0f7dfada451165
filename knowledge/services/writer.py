"""Writing one generation's rows in batches as the archive streams in, and removing generations."""
from __future__ import annotations

from collections.abc import Iterable

from integrations.services.deletion import delete_in_chunks
from knowledge.ingest.pipeline import FileResult, IngestSummary
from knowledge.models import Dependency, Doc, Generation, LayerFile, SkippedFile, Symbol

# NUL cannot be stored in PostgreSQL text; such content is not searchable text anyway.
_NUL = "\x00"


def _text(result: FileResult) -> str:
    if result.text is None or _NUL in result.text:
        return ""
    return result.text


class GenerationWriter:
    """Turns FileResults into rows of one generation, a batch at a time."""

    def __init__(self, generation: Generation):
        self.generation = generation

    def write(self, batch: Iterable[FileResult]) -> int:
        batch = list(batch)
        files = LayerFile.objects.bulk_create([
            LayerFile(
                generation=self.generation, path=r.path, size=r.size, sha256=r.sha256, language=r.language or "",
                lines=r.lines, is_binary=r.binary, is_vendored=r.vendored, is_generated=r.generated,
                is_truncated=r.truncated, content=_text(r),
            )
            for r in batch
        ])
        symbols, dependencies, docs = [], [], []
        for row, result in zip(files, batch):
            symbols.extend(
                Symbol(generation=self.generation, file=row, kind=str(s.kind), name=s.name[:255],
                       container=(s.container or "")[:255], line=s.line, end_line=s.end_line)
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
        Symbol.objects.bulk_create(symbols, batch_size=2000)
        Dependency.objects.bulk_create(dependencies, batch_size=2000)
        Doc.objects.bulk_create(docs, batch_size=200)
        return len(files)

    def finish(self, summary: IngestSummary) -> dict:
        """Record skipped files and return the generation's stats."""
        SkippedFile.objects.bulk_create(
            (SkippedFile(generation=self.generation, path=s.path, reason=str(s.reason)) for s in summary.skipped),
            batch_size=2000,
        )
        return {
            "files": summary.files,
            "bytes": summary.bytes,
            "symbols": summary.symbols,
            "skipped": summary.skipped_count,
            "languages": [
                {"language": s.language, "files": s.files, "bytes": s.bytes, "share": round(s.share, 4)}
                for s in summary.language_shares()
            ],
            "readme": summary.readme.path if summary.readme else None,
            "notes": summary.notes,
            "manifest_errors": [f"{m.path}: {m.error}" for m in summary.manifests if m.error],
        }


def generation_purge(*, generation_id: int) -> None:
    """Delete a generation and its rows, children first, in chunks."""
    for model in (Symbol, Dependency, SkippedFile, Doc, LayerFile):
        delete_in_chunks(model._base_manager.filter(generation_id=generation_id))
    Generation.objects.filter(pk=generation_id).delete()
