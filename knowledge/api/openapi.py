"""The OpenAPI 3.1 description of the JSON API, served at /api/v1/openapi.json. The tests validate
real answers of every endpoint against it, so it says what the endpoints really return."""
from __future__ import annotations

from knowledge.ingest.symbols import SymbolKind
from knowledge.models import KnowledgeLayer
from knowledge.search import KINDS, MAX_QUERY


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict, *, required: list[str] | None = None) -> dict:
    return {"type": "object", "properties": properties, "required": required or list(properties), "additionalProperties": False}


def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


STRING, INTEGER, BOOLEAN = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
URL = {"type": "string", "format": "uri"}
SPANS = {"type": "array", "items": {"type": "array", "items": INTEGER, "minItems": 2, "maxItems": 2},
         "description": "[start, end) offsets in Unicode code points (characters) of the text they belong to."}
PAGE = {
    "next": {**_nullable(STRING), "description": "Opaque cursor of the next page (pass it as `cursor`), null on the last page."},
    "next_url": {**_nullable({"type": "string", "format": "uri"}), "description": "The next page's URL, null on the last page."},
    "truncated": {**BOOLEAN, "description": "True when more items follow this page."},
}

# Every status but deleting: a layer being deleted is gone from every list and answers 404.
LISTED_STATUSES = [status.value for status in KnowledgeLayer.Status if status != KnowledgeLayer.Status.DELETING]
STATUS = {"enum": LISTED_STATUSES,
          "description": "empty: the repository has no commit yet, and its first push builds the layer."}

LAYER = {
    "id": INTEGER, "repository": STRING, "status": STATUS,
    "failure_reason": _nullable(STRING), "commit": _nullable(STRING), "files": _nullable(INTEGER),
    "symbols": _nullable(INTEGER), "languages": {"type": "array", "items": {"$ref": "#/components/schemas/Language"}},
    "built": {**_nullable(_ref("Built")), "description": "How the serving version was built; null before the first build."},
    "url": URL,
}

SCHEMAS = {
    "Error": _object({"error": _object({"message": STRING})}),
    "Language": _object({"language": STRING, "files": INTEGER, "bytes": INTEGER,
                         "share": {"type": "number", "description": "Of the bytes of the counted files, 0 to 1."}}),
    "Layer": _object(LAYER),
    "Built": _object({
        "mode": {"enum": ["incremental", "full"]},
        "text": {**STRING, "description": 'In words: "incremental from 1a2b3c4d5e6f: 3 files changed", "full build: …".'},
        "reason": {**STRING, "description": "Full builds: why the whole archive was read."},
        "from": {**STRING, "description": "Incremental builds: the commit the changes were applied to."},
        "changed": INTEGER, "added": INTEGER, "modified": INTEGER, "removed": INTEGER, "renamed": INTEGER,
    }, required=["mode", "text"]),
    "LayerList": _object({"layers": {"type": "array", "items": _ref("Layer")}, **PAGE}),
    "LayerDetail": _object({**LAYER, "readme": _nullable(STRING), "skipped": _nullable(INTEGER),
                            "links": {**_object({"files": URL, "symbols": URL}),
                                      "description": "URLs to follow as they are."},
                            "templates": {**_object({"search": STRING}), "description":
                                          "RFC 6570 URI templates: expand them before following. `search` searches "
                                          "this layer's repository: fill in q (required; the Search syntax)."}}),
    "DirEntry": _object({"type": {"const": "dir"}, "name": STRING, "path": {**STRING, "description": "Ends with /."},
                         "files": {**INTEGER, "description": "Files beneath it, at any depth."}, "url": URL}),
    "FileEntry": _object({"type": {"const": "file"}, "name": STRING, "path": STRING, "language": _nullable(STRING),
                          "size": INTEGER, "lines": INTEGER, "binary": BOOLEAN, "vendored": BOOLEAN, "generated": BOOLEAN,
                          "url": URL}),
    "FileTree": _object({"layer": INTEGER, "path": {**STRING, "description": "The directory listed: empty for the root."},
                         "entries": {"type": "array", "items": {"oneOf": [_ref("DirEntry"), _ref("FileEntry")]}}, **PAGE}),
    "File": _object({"layer": INTEGER, "path": STRING, "language": _nullable(STRING), "size": INTEGER, "lines": INTEGER,
                     "sha256": STRING, "binary": BOOLEAN, "vendored": BOOLEAN, "generated": BOOLEAN,
                     "truncated": {**BOOLEAN, "description": "Only the first INGEST_MAX_FILE_BYTES were kept."},
                     "content": {**_nullable(STRING), "description": "The text; null for a binary file."}}),
    "Symbol": _object({"name": STRING, "kind": STRING, "container": _nullable(STRING), "path": STRING, "line": INTEGER,
                       "end_line": _nullable(INTEGER)}),
    "SymbolList": _object({"layer": INTEGER, "symbols": {"type": "array", "items": _ref("Symbol")}, **PAGE}),
    "Total": _object({"value": INTEGER, "exact": BOOLEAN,
                      "text": {**STRING, "description": 'The count in words: "1,348", "more than 10,000", "at least 873".'}},
                     ),
    "Excerpt": _object({"line": {**INTEGER, "description": "The number of the snippet's first line."},
                        "snippet": {**STRING, "description": "Plain text: consecutive lines joined by \\n; a line over 240 "
                                    "characters is cut around its first match, the cut marked with …"},
                        "matches": SPANS}),
    "SearchResult": _object({
        "kind": {"enum": list(KINDS)}, "layer": INTEGER, "repository": STRING, "path": STRING, "language": _nullable(STRING),
        "line": {**INTEGER, "description": "The line to open: the definition, the first matching line, 1 for a path."},
        "path_matches": {**SPANS, "description": "Where the terms occur in `path`."},
        "excerpts": {"type": "array", "items": _ref("Excerpt"),
                     "description": "Symbol: its definition line. Content: up to 3 matching lines with a line of context "
                                    "around each. Path: none."},
        "matching_lines": {**_nullable(INTEGER), "description": "Content: how many lines of the file match."},
        "symbol": _nullable(_object({"name": STRING, "kind": STRING, "container": _nullable(STRING),
                                     "end_line": _nullable(INTEGER)})),
    }),
    "SearchPage": _object({
        "query": STRING, "kind": {"enum": ["all", *KINDS]},
        "counts": {"type": "object", "additionalProperties": False,
                   "properties": {kind: _ref("Total") for kind in KINDS},
                   "description": "Symbol definitions, files whose path matches, files with a matching line."},
        "results": {"type": "array", "items": _ref("SearchResult")}, **PAGE,
    }),
}


