"""nginx_drain run as a real module (a JSON arguments file) on a temporary
configuration tree, with a stand-in nginx whose `-t` fails when the staged
upstreams hold the word `reject`: what it marks, what it refuses, and that
a refused change leaves the live file and the state file as they were.
The reload is off here; molecule/scalable drains and restores real nginx
load balancers under load; here a stand-in systemctl fails the reload."""

from __future__ import annotations

import os

import pytest
from conftest import module_result, run_module, start_module

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the module sets root ownership")

UPSTREAMS = """# Managed by baobab.webstack.nginx
upstream app {
    server 10.0.0.11:80 max_fails=3;
    server 10.0.0.12:80 max_fails=3;
    keepalive 16;
}
"""

FAKE_NGINX = """#!/bin/sh
# nginx -t -q -c <dir>/nginx.conf: fails when the staged upstreams say reject
conf=$4
if grep -q reject "$(dirname "$conf")/conf.d/baobab-upstreams.conf"; then
  echo "nginx: [emerg] invalid parameter in $(dirname "$conf")/conf.d/baobab-upstreams.conf:3" >&2
  exit 1
fi
exit 0
"""


@pytest.fixture
def conf(tmp_path):
    live = tmp_path / "nginx"
    (live / "conf.d").mkdir(parents=True)
    (live / "nginx.conf").write_text("events {}\nhttp { include conf.d/*.conf; }\n")
    (live / "conf.d" / "baobab-upstreams.conf").write_text(UPSTREAMS)
    nginx = tmp_path / "fake-nginx"
    nginx.write_text(FAKE_NGINX)
    nginx.chmod(0o755)
    return tmp_path


def run(conf, servers, state, check_mode=False, path_prefix=None, **over):
    args = args_for(conf, servers, state, **over)
    return run_module("nginx_drain", args, conf, check_mode=check_mode, path_prefix=path_prefix)


def args_for(conf, servers, state, **over):
    args = {
        "servers": servers,
        "state": state,
        "config_dir": str(conf / "nginx"),
        "state_file": str(conf / "nginx" / "baobab-drained-servers"),
        "staging_dir": str(conf / "staging"),
        "nginx": str(conf / "fake-nginx"),
        "reload": False,
    }
    args.update(over)
    if servers is None:
        del args["servers"]
    return args


def upstreams(conf):
    return (conf / "nginx" / "conf.d" / "baobab-upstreams.conf").read_text()


def state(conf):
    path = conf / "nginx" / "baobab-drained-servers"
    return path.read_text() if path.exists() else None


def test_drain_marks_the_server_down_and_records_it_and_restore_undoes_it(conf):
    out = run(conf, ["10.0.0.11:80"], "drained")
    assert out["changed"] and out["drained"] == ["10.0.0.11:80"], out
    assert "    server 10.0.0.11:80 max_fails=3 down;\n" in upstreams(conf)
    assert "    server 10.0.0.12:80 max_fails=3;\n" in upstreams(conf)
    assert state(conf) == "10.0.0.11:80\n"
    again = run(conf, ["10.0.0.11:80"], "drained")
    assert not again["changed"], again
    out = run(conf, ["10.0.0.11:80"], "active")
    assert out["changed"] and out["drained"] == [], out
    assert upstreams(conf) == UPSTREAMS
    assert state(conf) == ""


def test_a_server_no_upstream_names_is_refused_and_nothing_changes(conf):
    out = run(conf, ["10.0.0.11:80", "10.0.0.99:80"], "drained")
    assert out["failed"] and "10.0.0.99:80 is not a server of any upstream" in out["msg"], out
    assert upstreams(conf) == UPSTREAMS and state(conf) is None


def test_a_configuration_nginx_rejects_never_replaces_the_live_one(conf):
    (conf / "nginx" / "conf.d" / "baobab-upstreams.conf").write_text(UPSTREAMS.replace("keepalive 16", "reject 1"))
    live = upstreams(conf)
    out = run(conf, ["10.0.0.12:80"], "drained")
    assert out["failed"] and "nginx -t rejected the upstreams with 10.0.0.12:80 drained" in out["msg"], out
    # nginx's words point at the live path, not the staging copy
    assert str(conf / "nginx") + "/conf.d/baobab-upstreams.conf:3" in out["msg"], out
    assert str(conf / "staging") not in out["msg"]
    assert upstreams(conf) == live and state(conf) is None


def test_check_mode_reports_and_writes_nothing(conf):
    out = run(conf, ["10.0.0.11:80"], "drained", check_mode=True)
    assert out["changed"], out
    assert upstreams(conf) == UPSTREAMS and state(conf) is None
    assert not (conf / "staging").exists()


@pytest.mark.parametrize("servers", [[], ["10.0.0.11:80; evil"], ["$(reboot)"]])
def test_bad_server_names_are_refused(conf, servers):
    out = run(conf, servers, "drained")
    assert out["failed"] and "upstream server addresses" in out["msg"], out
    assert upstreams(conf) == UPSTREAMS


@pytest.mark.parametrize(
    "over, message",
    [
        # the staging copy is removed and made again: aimed at the live
        # configuration or above it, that would delete what nginx serves.
        # Only paths inside the test's own directory: should the guard ever
        # break, this test must not delete anything outside it.
        ({"staging_dir": "{conf}/nginx"}, "would overwrite the live configuration"),
        ({"staging_dir": "{conf}"}, "would overwrite the live configuration"),
        ({"upstreams_file": "../../etc/passwd"}, "must be a path inside config_dir"),
        ({"upstreams_file": "/etc/passwd"}, "must be a path inside config_dir"),
    ],
)
def test_dangerous_paths_are_refused_before_anything_is_removed(conf, over, message):
    over = {k: v.format(conf=conf) for k, v in over.items()}
    out = run(conf, ["10.0.0.11:80"], "drained", **over)
    assert out["failed"] and message in out["msg"], out
    assert upstreams(conf) == UPSTREAMS and (conf / "nginx" / "nginx.conf").exists()
    assert state(conf) is None


