"""REST 2.0 source: /src (raw files, directory listings, ?format=meta) and /diffstat/{new}..{old}."""
from __future__ import annotations

import mimetypes

from sandbox import render
from sandbox.access import repository_or_404
from sandbox.listing import page, refine
from sandbox.model import Commit, Repository
from sandbox.operations import merge_base, merged_tree
from sandbox.routing import Call, Router
from sandbox.trees import Tree, diff
from sandbox.web import HttpError, Response

BASE = "/2.0/repositories/{ws}/{slug}"


def register(router: Router) -> None:
    router.add("GET", BASE + "/src", src_root, scope="repository")
    router.add("GET", BASE + "/src/{rest:path}", src, scope="repository")
    router.add("GET", BASE + "/diffstat/{spec:path}", diffstat, scope="repository")


def src_root(call: Call, ws: str, slug: str) -> Response:
    """Bitbucket redirects to the listing of the main branch's head commit."""
    with call.state.lock:
        repo = repository_or_404(call, ws, slug)
        head = repo.head()
        if head is None:
            raise HttpError(404, "This repository is empty.")
        target = call.request.url(f"/2.0/repositories/{repo.full_name}/src/{head.hash}/")
    query = call.request.raw_path.partition("?")[2]
    return Response.redirect(target + (f"?{query}" if query else ""))


def split_revision(repo: Repository, rest: str) -> tuple[Commit, str]:
    """`{commit}/{path}` where the commit may be a branch name containing slashes."""
    parts = rest.split("/")
    for cut in range(len(parts), 0, -1):
        name = "/".join(parts[:cut])
        if name in repo.branches:
            return repo.commits[repo.branches[name]], "/".join(parts[cut:])
    found = repo.resolve(parts[0])
    if found is None:
        raise HttpError(404, f"Commit not found: {parts[0]}")
    return found, "/".join(parts[1:])


def src(call: Call, ws: str, slug: str, rest: str) -> Response:
    base, meta = call.request.base, call.request.arg("format") == "meta"
    with call.state.lock:
        repo = repository_or_404(call, ws, slug)
        commit, path = split_revision(repo, rest)
        path = path.strip("/")
        blob = commit.tree.files.get(path)
        if blob is not None:
            if meta:
                return Response.json(render.file_entry(repo, commit, path, base))
        elif commit.tree.is_dir(path):
            if meta:
                return Response.json(render.directory_entry(repo, commit, path, base))
            try:
                depth = max(1, int(call.request.arg("max_depth", "1")))
            except ValueError:
                raise HttpError(400, "max_depth must be an integer.") from None
            values = [render.directory_entry(repo, commit, p, base) if is_dir
                      else render.file_entry(repo, commit, p, base)
                      for p, is_dir in commit.tree.walk(path, depth)]
            return Response.json(page(call.request, refine(call.request, values)))
        else:
            raise HttpError(404, f"No such file or directory: {path}")
    data = blob.read()
    kind = mimetypes.guess_type(path)[0] or ("application/octet-stream" if b"\0" in data[:8192]
                                             else "text/plain")
    return Response(200, {"Content-Type": kind}, data)


def _flag(call: Call, name: str) -> bool | None:
    value = call.request.arg(name)
    if value is None:
        return None
    if value.lower() not in ("true", "false"):
        raise HttpError(400, f"{name} must be true or false.")
    return value.lower() == "true"


def _trees(repo: Repository, new: Commit, old: Commit, topic: bool | None, merge: bool | None) -> tuple[Tree, Tree]:
    """The two trees a `{new}..{old}` diffstat compares, as Bitbucket picks them: `topic=true`, the
    merge base against `new` (three dots); `topic=false` or `merge=false`, `old` against `new` (two
    dots); neither, `old` against the merge of `new` into `old` (`merge` is true when omitted).
    The three agree when `old` is an ancestor of `new`."""
    if topic is not None and merge is not None:
        raise HttpError(400, "The merge and topic parameters cannot be used together.")
    if topic is False or merge is False:
        return old.tree, new.tree
    if topic:
        found = merge_base(repo, new.hash, old.hash)
        return (repo.commits[found].tree if found else Tree.inline({})), new.tree
    return old.tree, merged_tree(repo, new.hash, old.hash)


def diffstat(call: Call, ws: str, slug: str, spec: str) -> Response:
    """Changes from the second commit to the first: `{new}..{old}`, or one commit against its parent."""
    base = call.request.base
    topic, merge = _flag(call, "topic"), _flag(call, "merge")
    with call.state.lock:
        repo = repository_or_404(call, ws, slug)
        new_rev, _, old_rev = spec.partition("..")
        new = repo.resolve(new_rev)
        if new is None:
            raise HttpError(404, f"Commit not found: {new_rev}")
        if old_rev:
            old = repo.resolve(old_rev)
            if old is None:
                raise HttpError(404, f"Commit not found: {old_rev}")
            before, after = _trees(repo, new, old, topic, merge)
        else:
            old = repo.commits.get(new.parents[0]) if new.parents else None
            before, after = (old.tree if old else None), new.tree
        changes = diff(before, after)
        values = [{"type": "diffstat", "status": c.status, "lines_added": c.lines_added,
                   "lines_removed": c.lines_removed,
                   "old": render.diff_side(repo, old.hash, c.old_path, base) if old else None,
                   "new": render.diff_side(repo, new.hash, c.new_path, base)}
                  for c in changes]
    return Response.json(page(call.request, values, default=500, maximum=500))
