"""Search results of one kind (symbol, path, content), a page at a time, and honest counts.

Everything that narrows a search (the user's layers, repo:, lang:, path:, the terms) is a condition
of the one database query that also orders and limits; nothing is dropped in Python afterwards.
Paths and content come in (layer, path) order, which the (generation, path) index serves, so a
page of a common word is read without reading every match; symbols are ranked (the name itself,
then names starting with it, then shorter names first), with offsets for pages.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Length

from knowledge.models import ContentChunk, Generation, KnowledgeLayer, LayerFile, Symbol
from knowledge.search.excerpts import Excerpt, LineBook, segments, windows
from knowledge.search.matching import LineMatcher, text_condition
from knowledge.search.syntax import Query, QuerySyntaxError

KINDS = ("symbol", "path", "content")
COUNT_CAP = 10_000     # symbols and paths are counted exactly up to here, then "more than"
COUNT_CHUNKS = 2_000   # content files are counted from at most this many matching chunks
SHOWN_LINES = 3        # matching lines shown per file
FEW_FILES = 2_000      # path: or lang: leaving at most this many files: their chunks are read, not the index


@dataclass(frozen=True)
class Scope:
    """What to search: the parsed query and the form's (or the API's) own filters."""
    query: Query
    repository: str = ""  # a repository's exact full name
    language: str = ""    # a canonical language name
    kind: str = "all"

    @property
    def languages(self) -> frozenset[str] | None:
        """The languages a file may be in (None: any); empty when lang: and the form disagree."""
        chosen = frozenset(self.query.langs)
        if self.language:
            chosen = chosen & {self.language} if chosen else frozenset({self.language})
        return chosen if chosen or self.query.langs or self.language else None

    @property
    def kinds(self) -> tuple[str, ...]:
        if self.query.symbols_only:
            return ("symbol",)
        return KINDS if self.kind == "all" else (self.kind,)


@dataclass(frozen=True)
class Layer:
    generation_id: int
    layer_id: int
    repository: str
    version: int  # the generation's number: an incremental build keeps its id, not its number


@dataclass(frozen=True)
class Definition:
    name: str
    kind: str
    container: str
    end_line: int | None


@dataclass(frozen=True)
class Result:
    kind: str
    layer_id: int
    repository: str
    path: str
    language: str
    line: int                                 # the line to open (1 for a path)
    path_matches: tuple[tuple[int, int], ...]
    excerpts: tuple[Excerpt, ...] = ()
    matching_lines: int | None = None         # content: how many lines of the file match
    definition: Definition | None = None      # symbol results

    def path_parts(self) -> list[tuple[str, bool]]:
        return segments(self.path, self.path_matches)

    @property
    def more_lines(self) -> int:
        """Matching lines of the file not shown in its excerpts."""
        return max(0, (self.matching_lines or 0) - SHOWN_LINES)

    def as_json(self) -> dict:
        symbol = self.definition
        return {
            "kind": self.kind, "layer": self.layer_id, "repository": self.repository, "path": self.path,
            "language": self.language or None, "line": self.line,
            "path_matches": [list(span) for span in self.path_matches],
            "excerpts": [e.as_json() for e in self.excerpts],
            "matching_lines": self.matching_lines,
            "symbol": None if symbol is None else {
                "name": symbol.name, "kind": symbol.kind, "container": symbol.container or None, "end_line": symbol.end_line},
        }


@dataclass(frozen=True)
class Total:
    """A count that is exact, or a floor said as such: "more than 10,000", "at least 873"."""
    value: int
    exact: bool
    more_than: bool = False  # not exact: there are more than `value` (else: at least `value`)

    @property
    def words(self) -> str:
        if self.exact:
            return f"{self.value:,}"
        return f"{'more than' if self.more_than else 'at least'} {self.value:,}"

    def as_json(self) -> dict:
        return {"value": self.value, "exact": self.exact, "text": self.words}


@dataclass
class Listing:
    results: list[Result] = field(default_factory=list)
    after: object = None  # where the next page starts, or None when this one is the last


def active_generations(*, user) -> QuerySet[Generation]:
    """The generation each of the user's layers serves right now."""
    return Generation.objects.visible_to(user).serving()


