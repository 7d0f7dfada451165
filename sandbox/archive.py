"""Commit archives on the web host: /{ws}/{slug}/get/{commit}.tar.gz, streamed like `git archive`.

The top-level folder is `{workspace}-{slug}-{first 12 of the hash}/`, as on Bitbucket. A repository
seeded from an `archive` serves that file byte for byte for its first commit.
"""
from __future__ import annotations

import io
import posixpath
import tarfile
from pathlib import Path

from sandbox.access import repository_or_404
from sandbox.model import Commit, Repository
from sandbox.routing import Call, Router
from sandbox.web import HttpError, Response

SUFFIX = ".tar.gz"
CHUNK = 64 * 1024


def register(router: Router) -> None:
    router.add("GET", "/{ws}/{slug}/get/{name:path}", download, scope="repository", kind="web")


def download(call: Call, ws: str, slug: str, name: str) -> Response:
    if not name.endswith(SUFFIX):
        raise HttpError(404, "Only .tar.gz archives are available.")
    revision = name[: -len(SUFFIX)]
    with call.state.lock:
        repo = repository_or_404(call, ws, slug)
        commit = repo.resolve(revision)
        if commit is None:
            raise HttpError(404, f"Commit not found: {revision}")
        folder = f"{repo.workspace.slug}-{repo.slug}-{commit.hash[:12]}"
        seeded = repo.archive[1] if repo.archive and repo.archive[0] == commit.hash else None
    headers = {"Content-Type": "application/x-gzip",
               "Content-Disposition": f'attachment; filename="{folder}{SUFFIX}"'}
    if seeded:
        return Response(200, headers, stream=lambda out: _copy(Path(seeded), out))
    return Response(200, headers, stream=lambda out: write_tar(repo, commit, folder, out))


def _copy(path: Path, out) -> None:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            out.write(chunk)


def _directories(paths: list[str]) -> list[str]:
    found: set[str] = set()
    for path in paths:
        parent = posixpath.dirname(path)
        while parent and parent not in found:
            found.add(parent)
            parent = posixpath.dirname(parent)
    return sorted(found)


def write_tar(repo: Repository, commit: Commit, folder: str, out) -> None:
    """A gzip tar written as it is produced; the pax comment carries the hash, as git archive does."""
    mtime = int(commit.date.timestamp())
    files = commit.tree.files
    with tarfile.open(fileobj=out, mode="w|gz", format=tarfile.PAX_FORMAT,
                      pax_headers={"comment": commit.hash}) as tar:
        for directory in ["", *_directories(list(files))]:
            info = tarfile.TarInfo(f"{folder}/{directory}".rstrip("/") + "/")
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, mtime
            tar.addfile(info)
        for path in sorted(files):
            data = files[path].read()
            info = tarfile.TarInfo(f"{folder}/{path}")
            info.size, info.mode, info.mtime = len(data), 0o644, mtime
            tar.addfile(info, io.BytesIO(data))
