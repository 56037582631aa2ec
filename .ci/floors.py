"""Check the floors environment of .ci/run against pyproject.toml and .ci/floors.txt.

- Every pin of .ci/floors.txt is the floor (``>=``) that pyproject.toml writes for that
  package, wherever it writes one among the extras the floors environment installs; a pin
  with no floor there (jaxlib) is said so.
- Every pinned package is installed at its pin in the running interpreter.
- The floors of those extras that the environment does not install at their floor are
  listed, so that the log says what stays untested.

Run it with the floors environment's Python, from the repository root; exit 1 on a mismatch.
"""

from __future__ import annotations

import sys
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
#: The extras whose floors the environment stands for: those it installs (check, verify)
#: and the test extra, which states pytest's floor.
EXTRAS = ("check", "verify", "test")


def pins(path: Path) -> dict[str, Version]:
    """The ``name==version`` lines of a constraints file."""
    found = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            (specifier,) = requirement.specifier
            if specifier.operator != "==":
                raise SystemExit(f"{path.name}: expected name==version, got {line!r}")
            found[canonicalize_name(requirement.name)] = Version(specifier.version)
    return found


def floors(pyproject: Path) -> dict[str, set[Version]]:
    """The ``>=`` floors of each package in the dependencies and the extras of EXTRAS."""
    project = tomllib.loads(pyproject.read_text())["project"]
    lines = list(project["dependencies"])
    for extra in EXTRAS:
        lines += project["optional-dependencies"][extra]
    found: dict[str, set[Version]] = {}
    for line in lines:
        requirement = Requirement(line)
        for specifier in requirement.specifier:
            if specifier.operator == ">=":
                name = canonicalize_name(requirement.name)
                found.setdefault(name, set()).add(Version(specifier.version))
    return found


def main() -> int:
    pinned = pins(ROOT / ".ci" / "floors.txt")
    stated = floors(ROOT / "pyproject.toml")
    errors = []
    for name, pin in pinned.items():
        if name not in stated:
            origin = "no floor in pyproject.toml, pinned for another pin"
        elif stated[name] != {pin}:
            written = ", ".join(f">={v}" for v in sorted(stated[name]))
            errors.append(f"{name}: pinned at {pin}, pyproject.toml says {written}")
            continue
        else:
            origin = "the floor of pyproject.toml"
        try:
            installed = Version(version(name))
        except PackageNotFoundError:
            errors.append(f"{name}: pinned at {pin}, not installed")
            continue
        if installed != pin:
            errors.append(f"{name}: pinned at {pin}, installed {installed}")
        else:
            print(f"{name} {installed}: {origin}, installed")
    untested = sorted(name for name in stated if name not in pinned)
    if untested:
        print("floors not installed here:", ", ".join(untested))
    for error in errors:
        print("error:", error, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
