"""Parse dependency manifests into (ecosystem, name, constraint, scope) rows; never raise.

Supported: requirements*.txt, pyproject.toml (PEP 621, PEP 735 groups, Poetry), setup.cfg,
package.json, go.mod, pom.xml, Cargo.toml, Gemfile, *.gemspec and composer.json. Lock files are
left out on purpose: they list the resolved graph, not what the team asked for. A manifest that
cannot be parsed yields a ``ManifestResult`` with ``error`` set and whatever was read before.
"""
from __future__ import annotations

import configparser
import json
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from defusedxml import ElementTree as SafeElementTree
from defusedxml.common import DefusedXmlException
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name


class Scope(StrEnum):
    RUNTIME = "runtime"
    DEV = "dev"
    TEST = "test"
    BUILD = "build"
    OPTIONAL = "optional"
    PEER = "peer"
    PROVIDED = "provided"
    INDIRECT = "indirect"


@dataclass(frozen=True)
class DeclaredDependency:
    ecosystem: str  # pypi, npm, go, maven, cargo, rubygems, composer
    name: str
    constraint: str  # as written ("" when unconstrained)
    scope: Scope
    manifest: str  # path of the manifest in the repository
    group: str = ""  # extra, Poetry/Gemfile group, Cargo target… when the manifest names one


@dataclass
class ManifestResult:
    path: str
    ecosystem: str
    dependencies: list[DeclaredDependency] = field(default_factory=list)
    error: str | None = None


_Parser = Callable[[str, "_Collector"], None]
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_PEP508_HEAD = re.compile(r"^\s*[A-Za-z0-9][A-Za-z0-9._\-]*\s*(\[[^\]]*\])?")  # name and extras
_REQUIREMENTS_NAME = re.compile(r"^(.*/)?[^/]*requirements[^/]*\.(txt|in)$|^(.*/)?requirements/[^/]+\.(txt|in)$")


def manifest_kind(path: str) -> str | None:
    """The manifest type of a path ("package.json", "requirements.txt", …) or None."""
    name = path.rsplit("/", 1)[-1]
    if name in _PARSERS:
        return name
    if name.endswith(".gemspec"):
        return ".gemspec"
    if _REQUIREMENTS_NAME.match(path):
        return "requirements.txt"
    return None


def parse_manifest(path: str, text: str) -> ManifestResult | None:
    """Dependencies declared by the manifest at ``path``; None when the path is no manifest."""
    kind = manifest_kind(path)
    if kind is None:
        return None
    ecosystem, parser = _PARSERS[kind]
    collector = _Collector(ManifestResult(path=path, ecosystem=ecosystem))
    try:
        parser(text, collector)
    except (ValueError, KeyError, TypeError, AttributeError, configparser.Error, DefusedXmlException,
            SafeElementTree.ParseError, RecursionError) as error:
        # tomllib/json errors are ValueErrors; keep what was read and say why the rest is missing.
        collector.result.error = f"{type(error).__name__}: {error}"[:500]
    return collector.result


class _Collector:
    def __init__(self, result: ManifestResult) -> None:
        self.result = result

    def add(self, name: str, constraint: str, scope: Scope, group: str = "") -> None:
        name = name.strip()
        if not name:
            return
        if self.result.ecosystem == "pypi":
            name = canonicalize_name(name)
        self.result.dependencies.append(
            DeclaredDependency(self.result.ecosystem, name, constraint.strip(), scope, self.result.path, group)
        )

    def pep508(self, line: str, scope: Scope, group: str = "") -> None:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            self.note(f"unreadable requirement: {line[:80]}")
            return
        # The constraint as written ("Django>=5.2,<6"), not packaging's re-sorted form.
        written = _PEP508_HEAD.sub("", line.split(";", 1)[0], count=1).strip()
        constraint = requirement.url or re.sub(r"\s+", "", written).strip("()")
        self.add(requirement.name, constraint, scope, group)

    def note(self, message: str) -> None:
        # Keep the first problem; a manifest with one bad line still yields the rest.
        self.result.error = self.result.error or message


def _scope_from_name(name: str) -> Scope:
    lowered = name.lower()
    if "test" in lowered:
        return Scope.TEST
    if any(word in lowered for word in ("dev", "lint", "doc", "typing")):
        return Scope.DEV
    if "build" in lowered:
        return Scope.BUILD
    return Scope.RUNTIME


def _group_scope(group: str) -> Scope:
    """A named group of extra dependencies is for development unless its name says otherwise."""
    scope = _scope_from_name(group)
    return Scope.DEV if scope is Scope.RUNTIME else scope


