"""Run the whole ingest over one archive stream: one result per file, then a summary.

Memory stays bounded: one file's (capped) content at a time, except for the few files that git
orders before a root ``.strataignore`` (``.github/``, ``.editorconfig``…), which are held back
until the ignore file is seen or cannot come any more, within ``hold_back_files`` and
``hold_back_bytes``. A caller that fetched ``.strataignore`` itself passes its text and nothing
is held. Usage from a job::

    ingest = Ingest(response.raw, IngestOptions(limits=…))
    for batch in itertools.batched(ingest, 500):
        write_rows(batch)
    summary = ingest.summary  # also filled as far as it got when ArchiveRejected is raised

``FileIngest`` runs the same stages over files fetched one at a time (an incremental build reads
the files a push changed through ``src``): the caller passes the root ``.strataignore`` it already
knows, and refuses paths or sizes with the archive's own rules (``archive.repository_path``,
``archive.read_file``).

Symbols are most of the CPU an ingest takes. With ``parse_processes`` set, files are parsed in
that many helper processes (started once a full group of source has been read, so small
repositories never start one) while this process goes on reading; results still come out in
archive order, and what is in flight stays within ``in_flight_bytes``.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import BinaryIO

from knowledge.ingest.archive import (
    ArchiveFile,
    ArchiveLimits,
    ArchiveReader,
    ArchiveRejected,
    ArchiveStats,
    MiB,
    Skipped,
    SkipReason,
)
from knowledge.ingest.classify import Classifier, is_code_language
from knowledge.ingest.dependencies import ManifestResult, parse_manifest
from knowledge.ingest.docs import DocPage, ResolveLink, doc_kind, readme_rank, render_doc
from knowledge.ingest.parse_helper import Helpers
from knowledge.ingest.symbols import SUPPORTED_LANGUAGES, ExtractedSymbol, extract_symbols

_IGNORE_FILE = ".strataignore"


@dataclass(frozen=True)
class IngestOptions:
    limits: ArchiveLimits = field(default_factory=ArchiveLimits)
    strataignore: str | None = None  # the root .strataignore, when the caller fetched it first
    symbols: bool = True
    resolve_link: ResolveLink | None = None  # repository path -> URL for links in docs
    hold_back_files: int = 2_000
    hold_back_bytes: int = 32 * MiB
    # (sha256, language) -> True when the caller already holds this file's symbols (an earlier
    # build of the same content): the file is not parsed and its result says ``symbols_kept``.
    symbols_known: Callable[[str, str | None], bool] | None = None
    parse_processes: int = 0  # helper processes for symbols; 0 parses in this process
    parse_group_bytes: int = 1 * MiB  # source sent to a helper at a time
    in_flight_bytes: int = 32 * MiB


@dataclass(frozen=True)
class FileResult:
    path: str
    size: int
    sha256: str
    language: str | None
    lines: int  # of the kept content when truncated
    binary: bool
    vendored: bool
    generated: bool
    truncated: bool
    executable: bool
    text: str | None  # content for the search index; None for binary files
    symbols: list[ExtractedSymbol]
    symbols_kept: bool  # not parsed: the caller holds this content's symbols (IngestOptions.symbols_known)
    manifest: ManifestResult | None
    doc: DocPage | None


@dataclass
class LanguageShare:
    language: str
    files: int = 0
    bytes: int = 0
    share: float = 0.0  # of the bytes of all counted files


@dataclass
class IngestSummary:
    commit: str | None = None
    files: int = 0
    bytes: int = 0
    symbols: int = 0
    docs: int = 0
    readme: DocPage | None = None
    manifests: list[ManifestResult] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)  # the first limits.max_skipped_kept
    skipped_count: int = 0
    stats: ArchiveStats = field(default_factory=ArchiveStats)
    notes: list[str] = field(default_factory=list)
    error: str | None = None  # ArchiveRejected's reason when the archive could not be finished
    strataignore: str | None = None  # the root .strataignore's text the files were filtered by
    languages: dict[str, LanguageShare] = field(default_factory=dict)  # shares not yet computed

    def language_shares(self) -> list[LanguageShare]:
        """Programming and markup languages of the team's own code (vendored, generated, binary,
        prose and data files left out), largest first, by bytes as GitHub's language bar."""
        total = sum(share.bytes for share in self.languages.values()) or 1
        shares = [
            LanguageShare(s.language, s.files, s.bytes, s.bytes / total) for s in self.languages.values()
        ]
        return sorted(shares, key=lambda s: (-s.bytes, s.language))


