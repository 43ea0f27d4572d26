"""The benchmark's report: checks a result's shape, then writes it as JSON,
a Markdown page and a PNG chart (bench/results/<stamp>.* and latest.*).

    python3 bench/report.py bench/results/latest.json   re-render the page and chart
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

# Figures from the hosting guides the collection was designed from; other
# applications on other machines, quoted for scale only.
REFERENCE = {
    "koprogo": {
        "what": "KoproGo (Rust/Actix in Docker behind Traefik, PostgreSQL) on 1 vCPU / 2 GB",
        "rps_sustained": 287,
        "p99_ms": 752,
    },
    "ompay": {
        "what": "OMPAY (Laravel payment API) target",
        "p95_ms_max": 500,
        "requests_per_minute_min": 1000,
        "rps_min": round(1000 / 60, 1),
    },
}

TOP_KEYS = (
    "schema",
    "mode",
    "started",
    "finished",
    "duration_s",
    "machine",
    "versions",
    "converge",
    "levers",
    "serving",
    "reference",
)


def _positive(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def validate(result):
    """Problems with a result's shape (empty list when it is well formed)."""
    problems = [f"missing key {k}" for k in TOP_KEYS if k not in result]
    if problems:
        return problems
    machine = result["machine"]
    for key in ("nproc", "mem_total_kb"):
        if not _positive(machine.get(key)):
            problems.append(f"machine.{key} is not a positive number")
    if len(machine.get("loadavg_start", [])) != 3:
        problems.append("machine.loadavg_start needs three numbers")
    conv = result["converge"]
    for key in ("cold", "idempotent"):
        run = conv.get(key, {})
        if not _positive(run.get("seconds")):
            problems.append(f"converge.{key}.seconds is not a positive number")
        if run.get("rc") != 0:
            problems.append(f"converge.{key} failed (rc={run.get('rc')})")
        if not _positive(run.get("tasks_count")):
            problems.append(f"converge.{key}.tasks_count is not a positive number")
    if conv.get("idempotent", {}).get("recap", {}).get("changed") != 0:
        problems.append("the idempotent re-run changed something")
    floor = conv.get("floor", {})
    if not _positive(floor.get("seconds")) or not _positive(floor.get("packages")):
        problems.append("converge.floor needs positive seconds and packages")
    if not _positive(conv.get("ratio_cold_over_floor")):
        problems.append("converge.ratio_cold_over_floor is not a positive number")
    if not conv.get("cold", {}).get("roles"):
        problems.append("converge.cold.roles is empty (profile_roles did not report)")
    if not conv.get("cold", {}).get("top_tasks"):
        problems.append("converge.cold.top_tasks is empty (profile_tasks did not report)")
    levers = result["levers"]
    if not _positive(levers.get("baseline", {}).get("seconds")):
        problems.append("levers.baseline.seconds is not a positive number")
    if not levers.get("runs"):
        problems.append("levers.runs is empty")
    for lever in levers.get("runs", []):
        if "seconds" in lever and not _positive(lever["seconds"]):
            problems.append(f"lever {lever.get('name')} has no positive time")
    for dep in result.get("deployments") or []:
        where = f"deployment {dep.get('strategy')}/{dep.get('step')}"
        if not _positive(dep.get("seconds")):
            problems.append(f"{where} has no positive time")
        if dep.get("rc") != 0:
            problems.append(f"{where} failed (rc={dep.get('rc')})")
        if dep.get("step") == "redeploy" and dep.get("changed") != 0:
            problems.append(f"{where} changed something")
    serving = result["serving"]
    if not serving.get("runs"):
        problems.append("serving.runs is empty")
    for run in serving.get("runs", []):
        for key in ("rps", "p50_ms", "p99_ms", "requests"):
            if not _positive(run.get(key)):
                where = f"{run.get('stack')}/{run.get('route')}/c{run.get('concurrency')}"
                problems.append(f"serving run {where}: {key} not positive")
    if result["mode"] == "full":
        if not serving.get("ratios"):
            problems.append("serving.ratios is empty in a full run")
        for ratio in serving.get("ratios", []):
            if not _positive(ratio.get("rps_ratio")):
                problems.append(f"ratio {ratio.get('route')}/c{ratio.get('concurrency')} is not positive")
    return problems