def _answer(description: str, schema: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


ERRORS = {
    "400": _answer("A parameter or cursor that cannot be used; the message says which and why.", "Error"),
    "401": _answer("No valid personal token.", "Error"),
    "404": _answer("No such layer (another user's looks the same), file or directory.", "Error"),
    "405": _answer("Anything but GET or HEAD.", "Error"),
}


def _parameter(name: str, description: str, schema: dict | None = None, *, where: str = "query", required: bool = False) -> dict:
    return {"name": name, "in": where, "required": required, "description": description, "schema": schema or STRING}


LAYER_ID = _parameter("layer_id", "A layer's id.", INTEGER, where="path", required=True)
CURSOR = _parameter("cursor", "The `next` of the previous page.")


def _limit(default: int, most: int) -> dict:
    return _parameter("limit", f"Items per page (default {default}).", {"type": "integer", "minimum": 1, "maximum": most})


def _get(summary: str, answer: str, schema: str, parameters: list[dict], *, errors=("400", "401", "404", "405"),
         secured: bool = True) -> dict:
    operation = {"summary": summary, "parameters": parameters, "responses": {"200": _answer(answer, schema),
                                                                             **{code: ERRORS[code] for code in errors}}}
    if not secured:
        operation["security"] = []
    return {"get": operation}


PATHS = {
    "/layers": _get("The user's knowledge layers, by repository name.", "A page of layers.", "LayerList",
                    [CURSOR, _limit(50, 200)]),
    "/layers/{layer_id}": _get("One layer.", "The layer.", "LayerDetail", [LAYER_ID], errors=("401", "404", "405")),
    "/layers/{layer_id}/files": _get(
        "One directory of the layer's files: folders first, then files, by name.", "A page of the directory.", "FileTree",
        [LAYER_ID, _parameter("path", "The directory, such as src/app (empty: the root)."), CURSOR, _limit(50, 200)]),
    "/layers/{layer_id}/files/{path}": _get(
        "One file and its text.", "The file.", "File",
        [LAYER_ID, _parameter("path", "The file's path in the repository.", where="path", required=True)],
        errors=("401", "404", "405")),
    "/layers/{layer_id}/symbols": _get(
        "The layer's symbol definitions, by name.", "A page of symbols.", "SymbolList",
        [LAYER_ID, _parameter("q", "Part of the name (case-insensitive)."),
         _parameter("kind", "Only this kind; another value answers 400.", {"enum": [str(kind) for kind in SymbolKind]}),
         CURSOR, _limit(50, 200)]),
    "/search": _get(
        "Search the user's active layers: symbols, then paths, then content, a page at a time.", "A page of results.",
        "SearchPage",
        [_parameter("q", f"Words, \"phrases\" and filters repo:, path:, lang:, sym:, case:yes (at most {MAX_QUERY} "
                    "characters); the same syntax as the Search page.", {"type": "string", "maxLength": MAX_QUERY}, required=True),
         _parameter("repo", "Only this repository (its full name, exactly); one with no active layer of yours "
                    "answers 400, as does a repo: in q that names none of them."),
         _parameter("lang", "Only files in this language (a name or an alias such as py)."),
         _parameter("kind", "Only this kind of result.", {"enum": ["all", *KINDS]}), CURSOR, _limit(20, 100)]),
    "/openapi.json": {"get": {"summary": "This description.", "security": [], "parameters": [],
                              "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}}}}},
}


def document(server: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Strata API for agents", "version": "1",
                 "description": "Read-only JSON over your knowledge layers. Every answer is JSON, errors included "
                                "({\"error\": {\"message\": …}}). Lists come a page at a time: follow `next` (a cursor) "
                                "or `next_url` until it is null."},
        "servers": [{"url": server}],
        "security": [{"bearer": []}],
        "paths": PATHS,
        "components": {"schemas": SCHEMAS, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "description": "A personal token from the Profile page (strata_…)."}}},
    }
