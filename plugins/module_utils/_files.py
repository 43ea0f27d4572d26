# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Reading and atomically replacing the small text files the collection's
host modules manage (systemd units and drop-ins).

Internal module_utils (leading underscore): not a public API.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile


def read_text(path):
    """The file's text, or None when it does not exist."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def write_atomically(path, content, mode=0o644, prefix=".webstack-"):
    """Replace ``path`` with ``content`` in one rename (a reader never sees
    half a file), creating its directory when missing; the temporary file is
    removed when anything fails."""
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    handle, tmp = tempfile.mkstemp(dir=directory, prefix=prefix)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(content)
        os.chmod(tmp, mode)
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
