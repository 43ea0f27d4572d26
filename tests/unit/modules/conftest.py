"""Make ``ansible_collections.baobab.webstack`` importable from the checkout."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
COLLECTIONS = ROOT / ".cache" / "collections"
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))


def start_module(name, args, workdir, check_mode=False, diff=False, path_prefix=None):
    """Start plugins/modules/<name>.py as Ansible does (a JSON arguments file,
    the collection's module_utils importable); ``path_prefix`` is put before
    PATH, for stand-ins of the commands the module runs."""
    import json
    import os
    import subprocess
    import uuid

    argfile = Path(workdir) / f"{name}-args-{uuid.uuid4().hex}.json"
    argfile.write_text(
        json.dumps({"ANSIBLE_MODULE_ARGS": {**args, "_ansible_check_mode": check_mode, "_ansible_diff": diff}})
    )
    env = dict(os.environ, PYTHONPATH=str(COLLECTIONS))
    if path_prefix:
        env["PATH"] = f"{path_prefix}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.Popen(
        [sys.executable, str(ROOT / "plugins" / "modules" / f"{name}.py"), str(argfile)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def module_result(process):
    """The JSON result of a module started with start_module."""
    import json

    out, err = process.communicate(timeout=120)
    try:
        return json.loads(out)
    except ValueError as exc:
        raise AssertionError(f"the module printed no JSON result; stdout: {out!r} stderr: {err!r}") from exc


def run_module(name, args, workdir, check_mode=False, diff=False, path_prefix=None):
    """Run a module to the end and return its JSON result."""
    return module_result(start_module(name, args, workdir, check_mode, diff, path_prefix))
