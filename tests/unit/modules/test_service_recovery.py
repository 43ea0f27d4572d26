"""service_recovery: what the drop-in says, and the values it refuses."""

import pytest
from ansible_collections.baobab.webstack.plugins.modules import service_recovery as mod

DEFAULTS = dict(
    unit="nginx.service",
    name="40-webstack-recovery",
    restart="on-failure",
    restart_sec=2,
    start_limit_interval_sec=60,
    start_limit_burst=5,
    oom_score_adjust=None,
)


def params(**over):
    return {**DEFAULTS, **over}


def test_default_drop_in_restarts_on_failure_and_guards_a_loop():
    text = mod.render(params())
    unit, service = text.split("[Service]")
    assert "[Unit]" in unit
    assert "StartLimitIntervalSec=60\n" in unit and "StartLimitBurst=5\n" in unit
    assert "Restart=on-failure\n" in service and "RestartSec=2\n" in service
    assert "OOMScoreAdjust" not in text


def test_oom_score_goes_to_the_service_section():
    service = mod.render(params(oom_score_adjust=-900)).split("[Service]")[1]
    assert "OOMScoreAdjust=-900\n" in service


@pytest.mark.parametrize("unit", ["postgresql@16-main.service", "php8.2-fpm.service", "redis-server.service"])
def test_real_service_names_pass(unit):
    assert mod.check_params(params(unit=unit)) == []


@pytest.mark.parametrize(
    "over, option",
    [
        (dict(unit="nginx"), "unit"),
        (dict(unit="nginx.socket"), "unit"),
        (dict(unit="../../etc/passwd.service"), "unit"),
        (dict(name="a/b"), "name"),
        (dict(restart_sec=-1), "restart_sec"),
        (dict(start_limit_burst=0), "start_limit_burst"),
        (dict(start_limit_interval_sec=0), "start_limit_interval_sec"),
        (dict(oom_score_adjust=-1001), "oom_score_adjust"),
    ],
)
def test_wrong_values_are_refused_naming_the_option(over, option):
    problems = mod.check_params(params(**over))
    assert problems and problems[0].startswith(option + ":")
