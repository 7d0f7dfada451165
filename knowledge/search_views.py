"""The Search page: one box (`q`) with its syntax, filters as form controls, results grouped by
file with context lines, honest counts and "More results"."""
from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render

from core import inputs
from knowledge.cursors import BadCursor
from knowledge.ingest.classify import language_named
from knowledge.search import KINDS, QuerySyntaxError, Scope, parse, repositories_check, search_overview, search_results
from knowledge.selectors import layers_for

KIND_LABELS = {"all": "All kinds", "symbol": "Symbols", "path": "Paths", "content": "Content"}
UNITS = {"symbol": "definitions", "path": "files", "content": "files"}
NOTHING = {"symbol": "No symbols match", "path": "No paths match", "content": "No content matches"}
PAGE_SIZE = 20
RAW_LIMIT = 10_000  # read this much of q, so that a longer query is told its length, not cut silently


class FilterError(ValueError):
    """A form control holding a value the page does not offer."""


@dataclass(frozen=True)
class Form:
    q: str
    repo: str
    lang: str
    kind: str

    @classmethod
    def read(cls, request: HttpRequest) -> Form:
        get = request.GET
        return cls(inputs.text(get.get("q"), limit=RAW_LIMIT), inputs.text(get.get("repo")), inputs.text(get.get("lang")),
                   inputs.text(get.get("kind")) or "all")

    def url(self, **changes) -> str:
        params = QueryDict(mutable=True)
        for name, value in {"q": self.q, "repo": self.repo, "lang": self.lang, "kind": self.kind, **changes}.items():
            if value and not (name == "kind" and value == "all"):
                params[name] = value
        return "?" + params.urlencode()


def _options(user) -> tuple[list[str], list[str]]:
    """Repositories and languages to choose from: those of the user's layers that serve."""
    layers = list(layers_for(user=user).exclude(active_generation=None))
    languages = {share["language"] for layer in layers for share in (layer.summary or {}).get("languages", [])}
    return [layer.repository.full_name for layer in layers], sorted(languages)


def _scope(form: Form, user) -> Scope:
    if form.kind not in KIND_LABELS:
        raise FilterError(f"Choose a kind among {', '.join(KIND_LABELS.values())}.")
    language = language_named(form.lang) if form.lang else ""
    if language is None:
        raise FilterError(f"No language is called {form.lang!r}.")
    query = parse(form.q)
    if query.empty:
        raise QuerySyntaxError("Add words to search for: repo:, path:, lang: and case: only narrow a search.")
    scope = Scope(query, repository=form.repo, language=language, kind="symbol" if query.symbols_only else form.kind)
    repositories_check(user=user, scope=scope)  # as the API does: a repository of no layer of yours is said so
    return scope


@login_required
def search(request: HttpRequest) -> HttpResponse:
    form = Form.read(request)
    repositories, languages = _options(request.user)
    if form.lang and form.lang not in languages:
        languages = sorted({*languages, form.lang})
    context = {"form": form, "kinds": KIND_LABELS, "repositories": repositories, "languages": languages,
               "has_layers": bool(repositories)}
    if form.q and repositories:
        try:
            context.update(_results(request, form, _scope(form, request.user)))
        except (QuerySyntaxError, FilterError) as exc:
            context["error"] = str(exc)
    return render(request, "knowledge/search.html", context)


def _results(request: HttpRequest, form: Form, scope: Scope) -> dict:
    cursor = inputs.text(request.GET.get("cursor"), limit=RAW_LIMIT)
    try:
        found = _find(request.user, scope, cursor)
    except BadCursor as exc:  # an old "More results" link: say so and start again
        found, cursor = _find(request.user, scope, ""), ""
        found["notice"] = str(exc)
    page, counts, list_kind = found["page"], found["counts"], found["list_kind"]
    if page.results:
        shown = f"{page.first:,}–{page.first + len(page.results) - 1:,}"
        heading = f"{KIND_LABELS[list_kind]}: {UNITS[list_kind]} {shown} of {counts[list_kind].words}"
    else:
        heading = NOTHING[list_kind]
    return {
        **found, "scope": scope, "heading": heading,
        "next_url": form.url(kind=list_kind, cursor=page.next) if page.next else "",
        "start_url": form.url(kind=list_kind) if cursor else "",
        "tabs": [(kind, KIND_LABELS[kind], form.url(kind=kind), counts[kind].words if kind in counts else "", kind == scope.kind)
                 for kind in ("all", *KINDS)],
        "all_url": {kind: form.url(kind=kind) for kind in KINDS},
    }


def _find(user, scope: Scope, cursor: str) -> dict:
    if scope.kind == "all" and not scope.query.symbols_only:
        overview = search_overview(user=user, scope=scope, cursor=cursor, limit=PAGE_SIZE)
        return {"counts": overview.counts, "symbols": overview.symbols, "paths": overview.paths, "page": overview.content,
                "list_kind": "content"}
    page = search_results(user=user, scope=scope, cursor=cursor, limit=PAGE_SIZE)
    return {"counts": page.counts, "page": page, "list_kind": scope.kinds[0]}