def repositories_check(*, user, scope: Scope) -> None:
    """QuerySyntaxError when the scope names a repository that none of the user's layers is: a
    search that could only find nothing is said to be one, as lang: with no such language is."""
    if not (scope.repository or scope.query.repos):
        return
    names = list(KnowledgeLayer.objects.visible_to(user).order_by("repository__full_name")
                 .values_list("repository__full_name", flat=True))
    yours = f" (yours: {', '.join(names[:5])}{', …' if len(names) > 5 else ''})" if names else " (you have none yet)"
    if scope.repository and scope.repository not in names:
        raise QuerySyntaxError(f"No knowledge layer of yours is called {scope.repository}{yours}.")
    for part in scope.query.repos:
        if not any(part.lower() in name.lower() for name in names):
            raise QuerySyntaxError(f"repo:{part} matches none of your knowledge layers{yours}.")


def layers_in_scope(*, user, scope: Scope) -> list[Layer]:
    """The serving generations the scope covers: the user's, narrowed by repository, in one query."""
    rows = active_generations(user=user)
    if scope.repository:
        rows = rows.filter(layer__repository__full_name=scope.repository)
    if scope.query.repos:
        any_repo = Q()
        for name in scope.query.repos:
            any_repo |= Q(layer__repository__full_name__icontains=name)
        rows = rows.filter(any_repo)
    rows = rows.order_by("layer__repository__full_name").values_list("pk", "layer_id", "layer__repository__full_name", "number")
    return [Layer(*row) for row in rows]


def _narrowed(scope: Scope, layers: list[Layer], file: str = "") -> Q:
    """In those layers, in a file that passes lang: and path:; `file` is the way from the model
    searched to its LayerFile ("" for LayerFile itself, "file__" for chunks and symbols)."""
    query = scope.query
    rows = Q(generation_id__in=[layer.generation_id for layer in layers])
    if scope.languages is not None:
        rows &= Q(**{f"{file}language__in": sorted(scope.languages)})
    for path in query.paths:
        rows &= text_condition(f"{file}path", [path], case=query.case_sensitive)
    return rows


def few_files(scope: Scope, layers: list[Layer]) -> bool:
    """Whether path: or lang: leave so few files that reading their chunks beats the text index
    (the planner cannot know: pg_trgm's estimates of a phrase of common words are far too low)."""
    if not scope.query.paths and scope.languages is None:
        return False
    return LayerFile.objects.filter(_narrowed(scope, layers)).values("pk")[: FEW_FILES + 1].count() <= FEW_FILES


def _content_chunks(scope: Scope, *, indexed: bool = True) -> QuerySet[ContentChunk]:
    query = scope.query
    return ContentChunk.objects.filter(searchable=True).filter(
        text_condition("text", query.terms, case=query.case_sensitive, lines=True, indexed=indexed))


def content_files(scope: Scope, layers: list[Layer], *, indexed: bool = True) -> QuerySet[LayerFile]:
    chunks = _content_chunks(scope, indexed=indexed).filter(file_id=OuterRef("pk"))
    return LayerFile.objects.filter(_narrowed(scope, layers)).filter(Exists(chunks))


def path_files(scope: Scope, layers: list[Layer]) -> QuerySet[LayerFile]:
    query = scope.query
    return LayerFile.objects.filter(_narrowed(scope, layers)).filter(text_condition("path", query.terms, case=query.case_sensitive))


def symbols(scope: Scope, layers: list[Layer]) -> QuerySet[Symbol]:
    query = scope.query
    rows = Symbol.objects.filter(_narrowed(scope, layers, file="file__"))
    rows = rows.filter(text_condition("name", query.terms, case=query.case_sensitive))
    if len(query.terms) == 1:  # the name itself, then names that start with it, then the rest
        term = query.terms[0]
        exact, starts = ("name__exact", "name__startswith") if query.case_sensitive else ("name__iexact", "name__istartswith")
        rank = Case(When(**{exact: term}, then=Value(0)), When(**{starts: term}, then=Value(1)), default=Value(2),
                    output_field=IntegerField())
    else:
        rank = Value(0, output_field=IntegerField())
    return rows.annotate(rank=rank).order_by("rank", Length("name"), "name", "file__path", "line", "id")


