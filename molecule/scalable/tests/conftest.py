"""The scenario's tests use the helpers shared by the scenarios that deploy
the sample application (molecule/_shared/webstack_testlib.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_shared"))
