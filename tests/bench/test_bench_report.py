"""The benchmark's report: its shape check and its renderers (fast, no
Docker), and the smoke run of bench/run.sh end to end (needs root and a
Docker engine; about 2-3 minutes).

    pytest tests/bench                     both
    pytest tests/bench -k 'not smoke'      the fast part only
"""

import copy
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import report  # noqa: E402  (bench/report.py)


def _run(seconds, changed=0):
    return {
        "seconds": seconds,
        "rc": 0,
        "recap": {"ok": 40, "changed": changed, "skipped": 5, "failed": 0},
        "tasks_count": 45,
        "roles": [{"name": "baobab.webstack.redis", "seconds": seconds * 0.8}],
        "top_tasks": [{"name": "baobab.webstack.redis : Install Redis", "seconds": seconds * 0.5}],
        "gather_facts_seconds": 1.5,
        "gather_facts_count": 1,
    }


def _serving_run(stack, route, conc, rps):
    return {
        "stack": stack,
        "route": route,
        "url_path": "/up",
        "concurrency": conc,
        "seconds": 10.0,
        "requests": int(rps * 10),
        "errors": 0,
        "rps": rps,
        "p50_ms": 4.0,
        "p95_ms": 9.0,
        "p99_ms": 12.0,
        "max_ms": 30.0,
    }


@pytest.fixture
def sample():
    """A well-formed full result, as bench/run.py writes it."""
    return {
        "schema": 1,
        "mode": "full",
        "started": "2026-01-01T00:00:00+00:00",
        "finished": "2026-01-01T00:20:00+00:00",
        "duration_s": 1200.0,
        "machine": {
            "nproc": 2,
            "mem_total_kb": 2048000,
            "mem_total_gb": 2.0,
            "loadavg_start": [0.5, 0.4, 0.3],
            "loadavg_end": [1.0, 0.9, 0.8],
            "kernel": "6.1",
            "docker": "20.10",
            "cpu_model": "test cpu",
        },
        "versions": {"ansible_core": "2.19.14", "python": "3.11", "image": "baobab-webstack/debian:12"},
        "converge": {
            "playbook": "playbooks/site.yml",
            "cold": _run(300.0, changed=120),
            "idempotent": _run(60.0),
            "floor": {
                "seconds": 50.0,
                "command": "apt-get install",
                "packages": 120,
                "package_source": "dpkg diff",
                "manual_packages": ["nginx", "redis-server"],
                "packages_removed_by_converge": [],
                "missing_after_floor": [],
            },
            "ratio_cold_over_floor": 6.0,
            "apt_cache": {
                "mode": "warm",
                "debs_in_cache_before": 120,
                "debs_added_during_converge": 0,
                "debs_added_during_floor": 0,
            },
        },
        "levers": {
            "baseline": {
                "description": "as committed",
                "seconds": 60.0,
                "gather_facts_seconds": 6.0,
                "gather_facts_count": 4,
            },
            "runs": [
                {
                    "name": "pipelining_off",
                    "description": "no pipelining",
                    "env": {"ANSIBLE_PIPELINING": "False"},
                    "args": [],
                    "seconds": 90.0,
                    "rc": 0,
                    "changed": 0,
                    "gather_facts_seconds": 7.0,
                    "speedup_vs_baseline": 0.667,
                    "safe": True,
                    "note": "",
                },
                {"name": "mitogen", "description": "mitogen", "skipped": True, "error": "not installable"},
                {
                    "name": "gather_subset_min",
                    "description": "probe",
                    "setup_all_seconds": 1.5,
                    "setup_min_seconds": 0.9,
                    "gatherings_per_run": 4,
                    "estimated_saving_seconds": 2.4,
                    "safe": False,
                    "note": "play keyword",
                },
            ],
        },
        "serving": {
            "client": "wrk",
            "protocol": "https",
            "duration_s": 10,
            "concurrency": [1, 8],
            "routes": {"up": "/up"},
            "runs": [
                _serving_run("tuned", "up", 1, 200.0),
                _serving_run("stock", "up", 1, 100.0),
                _serving_run("tuned", "up", 8, 400.0),
                _serving_run("stock", "up", 8, 150.0),
            ],
            "ratios": [
                {"route": "up", "concurrency": 1, "rps_ratio": 2.0, "p99_ratio": 1.0},
                {"route": "up", "concurrency": 8, "rps_ratio": 2.667, "p99_ratio": 1.0},
            ],
            "config": {"tuned": {"php": "8.2", "opcache": ["opcache.enable On"], "fpm_pools": [], "nginx": []}},
        },
        "deployments": [
            _deployment("plain", "deploy", 24.9, 8),
            _deployment("plain", "redeploy", 22.1, 0),
            _deployment("plain", "rollback", 9.2, 5),
            _deployment("mitogen", "deploy", 13.6, 8),
            _deployment("mitogen", "redeploy", 11.3, 0),
            _deployment("mitogen", "rollback", 5.4, 5),
        ],
        "reference": report.REFERENCE,
    }


def _deployment(strategy, step, seconds, changed):
    return {
        "strategy": strategy,
        "step": step,
        "description": step,
        "playbook": "playbooks/deploy.yml",
        "seconds": seconds,
        "rc": 0,
        "changed": changed,
        "tasks_count": 100,
        "top_tasks": [],
    }


