"""Layers to search, built for real from the sandbox: acme/api (from the seed) and acme/search,
whose files are made to show each rule (phrases, case, line-level matching, escaping, long
lines, vendored files, many files for pages)."""
from __future__ import annotations

from integrations.models import Repository
from knowledge.models import KnowledgeLayer

MANY = 45  # files holding COMMON_TOKEN: more than two pages of 20
LONG_LINE = "x = '" + "a" * 400 + "needle" + "b" * 400 + "'"
FILES = {
    "src/alpha.py": (
        '"""Alpha module."""\n\n\n'
        "def find_needle(haystack):\n"
        '    """Return where the needle is."""\n'
        '    return haystack.index("needle")\n\n\n'
        "class NeedleCase:\n"
        "    pass\n\n\n"
        'TOTAL = "foo bar"\n'
        'SPREAD = "foo" + " and " + "bar"\n'
        "foo = 1\n"
        "bar = 2\n"
    ),
    "src/beta.js": "export function needleJs() {\n  return 'needle';\n}\n",
    "docs/guide.md": "# Guide\n\nFind the needle in the haystack.\n",
    "src/hostile.py": "TEMPLATE = \"<script>alert('needle')</script> &amp; needle\"\n",
    "src/long.py": LONG_LINE + "\n",
    "vendor/lib.js": "var vendoredneedle = 1;\n",
    **{f"many/m{n:02}.py": f"# file {n}\n\nCOMMON_TOKEN = {n}\n" for n in range(MANY)},
}


def build_search_layers(client, bitbucket) -> dict[str, KnowledgeLayer]:
    """Put acme/search on the sandbox, let the signed-in `client` see it and build both layers."""
    answer = bitbucket.control("POST", "/_sandbox/repositories",
                               json={"workspace": "acme", "slug": "search", "source": {"files": FILES}})
    assert answer.status_code == 201, answer.text
    client.post("/integrations/bitbucket/workspaces/refresh/")
    ids = [Repository.objects.get(full_name=name).pk for name in ("acme/api", "acme/search")]
    client.post("/knowledge/layers/create/", {"repository": ids})
    layers = {layer.repository.full_name: layer for layer in KnowledgeLayer.objects.select_related("repository")}
    assert {name: layer.status for name, layer in layers.items()} == {"acme/api": "active", "acme/search": "active"}
    return layers
