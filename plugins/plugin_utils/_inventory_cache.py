# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The cache handling both cloud inventory plugins share (internal)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def cached_fetch(plugin, path, cache, fetch):
    """Return the provider's host list for ``path``, through the plugin cache.

    ``cache`` is the argument ``parse`` received: ``False`` means the user
    asked for a refresh (``--flush-cache``). The list comes from the cache
    when the ``cache`` option is on and it holds one; otherwise ``fetch()`` is
    called and, with the option on, its result is stored.
    """
    cache_key = plugin.get_cache_key(path)
    use_cache = plugin.get_option("cache") and cache
    update_cache = plugin.get_option("cache") and not cache
    hosts = None
    if use_cache:
        try:
            hosts = plugin._cache[cache_key]
        except KeyError:
            update_cache = True
    if hosts is None:
        hosts = fetch()
    if update_cache:
        plugin._cache[cache_key] = hosts
    return hosts
