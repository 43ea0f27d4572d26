"""Redis refuses anonymous clients, confines the Laravel ACL user to its key
prefix and keeps it away from dangerous commands, applies live settings
without a restart, serves the www-data group over the socket, and refuses bad
input without touching the running server."""

import json
import os
import subprocess
from pathlib import Path

import pytest

SCENARIO = Path(__file__).resolve().parents[1]
PROJECT = SCENARIO.parents[1]
ADMIN = "admin-Secr3t-for-tests-only"
LARAVEL = "laravel-Secr3t-for-tests"
SOCKET = "/run/redis/redis-server.sock"


def cli(host, *args, user=None, password=None, via="-h 127.0.0.1"):
    auth = ""
    if user:
        auth = f"--user {user} --pass '{password}' --no-auth-warning"
    elif password:
        auth = f"--pass '{password}' --no-auth-warning"
    cmd = f"redis-cli {via} {auth} " + " ".join(f"'{a}'" for a in args)
    return host.run(cmd)


def admin(host, *args):
    result = cli(host, *args, password=ADMIN)
    assert result.rc == 0, result.stderr
    return result.stdout.strip()


def app(host, *args, via="-h 127.0.0.1"):
    return cli(host, *args, user="laravel", password=LARAVEL, via=via).stdout.strip()


def main_pid(host):
    return host.check_output("systemctl show -p MainPID --value redis-server")


def test_anonymous_commands_are_refused(host):
    for command in (("SET", "laravel:x", "1"), ("GET", "laravel:x"), ("CONFIG", "GET", "save")):
        assert cli(host, *command).stdout.startswith("NOAUTH"), command
    assert cli(host, "PING", password="wrong-password").stdout.startswith(("WRONGPASS", "AUTH failed", "NOAUTH"))


def test_app_user_works_inside_its_prefix(host):
    assert app(host, "SET", "laravel:greeting", "nanga def") == "OK"
    assert app(host, "GET", "laravel:greeting") == "nanga def"
    assert app(host, "DEL", "laravel:greeting") == "1"


def test_app_user_is_denied_outside_its_prefix(host):
    assert app(host, "SET", "other:greeting", "x").startswith("NOPERM")
    assert app(host, "GET", "sessions:abc").startswith("NOPERM")


@pytest.mark.parametrize("command", [("CONFIG", "GET", "maxmemory"), ("FLUSHALL",), ("FLUSHDB",), ("KEYS", "*")])
def test_dangerous_commands_are_denied_to_the_app_user(host, command):
    assert app(host, *command).startswith("NOPERM"), command


@pytest.mark.parametrize("command", [("DEBUG", "SLEEP", "0"), ("SHUTDOWN",), ("CONFIG", "SET", "save", "")])
def test_acl_denies_what_must_not_be_tried_live(host, command):
    # DEBUG is also refused by enable-debug-command; ask the ACL itself
    verdict = admin(host, "ACL", "DRYRUN", "laravel", *command)
    assert "no permissions" in verdict, verdict


def test_settings_are_live(host):
    assert admin(host, "CONFIG", "GET", "appendonly").split() == ["appendonly", "yes"]
    assert admin(host, "CONFIG", "GET", "save").splitlines()[1:] in ([], [""])
    assert admin(host, "CONFIG", "GET", "maxmemory").split() == ["maxmemory", str(64 * 1024 * 1024)]
    assert admin(host, "CONFIG", "GET", "maxmemory-policy").split() == ["maxmemory-policy", "noeviction"]
    assert admin(host, "CONFIG", "GET", "protected-mode").split() == ["protected-mode", "yes"]
    # the AOF really exists on disk (Redis 7 keeps it in appendonlydir)
    assert host.run("ls /var/lib/redis/appendonlydir/ || ls /var/lib/redis/appendonly.aof").rc == 0


def test_listens_only_on_loopback_and_the_private_address(host):
    address = host.check_output("hostname -I").split()[0]
    bind = admin(host, "CONFIG", "GET", "bind").splitlines()[1].split()
    assert bind == ["127.0.0.1", "-::1", address]
    # no wildcard listener in the kernel's socket table (port 6379 = 18EB)
    listeners = [
        line.split()[1]
        for line in host.file("/proc/net/tcp").content_string.splitlines()[1:]
        if line.split()[3] == "0A" and line.split()[1].endswith(":18EB")
    ]
    assert "00000000:18EB" not in listeners
    assert len(listeners) == 2
    assert app(host, "PING", via=f"-h {address}") == "PONG"


