"""Helpers for the OVHcloud integration tests: run ansible-playbook against a
fake API on 127.0.0.1 (nothing leaves the machine). The fixtures are in
conftest.py; tests import helpers from here (a name no other test folder uses)."""

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(HERE))

from ovh_fake_api import FakeOvh  # noqa: E402

COLLECTIONS = ROOT / ".cache" / "collections"


def ovh_env(fake, **extra):
    env = dict(os.environ)
    for key in list(env):
        if key.startswith("OVH_"):
            del env[key]
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_PIPELINING": "true",
        "ANSIBLE_HOST_KEY_CHECKING": "false",
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
        "OVH_ENDPOINT": "ovh-eu",
        "OVH_API_URL": fake.url,
        "OVH_APPLICATION_KEY": fake.ak,
        "OVH_APPLICATION_SECRET": fake.as_,
        "OVH_CONSUMER_KEY": fake.ck,
        "OVH_CLOUD_PROJECT_SERVICE": fake.project,
        "OVH_POLL_INTERVAL": "0.02",
        "OVH_WAIT_TIMEOUT": "20",
    })
    env.update(extra)
    return env


class Run:
    def __init__(self, proc):
        self.proc = proc
        self.rc = proc.returncode
        try:
            self.data = json.loads(proc.stdout[proc.stdout.index("{"):])
        except ValueError:
            self.data = {}

    @property
    def stats(self):
        return self.data.get("stats", {}).get("localhost", {})

    def tasks(self):
        """{task name: result on localhost}"""
        out = {}
        for play in self.data.get("plays", []):
            for task in play.get("tasks", []):
                out[task["task"]["name"]] = task["hosts"].get("localhost", {})
        return out

    def __repr__(self):
        return "rc=%s\nSTDOUT:\n%s\nSTDERR:\n%s" % (self.rc, self.proc.stdout[-6000:], self.proc.stderr[-3000:])


def run_playbook(fake, playbook, *args, env=None):
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
           "-e", "ansible_python_interpreter=%s" % sys.executable, str(playbook), *args]
    proc = subprocess.run(cmd, cwd=ROOT, env=env or ovh_env(fake), capture_output=True, text=True, timeout=120,
                          check=False)
    return Run(proc)


def make_play(fake, directory):
    """play(yaml_text, *args) -> Run"""
    def _play(text, *args, env=None):
        path = directory / ("play%d.yml" % len(list(directory.iterdir())))
        path.write_text(text)
        return run_playbook(fake, path, *args, env=env)
    return _play


class Background:
    """Run a scenario (a callable) in a thread, started early by one test and
    awaited by another, so slow ansible-playbook runs overlap. Assertion errors
    raised in the scenario surface in the test that awaits it."""

    def __init__(self, scenario):
        self.executor = ThreadPoolExecutor(max_workers=1)
        self.scenario = scenario
        self.future = None

    def start(self):
        if self.future is None:
            self.future = self.executor.submit(self.scenario)
        return self

    def result(self):
        return self.start().future.result(timeout=900)

    def close(self):
        self.executor.shutdown(wait=True)


def background(scenario, tmp_path_factory):
    """A Background running ``scenario(fake, play)`` against a fake of its own."""
    def run():
        fake = FakeOvh().start()
        try:
            return scenario(fake, make_play(fake, tmp_path_factory.mktemp(scenario.__name__)))
        finally:
            fake.stop()
    return Background(run)