def _requirements(text: str, out: _Collector) -> None:
    # requirements-dev.txt, requirements/test.txt, docs/requirements.txt: the path says what for.
    scope = _scope_from_name(out.result.path.replace("requirements", ""))
    for raw in text.replace("\\\n", " ").splitlines():
        line = re.split(r"\s--", re.sub(r"(^|\s)#.*$", "", raw))[0].strip()  # drop --hash=…
        if not line or line.startswith("-"):
            continue  # options, -r/-c includes and editables are not packages of this file
        if _URL.match(line) or line.startswith((".", "/")):
            # A bare URL or local path names its package only through #egg=, if at all.
            egg = re.search(r"[#&]egg=([A-Za-z0-9_.\-]+)", line)
            if egg:
                out.add(egg.group(1), line.split("#", 1)[0], scope)
            continue
        out.pep508(line, scope)


def _pyproject(text: str, out: _Collector) -> None:
    data = tomllib.loads(text)
    project = data.get("project", {})
    for line in project.get("dependencies", []):
        out.pep508(line, Scope.RUNTIME)
    for extra, lines in project.get("optional-dependencies", {}).items():
        for line in lines:
            out.pep508(line, Scope.OPTIONAL, extra)
    for group, lines in data.get("dependency-groups", {}).items():
        for line in lines:
            if isinstance(line, str):  # {include-group = …} tables only point elsewhere
                out.pep508(line, _group_scope(group), group)
    for line in data.get("build-system", {}).get("requires", []):
        out.pep508(line, Scope.BUILD)
    poetry = data.get("tool", {}).get("poetry", {})
    _poetry_table(poetry.get("dependencies", {}), Scope.RUNTIME, "", out)
    _poetry_table(poetry.get("dev-dependencies", {}), Scope.DEV, "dev", out)
    for group, table in poetry.get("group", {}).items():
        _poetry_table(table.get("dependencies", {}), _group_scope(group), group, out)


def _poetry_table(table: dict, scope: Scope, group: str, out: _Collector) -> None:
    for name, spec in table.items():
        if name.lower() == "python":
            continue  # the interpreter, not a package
        constraint, optional = _table_constraint(spec)
        out.add(name, constraint, Scope.OPTIONAL if optional else scope, group)


def _table_constraint(spec: object) -> tuple[str, bool]:
    """Poetry and Cargo: "1.2" or {version = "1.2", optional = true, git = "…", path = "…"}."""
    if isinstance(spec, str):
        return spec, False
    if isinstance(spec, list):  # Poetry multiple-constraint form
        return " || ".join(_table_constraint(item)[0] for item in spec), False
    if not isinstance(spec, dict):
        raise TypeError(f"unexpected dependency value {spec!r:.60}")
    for key in ("version", "git", "path", "url"):
        if key in spec:
            return (str(spec[key]) if key == "version" else f"{key}:{spec[key]}"), bool(spec.get("optional"))
    return ("workspace" if spec.get("workspace") else ""), bool(spec.get("optional"))


def _setup_cfg(text: str, out: _Collector) -> None:
    config = configparser.ConfigParser(interpolation=None)
    config.read_string(text)
    for key, scope in (("install_requires", Scope.RUNTIME), ("tests_require", Scope.TEST),
                       ("setup_requires", Scope.BUILD)):
        for line in _lines(config.get("options", key, fallback="")):
            out.pep508(line, scope)
    if config.has_section("options.extras_require"):
        for extra, value in config.items("options.extras_require"):
            for line in _lines(value):
                out.pep508(line, Scope.OPTIONAL, extra)


def _lines(value: str) -> Iterable[str]:
    # setuptools: one requirement per line, or a single line of ";"-separated requirements.
    value = value.strip()
    parts = value.splitlines() if "\n" in value else value.split(";")
    return (part.strip() for part in parts if part.strip() and not part.strip().startswith("#"))


def _json_dependencies(sections: dict[str, Scope], skip: Callable[[str], bool]) -> _Parser:
    def parse(text: str, out: _Collector) -> None:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise TypeError("top level is not an object")
        for section, scope in sections.items():
            entries = data.get(section) or {}
            if not isinstance(entries, dict):
                out.note(f"{section} is not an object")
                continue
            for name, constraint in entries.items():
                if not skip(name):
                    out.add(name, constraint if isinstance(constraint, str) else json.dumps(constraint), scope)
    return parse


def _go_mod(text: str, out: _Collector) -> None:
    in_block = False
    for raw in text.splitlines():
        line, _, comment = raw.partition("//")
        words = line.split()
        if in_block:
            if words[:1] == [")"]:
                in_block = False
                continue
        elif words[:1] == ["require"]:
            words = words[1:]
            if words[:1] == ["("]:
                in_block = True
                continue
        else:
            continue
        if len(words) >= 2:
            out.add(words[0], words[1], Scope.INDIRECT if "indirect" in comment else Scope.RUNTIME)


