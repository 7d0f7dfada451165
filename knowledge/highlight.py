"""Syntax highlighting of one file for the file view, line by line so each line can be linked."""
from __future__ import annotations

from django.utils.safestring import SafeString, mark_safe
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_by_name, get_lexer_for_filename
from pygments.util import ClassNotFound

# Highlighting huge files costs more than it helps; they are shown as plain text.
MAX_HIGHLIGHT_BYTES = 512 * 1024


def _lexer(path: str, language: str):
    try:
        return get_lexer_for_filename(path, stripnl=False)
    except ClassNotFound:
        pass
    try:
        return get_lexer_by_name(language.lower(), stripnl=False)
    except ClassNotFound:
        return TextLexer(stripnl=False)


def highlighted_lines(path: str, content: str, language: str = "") -> list[SafeString]:
    """One safe HTML string per line of `content`; a final newline ends the last line, as editors
    and `wc -l` count, rather than starting an empty one."""
    lexer = TextLexer(stripnl=False) if len(content) > MAX_HIGHLIGHT_BYTES else _lexer(path, language)
    html = highlight(content, lexer, HtmlFormatter(nowrap=True))
    count = content.count("\n") + (not content.endswith("\n"))
    return [mark_safe(line) for line in html.split("\n")[:count]]

