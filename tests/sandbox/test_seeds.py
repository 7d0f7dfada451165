"""The seeds: demo.json serves the demo as promised; a broken seed stops the sandbox with a reason."""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

from tests.fixtures.sandbox import ROOT, start_sandbox
from tests.sandbox.helpers import get

DEMO = ROOT / "sandbox" / "seeds" / "demo.json"
ALICE = ("alice@example.com", "ATATT3xFfGF0-demo-alice-read-and-webhooks")


@pytest.fixture(scope="module")
def demo():
    running = start_sandbox(DEMO)
    yield running
    running.stop()


def test_demo_json_is_what_build_demo_writes():
    spec = importlib.util.spec_from_file_location("build_demo", DEMO.with_name("build_demo.py"))
    build_demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_demo)
    assert json.loads(DEMO.read_text()) == build_demo.demo()


def test_demo_consumer_and_workspaces(demo):
    seed = json.loads(DEMO.read_text())
    assert {"key": "strata-demo", "secret": "strata-demo-secret"}.items() <= seed["consumers"][0].items()
    mine = get(demo, "/2.0/user/workspaces", auth=ALICE).json()
    assert sorted(v["workspace"]["slug"] for v in mine["values"]) == ["fleet", "northwind", "polyglot"]


def test_demo_has_a_workspace_of_more_than_100_repositories(demo):
    page = get(demo, "/2.0/repositories/fleet?pagelen=100", auth=ALICE).json()
    assert page["size"] > 100 and "next" in page


def test_demo_serves_real_python_code_with_activity(demo):
    code = get(demo, "/2.0/repositories/northwind/requests/src/main/api.py", auth=ALICE)
    assert code.status_code == 200 and "def get(" in code.text
    states = get(demo, "/2.0/repositories/northwind/urllib3/pullrequests?state=MERGED", auth=ALICE).json()
    assert states["size"] == 1
    assert get(demo, "/2.0/repositories/northwind/requests/pipelines", auth=ALICE).json()["size"] == 2


def test_demo_covers_many_languages_and_an_empty_repository(demo):
    repos = get(demo, "/2.0/repositories/polyglot?pagelen=100", auth=ALICE).json()["values"]
    languages = {r["language"] for r in repos}
    assert {"javascript", "typescript", "go", "rust", "java", "c", "c++", "c#", "ruby", "php",
            "python"} <= languages
    assert [r["slug"] for r in repos if "mainbranch" not in r] == ["scratch"]
    manifest = get(demo, "/2.0/repositories/polyglot/go-service/src/main/go.mod", auth=ALICE)
    assert manifest.text.startswith("module github.com/polyglot/go-service")


def test_a_broken_seed_stops_the_sandbox_with_a_reason(tmp_path):
    seed = tmp_path / "broken.json"
    seed.write_text(json.dumps({"users": [{"nickname": "a"}],
                                "repositories": [{"workspace": "nowhere", "slug": "x"}]}))
    finished = subprocess.run([sys.executable, "-m", "sandbox", "--port", "0", "--seed", str(seed)],
                              cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert finished.returncode == 2
    assert "unknown workspace 'nowhere'" in finished.stderr and finished.stdout == ""
