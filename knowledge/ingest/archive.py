"""Read a repository archive (.tar.gz) as a stream and yield only its safe regular files.

Nothing is extracted and nothing touches the disk. The archive is one forward pass over a
non-seekable stream (e.g. ``requests``' ``response.raw``):

    raw stream -> _CountingReader (compressed cap) -> GzipFile -> _CountingReader (uncompressed
    cap) -> tarfile "r|"

Decompressing with ``GzipFile`` ourselves, rather than tarfile's ``"r|gz"``, is deliberate: it
lets us count uncompressed bytes *as they are produced*, so a decompression bomb stops when the
running total passes the cap instead of after tarfile has inflated a whole block.

Semantics, in the order they are checked for each member:

* Names must be valid UTF-8 without control characters (NUL, newline, ESC, DEL, C1), relative,
  without ``..``; ``.`` and empty components are dropped. Otherwise the member is skipped and
  recorded with a printable form of its name (below the top folder when it is under it).
  ``repository_path`` applies the same rules to a path named elsewhere (a diffstat).
* Every path must sit under the archive's single top-level folder (Bitbucket's
  ``{workspace}-{slug}-{hash12}/``), which is stripped. The first acceptable member fixes it.
* Only regular files are yielded. Directories are passed over silently; symlinks, hardlinks,
  devices, FIFOs, sparse and unknown member types are skipped and recorded.
* A path seen twice keeps its first file; later ones are recorded as duplicates.
* ``max_file_bytes``: content kept for indexing. A larger file is still yielded, with its first
  ``max_file_bytes`` bytes, ``truncated=True``, its real size and the sha256 of the whole file
  (hashed in chunks, never held). ``max_member_bytes``: a file larger still is skipped without
  being hashed; its bytes still count toward ``max_archive_bytes``, as a stream is skipped by
  reading it.
* ``max_files`` counts every member except directories (links and skipped ones cost work too);
  passing it, like passing a byte cap, raises ``ArchiveRejected`` after the files already
  yielded. A truncated or corrupt stream raises ``ArchiveTruncated``/``ArchiveRejected`` the
  same way, and so does an unreadable header in mid-archive (tarfile alone would take it for
  the end and drop the rest silently): the caller decides whether a partial layer is worth
  keeping. Errors of the underlying stream itself (a network timeout) propagate unchanged.
"""
from __future__ import annotations

import gzip
import hashlib
import re
import tarfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import BinaryIO

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB

_CHUNK = 256 * KiB
_UNDECODABLE = re.compile("[\udc80-\udcff]")  # tarfile's surrogateescape marks undecodable bytes
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")  # C0, DEL and C1
# What one tarfile.next() may read beyond the data it skips: a header, plus PAX or GNU long-name
# records. tarfile holds those records in memory whole, so they must not grow to the archive cap.
_HEADER_BUDGET = 1 * MiB


