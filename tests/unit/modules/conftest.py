"""Make ``ansible_collections.baobab.webstack`` importable from the checkout."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
COLLECTIONS = ROOT / ".cache" / "collections"
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))
