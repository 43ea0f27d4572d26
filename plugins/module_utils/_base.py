# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Shared plumbing for the collection's cloud resource modules.

A resource module describes a desired state; the subclass of
:class:`ResourceModule` finds the current resource, decides what to create,
update or delete, and calls the provider's client.  This class owns what every
module does the same way:

* the result dictionary (``changed``, ``diff``, the returned resource),
* check mode (no write request is ever sent: subclasses ask
  :meth:`ResourceModule.will_write` before writing),
* comparing desired and current values with a normalisation hook,
* turning provider errors into ``fail_json`` messages that name the call and
  the HTTP status.

Internal module_utils (leading underscore): not a public API.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy


class ApiError(Exception):
    """An API call failed.

    ``call`` names the request (``"GET /v2/droplets"``), ``status`` is the
    HTTP status (``None`` when no response came back), ``message`` the
    provider's own explanation when it gave one.
    """

    def __init__(self, call, status=None, message=None, body=None, request_id=None):
        self.call = call
        self.status = status
        self.message = message
        self.body = body
        self.request_id = request_id
        super(ApiError, self).__init__(self.describe())

    def describe(self):
        parts = [self.call, "failed"]
        if self.status is not None:
            parts.append("with HTTP %s" % self.status)
        text = " ".join(parts)
        if self.message:
            text += ": %s" % self.message
        if self.request_id:
            text += " (request id %s)" % self.request_id
        return text


class WaitTimeout(ApiError):
    """Polling gave up before the resource reached the wanted state."""


class UncertainWrite(ApiError):
    """A write (create or delete) may or may not have been carried out.

    Raised when a ``POST`` or ``DELETE`` timed out after it was sent, or got a
    5xx answer: the server may have acted on it, so the client never sends it
    again.  The caller looks the resource up by its idempotence key instead
    (see :meth:`ResourceModule.create_or_adopt` and
    :meth:`ResourceModule.delete_or_confirm`).
    """

    def describe(self):
        return "%s; the request may have been carried out, so it was not sent again" % (
            super(UncertainWrite, self).describe())


#: messages of network errors raised before a request could be sent
_NOT_SENT_MARKERS = (
    "connection refused",
    "errno 111",
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name resolution",
)


def never_sent(error_text):
    """True when a network error text says the request never left (connection
    refused, host name not resolved): such a request may be sent again."""
    text = str(error_text or "").lower()
    return any(marker in text for marker in _NOT_SENT_MARKERS)


def normalise(value):
    """Make values comparable: sort lists of scalars, drop ``None`` values
    from dictionaries, recurse into containers."""
    if isinstance(value, dict):
        return dict((k, normalise(v)) for k, v in value.items() if v is not None)
    if isinstance(value, (list, tuple)):
        items = [normalise(v) for v in value]
        try:
            return sorted(items)
        except TypeError:
            # lists of dicts: order by their canonical text form
            return sorted(items, key=repr)
    return value


def changed_keys(desired, current, keys=None):
    """Names of the keys whose desired value differs from the current one.

    Only keys present (and not ``None``) in ``desired`` are compared: an
    option the user left out is never a change.
    """
    names = keys if keys is not None else desired.keys()
    out = []
    for key in names:
        want = desired.get(key)
        if want is None:
            continue
        if normalise(want) != normalise((current or {}).get(key)):
            out.append(key)
    return sorted(out)


def curated(raw, **fields):
    """The resource as a module returns it: ``fields`` (the collection's own
    names, the same for every provider: ``id``, ``name``, ``region``,
    ``status``, ``public_ipv4``, ``public_ipv6``, ``private_ipv4``, ``tags``
    where they apply, plus names of the resource's own), and ``raw``, the
    provider's full object.  An empty or missing resource gives ``{}``."""
    if not raw:
        return {}
    out = dict(fields)
    out["raw"] = raw
    return out


def state_argument_spec():
    """The ``state`` option of every present/absent module."""
    return dict(state=dict(type="str", default="present", choices=["present", "absent"]))


