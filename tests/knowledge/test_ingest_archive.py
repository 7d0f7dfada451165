"""The archive reader yields only safe regular files and stops hostile archives early."""
from __future__ import annotations

import gzip
import hashlib
import io
import random
import tarfile
import tracemalloc

import pytest

from knowledge.ingest.archive import (
    ArchiveLimits,
    ArchiveReader,
    ArchiveRejected,
    ArchiveTruncated,
    KiB,
    MiB,
    Skipped,
    SkipReason,
)
from tests.knowledge.test_ingest_support import COMMIT, TOP, Member, Stream, gz, repo_archive, tar_bytes


def read(data: bytes, limits: ArchiveLimits | None = None) -> tuple[dict[str, bytes], ArchiveReader]:
    reader = ArchiveReader(Stream(data), limits)
    return {f.path: f.content for f in reader}, reader


def reasons(reader: ArchiveReader) -> dict[str, SkipReason]:
    return {s.path: s.reason for s in reader.skipped}


@pytest.fixture(autouse=True)
def nothing_on_disk(tmp_path, monkeypatch):
    """Every test runs in an empty folder that must still be empty afterwards."""
    monkeypatch.chdir(tmp_path)
    yield
    assert list(tmp_path.iterdir()) == []


def test_regular_files_are_yielded_below_the_stripped_top_folder():
    data = repo_archive({"README.md": b"# Strata\n", "src/app.py": b"print('hi')\n"},
                        extra=[Member(f"{TOP}/bin/run", b"#!/bin/sh\n", mode=0o755)])
    reader = ArchiveReader(Stream(data))
    files = list(reader)

    assert [f.path for f in files] == ["README.md", "src/app.py", "bin/run"]
    assert files[1].content == b"print('hi')\n"
    assert files[1].size == 12
    assert files[1].sha256 == hashlib.sha256(b"print('hi')\n").hexdigest()
    assert [f.executable for f in files] == [False, False, True]
    assert not any(f.truncated for f in files)
    assert reader.top_folder == TOP
    assert reader.commit == COMMIT
    assert reader.skipped == []
    assert reader.stats.files == 3 and reader.stats.members == 3
    assert reader.stats.compressed_bytes == len(data)


def test_parent_traversal_and_absolute_paths_are_skipped():
    data = repo_archive({"ok.txt": b"ok"}, extra=[
        Member("../evil.sh", b"x"),
        Member(f"{TOP}/../../etc/cron.d/evil", b"x"),
        Member(f"{TOP}/a/../../outside", b"x"),
        Member("/etc/passwd", b"x"),
    ])
    files, reader = read(data)

    assert files == {"ok.txt": b"ok"}
    assert reasons(reader) == {
        "../evil.sh": SkipReason.PARENT_TRAVERSAL,
        "../../etc/cron.d/evil": SkipReason.PARENT_TRAVERSAL,
        "a/../../outside": SkipReason.PARENT_TRAVERSAL,
        "/etc/passwd": SkipReason.ABSOLUTE_PATH,
    }


def test_links_devices_and_fifos_are_skipped_and_reading_goes_on():
    data = repo_archive({"a.txt": b"a"}, extra=[
        Member(f"{TOP}/passwd", type=tarfile.SYMTYPE, linkname="/etc/passwd"),
        Member(f"{TOP}/up", type=tarfile.SYMTYPE, linkname="../../../home"),
        Member(f"{TOP}/shadow", type=tarfile.LNKTYPE, linkname="/etc/shadow"),
        Member(f"{TOP}/tty", type=tarfile.CHRTYPE),
        Member(f"{TOP}/disk", type=tarfile.BLKTYPE),
        Member(f"{TOP}/pipe", type=tarfile.FIFOTYPE),
        Member(f"{TOP}/odd", b"z" * 3000, type=b"Z"),  # unknown type carrying data to skip over
        Member(f"{TOP}/last.txt", b"last"),
    ])
    files, reader = read(data)

    assert files == {"a.txt": b"a", "last.txt": b"last"}
    assert reasons(reader) == {
        "passwd": SkipReason.SYMLINK, "up": SkipReason.SYMLINK, "shadow": SkipReason.HARDLINK,
        "tty": SkipReason.DEVICE, "disk": SkipReason.DEVICE, "pipe": SkipReason.FIFO,
        "odd": SkipReason.UNSUPPORTED_TYPE,
    }