class ArchiveRejected(Exception):
    """The archive cannot be read to the end safely; ``reason`` says why in plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ArchiveTruncated(ArchiveRejected):
    """The stream ended (or broke) before the archive did."""


class ArchiveTooLarge(ArchiveRejected):
    """A cap (bytes or files) was reached: the files read before it are whole and good."""


class SkipReason(StrEnum):
    SYMLINK = "symlink"
    HARDLINK = "hardlink"
    DEVICE = "device"
    FIFO = "fifo"
    SPARSE = "sparse file"
    UNSUPPORTED_TYPE = "unsupported member type"
    ABSOLUTE_PATH = "absolute path"
    PARENT_TRAVERSAL = "parent traversal"
    CONTROL_CHARACTER = "control character in name"
    NON_UTF8_NAME = "name is not UTF-8"
    PATH_TOO_LONG = "path too long"
    OUTSIDE_TOP_FOLDER = "outside top folder"
    DUPLICATE = "duplicate path"
    TOO_LARGE = "too large"
    STRATAIGNORE = "strataignore"


@dataclass(frozen=True)
class ArchiveLimits:
    max_file_bytes: int = 1 * MiB  # content kept (and indexed) per file
    max_member_bytes: int = 256 * MiB  # larger files are skipped, not hashed
    max_archive_bytes: int = 1 * GiB  # uncompressed bytes, headers and padding included
    max_compressed_bytes: int = 512 * MiB
    max_files: int = 100_000
    max_path_length: int = 1024  # UTF-8 bytes, after the top folder is stripped
    max_skipped_kept: int = 10_000  # entries kept in ArchiveReader.skipped; all are counted


@dataclass(frozen=True)
class Skipped:
    path: str  # printable: undecodable bytes appear as \xNN, control characters escaped
    reason: SkipReason
    size: int = 0


@dataclass(frozen=True)
class ArchiveFile:
    path: str  # relative to the repository root, "/"-separated
    content: bytes  # at most ArchiveLimits.max_file_bytes
    size: int  # real size of the whole file
    sha256: str  # hex digest of the whole file
    truncated: bool
    executable: bool


@dataclass
class ArchiveStats:
    members: int = 0  # every member but directories
    files: int = 0  # regular files yielded
    skipped: int = 0
    compressed_bytes: int = 0
    uncompressed_bytes: int = 0


class _CountingReader:
    """A forward-only reader that counts bytes and refuses to pass a cap."""

    def __init__(self, source: BinaryIO, cap: int, what: str) -> None:
        self._source = source
        self._cap = cap
        self._what = what
        self.position = 0
        self.budget_end: int | None = None  # absolute position a phase may not pass

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = _CHUNK  # never slurp an unbounded stream
        data = self._source.read(size)
        self.position += len(data)
        if self.position > self._cap:
            raise ArchiveTooLarge(f"archive is larger than {_human(self._cap)} {self._what}")
        if self.budget_end is not None and self.position > self.budget_end:
            raise ArchiveRejected("archive has an oversized member header")
        return data

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False


class ArchiveReader:
    """Iterate once over the safe regular files of a .tar.gz stream.

    After (or during) iteration: ``skipped`` (the first ``max_skipped_kept`` skipped members),
    ``stats``, ``top_folder`` and ``commit`` (from git's pax global header, when present).
    ``on_skip`` receives every skipped member; ``on_progress`` receives ``stats`` after every
    member, so a caller that writes progress somewhere should throttle.
    """

    def __init__(
        self,
        stream: BinaryIO,
        limits: ArchiveLimits | None = None,
        *,
        on_skip: Callable[[Skipped], None] | None = None,
        on_progress: Callable[[ArchiveStats], None] | None = None,
    ) -> None:
        self.limits = limits or ArchiveLimits()
        self.skipped: list[Skipped] = []
        self.stats = ArchiveStats()
        self.top_folder: str | None = None
        self.commit: str | None = None
        self._on_skip = on_skip
        self._on_progress = on_progress
        self._compressed = _CountingReader(stream, self.limits.max_compressed_bytes, "compressed")
        self._gzip = gzip.GzipFile(fileobj=self._compressed, mode="rb")  # type: ignore[arg-type]
        self._plain = _CountingReader(self._gzip, self.limits.max_archive_bytes, "uncompressed")
        # 16-byte digests instead of paths: duplicate detection stays small at 100k files.
        self._seen: set[bytes] = set()
        self._started = False

    def __iter__(self) -> Iterator[ArchiveFile]:
        if self._started:
            raise RuntimeError("an archive stream can be read only once")
        self._started = True
        try:
            yield from self._read_all()
        except ArchiveRejected:
            raise
        except EOFError as error:
            raise ArchiveTruncated("archive ends before its last file (truncated download?)") from error
        except tarfile.ReadError as error:
            if "unexpected end of data" in str(error):
                raise ArchiveTruncated("archive ends in the middle of a file") from error
            raise ArchiveRejected(f"not a readable tar archive ({error})") from error
        except (tarfile.TarError, gzip.BadGzipFile, zlib.error) as error:
            raise ArchiveRejected(f"corrupt archive ({error})") from error
        finally:
            self._sync_stats()

    def _read_all(self) -> Iterator[ArchiveFile]:
        self._plain.budget_end = _HEADER_BUDGET
        tar = tarfile.open(  # type: ignore[call-overload]
            fileobj=self._plain, mode="r|", encoding="utf-8", errors="surrogateescape"
        )
        with tar:
            self.commit = _commit_of(tar.pax_headers)
            while True:
                # Allow the data of the member tarfile is about to skip, plus one header.
                pending = max(0, tar.offset - self._plain.position)
                self._plain.budget_end = self._plain.position + pending + _HEADER_BUDGET
                info = tar.next()
                self._plain.budget_end = None
                tar.members.clear()  # tarfile keeps every TarInfo otherwise: memory grows per member
                if info is None:
                    break
                self.commit = self.commit or _commit_of(tar.pax_headers)
                if not info.isdir():
                    self.stats.members += 1
                    if self.stats.members > self.limits.max_files:
                        raise ArchiveTooLarge(f"archive has more than {self.limits.max_files} files")
                archive_file = self._accept(tar, info)
                self._sync_stats()
                if archive_file is not None:
                    self.stats.files += 1
                    yield archive_file
                if self._on_progress is not None:
                    self._on_progress(self.stats)
            # tarfile ends quietly at a zero *or unreadable* header; after a real end only zero
            # padding follows. Reading to the end also verifies the gzip trailer (CRC, length).
            while chunk := tar.fileobj.read(_CHUNK):  # type: ignore[union-attr]
                if chunk.strip(b"\0"):
                    raise ArchiveRejected("corrupt archive: a member header cannot be read")

    def _accept(self, tar: tarfile.TarFile, info: tarfile.TarInfo) -> ArchiveFile | None:
        path = self._relative_path(info.name, info.isdir())
        if isinstance(path, SkipReason):
            self._skip(self._shown(info.name), path, info)
            return None
        if info.isdir():
            return None
        reason = _type_problem(info)
        if reason is None and info.size > self.limits.max_member_bytes:
            reason = SkipReason.TOO_LARGE
        if reason is None and not path:
            reason = SkipReason.OUTSIDE_TOP_FOLDER  # a file named like the top folder itself
        if reason is None:
            key = hashlib.blake2b(path.encode("utf-8"), digest_size=16).digest()
            if key in self._seen:
                reason = SkipReason.DUPLICATE
            self._seen.add(key)
        if reason is not None:
            self._skip(path or printable(info.name), reason, info)
            return None
        return self._read_file(tar, info, path)

    def _shown(self, name: str) -> str:
        """A refused member's name as recorded: below the top folder when under it (as every other
        path is, and as `repository_path` names it), in printable form."""
        top = self.top_folder
        if top is not None and name.startswith(f"{top}/"):
            name = name[len(top) + 1:]
        return printable(name)

    def _relative_path(self, name: str, is_dir: bool) -> str | SkipReason:
        """The member's path below the top folder ("" for the folder itself), or why not."""
        parts = _path_parts(name)
        if isinstance(parts, SkipReason):
            return parts
        if self.top_folder is None:
            if len(parts) == 1 and not is_dir:
                return SkipReason.OUTSIDE_TOP_FOLDER  # a lone root file cannot be the top folder
            self.top_folder = parts[0]
        if parts[0] != self.top_folder:
            return SkipReason.OUTSIDE_TOP_FOLDER
        path = "/".join(parts[1:])
        if len(path.encode("utf-8")) > self.limits.max_path_length:
            return SkipReason.PATH_TOO_LONG
        return path

    def _read_file(self, tar: tarfile.TarFile, info: tarfile.TarInfo, path: str) -> ArchiveFile:
        source = tar.extractfile(info)
        assert source is not None  # regular files always have a file object
        digest = hashlib.sha256()
        keep = self.limits.max_file_bytes
        kept: list[bytes] = []
        remaining = info.size
        while remaining > 0:
            chunk = source.read(min(_CHUNK, remaining))
            if not chunk:
                raise ArchiveTruncated("archive ends in the middle of a file")
            remaining -= len(chunk)
            digest.update(chunk)
            if keep > 0:
                kept.append(chunk[:keep])
                keep -= len(kept[-1])
        return ArchiveFile(
            path=path,
            content=b"".join(kept),
            size=info.size,
            sha256=digest.hexdigest(),
            truncated=info.size > self.limits.max_file_bytes,
            executable=bool(info.mode & 0o111),
        )

    def _skip(self, path: str, reason: SkipReason, info: tarfile.TarInfo) -> None:
        skipped = Skipped(path=path, reason=reason, size=info.size)
        self.stats.skipped += 1
        if len(self.skipped) < self.limits.max_skipped_kept:
            self.skipped.append(skipped)
        if self._on_skip is not None:
            self._on_skip(skipped)

    def _sync_stats(self) -> None:
        self.stats.compressed_bytes = self._compressed.position
        self.stats.uncompressed_bytes = self._plain.position


