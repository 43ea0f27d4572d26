"""PostGIS servers answer real spatial queries from the allowed application
host over TLS with SCRAM, refuse the host outside pg_hba.conf, carry the
computed tuning, and refuse bad input without disturbing the running server.
"""

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
import testinfra

testinfra_hosts = ["postgis-deb12", "postgis-deb13"]

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_shared"))

from webstack_testlib import playbook  # noqa: E402

SCENARIO = Path(__file__).resolve().parents[1]
APP_PASSWORD = "app-Secr3t-for-tests"
CLIENTAPP_PASSWORD = "clientapp-Secr3t-for-tests"
DAKAR = (14.6928, -17.4467)  # lat, lon
ABIDJAN = (5.3600, -4.0083)
DISTANCE_SQL = (
    "SELECT ST_Distance('SRID=4326;POINT(-17.4467 14.6928)'::geography, 'SRID=4326;POINT(-4.0083 5.3600)'::geography)"
)


def vincenty_wgs84(p1, p2):
    """Inverse Vincenty on the WGS84 ellipsoid, metres (sub-millimetre)."""
    a, f = 6378137.0, 1 / 298.257223563
    b = a * (1 - f)
    lat1, lon1 = map(math.radians, p1)
    lat2, lon2 = map(math.radians, p2)
    u1 = math.atan((1 - f) * math.tan(lat1))
    u2 = math.atan((1 - f) * math.tan(lat2))
    big_l = lon2 - lon1
    lam = big_l
    for _ in range(200):
        sin_lam, cos_lam = math.sin(lam), math.cos(lam)
        sin_sigma = math.hypot(
            math.cos(u2) * sin_lam,
            math.cos(u1) * math.sin(u2) - math.sin(u1) * math.cos(u2) * cos_lam,
        )
        cos_sigma = math.sin(u1) * math.sin(u2) + math.cos(u1) * math.cos(u2) * cos_lam
        sigma = math.atan2(sin_sigma, cos_sigma)
        sin_alpha = math.cos(u1) * math.cos(u2) * sin_lam / sin_sigma
        cos2_alpha = 1 - sin_alpha**2
        cos_2sm = cos_sigma - 2 * math.sin(u1) * math.sin(u2) / cos2_alpha
        c = f / 16 * cos2_alpha * (4 + f * (4 - 3 * cos2_alpha))
        lam_prev = lam
        lam = big_l + (1 - c) * f * sin_alpha * (
            sigma + c * sin_sigma * (cos_2sm + c * cos_sigma * (-1 + 2 * cos_2sm**2))
        )
        if abs(lam - lam_prev) < 1e-12:
            break
    u_sq = cos2_alpha * (a**2 - b**2) / b**2
    big_a = 1 + u_sq / 16384 * (4096 + u_sq * (-768 + u_sq * (320 - 175 * u_sq)))
    big_b = u_sq / 1024 * (256 + u_sq * (-128 + u_sq * (74 - 47 * u_sq)))
    delta_sigma = (
        big_b
        * sin_sigma
        * (
            cos_2sm
            + big_b
            / 4
            * (
                cos_sigma * (-1 + 2 * cos_2sm**2)
                - big_b / 6 * cos_2sm * (-3 + 4 * sin_sigma**2) * (-3 + 4 * cos_2sm**2)
            )
        )
    )
    return b * big_a * (sigma - delta_sigma)


def haversine(p1, p2, radius=6371008.8):
    lat1, lon1, lat2, lon2 = map(math.radians, (*p1, *p2))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(h))


@pytest.fixture(scope="module")
def app():
    return testinfra.get_host("docker://postgis-app")


@pytest.fixture(scope="module")
def other():
    return testinfra.get_host("docker://postgis-other")


def server_name(host):
    return host.check_output("hostname")


def psql_from(client, server, sql, user="app", password=APP_PASSWORD, db="app", sslmode="require"):
    conninfo = f"host={server} dbname={db} user={user} sslmode={sslmode} connect_timeout=5"
    return client.run(f"PGPASSWORD='{password}' psql '{conninfo}' -XAtc \"{sql}\"")


def psql_local(host, sql, db="app"):
    return host.check_output(f'sudo -u postgres psql -XAt -d {db} -c "{sql}"')


