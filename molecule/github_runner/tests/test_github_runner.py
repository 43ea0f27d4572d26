"""github_runner against stand-ins (GitHub cannot be reached from here).

STAND-INS, said once for every test below: the GitHub REST API is
tests/fixtures/github_runner/fake_github.py, a stateful fake running in the
container as fake-github.service on 127.0.0.1:8780 (state in
/var/lib/fake-github/state.json, every call but the listener's polls logged
in calls.jsonl); the runner release is a locally built archive whose
config.sh/run.sh keep the real runner's command line, files (.runner,
.credentials*) and exit codes but are not the .NET runner. What is real: the
download and its SHA-256 check, the account, the permissions, the systemd
units and the processes they run, every REST call the role makes (URL,
method, auth), registration, removal and idempotence. A real archive and a
real GitHub are needed to test the .NET runner itself.
"""

import json
import re
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_shared"))

from webstack_testlib import playbook, recap

SCENARIO = Path(__file__).resolve().parents[1]
HOME = "/opt/github-runner"
USER = "github-runner"
API = "/api/v3/repos/baobab/demo/actions/runners"


def state(host):
    return json.loads(host.file("/var/lib/fake-github/state.json").content_string)


def calls(host):
    return [json.loads(line) for line in host.file("/var/lib/fake-github/calls.jsonl").content_string.splitlines()]


def runners(host):
    return {r["name"]: r for r in state(host)["runners"]}


def fake_post(host, path, body):
    script = (
        "import json, urllib.request\n"
        f"req = urllib.request.Request('http://127.0.0.1:8780{path}', data=json.dumps({body!r}).encode(),"
        " method='POST', headers={'Content-Type': 'application/json'})\n"
        "print(urllib.request.urlopen(req, timeout=10).read().decode())\n"
    )
    return json.loads(host.check_output(f"python3 - <<'EOF'\n{script}EOF"))


