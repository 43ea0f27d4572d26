"""Make ``ansible_collections.baobab.webstack`` importable from the checkout."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
COLLECTIONS = ROOT / ".cache" / "collections"
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))


def run_module(name, args, workdir, check_mode=False, diff=False):
    """Run plugins/modules/<name>.py as Ansible does (a JSON arguments file,
    the collection's module_utils importable) and return its JSON result."""
    import json
    import os
    import subprocess

    argfile = Path(workdir) / f"{name}-args.json"
    argfile.write_text(
        json.dumps({"ANSIBLE_MODULE_ARGS": {**args, "_ansible_check_mode": check_mode, "_ansible_diff": diff}})
    )
    env = dict(os.environ, PYTHONPATH=str(COLLECTIONS))
    res = subprocess.run(
        [sys.executable, str(ROOT / "plugins" / "modules" / f"{name}.py"), str(argfile)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    return json.loads(res.stdout)
