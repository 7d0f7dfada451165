"""Pick a repository's README and docs pages and render them to HTML that is safe to show.

Markdown goes through markdown-it-py (CommonMark plus tables and strikethrough) with raw HTML
allowed, because real READMEs use it (centred logos, <details>), and then through nh3 (the
Ammonia allowlist sanitizer), which is what makes the result safe: scripts, event handlers,
styles and javascript: URLs never survive. Relative links are resolved against the document's
folder and handed to ``resolve_link`` so the caller can point them at its own file view; without
one (and always for images, whose bytes are not kept) they are dropped rather than left to
resolve against our site. Images are never loaded from elsewhere either: a remote image would be
fetched from its host by every reader of the layer (a tracking pixel), so a Markdown image with an
absolute URL becomes a link to it, labelled with its alt text, and an <img> keeps only its alt.
"""
from __future__ import annotations

import html
import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

MAX_RENDER_CHARS = 512 * 1024  # markdown-it is linear in practice; this bounds the worst case

_MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")
_DOC_SUFFIXES = (*_MARKDOWN_SUFFIXES, ".rst", ".txt", ".adoc")
_DOC_FOLDERS = ("docs/", "doc/", "documentation/")
_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_ATTRIBUTES = {**nh3.ALLOWED_ATTRIBUTES, "*": {"title"}}
_markdown = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])

ResolveLink = Callable[[str], "str | None"]


@dataclass(frozen=True)
class DocPage:
    path: str
    kind: str  # "readme" or "doc"
    title: str
    html: str


def doc_kind(path: str) -> str | None:
    """ "readme" for README files anywhere, "doc" for pages under docs/, else None."""
    name = path.rsplit("/", 1)[-1]
    lowered = name.lower()
    if lowered.startswith("readme") and (lowered == "readme" or lowered.endswith(_DOC_SUFFIXES)):
        return "readme"
    if lowered.endswith(_DOC_SUFFIXES) and path.lower().startswith(_DOC_FOLDERS):
        return "doc"
    return None


def readme_rank(path: str) -> tuple[int, int, str]:
    """Sort key choosing the layer's overview README: shallowest first, Markdown preferred."""
    lowered = path.lower()
    kind = 0 if lowered.endswith(_MARKDOWN_SUFFIXES) else 1 if lowered.endswith(".rst") else 2
    return path.count("/"), kind, path


def render_doc(path: str, content: bytes | str, *, resolve_link: ResolveLink | None = None) -> DocPage:
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    text = text[:MAX_RENDER_CHARS]
    if path.lower().endswith(_MARKDOWN_SUFFIXES) or "." not in path.rsplit("/", 1)[-1]:
        body, title = render_markdown(text, base_path=path, resolve_link=resolve_link)
    else:
        # No reStructuredText/AsciiDoc renderer here: show the source, escaped, as written.
        body, title = f"<pre>{html.escape(text)}</pre>", _first_line(text)
    return DocPage(path=path, kind=doc_kind(path) or "doc", title=title or path.rsplit("/", 1)[-1], html=body)


def render_markdown(
    text: str, *, base_path: str = "README.md", resolve_link: ResolveLink | None = None
) -> tuple[str, str]:
    """Safe HTML for Markdown ``text`` and the plain text of its first heading ("" if none)."""
    tokens = _markdown.parse(text[:MAX_RENDER_CHARS])
    heading = next((tokens[i + 1] for i, token in enumerate(tokens[:-1]) if token.type == "heading_open"), None)
    title = "".join(
        child.content for child in (heading.children or []) if child.type in ("text", "code_inline")
    ) if heading else ""
    _images_as_links(tokens)
    unsafe = _markdown.renderer.render(tokens, _markdown.options, {})

    def keep_url(tag: str, attribute: str, value: str) -> str | None:
        if attribute not in ("href", "src"):
            return value
        if tag == "img":
            return None  # no image is fetched from anywhere: relative bytes are not kept, remote ones track
        return _safe_url(value, base_path, resolve_link)

    safe = nh3.clean(
        unsafe,
        tags=nh3.ALLOWED_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=keep_url,
        link_rel="noopener noreferrer nofollow",
        url_schemes=set(_SAFE_SCHEMES),
    )
    return safe, title.strip()[:200]


def _images_as_links(tokens: list[Token]) -> None:
    """Turn each Markdown image with an absolute http(s) URL into a link to it, labelled by its alt
    text, so the reader can still open it on purpose (relative ones keep their alt text only)."""
    for token in tokens:
        if token.type != "inline" or not token.children:
            continue
        children: list[Token] = []
        for child in token.children:
            src = str(child.attrs.get("src", "")) if child.type == "image" else ""
            if urlsplit(src.strip()).scheme.lower() in ("http", "https"):
                label = Token("text", "", 0, content=f"[image: {child.content or 'untitled'}]")
                children += [Token("link_open", "a", 1, attrs={"href": src}), label, Token("link_close", "a", -1)]
            else:
                children.append(child)
        token.children = children


def _safe_url(value: str, base_path: str, resolve_link: ResolveLink | None) -> str | None:
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme:
        return value if parts.scheme.lower() in _SAFE_SCHEMES else None
    if value.startswith("#") or not value:
        return value or None
    if resolve_link is None or value.startswith("//"):
        return None
    if parts.path.startswith("/"):
        target = parts.path.lstrip("/")  # "/docs/x.md" in a README means the repository root
    else:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(base_path), parts.path))
    if target.startswith("../") or target == "..":
        return None  # points outside the repository
    return resolve_link(target + (f"#{parts.fragment}" if parts.fragment else ""))


def _first_line(text: str) -> str:
    """The title of a plain or reStructuredText page: its first line of words, skipping section
    adornments (=====), directives, comments and labels (.. _label:) and field lists (:orphan:)."""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("..", ":")) or not any(c.isalnum() for c in line):
            continue
        return line[:200]
    return ""
