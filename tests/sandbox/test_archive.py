"""Commit archives: Bitbucket's top-level folder, streamed; an `archive` source served byte for byte."""
from __future__ import annotations

import io
import tarfile

from tests.sandbox.helpers import get


def members(content: bytes) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(content), mode="r:gz") as archive:
        return {m.name: m for m in archive.getmembers()}


def test_archive_has_the_bitbucket_top_level_folder(sandbox):
    head = get(sandbox, "/2.0/repositories/acme/api/refs/branches/main").json()["target"]["hash"]
    answer = get(sandbox, f"/acme/api/get/{head}.tar.gz")
    assert answer.status_code == 200 and answer.headers["Transfer-Encoding"] == "chunked"
    found = members(answer.content)
    folder = f"acme-api-{head[:12]}/"
    assert all(name.startswith(folder.rstrip("/")) for name in found)
    assert found[f"{folder}acme/app.py"].isreg() and found[f"{folder}docs"].isdir()
    with tarfile.open(fileobj=io.BytesIO(answer.content), mode="r:gz") as archive:
        assert archive.extractfile(f"{folder}README.md").read() == b"# Acme API\n\nServes the Acme catalogue.\n"
        assert archive.pax_headers.get("comment") == head


def test_archive_by_branch_name(sandbox):
    head = get(sandbox, "/2.0/repositories/acme/api/refs/branches/feature/login").json()["target"]["hash"]
    found = members(get(sandbox, "/acme/api/get/feature/login.tar.gz").content)
    assert f"acme-api-{head[:12]}/acme/login.py" in found


def test_archive_needs_auth_and_a_known_commit(sandbox):
    assert get(sandbox, "/acme/api/get/main.tar.gz", auth=None).status_code == 401
    assert get(sandbox, "/acme/api/get/deadbeefdeadbeef.tar.gz").status_code == 404
    assert get(sandbox, "/umbrella/secret/get/main.tar.gz").status_code == 404


def _hostile_archive(path) -> bytes:
    with tarfile.open(path, "w:gz") as archive:
        def add(name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE, link: str = "") -> None:
            info = tarfile.TarInfo(name)
            info.type, info.size, info.linkname = kind, len(data), link
            archive.addfile(info, io.BytesIO(data) if data else None)
        add("top/README.md", b"# Hostile\n")
        add("top/src/ok.py", b"print('ok')\n")
        add("top/../../escape.txt", b"nope")
        add("/top/absolute.txt", b"nope")
        add("top/link", kind=tarfile.SYMTYPE, link="/etc/passwd")
        add("top/hard", kind=tarfile.LNKTYPE, link="top/README.md")
        add("top/fifo", kind=tarfile.FIFOTYPE)
    return path.read_bytes()


def test_archive_source_is_served_byte_for_byte_and_src_sees_only_regular_files(sandbox_clean, tmp_path):
    original = _hostile_archive(tmp_path / "hostile.tar.gz")
    created = sandbox_clean.control("POST", "/_sandbox/repositories", json={
        "workspace": "acme", "slug": "hostile", "source": {"archive": str(tmp_path / "hostile.tar.gz")}})
    assert created.status_code == 201, created.text
    assert get(sandbox_clean, "/acme/hostile/get/main.tar.gz").content == original
    listing = get(sandbox_clean, "/2.0/repositories/acme/hostile/src/main/?max_depth=5").json()
    assert sorted(e["path"] for e in listing["values"] if e["type"] == "commit_file") == ["README.md", "src/ok.py"]
    assert get(sandbox_clean, "/2.0/repositories/acme/hostile/src/main/src/ok.py").content == b"print('ok')\n"
    pushed = sandbox_clean.control("POST", "/_sandbox/repositories/acme/hostile/commits",
                                   json={"files": {"NEW.md": "new\n"}}).json()["hash"]
    rebuilt = members(get(sandbox_clean, f"/acme/hostile/get/{pushed}.tar.gz").content)
    assert set(rebuilt) >= {f"acme-hostile-{pushed[:12]}/NEW.md", f"acme-hostile-{pushed[:12]}/src/ok.py"}
