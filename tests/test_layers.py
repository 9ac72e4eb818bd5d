"""The layer rules: models imports no Qt, widgets never imports app."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold():
    lint = shutil.which("lint-imports") or str(
        Path(sys.executable).with_name("lint-imports")
    )
    result = subprocess.run(
        [lint], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, (
        f"import-linter found a broken layer:\n{result.stdout}"
    )
    assert "2 kept, 0 broken" in result.stdout, result.stdout


def test_models_import_without_qt():
    code = (
        "import sys, importlib, pkgutil, models\n"
        "for info in pkgutil.walk_packages(models.__path__, 'models.'):\n"
        "    importlib.import_module(info.name)\n"
        "gui = ('PySide6', 'pyqtgraph', 'app', 'widgets')\n"
        "bad = [m for m in gui if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"models pulled in GUI modules: {result.stderr}"
