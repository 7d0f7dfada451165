"""Classify a repository file: language, binary, vendored, generated, ignored, line count.

Everything here is decided from the path and the first bytes of content, so it costs
microseconds per file: a fixed table first, Pygments' filename patterns only for extensions the
table does not know.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import pathspec
from pygments.lexers import LEXERS

HEAD_BYTES = 8 * 1024  # binary and shebang sniffing look no further

_EXTENSIONS: dict[str, str] = {
    ".py": "Python", ".pyi": "Python", ".pyw": "Python",
    ".js": "JavaScript", ".mjs": "JavaScript", ".cjs": "JavaScript", ".jsx": "JavaScript",
    ".ts": "TypeScript", ".mts": "TypeScript", ".cts": "TypeScript", ".tsx": "TSX",
    ".java": "Java", ".go": "Go", ".rs": "Rust",
    ".c": "C", ".h": "C",
    ".cc": "C++", ".cpp": "C++", ".cxx": "C++", ".c++": "C++", ".hh": "C++", ".hpp": "C++",
    ".hxx": "C++", ".h++": "C++", ".ipp": "C++", ".inl": "C++",
    ".cs": "C#", ".rb": "Ruby", ".rake": "Ruby", ".gemspec": "Ruby", ".ru": "Ruby",
    ".php": "PHP", ".phtml": "PHP",
    ".kt": "Kotlin", ".kts": "Kotlin", ".swift": "Swift", ".scala": "Scala", ".sc": "Scala",
    ".groovy": "Groovy", ".gradle": "Groovy", ".clj": "Clojure", ".cljs": "Clojure",
    ".ex": "Elixir", ".exs": "Elixir", ".erl": "Erlang", ".hs": "Haskell", ".ml": "OCaml",
    ".fs": "F#", ".dart": "Dart", ".lua": "Lua", ".pl": "Perl", ".pm": "Perl", ".r": "R",
    ".jl": "Julia", ".m": "Objective-C", ".mm": "Objective-C++", ".vue": "Vue",
    ".svelte": "Svelte", ".zig": "Zig", ".nim": "Nim", ".tf": "HCL", ".hcl": "HCL",
    ".sh": "Shell", ".bash": "Shell", ".zsh": "Shell", ".ksh": "Shell", ".fish": "Fish",
    ".ps1": "PowerShell", ".psm1": "PowerShell", ".bat": "Batchfile", ".cmd": "Batchfile",
    ".html": "HTML", ".htm": "HTML", ".xhtml": "HTML",
    ".css": "CSS", ".scss": "SCSS", ".sass": "Sass", ".less": "Less",
    ".md": "Markdown", ".markdown": "Markdown", ".mdx": "MDX", ".rst": "reStructuredText",
    ".txt": "Text", ".adoc": "AsciiDoc",
    ".json": "JSON", ".jsonc": "JSON", ".json5": "JSON5", ".ipynb": "Jupyter Notebook",
    ".yaml": "YAML", ".yml": "YAML", ".toml": "TOML", ".ini": "INI", ".cfg": "INI",
    ".xml": "XML", ".xsd": "XML", ".xsl": "XML", ".svg": "SVG", ".plist": "XML",
    ".csproj": "XML", ".sql": "SQL", ".proto": "Protocol Buffers", ".graphql": "GraphQL",
    ".gql": "GraphQL", ".cmake": "CMake", ".mk": "Makefile", ".dockerfile": "Dockerfile",
    ".tex": "TeX", ".csv": "CSV", ".tsv": "TSV", ".po": "Gettext Catalog", ".pot": "Gettext Catalog",
}
_FILENAMES: dict[str, str] = {
    "Dockerfile": "Dockerfile", "Containerfile": "Dockerfile", "Makefile": "Makefile",
    "makefile": "Makefile", "GNUmakefile": "Makefile", "CMakeLists.txt": "CMake",
    "Gemfile": "Ruby", "Rakefile": "Ruby", "Podfile": "Ruby", "Vagrantfile": "Ruby",
    "Jenkinsfile": "Groovy", "BUILD": "Starlark", "BUILD.bazel": "Starlark",
    "WORKSPACE": "Starlark", "go.mod": "Go Module", "go.sum": "Go Checksums",
    "Cargo.lock": "TOML", "Pipfile": "TOML", ".bashrc": "Shell", ".zshrc": "Shell",
}
_INTERPRETERS: dict[str, str] = {
    "python": "Python", "node": "JavaScript", "deno": "TypeScript", "ts-node": "TypeScript",
    "sh": "Shell", "bash": "Shell", "zsh": "Shell", "dash": "Shell", "ksh": "Shell",
    "ruby": "Ruby", "php": "PHP", "perl": "Perl", "lua": "Lua", "Rscript": "R",
}
# Prose and data formats: inventoried and searchable, but not "what the code is written in".
_NOT_CODE = frozenset({
    "Text", "Markdown", "MDX", "reStructuredText", "AsciiDoc", "JSON", "JSON5", "YAML", "TOML",
    "INI", "XML", "SVG", "CSV", "TSV", "Go Module", "Go Checksums", "Gettext Catalog",
})
_BINARY_EXTENSIONS = frozenset(
    ".png .jpg .jpeg .gif .bmp .ico .webp .tiff .psd .pdf .zip .gz .tgz .bz2 .xz .7z .rar .jar "
    ".war .class .so .dll .dylib .exe .o .a .lib .pyc .pyo .whl .egg .woff .woff2 .ttf .otf "
    ".eot .mo .mp3 .mp4 .wav .ogg .avi .mov .webm .sqlite .db .bin .dat .pkl .npy .parquet".split()
)
_TEXT_BYTES = bytes(range(32, 256)) + b"\b\t\n\f\r\x1b"
_CPP_HINTS = re.compile(rb"\b(class|namespace|template\s*<|public:|private:)|std::|#include\s*<\w+>\s")

# Paths whose code a team does not write: counted in the inventory, kept out of language shares
# and symbols. GitHub linguist's vendor.yml is the inspiration; this is the common core.
_VENDORED_PATTERNS = (
    "node_modules/", "bower_components/", "vendor/", "vendors/", "third_party/", "third-party/",
    "thirdparty/", "Pods/", "Carthage/", ".yarn/", "site-packages/",
    ".venv/", "venv/", "__pycache__/", "jspm_packages/", "dist/", "build/", "target/",
    ".next/", ".nuxt/", "*.min.js", "*.min.css", "*-min.js", "*.bundle.js",
    "*.js.map", "*.css.map", "jquery*.js", "bootstrap*.css", "gradlew", "gradlew.bat",
    "gradle/wrapper/", "mvnw", "mvnw.cmd",
)
_GENERATED_PATTERNS = (
    "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "*.lock",
    "go.sum", "*.pb.go", "*.pb.cc", "*.pb.h", "*_pb2.py", "*_pb2_grpc.py", "*_pb2.pyi",
    "*.g.dart", "*.freezed.dart", "*.designer.cs", "*.generated.*", "*_generated.*",
    "__generated__/", "generated/", "*.snap",
)
_GENERATED_MARKERS = (
    b"@generated", b"<auto-generated", b"autogenerated by", b"automatically generated by",
    b"this file is generated", b"this file was generated", b"this file is auto-generated",
)
_MARKER_BYTES = 1024  # generators announce themselves in the first lines


@dataclass(frozen=True)
class FileClass:
    language: str | None
    binary: bool
    vendored: bool
    generated: bool
    lines: int


class Classifier:
    """Classify files of one repository; ``strataignore`` is the text of its root .strataignore."""

    def __init__(self, strataignore: str | None = None) -> None:
        self._ignore = parse_ignore(strataignore) if strataignore else None

    def ignored(self, path: str) -> bool:
        """True when the repository's .strataignore excludes the path from the layer."""
        return self._ignore is not None and self._ignore.match_file(path)

    def classify(self, path: str, content: bytes) -> FileClass:
        head = content[:HEAD_BYTES]
        binary = is_binary(path, head)
        return FileClass(
            language=None if binary else detect_language(path, head),
            binary=binary,
            vendored=is_vendored(path),
            generated=not binary and is_generated(path, head),
            lines=0 if binary else count_lines(content),
        )