def fake_systemctl(conf, exit_code):
    """A stand-in systemctl in its own directory: records its arguments and
    exits with ``exit_code`` (nginx not running, say)."""
    bin_dir = conf / f"bin-{exit_code}"
    bin_dir.mkdir(exist_ok=True)
    tool = bin_dir / "systemctl"
    tool.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> {conf}/systemctl.calls\n'
        f'[ {exit_code} -eq 0 ] || echo "nginx.service is not active, cannot reload." >&2\n'
        f"exit {exit_code}\n"
    )
    tool.chmod(0o755)
    return str(bin_dir)


def test_a_failed_reload_puts_the_previous_files_back_and_a_retry_reloads(conf):
    # 10.0.0.11 is drained already; draining 10.0.0.12 fails at the reload
    assert run(conf, ["10.0.0.11:80"], "drained")["changed"]
    live = upstreams(conf)
    out = run(conf, ["10.0.0.12:80"], "drained", path_prefix=fake_systemctl(conf, 1), reload=True)
    assert out["failed"] and "systemctl reload nginx failed (exit 1)" in out["msg"], out
    assert "10.0.0.12:80 stay as they were" in out["msg"] and "cannot reload" in out["msg"], out
    # the files say what nginx still serves: otherwise the retry below would
    # report no change and never reload, with 10.0.0.12 still in rotation
    assert upstreams(conf) == live and state(conf) == "10.0.0.11:80\n"
    out = run(conf, ["10.0.0.12:80"], "drained", path_prefix=fake_systemctl(conf, 0), reload=True)
    assert out["changed"] and out["drained"] == ["10.0.0.11:80", "10.0.0.12:80"], out
    assert "    server 10.0.0.12:80 max_fails=3 down;\n" in upstreams(conf)
    assert (conf / "systemctl.calls").read_text() == "reload nginx\nreload nginx\n"


def test_a_failed_first_drain_leaves_no_state_file(conf):
    out = run(conf, ["10.0.0.11:80"], "drained", path_prefix=fake_systemctl(conf, 1), reload=True)
    assert out["failed"], out
    assert upstreams(conf) == UPSTREAMS and state(conf) is None


def test_two_drains_at_once_on_one_load_balancer_both_keep_their_change(conf):
    # nginx -t takes a second: without the lock both calls read the same
    # empty list of drained servers and the second write loses the first
    slow = conf / "slow-nginx"
    slow.write_text("#!/bin/sh\nsleep 1\nexit 0\n")
    slow.chmod(0o755)
    calls = [
        start_module("nginx_drain", args_for(conf, [server], "drained", nginx=str(slow)), conf)
        for server in ("10.0.0.11:80", "10.0.0.12:80")
    ]
    results = [module_result(call) for call in calls]
    assert all(r.get("changed") and not r.get("failed") for r in results), results
    assert state(conf) == "10.0.0.11:80\n10.0.0.12:80\n"
    assert "    server 10.0.0.11:80 max_fails=3 down;\n" in upstreams(conf)
    assert "    server 10.0.0.12:80 max_fails=3 down;\n" in upstreams(conf)


def test_recorded_puts_back_a_drain_that_a_converge_overwrote(conf):
    """The role's converge renders the upstreams from the list it read when it
    started; a drain made meanwhile is lost when that file is installed.
    state=recorded, run after the install, marks the listed servers again."""
    assert run(conf, ["10.0.0.11:80"], "drained")["changed"]
    # the converge installs its version, rendered before the drain
    (conf / "nginx" / "conf.d" / "baobab-upstreams.conf").write_text(UPSTREAMS)
    out = run(conf, None, "recorded")
    assert out["changed"] and out["drained"] == ["10.0.0.11:80"], out
    assert "    server 10.0.0.11:80 max_fails=3 down;\n" in upstreams(conf)
    assert "    server 10.0.0.12:80 max_fails=3;\n" in upstreams(conf)
    assert state(conf) == "10.0.0.11:80\n"
    again = run(conf, None, "recorded")
    assert not again["changed"], again


def test_recorded_lifts_a_mark_the_list_no_longer_has(conf):
    # a restore made while the converge ran: its file still marks the server
    (conf / "nginx" / "conf.d" / "baobab-upstreams.conf").write_text(
        UPSTREAMS.replace("10.0.0.12:80 max_fails=3;", "10.0.0.12:80 max_fails=3 down;")
    )
    (conf / "nginx" / "baobab-drained-servers").write_text("10.0.0.99:80\n")  # no upstream has it any more
    out = run(conf, None, "recorded")
    assert out["changed"], out
    assert upstreams(conf) == UPSTREAMS
    assert state(conf) == "10.0.0.99:80\n"


def test_recorded_without_an_upstreams_file_does_nothing(conf):
    (conf / "nginx" / "conf.d" / "baobab-upstreams.conf").unlink()
    out = run(conf, None, "recorded")
    assert not out["changed"] and not out.get("failed"), out


def test_drain_and_restore_still_need_servers(conf):
    out = run(conf, None, "drained")
    assert out["failed"] and "servers" in out["msg"], out
