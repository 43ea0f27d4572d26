"""Bad monitoring variables are refused before the role changes anything:
wrong types and misspelt keys by the argument specs, wrong values (ports,
durations, ratios, paths, unit names, URLs, public listen addresses) by the
role's input check, every problem named in one run. The configuration files
and units stay as they were and Prometheus, Alertmanager and the node
exporter keep serving."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_shared"))

from webstack_testlib import refused_run

SCENARIO = Path(__file__).resolve().parents[1]
TARGET = "monitoring-deb12"
TOKEN = "T0KEN-in-the-webhook-url"

testinfra_hosts = [f"docker://{TARGET}"]

CASES = {
    # types, closed sets and misspelt keys are the argument specs' job
    "argument_specs": (
        {
            "monitoring_node_exporter_port": "ninety",
            "monitoring_alert_error_rate_ratio": "high",
            "monitoring_postgres_sslmode": "prefer",
            "monitoring_extra_rules": [{"alert": "Typo", "expresion": "up == 0"}],
            "monitoring_scrape_targets": [{"job": "node", "target": ["127.0.0.1:9100"]}],
        },
        [
            "argument 'monitoring_node_exporter_port' is of type str and we were unable to convert to int",
            "argument 'monitoring_alert_error_rate_ratio' is of type str and we were unable to convert to float",
            "value of monitoring_postgres_sslmode must be one of: disable, require, verify-ca, verify-full,"
            " got: prefer",
            "missing required arguments: expr found in monitoring_extra_rules",
            "monitoring_extra_rules.expresion",
            "missing required arguments: targets found in monitoring_scrape_targets",
            "monitoring_scrape_targets.target. Supported parameters include",
        ],
    ),
    # right types, wrong or dangerous values: all named in one run
    "values": (
        {
            "monitoring_listen_address": "203.0.113.10",
            "monitoring_prometheus_listen_address": "0.0.0.0:9090",
            "monitoring_alertmanager_listen_address": "127.0.0.1:99999",
            "monitoring_node_exporter_port": 70000,
            "monitoring_retention_time": "15 days",
            "monitoring_alert_for_down": "2 minutes",
            "monitoring_alert_error_rate_ratio": 1.5,
            "monitoring_alert_queue_size": -1,
            "monitoring_textfile_dir": "var/lib/prometheus/node-exporter",
            "monitoring_watched_units_extra": ["webstack-crashloop-test*.service", "nginx service"],
            "monitoring_alert_webhook_urls": ["http://127.0.0.1:5001/alerts", f"ftp://hooks.example.org/{TOKEN}"],
            "monitoring_scrape_targets": [{"job": "node", "targets": ["127.0.0.1:9100", "127.0.0.1"]}],
            "monitoring_backup_max_age_overrides": {"neverran": 0},
        },
        [
            "monitoring_listen_address: '203.0.113.10' is not a loopback or private address",
            "set monitoring_allow_public_listen: true",
            "monitoring_prometheus_listen_address: '0.0.0.0:9090' listens on every address, including public ones",
            "monitoring_alertmanager_listen_address: '127.0.0.1:99999' has a port out of range (1-65535)",
            "monitoring_node_exporter_port: 70000 is out of range (1-65535)",
            "monitoring_retention_time: '15 days' is not a duration",
            "monitoring_alert_for_down: '2 minutes' is not a duration",
            "monitoring_alert_error_rate_ratio: '1.5' is not a ratio between 0 and 1",
            "monitoring_alert_queue_size: -1 must be at least 0",
            "monitoring_textfile_dir: 'var/lib/prometheus/node-exporter' is not an absolute path",
            "monitoring_watched_units_extra[1]: 'nginx service' is not a systemd unit name or glob",
            "monitoring_alert_webhook_urls[1] is not an http or https URL (value not shown",
            "monitoring_scrape_targets[0].targets[1]: '127.0.0.1' is not host:port",
            "monitoring_backup_max_age_overrides.neverran: '0' must be a whole number of seconds, at least 1",
        ],
    ),
}

# What the role writes: configuration, defaults files, units, rules.
STATE = (
    "sha256sum /etc/default/prometheus* /etc/prometheus/*.yml /etc/prometheus/rules/*.yml"
    " /etc/webstack-monitoring/* /etc/systemd/system/webstack-textfile.* /etc/nginx/conf.d/webstack-monitoring.conf"
    " /usr/local/lib/webstack-monitoring/* 2>/dev/null; systemctl show -p ActiveEnterTimestamp prometheus"
    " prometheus-alertmanager prometheus-node-exporter"
)


def _still_serving(host):
    assert host.run_expect([0], "curl -sf http://127.0.0.1:9090/-/ready").stdout
    status = json.loads(host.check_output("curl -sf http://127.0.0.1:9093/api/v2/status"))
    assert status["cluster"]["status"] in ("ready", "disabled"), status
    up = json.loads(host.check_output("curl -sfg 'http://127.0.0.1:9090/api/v1/query?query=up{job=\"node\"}'"))
    assert [r["value"][1] for r in up["data"]["result"]] == ["1"], up
    assert "node_exporter_build_info" in host.check_output("curl -sf http://127.0.0.1:9100/metrics")
    listening = host.check_output("ss -Hltn")
    assert "203.0.113.10" not in listening and "0.0.0.0:9090" not in listening, listening


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_refused_before_any_change(host, case):
    extra, needles = CASES[case]
    before = host.run(STATE).stdout
    refused_run(SCENARIO / "bad_values.yml", extra, needles, target=TARGET, secrets=[TOKEN])
    assert host.run(STATE).stdout == before
    _still_serving(host)