def test_reference_distance_is_sane():
    # The ellipsoidal reference against the spherical one: same ballpark
    # (about 1,797 km by Vincenty, 1,799 km on the mean sphere), yet they
    # differ by more than a kilometre, so only the ellipsoid may be the
    # yardstick for PostGIS's geography type (which measures on WGS84).
    geodesic, spherical = vincenty_wgs84(DAKAR, ABIDJAN), haversine(DAKAR, ABIDJAN)
    assert 1_790_000 < geodesic < 1_805_000
    assert abs(geodesic - spherical) > 1000


def test_app_host_runs_the_geodesic_query_over_tls(host, app):
    result = psql_from(app, server_name(host), DISTANCE_SQL)
    assert result.rc == 0, result.stderr
    distance = float(result.stdout)
    expected = vincenty_wgs84(DAKAR, ABIDJAN)
    assert abs(distance - expected) < 1.0, (distance, expected)


def test_app_connection_uses_tls_and_scram(host, app):
    result = psql_from(
        app,
        server_name(host),
        "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
    )
    assert result.rc == 0, result.stderr
    ssl, version = result.stdout.strip().split("|")
    assert ssl == "t"
    assert version in ("TLSv1.2", "TLSv1.3")
    assert psql_local(host, "SELECT left(rolpassword, 14) FROM pg_authid WHERE rolname = 'app'") == "SCRAM-SHA-256$"
    methods = psql_local(
        host, "SELECT DISTINCT type || ' ' || auth_method FROM pg_hba_file_rules WHERE 'app' = ANY(user_name)"
    )
    assert methods == "hostssl scram-sha-256"


def test_wrong_password_is_refused(host, app):
    result = psql_from(app, server_name(host), "SELECT 1", password="not-the-password")
    assert result.rc != 0
    assert "password authentication failed" in result.stderr


def test_plaintext_connection_is_refused(host, app):
    result = psql_from(app, server_name(host), "SELECT 1", sslmode="disable")
    assert result.rc != 0
    assert "no pg_hba.conf entry" in result.stderr


def test_host_outside_the_allowed_list_is_refused(host, other):
    result = psql_from(other, server_name(host), "SELECT 1")
    assert result.rc != 0
    assert "no pg_hba.conf entry" in result.stderr


def test_extensions_in_the_app_database(host):
    names = set(psql_local(host, "SELECT extname FROM pg_extension").split())
    assert {"postgis", "postgis_topology", "pg_trgm"} <= names
    # pg_trgm really works, not only registered
    assert psql_local(host, "SELECT similarity('Abidjan', 'Abidjan')") == "1"


def test_full_version(host):
    full = psql_local(host, "SELECT postgis_full_version()")
    print(f"{server_name(host)}: {full}")
    major = host.ansible("setup", "filter=ansible_distribution_major_version")["ansible_facts"][
        "ansible_distribution_major_version"
    ]
    expected = {"12": 'POSTGIS="3.3', "13": 'POSTGIS="3.5'}[major]
    assert full.startswith(expected), full
    server = psql_local(host, "SHOW server_version_num")
    assert server[:2] == {"12": "15", "13": "17"}[major]


def test_pg_stat_statements_records_the_application_queries(host, app):
    # postgis_pg_stat_statements (default true): preloaded, the extension in
    # the postgres database, and it sees what the application runs elsewhere
    assert psql_local(host, "SHOW shared_preload_libraries", db="postgres") == "pg_stat_statements"
    assert (
        psql_local(host, "SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'", db="postgres") == "1"
    )
    for _ in range(3):
        result = psql_from(app, server_name(host), "SELECT ST_AsText(ST_Point(14.6928, -17.4467))")
        assert result.rc == 0, result.stderr
    calls = psql_local(
        host,
        "SELECT sum(s.calls) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
        "JOIN pg_roles r ON r.oid = s.userid WHERE d.datname = 'app' AND r.rolname = 'app' "
        "AND s.query LIKE 'SELECT ST_AsText(ST_Point(%'",
        db="postgres",
    )
    assert int(calls or 0) >= 3, calls


