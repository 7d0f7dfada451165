"""The search box's small language: words, "quoted phrases" and the filters repo:, path:, lang:,
sym: and case:, combined freely. Pure Python: it knows nothing of the database.

- Every word and phrase must match (a content line, a path or a symbol name holding all of them).
- ``repo:x`` keeps repositories whose full name contains x (several: any of them); ``path:x``
  keeps files whose path contains x (several: all of them); ``lang:x`` keeps files in language x
  (a name or an alias such as ``py``; several: any of them); ``sym:x`` looks for symbol
  definitions whose name contains x; ``case:yes`` matches letter case exactly.
- A quote opens a phrase only at the start of a word (or of a filter's value), so code such as
  ``print("hi")`` is searched as typed; ``\\"`` is a literal quote inside a phrase.
- ``word:value`` with a word that is not a filter is a mistake the user hears about, unless it is
  plainly code (``std::vector``, ``http://…``) or has nothing after the colon (``TODO:``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.ingest.classify import language_named

MAX_QUERY = 200
FILTERS = ("repo", "path", "lang", "sym", "case")
_FILTER = re.compile(r"([A-Za-z][A-Za-z0-9_-]*):(.*)", re.DOTALL)
_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_-]*:")
_YES, _NO = ("yes", "y", "true", "on", "1"), ("no", "n", "false", "off", "0")


class QuerySyntaxError(ValueError):
    """A query that cannot be read; the message is meant for the person who typed it."""


@dataclass(frozen=True)
class Query:
    terms: tuple[str, ...] = ()  # words and phrases, each of which must match
    repos: tuple[str, ...] = ()  # a repository whose full name contains any of these
    paths: tuple[str, ...] = ()  # a path that contains all of these
    langs: tuple[str, ...] = ()  # canonical language names, any of them
    symbols_only: bool = False   # sym: was used
    case_sensitive: bool = False

    @property
    def empty(self) -> bool:
        return not self.terms


def parse(text: str) -> Query:
    """Read a query; raises QuerySyntaxError with a message for people."""
    if len(text) > MAX_QUERY:
        raise QuerySyntaxError(f"The query is {len(text):,} characters long; keep it within {MAX_QUERY}.")
    terms: list[str] = []
    found: dict[str, list[str]] = {name: [] for name in FILTERS}
    for token, quoted in _tokens(text.replace("\r", " ").replace("\n", " ")):
        match = None if quoted else _FILTER.fullmatch(token)
        key, rest = (match.group(1), match.group(2)) if match else ("", "")
        if key.lower() in FILTERS:
            value = _value(rest)
            if not value:
                raise QuerySyntaxError(f"{key.lower()}: needs a value, for example {_EXAMPLES[key.lower()]}.")
            found[key.lower()].append(value)
        elif rest and not rest.startswith((":", "/")):  # std::vector, http://… and TODO: are text
            hint = "" if rest.startswith('"') else f' To search for the text itself, put it in quotes: "{token}".'
            raise QuerySyntaxError(f"Unknown filter {key}: (the filters are {', '.join(f + ':' for f in FILTERS)}).{hint}")
        else:
            terms.append(token)
    return Query(
        terms=tuple(terms + found["sym"]),
        repos=tuple(found["repo"]),
        paths=tuple(found["path"]),
        langs=tuple(dict.fromkeys(_language(value) for value in found["lang"])),
        symbols_only=bool(found["sym"]),
        case_sensitive=_case(found["case"]),
    )


_EXAMPLES = {"repo": "repo:acme/api", "path": "path:src/", "lang": "lang:python", "sym": "sym:create_app",
             "case": "case:yes"}


def _tokens(text: str):
    """(token, was quoted) pairs; whitespace separates, a quote at a token's start opens a phrase."""
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        if text[i] == '"':
            phrase, i = _phrase(text, i)
            if not phrase:
                raise QuerySyntaxError('An empty phrase "" finds nothing: put words between the quotes.')
            yield phrase, True
            continue
        start = i
        while i < n and not text[i].isspace():
            if text[i] == '"' and _KEY.fullmatch(text[start:i]):
                _, i = _phrase(text, i)  # a filter's quoted value: key:"two words"
                break
            i += 1
        token = text[start:i]
        if token.startswith('\\"'):
            token = token[1:]  # \"x searches for "x
        yield token, False


def _phrase(text: str, start: int) -> tuple[str, int]:
    """The phrase opened by the quote at `start` and the index after its closing quote."""
    out, i = [], start + 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in '"\\':
            out.append(text[i + 1])
            i += 2
            continue
        if char == '"':
            return "".join(out), i + 1
        out.append(char)
        i += 1
    raise QuerySyntaxError('A quote is not closed: end the phrase with " (or write \\" for a quote itself).')


def _value(raw: str) -> str:
    """A filter's value: as typed, or the phrase when it is quoted."""
    if raw.startswith('"'):
        phrase, end = _phrase(raw, 0)
        if end != len(raw):
            raise QuerySyntaxError(f"Put a space after the closing quote in {raw}.")
        return phrase
    return raw


def _language(value: str) -> str:
    language = language_named(value)
    if language is None:
        raise QuerySyntaxError(f"No language is called {value!r}: try a name such as lang:python or lang:typescript.")
    return language


def _case(values: list[str]) -> bool:
    for value in values:
        if value.lower() not in _YES + _NO:
            raise QuerySyntaxError(f"case: takes yes or no, not {value!r}.")
    return bool(values) and values[-1].lower() in _YES