class ResourceModule:
    """Base class of the resource modules: the present/absent flow, check and
    diff mode, writes of unknown outcome, and errors."""

    #: name of the key under which the resource is returned (``droplet``...)
    resource_name = "resource"

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.result = {"changed": False}
        self._before = None
        self._after = None

    # -- state ---------------------------------------------------------------
    @property
    def check_mode(self):
        return self.module.check_mode

    def will_write(self):
        """Record a change; return True when the write may really be sent."""
        self.result["changed"] = True
        return not self.check_mode

    def set_diff(self, before, after):
        self._before = copy.deepcopy(before) if before is not None else {}
        self._after = copy.deepcopy(after) if after is not None else {}

    def set_resource(self, resource):
        self.result[self.resource_name] = self.curate(resource) if resource else resource

    def curate(self, resource):
        """The returned form of ``resource`` (see :func:`curated`); the
        provider's object unchanged by default."""
        return resource

    # -- the same helpers for every provider ---------------------------------
    def wait_settings(self):
        """``timeout`` and ``interval`` of every wait, from the options."""
        return dict(timeout=self.params.get("wait_timeout", 900), interval=self.params.get("poll_interval", 5.0))

    def wait_until(self, what, fetch, ready, failed=None):
        """Call ``fetch()`` until ``ready(value)``; ``failed(value)`` stops
        early.  ``what`` names the call in messages.  Returns the last value."""
        raise NotImplementedError

    def one_match(self, items, what):
        """The only item of ``items``, ``None`` when there is none; several
        are an error, the module never guesses which one to manage."""
        raise NotImplementedError

    # -- writes that may have reached the server ----------------------------
    def create_or_adopt(self, send, lookup, what):
        """``send()`` a create; when its outcome is unknown, adopt what
        ``lookup()`` finds by the resource's idempotence key.

        ``send`` returns the created resource; ``lookup`` returns the resource
        or ``None``.  The create is never sent twice: when the lookup finds
        nothing, the module fails naming the call and its status.
        """
        try:
            return send()
        except UncertainWrite as error:
            found = lookup()
            if found is None:
                raise ApiError(error.call, error.status, "%s; no %s was found afterwards, and the request was not "
                               "sent again to avoid a duplicate: check the account, then run again"
                               % (error.message or "no answer", what), body=error.body,
                               request_id=error.request_id) from None
            self.module.warn("%s: %s; the %s it creates exists and was adopted"
                             % (error.call, error.message or "no answer", what))
            return found

    def delete_or_confirm(self, send, lookup, what):
        """``send()`` a delete; when its outcome is unknown, ``lookup()`` the
        resource: gone is success, still there fails naming the call."""
        try:
            return send()
        except UncertainWrite as error:
            if lookup() is not None:
                raise ApiError(error.call, error.status, "%s; the %s still exists (its deletion may still be in "
                               "progress): run again to confirm" % (error.message or "no answer", what),
                               body=error.body, request_id=error.request_id) from None
            return None

    # -- errors --------------------------------------------------------------
    def fail(self, msg, **kwargs):
        self.module.fail_json(msg=msg, **kwargs)

    def fail_api(self, error):
        details = {}
        if error.status is not None:
            details["status"] = error.status
        if error.body is not None:
            details["body"] = error.body
        self.module.fail_json(msg=error.describe(), call=error.call, **details)

    # -- the present/absent flow ----------------------------------------------
    # A subclass that describes its resource with the hooks below gets the
    # whole flow from :meth:`run`: look the resource up, compare, create,
    # update or delete it (never in check mode), wait, and return it with a
    # diff.  A subclass with a flow of its own overrides :meth:`run` instead.

    def label(self):
        """How messages name the resource (``"database shop"``)."""
        return self.resource_name

    def validate(self):
        """Check the input before the first request; fail naming the option."""

    def lookup(self):
        """The current resource, or ``None`` when it does not exist."""
        raise NotImplementedError

    def desired(self):
        """The wanted state, as a create request sends it."""
        return {}

    def view(self, resource):
        """The part of a resource shown in the diff."""
        return resource

    def create(self, desired):
        """Send the create; return the new resource."""
        raise NotImplementedError

    def planned(self, desired):
        """What check mode returns for a resource it would create."""
        return desired

    def creation(self, desired):
        """The create request built from ``desired``, once
        :meth:`check_create` accepted it: defaults that only apply to a new
        resource go here, so that they are never compared with a live one."""
        return desired

    #: the keys of :meth:`desired` an update may change; each is compared only
    #: when it is set (an option left out never changes anything)
    updatable = ()

    def check_create(self, desired):
        """Fail, before any write, when ``desired`` cannot be created."""

    def differences(self, current, desired):
        """Names of what an update must change on ``current``."""
        return changed_keys(desired, current, self.updatable)

    def planned_update(self, current, desired, changes):
        """What check mode returns for a resource it would update."""
        planned = dict(current)
        planned.update((key, desired[key]) for key in changes)
        return planned

    def update(self, current, desired, changes):
        """Send the update of ``changes``; return the updated resource."""
        return current

    def delete(self, current):
        """Send the delete of ``current``."""
        raise NotImplementedError

    def lookup_deleted(self, current):
        """The resource if it still exists after a delete of unknown outcome."""
        return self.lookup()

    def wait(self, resource):
        """Wait until a created or updated resource is ready; return it."""
        return resource

    #: also :meth:`wait` for a resource that needs no change (outside check
    #: mode), so that the task returns it ready
    wait_unchanged = False

    def run(self):
        self.validate()
        current = self.lookup()
        if self.params.get("state") == "absent":
            self.ensure_absent(current)
        else:
            self.ensure_present(current)

    def ensure_present(self, current):
        desired = self.desired()
        if current is None:
            self.check_create(desired)
            desired = self.creation(desired)
            self.set_diff({}, self.view(desired))
            if self.will_write():
                resource = self.wait(self.create_or_adopt(lambda: self.create(desired), self.lookup,
                                                          self.label()))
            else:
                resource = self.planned(desired)
            self.set_resource(resource)
            return
        before = self.view(current)
        changes = self.differences(current, desired)
        after = dict(before)
        after.update(dict((key, value) for key, value in self.view(desired).items() if key in changes))
        self.set_diff(before, after)
        resource = current
        if changes:
            if self.will_write():
                resource = self.wait(self.update(current, desired, changes))
            else:
                resource = self.planned_update(current, desired, changes)
        elif self.wait_unchanged and not self.check_mode:
            resource = self.wait(current)
        self.set_resource(resource)

    def ensure_absent(self, current):
        self.set_diff(self.view(current) if current else {}, {})
        if current is not None and self.will_write():
            self.delete_or_confirm(lambda: self.delete(current), lambda: self.lookup_deleted(current),
                                   self.label())
        self.set_resource({})

    # -- entry point ---------------------------------------------------------

    def execute(self):
        try:
            self.run()
        except ApiError as error:
            self.fail_api(error)
        if self.module._diff and (self._before is not None or self._after is not None):
            self.result["diff"] = {"before": self._before, "after": self._after}
        self.module.exit_json(**self.result)


