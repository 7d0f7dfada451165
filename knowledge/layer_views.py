"""One knowledge layer's pages: its tabs, the live status the page polls, deletion, the file view."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse

from core import inputs
from knowledge.highlight import highlighted_lines
from knowledge.links import bitbucket_file_url, bitbucket_repository_url
from knowledge.models import Generation, KnowledgeLayer
from knowledge.selectors import (
    file_text,
    generation_file_counts,
    layer_file,
    layer_for,
    layer_status_for,
    serving_generation,
)
from knowledge.services.layer_deletion import layer_delete

BUSY = (KnowledgeLayer.Status.QUEUED, KnowledgeLayer.Status.SYNCING)
TABS = ("overview", "files", "symbols", "dependencies", "docs")
SYMBOLS_PER_PAGE = 100
DOCS_PER_PAGE = 50
TREE_MAX_FILES = 5000
LEGEND_LANGUAGES = 7  # the rest of the bar is one "Other" share


def _kind_label(kind: str, count: int) -> str:
    """ "1 class", "2 classes", "3 functions"."""
    if count == 1:
        return kind
    return kind + ("es" if kind.endswith(("s", "x", "ch", "sh")) else "s")


def _tree(paths: list[str]) -> list[tuple[int, str, str]]:
    """(depth, name, full path or "" for a folder) rows of a file tree, folders before files."""
    rows, seen = [], set()
    for path in sorted(paths, key=lambda p: (p.split("/")[:-1], p)):
        parts = path.split("/")
        for depth in range(len(parts) - 1):
            folder = "/".join(parts[: depth + 1])
            if folder not in seen:
                seen.add(folder)
                rows.append((depth, parts[depth] + "/", ""))
        rows.append((len(parts) - 1, parts[-1], path))
    return rows


def _language_legend(languages: list[dict]) -> list[dict]:
    """The bar's shares, largest first, with whole percentages; small languages as one "Other"."""
    shown, rest = languages[:LEGEND_LANGUAGES], languages[LEGEND_LANGUAGES:]
    total = sum(lang["bytes"] for lang in languages) or 1
    legend = [{"name": lang["language"], "bytes": lang["bytes"], "files": lang["files"]} for lang in shown]
    if rest:
        legend.append({"name": f"Other ({len(rest)} languages)", "bytes": sum(lang["bytes"] for lang in rest),
                       "files": sum(lang["files"] for lang in rest), "other": True})
    for position, entry in enumerate(legend):
        percent = 100 * entry["bytes"] / total
        entry["label"] = f"{percent:.0f}%" if percent >= 0.5 else "<1%"
        entry["wide"] = percent >= 12  # room for its name inside the bar
        entry["colour"] = "other" if entry.get("other") else position
    return legend


def _file_breakdown(generation: Generation) -> dict:
    """What the layer's files are, in parts that add up to the files in the archive."""
    stats = generation.stats
    counts = generation_file_counts(generation)
    files = stats.get("files", 0)
    in_languages = sum(lang["files"] for lang in stats.get("languages", []))
    other = files - in_languages - counts["binary"] - counts["vendored"] - counts["generated"]
    return {
        "entries": files + stats.get("skipped", 0), "files": files, "in_languages": in_languages,
        "other_text": max(other, 0), **counts, "skipped": stats.get("skipped", 0),
    }


def _overview(generation: Generation) -> dict:
    return {
        "readme": generation.docs.filter(kind="readme").order_by("path").first(),
        "legend": _language_legend(generation.stats.get("languages", [])),
        "breakdown": _file_breakdown(generation),
    }


def _files(generation: Generation) -> dict:
    file_count = generation.stats.get("files", 0)
    paths = list(generation.files.values_list("path", flat=True)) if file_count <= TREE_MAX_FILES else []
    skipped = generation.skipped.order_by("path")
    return {"tree": _tree(paths) if paths else None, "file_count": file_count,
            "skipped": skipped[:200], "skipped_count": generation.stats.get("skipped", 0)}


