"""Bad github_runner variables are refused before the role downloads,
calls the (stand-in) GitHub API or changes anything: wrong types, closed
sets and misspelt runner keys by the argument specs, wrong values (root as
the runner account, a repository that is not owner/name, a plain-http API
off the host, labels with spaces, work directories outside the runner,
duplicate runner names) by the role's input check, every problem named in
one run. The units and runner files stay as they were, the runners keep
running and the fake GitHub still lists them online (see
test_github_runner.py for what is a stand-in)."""

import json
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_shared"))

from webstack_testlib import refused_run

SCENARIO = Path(__file__).resolve().parents[1]
TARGET = "github_runner-deb12"
HOME = "/opt/github-runner"
API = "/api/v3/repos/baobab/demo/actions/runners"

CASES = {
    # types, closed sets and misspelt keys are the argument specs' job
    "argument_specs": (
        {
            "github_runner_ephemeral": "sometimes",
            "github_runner_runners": [
                {"name": "ci-1", "stat": "absent"},
                {"labels": ["x"]},
                {"name": "ci-3", "state": "gone"},
            ],
        },
        [
            "argument 'github_runner_ephemeral' is of type str and we were unable to convert to bool",
            "missing required arguments: name found in github_runner_runners",
            "value of state must be one of: present, absent, got: gone found in github_runner_runners",
            "github_runner_runners.stat. Supported parameters include",
        ],
    ),
    # right types, wrong or dangerous values: all named in one run
    "values": (
        {
            "github_runner_user": "root",
            "github_runner_group": "Bad Group",
            "github_runner_repo": "baobab",
            "github_runner_api_url": "http://github.internal.example/api/v3",
            "github_runner_labels": ["deploy", "has space", "a,b"],
            "github_runner_work_dir": "../escape",
            "github_runner_runners": [{"name": "ci-1"}, {"name": "ci-1", "work_dir": "/tmp/x"}, {"name": "bad name"}],
        },
        [
            "github_runner_user: 'root' must be a dedicated account",
            "github_runner_group: 'Bad Group' is not a valid user name",
            "github_runner_repo: 'baobab' is not owner/name",
            "github_runner_api_url: 'http://github.internal.example/api/v3' is not https",
            "github_runner_labels[1]: 'has space' must be a non-empty label without commas or spaces",
            "github_runner_labels[2]: 'a,b' must be a non-empty label without commas or spaces",
            "github_runner_work_dir: '../escape' must be a relative path without '..'",
            "github_runner_runners[1].name: 'ci-1' is used by more than one runner",
            "github_runner_runners[1].work_dir: '/tmp/x' must be a relative path without '..'",
            "github_runner_runners[2].name: 'bad name' is not a runner name",
        ],
    ),
}

# What the role writes: units, runner state, the token file and helper,
# the archives, plus when each unit last started.
STATE = (
    f"sha256sum /etc/systemd/system/github-runner-*.service {HOME}/*/.runner {HOME}/.archives/*"
    " /etc/github-runner/* /usr/local/sbin/github-runner-register.py 2>/dev/null;"
    f" ls -A {HOME}; systemctl show -p ActiveEnterTimestamp github-runner-ci-1 github-runner-ci-2"
)


def _calls(host):
    return host.file("/var/lib/fake-github/calls.jsonl").content_string.splitlines()


def _listed_online(host):
    script = (
        "import urllib.request, sys\n"
        f"r = urllib.request.Request('http://127.0.0.1:8780{API}',"
        " headers={'Authorization': 'Bearer test-api-token'})\n"
        "sys.stdout.write(urllib.request.urlopen(r, timeout=10).read().decode())\n"
    )
    listed = json.loads(host.check_output(f"python3 - <<'EOF'\n{script}EOF"))["runners"]
    return {r["name"] for r in listed if r["status"] == "online"}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_refused_before_any_change(host, case):
    extra, needles = CASES[case]
    before = host.run(STATE).stdout
    n_calls = len(_calls(host))
    refused_run(SCENARIO / "bad_values.yml", extra, needles, target=TARGET, secrets=["test-api-token"])
    assert host.run(STATE).stdout == before
    assert len(_calls(host)) == n_calls  # no download, no API call
    assert not host.file(f"{HOME}/bad name").exists and not host.file(f"{HOME}/ci-3").exists
    for name in ("ci-1", "ci-2"):
        assert host.service(f"github-runner-{name}.service").is_running
    deadline = time.monotonic() + 30
    while not {"ci-1", "ci-2"} <= _listed_online(host) and time.monotonic() < deadline:
        time.sleep(2)
    assert {"ci-1", "ci-2"} <= _listed_online(host)