class Ingest:
    """Iterate once over ``FileResult``s of an archive stream; read ``summary`` afterwards."""

    def __init__(
        self,
        stream: BinaryIO,
        options: IngestOptions | None = None,
        *,
        on_progress: Callable[[ArchiveStats], None] | None = None,
    ) -> None:
        self._start(options)
        self._reader: ArchiveReader | _GivenFiles = ArchiveReader(
            stream, self.options.limits, on_skip=self._record_skip, on_progress=on_progress
        )
        self.summary.stats = self._reader.stats

    def _start(self, options: IngestOptions | None) -> None:
        self.options = options or IngestOptions()
        self.summary = IngestSummary(strataignore=self.options.strataignore or None)
        self._classifier = Classifier(self.options.strataignore)
        self._settled = self.options.strataignore is not None
        self._held: list[ArchiveFile] = []
        self._held_bytes = 0
        self._symbols = _SymbolStage(self.options)

    def __iter__(self) -> Iterator[FileResult]:
        with self._symbols:
            try:
                for archive_file in self._reader:
                    yield from self._admit(archive_file)
            except ArchiveRejected as error:
                self.summary.error = error.reason
                yield from self._release()  # what was read before the failure is still good
                yield from self._counted(self._symbols.finish())
                raise
            finally:
                self.summary.commit = self._reader.commit
            yield from self._release()
            yield from self._counted(self._symbols.finish())

    def _counted(self, results: Iterator[FileResult]) -> Iterator[FileResult]:
        for result in results:
            self.summary.symbols += len(result.symbols)
            yield result

    def _admit(self, archive_file: ArchiveFile) -> Iterator[FileResult]:
        if archive_file.path == _IGNORE_FILE and self.options.strataignore is None:
            if self._settled:
                self.summary.notes.append(
                    f"{_IGNORE_FILE} came after other files in the archive; it applies only to the files after it"
                )
            self.summary.strataignore = archive_file.content.decode("utf-8", "replace")
            self._classifier = Classifier(self.summary.strataignore)
            yield from self._release()
        elif not self._settled:
            # git archive lists entries in byte order: once a root entry sorts after
            # ".strataignore", the file cannot appear any more.
            root = archive_file.path.split("/", 1)[0] + ("/" if "/" in archive_file.path else "")
            if root.encode("utf-8") > _IGNORE_FILE.encode():
                yield from self._release()
            else:
                self._held.append(archive_file)
                self._held_bytes += len(archive_file.content)
                options = self.options
                if len(self._held) >= options.hold_back_files or self._held_bytes >= options.hold_back_bytes:
                    self.summary.notes.append(f"too many files before {_IGNORE_FILE}; they were not filtered by it")
                    yield from self._release()
                return
        yield from self._process(archive_file)

    def _release(self) -> Iterator[FileResult]:
        self._settled = True
        held, self._held, self._held_bytes = self._held, [], 0
        for archive_file in held:
            yield from self._process(archive_file)

    def _process(self, archive_file: ArchiveFile) -> Iterator[FileResult]:
        """Classify one file, then hand it to the symbol stage, which yields what is complete."""
        path, content = archive_file.path, archive_file.content
        if self._classifier.ignored(path):
            self._record_skip(Skipped(path, SkipReason.STRATAIGNORE, archive_file.size))
            return
        kind = self._classifier.classify(path, content)
        text = None if kind.binary else content.decode("utf-8", "replace")
        own_code = not (kind.binary or kind.vendored or kind.generated)
        parse = (self.options.symbols and own_code and not archive_file.truncated
                 and kind.language in SUPPORTED_LANGUAGES)
        kept = parse and self.options.symbols_known is not None and self.options.symbols_known(archive_file.sha256, kind.language)
        manifest = parse_manifest(path, text) if text is not None and not kind.vendored else None
        doc = None
        if text is not None and not kind.vendored and doc_kind(path):
            doc = render_doc(path, text, resolve_link=self.options.resolve_link)
        counted_language = kind.language if own_code and is_code_language(kind.language) else None
        self._tally(archive_file, counted_language, manifest, doc)
        result = FileResult(
            path=path, size=archive_file.size, sha256=archive_file.sha256, language=kind.language,
            lines=kind.lines, binary=kind.binary, vendored=kind.vendored, generated=kind.generated,
            truncated=archive_file.truncated, executable=archive_file.executable, text=text,
            symbols=[], symbols_kept=kept, manifest=manifest, doc=doc,
        )
        yield from self._counted(self._symbols.add(result, content if parse and not kept else None))

    def _tally(
        self, archive_file: ArchiveFile, language: str | None, manifest: ManifestResult | None, doc: DocPage | None,
    ) -> None:
        summary = self.summary
        summary.files += 1
        summary.bytes += archive_file.size
        if language is not None:
            share = summary.languages.setdefault(language, LanguageShare(language))
            share.files += 1
            share.bytes += archive_file.size
        if manifest is not None:
            summary.manifests.append(manifest)
        if doc is not None:
            summary.docs += 1
            best = summary.readme
            if doc.kind == "readme" and (best is None or readme_rank(doc.path) < readme_rank(best.path)):
                summary.readme = doc

    def _record_skip(self, skipped: Skipped) -> None:
        self.summary.skipped_count += 1
        if len(self.summary.skipped) < self.options.limits.max_skipped_kept:
            self.summary.skipped.append(skipped)


