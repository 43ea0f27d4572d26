"""Fixtures for the DigitalOcean integration tests.

* ``fake_do``: the local fake API (one per session, state reset per test);
* ``do_spec``: the official OpenAPI description, loaded once per session;
* ``run_play``: runs a playbook with ``ansible-playbook`` against the fake and
  returns the per-task results (JSON callback);
* ``moto``: a moto S3 server on 127.0.0.1 and a free port.

Nothing here talks to anything but 127.0.0.1.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from .fake_api import TOKEN, FakeDigitalOcean
from .spec import load_spec

ROOT = Path(__file__).resolve().parents[3]
COLLECTIONS = ROOT / ".cache" / "collections"
HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def fake_server():
    server = FakeDigitalOcean(ready_after=2).start()
    yield server
    server.stop()


@pytest.fixture
def fake_do(fake_server):
    fake_server.reset()
    yield fake_server
    fake_server.reset()


@pytest.fixture(scope="session")
def do_spec():
    return load_spec()


def base_env(fake):
    env = dict(os.environ)
    for name in list(env):
        if name.startswith(("ANSIBLE_", "DIGITALOCEAN_", "DO_", "AWS_")):
            del env[name]
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
        "ANSIBLE_PIPELINING": "true",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "DIGITALOCEAN_TOKEN": TOKEN,
        "DIGITALOCEAN_API_URL": fake.url,
        "PATH": str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", ""),
    })
    return env


class PlayResult:
    def __init__(self, rc, stdout, stderr, data):
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.data = data
        self.tasks = []
        for play in (data or {}).get("plays", []):
            for task in play.get("tasks", []):
                self.tasks.append((task["task"]["name"], task["hosts"].get("localhost", {})))
        self.stats = ((data or {}).get("stats") or {}).get("localhost", {})

    def task(self, name):
        found = [r for n, r in self.tasks if n == name]
        assert found, "no task named %r in %s" % (name, [n for n, _ in self.tasks])
        return found[-1]

    def explain(self):
        return "rc=%s\nstdout=%s\nstderr=%s" % (self.rc, self.stdout[-4000:], self.stderr[-3000:])


class RunningPlay:
    """An ``ansible-playbook`` started in the background (several can run at once)."""

    def __init__(self, fake, playbook, workdir, extra_vars=None, check=False, diff=False, env=None,
                 inventory="localhost,"):
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        if isinstance(playbook, (list, dict)):
            path = workdir / "play.yml"
            path.write_text(yaml.safe_dump(playbook, sort_keys=False))
        else:
            path = Path(playbook)
        cmd = ["ansible-playbook", "-i", inventory, "-c", "local", str(path)]
        if extra_vars:
            vars_file = workdir / "vars.json"
            vars_file.write_text(json.dumps(extra_vars))
            cmd += ["-e", "@%s" % vars_file]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        run_env = base_env(fake)
        run_env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
        run_env.update(env or {})
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=run_env,
                                     cwd=str(workdir))

    def wait(self, timeout=240):
        try:
            stdout, stderr = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            stdout, stderr = self.proc.communicate()
        try:
            data = json.loads(stdout[stdout.index("{"):])
        except ValueError:
            data = None
        return PlayResult(self.proc.returncode, stdout, stderr, data)


class Merged:
    """Results of playbooks run side by side, read like one run."""

    def __init__(self, results):
        self.results = results
        self.rc = max(r.rc for r in results)
        self.tasks = [t for r in results for t in r.tasks]
        self.stats = {"changed": sum(r.stats.get("changed", 0) for r in results)}

    def task(self, name):
        found = [r for n, r in self.tasks if n == name]
        assert found, "no task named %r" % name
        return found[-1]

    def explain(self):
        return "\n".join(r.explain() for r in self.results)


@pytest.fixture
def run_play(fake_do, tmp_path):
    counter = [0]

    def run(playbook, extra_vars=None, check=False, diff=False, env=None, inventory="localhost,"):
        counter[0] += 1
        workdir = tmp_path / ("run%d" % counter[0])
        return RunningPlay(fake_do, playbook, workdir, extra_vars, check, diff, env, inventory).wait()

    return run


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto():
    binary = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or shutil.which("moto_server")
    if not binary:
        pytest.skip("moto_server is not installed")
    port = free_port()
    proc = subprocess.Popen([binary, "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = "http://127.0.0.1:%d" % port
    deadline = time.time() + 30
    while True:
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1)
            break
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("moto_server did not start on %s" % url)
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(timeout=10)
