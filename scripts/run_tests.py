#!/usr/bin/env python3
"""Run the collection's whole test suite and print one closing line.

Stages (each one is a check that passes or fails):
  lint:yamllint, lint:ansible-lint, lint:ruff     static gates
  pytest                                          tests/unit + tests/integration
                                                  (each test case counts)
  bench:smoke                                     tests/bench: the benchmark's report
                                                  checks and a short run of it
  build:galaxy                                    ansible-galaxy collection build,
                                                  artifact content checked
  import:galaxy-importer                          Galaxy's import checks on the artifact
  sanity:ansible-test                             ansible-test sanity on the artifact
  syntax:playbooks                                syntax check of every playbook and
                                                  every example inventory
  molecule:<scenario>                             `molecule test` per scenario, run
                                                  --jobs at a time (default 2)

Usage:
  scripts/run_tests.py                  everything
  scripts/run_tests.py --only smoke     one molecule scenario (repeatable)
  scripts/run_tests.py --no-molecule    static gates and pytest only
  scripts/run_tests.py --jobs 1         scenarios one at a time

Logs of every stage go to build/test-logs/; a failing stage prints its tail.
The last line is `N passed, N failed`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT / "build" / "test-logs"
DURATIONS = ROOT / ".cache" / "test-durations.json"
# Scenario times measured on a 2-core machine (two lanes beside the static
# stages), used to start the longest first when this checkout has no
# timings of its own yet (a CI checkout).
EXPECTED_SECONDS = {
    "molecule:monolith": 2100,
    "molecule:scalable": 1700,
    "molecule:laravel": 850,
    "molecule:monitoring": 610,
    "molecule:backups": 540,
    "molecule:postgis": 360,
    "molecule:php_fpm": 250,
    "molecule:nginx": 220,
    "molecule:certbot": 210,
    "molecule:github_runner": 180,
    "molecule:redis": 165,
    "molecule:fail2ban": 160,
    "molecule:traefik": 160,
    "molecule:base": 160,
    "molecule:smoke": 40,
}
VENV_BIN = Path(sys.executable).parent


@dataclass
class Result:
    name: str
    ok: bool
    seconds: float
    passed: int = 0
    failed: int = 0
    note: str = ""
    log: Path | None = None
    extra: dict = field(default_factory=dict)


def env() -> dict:
    e = dict(os.environ)
    e["PATH"] = f"{VENV_BIN}{os.pathsep}{e.get('PATH', '')}"
    e["NO_COLOR"] = "1"
    e["ANSIBLE_FORCE_COLOR"] = "0"
    e["PY_COLORS"] = "0"
    e["ANSIBLE_COLLECTIONS_PATH"] = str(ROOT / ".cache" / "collections")
    e.setdefault("ANSIBLE_CONFIG", str(ROOT / "ansible.cfg"))
    return e


def run(name: str, cmd: list[str] | str, cwd: Path = ROOT, timeout: int = 3600) -> Result:
    LOGS.mkdir(parents=True, exist_ok=True)
    log = LOGS / (re.sub(r"[^A-Za-z0-9_.-]+", "_", name) + ".log")
    start = time.monotonic()
    with log.open("w", encoding="utf-8") as out:
        out.write(f"$ {cmd if isinstance(cmd, str) else ' '.join(cmd)}\n")
        out.flush()
        try:
            proc = subprocess.run(
                cmd,
                cwd=cwd,
                env=env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                timeout=timeout,
                shell=isinstance(cmd, str),
                check=False,
            )
            rc = proc.returncode
        except subprocess.TimeoutExpired:
            out.write(f"\n*** timed out after {timeout} s\n")
            rc = 124
    return Result(name, rc == 0, time.monotonic() - start, log=log, note="" if rc == 0 else f"exit {rc}")


def tail(path: Path, lines: int = 60) -> str:
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(text[-lines:])


# -- stages ---------------------------------------------------------------------------


def stage_yamllint() -> Result:
    return run("lint:yamllint", ["yamllint", "--strict", "."])


def stage_ansible_lint() -> Result:
    return run("lint:ansible-lint", ["ansible-lint", "--offline", "--profile", "production"])


def stage_ruff() -> Result:
    return run("lint:ruff", ["ruff", "check", "."])


def stage_pytest() -> Result:
    return pytest_stage("pytest", [p for p in ("tests/unit", "tests/integration") if (ROOT / p).is_dir()])


def stage_bench_smoke() -> Result:
    # the benchmark's report checks and its smoke run (bench/run.sh --smoke)
    return pytest_stage("bench:smoke", ["tests/bench"])


def pytest_stage(name: str, paths: list[str]) -> Result:
    res = run(name, ["python", "-m", "pytest", "-q", "-p", "no:cacheprovider", *paths])
    text = res.log.read_text(encoding="utf-8", errors="replace")
    summary = [ln for ln in text.splitlines() if re.search(r"\b(passed|failed|error|no tests ran)\b", ln)]
    last = summary[-1] if summary else ""
    res.passed = sum(int(n) for n in re.findall(r"(\d+) passed", last))
    res.failed = sum(int(n) for n in re.findall(r"(\d+) (?:failed|errors?)", last))
    if "no tests ran" in last:
        res.ok = True  # an empty suite is not a failure of the gate, it is reported
    res.note = last.strip("= ")
    if not res.ok and res.failed == 0:
        res.failed = 1
    return res


def built_artifact() -> Path | None:
    found = sorted((ROOT / "build").glob("baobab-webstack-*.tar.gz"))
    return found[-1] if found else None


FORBIDDEN_IN_ARTIFACT = ("tests/", "molecule/", ".github/", ".ci/", "scripts/", ".venv/", ".cache/", "bench/", "build/")


def stage_build() -> Result:
    out = ROOT / "build"
    for old in out.glob("baobab-webstack-*.tar.gz"):
        old.unlink()
    res = run("build:galaxy", ["ansible-galaxy", "collection", "build", "--force", "--output-path", str(out)])
    if not res.ok:
        return res
    art = built_artifact()
    if art is None:
        res.ok, res.note = False, "no artifact produced"
        return res
    with tarfile.open(art) as tar:
        names = tar.getnames()
    bad = [n for n in names if n.startswith(FORBIDDEN_IN_ARTIFACT)]
    with res.log.open("a", encoding="utf-8") as log:
        log.write(f"\nartifact {art.name}: {len(names)} entries\n")
        for n in bad:
            log.write(f"should not be in the artifact: {n}\n")
    if bad:
        res.ok, res.note = False, f"{len(bad)} test/CI files inside {art.name}"
    else:
        res.note = f"{art.name}, {len(names)} entries"
    return res


def stage_sanity() -> Result:
    art = built_artifact()
    if art is None:
        return Result("sanity:ansible-test", False, 0.0, note="no artifact (build failed)")
    work = ROOT / "build" / "sanity"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    with tarfile.open(art) as tar:
        tar.extractall(work / "ansible_collections" / "baobab" / "webstack", filter="data")
    coll = work / "ansible_collections" / "baobab" / "webstack"
    # ansible-test wants a git-free or git-clean tree; the artifact is neither
    # tracked nor ignored, so make it its own repository.
    subprocess.run(["git", "init", "-q"], cwd=coll, check=True)
    subprocess.run(["git", "add", "-A"], cwd=coll, check=True)
    # ansible-test bootstraps pip in its test virtualenvs with a script it
    # downloads from its own file server; give it the offline stand-in.
    cache = Path.home() / ".ansible" / "test" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    import ansible_test  # only this stage needs it

    source = Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
    versions = set(re.findall(r"pip='([0-9.]+)'", source.read_text(encoding="utf-8"))) or {"24.2"}
    for version in sorted(v.replace(".", "_") for v in versions):
        shutil.copyfile(ROOT / "scripts" / "ansible-test" / "get_pip.py", cache / f"get_pip_{version}.py")
    cmd = ["ansible-test", "sanity", "--python", f"{sys.version_info[0]}.{sys.version_info[1]}",
           "--color", "no", "--requirements"]
    return run("sanity:ansible-test", cmd, cwd=coll)


def stage_galaxy_importer() -> Result:
    """Galaxy's own import checks on the artifact (its own virtualenv: it pins
    packages that clash with requirements.txt; scripts/bootstrap.sh makes it)."""
    art = built_artifact()
    python = ROOT / ".cache" / "venv-galaxy-importer" / "bin" / "python"
    if art is None or not python.exists():
        return Result("import:galaxy-importer", False, 0.0, note="no artifact or no galaxy-importer virtualenv")
    cmd = (f"PATH={python.parent}:$PATH GALAXY_IMPORTER_CONFIG={ROOT / 'tests' / 'galaxy-importer.cfg'} "
           f"{python} -m galaxy_importer.main {art}")
    res = run("import:galaxy-importer", cmd)
    text = res.log.read_text(encoding="utf-8", errors="replace")
    # The importer's own verdict. Its ansible-lint pass runs without the
    # collection's dependencies (as on Galaxy), so it reports modules of
    # ansible.posix & co. as unresolved: those lines are warnings, counted.
    fatal = [ln for ln in text.splitlines() if ln.startswith("ERROR")]
    if fatal or "Importer processing completed successfully" not in text:
        res.ok = False
        res.note = (fatal[0] if fatal else "importer did not complete")[:160]
    else:
        warnings = sum(1 for ln in text.splitlines() if ln.startswith("WARNING"))
        res.note = f"{warnings} lint warning(s)"
    return res


def stage_syntax() -> Result:
    script = ROOT / "scripts" / "check-playbooks.sh"
    return run("syntax:playbooks", ["bash", str(script)])


def scenarios() -> list[str]:
    return sorted(p.parent.name for p in (ROOT / "molecule").glob("*/molecule.yml"))


def stage_molecule(name: str) -> Result:
    res = run(f"molecule:{name}", ["molecule", "test", "-s", name], timeout=3000)
    if not res.ok:
        # leave nothing behind that could disturb the next run
        run(f"molecule:{name}:cleanup", ["molecule", "destroy", "-s", name], timeout=300)
    return res


# -- main -------------------------------------------------------------------------------


def load_durations() -> dict:
    try:
        return json.loads(DURATIONS.read_text())
    except (OSError, ValueError):
        return {}


def save_durations(results: list[Result]) -> None:
    data = load_durations()
    for r in results:
        if r.ok:
            data[r.name] = round(r.seconds, 1)
    DURATIONS.parent.mkdir(parents=True, exist_ok=True)
    DURATIONS.write_text(json.dumps(data, indent=1, sort_keys=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", default=[], help="run only this molecule scenario")
    parser.add_argument("--no-molecule", action="store_true", help="skip molecule scenarios")
    parser.add_argument("--no-static", action="store_true", help="skip lint, pytest, build and sanity")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("WEBSTACK_TEST_JOBS", "2")))
    args = parser.parse_args()

    started = time.monotonic()
    results: list[Result] = []

    def report(r: Result) -> None:
        status = "PASS" if r.ok else "FAIL"
        print(f"[{status}] {r.name} ({r.seconds:.0f} s){' - ' + r.note if r.note else ''}", flush=True)
        if not r.ok and r.log is not None:
            print(f"----- last lines of {r.log.relative_to(ROOT)} -----")
            print(tail(r.log))
            print("-----", flush=True)
        results.append(r)

    wanted = args.only or ([] if args.no_molecule else scenarios())
    unknown = sorted(set(args.only) - set(scenarios()))
    if unknown:
        print(f"unknown scenario(s): {', '.join(unknown)}; known: {', '.join(scenarios())}")
        return 2

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        # Molecule scenarios start first (longest first, from the last run's
        # timings) and run beside the static stages, which are mostly CPU-light.
        durations = {**EXPECTED_SECONDS, **load_durations()}
        ordered = sorted(wanted, key=lambda n: -durations.get(f"molecule:{n}", 300))
        futures = [pool.submit(stage_molecule, n) for n in ordered]
        if not args.only and not args.no_static:
            for stage in (stage_yamllint, stage_ansible_lint, stage_ruff, stage_syntax,
                          stage_pytest, stage_bench_smoke, stage_build, stage_galaxy_importer, stage_sanity):
                report(stage())
        for f in futures:
            report(f.result())

    save_durations(results)
    total = time.monotonic() - started
    print("\nStage times:")
    for r in results:
        print(f"  {r.name:<32} {'ok  ' if r.ok else 'FAIL'} {r.seconds:7.1f} s")
    print(f"  {'total (wall clock)':<32}      {total:7.1f} s")

    passed = failed = 0
    for r in results:
        if r.passed or r.failed:
            passed += r.passed
            failed += r.failed
        elif r.ok:
            passed += 1
        else:
            failed += 1
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
