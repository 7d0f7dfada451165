"""Immutable file trees of commits, and the diffstat between two of them."""
from __future__ import annotations

import difflib
import hashlib
import posixpath
from dataclasses import dataclass
from pathlib import Path


class Blob:
    """The bytes of one file; `read()` may go to disk, so trees stay cheap for big sources."""

    size: int

    def read(self) -> bytes:
        raise NotImplementedError


class InlineBlob(Blob):
    def __init__(self, data: bytes):
        self.data = data
        self.size = len(data)

    def read(self) -> bytes:
        return self.data


class DiskBlob(Blob):
    """A file of a `dir` or `python_package` source, read on demand (the demo has >100 repos)."""

    def __init__(self, path: Path, size: int):
        self.path = path
        self.size = size

    def read(self) -> bytes:
        try:
            return self.path.read_bytes()
        except OSError:
            return b""


def clean_path(path: str) -> str | None:
    """A safe relative POSIX path, or None for absolute paths, `..`, NULs and empty names."""
    if not isinstance(path, str) or "\x00" in path or "\\" in path:
        return None
    if path.startswith("/"):
        return None
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts):
        return None
    return "/".join(parts)


class Tree:
    """path -> Blob. Never mutated: a commit derives a new tree with `changed`."""

    def __init__(self, files: dict[str, Blob], digest: str):
        self.files = files
        self.digest = digest
        self._dirs: dict[str, tuple[set[str], set[str]]] | None = None

    @classmethod
    def inline(cls, files: dict[str, bytes]) -> "Tree":
        hasher = hashlib.sha1(b"inline")
        for path in sorted(files):
            hasher.update(path.encode() + b"\0" + hashlib.sha1(files[path]).digest())
        return cls({p: InlineBlob(d) for p, d in files.items()}, hasher.hexdigest())

    def changed(self, writes: dict[str, bytes], deletes: list[str]) -> "Tree":
        files = dict(self.files)
        hasher = hashlib.sha1(self.digest.encode())
        for path in sorted(deletes):
            files.pop(path, None)
            hasher.update(b"-" + path.encode() + b"\0")
        for path in sorted(writes):
            files[path] = InlineBlob(writes[path])
            hasher.update(b"+" + path.encode() + b"\0" + hashlib.sha1(writes[path]).digest())
        return Tree(files, hasher.hexdigest())

    def _index(self) -> dict[str, tuple[set[str], set[str]]]:
        if self._dirs is None:
            dirs: dict[str, tuple[set[str], set[str]]] = {"": (set(), set())}
            for path in self.files:
                parent, name = posixpath.split(path)
                dirs.setdefault(parent, (set(), set()))[1].add(name)
                while parent:
                    above, dirname = posixpath.split(parent)
                    entry = dirs.setdefault(above, (set(), set()))
                    if dirname in entry[0]:
                        break
                    entry[0].add(dirname)
                    dirs.setdefault(parent, (set(), set()))
                    parent = above
            self._dirs = dirs
        return self._dirs

    def is_dir(self, path: str) -> bool:
        return path.strip("/") in self._index()

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        subdirs, files = self._index()[path.strip("/")]
        return sorted(subdirs), sorted(files)

    def walk(self, path: str, max_depth: int) -> list[tuple[str, bool]]:
        """(path, is_dir) entries under `path`, `max_depth` levels deep, directories first per level."""
        entries: list[tuple[str, bool]] = []
        level = [path.strip("/")]
        for _ in range(max_depth):
            below: list[str] = []
            for directory in level:
                subdirs, files = self.listdir(directory)
                prefix = f"{directory}/" if directory else ""
                entries += [(prefix + d, True) for d in subdirs]
                entries += [(prefix + f, False) for f in files]
                below += [prefix + d for d in subdirs]
            level = below
        return entries


@dataclass
class Change:
    status: str                 # added | removed | modified | renamed
    old_path: str | None
    new_path: str | None
    lines_added: int
    lines_removed: int


def _lines(data: bytes) -> list[bytes] | None:
    """Lines of a text file, or None for binary content (Bitbucket counts no lines for those)."""
    if b"\0" in data[:8192]:
        return None
    return data.splitlines()


def _line_counts(old: bytes, new: bytes) -> tuple[int, int]:
    a, b = _lines(old), _lines(new)
    if a is None or b is None:
        return 0, 0
    added = removed = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b).get_opcodes():
        if tag in ("replace", "delete"):
            removed += i2 - i1
        if tag in ("replace", "insert"):
            added += j2 - j1
    return added, removed


def diff(old: Tree | None, new: Tree) -> list[Change]:
    """What changed from `old` to `new`, with renames of identical content detected like git does."""
    old_files = old.files if old else {}
    changes: list[Change] = []
    added = [p for p in new.files if p not in old_files]
    removed = [p for p in old_files if p not in new.files]
    for path in sorted(set(old_files) & set(new.files)):
        before, after = old_files[path], new.files[path]
        if before is after:
            continue
        old_bytes, new_bytes = before.read(), after.read()
        if old_bytes != new_bytes:
            changes.append(Change("modified", path, path, *_line_counts(old_bytes, new_bytes)))
    removed_by_content: dict[bytes, list[str]] = {}
    for path in removed:
        removed_by_content.setdefault(hashlib.sha1(old_files[path].read()).digest(), []).append(path)
    for path in sorted(added):
        data = new.files[path].read()
        twins = removed_by_content.get(hashlib.sha1(data).digest())
        if twins:
            source = twins.pop(0)
            removed.remove(source)
            changes.append(Change("renamed", source, path, 0, 0))
            continue
        lines = _lines(data)
        changes.append(Change("added", None, path, len(lines) if lines is not None else 0, 0))
    for path in sorted(removed):
        lines = _lines(old_files[path].read())
        changes.append(Change("removed", path, None, 0, len(lines) if lines is not None else 0))
    return sorted(changes, key=lambda c: c.new_path or c.old_path or "")
