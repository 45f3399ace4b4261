"""An installed wheel is the product a user gets: it must carry the rule files, templates and
the shipped readiness model (package data), and score with readiness outside the source tree."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT


def test_an_installed_wheel_scores_with_the_shipped_model(tmp_path):
    wheels, site = tmp_path / "wheels", tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = wheels.glob("tiering-*.whl")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    code = (
        "import json, sys, scoring\n"
        "from scoring.readiness.bundle import SHIPPED_DIR\n"
        f"firm = json.load(open({str(ROOT / 'data' / 'example_firm.json')!r}, encoding='utf-8'))\n"
        "r = scoring.assess(firm)\n"
        "print(json.dumps({'file': scoring.__file__, 'models': str(SHIPPED_DIR),\n"
        "  'model': r.readiness.model_version if r.readiness else None,\n"
        "  'status': r.ladders['high_tech'].status}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "TIERING_MODELS_DIR"}
    env["PYTHONPATH"] = str(site)
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["file"].startswith(str(site)) and out["models"].startswith(str(site))
    shipped = (ROOT / "scoring" / "readiness" / "models" / "CURRENT").read_text().strip()
    assert out["model"] == shipped
    assert out["status"] in ("eligible", "ineligible", "undetermined")


def test_a_models_folder_without_a_current_version_falls_back_to_the_shipped_one(tmp_path):
    from scoring.readiness import bundle

    assert bundle.load(None, tmp_path) is None  # nothing chosen there yet
    shipped = bundle.load(None, bundle.SHIPPED_DIR).version
    assert bundle.load_current(tmp_path).version == shipped
    code = "import scoring; print(scoring.assess({'name': 'x'}).readiness.model_version)"
    env = {**os.environ, "TIERING_MODELS_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env
    )
    assert done.stdout.strip() == shipped, done.stderr
