"""test_fast_path.py - system tests of the passdb module's Redis fast path
(`config=`, docs/AUTH-MODULE.md): a user with a live assignment is routed from
Redis without a director, and everything a director must decide (new users,
moves, unusable backends) is never decided by the module.  The proxy here has
no director at all (its socket path does not exist), so any login that needs a
director fails and shows that the module did not route it on its own.  Each
test's docstring says on its first line what it proves; each repairs what it
breaks.
"""

import os
import subprocess
import time

import pytest

import clients
import harness
from cluster import PREFIX, user

FAST_IP = "127.0.0.15"


@pytest.fixture(scope="module")
def fast(cluster):
    """A proxy that reads director d1's configuration for Redis and whose
    director socket leads nowhere."""
    env = cluster.env
    nowhere = os.path.join(env.root, "no-director", "director.sock")
    p = env.add(harness.DovecotProxy(env, "pfast", FAST_IP, nowhere, timeout_ms=3000,
                                     redis_config=cluster.directors[0].conf_path)).start()
    yield p
    p.stop()


def _refused(addr, who):
    try:
        landed = clients.imap_login(addr, who, timeout=15)
    except clients.LoginFailed as e:
        return str(e)
    raise AssertionError("%s logged in on %s without a director" % (who, landed))


def test_directors_publish_the_settings_the_fast_path_shares(cluster):
    """Every director writes user_expire and recipient_delimiter to P routing, and writes them back within seconds after they are deleted."""
    assert cluster.redis("HGET", PREFIX + "routing", "user_expire") == "900"
    assert cluster.redis("HGET", PREFIX + "routing", "recipient_delimiter") == "+"
    cluster.redis("DEL", PREFIX + "routing")
    deadline = time.monotonic() + 5
    while cluster.redis("HGET", PREFIX + "routing", "user_expire") != "900":
        assert time.monotonic() < deadline, "P routing was not published again"
        time.sleep(0.1)


def test_assigned_users_log_in_without_any_director(cluster, fast):
    """An assigned user logs in over IMAP and POP3 through a proxy without a director, on its backend, also in upper case, and the login refreshes the assignment's idle expiry."""
    u = user("fastpath", 1)
    home = cluster.imap(u)                     # assigned through p1 and d1
    cluster.redis("EXPIRE", PREFIX + "user:" + u, "100")
    assert clients.imap_login(fast.imap, u) == home
    assert int(cluster.redis("TTL", PREFIX + "user:" + u)) > 800
    # the first login of a fresh auth process learned the directors'
    # delimiter ("+") from the script's DELIM answer and was sent again
    assert clients.imap_login(fast.imap, u.upper()) == home
    clients.pop3_login(fast.pop3, u)
    assert cluster.assigned(u) == home


def test_fast_path_never_assigns_a_new_user(cluster, fast):
    """A user without an assignment is refused by a proxy without a director and stays unassigned: only a director assigns."""
    u = user("fastnew", 1)
    assert cluster.assigned(u) is None
    _refused(fast.imap, u)
    assert cluster.assigned(u) is None
    home = cluster.imap(u)
    assert clients.imap_login(fast.imap, u) == home


def test_fast_path_leaves_moves_and_unusable_backends_to_a_director(cluster, fast):
    """While a user's move hold exists, or its backend is down, the fast path does not route it (the director would wait or reassign); afterwards it does again."""
    u = user("fastmove", 1)
    home = cluster.imap(u)
    key = PREFIX + "move:" + u
    cluster.redis("SET", key, home, "EX", "30")
    try:
        _refused(fast.imap, u)
    finally:
        cluster.redis("DEL", key)
    assert clients.imap_login(fast.imap, u) == home

    cluster.redis("HSET", PREFIX + "backend:" + home, "state", "maintenance")
    try:
        _refused(fast.imap, u)
    finally:
        cluster.redis("HSET", PREFIX + "backend:" + home, "state", "up")
    assert cluster.assigned(u) == home
    assert clients.imap_login(fast.imap, u) == home


def test_fast_path_falls_back_when_redis_answers_nothing_useful(cluster, fast):
    """A flushed script cache (NOSCRIPT) is handled by sending the script itself, and the login still lands on the user's backend."""
    u = user("fastscript", 1)
    home = cluster.imap(u)
    cluster.redis("SCRIPT", "FLUSH")
    assert clients.imap_login(fast.imap, u) == home
    assert clients.imap_login(fast.imap, u) == home


def _stats(proxy):
    out = subprocess.run(["doveadm", "-c", proxy.conf_path, "stats", "dump"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_dovecot_stats_count_logins_per_routing_path(cluster, fast):
    """Dovecot's own stats count routed logins per path and backend (event hummingbird_route_finished): "redis" for the fast path, "director" for a proxy without it."""
    u = user("faststats", 1)
    home = cluster.imap(u, proxy=1)             # p2: the director assigns
    for _ in range(3):
        assert clients.imap_login(fast.imap, u) == home
    text = _stats(fast)
    assert "hummingbird_route_redis_" + home in text, text
    text = _stats(cluster.proxies[1])
    assert "hummingbird_route_director_" + home in text, text
