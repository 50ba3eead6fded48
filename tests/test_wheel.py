"""sitefit as a user installs it: the built wheel in a fresh virtual environment, and the
lock file that pins everything it needs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
# the pip that `make` installs the lock with: an older one (Python 3.11's own, 23.2) refuses
# the lock's hashed install of a dependency asked for with extras (fonttools[woff])
PIP = re.search(r"^PIP_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.M).group(1)


def _pins(lines) -> dict[str, str]:
    found = {}
    for line in lines:
        match = re.match(r"^\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;\\]+)", line)
        if match:
            found[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(2)
    return found


def test_the_lock_holds_every_pin_of_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = _pins(project["dependencies"]
                   + [d for extra in ("test",) for d in project["optional-dependencies"][extra]])
    locked = _pins(LOCK.read_text(encoding="utf-8").splitlines())
    stale = {name: (version, locked.get(name)) for name, version in wanted.items()
             if locked.get(name) != version}
    assert not stale, f"requirements.lock is stale (pyproject, lock): {stale}; run `make lock`"


def _run(args, **kwargs) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, env=env,
                          **kwargs)


def test_the_readme_installs_the_lock_with_the_pip_make_uses():
    assert f"pip install pip=={PIP}" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_wheel_installs_cleanly_and_renders_pdfs_from_anywhere(tmp_path):
    dist = tmp_path / "dist"
    built = _run([sys.executable, "-m", "build", "--outdir", dist, ROOT])
    assert built.returncode == 0, built.stdout + built.stderr
    build_log = built.stdout + built.stderr
    assert not re.search(r"warn", build_log, re.IGNORECASE), build_log
    wheel = next(dist.glob("sitefit-*.whl"))
    shipped = set(zipfile.ZipFile(wheel).namelist())
    for data in ("pipeline/rules.toml", "pipeline/data/metros.csv",
                 "pipeline/templates/site.html", "pipeline/templates/report.css",
                 "pipeline/templates/fonts/DejaVuSans.ttf", "pipeline/schemas/sites.py"):
        assert data in shipped
    assert not any(name.startswith(("schemas/", "templates/", "tests/")) for name in shipped)

    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    pip = _run([python, "-m", "pip", "install", "--quiet", f"pip=={PIP}"])
    assert pip.returncode == 0, pip.stderr
    deps = _run([python, "-m", "pip", "install", "--quiet", "--require-hashes", "-r", LOCK])
    assert deps.returncode == 0, deps.stderr
    own = _run([python, "-m", "pip", "install", "--no-deps", "--no-index", wheel])
    assert own.returncode == 0, own.stderr
    assert not re.search(r"warn", own.stdout + own.stderr, re.IGNORECASE), own.stdout + own.stderr

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    ran = _run([env / "bin" / "sitefit", "evaluate", ROOT / "input" / "sites.xlsx",
                "--out", "out", "--jobs", "2"], cwd=elsewhere)
    assert ran.returncode == 0, ran.stderr
    out = elsewhere / "out"
    assert (out / "portfolio.pdf").stat().st_size > 0
    sites = len((out / "results.csv").read_text(encoding="utf-8").splitlines()) - 1
    assert sites > 0 and len(list((out / "reports").glob("*.pdf"))) == sites
    assert (out / "scorecard.xlsx").is_file() and (out / "manifest.json").is_file()