def test_a_well_formed_result_validates(sample):
    assert report.validate(sample) == []


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (lambda r: r.pop("serving"), "missing key serving"),
        (lambda r: r["converge"]["idempotent"]["recap"].update(changed=3), "idempotent re-run changed"),
        (lambda r: r["converge"]["cold"].update(rc=2), "converge.cold failed"),
        (lambda r: r["converge"]["floor"].update(seconds=0), "converge.floor"),
        (lambda r: r["serving"]["runs"][0].update(rps=0), "rps not positive"),
        (lambda r: r["serving"].update(ratios=[]), "ratios is empty"),
        (lambda r: r["converge"]["cold"].update(roles=[]), "profile_roles"),
        (lambda r: r["machine"].update(nproc=0), "machine.nproc"),
        (lambda r: r["deployments"][1].update(changed=2), "deployment plain/redeploy changed something"),
        (lambda r: r["deployments"][3].update(rc=2), "deployment mitogen/deploy failed"),
        (lambda r: r["deployments"][5].update(seconds=0), "deployment mitogen/rollback has no positive time"),
    ],
)
def test_a_broken_result_is_refused(sample, breakage, expected):
    broken = copy.deepcopy(sample)
    breakage(broken)
    problems = report.validate(broken)
    assert any(expected in p for p in problems), problems


def test_write_makes_json_markdown_and_chart(sample, tmp_path):
    paths = report.write(sample, tmp_path, "20260101T000000Z")
    assert [p.name for p in paths] == ["20260101T000000Z.json", "20260101T000000Z.md", "20260101T000000Z.png"]
    assert json.loads((tmp_path / "latest.json").read_text())["converge"]["ratio_cold_over_floor"] == 6.0
    page = (tmp_path / "20260101T000000Z.md").read_text()
    assert "**6.00x**" in page and "**2.67x**" in page and "287 req/s" in page
    assert "| mitogen | redeploy: redeploy | 11.3 | 100 | 0 | 0 |" in page
    assert "![chart](20260101T000000Z.png)" in page
    assert "![chart](latest.png)" in (tmp_path / "latest.md").read_text()
    for png in (tmp_path / "20260101T000000Z.png", tmp_path / "latest.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _docker_usable():
    if os.geteuid() != 0 or not shutil.which("docker"):
        return False
    return subprocess.run(["docker", "info"], capture_output=True, check=False).returncode == 0


@pytest.mark.skipif(not _docker_usable(), reason="the smoke run needs root and a Docker engine")
def test_smoke_run_writes_a_valid_report(tmp_path):
    start = time.monotonic()
    res = subprocess.run(
        [str(ROOT / "bench" / "run.sh"), "--smoke", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    result = json.loads((tmp_path / "latest.json").read_text())
    assert report.validate(result) == []
    assert result["mode"] == "smoke"
    conv = result["converge"]
    assert conv["cold"]["rc"] == 0 and conv["idempotent"]["recap"]["changed"] == 0
    assert conv["cold"]["recap"]["changed"] > 0
    assert "redis-server" in conv["floor"]["manual_packages"]
    assert conv["floor"]["missing_after_floor"] == []
    assert all(r["rps"] > 0 and r["errors"] == 0 for r in result["serving"]["runs"])
    stamp = Path(result["files"]["json"]).stem
    for suffix in (".json", ".md", ".png"):
        assert (tmp_path / f"{stamp}{suffix}").stat().st_size > 0
    # nothing of the smoke run is left behind
    left = subprocess.run(
        ["docker", "ps", "-a", "--filter", "name=bench-smoke-", "--format", "{{.Names}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert left == []
    print(f"smoke run: {time.monotonic() - start:.0f} s")


PLAYBOOK_OUTPUT = """
TASK [baobab.webstack.redis : Install Redis] ***********************************
changed: [bench-monolith]

RUNNING HANDLER [baobab.webstack.redis : Restart redis] ************************
changed: [bench-monolith]

TASK [baobab.webstack.redis : Read the live settings] **************************
ok: [bench-monolith]

PLAY RECAP *********************************************************************
bench-monolith             : ok=21   changed=2    unreachable=0    failed=0    skipped=10   rescued=0    ignored=0

ROLES RECAP ********************************************************************
Sunday 22 November 2026  02:46:01 +0000 (0:00:33.391)       0:00:33.391 *******
===============================================================================
redis ------------------------------------------------------------------ 29.55s
gather_facts ------------------------------------------------------------ 2.25s
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
total ------------------------------------------------------------------ 31.80s
TASKS RECAP ********************************************************************
Sunday 22 November 2026  02:46:01 +0000 (0:00:33.389)       0:00:33.389 *******
===============================================================================
baobab.webstack.redis : Install Redis ----------------------------------- 8.09s
baobab.webstack.postgis : Install PostgreSQL, PostGIS and the Python driver -- 75.31s
Gathering Facts --------------------------------------------------------- 2.25s
"""


def test_profile_summaries_and_recap_are_parsed():
    import run

    tasks, roles, recap, changed = run.parse_profile(PLAYBOOK_OUTPUT)
    assert recap == {"ok": 21, "changed": 2, "unreachable": 0, "failed": 0, "skipped": 10, "rescued": 0, "ignored": 0}
    assert roles == [{"name": "redis", "seconds": 29.55}, {"name": "gather_facts", "seconds": 2.25}]
    assert [t["name"] for t in tasks] == [
        "baobab.webstack.postgis : Install PostgreSQL, PostGIS and the Python driver",
        "baobab.webstack.redis : Install Redis",
        "Gathering Facts",
    ]
    assert tasks[0]["seconds"] == 75.31
    assert changed == ["baobab.webstack.redis : Install Redis", "baobab.webstack.redis : Restart redis"]