def wait_for(check, timeout=90, step=2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out")


def main_pid_user(host, unit):
    pid = host.check_output(f"systemctl show -p MainPID --value {unit}")
    assert pid not in ("", "0"), f"{unit} has no main process"
    uid = next(
        line.split()[1]
        for line in host.file(f"/proc/{pid}/status").content_string.splitlines()
        if line.startswith("Uid:")
    )
    return host.check_output(f"getent passwd {uid} | cut -d: -f1")


def test_the_fake_github_is_up(host):
    assert host.service("fake-github.service").is_running
    assert host.socket("tcp://127.0.0.1:8780").is_listening


def test_runner_account_is_dedicated(host):
    user = host.user(USER)
    assert user.exists
    assert user.uid != 0
    assert user.shell == "/usr/sbin/nologin"
    assert set(user.groups) == {USER}  # no sudo, no docker, no deploy group
    home = host.file(HOME)
    assert home.user == USER and home.mode == 0o750


def test_release_was_downloaded_and_unpacked_per_runner(host):
    downloads = [c for c in calls(host) if c["path"].startswith("/download/")]
    assert downloads and downloads[0]["path"].endswith("actions-runner-linux-x64-2.321.0.tar.gz")
    assert len(downloads) == 1  # once, reused by every runner and by the second converge
    for name in ("ci-1", "ci-2", "eph-1"):
        d = host.file(f"{HOME}/{name}")
        assert d.is_directory and d.user == USER and d.mode == 0o750
        assert host.file(f"{HOME}/{name}/config.sh").mode & 0o111
        assert host.file(f"{HOME}/{name}/run.sh").user == USER


def test_rest_api_calls_made_by_the_role(host):
    log = calls(host)
    api = [c for c in log if c["path"].startswith("/api/")]
    assert api, "the role made no API call"
    assert {c["auth"] for c in api} == {"api-token"}  # every call carried the bearer token
    tokens = [c for c in api if c["method"] == "POST" and c["path"] == f"{API}/registration-token"]
    assert len(tokens) == 3  # ci-1, ci-2, eph-1 once each; the second converge asked for none
    assert all(c["status"] == 201 for c in tokens)
    registrations = [c for c in log if c["path"] == "/_runner/register"]
    assert len(registrations) == 3 and all(c["status"] == 200 for c in registrations)
    lists = [c for c in api if c["method"] == "GET" and c["path"].startswith(f"{API}?per_page=100")]
    assert len(lists) >= 8  # every runner looked up on each of the two converges
    # gone-1 was known to the API only: deleted by id, no config.sh involved
    deletes = [c for c in api if c["method"] == "DELETE"]
    assert [(c["path"], c["status"]) for c in deletes] == [(f"{API}/7", 204)]


def test_registered_runners_and_labels(host):
    known = runners(host)
    assert set(known) == {"ci-1", "ci-2", "eph-1"}
    assert known["ci-1"]["labels"] == ["self-hosted", "Linux", "X64", "deploy"]
    assert known["ci-2"]["labels"] == ["self-hosted", "Linux", "X64", "build", "php"]
    assert known["eph-1"]["ephemeral"] is True
    assert known["ci-1"]["ephemeral"] is False


@pytest.mark.parametrize("name", ["ci-1", "ci-2", "eph-1"])
def test_local_runner_state_files(host, name):
    runner = host.file(f"{HOME}/{name}/.runner")
    assert runner.exists and runner.user == USER
    data = json.loads(runner.content_string)
    assert data["agentName"] == name
    assert data["gitHubUrl"] == "http://127.0.0.1:8780/baobab/demo"
    assert data["workFolder"] == "_work"
    assert data["agentId"] == runners(host)[name]["id"]
    for secret in (".credentials", ".credentials_rsaparams"):
        f = host.file(f"{HOME}/{name}/{secret}")
        assert f.user == USER and f.mode == 0o600


@pytest.mark.parametrize("name", ["ci-1", "ci-2", "eph-1"])
def test_one_unit_per_runner_running_as_the_runner_user(host, name):
    unit = f"github-runner-{name}.service"
    svc = host.service(unit)
    assert svc.is_running and svc.is_enabled
    assert main_pid_user(host, unit) == USER
    text = host.file(f"/etc/systemd/system/{unit}").content_string
    assert f"User={USER}" in text
    assert f"ExecStart={HOME}/{name}/run.sh" in text
    # the stand-in listener reports in: the API lists the runner online
    wait_for(
        lambda: any(
            r["name"] == name and r["status"] == "online"
            for r in json.loads(
                host.check_output(
                    f'python3 -c "import urllib.request,sys; r=urllib.request.Request('
                    f"'http://127.0.0.1:8780{API}', headers={{'Authorization': 'Bearer test-api-token'}});"
                    f' sys.stdout.write(urllib.request.urlopen(r).read().decode())"'
                )
            )["runners"]
        ),
        timeout=30,
    )


def test_api_token_is_kept_from_the_jobs(host):
    token = host.file("/etc/github-runner/token")
    assert token.user == "root" and token.mode == 0o600
    assert host.file("/etc/github-runner").mode == 0o700
    helper = host.file("/usr/local/sbin/github-runner-register.py")
    assert helper.user == "root" and helper.mode == 0o600
    assert host.run(f"runuser -u {USER} -- cat /etc/github-runner/token").rc != 0
    # the token is nowhere in the runner tree
    assert host.run(f"grep -rl test-api-token {HOME}").rc == 1


def test_a_job_runs_as_the_runner_user(host):
    job = fake_post(host, "/_fake/queue", {"name": "ci-1"})["job"]
    done = wait_for(lambda: [d for d in state(host).get("done", []) if d["job"] == job], timeout=30)
    assert done[0]["user"] == USER
    assert host.file(f"{HOME}/ci-1/_work/{job}/job.txt").content_string == f"{job} ran as {USER}\n"
    assert host.service("github-runner-ci-1.service").is_running  # not ephemeral: it stays


def test_ephemeral_runner_registers_again_after_its_job(host):
    before = runners(host)["eph-1"]["id"]
    job = fake_post(host, "/_fake/queue", {"name": "eph-1"})["job"]
    wait_for(lambda: [d for d in state(host).get("done", []) if d["job"] == job], timeout=30)
    # the runner deregistered after the job; the unit restarted and its
    # ExecStartPre helper registered it again with a new token
    after = wait_for(
        lambda: runners(host).get("eph-1", {}).get("id") not in (None, before) and runners(host)["eph-1"]["id"],
        timeout=60,
    )
    assert after != before
    assert json.loads(host.file(f"{HOME}/eph-1/.runner").content_string)["agentId"] == after
    wait_for(lambda: host.service("github-runner-eph-1.service").is_running, timeout=30)
    tokens = [c for c in calls(host) if c["path"] == f"{API}/registration-token"]
    assert len(tokens) == 4


def test_no_token_on_a_command_line(host):
    """config.sh gets its registration token through its environment: the
    stand-in records every command line it was started with (what `ps`
    shows to any user), from the role and from the ephemeral runner's
    re-registration helper alike."""
    log = host.file("/tmp/fake-runner-argv.log")
    assert log.exists
    command_lines = [json.loads(line) for line in log.content_string.splitlines()]
    # ci-1, ci-2 and eph-1 by the role (then eph-1 again by the helper)
    assert sum("--unattended" in args for args in command_lines) >= 3, command_lines
    for args in command_lines:
        assert "--token" not in args, args
        assert not any(re.search(r"(REM|REG)[0-9a-f]{24}", a) for a in args), args


def test_wrong_checksum_is_refused(host):
    n_calls = len(calls(host))
    rc, out = playbook(SCENARIO / "bad_checksum.yml")
    assert rc != 0, out
    assert "did not match" in out or "checksum" in out.lower(), out
    assert not host.file(f"{HOME}/.archives/actions-runner-linux-x64-9.9.9.tar.gz").exists
    assert not host.file(f"{HOME}/bad-1").exists
    assert not host.file("/etc/systemd/system/github-runner-bad-1.service").exists
    assert "bad-1" not in runners(host)
    new = calls(host)[n_calls:]
    assert [c["path"] for c in new] == ["/download/actions-runner-linux-x64-9.9.9.tar.gz"]


def test_deploy_user_is_refused_as_runner_account(host):
    n_calls = len(calls(host))
    rc, out = playbook(SCENARIO / "bad_user.yml")
    assert rc != 0, out
    assert "must be a dedicated account" in out
    assert not host.file(f"{HOME}/bad-2").exists
    assert len(calls(host)) == n_calls  # refused before any download or API call


def test_removal_deregisters_through_the_api_and_is_idempotent(host):
    n_calls = len(calls(host))
    rc, out = playbook(SCENARIO / "remove.yml")
    assert rc == 0, out
    new = calls(host)[n_calls:]
    paths = [(c["method"], c["path"], c["status"]) for c in new]
    assert ("POST", f"{API}/remove-token", 201) in paths
    assert ("POST", "/_runner/remove", 200) in paths  # config.sh remove --token
    assert "test-api-token" not in out and not re.search(r"(REM|REG)[0-9a-f]{24}", out)  # no_log held
    assert not any(c["path"] == f"{API}/registration-token" for c in new)
    assert "ci-2" not in runners(host)
    assert {"ci-1", "eph-1"} <= set(runners(host))
    assert not host.file(f"{HOME}/ci-2").exists
    assert not host.file("/etc/systemd/system/github-runner-ci-2.service").exists
    assert host.run("systemctl is-active github-runner-ci-2.service").stdout.strip() != "active"
    assert host.service("github-runner-ci-1.service").is_running
    # a second run changes nothing
    rc, out = playbook(SCENARIO / "remove.yml")
    assert rc == 0, out
    counts = next(iter(recap(out).values()))
    assert counts["changed"] == "0", out
