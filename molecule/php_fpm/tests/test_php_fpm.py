"""PHP-FPM answers through nginx over the pool socket with the extensions,
OPcache and settings asked for; pools have the user and pm sizes asked for."""

import json

import pytest

EXTENSIONS = ["pgsql", "redis", "mbstring", "xml", "curl", "zip", "intl", "bcmath", "gd"]


def php_version(host):
    major = host.ansible("setup", "filter=ansible_distribution_major_version")["ansible_facts"][
        "ansible_distribution_major_version"
    ]
    return {"12": "8.2", "13": "8.4"}[major]


@pytest.fixture()
def report(host):
    res = host.run("curl -s -f -H 'Host: ksm.test' 'http://127.0.0.1/api/orders?page=2'")
    assert res.rc == 0, res.stderr
    return json.loads(res.stdout)


def fpm_dump(host):
    """The effective configuration as php-fpm itself parsed it."""
    out = host.run(f"php-fpm{php_version(host)} -tt 2>&1").stdout
    pools, current = {}, None
    for line in out.splitlines():
        text = line.split("NOTICE:", 1)[-1].strip()
        if text.startswith("[") and text.endswith("]"):
            current = pools.setdefault(text[1:-1], {})
        elif current is not None and " = " in text:
            key, value = text.split(" = ", 1)
            current[key] = value
    return pools


def test_distribution_php_version(host, report):
    assert report["php"] == php_version(host)
    assert report["sapi"] == "fpm-fcgi"


def test_laravel_front_controller_through_nginx(report):
    # /api/ of the KSM site reaches public/index.php with the original URI;
    # $realpath_root resolved the `current` symlink to the release
    assert report["request_uri"] == "/api/orders?page=2"
    assert report["script_filename"] == "/srv/ksm/api/releases/1/public/index.php"
    assert report["document_root"] == "/srv/ksm/api/releases/1/public"


def test_extensions_and_opcache_are_loaded(report):
    for ext in EXTENSIONS:
        assert ext in report["extensions"], ext
    assert "zend opcache" in report["zend_extensions"]
    assert report["opcache_enabled"] is True


def test_production_ini(report):
    ini = report["ini"]
    assert ini["opcache.validate_timestamps"] == "0"
    assert ini["opcache.memory_consumption"] == "192"
    assert ini["realpath_cache_size"] == "4096K"
    assert ini["expose_php"] in ("", "0")
    assert "shell_exec" in ini["disable_functions"].split(",")
    assert ini["upload_max_filesize"] == "64M" and ini["post_max_size"] == "64M"
    # php_admin_value of the pool wins over the php.ini default
    assert ini["memory_limit"] == "192M"


def test_pool_runs_as_its_user_with_its_env(host, report):
    assert report["user"] == "ksm"
    assert report["env_app_env"] == "production"
    users = host.run("ps -o user= -C php-fpm" + php_version(host)).stdout.split()
    assert "ksm" in users
    sock = host.file("/run/php/php-fpm-ksm.sock")
    assert sock.is_socket and sock.user == "www-data" and sock.mode == 0o660


def test_pool_env_is_unreadable_by_other_users(host):
    """A pool file carries env[] values (secrets in production): the pool
    runs with them, but no other local user reads them."""
    pool = host.file(f"/etc/php/{php_version(host)}/fpm/pool.d/ksm.conf")
    assert pool.user == "root" and pool.mode == 0o640, (pool.user, oct(pool.mode))
    assert "env[APP_ENV]" in pool.content_string
    for user in ("nobody", "ksm"):
        res = host.run(f"runuser -u {user} -- cat {pool.path}")
        assert res.rc != 0 and "APP_ENV" not in res.stdout, user


def test_no_header_leaks_php(host):
    res = host.run("curl -s -D - -o /dev/null -H 'Host: ksm.test' http://127.0.0.1/api/x")
    assert "x-powered-by" not in res.stdout.lower()


def test_distribution_pool_is_removed(host):
    assert not host.file(f"/etc/php/{php_version(host)}/fpm/pool.d/www.conf").exists
    assert "www" not in fpm_dump(host)


def test_reload_lets_requests_in_flight_finish(host):
    # php_fpm_process_control_timeout (default 30): PHP's own default, 0, makes
    # a reload cut off busy workers (502s during every deploy)
    assert fpm_dump(host)["global"]["process_control_timeout"].rstrip("s") == "30"


