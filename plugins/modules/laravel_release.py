#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: laravel_release
short_description: Build a Laravel release directory in one call
description:
  - Builds the release directory O(path) of a Laravel application, the steps the deploy
    of every release runs, in one round trip. It unpacks the artifact as the application
    user, installs the PHP dependencies with composer when the artifact has no
    C(vendor/autoload.php), writes C(REVISION), replaces the shipped C(storage) with links
    to the shared storage and C(.env), makes C(bootstrap/cache) writable, links
    C(public/storage), caches the configuration, routes and views, and marks the
    directory built (C(.built)).
  - A directory marked built is immutable and left as it is (with O(refresh_caches), only
    its caches are made again). A directory without the marker is a half-built one left by
    a failed run and is built again from scratch, unless it is the live release, which is
    refused.
  - Every command runs as O(owner) through C(runuser), never as root.
  - Used by the C(baobab.webstack.laravel) role; it replaces a dozen tasks of the
    deployment's hot path.
version_added: 0.3.0
author:
  - baobab.webstack maintainers (@baobab)
options:
  path:
    description: The release directory, C(<root>/releases/<release id>).
    type: path
    required: true
  release_id:
    description: The release id, written to C(REVISION) and C(.built).
    type: str
    required: true
  current:
    description: The C(current) link; the release it points to is never rebuilt.
    type: path
    required: true
  artifact:
    description:
      - A release tarball on the host, unpacked into a fresh O(path); it must be readable by O(owner).
      - Without it the code must already be in O(path) (a git checkout), and the directory is
        finished where it is.
    type: path
  remove_artifact:
    description: Delete O(artifact) once it is unpacked.
    type: bool
    default: false
  owner:
    description: The application user, owner of the release and user of every command.
    type: str
    required: true
  group:
    description: The application group.
    type: str
    required: true
  shared_dir:
    description: The directory that holds the shared C(storage) and C(.env).
    type: path
    required: true
  shared_links:
    description: Entries of O(shared_dir) linked into the release (the release's own copies are removed first).
    type: list
    elements: str
    default: [storage, .env]
  php:
    description: The PHP command line binary.
    type: path
    default: /usr/bin/php
  composer:
    description: The composer binary, used when the artifact ships no C(vendor/autoload.php).
    type: path
    default: /usr/bin/composer
  composer_home:
    description: C(COMPOSER_HOME) of the composer run.
    type: path
  install_composer:
    description: Install the distribution's C(composer) package with apt when it is needed and missing.
    type: bool
    default: true
  artisan_caches:
    description: The C(artisan) cache commands run on a new build (empty for none).
    type: list
    elements: str
    default: ['config:cache', 'route:cache', 'view:cache']
  refresh_caches:
    description: Run O(artisan_caches) again on a release that is already built (its C(.env) changed).
    type: bool
    default: false
attributes:
  check_mode:
    description: Reports whether the release would be built, changes nothing.
    support: full
  diff_mode:
    description: No diff is returned.
    support: none
notes:
  - A failed step fails the module naming the step, its exit status and its output; the directory
    is left without C(.built), so the next run builds it again.
"""

EXAMPLES = r"""
- name: Build release 2f6c1e0 from an artifact copied to the host
  baobab.webstack.laravel_release:
    path: /srv/app/releases/2f6c1e0
    release_id: 2f6c1e0
    current: /srv/app/current
    artifact: /srv/app/shared/artifact-2f6c1e0.tar.gz
    remove_artifact: true
    owner: app
    group: app
    shared_dir: /srv/app/shared
"""

RETURN = r"""
built:
  description: Whether the directory was built by this call (false when it was built already).
  returned: always
  type: bool
steps:
  description: The steps this call ran, in order, with their time in seconds.
  returned: always
  type: list
  elements: dict
  sample: [{"step": "unpack", "seconds": 0.21}, {"step": "config:cache", "seconds": 0.35}]
composer:
  description: Whether composer installed the dependencies.
  returned: always
  type: bool
"""

import grp  # noqa: E402
import os  # noqa: E402
import pwd  # noqa: E402
import shutil  # noqa: E402
import time  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

RUNUSER = "/usr/sbin/runuser"


class StepFailed(Exception):
    def __init__(self, step, rc, out, err):
        super(StepFailed, self).__init__(step)
        self.step, self.rc, self.out, self.err = step, rc, out, err


class Builder(object):
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.steps = []
        self.account = pwd.getpwnam(self.p["owner"])
        self.gid = grp.getgrnam(self.p["group"]).gr_gid

    def env(self, extra=None):
        env = {
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": self.account.pw_dir,
            "USER": self.p["owner"],
            "LOGNAME": self.p["owner"],
            "LANG": "C.UTF-8",
        }
        env.update(extra or {})
        return env

    def run(self, step, argv, as_owner=True, env=None):
        started = time.time()
        if as_owner:
            argv = [RUNUSER, "-u", self.p["owner"], "--", *argv]
        rc, out, err = self.module.run_command(
            argv, cwd=self.p["path"], environ_update=env or self.env(), check_rc=False
        )
        self.steps.append({"step": step, "seconds": round(time.time() - started, 2)})
        if rc != 0:
            raise StepFailed(step, rc, out, err)
        return out

    def inside(self, path):
        """Refuse a path of the release that resolves outside it: the artifact is
        unpacked by the application user, and a link it ships (bootstrap -> /etc)
        must not make this module, which runs as root, write elsewhere."""
        root = os.path.realpath(self.p["path"])
        real = os.path.realpath(path)
        if real != root and not real.startswith(root + os.sep):
            raise StepFailed("layout", 1, "", "%s resolves to %s, outside the release: refused" % (path, real))
        return path

    def write_file(self, name, content):
        """A new regular file in the release's top directory, never written
        through a link the artifact shipped under that name."""
        path = os.path.join(self.p["path"], name)
        if os.path.lexists(path):
            os.unlink(path)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
        with os.fdopen(fd, "w") as fh:
            fh.write(content)
        self.own(path, 0o644)

    def own(self, path, mode):
        os.lchown(path, self.account.pw_uid, self.gid)
        if not os.path.islink(path):
            os.chmod(path, mode)

    def artisan(self, command):
        self.run(command, [self.p["php"], "artisan", command, "--no-interaction"])

    def fresh_directory(self):
        path = self.p["path"]
        if os.path.lexists(path):
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)
        os.mkdir(path, 0o755)
        self.own(path, 0o755)

    def unpack(self):
        artifact = self.p["artifact"]
        self.run("unpack", ["tar", "-xzf", artifact, "-C", self.p["path"], "--no-same-owner"])
        if self.p["remove_artifact"]:
            os.unlink(artifact)

    def composer(self):
        if os.path.exists(os.path.join(self.p["path"], "vendor", "autoload.php")):
            return False
        binary = self.p["composer"]
        if not os.access(binary, os.X_OK):
            if not self.p["install_composer"]:
                raise StepFailed("composer", 1, "", "%s is missing and install_composer is false" % binary)
            self.run(
                "install composer",
                [
                    "apt-get",
                    "install",
                    "-y",
                    "-q",
                    "-o",
                    "DPkg::Lock::Timeout=300",
                    "--no-install-recommends",
                    "composer",
                ],
                as_owner=False,
                env={"DEBIAN_FRONTEND": "noninteractive"},
            )
        extra = {"COMPOSER_HOME": self.p["composer_home"]} if self.p["composer_home"] else {}
        self.run(
            "composer install",
            [binary, "install", "--no-dev", "--optimize-autoloader", "--no-interaction", "--no-progress"],
            env=self.env(extra),
        )
        return True

    def finish(self):
        path, shared = self.p["path"], self.p["shared_dir"]
        self.write_file("REVISION", self.p["release_id"] + "\n")
        for name in self.p["shared_links"]:
            target = os.path.join(path, name)
            if os.path.isdir(target) and not os.path.islink(target):
                shutil.rmtree(target)
            elif os.path.lexists(target):
                os.unlink(target)
            os.symlink(os.path.join(shared, name), target)
        cache = self.inside(os.path.join(path, "bootstrap", "cache"))
        if not os.path.isdir(cache):
            os.makedirs(cache)
        self.own(cache, 0o755)
        if not os.path.lexists(os.path.join(path, "public", "storage")):
            self.artisan("storage:link")

    def caches(self):
        for command in self.p["artisan_caches"]:
            self.artisan(command)

    def mark_built(self):
        self.write_file(".built", self.p["release_id"] + "\n")


def live_target(current):
    if not os.path.islink(current):
        return None
    target = os.readlink(current)
    if not os.path.isabs(target):
        target = os.path.join(os.path.dirname(current), target)
    return os.path.normpath(target)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            release_id=dict(type="str", required=True),
            current=dict(type="path", required=True),
            artifact=dict(type="path"),
            remove_artifact=dict(type="bool", default=False),
            owner=dict(type="str", required=True),
            group=dict(type="str", required=True),
            shared_dir=dict(type="path", required=True),
            shared_links=dict(type="list", elements="str", default=["storage", ".env"]),
            php=dict(type="path", default="/usr/bin/php"),
            composer=dict(type="path", default="/usr/bin/composer"),
            composer_home=dict(type="path"),
            install_composer=dict(type="bool", default=True),
            artisan_caches=dict(type="list", elements="str", default=["config:cache", "route:cache", "view:cache"]),
            refresh_caches=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    path = os.path.normpath(p["path"])
    for name in p["shared_links"]:
        if not name or "/" in name or name in (".", ".."):
            module.fail_json(msg="shared_links: %r is not a plain file name" % name)
    try:
        builder = Builder(module)
    except KeyError as exc:
        module.fail_json(msg="the application account does not exist: %s" % exc)
    result = dict(changed=False, built=False, composer=False, steps=builder.steps)

    try:
        if os.path.exists(os.path.join(path, ".built")):
            if p["refresh_caches"] and p["artisan_caches"]:
                result["changed"] = True
                if not module.check_mode:
                    builder.caches()
            module.exit_json(**result)
        if live_target(p["current"]) == path:
            module.fail_json(msg="%s is live but has no .built marker; inspect it by hand." % path, **result)
        result["changed"] = True
        if module.check_mode:
            module.exit_json(**result)
        if p["artifact"] is None and not os.path.isdir(path):
            module.fail_json(msg="%s does not exist and no artifact was given to unpack into it" % path, **result)
        if p["artifact"] is not None and not os.path.isfile(p["artifact"]):
            module.fail_json(msg="the artifact %s is not a file on the host" % p["artifact"], **result)
        if p["artifact"] is not None:
            builder.fresh_directory()
            builder.unpack()
        result["composer"] = builder.composer()
        builder.finish()
        builder.caches()
        builder.mark_built()
        result["built"] = True
    except StepFailed as exc:
        text = (exc.err or "").strip() or "\n".join((exc.out or "").strip().splitlines()[-15:])
        module.fail_json(
            msg="Building the release %s failed at step '%s' (exit %s): %s" % (p["release_id"], exc.step, exc.rc, text),
            step=exc.step,
            rc=exc.rc,
            stdout=exc.out,
            stderr=exc.err,
            **result,
        )
    except (IOError, OSError) as exc:
        module.fail_json(msg="Building the release %s failed: %s" % (p["release_id"], exc), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
