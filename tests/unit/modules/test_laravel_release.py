"""laravel_release run as a real module (a JSON arguments file, as Ansible's
ansiballz does) on a temporary release tree: what it builds, what it leaves
alone, what it refuses, and how a failed step is reported. The user is the
one running the tests (runuser needs root: skipped otherwise). PHP is not
needed: the artisan caches are off and the artifact ships public/storage;
the real build, composer and artisan included, is in molecule/laravel."""

from __future__ import annotations

import grp
import io
import os
import pwd
import tarfile
from pathlib import Path

import pytest
from conftest import run_module

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not Path("/usr/sbin/runuser").exists(), reason="runuser needs root"
)


def artifact(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


APP = {
    "artisan": b"<?php\n",
    "vendor/autoload.php": b"<?php\n",
    "public/index.php": b"<?php\n",
    "public/storage": b"",
    "storage/logs/shipped.log": b"from the build machine\n",
    "bootstrap/app.php": b"<?php\n",
}


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "releases").mkdir()
    shared = tmp_path / "shared"
    (shared / "storage").mkdir(parents=True)
    (shared / ".env").write_text("APP_KEY=x\n")
    return tmp_path


def run(tree, check_mode=False, **over):
    user = pwd.getpwuid(os.getuid()).pw_name
    args = {
        "path": str(tree / "releases" / "r1"),
        "release_id": "r1",
        "current": str(tree / "current"),
        "owner": user,
        "group": grp.getgrgid(os.getgid()).gr_name,
        "shared_dir": str(tree / "shared"),
        "artisan_caches": [],
    }
    args.update(over)
    return run_module("laravel_release", args, tree, check_mode=check_mode)


def test_a_new_release_is_built_from_the_artifact(tree):
    art = artifact(tree / "shared" / "artifact-r1.tar.gz", APP)
    out = run(tree, artifact=str(art), remove_artifact=True)
    assert out["changed"] and out["built"] and not out.get("failed"), out
    rel = tree / "releases" / "r1"
    assert (rel / "REVISION").read_text() == "r1\n"
    assert (rel / ".built").read_text() == "r1\n"
    assert os.readlink(rel / "storage") == str(tree / "shared" / "storage")
    assert os.readlink(rel / ".env") == str(tree / "shared" / ".env")
    assert (rel / "bootstrap" / "cache").is_dir()
    assert (rel / "public" / "index.php").is_file()
    assert not art.exists()
    assert [s["step"] for s in out["steps"]] == ["unpack"]


def test_a_built_release_is_left_alone(tree):
    art = artifact(tree / "a.tar.gz", APP)
    run(tree, artifact=str(art))
    (tree / "releases" / "r1" / "public" / "index.php").write_text("changed by hand\n")
    out = run(tree, artifact=str(art))
    assert not out["changed"] and not out["built"], out
    assert (tree / "releases" / "r1" / "public" / "index.php").read_text() == "changed by hand\n"


def test_a_half_built_release_is_built_again_from_scratch(tree):
    half = tree / "releases" / "r1"
    (half / "leftover").mkdir(parents=True)
    out = run(tree, artifact=str(artifact(tree / "a.tar.gz", APP)))
    assert out["built"], out
    assert not (half / "leftover").exists()
    assert (half / ".built").exists()


def test_the_live_release_is_never_rebuilt(tree):
    live = tree / "releases" / "r1"
    live.mkdir()
    (live / "keep").write_text("serving\n")
    (tree / "current").symlink_to(live)
    out = run(tree, artifact=str(artifact(tree / "a.tar.gz", APP)))
    assert out["failed"] and "is live but has no .built marker" in out["msg"], out
    assert (live / "keep").read_text() == "serving\n"


def test_check_mode_reports_a_build_and_changes_nothing(tree):
    out = run(tree, check_mode=True, artifact=str(tree / "not-copied-in-check-mode.tar.gz"))
    assert out["changed"] and not out["built"] and not out.get("failed"), out
    assert list((tree / "releases").iterdir()) == []


def test_a_failed_step_is_named_and_leaves_no_marker(tree):
    bad = tree / "broken.tar.gz"
    bad.write_bytes(b"this is not a tarball")
    out = run(tree, artifact=str(bad))
    assert out["failed"], out
    assert "failed at step 'unpack'" in out["msg"] and out["step"] == "unpack", out
    assert not (tree / "releases" / "r1" / ".built").exists()


