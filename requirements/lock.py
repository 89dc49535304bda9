"""The locks in this folder: every dependency, direct and transitive, with its hashes.

    python requirements/lock.py            # make lock: follow pyproject.toml, keep locked versions
    python requirements/lock.py --upgrade  # make upgrade: the newest versions pyproject.toml allows
    python requirements/lock.py --check    # CI: fail if pyproject.toml changed since the lock

``runtime.txt`` is what a deployment installs; ``test.txt`` adds the test and
lint tools, at the same versions for everything the two share. Both hold the
build backend too, so that ``pip install --no-deps --no-build-isolation .``
downloads nothing unlocked. Each lock records a digest of the pyproject.toml
lists it was made from: the check is a comparison, with no network and no uv.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCKS = {"runtime": ROOT / "requirements/runtime.txt", "test": ROOT / "requirements/test.txt"}
DIGEST_PREFIX = "# pyproject.toml digest: "


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def digest(project: dict) -> str:
    """What the locks are made from; nothing else in pyproject.toml changes them."""
    inputs = {
        "requires-python": project["project"].get("requires-python", ""),
        "dependencies": project["project"].get("dependencies", []),
        "optional-dependencies": project["project"].get("optional-dependencies", {}),
        "build-system": project["build-system"].get("requires", []),
    }
    encoded = json.dumps(inputs, sort_keys=True).encode()
    return "sha256:" + hashlib.sha256(encoded).hexdigest()


def recorded_digest(lock: Path) -> str | None:
    if not lock.exists():
        return None
    for line in lock.read_text().splitlines():
        if line.startswith(DIGEST_PREFIX):
            return line.removeprefix(DIGEST_PREFIX).strip()
    return None


def check() -> int:
    expected = digest(pyproject())
    stale = [name for name, lock in LOCKS.items() if recorded_digest(lock) != expected]
    for name in stale:
        print(
            f"requirements/{name}.txt does not match pyproject.toml: run `make lock` "
            "and commit the result",
            file=sys.stderr,
        )
    return 1 if stale else 0


def compile_lock(name: str, upgrade: bool) -> None:
    project = pyproject()
    lock = LOCKS[name]
    command = [
        *(sys.executable, "-m", "uv", "pip", "compile", "--quiet"),
        *("pyproject.toml", "-"),  # stdin: the build backend's requirements
        *("--universal", "--python-version", "3.11", "--generate-hashes"),
        *("--custom-compile-command", "make lock", "--output-file", str(lock.relative_to(ROOT))),
    ]
    if name == "test":
        # Shared packages stay at the runtime lock's versions: tests run what ships.
        command += ["--extra", "test", "--constraint", "requirements/runtime.txt"]
    if upgrade:
        command.append("--upgrade")
    build = "\n".join(project["build-system"]["requires"]) + "\n"
    subprocess.run(command, cwd=ROOT, input=build, text=True, check=True)
    # The digest goes right under uv's header, where a reader sees it.
    lines = lock.read_text().splitlines(keepends=True)
    lines = [line for line in lines if not line.startswith(DIGEST_PREFIX)]
    at = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    lines.insert(at, f"{DIGEST_PREFIX}{digest(project)}\n")
    lock.write_text("".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--upgrade", action="store_true", help="move to the newest versions")
    action.add_argument("--check", action="store_true", help="fail if the locks are stale")
    args = parser.parse_args()
    if args.check:
        return check()
    for name in LOCKS:  # runtime first: the test lock is constrained by it
        compile_lock(name, args.upgrade)
    return 0


if __name__ == "__main__":
    sys.exit(main())
