"""Offline stand-in for the pip bootstrap script that ansible-test downloads.

ansible-test fetches `get-pip-<version>.py` from its own CI file server,
which is not reachable from every machine. This script does the same job
with what Python ships: ensurepip gives the new virtualenv a pip, which then
installs the pinned pip (and anything else asked for) from the package index
configured on this machine. ansible-test runs it with the pip options and
package pins as arguments.
"""

import ensurepip
import os
import subprocess
import sys

# get-pip's own switches: pip install does not know them, and ensurepip
# already decides about setuptools and wheel.
GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}

# ensurepip hides the machine's pip configuration from itself by changing
# this process's environment; the real install must see it again.
saved_environment = dict(os.environ)
ensurepip.bootstrap(upgrade=True)
args = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *args], env=saved_environment))