def _pom(text: str, out: _Collector) -> None:
    # forbid_dtd: a pom never needs one, and entity tricks (billion laughs, XXE) live there.
    root = SafeElementTree.fromstring(text.encode("utf-8"), forbid_dtd=True)
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.split("}", 1)[1]  # the POM namespace is noise here
    properties = {child.tag: (child.text or "").strip() for child in root.findall("properties/*")}
    for key in ("version", "groupId", "artifactId"):
        value = root.findtext(key) or root.findtext(f"parent/{key}")
        if value:
            properties[f"project.{key}"] = properties[f"pom.{key}"] = value.strip()
    properties["project.parent.version"] = (root.findtext("parent/version") or "").strip()

    def resolve(value: str) -> str:
        # Properties may refer to properties: a few rounds, and a length cap, so that neither a
        # cycle nor a "billion laughs" made of properties can run away.
        for _ in range(5):
            if "${" not in value or len(value) > 512:
                break
            value = re.sub(r"\$\{([^}]+)\}", lambda m: properties.get(m.group(1), m.group(0)), value)
        return value[:512]

    scopes = {"test": Scope.TEST, "provided": Scope.PROVIDED, "system": Scope.PROVIDED}
    for dependency in root.findall("dependencies/dependency"):
        group, artifact = dependency.findtext("groupId", ""), dependency.findtext("artifactId", "")
        scope = scopes.get(dependency.findtext("scope", "").strip(), Scope.RUNTIME)
        if dependency.findtext("optional", "").strip() == "true":
            scope = Scope.OPTIONAL
        out.add(f"{resolve(group.strip())}:{resolve(artifact.strip())}",
                resolve(dependency.findtext("version", "")), scope)


def _cargo(text: str, out: _Collector) -> None:
    data = tomllib.loads(text)
    sections = {"dependencies": Scope.RUNTIME, "dev-dependencies": Scope.DEV, "build-dependencies": Scope.BUILD}
    tables: list[tuple[dict, str]] = [(data, "")]
    tables += [(table, target) for target, table in data.get("target", {}).items()]
    tables.append((data.get("workspace", {}), "workspace"))
    for table, group in tables:
        for section, scope in sections.items():
            for name, spec in table.get(section, {}).items():
                constraint, optional = _table_constraint(spec)
                package = spec.get("package", name) if isinstance(spec, dict) else name
                out.add(package, constraint, Scope.OPTIONAL if optional else scope, group)


_GEM = re.compile(r"""^\s*gem\s*\(?\s*["']([^"']+)["']((?:\s*,\s*["'][^"']*["'])*)(.*)$""")
_GEMSPEC = re.compile(
    r"""\.add_(runtime_|development_)?dependency\s*\(?\s*["']([^"']+)["']((?:\s*,\s*["'][^"']*["'])*)"""
)
_BLOCK_START = re.compile(r"^\s*(if|unless|case|begin|while|until|def|class|module)\b|\bdo\s*(\|[^|]*\|)?\s*$")


def _gemfile(text: str, out: _Collector) -> None:
    groups: list[list[str]] = []  # one entry per open block; only `group … do` blocks name groups
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if re.match(r"^\s*end\b", line):
            if groups:
                groups.pop()
            continue
        gem = _GEM.match(line)
        if gem:
            names = [g for block in groups for g in block] + _inline_groups(gem.group(3))
            out.add(gem.group(1), _versions(gem.group(2)), _gem_scope(names), ",".join(names))
            continue
        if _BLOCK_START.search(line):
            groups.append(re.findall(r":(\w+)", line) if re.match(r"^\s*group\b", line) else [])


def _inline_groups(options: str) -> list[str]:
    match = re.search(r"groups?:\s*(\[[^\]]*\]|:\w+)", options)
    return re.findall(r":(\w+)", match.group(1)) if match else []


def _gem_scope(groups: list[str]) -> Scope:
    if "test" in groups:
        return Scope.TEST
    if "development" in groups:
        return Scope.DEV
    return Scope.RUNTIME


def _versions(text: str) -> str:
    return ", ".join(re.findall(r"""["']([^"']*)["']""", text))


def _gemspec(text: str, out: _Collector) -> None:
    for kind, name, versions in _GEMSPEC.findall(text):
        out.add(name, _versions(versions), Scope.DEV if kind == "development_" else Scope.RUNTIME)


def _composer_platform(name: str) -> bool:
    # php, ext-json, lib-curl… are platform requirements, not packages anyone installs.
    return name == "php" or name.startswith(("ext-", "lib-", "composer-"))


_PARSERS: dict[str, tuple[str, _Parser]] = {
    "requirements.txt": ("pypi", _requirements),
    "pyproject.toml": ("pypi", _pyproject),
    "setup.cfg": ("pypi", _setup_cfg),
    "package.json": ("npm", _json_dependencies(
        {"dependencies": Scope.RUNTIME, "devDependencies": Scope.DEV,
         "peerDependencies": Scope.PEER, "optionalDependencies": Scope.OPTIONAL}, lambda name: False)),
    "go.mod": ("go", _go_mod),
    "pom.xml": ("maven", _pom),
    "Cargo.toml": ("cargo", _cargo),
    "Gemfile": ("rubygems", _gemfile),
    ".gemspec": ("rubygems", _gemspec),
    "composer.json": ("composer", _json_dependencies(
        {"require": Scope.RUNTIME, "require-dev": Scope.DEV}, _composer_platform)),
}