class FileIngest(Ingest):
    """The ingest of files given one at a time rather than read from an archive: ``files`` yields
    an ``ArchiveFile`` per file, or a ``Skipped`` for one refused before it was fetched. The root
    .strataignore is the options' (``""`` when there is none), so nothing is held back."""

    def __init__(self, files: Iterable[ArchiveFile | Skipped], options: IngestOptions) -> None:
        if options.strataignore is None:
            raise ValueError("FileIngest needs the repository's .strataignore text (\"\" when it has none)")
        self._start(options)
        self._reader = _GivenFiles(files, self._record_skip)


class _GivenFiles:
    """What FileIngest reads instead of an ArchiveReader."""

    commit = None

    def __init__(self, files: Iterable[ArchiveFile | Skipped], on_skip: Callable[[Skipped], None]) -> None:
        self._files, self._on_skip = files, on_skip

    def __iter__(self) -> Iterator[ArchiveFile]:
        for item in self._files:
            if isinstance(item, Skipped):
                self._on_skip(item)
            else:
                yield item


class _SymbolStage:
    """Fills in ``FileResult.symbols``, keeping archive order.

    Without helper processes every file is parsed as it comes. With them, files are grouped
    (about ``parse_group_bytes`` of source a group) and each group goes to a helper as one task;
    a group's results come out once it and every group before it are parsed. The helpers are
    started with the first full group and stopped when the stage closes, even on an error.
    """

    def __init__(self, options: IngestOptions):
        self._options = options
        self._helpers: Helpers | None = None
        self._group: list[tuple[FileResult, bytes | None]] = []
        self._group_bytes = 0
        # (results with whether each was sent, whether a helper has the group, bytes held)
        self._in_flight: deque[tuple[list[tuple[FileResult, bool]], bool, int]] = deque()
        self._in_flight_bytes = 0

    def __enter__(self) -> "_SymbolStage":
        return self

    def __exit__(self, *exc_info) -> None:
        if self._helpers is not None:
            self._helpers.close()
            self._helpers = None

    def add(self, result: FileResult, source: bytes | None) -> Iterator[FileResult]:
        if self._options.parse_processes <= 0:
            yield replace(result, symbols=extract_symbols(result.language, source)) if source else result
            return
        self._group.append((result, source))
        self._group_bytes += len(source or b"") + len(result.text or "")
        if self._group_bytes >= self._options.parse_group_bytes:
            self._submit()
        yield from self._collect(block=False)

    def finish(self) -> Iterator[FileResult]:
        if self._helpers is None:  # less than a group in all: not worth starting a process
            for result, source in self._group:
                yield replace(result, symbols=extract_symbols(result.language, source)) if source else result
            self._group = []
        self._submit()
        while self._in_flight:
            yield from self._collect(block=True)

    def _submit(self) -> None:
        if not self._group:
            return
        sources = [(result.language, source) for result, source in self._group if source]
        if sources:
            if self._helpers is None:
                self._helpers = Helpers(self._options.parse_processes)
            self._helpers.submit(sources)
        self._in_flight.append(([(result, bool(source)) for result, source in self._group], bool(sources), self._group_bytes))
        self._in_flight_bytes += self._group_bytes
        self._group, self._group_bytes = [], 0

    def _collect(self, *, block: bool) -> Iterator[FileResult]:
        """Results of the oldest groups that are parsed; waits while too much is in flight, and
        with ``block`` for the oldest group."""
        while self._in_flight:
            results, sent_any, size = self._in_flight[0]
            wait = block or self._in_flight_bytes > self._options.in_flight_bytes
            if sent_any and not wait and not self._helpers.ready():
                return
            self._in_flight.popleft()
            self._in_flight_bytes -= size
            block = False
            parsed = iter(self._helpers.answer() if sent_any else ())
            for result, sent in results:
                yield replace(result, symbols=next(parsed)) if sent else result