def test_tuning_follows_the_formulas(host):
    # 2048 MB host, 50 % for PostgreSQL = 1024 MB; see the role README.
    expected = {
        "shared_buffers": "256MB",
        "effective_cache_size": "768MB",
        "maintenance_work_mem": "64MB",
        "work_mem": "4MB",
        "max_connections": "100",
        "max_wal_size": "4GB",
        "checkpoint_completion_target": "0.9",
        "ssl": "on",
        "password_encryption": "scram-sha-256",
    }
    for name, value in expected.items():
        assert psql_local(host, f"SHOW {name}") == value, name
    addresses = psql_local(host, "SHOW listen_addresses").split(",")
    assert addresses[0] == "localhost" and len(addresses) == 2
    assert psql_local(host, "SELECT count(*) FROM pg_settings WHERE pending_restart") == "0"


def test_client_mode_created_objects_over_tls(host, app):
    # postgis-app ran the role in client mode (as against a managed database)
    assert psql_local(host, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'clientdb'") == "clientapp"
    result = psql_from(
        app,
        server_name(host),
        "SELECT ST_AsText(ST_Point(1, 2))",
        user="clientapp",
        password=CLIENTAPP_PASSWORD,
        db="clientdb",
    )
    assert result.rc == 0, result.stderr
    assert result.stdout.strip() == "POINT(1 2)"


def run_converge(limit, extra):
    """converge.yml on one server with extra variables (the shared runner)."""
    rc, output = playbook(SCENARIO / "converge.yml", "--limit", limit, "-e", json.dumps(extra))
    return subprocess.CompletedProcess(args=[], returncode=rc, stdout=output, stderr="")


BAD_INPUT = {
    # passes the role's own checks; PostgreSQL refuses it when it reads the file
    "pg_hba": (
        {
            "postgis_hba_entries": [
                {"type": "host", "database": "app", "user": "app", "address": "10.0.0.5/32", "method": "peer"}
            ]
        },
        "/etc/postgresql/15/main/pg_hba.conf",
        [
            "pg_hba.conf",
            "line 7:",
            "peer authentication is only supported on local sockets",
            "Rejected lines: host  app  app  10.0.0.5/32  peer",
        ],
    ),
    "setting": (
        {"postgis_settings": {"work_mem": "lots"}},
        "/etc/postgresql/15/main/conf.d/50-baobab.conf",
        ["50-baobab.conf", "invalid value for parameter", "work_mem", "Rejected lines: work_mem = "],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_fails_and_leaves_the_server_serving(host, app, case):
    if server_name(host) != "postgis-deb12":
        pytest.skip("bad input is exercised on one server")
    extra, path, needles = BAD_INPUT[case]
    before = host.file(path).sha256sum
    started = psql_local(host, "SELECT pg_postmaster_start_time()")
    run = run_converge("postgis-deb12", extra)
    output = run.stdout + run.stderr
    assert run.returncode != 0, output
    for needle in needles:
        assert needle in output, output
    assert "previous file was restored" in output
    assert host.file(path).sha256sum == before
    assert psql_local(host, "SELECT pg_postmaster_start_time()") == started
    assert psql_local(host, "SHOW work_mem") == "4MB"
    assert psql_local(host, "SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL") == "0"
    assert psql_local(host, "SELECT count(*) FROM pg_file_settings WHERE error IS NOT NULL") == "0"
    result = psql_from(app, "postgis-deb12", DISTANCE_SQL)
    assert result.rc == 0, result.stderr


# Refused by the role before it changes anything: each run batches several
# bad entries, and every one must be named in the message.
REFUSED_HBA = {
    "argument_specs": (
        [
            {"type": "hots", "database": "app", "user": "app", "address": "10.0.0.5/32", "method": "passwd"},
            {"type": "host", "database": "app", "address": "10.0.0.5/32", "metod": "md5"},
        ],
        [
            "value of type must be one of: local, host, hostssl, hostnossl, got: hots found in postgis_hba_entries",
            "got: passwd found in postgis_hba_entries",
            "missing required arguments: user found in postgis_hba_entries",
            "postgis_hba_entries.metod. Supported parameters include",
        ],
    ),
    "addresses_and_dangerous_methods": (
        [
            {"database": "app", "user": "app", "address": "10.0.0.5/32"},
            {"database": "app", "user": "app", "address": "10.0.0.300/33"},
            {"type": "host", "database": "all", "user": "all", "address": "0.0.0.0/0", "method": "trust"},
            {"type": "host", "database": "app", "user": "app", "address": "10.0.0.0/24", "method": "password"},
            {"type": "hostssl", "database": "app", "user": "app", "address": "db.example.org"},
        ],
        [
            "postgis_hba_entries[1].address: '10.0.0.300/33' is not an IP network",
            "postgis_hba_entries[2].method: 'trust' lets anyone from '0.0.0.0/0' log in",
            "postgis_hba_allow_trust: true",
            "postgis_hba_entries[3].method: 'password' sends the password in clear text",
            "postgis_hba_allow_cleartext_password: true",
            "postgis_hba_entries[4].address: 'db.example.org' is not an IP network",
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED_HBA))
def test_bad_hba_entries_are_refused_before_any_change(host, app, case):
    if server_name(host) != "postgis-deb12":
        pytest.skip("bad input is exercised on one server")
    entries, needles = REFUSED_HBA[case]
    path = "/etc/postgresql/15/main/pg_hba.conf"
    before = host.file(path).sha256sum
    started = psql_local(host, "SELECT pg_postmaster_start_time()")
    run = run_converge("postgis-deb12", {"postgis_hba_entries": entries})
    output = run.stdout + run.stderr
    assert run.returncode != 0, output
    for needle in needles:
        assert needle in output, (needle, output)
    assert "Unknown error" not in output
    # nothing was written: no task reported a change, the file is the same
    # and the server was neither restarted nor asked to read a new file
    assert "previous file was restored" not in output
    assert re.search(r"postgis-deb12\s+: ok=\d+\s+changed=0\s", output.split("PLAY RECAP")[-1]), output
    assert host.file(path).sha256sum == before
    assert psql_local(host, "SELECT pg_postmaster_start_time()") == started
    assert psql_local(host, "SELECT count(*) FROM pg_hba_file_rules WHERE 'trust' = auth_method") == "0"
    result = psql_from(app, "postgis-deb12", DISTANCE_SQL)
    assert result.rc == 0, result.stderr


def test_preload_libraries_of_postgis_settings_are_merged(host):
    # shared_preload_libraries given in postgis_settings keeps
    # pg_stat_statements; the change needs (and gets) one restart
    if server_name(host) != "postgis-deb12":
        pytest.skip("playbook runs are exercised on one server")
    run = run_converge("postgis-deb12", {"postgis_settings": {"shared_preload_libraries": "auto_explain"}})
    assert run.returncode == 0, run.stdout + run.stderr
    assert psql_local(host, "SHOW shared_preload_libraries") == "pg_stat_statements,auto_explain"
    assert psql_local(host, "SELECT count(*) FROM pg_settings WHERE name = 'auto_explain.log_min_duration'") == "1"
    run = run_converge("postgis-deb12", {})
    assert run.returncode == 0, run.stdout + run.stderr
    assert psql_local(host, "SHOW shared_preload_libraries") == "pg_stat_statements"


OPTED_IN_HBA = [
    # the scenario's own entries (group_vars/all.yml), then two dangerous
    # lines from a documentation network, accepted only with their opt-ins
    {"database": "app", "user": "app", "address": "{{ postgis_test_app_address }}/32"},
    {"database": "clientdb", "user": "clientapp", "address": "{{ postgis_test_app_address }}/32"},
    {"database": "all", "user": "dbadmin", "address": "{{ postgis_test_app_address }}/32"},
    {"type": "host", "database": "app", "user": "app", "address": "192.0.2.10/32", "method": "trust"},
    {"type": "host", "database": "app", "user": "app", "address": "192.0.2.11/32", "method": "password"},
]
OPTED_IN_RULES = "SELECT count(*) FROM pg_hba_file_rules WHERE address IN ('192.0.2.10', '192.0.2.11')"


def test_reload_only_changes_without_restart(host, app):
    # The first converge already needed a restart (shared_buffers and
    # listen_addresses differ from Debian's defaults; SHOW proves it took).
    # A setting PostgreSQL reloads, and new pg_hba.conf lines, must not
    # restart the server. The new lines are a trust and a clear-text password
    # line, which the role writes only with their opt-ins.
    if server_name(host) != "postgis-deb12":
        pytest.skip("playbook runs are exercised on one server")
    started = psql_local(host, "SELECT pg_postmaster_start_time()")
    run = run_converge(
        "postgis-deb12",
        {
            "postgis_settings": {"log_min_duration_statement": "750ms"},
            "postgis_hba_entries": OPTED_IN_HBA,
            "postgis_hba_allow_trust": True,
            "postgis_hba_allow_cleartext_password": True,
        },
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert psql_local(host, "SHOW log_min_duration_statement") == "750ms"
    assert psql_local(host, OPTED_IN_RULES) == "2"
    assert psql_local(host, "SELECT pg_postmaster_start_time()") == started
    run = run_converge("postgis-deb12", {})
    assert run.returncode == 0, run.stdout + run.stderr
    assert psql_local(host, "SHOW log_min_duration_statement") == "-1"
    assert psql_local(host, OPTED_IN_RULES) == "0"
    assert psql_local(host, "SELECT pg_postmaster_start_time()") == started
    result = psql_from(app, "postgis-deb12", DISTANCE_SQL)
    assert result.rc == 0, result.stderr


# --- crash recovery -------------------------------------------------------

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_shared"))
import webstack_crash  # noqa: E402

PG_PROBE = "sudo -u postgres psql -XAtc 'SELECT 1' >/dev/null"


def cluster_unit(host):
    version = host.check_output("ls /etc/postgresql | sort -V | tail -n 1")
    return f"postgresql@{version}-main.service"


def test_killed_postmaster_comes_back_with_its_data(host):
    unit = cluster_unit(host)
    psql_local(host, "CREATE TABLE IF NOT EXISTS crash_probe (n int); INSERT INTO crash_probe VALUES (1)")
    before = psql_local(host, "SELECT count(*) FROM crash_probe")
    webstack_crash.recovers_from_kill(host, unit, PG_PROBE)
    assert psql_local(host, "SELECT count(*) FROM crash_probe") == before
    psql_local(host, "DROP TABLE crash_probe")


def test_stopped_cluster_stays_stopped(host):
    webstack_crash.stays_stopped(host, cluster_unit(host), PG_PROBE)


def test_pg_ctlcluster_stop_stays_stopped(host):
    unit = cluster_unit(host)
    version = unit.split("@")[1].split("-")[0]
    try:
        assert host.run(f"pg_ctlcluster {version} main stop").rc == 0
        webstack_crash.time.sleep(6)
        assert not webstack_crash.answers(host, PG_PROBE)
    finally:
        webstack_crash.restore(host, unit, PG_PROBE)


def test_postmaster_crash_loop_ends_failed(host):
    webstack_crash.crash_loop_ends_failed(host, cluster_unit(host), PG_PROBE)


def test_postmaster_is_shielded_from_the_oom_killer_and_backends_are_not(host):
    """What makes the kernel spare the postmaster and kill a backend instead:
    systemd's score on the unit, and PG_OOM_ADJUST_FILE in the postmaster's
    environment, through which every backend resets its own score after fork.

    The scores themselves cannot be observed here: lowering one needs
    CAP_SYS_RESOURCE, which these test containers cannot be given (the engine
    refuses to start a container with it), so systemd skips the setting and
    both processes stay at 0. On a host the postmaster reads -900."""
    unit = cluster_unit(host)
    assert webstack_crash.unit_props(host, unit, "OOMScoreAdjust")["OOMScoreAdjust"] == "-900"
    postmaster = webstack_crash.main_pid(host, unit)
    environ = host.check_output(f"tr '\\0' '\\n' < /proc/{postmaster}/environ").splitlines()
    assert "PG_OOM_ADJUST_FILE=/proc/self/oom_score_adj" in environ
    # unset means 0: what a backend sets itself to after fork
    assert [v for v in environ if v.startswith("PG_OOM_ADJUST_VALUE=")] in ([], ["PG_OOM_ADJUST_VALUE=0"])
    # Raising a score needs no privilege: give the postmaster 500, as if it
    # were the process to sacrifice, and a new backend must still read 0
    # (it would inherit 500 without PG_OOM_ADJUST_VALUE).
    assert host.run(f"echo 500 > /proc/{postmaster}/oom_score_adj").rc == 0
    backend = host.check_output(
        "sudo -u postgres psql -XAtc \"SELECT pg_read_file('/proc/' || pg_backend_pid() || '/oom_score_adj')\""
    ).strip()
    assert backend == "0"
    # a restart brings the unit's own score back for the next test run
    webstack_crash.recovers_from_kill(host, unit, PG_PROBE)
