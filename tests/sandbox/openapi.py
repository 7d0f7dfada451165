"""Validate JSON against Atlassian's OpenAPI spec, relaxed the way real Bitbucket is.

The spec is stricter than Bitbucket itself: real responses carry properties it forbids and `null`s it
does not declare (see ../shared/bitbucket/README.md). So: extra properties are allowed and `null` is
accepted anywhere; every other mismatch is a fault. One erratum is patched, named below.
"""
from __future__ import annotations

import copy
import functools
import json
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match

from tests.support import shared_path


def relax(node: Any) -> Any:
    """A copy of a schema with `additionalProperties: false` dropped and `null` allowed everywhere."""
    if isinstance(node, list):
        return [relax(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: relax(value) for key, value in node.items()
           if not (key == "additionalProperties" and value is False)}
    if isinstance(out.get("$ref"), str):
        return {"anyOf": [{"$ref": out["$ref"]}, {"type": "null"}]}
    if isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    if isinstance(out.get("enum"), list) and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    return out


@functools.cache
def spec() -> dict:
    return json.loads(shared_path("bitbucket", "openapi", "swagger.v3.json").read_text())


@functools.cache
def components() -> dict:
    relaxed = relax(spec()["components"])
    # Erratum: the spec types commit_file.attributes as one string, but Bitbucket sends a list
    # (rest/repository-src-*_format_meta.json: "attributes": []).
    attributes = relaxed["schemas"]["commit_file"]["properties"]["attributes"]
    relaxed["schemas"]["commit_file"]["properties"]["attributes"] = {
        "anyOf": [attributes, {"type": "array", "items": attributes}]}
    return relaxed


def response_schema(path: str, method: str = "get", status: int = 200) -> dict:
    """The spec's schema for one response of one operation (`path` as written in the spec)."""
    operation = spec()["paths"][path][method]
    content = operation["responses"][str(status)]["content"]["application/json"]
    return relax(content["schema"])


def _validate(instance: Any, schema: dict) -> None:
    validator = jsonschema.Draft7Validator({"allOf": [schema], "components": components()})
    error = best_match(validator.iter_errors(instance))
    if error is not None:
        # The deepest cause: `anyOf` (from relaxing $refs) otherwise hides where the mismatch is.
        while error.context:
            error = best_match(error.context)
        where = "/".join(str(p) for p in error.absolute_path)
        raise AssertionError(f"does not match the OpenAPI schema at /{where}: {error.message[:300]}")


def validate(instance: Any, path: str, method: str = "get", status: int = 200) -> None:
    """Fail unless `instance` matches the spec's response schema for (path, method, status)."""
    _validate(instance, response_schema(path, method, status))


def validate_named(instance: Any, name: str) -> None:
    """Fail unless `instance` matches components.schemas[name]."""
    _validate(instance, {"$ref": f"#/components/schemas/{name}"})


def validate_page(instance: Any, item_schema: str | None = None) -> None:
    """A paginated envelope (for endpoints whose 200 the spec leaves undescribed), items optional."""
    envelope = copy.deepcopy(spec()["components"]["schemas"]["paginated_repositories"])
    envelope["properties"]["values"]["items"] = (
        {"$ref": f"#/components/schemas/{item_schema}"} if item_schema else {})
    _validate(instance, relax(envelope))