def _path_parts(name: str) -> list[str] | SkipReason:
    """The components of a member's name, or why the name is refused ("." and empty ones dropped)."""
    if _UNDECODABLE.search(name):
        return SkipReason.NON_UTF8_NAME
    if _CONTROL.search(name):
        return SkipReason.CONTROL_CHARACTER
    if name.startswith("/"):
        return SkipReason.ABSOLUTE_PATH
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in parts:
        return SkipReason.PARENT_TRAVERSAL
    if not parts:
        return SkipReason.OUTSIDE_TOP_FOLDER
    return parts


def repository_path(name: str, limits: ArchiveLimits) -> str | SkipReason:
    """A path named outside an archive (by Bitbucket's diffstat) under the archive's rules: the path
    the layer stores, or why it is refused."""
    parts = _path_parts(name)
    if isinstance(parts, SkipReason):
        return parts
    path = "/".join(parts)
    return SkipReason.PATH_TOO_LONG if len(path.encode("utf-8")) > limits.max_path_length else path


def read_file(path: str, read: Callable[[int], bytes], limits: ArchiveLimits, *, executable: bool = False) -> ArchiveFile | Skipped:
    """One file fetched on its own (``read(n)`` gives up to n bytes, b"" at the end), under the caps
    an archive member gets: its first ``max_file_bytes`` kept, the whole hashed, and a file past
    ``max_member_bytes`` refused as soon as it gets there (its size then says how far it was read)."""
    digest = hashlib.sha256()
    kept: list[bytes] = []
    keep, size = limits.max_file_bytes, 0
    while chunk := read(_CHUNK):
        size += len(chunk)
        if size > limits.max_member_bytes:
            return Skipped(path=path, reason=SkipReason.TOO_LARGE, size=size)
        digest.update(chunk)
        if keep > 0:
            kept.append(chunk[:keep])
            keep -= len(kept[-1])
    return ArchiveFile(path=path, content=b"".join(kept), size=size, sha256=digest.hexdigest(),
                       truncated=size > limits.max_file_bytes, executable=executable)