def test_pm_settings_are_those_asked(host):
    pools = fpm_dump(host)
    ksm = pools["ksm"]
    assert ksm["pm"] == "dynamic"
    assert (ksm["pm.start_servers"], ksm["pm.min_spare_servers"], ksm["pm.max_spare_servers"]) == ("3", "2", "5")
    assert ksm["pm.max_requests"] == "400"
    assert ksm["slowlog"] == "/var/log/php-fpm/ksm.slow.log"
    reports = pools["reports"]
    assert reports["pm"] == "ondemand" and reports["pm.max_children"] == "3"


def test_max_children_follows_the_memory_and_cpu_formula(host):
    # converge: 512 MB reserved, 48 MB per child, one pool without max_children,
    # the default 8 workers per CPU
    mem_kb = int(host.run("awk '/^MemTotal:/ {print $2}' /proc/meminfo").stdout)
    cpus = int(host.run("grep -c '^processor' /proc/cpuinfo").stdout)
    memory_bound = (mem_kb // 1024 - 512) // 48
    expected = max(2, min(memory_bound, cpus * 8))
    assert fpm_dump(host)["ksm"]["pm.max_children"] == str(expected)
    # on this machine the CPU bound is the smaller one: the test would not
    # tell the two bounds apart otherwise
    assert cpus * 8 < memory_bound
    pool_file = host.file(f"/etc/php/{php_version(host)}/fpm/pool.d/ksm.conf").content_string
    assert f"CPU:    {cpus} CPU(s) x 8 children per CPU = {cpus * 8}" in pool_file


def test_status_and_ping_over_the_socket(host):
    env = "REQUEST_METHOD=GET SCRIPT_NAME={p} SCRIPT_FILENAME={p} QUERY_STRING=json"
    ping = host.run(env.format(p="/fpm-ping") + " cgi-fcgi -bind -connect /run/php/php-fpm-ksm.sock")
    assert ping.stdout.strip().endswith("pong")
    status = host.run(env.format(p="/fpm-status") + " cgi-fcgi -bind -connect /run/php/php-fpm-ksm.sock")
    body = json.loads(status.stdout.split("\r\n\r\n", 1)[1])
    assert body["pool"] == "ksm" and body["process manager"] == "dynamic"


def test_checker_refuses_a_broken_pool(host):
    """The same checker the role's template `validate:` runs before a pool goes live."""
    ver = php_version(host)
    host.run(
        "printf '[bad]\\nuser = no-such-user\\nlisten = /run/php/bad.sock\\n"
        "pm = static\\npm.max_children = 2\\n' > /tmp/bad.conf"
    )
    res = host.run("/usr/local/sbin/baobab-php-fpm-check pool bad.conf /tmp/bad.conf")
    assert res.rc != 0
    assert "no-such-user" in res.stderr
    assert not host.file(f"/etc/php/{ver}/fpm/pool.d/bad.conf").exists
    host.run("printf 'memory_limit = \"256M\\nfoo = (\\n' > /tmp/bad.ini")
    res = host.run("/usr/local/sbin/baobab-php-fpm-check ini 99-bad.ini /tmp/bad.ini")
    assert res.rc != 0
    assert host.run(f"php-fpm{ver} -t").rc == 0


# --- crash recovery: the attacks of molecule/_shared/webstack_crash.py -----

import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_shared"))
import webstack_crash  # noqa: E402

FPM_PROBE = (
    "REQUEST_METHOD=GET SCRIPT_NAME=/fpm-ping SCRIPT_FILENAME=/fpm-ping "
    "cgi-fcgi -bind -connect /run/php/php-fpm-ksm.sock | grep -q pong && "
    "curl -s -f -o /dev/null -H 'Host: ksm.test' 'http://127.0.0.1/api/orders?page=2'"
)


def fpm_unit(host):
    return f"php{php_version(host)}-fpm.service"


def test_killed_php_fpm_master_comes_back(host):
    seconds = webstack_crash.recovers_from_kill(host, fpm_unit(host), FPM_PROBE)
    print(f"PHP-FPM answered again {seconds:.1f} s after kill -9 of its master")


def test_stopped_php_fpm_stays_stopped(host):
    webstack_crash.stays_stopped(host, fpm_unit(host), FPM_PROBE)


def test_php_fpm_crash_loop_ends_failed(host):
    webstack_crash.crash_loop_ends_failed(host, fpm_unit(host), FPM_PROBE)
