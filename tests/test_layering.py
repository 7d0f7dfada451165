"""The import contracts in .importlinter (run by `make lint`): kept by the product, and able to fail."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
PACKAGES = ("config", "core", "integrations", "knowledge", "webhooks", "sandbox")


def lint_imports(where: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(where)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--no-logo", str(ROOT / ".importlinter")],
                          cwd=where, env=env, capture_output=True, text=True, timeout=120)


def test_the_product_keeps_every_import_contract():
    run = lint_imports(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "4 kept, 0 broken" in run.stdout


def test_an_upward_import_or_one_across_the_sandbox_line_breaks_a_contract(tmp_path):
    for package in PACKAGES:  # a project of the same shape, importing the wrong way
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "integrations" / "selectors.py").write_text("import knowledge\n")
    (tmp_path / "core" / "inputs.py").write_text("from webhooks import handlers\n")
    (tmp_path / "webhooks" / "handlers.py").write_text("")
    (tmp_path / "sandbox" / "state.py").write_text("import integrations\n")
    (tmp_path / "knowledge" / "api.py").write_text("import sandbox\n")
    (tmp_path / "knowledge" / "views.py").write_text("import config.urls\n")
    (tmp_path / "config" / "urls.py").write_text("import webhooks\n")  # the root URLconf may: it is the top
    (tmp_path / "config" / "errors.py").write_text("import webhooks\n")
    (tmp_path / "config" / "wsgi.py").write_text("")
    run = lint_imports(tmp_path)
    assert run.returncode != 0
    for broken in ("integrations.selectors -> knowledge", "core.inputs -> webhooks.handlers", "sandbox.state -> integrations",
                   "knowledge.api -> sandbox", "knowledge.views -> config.urls", "config.errors -> webhooks"):
        assert broken in run.stdout, run.stdout
    assert "config.urls -> webhooks" not in run.stdout
    assert "0 kept, 4 broken" in run.stdout
