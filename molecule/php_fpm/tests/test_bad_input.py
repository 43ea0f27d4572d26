"""Pool and php.ini values that PHP-FPM would accept but that expose or break
the host are refused before the role changes anything, each message naming
the variable and the pool; the live pools keep serving the application."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_shared"))

from webstack_testlib import refused_run

SCENARIO = Path(__file__).resolve().parents[1]
TARGET = "php-fpm-deb12"

testinfra_hosts = [TARGET]

CASES = {
    # the argument specs: a wrong type, a misspelt key, a value outside a closed set
    "specs": (
        {
            "php_fpm_child_memory_mb": "lots",
            "php_fpm_pools": [{"name": "ksm", "listen_mod": "0660", "pm": "sometimes"}],
        },
        [
            "argument 'php_fpm_child_memory_mb' is of type",
            "php_fpm_pools.listen_mod",
            "value of pm must be one of: static, dynamic, ondemand, got: sometimes",
        ],
    ),
    # the role's own checks: ranges, cross-field rules and dangerous values
    "values": (
        {
            "php_fpm_pools": [
                {"name": "ksm", "user": "root", "listen": "0.0.0.0:9000", "max_children": 0},
                {"name": "reports", "listen_mode": "0666", "max_requests": -1},
            ],
            "php_fpm_memory_limit": "256 megs",
            "php_fpm_upload_max_filesize": "64M",
            "php_fpm_post_max_size": "8M",
        },
        [
            "php_fpm_pools[0].max_children: 0 is out of range (1-10000)",
            "php_fpm_pools[1].max_requests: -1 must be at least 0",
            "php_fpm_pools entry 'ksm' runs as root",
            "php_fpm_pools entry 'ksm' listens on TCP beyond loopback",
            "set php_fpm_allow_network_listen: true",
            "php_fpm_pools entry 'reports': a listen_mode writable by others",
            "php_fpm_memory_limit: '256 megs' is not a PHP size",
            "php_fpm_post_max_size: '8M' is smaller than php_fpm_upload_max_filesize '64M'",
        ],
    ),
}


def _state(host):
    return host.check_output(
        "find /etc/php -type f | sort | xargs sha256sum; systemctl show -p MainPID --value 'php*-fpm.service'"
    )


def _serves(host):
    res = host.run("curl -s -f -H 'Host: ksm.test' 'http://127.0.0.1/api/orders?page=2'")
    assert res.rc == 0, res.stderr
    assert json.loads(res.stdout)["request_uri"] == "/api/orders?page=2", res.stdout


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_pool_values_are_refused_before_any_change(host, case):
    extra, needles = CASES[case]
    before = _state(host)
    refused_run(SCENARIO / "converge.yml", extra, needles, target=TARGET)
    assert _state(host) == before
    _serves(host)