def _symbols(request: HttpRequest, generation: Generation) -> dict:
    query = inputs.text(request.GET.get("symbols"))
    symbols = generation.symbols.select_related("file").order_by("file__path", "line", "pk")
    if query:
        symbols = symbols.filter(name__icontains=query)
    kinds = generation.symbols.values("kind").annotate(count=Count("pk")).order_by("-count", "kind")
    return {
        "symbol_query": query,
        "symbols_page": Paginator(symbols, SYMBOLS_PER_PAGE).get_page(request.GET.get("page")),
        "symbol_kinds": [(_kind_label(row["kind"], row["count"]), row["count"]) for row in kinds],
    }


def _docs(request: HttpRequest, generation: Generation) -> dict:
    # READMEs first ("readme" sorts after "doc"); the rendered pages themselves are not needed here.
    docs = generation.docs.only("path", "kind", "title").order_by("-kind", "path")
    return {"docs_page": Paginator(docs, DOCS_PER_PAGE).get_page(request.GET.get("page"))}


def _sections(request: HttpRequest, generation: Generation | None) -> dict:
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else "overview"
    context = {"tab": tab, "tabs": TABS}
    if generation is None:
        return context
    context["counts"] = {
        "files": generation.stats.get("files", 0), "symbols": generation.stats.get("symbols", 0),
        "dependencies": generation.dependencies.count(), "docs": generation.docs.count(),
    }
    if tab == "overview":
        context.update(_overview(generation))
    elif tab == "files":
        context.update(_files(generation))
    elif tab == "symbols":
        context.update(_symbols(request, generation))
    elif tab == "dependencies":
        context["dependencies"] = generation.dependencies.order_by("ecosystem", "manifest", "name")
    else:
        context.update(_docs(request, generation))
    return context


@login_required
def layer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    layer = layer_for(user=request.user, layer_id=pk)
    generation = serving_generation(layer)
    context = {
        "layer": layer, "generation": generation, "busy": layer.status in BUSY,
        "connection": layer.repository.workspace.connection,
        "bitbucket_url": bitbucket_repository_url(layer.repository.full_name),
        **_sections(request, generation),
    }
    if request.htmx and request.htmx.target == "layer-sections":
        # The one refresh after the live status saw the build end.
        return render(request, "knowledge/_layer_sections.html", context)
    return render(request, "knowledge/layer.html", context)


@login_required
def layer_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The live status the layer page polls every second while a build is queued or running:
    one small query. When the build has ended it stops polling and tells the page, once, to
    refresh its sections (the `layer-finished` event)."""
    layer = layer_status_for(user=request.user, layer_id=pk)
    busy = layer.status in BUSY
    response = render(request, "knowledge/_layer_status.html", {
        "layer": layer, "busy": busy, "back": reverse("knowledge:layer", args=[layer.pk]),
    })
    if not busy:
        response["HX-Trigger"] = "layer-finished"
    return response


@login_required
def layer_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    layer = layer_for(user=request.user, layer_id=pk)
    if request.method == "POST":
        if layer_delete(layer_id=layer.pk):
            messages.success(request, f"Deleting the knowledge layer of {layer.repository.full_name}: it is gone from "
                             "your lists and search, and its data is being removed.")
        return redirect("knowledge:layers")
    generation = serving_generation(layer)
    return render(request, "knowledge/confirm_layer_delete.html", {
        "layer": layer, "generation": generation,
        "dependency_count": generation.dependencies.count() if generation else 0,
        "doc_count": generation.docs.count() if generation else 0,
    })


@login_required
def file_view(request: HttpRequest, pk: int, path: str) -> HttpResponse:
    layer = layer_for(user=request.user, layer_id=pk)
    generation = serving_generation(layer)
    file = layer_file(generation, path)
    line = inputs.ids([request.GET.get("line", "")])
    if line:
        # ?line=N is the same page at #LN: the browser then scrolls to the line and marks it.
        target = min(line[0], max(file.lines, 1))
        return HttpResponseRedirect(f"{reverse('knowledge:file', args=[layer.pk, file.path])}#L{target}")
    text = "" if file.is_binary else file_text(file)
    lines = None if file.is_binary else highlighted_lines(file.path, text, file.language)
    return render(request, "knowledge/file.html", {
        "layer": layer, "file": file, "lines": lines, "kept_bytes": len(text.encode()),
        "bitbucket_url": bitbucket_repository_url(layer.repository.full_name),
        "bitbucket_file_url": bitbucket_file_url(layer.repository.full_name, generation.commit, file.path),
    })