def count(kind: str, scope: Scope, layers: list[Layer], *, indexed: bool = True) -> Total:
    """How many `kind` results there are; `indexed=False` when few_files() says so."""
    if not layers or scope.languages == frozenset():
        return Total(0, True)
    if kind == "content":
        # Bounded by chunks read, not files found: past COUNT_CHUNKS matching chunks the number
        # of files among them is a floor ("at least"), never a guess.
        chunks = _content_chunks(scope, indexed=indexed).filter(_narrowed(scope, layers, file="file__")).order_by()
        found = chunks.values("file_id")[: COUNT_CHUNKS + 1].aggregate(files=Count("file_id", distinct=True), chunks=Count("file_id"))
        return Total(found["files"], found["chunks"] <= COUNT_CHUNKS)
    rows = symbols(scope, layers).order_by() if kind == "symbol" else path_files(scope, layers)
    found = rows.values("pk")[: COUNT_CAP + 1].count()
    return Total(min(found, COUNT_CAP), found <= COUNT_CAP, more_than=found > COUNT_CAP)


def listing(kind: str, scope: Scope, layers: list[Layer], *, after, limit: int, indexed: bool = True) -> Listing:
    """One page of `kind` results from `after` (None: the first page)."""
    if not layers or scope.languages == frozenset():
        return Listing()
    by_generation = {layer.generation_id: layer for layer in layers}
    if kind == "symbol":
        offset = after or 0
        rows = list(symbols(scope, layers).select_related("file")[offset: offset + limit + 1])
        more = len(rows) > limit
        return Listing(_symbol_results(rows[:limit], scope, by_generation), offset + limit if more else None)
    if kind == "content":
        rows = content_files(scope, layers, indexed=indexed)
    else:
        rows = path_files(scope, layers)
    if after is not None:
        generation_id, path, pk = after
        rows = rows.filter(Q(generation_id__gt=generation_id) | Q(generation_id=generation_id, path__gt=path)
                           | Q(generation_id=generation_id, path=path, pk__gt=pk))
    rows = list(rows.order_by("generation_id", "path", "id").only("id", "generation_id", "path", "language", "lines")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    results = _content_results(rows, scope, by_generation) if kind == "content" else _path_results(rows, scope, by_generation)
    last = rows[-1] if rows else None
    return Listing(results, [last.generation_id, last.path, last.pk] if more else None)


def _path_results(files, scope: Scope, by_generation: dict[int, Layer]) -> list[Result]:
    matcher = LineMatcher(scope.query.terms, case=scope.query.case_sensitive)
    return [_result("path", f, by_generation, matcher, line=1) for f in files]


def _result(kind, file, by_generation, matcher, **fields) -> Result:
    layer = by_generation[file.generation_id]
    return Result(kind, layer.layer_id, layer.repository, file.path, file.language, path_matches=tuple(matcher.spans(file.path)),
                  **fields)


def _content_results(files, scope: Scope, by_generation: dict[int, Layer]) -> list[Result]:
    """Each file's matching lines (counted, the first few shown with context), from its matching chunks."""
    query = scope.query
    matcher = LineMatcher(query.terms, case=query.case_sensitive)
    book, matching = LineBook(), {f.pk: [] for f in files}
    chunks = _content_chunks(scope, indexed=False).filter(file_id__in=list(matching)).order_by("file_id", "start_line")
    for file_id, start, text in chunks.values_list("file_id", "start_line", "text"):
        book.add_chunk(file_id, start, text)
        matching[file_id] += [start + i for i, line in enumerate(text.split("\n")) if matcher.matches(line)]
    ranges = {f.pk: windows(matching[f.pk][:SHOWN_LINES], last=f.lines or None) for f in files}
    book.fetch({pk: {n for low, high in spans for n in range(low, high + 1)} for pk, spans in ranges.items()})
    return [
        _result("content", f, by_generation, matcher, line=(matching[f.pk] or [1])[0],
                excerpts=tuple(book.excerpts(f.pk, ranges[f.pk], matcher)), matching_lines=len(matching[f.pk]))
        for f in files
    ]


def _symbol_results(rows, scope: Scope, by_generation: dict[int, Layer]) -> list[Result]:
    """Each definition with the line that defines it, names marked."""
    matcher = LineMatcher(scope.query.terms, case=scope.query.case_sensitive)
    book = LineBook()
    wanted: dict[int, set[int]] = {}
    for s in rows:
        wanted.setdefault(s.file_id, set()).add(s.line)
    book.fetch(wanted)
    return [
        _result("symbol", s.file, by_generation, matcher, line=s.line,
                excerpts=tuple(book.excerpts(s.file_id, [(s.line, s.line)], matcher)),
                definition=Definition(s.name, s.kind, s.container, s.end_line))
        for s in rows
    ]