def test_sparse_members_are_skipped():
    data = gz(tar_bytes([Member(f"{TOP}/", type=tarfile.DIRTYPE), Member(f"{TOP}/holes", type=tarfile.GNUTYPE_SPARSE),
                         Member(f"{TOP}/after", b"after")], fmt=tarfile.GNU_FORMAT))
    files, reader = read(data)

    assert files == {"after": b"after"}
    assert reasons(reader) == {"holes": SkipReason.SPARSE}


def test_hostile_names_are_skipped_with_a_printable_form():
    gnu = tar_bytes([
        Member(f"{TOP}/", type=tarfile.DIRTYPE),
        Member(f"{TOP}/caf\udce9.txt", b"latin-1 name"),  # the raw byte 0xE9: not UTF-8
        Member(f"{TOP}/new\nline", b"x"),
        Member(f"{TOP}/\x1b[31mred", b"x"),
        Member(f"{TOP}/good.txt", b"good"),
    ], fmt=tarfile.GNU_FORMAT, commit=None)
    files, reader = read(gz(gnu))

    assert files == {"good.txt": b"good"}
    assert reasons(reader) == {  # named below the top folder, as every path of a layer is
        "caf\\xe9.txt": SkipReason.NON_UTF8_NAME,
        "new\\nline": SkipReason.CONTROL_CHARACTER,
        "\\x1b[31mred": SkipReason.CONTROL_CHARACTER,
    }


def test_nul_in_a_pax_path_is_skipped():
    data = repo_archive({}, extra=[Member(f"{TOP}/innocent", b"x", pax={"path": f"{TOP}/evil\x00.txt"})])
    files, reader = read(data)

    assert files == {}
    assert reasons(reader) == {"evil\\x00.txt": SkipReason.CONTROL_CHARACTER}


def test_unicode_names_are_kept():
    files, _ = read(repo_archive({"docs/über.md": b"u", "日本/語.txt": b"j"}))
    assert set(files) == {"docs/über.md", "日本/語.txt"}


def test_paths_outside_the_top_folder_are_skipped():
    data = gz(tar_bytes([
        Member("loose-file.txt", b"root level file before any folder"),
        Member(f"{TOP}/", type=tarfile.DIRTYPE),
        Member(f"{TOP}/in.txt", b"in"),
        Member("other-folder/out.txt", b"out"),
    ]))
    files, reader = read(data)

    assert files == {"in.txt": b"in"}
    assert reader.top_folder == TOP
    assert reasons(reader) == {"loose-file.txt": SkipReason.OUTSIDE_TOP_FOLDER, "other-folder/out.txt": SkipReason.OUTSIDE_TOP_FOLDER}


def test_duplicate_paths_keep_the_first_file():
    data = repo_archive({"a.txt": b"first"}, extra=[Member(f"{TOP}/a.txt", b"second"), Member(f"{TOP}/./a.txt", b"third")])
    files, reader = read(data)

    assert files == {"a.txt": b"first"}
    assert [(s.path, s.reason) for s in reader.skipped] == [("a.txt", SkipReason.DUPLICATE)] * 2


def test_large_file_is_truncated_but_hashed_whole_and_larger_is_skipped():
    big = random.Random(1).randbytes(3 * MiB)
    data = repo_archive({"big.bin": big, "huge.bin": b"h" * (5 * MiB), "after.txt": b"after"})
    limits = ArchiveLimits(max_file_bytes=1 * MiB, max_member_bytes=4 * MiB)
    reader = ArchiveReader(Stream(data), limits)
    files = {f.path: f for f in reader}

    assert set(files) == {"big.bin", "after.txt"}
    assert files["big.bin"].content == big[: 1 * MiB]
    assert files["big.bin"].truncated is True
    assert files["big.bin"].size == 3 * MiB
    assert files["big.bin"].sha256 == hashlib.sha256(big).hexdigest()
    assert reader.skipped == [Skipped("huge.bin", SkipReason.TOO_LARGE, 5 * MiB)]


