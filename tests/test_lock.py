"""The locks in requirements/: CI notices a pyproject.toml they no longer match,
and the install follows them."""

import shutil
import subprocess
import sys

import pytest

from tests.support.servers import ROOT


@pytest.fixture
def checkout(tmp_path):
    """pyproject.toml, the locks and their script, copied where they may be edited."""
    (tmp_path / "requirements").mkdir()
    for name in ("pyproject.toml", "requirements/lock.py", "requirements/runtime.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "requirements/test.txt", tmp_path / "requirements/test.txt")
    return tmp_path


def check(checkout) -> subprocess.CompletedProcess:
    command = [sys.executable, "requirements/lock.py", "--check"]
    return subprocess.run(command, cwd=checkout, capture_output=True, text=True, timeout=60)


def edit(path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_the_committed_locks_match_pyproject(checkout):
    result = check(checkout)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('"requests>=2.31,<3",', '"requests>=2.31,<3",\n    "attrs>=20",'),  # a new dependency
        ('"pytest>=8",', '"pytest>=9",'),  # a test tool's range
        ('requires = ["setuptools>=69"]', 'requires = ["setuptools>=70"]'),  # the build backend
    ],
)
def test_a_pyproject_change_without_a_new_lock_fails_the_check(checkout, old, new):
    edit(checkout / "pyproject.toml", old, new)
    result = check(checkout)
    assert result.returncode == 1
    assert "requirements/runtime.txt does not match pyproject.toml" in result.stderr


def test_a_change_outside_the_dependency_lists_needs_no_new_lock(checkout):
    edit(checkout / "pyproject.toml", "line-length = 100", "line-length = 99")
    assert check(checkout).returncode == 0


@pytest.mark.parametrize(
    "changed", ["pyproject.toml", "requirements/runtime.txt", "requirements/test.txt"]
)
def test_a_changed_lock_or_pyproject_reinstalls_from_the_lock_with_hashes(changed):
    # -n: print what would run; -W: as if this file had just changed.
    dry_run = ["make", "--no-print-directory", "-n", "-W", changed, ".venv/.installed"]
    commands = subprocess.run(dry_run, cwd=ROOT, capture_output=True, text=True, timeout=60).stdout
    assert "pip install --quiet --require-hashes -r requirements/test.txt" in commands
    assert "pip install --quiet --no-deps --no-build-isolation -e ." in commands