# --------------------------------------------------------------------------
# Markdown


def _fmt(value, digits=1):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def markdown(result, png_name):
    m, v, conv = result["machine"], result["versions"], result["converge"]
    cold, idem, floor = conv["cold"], conv["idempotent"], conv["floor"]
    lines = [
        f"# Benchmark of the monolith ({result['mode']} run, {result['started']})",
        "",
        f"Machine: {m['nproc']} cores ({m.get('cpu_model', '')}), {m['mem_total_gb']} GB RAM "
        f"(MemTotal {m['mem_total_kb']} kB), kernel {m['kernel']}, Docker {m['docker']}; "
        f"ansible-core {v['ansible_core']}, image {v['image']}.",
        f"Load average at start {m['loadavg_start']}, at the end {m.get('loadavg_end')} "
        "(the machine is shared: absolute figures move with it, the ratios of one run much less).",
        f"Whole run: {_fmt(result['duration_s'] / 60)} min.",
        "",
    ]
    if result.get("problems"):
        lines += ["**This run does not validate:** " + "; ".join(result["problems"]) + ".", ""]
    lines += [
        f"![chart]({png_name})",
        "",
        "## Converge cost",
        "",
        f"Playbook `{conv['playbook']}` on a fresh Debian 12 systemd container, against the floor: "
        "one `apt-get install` of the same packages in an identical fresh container.",
        "",
        "| run | seconds | tasks | changed |",
        "| --- | ---: | ---: | ---: |",
        f"| cold converge | {_fmt(cold['seconds'])} | {cold['tasks_count']} | {cold['recap'].get('changed')} |",
        f"| floor: apt-get install of the same {floor['packages']} packages | {_fmt(floor['seconds'])} | - | - |",
        f"| idempotent re-run | {_fmt(idem['seconds'])} | {idem['tasks_count']} | {idem['recap'].get('changed')} |",
        "",
        f"Cold converge / floor = **{_fmt(conv['ratio_cold_over_floor'], 2)}x**. "
        f"Package set: {conv['floor']['package_source']}; {len(conv['floor']['manual_packages'])} of them "
        "explicitly requested by the roles: " + ", ".join(f"`{p}`" for p in conv["floor"]["manual_packages"]) + ".",
        "",
        (
            f"The first re-run still changed {conv['second_run']['changed']} tasks "
            f"({conv['second_run']['seconds']:.1f} s): "
            + ", ".join(f"`{t}`" for t in conv["second_run"]["changed_tasks"])
            + "; the idempotent figure is the run after it (changed=0).\n"
            if conv.get("second_run")
            else "The first re-run changed nothing.\n"
        ),
        f"Apt cache: {conv['apt_cache']['mode']}; {conv['apt_cache']['debs_in_cache_before']} packages in the cache "
        f"before, {conv['apt_cache']['debs_added_during_converge']} downloaded during the converge, "
        f"{conv['apt_cache']['debs_added_during_floor']} during the floor install.",
        "",
        "### Time per role (cold converge, profile_roles)",
        "",
        "| role or action | seconds |",
        "| --- | ---: |",
    ]
    lines += [f"| {r['name']} | {_fmt(r['seconds'], 2)} |" for r in conv["cold"]["roles"][:20]]
    lines += ["", "### Slowest tasks (cold converge, profile_tasks)", "", "| task | seconds |", "| --- | ---: |"]
    lines += [f"| {t['name'].replace('|', '/')} | {_fmt(t['seconds'], 2)} |" for t in conv["cold"]["top_tasks"]]
    lines += ["", "### Slowest tasks (idempotent re-run)", "", "| task | seconds |", "| --- | ---: |"]
    lines += [f"| {t['name'].replace('|', '/')} | {_fmt(t['seconds'], 2)} |" for t in idem["top_tasks"][:10]]

    lev = result["levers"]
    base = lev["baseline"]
    lines += [
        "",
        "## Ansible-side levers (idempotent re-runs)",
        "",
        f"Baseline: {base['description']}: **{_fmt(base['seconds'])} s**, of which "
        f"{_fmt(base['gather_facts_seconds'])} s in {base['gather_facts_count']} fact gatherings. "
        "The runs follow each other, so a change of the machine's load between two runs shows up as a "
        "difference too: the fact gathering column isolates what the gathering levers change.",
        "",
        "| lever | seconds | speed-up vs baseline | fact gathering s | rc | changed | note |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in lev["runs"]:
        if "setup_all_seconds" in r:
            lines.append(
                f"| {r['name']}: {r['description']} | est. saving {_fmt(r['estimated_saving_seconds'])} "
                "| - | - | - | - | "
                f"setup all {_fmt(r['setup_all_seconds'], 2)} s vs min {_fmt(r['setup_min_seconds'], 2)} s "
                f"x {r['gatherings_per_run']} gatherings; {r['note']} |"
            )
        elif r.get("skipped"):
            what = f"{r['name']}: {r.get('description', '')}"
            lines.append(f"| {what} | - | - | - | - | - | not run: {r.get('error', '')} |")
        else:
            note = r.get("note", "")
            if r.get("error"):
                note = (note + "; " if note else "") + "error: " + r["error"].replace("|", "/")
            lines.append(
                f"| {r['name']}: {r['description']} | {_fmt(r['seconds'])} | {_fmt(r['speedup_vs_baseline'], 2)}x | "
                f"{_fmt(r.get('gather_facts_seconds'))} | {r['rc']} | {_fmt(r['changed'])} | {note} |"
            )

    deps = result.get("deployments") or []
    if deps:
        lines += [
            "",
            "## Deployments (playbooks/deploy.yml and rollback.yml on the converged monolith)",
            "",
            "One run of each, one after the other, on the same container as the converge.",
            "",
            "| strategy | step | seconds | tasks | changed | rc |",
            "| --- | --- | ---: | ---: | ---: | ---: |",
        ]
        for d in deps:
            rc = str(d["rc"]) + (" (" + d["error"].replace("|", "/") + ")" if d.get("error") else "")
            lines.append(
                f"| {d['strategy']} | {d['step']}: {d['description']} | {_fmt(d['seconds'])} | "
                f"{d['tasks_count']} | {_fmt(d['changed'])} | {rc} |"
            )

    srv = result["serving"]
    lines += [
        "",
        "## Serving cost",
        "",
        f"Load generator: {srv['client']}; {srv['protocol']}; {srv['duration_s']} s per run; "
        f"routes: " + ", ".join(f"`{k}` = `{p}`" for k, p in srv["routes"].items()) + ".",
        "",
        "| stack | route | connections | req/s | p50 ms | p95 ms | p99 ms | errors |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in srv["runs"]:
        lines.append(
            f"| {r['stack']} | {r['route']} | {r['concurrency']} | {_fmt(r['rps'])} | {_fmt(r['p50_ms'], 2)} | "
            f"{_fmt(r['p95_ms'], 2)} | {_fmt(r['p99_ms'], 2)} | {r['errors']} |"
        )
    if srv["ratios"]:
        lines += ["", "Tuned / stock, same run:", ""]
        lines += ["| route | connections | req/s ratio | p99 ratio |", "| --- | ---: | ---: | ---: |"]
        lines += [
            f"| {r['route']} | {r['concurrency']} | **{_fmt(r['rps_ratio'], 2)}x** | {_fmt(r['p99_ratio'], 2)}x |"
            for r in srv["ratios"]
        ]
    for stack, cfg in srv.get("config", {}).items():
        lines += ["", f"Configuration of the {stack} stack (PHP {cfg['php']}):", ""]
        lines += [f"- {item}" for item in cfg["opcache"] + cfg["fpm_pools"] + cfg["nginx"]]

    box = result.get("constrained")
    if box:
        oom = "unknown (no OOM counter found for its memory cgroup)" if box["oom_kills"] is None else box["oom_kills"]
        lines += [
            "",
            f"### The tuned stack in a small box ({box['limits']['cpus']} CPU, {box['limits']['memory']} memory)",
            "",
            f"Container limits set with `docker update`; 32 connections on each route for {box['seconds']} s; "
            f"OOM kills during the runs: **{oom}**.",
            "",
            "| route | connections | req/s | p95 ms | p99 ms | errors |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        lines += [
            f"| {r['route']} | {r['concurrency']} | {_fmt(r['rps'])} | {_fmt(r['p95_ms'], 2)} | "
            f"{_fmt(r['p99_ms'], 2)} | {r['errors']} |"
            for r in box["runs"]
        ]

    ref = result["reference"]
    lines += [
        "",
        "## For scale (other applications, other machines)",
        "",
        f"- {ref['koprogo']['what']}: {ref['koprogo']['rps_sustained']} req/s sustained, "
        f"P99 {ref['koprogo']['p99_ms']} ms.",
        f"- {ref['ompay']['what']}: P95 < {ref['ompay']['p95_ms_max']} ms and > "
        f"{ref['ompay']['requests_per_minute_min']} requests/min ({ref['ompay']['rps_min']} req/s).",
        "",
        "These are different applications (a compiled Rust API, a payment API with its own queries) on "
        "other hardware; the sample application here answers a health check and one PostGIS query. "
        "Compare orders of magnitude, not digits.",
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------
# chart


def chart(result, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    conv, lev, srv = result["converge"], result["levers"], result["serving"]
    fig, axes = plt.subplots(1, 3, figsize=(16, 5))

    ax = axes[0]
    names = ["floor (apt-get)", "cold converge", "idempotent"]
    values = [conv["floor"]["seconds"], conv["cold"]["seconds"], conv["idempotent"]["seconds"]]
    ax.barh(names, values, color=["#8c8c8c", "#d62728", "#1f77b4"])
    ax.set_xlabel("seconds")
    ax.set_title("Converge cost")
    ax.invert_yaxis()

    ax = axes[1]
    names, values = ["baseline"], [lev["baseline"]["seconds"]]
    for r in lev["runs"]:
        if _positive(r.get("seconds")):
            names.append(r["name"] + ("" if r.get("rc") == 0 else " (failed)"))
            values.append(r["seconds"])
    ax.barh(names, values, color="#2ca02c")
    ax.axvline(lev["baseline"]["seconds"], color="black", lw=0.8, ls="--")
    ax.set_xlabel("seconds (idempotent re-run)")
    ax.set_title("Ansible levers")
    ax.invert_yaxis()

    ax = axes[2]
    stacks = list(dict.fromkeys(r["stack"] for r in srv["runs"]))
    keys = list(dict.fromkeys((r["route"], r["concurrency"]) for r in srv["runs"]))
    width = 0.8 / max(len(stacks), 1)
    for i, stack in enumerate(stacks):
        xs, ys = [], []
        for j, key in enumerate(keys):
            run = next((r for r in srv["runs"] if r["stack"] == stack and (r["route"], r["concurrency"]) == key), None)
            if run:
                xs.append(j + i * width)
                ys.append(run["rps"])
        ax.bar(xs, ys, width, label=stack)
    ax.set_xticks([j + width * (len(stacks) - 1) / 2 for j in range(len(keys))])
    ax.set_xticklabels([f"{r.replace('_', chr(10))}\nc={c}" for r, c in keys], fontsize=8)
    ax.set_ylabel("requests/s")
    ax.set_title("Serving (wrk)")
    ax.legend()

    m = result["machine"]
    fig.suptitle(
        f"baobab.webstack monolith - {m['nproc']} cores, {m['mem_total_gb']} GB, "
        f"load {m['loadavg_start'][0]} at start ({result['mode']})"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def write(result, out_dir, stamp):
    """Write <stamp>.json/.md/.png and copies named latest.*; return the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    base = out_dir / stamp
    json_path, md_path, png_path = base.with_suffix(".json"), base.with_suffix(".md"), base.with_suffix(".png")
    result.setdefault("files", {})
    result["files"] = {"json": json_path.name, "md": md_path.name, "png": png_path.name}
    json_path.write_text(json.dumps(result, indent=1, sort_keys=False) + "\n")
    chart(result, png_path)
    md_path.write_text(markdown(result, png_path.name))
    for src in (json_path, png_path):
        shutil.copyfile(src, out_dir / f"latest{src.suffix}")
    (out_dir / "latest.md").write_text(markdown(result, "latest.png"))
    return [json_path, md_path, png_path]


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__)
    src = Path(argv[1])
    result = json.loads(src.read_text())
    problems = validate(result)
    if problems:
        sys.exit("; ".join(problems))
    chart(result, src.with_suffix(".png"))
    src.with_suffix(".md").write_text(markdown(result, src.with_suffix(".png").name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