def test_socket_serves_the_php_fpm_group(host):
    sock = host.file(SOCKET)
    assert sock.is_socket
    assert sock.group == "www-data"
    assert sock.mode == 0o770
    auth = f"--user laravel --pass '{LARAVEL}' --no-auth-warning"
    ok = host.run(f"sudo -u www-data redis-cli -s {SOCKET} {auth} SET laravel:via-socket 1")
    assert ok.stdout.strip() == "OK", ok.stderr
    denied = host.run(f"sudo -u nobody redis-cli -s {SOCKET} {auth} PING")
    assert "Permission denied" in denied.stdout + denied.stderr


def test_kernel_settings_skipped_in_container(host):
    # Inside these containers the role must leave the kernel alone; the
    # sysctl/THP branch itself cannot be exercised here.
    assert not host.file("/etc/sysctl.d/60-redis.conf").exists
    assert not host.file("/etc/tmpfiles.d/redis-thp.conf").exists


def only_on_debian12(host):
    # Each run is a full ansible-playbook: exercise it on one server only.
    if host.check_output("hostname") != "redis-deb12":
        pytest.skip("playbook runs are exercised on redis-deb12")


def run_converge(host, extra):
    env = dict(os.environ)
    env["ANSIBLE_COLLECTIONS_PATH"] = str(PROJECT / ".cache" / "collections")
    env["ANSIBLE_ROLES_PATH"] = str(PROJECT / "roles")
    env["ANSIBLE_FORCE_COLOR"] = "0"
    return subprocess.run(
        [
            "ansible-playbook",
            "-i",
            os.environ["MOLECULE_INVENTORY_FILE"],
            "--limit",
            host.check_output("hostname"),
            "-e",
            json.dumps(extra),
            str(SCENARIO / "converge.yml"),
        ],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_live_setting_changes_without_restart(host):
    only_on_debian12(host)
    pid = main_pid(host)
    run = run_converge(host, {"redis_maxmemory_mb": 32})
    assert run.returncode == 0, run.stdout + run.stderr
    assert admin(host, "CONFIG", "GET", "maxmemory").split()[1] == str(32 * 1024 * 1024)
    assert "maxmemory 33554432" in host.file("/etc/redis/live.conf").content_string
    assert main_pid(host) == pid
    run = run_converge(host, {})
    assert run.returncode == 0, run.stdout + run.stderr
    assert admin(host, "CONFIG", "GET", "maxmemory").split()[1] == str(64 * 1024 * 1024)
    assert main_pid(host) == pid


def test_bad_acl_rule_fails_and_leaves_the_server_untouched(host):
    only_on_debian12(host)
    before = {
        p: host.file(p).sha256sum for p in ("/etc/redis/users.acl", "/etc/redis/redis.conf", "/etc/redis/live.conf")
    }
    pid = main_pid(host)
    users = [
        {
            "name": "laravel",
            "password": LARAVEL,
            "keys": ["~laravel:*"],
            "commands": "+@all -@nosuchcategory",
        }
    ]
    run = run_converge(host, {"redis_acl_users": users, "redis_maxmemory_mb": 16})
    output = run.stdout + run.stderr
    assert run.returncode != 0, output
    assert "Redis rejected redis_acl_users rules" in output
    assert "laravel" in output and "nosuchcategory" in output
    assert LARAVEL not in output
    assert {p: host.file(p).sha256sum for p in before} == before
    assert main_pid(host) == pid
    assert admin(host, "CONFIG", "GET", "maxmemory").split()[1] == str(64 * 1024 * 1024)
    assert "__baobab_check" not in admin(host, "ACL", "USERS")
    assert app(host, "SET", "laravel:still", "here") == "OK"


def redis_state(host):
    files = ("/etc/redis/users.acl", "/etc/redis/redis.conf", "/etc/redis/live.conf")
    return {p: host.file(p).sha256sum for p in files}, main_pid(host)


def test_wrong_types_and_choices_are_refused_before_any_change(host):
    only_on_debian12(host)
    before = redis_state(host)
    run = run_converge(host, {"redis_maxmemory_policy": "sometimes", "redis_port": "http"})
    output = run.stdout + run.stderr
    assert run.returncode != 0, output
    assert "value of redis_maxmemory_policy must be one of" in output
    assert "argument 'redis_port' is of type" in output
    assert redis_state(host) == before
    assert admin(host, "CONFIG", "GET", "maxmemory-policy").split()[1] == "noeviction"
    assert app(host, "SET", "laravel:still", "here") == "OK"


def test_out_of_range_and_public_values_are_refused_naming_each(host):
    only_on_debian12(host)
    before = redis_state(host)
    bad = {
        "redis_bind": ["127.0.0.1", "0.0.0.0", "51.38.1.2", "10.0.0.300"],
        "redis_port": 70000,
        "redis_databases": 0,
        "redis_maxmemory_mb": -1,
        "redis_save": ["60 10000", "often"],
    }
    run = run_converge(host, bad)
    output = run.stdout + run.stderr
    assert run.returncode != 0, output
    for needle in (
        "redis_bind[1]: '0.0.0.0' listens on every address, including public ones; set redis_allow_public_bind: true",
        "redis_bind[2]: '51.38.1.2' is a public address; set redis_allow_public_bind: true",
        "redis_bind[3]: '10.0.0.300' is not an IP address",
        "redis_port: 70000 is out of range (1-65535)",
        "redis_databases: 0 is out of range (1-1024)",
        "redis_maxmemory_mb: -1 must be at least 0",
        "redis_save: 'often' is not '<seconds> <changes>'",
    ):
        assert needle in output, needle + "\n" + output
    assert ADMIN not in output
    assert redis_state(host) == before
    # the server still serves, over TCP and over the socket
    assert app(host, "SET", "laravel:still", "here") == "OK"
    assert app(host, "GET", "laravel:still", via=f"-s {SOCKET}") == "here"


def test_full_memory_never_evicts_a_queued_job(host):
    """Cache keys fill Redis to maxmemory: the write past it fails, the job
    waiting in the queue is still there (allkeys-* would have dropped it)."""
    queue = "laravel:queues:default"
    job = '{"uuid":"eviction-probe","job":"ProbeJob"}'
    assert app(host, "RPUSH", queue, job) == "1"
    host.run("head -c 1048576 /dev/zero | tr '\\0' x > /tmp/blob-1m")
    auth = f"--user laravel --pass '{LARAVEL}' --no-auth-warning"
    try:
        fill = host.run(
            "for i in $(seq 1 100); do "
            f"redis-cli -h 127.0.0.1 {auth} -x SETEX laravel:cache:fill:$i 3600 < /tmp/blob-1m; done"
        )
        assert "OOM" in fill.stdout + fill.stderr, "100 MB of cache keys never reached maxmemory (64 MB)"
        assert app(host, "LRANGE", queue, "0", "-1") == job
    finally:
        host.run(
            f"redis-cli -h 127.0.0.1 {auth} --scan --pattern 'laravel:cache:fill:*' "
            f"| xargs -r -n 50 redis-cli -h 127.0.0.1 {auth} UNLINK >/dev/null; rm -f /tmp/blob-1m"
        )
        app(host, "DEL", queue)


# --- crash recovery: the attacks of molecule/_shared/webstack_crash.py -----

import sys  # noqa: E402

sys.path.insert(0, str(SCENARIO.parent / "_shared"))
import webstack_crash  # noqa: E402

REDIS_PROBE = f"redis-cli -h 127.0.0.1 --pass '{ADMIN}' --no-auth-warning PING | grep -q PONG"


def test_killed_redis_comes_back_with_its_queue(host):
    assert app(host, "RPUSH", "laravel:queues:crash", "job-1") == "1"
    webstack_crash.recovers_from_kill(host, "redis-server.service", REDIS_PROBE)
    assert app(host, "LRANGE", "laravel:queues:crash", "0", "-1") == "job-1"
    app(host, "DEL", "laravel:queues:crash")


def test_stopped_redis_stays_stopped(host):
    webstack_crash.stays_stopped(host, "redis-server.service", REDIS_PROBE)


def test_redis_crash_loop_ends_failed(host):
    webstack_crash.crash_loop_ends_failed(host, "redis-server.service", REDIS_PROBE)