def _combine(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for a list of positive gitignore patterns: one match instead of forty."""
    spec = pathspec.GitIgnoreSpec.from_lines(patterns)
    parts = [pattern.regex.pattern.replace("(?P<ps_d>", "(?:") for pattern in spec.patterns]
    return re.compile("|".join(f"(?:{part})" for part in parts))


_VENDORED = _combine(_VENDORED_PATTERNS)
_GENERATED = _combine(_GENERATED_PATTERNS)


def parse_ignore(text: str) -> pathspec.GitIgnoreSpec:
    """A .strataignore (gitignore syntax); unparseable lines are dropped, not fatal."""
    patterns = []
    for line in text.splitlines()[:10_000]:
        try:
            pathspec.GitIgnoreSpec.from_lines([line])
        except (ValueError, re.error):
            continue
        patterns.append(line)
    return pathspec.GitIgnoreSpec.from_lines(patterns)


def detect_language(path: str, head: bytes = b"") -> str | None:
    name = path.rsplit("/", 1)[-1]
    if name in _FILENAMES:
        return _FILENAMES[name]
    if name.startswith("Dockerfile.") or name.endswith(".Dockerfile"):
        return "Dockerfile"
    suffix = _suffix(name)
    language = _EXTENSIONS.get(suffix)
    if language == "C" and suffix == ".h" and _CPP_HINTS.search(head):
        return "C++"
    if language is None and head.startswith(b"#!"):
        language = _shebang_language(head[: head.find(b"\n")] if b"\n" in head else head)
    if language is None and suffix:
        language = _pygments_suffixes().get(suffix)
    return language


def _shebang_language(line: bytes) -> str | None:
    words = line[2:].decode("utf-8", "replace").split()
    if not words:
        return None
    program = words[0].rsplit("/", 1)[-1]
    if program == "env":
        program = next((word for word in words[1:] if not word.startswith("-")), "")
    program = program.rstrip("0123456789.")  # python3.11 -> python
    return _INTERPRETERS.get(program)


@functools.cache
def _pygments_suffixes() -> dict[str, str]:
    """Pygments' "*.ext" filename patterns as one dict, built once (~2 ms).

    get_lexer_for_filename would scan ~600 lexers per call; with one call per unknown suffix,
    a repository of many odd suffixes would cost seconds.
    """
    table: dict[str, str] = {}
    for _module, name, _aliases, filenames, _mimetypes in LEXERS.values():
        for pattern in filenames:
            if pattern.startswith("*.") and not any(char in pattern[2:] for char in "*?[") and name != "Text only":
                table.setdefault(pattern[1:].lower(), name)
    return table


@functools.cache
def _language_names() -> dict[str, str]:
    """Every lower-cased way to name a language detect_language returns: its name, a suffix
    without the dot ("py"), an interpreter ("node") or one of Pygments' aliases ("golang")."""
    ours = set(_EXTENSIONS.values()) | set(_FILENAMES.values()) | set(_INTERPRETERS.values())
    names: dict[str, str] = {}
    for _module, name, aliases, _filenames, _mimetypes in LEXERS.values():
        canonical = next((our for our in ours if our.lower() == name.lower()), name)
        for alias in (name, *aliases):
            names.setdefault(alias.lower(), canonical)
    names.update({program.lower(): language for program, language in _INTERPRETERS.items()})
    names.update({suffix[1:]: language for suffix, language in _EXTENSIONS.items()})
    names.update({language.lower(): language for language in ours})
    return names


def language_named(value: str) -> str | None:
    """The language detect_language calls `value` ("py", "Python", "golang" → its name), or None."""
    return _language_names().get(value.strip().lower())


def is_code_language(language: str | None) -> bool:
    return language is not None and language not in _NOT_CODE


def is_binary(path: str, head: bytes) -> bool:
    if _suffix(path.rsplit("/", 1)[-1]) in _BINARY_EXTENSIONS:
        return True
    if b"\0" in head:
        return True
    if not head:
        return False
    # Text has few control bytes besides whitespace, backspace, form feed and ESC.
    return len(head.translate(None, _TEXT_BYTES)) * 10 > len(head)


def _suffix(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""  # ".bashrc" has no suffix, like pathlib


def is_vendored(path: str) -> bool:
    return _VENDORED.match(path) is not None


def is_generated(path: str, head: bytes = b"") -> bool:
    if _GENERATED.match(path) is not None:
        return True
    start = head[:_MARKER_BYTES].lower()
    if b"do not edit" in start and b"generated" in start:  # "Code generated by X. DO NOT EDIT."
        return True
    return any(marker in start for marker in _GENERATED_MARKERS)


def count_lines(content: bytes) -> int:
    """Lines as an editor shows them: a last line without a newline still counts."""
    if not content:
        return 0
    return content.count(b"\n") + (0 if content.endswith(b"\n") else 1)
