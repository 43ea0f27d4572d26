"""The application reaches PostgreSQL through PgBouncer (the embedded
default's pooler on the Unix socket), nobody else gets in, and a setting
PgBouncer refuses never replaces the live configuration."""

import re

from helpers import CONTAINER, PROJECT, https

CONSOLE = "runuser -u postgres -- psql -X -h /var/run/postgresql -p 6432 -U pgbouncer pgbouncer -AtF '|'"
LIVE = "/etc/pgbouncer/pgbouncer.ini /etc/pgbouncer/userlist.txt /etc/pgbouncer/pgbouncer_hba.conf"


def console(host, command):
    """Rows of an admin console command, as dicts (the console is reachable
    only over the socket, as the user PgBouncer runs as)."""
    out = host.run(f"{CONSOLE} -P footer=off -c '{command}' --pset=tuples_only=off")
    assert out.rc == 0, out.stderr
    lines = [line for line in out.stdout.splitlines() if line]
    head = lines[0].split("|")
    return [dict(zip(head, line.split("|"))) for line in lines[1:]]


def app_queries(host):
    return sum(int(row["total_query_count"]) for row in console(host, "SHOW STATS") if row["database"] == "app")


def test_the_application_s_queries_go_through_the_pool(host):
    before = app_queries(host)
    for _ in range(10):
        status, _, body = https(host, "GET", "/up")
        assert status == 200, body
    # /up asks the database at least once per request
    assert app_queries(host) >= before + 10
    pools = {(row["database"], row["user"]): row for row in console(host, "SHOW POOLS")}
    assert ("app", "app") in pools, pools
    # PostgreSQL sees the application only through the pool's server
    # connections: every backend of the app user is one of them
    servers = {row["remote_pid"] for row in console(host, "SHOW SERVERS") if row["database"] == "app"}
    backends = host.run(
        "runuser -u postgres -- psql -XAtc \"select pid from pg_stat_activity where usename = 'app'\""
    ).stdout.split()
    assert backends, "no backend of the app user at all"
    assert set(backends) <= servers, (backends, servers)
    assert len(servers) <= 20  # pgbouncer_default_pool_size


def test_the_pooler_listens_on_its_socket_only(host):
    listeners = host.run("ss -Hxlpn; ss -Htlnp").stdout
    assert "/var/run/postgresql/.s.PGSQL.6432" in listeners
    assert not re.search(r":6432\s", listeners), listeners


def test_another_local_user_is_refused(host):
    # no password, a wrong password, the admin console: all refused
    app = "psql -X -h /var/run/postgresql -p 6432 -U app app -Atc 'select 1'"
    res = host.run(f"runuser -u nobody -- {app}")
    assert res.rc != 0 and "no password supplied" in res.stderr, res.stdout + res.stderr
    res = host.run(f"runuser -u nobody -- env PGPASSWORD=wrong {app}")
    assert res.rc != 0 and "password authentication failed" in res.stderr, res.stdout + res.stderr
    res = host.run("runuser -u nobody -- psql -X -h /var/run/postgresql -p 6432 -U pgbouncer pgbouncer -c 'SHOW POOLS'")
    assert res.rc != 0 and "not allowed" in res.stderr, res.stdout + res.stderr
    # the files that hold the password: root and PgBouncer's group only
    for path in [*LIVE.split(), "/etc/pgbouncer/.staged/userlist.txt"]:
        f = host.file(path)
        assert (f.user, f.group, f.mode) == ("root", "postgres", 0o640), path
    assert host.file("/etc/pgbouncer/.staged").mode == 0o750


def _state(host):
    return host.check_output(f"sha256sum {LIVE}; systemctl show -p MainPID --value pgbouncer")


def test_a_setting_pgbouncer_refuses_never_goes_live(host):
    from webstack_testlib import refused_run

    before = _state(host)
    refused_run(
        PROJECT / "playbooks" / "app.yml",
        {"pgbouncer_settings": {"server_lifetime": "soon"}},
        ["PgBouncer refused the new configuration", 'invalid value "soon" for parameter server_lifetime'],
        "--tags",
        "pgbouncer",
        target=CONTAINER,
    )
    assert _state(host) == before
    status, _, body = https(host, "GET", "/up")
    assert status == 200, body
    # a check run with the same setting reports the refusal too, and
    # changes nothing
    refused_run(
        PROJECT / "playbooks" / "app.yml",
        {"pgbouncer_settings": {"server_lifetime": "soon"}},
        ["PgBouncer refused the new configuration"],
        "--tags",
        "pgbouncer",
        "--check",
        target=CONTAINER,
    )
    assert _state(host) == before


def test_a_bad_value_is_refused_before_any_change(host):
    from webstack_testlib import refused_run

    before = _state(host)
    refused_run(
        PROJECT / "playbooks" / "app.yml",
        {
            "pgbouncer_databases": [
                {"name": "app", "host": "10.9.8.7", "pool_size": 90},
                {"name": "bad name", "host": "127.0.0.1"},
            ],
            "pgbouncer_server_tls_sslmode": "require",
            "pgbouncer_listen_addresses": ["0.0.0.0"],
            "pgbouncer_pool_mode": "transaction",
        },
        [
            "pgbouncer_databases entry 'bad name': the name must be letters",
            "pgbouncer_server_tls_sslmode is require, which does not verify the server",
            "entry 'app' is on another host",
            "pgbouncer_listen_addresses: '0.0.0.0' is not a loopback address",
            "pgbouncer_pool_mode transaction: the PgBouncer of Debian 12 cannot keep prepared statements",
            "the poolers would open up to 110 server connections",
        ],
        "--tags",
        "pgbouncer",
        target=CONTAINER,
    )
    assert _state(host) == before
