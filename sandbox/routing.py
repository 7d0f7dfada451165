"""The route table: path templates to handlers, with the scope each API endpoint needs."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

PLACEHOLDER = re.compile(r"\{(\w+)(:path)?\}")


def compile_template(template: str) -> re.Pattern:
    """`/2.0/repositories/{ws}/{slug}/src/{rest:path}` -> a regex with named groups."""
    pattern, position = "", 0
    for match in PLACEHOLDER.finditer(template):
        pattern += re.escape(template[position:match.start()])
        pattern += f"(?P<{match.group(1)}>.*)" if match.group(2) else f"(?P<{match.group(1)}>[^/]+)"
        position = match.end()
    return re.compile("^" + pattern + re.escape(template[position:]) + "$")


@dataclass
class Route:
    method: str
    pattern: re.Pattern
    handler: Callable[..., Any]
    scope: str | None        # a key of auth.SCOPES; None: no Bitbucket authentication
    kind: str                # "api" (/2.0), "web" (bitbucket.org pages, archives) or "control"


@dataclass
class Call:
    """What a handler gets: the state, the request, the caller (when authenticated), the delivery."""
    state: Any
    request: Any
    delivery: Any
    principal: Any = None
    params: dict[str, str] = field(default_factory=dict)


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, template: str, handler: Callable, *, scope: str | None = None,
            kind: str = "api") -> None:
        self.routes.append(Route(method, compile_template(template), handler, scope, kind))

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        """(route, params, path_known): path_known tells a 405 from a 404."""
        known = False
        for route in self.routes:
            found = route.pattern.match(path)
            if found:
                known = True
                if route.method == method:
                    return route, found.groupdict(), True
        return None, {}, known
