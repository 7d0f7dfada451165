"""Seed sources turned into trees: inline `files`, a `dir`, a `python_package`, or a (hostile) `archive`."""
from __future__ import annotations

import base64
import binascii
import hashlib
import importlib.util
import os
import sys
import tarfile
from pathlib import Path

from sandbox.trees import DiskBlob, InlineBlob, Tree, clean_path

# Caps for archive sources: they may be hostile (bombs), and everything read is kept in memory.
ARCHIVE_FILE_CAP = 8 * 1024 * 1024
ARCHIVE_TOTAL_CAP = 64 * 1024 * 1024

SKIPPED_DIRS = {"__pycache__", ".git", ".hg", ".svn"}
BINARY_SUFFIXES = {".pyc", ".pyo", ".so", ".pyd", ".dll", ".dylib", ".exe", ".a", ".o", ".whl",
                   ".zip", ".gz", ".png", ".jpg", ".jpeg", ".gif", ".ico"}


class SourceError(ValueError):
    """A seed source that cannot be used (missing directory, unknown package, bad path)."""


def load(source: dict | None, seed_dir: Path) -> tuple[Tree | None, str | None]:
    """The tree of a seed `source`, and the archive path when it must be served byte for byte."""
    if not source:
        return None, None
    if "files" in source:
        return inline_tree(source["files"]), None
    if "dir" in source:
        return dir_tree(_resolve(source["dir"], seed_dir), text_only=False), None
    if "python_package" in source:
        return dir_tree(package_root(source["python_package"]), text_only=True), None
    if "archive" in source:
        path = _resolve(source["archive"], seed_dir)
        return archive_tree(path), str(path)
    raise SourceError(f"unknown source {sorted(source)}: use files, dir, python_package or archive")


def _resolve(value: str, seed_dir: Path) -> Path:
    path = Path(value)
    return path if path.is_absolute() else (seed_dir / path)


def file_bytes(content) -> bytes:
    """A file's content in a seed or a commit: text, or {"base64": "…"} for any bytes."""
    if isinstance(content, str):
        return content.encode("utf-8", "surrogatepass")
    if isinstance(content, dict) and isinstance(content.get("base64"), str):
        try:
            return base64.b64decode(content["base64"], validate=True)
        except binascii.Error:
            raise SourceError("a base64 file content does not decode") from None
    raise SourceError("a file's content must be text or {\"base64\": …}")


def inline_tree(files: dict) -> Tree:
    encoded: dict[str, bytes] = {}
    for raw_path, content in files.items():
        path = clean_path(raw_path)
        if path is None:
            raise SourceError(f"unsafe file path in seed: {raw_path!r}")
        encoded[path] = file_bytes(content)
    return Tree.inline(encoded)


def package_root(name: str) -> Path:
    """The directory (or single module file) of an installed Python package."""
    spec = importlib.util.find_spec(name)
    if spec is None:
        raise SourceError(f"python_package {name!r} is not installed")
    if spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0])
    if spec.origin and spec.origin.endswith(".py"):
        return Path(spec.origin)
    raise SourceError(f"python_package {name!r} has no Python source to serve")


def _looks_textual(path: Path) -> bool:
    if path.suffix.lower() in BINARY_SUFFIXES:
        return False
    try:
        with path.open("rb") as handle:
            return b"\0" not in handle.read(1024)
    except OSError:
        return False


def dir_tree(root: Path, *, text_only: bool) -> Tree:
    """A tree of the regular files under `root` (symlinks skipped), read lazily from disk."""
    if root.is_file():
        stat = root.stat()
        digest = hashlib.sha1(f"{root.name}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()).hexdigest()
        return Tree({root.name: DiskBlob(root, stat.st_size)}, digest)
    if not root.is_dir():
        raise SourceError(f"source directory {root} does not exist")
    files = {}
    hasher = hashlib.sha1(b"dir")
    for current, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS)
        for filename in sorted(filenames):
            full = Path(current, filename)
            if full.is_symlink() or not full.is_file():
                continue
            if text_only and not _looks_textual(full):
                continue
            stat = full.stat()
            relative = full.relative_to(root).as_posix()
            files[relative] = DiskBlob(full, stat.st_size)
            # Size and mtime stand in for content, so big sources load without being read.
            hasher.update(f"{relative}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return Tree(files, hasher.hexdigest())


def archive_tree(path: Path) -> Tree:
    """The regular files of a tar archive, read as a stream and never extracted.

    Links, devices, absolute or `..` names, and files past the caps are skipped; a damaged archive
    yields what could be read. A single top-level folder (as Bitbucket archives have) is stripped.
    """
    if not path.is_file():
        raise SourceError(f"archive {path} does not exist")
    files: dict[str, bytes] = {}
    total = 0
    try:
        with tarfile.open(path, mode="r|*") as archive:
            for member in archive:
                name = clean_path(member.name)
                if not member.isreg() or name is None or member.size > ARCHIVE_FILE_CAP:
                    continue
                if total + member.size > ARCHIVE_TOTAL_CAP:
                    break
                handle = archive.extractfile(member)
                if handle is None:
                    continue
                data = handle.read(ARCHIVE_FILE_CAP + 1)
                total += len(data)
                files[name] = data[:ARCHIVE_FILE_CAP]
    except (tarfile.TarError, OSError, EOFError) as exc:
        print(f"sandbox: archive {path} is damaged ({exc}); serving what was readable", file=sys.stderr)
    tops = {name.split("/", 1)[0] for name in files}
    if len(tops) == 1 and all("/" in name for name in files):
        files = {name.split("/", 1)[1]: data for name, data in files.items()}
    digest = hashlib.sha1(path.read_bytes()).hexdigest()
    return Tree({name: InlineBlob(data) for name, data in files.items()}, digest)