def test_overlong_path_is_skipped():
    files, reader = read(repo_archive({"a/" * 300 + "deep.txt": b"x", "ok.txt": b"ok"}), ArchiveLimits(max_path_length=512))
    assert files == {"ok.txt": b"ok"}
    assert [s.reason for s in reader.skipped] == [SkipReason.PATH_TOO_LONG]


def test_decompression_bomb_stops_as_soon_as_the_cap_is_passed():
    bomb = repo_archive({"zeros.bin": bytes(64 * MiB)})
    assert len(bomb) < 100 * KiB  # ~1000:1, a real bomb
    stream = Stream(bomb)
    reader = ArchiveReader(stream, ArchiveLimits(max_archive_bytes=2 * MiB))

    with pytest.raises(ArchiveRejected, match="larger than 2 MiB uncompressed"):
        list(reader)
    # Counted as read: it stopped within one read chunk of the cap, long before 64 MiB.
    assert 2 * MiB < reader.stats.uncompressed_bytes <= 2 * MiB + 512 * KiB
    assert stream.position < len(bomb) // 4


def test_compressed_size_is_capped_too():
    data = repo_archive({f"f{i}.bin": random.Random(i).randbytes(100 * KiB) for i in range(10)})
    with pytest.raises(ArchiveRejected, match="larger than 256 KiB compressed"):
        read(data, ArchiveLimits(max_compressed_bytes=256 * KiB))


def test_oversized_pax_header_is_refused_before_it_is_held_in_memory():
    data = repo_archive({}, extra=[Member(f"{TOP}/" + "p" * (3 * MiB), b"x")])
    with pytest.raises(ArchiveRejected, match="oversized member header"):
        read(data)