class ClusterChild(ResourceModule):
    """A named child of a managed database cluster (a database, a user),
    the same for every provider: the options, the messages, the check of the
    input, the diff and the present/absent hooks.

    A provider's subclass (mixed with its own ResourceModule subclass, which
    brings the client) says only how the children are addressed and fetched:

    * :meth:`path` -- the path of the collection, or of one child below it;
    * :meth:`fetch_child` -- one child by its key, ``None`` when absent;
    * :meth:`list_children` -- every child, when children are addressed by an
      id rather than by their name;
    * :meth:`unwrap` -- the child in the answer of a create.
    """

    #: the path segment below the cluster (``dbs``, ``users``, ``database``...)
    collection = None
    #: how messages name one (``database``, ``database user``)
    noun = None
    #: the key that holds the name in the API's answers
    name_field = "name"
    #: the key that addresses one child in a path (its name, or an id)
    key_field = "name"

    @classmethod
    def child_argument_spec(cls):
        """``cluster_id``, ``name`` and ``state``."""
        spec = state_argument_spec()
        spec.update(
            cluster_id=dict(type="str", required=True),
            name=dict(type="str", required=True),
        )
        return spec

    # -- provider-specific ----------------------------------------------------
    def path(self, *rest):
        """The collection's path, or the path of ``rest`` below it."""
        raise NotImplementedError

    def fetch_child(self, key):
        """The child addressed by ``key``, ``None`` when it does not exist."""
        raise NotImplementedError

    def list_children(self):
        """Every child of the cluster (only used when children are addressed
        by an id, not by their name)."""
        raise NotImplementedError

    def unwrap(self, answer):
        """The child in the answer of a create."""
        return answer

    # -- the same for every provider --------------------------------------------
    def child_key(self, resource):
        return resource.get(self.key_field)

    def label(self):
        return "%s %s" % (self.noun, self.params["name"])

    def validate(self):
        for option in ("name", "cluster_id"):
            if not (self.params.get(option) or "").strip():
                self.fail("%s must not be empty" % option)

    def lookup(self):
        name = self.params["name"]
        if self.key_field == self.name_field:
            return self.fetch_child(name)
        found = [child for child in self.list_children() if child and child.get(self.name_field) == name]
        return self.one_match(found, "%ss named %r" % (self.noun, name))

    def desired(self):
        return {"name": self.params["name"]}

    def view(self, resource):
        return {"name": resource.get(self.name_field, resource.get("name"))}

    def planned(self, desired):
        return {self.name_field: desired["name"]}

    def create(self, desired):
        return self.unwrap(self.client.post(self.path(), desired))

    def delete(self, current):
        self.client.delete(self.path(self.child_key(current)))

    def lookup_deleted(self, current):
        return self.fetch_child(self.child_key(current))