def _type_problem(info: tarfile.TarInfo) -> SkipReason | None:
    if info.issym():
        return SkipReason.SYMLINK
    if info.islnk():
        return SkipReason.HARDLINK
    if info.ischr() or info.isblk():
        return SkipReason.DEVICE
    if info.isfifo():
        return SkipReason.FIFO
    if info.issparse() or info.type == tarfile.GNUTYPE_SPARSE:
        # Holes expand to zeros without being read: a sparse member is a CPU bomb, and git
        # never writes one.
        return SkipReason.SPARSE
    if not info.isreg():
        return SkipReason.UNSUPPORTED_TYPE
    return None


def _commit_of(pax_headers: dict[str, str]) -> str | None:
    comment = pax_headers.get("comment", "").strip()  # git archive stores the commit id here
    return comment if len(comment) in (40, 64) and all(c in "0123456789abcdef" for c in comment) else None


def printable(name: str) -> str:
    """A display form of a hostile name: undecodable bytes as \\xNN, control chars escaped."""
    raw = name.encode("utf-8", "surrogateescape")
    text = raw.decode("utf-8", "backslashreplace")
    return "".join(c if 32 <= ord(c) < 127 or ord(c) >= 160 else repr(c)[1:-1] for c in text)


def _human(size: int) -> str:
    for unit, scale in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if size >= scale:
            return f"{size / scale:g} {unit}"
    return f"{size} bytes"