def test_truncated_download_yields_the_files_before_the_cut_then_fails():
    contents = {f"file{i:02}.bin": random.Random(i).randbytes(20 * KiB) for i in range(20)}
    data = repo_archive(contents)
    reader = ArchiveReader(Stream(data[: len(data) // 2]))
    seen = []

    with pytest.raises(ArchiveTruncated, match="truncated"):
        for archive_file in reader:
            seen.append(archive_file.path)
            assert archive_file.content == contents[archive_file.path]
    assert 7 <= len(seen) <= 10
    assert seen == sorted(contents)[: len(seen)]


def test_tar_cut_inside_a_file_is_reported_as_truncated():
    tar = tar_bytes([Member(f"{TOP}/", type=tarfile.DIRTYPE), Member(f"{TOP}/a.txt", b"a"),
                     Member(f"{TOP}/b.bin", b"b" * 10_000)])
    cut_inside_b = tar.index(b"b" * 100) + 5000
    reader = ArchiveReader(Stream(gz(tar[:cut_inside_b])))
    seen = []

    with pytest.raises(ArchiveTruncated, match="middle of a file"):
        seen.extend(f.path for f in reader)
    assert seen == ["a.txt"]


def test_unreadable_header_mid_archive_is_not_taken_for_the_end():
    tar = bytearray(tar_bytes([Member(f"{TOP}/", type=tarfile.DIRTYPE), Member(f"{TOP}/a.txt", b"a"),
                               Member(f"{TOP}/b.txt", b"b"), Member(f"{TOP}/c.txt", b"c")]))
    header_of_b = tar.index(f"{TOP}/b.txt".encode())
    tar[header_of_b : header_of_b + 512] = b"\xff" * 512  # tarfile alone would stop here quietly
    reader = ArchiveReader(Stream(gz(bytes(tar))))
    seen = []

    with pytest.raises(ArchiveRejected, match="member header cannot be read"):
        seen.extend(f.path for f in reader)
    assert seen == ["a.txt"]


@pytest.mark.parametrize("data", [b"", b"not a gzip stream at all", gz(b"gzip, but no tar inside" * 100)])
def test_garbage_is_rejected_with_a_reason(data):
    with pytest.raises(ArchiveRejected) as caught:
        read(data)
    assert caught.value.reason


def test_corrupted_gzip_trailer_is_rejected():
    data = bytearray(repo_archive({"a.txt": b"a" * 1000}))
    data[-6] ^= 0xFF  # inside the CRC32
    with pytest.raises(ArchiveRejected, match="corrupt"):
        read(bytes(data))


def test_file_count_cap_stops_after_the_allowed_files():
    data = repo_archive({f"f{i}": b"" for i in range(8)})
    reader = ArchiveReader(Stream(data), ArchiveLimits(max_files=5))
    seen = []
    with pytest.raises(ArchiveRejected, match="more than 5 files"):
        seen.extend(f.path for f in reader)
    assert seen == ["f0", "f1", "f2", "f3", "f4"]


def test_hundred_thousand_files_reach_the_default_cap_with_flat_memory():
    tar = io.BytesIO()
    with tarfile.open(fileobj=tar, mode="w", format=tarfile.PAX_FORMAT) as writer:
        top = tarfile.TarInfo(TOP)
        top.type = tarfile.DIRTYPE
        writer.addfile(top)
        for i in range(100_001):
            writer.addfile(tarfile.TarInfo(f"{TOP}/d{i // 1000}/f{i}"))
    reader = ArchiveReader(Stream(gzip.compress(tar.getvalue(), 1)))
    count = 0
    try:
        with pytest.raises(ArchiveRejected, match="more than 100000 files"):
            for _ in reader:
                count += 1
                if count == 90_000:
                    tracemalloc.start()  # tracing all of it takes 30 s; growth shows in any window
        window_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 100_000
    # If per-member state were kept (tarfile's TarInfo list is the trap), these last 10,000
    # members would add ~5 MiB; what remains is the 16-byte digests of the paths.
    assert window_peak < 2 * MiB, f"{window_peak / MiB:.1f} MiB in the last 10,000 members"


def test_callbacks_see_skips_and_progress():
    data = repo_archive({"a.txt": b"a", "b.txt": b"bb"}, extra=[Member(f"{TOP}/l", type=tarfile.SYMTYPE, linkname="a.txt")])
    skips, progress = [], []
    reader = ArchiveReader(Stream(data), on_skip=skips.append, on_progress=lambda s: progress.append((s.members, s.files)))
    list(reader)

    assert skips == [Skipped("l", SkipReason.SYMLINK)]
    assert progress == [(0, 0), (1, 1), (2, 2), (3, 2)]  # the top folder entry first


def test_an_archive_is_read_only_once():
    reader = ArchiveReader(Stream(repo_archive({"a": b"a"})))
    list(reader)
    with pytest.raises(RuntimeError):
        list(reader)


def test_a_file_fetched_on_its_own_gets_the_same_caps_and_hash_as_in_an_archive():
    from knowledge.ingest.archive import read_file

    big = random.Random(2).randbytes(3 * MiB)
    limits = ArchiveLimits(max_file_bytes=1 * MiB, max_member_bytes=4 * MiB)
    [in_archive] = ArchiveReader(Stream(repo_archive({"big.bin": big})), limits)
    alone = read_file("big.bin", io.BytesIO(big).read, limits)
    assert alone == in_archive and alone.truncated and alone.size == 3 * MiB
    assert read_file("small.txt", io.BytesIO(b"tiny").read, limits).content == b"tiny"

    endless = io.BytesIO(b"h" * (5 * MiB))  # a file past the member cap is not read to its end
    assert read_file("huge.bin", endless.read, limits) == Skipped("huge.bin", SkipReason.TOO_LARGE, 4 * MiB + 256 * KiB)
    assert endless.tell() < 5 * MiB


@pytest.mark.parametrize(("name", "expected"), [
    ("docs/über.md", "docs/über.md"), ("a/./b//c.py", "a/b/c.py"),
    ("../etc/passwd", SkipReason.PARENT_TRAVERSAL), ("a/../../b", SkipReason.PARENT_TRAVERSAL),
    ("/etc/passwd", SkipReason.ABSOLUTE_PATH), ("new\nline", SkipReason.CONTROL_CHARACTER),
    ("\x1b[31mred", SkipReason.CONTROL_CHARACTER), ("caf\udce9.txt", SkipReason.NON_UTF8_NAME),
    ("a/" * 300 + "deep.txt", SkipReason.PATH_TOO_LONG), ("./", SkipReason.OUTSIDE_TOP_FOLDER),
])
def test_a_path_named_outside_an_archive_follows_the_archive_s_rules(name, expected):
    from knowledge.ingest.archive import repository_path

    assert repository_path(name, ArchiveLimits(max_path_length=512)) == expected