def test_commands_run_as_the_owner_not_root(tree):
    """tar runs as the owner: an artifact the owner cannot read fails, even
    though the module itself runs as root."""
    nobody = pwd.getpwnam("nobody")
    art = artifact(tree / "a.tar.gz", APP)
    art.chmod(0o600)
    (tree / "releases").chmod(0o777)
    out = run(tree, artifact=str(art), owner="nobody", group=grp.getgrgid(nobody.pw_gid).gr_name)
    assert out["failed"] and out["step"] == "unpack", out
    assert "Permission denied" in out["msg"], out


@pytest.mark.parametrize("name", ["../etc", "a/b", "", ".."])
def test_a_shared_link_must_be_a_plain_name(tree, name):
    out = run(tree, artifact=str(artifact(tree / "a.tar.gz", APP)), shared_links=["storage", name])
    assert out["failed"] and "shared_links" in out["msg"], out
    assert list((tree / "releases").iterdir()) == []


def link_artifact(path, files, links):
    """An artifact that also ships symbolic links ({name: target})."""
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in links.items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
    return path


def test_a_marker_shipped_as_a_link_is_replaced_not_written_through(tree):
    """The module runs as root: a REVISION or .built in the artifact that
    points elsewhere must not make it write there."""
    victim = tree / "victim"
    victim.write_text("untouched\n")
    files = {k: v for k, v in APP.items()}
    art = link_artifact(tree / "a.tar.gz", files, {"REVISION": str(victim), ".built": str(victim)})
    out = run(tree, artifact=str(art))
    assert out["built"], out
    assert victim.read_text() == "untouched\n"
    revision = tree / "releases" / "r1" / "REVISION"
    assert not revision.is_symlink() and revision.read_text() == "r1\n"


def test_a_bootstrap_link_out_of_the_release_is_refused(tree):
    outside = tree / "outside"
    outside.mkdir()
    files = {k: v for k, v in APP.items() if not k.startswith("bootstrap/")}
    art = link_artifact(tree / "a.tar.gz", files, {"bootstrap": str(outside)})
    out = run(tree, artifact=str(art))
    assert out["failed"] and "outside the release" in out["msg"], out
    assert list(outside.iterdir()) == []
    assert not (tree / "releases" / "r1" / ".built").exists()



@pytest.fixture
def open_tree():
    """A release tree another user can walk (pytest's own temporary
    directory is private to root, which would make any command of another
    user fail for that reason alone)."""
    import shutil
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="webstack-release-", dir="/tmp"))
    root.chmod(0o755)
    (root / "releases").mkdir(mode=0o777)
    (root / "releases").chmod(0o777)
    (root / "shared" / "storage").mkdir(parents=True)
    (root / "shared" / ".env").write_text("APP_KEY=x\n")
    log = root / "php.log"
    log.write_text("")
    log.chmod(0o666)
    php = root / "php"
    php.write_text(f'#!/bin/sh\necho "$(id -un) $*" >> {log}\n')
    php.chmod(0o755)
    yield root
    shutil.rmtree(root)


def test_artisan_runs_as_the_owner_and_again_only_when_the_caches_are_refreshed(open_tree):
    """A stand-in php records who ran it: every artisan command of a build
    runs as the owner, never as root, and a built release runs them again
    only with refresh_caches (its .env changed)."""
    nobody = pwd.getpwnam("nobody")
    art = artifact(open_tree / "a.tar.gz", APP)
    art.chmod(0o644)
    caches = ["config:cache", "route:cache"]
    common = dict(
        artifact=str(art),
        owner="nobody",
        group=grp.getgrgid(nobody.pw_gid).gr_name,
        php=str(open_tree / "php"),
        artisan_caches=caches,
    )
    log = open_tree / "php.log"
    out = run(open_tree, **common)
    assert out["built"] and not out.get("failed"), out
    assert log.read_text() == "".join(f"nobody artisan {c} --no-interaction\n" for c in caches)
    rel = open_tree / "releases" / "r1"
    assert (rel / "public" / "index.php").stat().st_uid == nobody.pw_uid
    assert (rel / ".built").stat().st_uid == nobody.pw_uid

    again = run(open_tree, **common)
    assert not again["changed"], again
    assert log.read_text().count("\n") == len(caches)

    refreshed = run(open_tree, refresh_caches=True, **common)
    assert refreshed["changed"] and not refreshed["built"], refreshed
    assert log.read_text().splitlines()[len(caches) :] == [f"nobody artisan {c} --no-interaction" for c in caches]
