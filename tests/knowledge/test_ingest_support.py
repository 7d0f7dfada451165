"""Archive builders shared by the ingest tests (this module holds no tests of its own).

Archives are built in memory the way Bitbucket serves them: gzip over a pax tar whose global
header carries the commit id, with everything under one ``{workspace}-{slug}-{hash12}/`` folder.
"""
from __future__ import annotations

import gzip
import io
import tarfile
from dataclasses import dataclass, field

TOP = "acme-api-0123456789ab"
COMMIT = "0123456789abcdef0123456789abcdef01234567"


@dataclass
class Member:
    name: str  # full name inside the archive, top folder included
    data: bytes = b""
    type: bytes = tarfile.REGTYPE
    linkname: str = ""
    mode: int = 0o644
    size: int | None = None  # a header may claim another size than the data it carries
    pax: dict[str, str] = field(default_factory=dict)


def tar_bytes(members: list[Member], *, fmt: int = tarfile.PAX_FORMAT, commit: str | None = COMMIT) -> bytes:
    """An uncompressed tar of ``members`` in the given order."""
    buffer = io.BytesIO()
    pax_headers = {"comment": commit} if commit and fmt == tarfile.PAX_FORMAT else None
    with tarfile.open(
        fileobj=buffer, mode="w", format=fmt, pax_headers=pax_headers, encoding="utf-8", errors="surrogateescape"
    ) as tar:
        for member in members:
            info = tarfile.TarInfo(member.name)
            info.type = member.type
            info.linkname = member.linkname
            info.mode = member.mode
            info.pax_headers = dict(member.pax)
            info.size = len(member.data) if member.size is None else member.size
            has_data = member.type in (tarfile.REGTYPE, tarfile.AREGTYPE) or member.type not in tarfile.SUPPORTED_TYPES
            tar.addfile(info, io.BytesIO(member.data) if has_data else None)
    return buffer.getvalue()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=6, mtime=0)


def repo_archive(files: dict[str, bytes], *, top: str = TOP, extra: list[Member] | None = None) -> bytes:
    """A .tar.gz of ``files`` (repository paths) under ``top``, plus any hostile ``extra``."""
    members = [Member(f"{top}/", type=tarfile.DIRTYPE, mode=0o755)]
    members += [Member(f"{top}/{path}", data) for path, data in files.items()]
    return gz(tar_bytes(members + (extra or [])))


class Stream(io.RawIOBase):
    """A network-like stream: forward reads only, no seek or tell, counts what was read."""

    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)
        self.position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer) -> int:  # type: ignore[override]
        chunk = self._data[self.position : self.position + len(buffer)]
        buffer[: len(chunk)] = chunk
        self.position += len(chunk)
        return len(chunk)

    def seek(self, *args, **kwargs):  # type: ignore[override]
        raise io.UnsupportedOperation("the archive must be read as a stream")

    def tell(self):  # type: ignore[override]
        raise io.UnsupportedOperation("the archive must be read as a stream")
