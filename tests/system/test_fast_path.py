"""test_fast_path.py - system tests of the passdb module's Redis fast path
(`config=`, docs/AUTH-MODULE.md): a user with a live assignment is routed from
Redis without a director, and everything a director must decide (new users,
moves, unusable backends) is never decided by the module.  The module reuses
an answer for route_cache_ttl (2 s here); hbctl's moves and downs wait that
long before they kick, and the tests that change Redis behind hbctl's back
wait it out too.  A health event published on hb:events drops cached answers
at once, and answers are cached only while the module is subscribed there.
The proxies here have
no director at all (their socket path does not exist), so any login that needs
a director fails and shows that the module did not route it on its own.  Each
test's docstring says on its first line what it proves; each repairs what it
breaks.
"""

import os
import select
import socket
import subprocess
import threading
import time

import pytest

import clients
import harness
from cluster import PREFIX, user

FAST_IP = "127.0.0.15"
SUB_IP = "127.0.0.31"
MUTED_IP = "127.0.0.32"
SUB_USER = "hb-subtest"        # the Redis user of proxy psub alone
EVENTS = PREFIX + "events"


def _start_fast_proxy(cluster, name, ip, edit=None):
    """A proxy on the fast path whose director socket leads nowhere, reading
    director d1's configuration for Redis, or a copy of it whose lines EDIT
    (line -> line) changes."""
    env = cluster.env
    conf = cluster.directors[0].conf_path
    if edit is not None:
        with open(conf) as f:
            text = "".join(edit(line) for line in f)
        d = os.path.join(env.root, name + "-redis")
        os.makedirs(d, exist_ok=True)
        conf = harness.write(os.path.join(d, "hummingbird.conf"), text)
    nowhere = os.path.join(env.root, "no-director", "director.sock")
    return env.add(harness.DovecotProxy(env, name, ip, nowhere, timeout_ms=3000,
                                        redis_config=conf)).start()


@pytest.fixture(scope="module")
def fast(cluster):
    """A proxy that reads director d1's configuration for Redis and whose
    director socket leads nowhere."""
    p = _start_fast_proxy(cluster, "pfast", FAST_IP)
    yield p
    p.stop()


@pytest.fixture(scope="module")
def sub(cluster):
    """Like `fast`, but connecting to Redis as a user of its own, so that its
    subscription can be told apart from the other proxies', killed and
    refused."""
    password = os.urandom(16).hex()
    secret = harness.write(os.path.join(cluster.env.root, "psub-password"), password + "\n",
                           mode=0o600)
    cluster.redis("ACL", "SETUSER", SUB_USER, "reset", "on", ">" + password, "~*",
                  "&" + EVENTS, "+@all")
    identity = "redis_user = %s\nredis_password_file = %s\n" % (SUB_USER, secret)

    def as_sub_user(line):
        if line.startswith(("redis_user", "redis_password_file")):
            return ""
        return identity + line if line.startswith("redis_host") else line

    p = _start_fast_proxy(cluster, "psub", SUB_IP, as_sub_user)
    yield p
    p.stop()
    cluster.redis("ACL", "DELUSER", SUB_USER)


class MutedEvents:
    """A TCP relay to Redis that passes everything but what Redis sends on a
    connection after confirming its SUBSCRIBE: a module behind it believes it
    is subscribed and caches answers, but hears no event, as over a half-open
    connection that never reports its loss."""

    def __init__(self, host, port):
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.socks = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
                server = socket.create_connection(self.target)
            except OSError:
                return
            self.socks += [client, server]
            threading.Thread(target=self._relay, args=(client, server), daemon=True).start()

    @staticmethod
    def _relay(client, server):
        subscribing = muted = False
        try:
            while True:
                ready, _, _ = select.select([client, server], [], [])
                for src in ready:
                    data = src.recv(65536)
                    if not data:
                        return
                    if src is client:
                        subscribing = subscribing or b"SUBSCRIBE" in data.upper()
                        server.sendall(data)
                    elif not muted:
                        client.sendall(data)
                        muted = subscribing and b"subscribe" in data
        except OSError:
            return
        finally:
            client.close()
            server.close()

    def close(self):
        self.listener.close()
        for sock in self.socks:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


@pytest.fixture(scope="module")
def muted(cluster):
    """Like `fast`, but its Redis connections go through MutedEvents: it
    caches answers and never hears a health event."""
    relay = MutedEvents(cluster.redis.host, cluster.redis.port)
    p = _start_fast_proxy(cluster, "pmuted", MUTED_IP, lambda line: (
        "redis_port = %d\n" % relay.port if line.startswith("redis_port") else line))
    # its first lookup opens the subscription; answers are cached once it is
    # confirmed, a moment later
    w = user("mutedwarm", 1)
    home = cluster.imap(w)
    assert clients.imap_login(p.imap, w) == home
    time.sleep(0.5)
    yield p
    p.stop()
    relay.close()


def _sub_subscribed(cluster):
    """Whether psub's auth process has a connection subscribed to hb:events."""
    listed = cluster.redis("CLIENT", "LIST", "TYPE", "pubsub")
    fields = [dict(f.split("=", 1) for f in line.split() if "=" in f)
              for line in listed.splitlines()]
    return any(f.get("user") == SUB_USER and f.get("sub") == "1" for f in fields)


def _wait_sub_subscribed(cluster, sub, timeout=10):
    deadline = time.monotonic() + timeout
    while not _sub_subscribed(cluster):
        assert time.monotonic() < deadline, harness.tail(sub.log_path, 30)
        time.sleep(0.05)
    # the acknowledgement is read within a moment of Redis counting it
    time.sleep(0.1)


def _cache_ttl(cluster):
    return int(cluster.redis("HGET", PREFIX + "routing", "route_cache_ttl_ms")) / 1000.0


def _forget_cached(cluster):
    """Wait until the module's cached answers have expired."""
    time.sleep(_cache_ttl(cluster) + 0.3)


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
    assert cluster.redis("HGET", PREFIX + "routing", "route_cache_ttl_ms") == "2000"
    cluster.redis("DEL", PREFIX + "routing")
    deadline = time.monotonic() + 5
    while cluster.redis("HGET", PREFIX + "routing", "user_expire") != "900":
        assert time.monotonic() < deadline, "P routing was not published again"
        time.sleep(0.1)


def test_assigned_users_log_in_without_any_director(cluster, fast):
    """An assigned user logs in over IMAP and POP3 through a proxy without a director, on its backend, also in upper case; the login leaves the assignment's idle expiry alone (the fast path is read-only: only directors restart it)."""
    u = user("fastpath", 1)
    home = cluster.imap(u)                     # assigned through p1 and d1
    cluster.redis("EXPIRE", PREFIX + "user:" + u, "100")
    assert clients.imap_login(fast.imap, u) == home
    assert 0 < int(cluster.redis("TTL", PREFIX + "user:" + u)) <= 100
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
    _forget_cached(cluster)
    try:
        _refused(fast.imap, u)
    finally:
        cluster.redis("HSET", PREFIX + "backend:" + home, "state", "up")
    assert cluster.assigned(u) == home
    assert clients.imap_login(fast.imap, u) == home


def test_cached_answer_is_used_for_at_most_route_cache_ttl(cluster, fast):
    """An answer from Redis is reused (Dovecot's stats count path "cache") until route_cache_ttl after it was asked, and not after: a change made behind hbctl's back shows within that time."""
    u = user("fastcache", 1)
    home = cluster.imap(u)
    ttl = _cache_ttl(cluster)
    t0 = time.monotonic()
    assert clients.imap_login(fast.imap, u) == home      # from Redis, kept
    t1 = time.monotonic()       # the module asked Redis between t0 and t1
    key = PREFIX + "move:" + u
    cluster.redis("SET", key, home, "EX", "30")
    try:
        assert clients.imap_login(fast.imap, u) == home  # from the cache
        assert time.monotonic() - t0 < ttl, "too slow to see the cache"
        assert "hummingbird_route_cache_" + home in _stats(fast)
        time.sleep(max(0.0, t1 + ttl + 0.05 - time.monotonic()))
        _refused(fast.imap, u)
    finally:
        cluster.redis("DEL", key)
    assert clients.imap_login(fast.imap, u) == home


def test_hbctl_move_and_down_outwait_cached_answers(cluster, fast):
    """With the user's answer freshly cached, `hbctl user move` and `hbctl backend down` take at least route_cache_ttl, and the very next login lands on the new backend, never on the old one."""
    ttl = _cache_ttl(cluster)
    u = user("fastcmove", 1)
    home = cluster.imap(u)
    new = next(n for n in sorted(cluster.backends) if n != home)
    assert clients.imap_login(fast.imap, u) == home      # cached now
    t0 = time.monotonic()
    cluster.hbctl_ok("user", "move", u, new)
    assert time.monotonic() - t0 >= ttl
    assert clients.imap_login(fast.imap, u) == new

    v = user("fastcdown", 1)
    victim = cluster.imap(v)
    assert clients.imap_login(fast.imap, v) == victim    # cached now
    t0 = time.monotonic()
    try:
        cluster.hbctl_ok("backend", "down", victim)
        assert time.monotonic() - t0 >= ttl
        # the fast path leaves a down backend's users to a director: this
        # proxy has none, so the login fails instead of landing on victim
        _refused(fast.imap, v)
        landed = cluster.imap(v)
        assert landed != victim
        assert clients.imap_login(fast.imap, v) == landed
    finally:
        cluster.hbctl_ok("backend", "up", victim)


def _open_until_refused(cluster, fast, u, victim, conns):
    """Open sessions of U through the fast proxy, kept open, until it refuses;
    returns how many were opened after Redis said VICTIM failed, i.e. only
    through an answer cached before the failure."""
    after_failure = 0
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        failed = cluster.backend_state(victim).get("health") == "failed"
        try:
            landed, conn = clients.imap_login(fast.imap, u, keep=True, source="127.0.0.90")
        except clients.LoginFailed as e:
            print("refused after %d sessions from the cache: %s" % (after_failure, e))
            return after_failure
        assert landed == victim
        if failed:
            # kept open: the kick must find it (at most 8 in 2s, below
            # Dovecot's 10 connections per user and address)
            conns.append(conn)
            after_failure += 1
        else:
            conn.close()
        time.sleep(0.25)
    raise AssertionError("the fast proxy still routed %s to %s after 15s" % (u, victim))


def _wait_unfenced(cluster, victim):
    deadline = time.monotonic() + 20
    while cluster.backend_state(victim).get("fence_until", "0") not in ("0", None):
        assert time.monotonic() < deadline, "fence of %s not lifted" % victim
        time.sleep(0.1)


def test_failover_kick_outwaits_cached_answers(cluster, muted):
    """A backend fails its health checks (LMTP) while its IMAP port still serves: sessions that a proxy deaf to hb:events (as over a half-open subscription) opened there after the failure, from an answer cached before it, are kicked too, because the director waits route_cache_ttl before kicking; none is left when the fence is lifted."""
    fast = muted
    u = user("fastcfail", 1)
    # the cached answer may expire just as the backend fails: then nothing
    # went through the cache after the failure and the round proves nothing
    victim = None
    for attempt in range(4):
        if victim is not None:
            # a director moves the failed backend's users once its fence is over
            deadline = time.monotonic() + 5
            while cluster.assigned(u) == victim and time.monotonic() < deadline:
                time.sleep(0.1)
        victim = cluster.imap(u)
        be = cluster.backends[victim]
        key = PREFIX + "backend:" + victim
        conns = []
        try:
            assert clients.imap_login(fast.imap, u) == victim
            cluster.redis("HSET", key, "lmtp_port", harness.free_port(be.ip))
            after_failure = _open_until_refused(cluster, fast, u, victim, conns)
            cluster.wait_health(victim, "failed", timeout=10)
            _wait_unfenced(cluster, victim)
            assert be.sessions(u) == 0, "%d sessions of %s left on %s after the failover kick" % (
                be.sessions(u), u, victim)
            assert all(c.read_eof(5) for c in conns), "a session was not disconnected"
        finally:
            for c in conns:
                c.close()
            cluster.redis("HSET", key, "lmtp_port", be.lmtp_port)
            cluster.wait_health(victim, "ok")
            cluster.wait_directors_see_all_up()
        if after_failure > 0:
            print("attempt %d: %d sessions opened from the cache after the failure, all kicked"
                  % (attempt + 1, after_failure))
            return
    raise AssertionError("no login went through a cached answer after the failure in 4 attempts")


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
    assert "hummingbird_route_cache_" + home in text, text
    text = _stats(cluster.proxies[1])
    assert "hummingbird_route_director_" + home in text, text


def _reassign_behind_hbctl(cluster, u, name):
    """user:U names NAME, straight in Redis (TTL and users: sets left alone)."""
    assert cluster.redis("SET", PREFIX + "user:" + u, name, "KEEPTTL") == "OK"


def _repair_assignment(cluster, u, home, other):
    _reassign_behind_hbctl(cluster, u, home)
    cluster.redis("ZREM", PREFIX + "users:" + other, u)


def _cache_answer(cluster, sub, u, first, now, timeout=15):
    """Have psub cache FIRST as U's answer and prove it: with user:U then
    pointed at NOW behind the cache's back, U still lands on FIRST.  Returns
    the time before the login that asked Redis (the answer's TTL counts from
    later).  Retried (after the TTL) while psub does not cache yet, e.g. when
    it has not read Redis' confirmation of its SUBSCRIBE."""
    deadline = time.monotonic() + timeout
    while True:
        _reassign_behind_hbctl(cluster, u, first)
        asked = time.monotonic()
        if clients.imap_login(sub.imap, u) == first:
            _reassign_behind_hbctl(cluster, u, now)
            if clients.imap_login(sub.imap, u) == first:
                return asked
        assert time.monotonic() < deadline, "psub does not cache: %s" % harness.tail(
            sub.log_path, 20)
        _forget_cached(cluster)


def _lands_on_before(sub, u, want, deadline):
    """Log U in until it lands on WANT (the auth process acts on an event as
    soon as it has read it, which on a loaded machine can be a moment after
    Redis answered the PUBLISH); True if one did before DEADLINE."""
    while True:
        if clients.imap_login(sub.imap, u) == want:
            return time.monotonic() < deadline
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def test_health_event_drops_cached_answers_at_once(cluster, sub):
    """`PUBLISH hb:events "backend NAME"` makes the next login follow Redis well within route_cache_ttl, where without it the cached answer naming NAME is used; "all" drops every answer, and messages about other backends or of unknown kinds drop none."""
    ttl = _cache_ttl(cluster)
    u = user("fastevent", 1)
    home = cluster.imap(u)                              # assigned through p1
    other = next(n for n in sorted(cluster.backends) if n != home)
    clients.imap_login(sub.imap, u)                     # psub subscribes
    _wait_sub_subscribed(cluster, sub)
    try:
        # (cached, then in Redis, the message that must drop the cached one)
        for first, now, message in ((home, other, "backend " + home), (other, home, "all")):
            asked = _cache_answer(cluster, sub, u, first, now)
            for ignored in ("backend " + now, "hello", "backend", "ALL",
                            "backend %s extra" % first):
                cluster.redis("PUBLISH", EVENTS, ignored)
            time.sleep(0.1)
            # without the event the cached answer is used...
            assert clients.imap_login(sub.imap, u) == first
            assert cluster.redis("PUBLISH", EVENTS, message) >= 1
            # ...and with it the next login asks Redis, long before the TTL
            assert _lands_on_before(sub, u, now, asked + ttl), \
                "%.2fs: the cached answer outlived %r" % (time.monotonic() - asked, message)
    finally:
        _repair_assignment(cluster, u, home, other)
    cluster.redis("PUBLISH", EVENTS, "all")


def _sub_log_count(sub, text):
    with open(sub.log_path, "rb") as f:
        return f.read().decode("utf-8", "replace").count(text)


def test_lost_subscription_clears_the_cache_until_it_is_back(cluster, sub):
    """When the module's subscription to hb:events is lost (killed, then refused by the ACLs) its cached answers are dropped at once and no answer is cached until it is subscribed again, the refusal is logged once with the ACL line to add, and once it is back answers are cached again."""
    ttl = _cache_ttl(cluster)
    u = user("fastsublost", 1)
    home = cluster.imap(u)
    other = next(n for n in sorted(cluster.backends) if n != home)
    clients.imap_login(sub.imap, u)
    _wait_sub_subscribed(cluster, sub)
    refusal = 'Redis refused SUBSCRIBE %s: NOPERM' % EVENTS
    hint = 'add "&%s +subscribe" to the ACL of Redis user %s' % (EVENTS, SUB_USER)
    refused_before = _sub_log_count(sub, refusal)
    try:
        asked = _cache_answer(cluster, sub, u, home, other)   # Redis says other
        # the channel is refused from now on: Redis drops the subscriber
        # itself; the kill makes sure
        cluster.redis("ACL", "SETUSER", SUB_USER, "resetchannels")
        cluster.redis("CLIENT", "KILL", "TYPE", "pubsub", "USER", SUB_USER)
        assert not _sub_subscribed(cluster)
        assert _lands_on_before(sub, u, other, asked + ttl), \
            "%.2fs: the cache outlived its subscription" % (time.monotonic() - asked)
        # not subscribed: every login asks Redis, none is cached (the module
        # tries again after 1, 2 ... s and is refused each time)
        deadline = time.monotonic() + 3.5
        flip = [home, other]
        while time.monotonic() < deadline:
            flip.reverse()
            _reassign_behind_hbctl(cluster, u, flip[0])
            assert clients.imap_login(sub.imap, u) == flip[0]
            assert clients.imap_login(sub.imap, u) == flip[0]
            time.sleep(0.2)
        text = harness.tail(sub.log_path, 200)
        assert _sub_log_count(sub, refusal) == refused_before + 1, text
        assert hint in text, text
        assert "logins are answered from Redis, but none is cached" in text, text
        # allowed again: subscribed again after the back-off, cached again
        cluster.redis("ACL", "SETUSER", SUB_USER, "&" + EVENTS)
        _wait_sub_subscribed(cluster, sub, timeout=40)
        last = flip[0]
        nxt = home if last == other else other
        asked = _cache_answer(cluster, sub, u, last, nxt)
        cluster.redis("PUBLISH", EVENTS, "backend " + last)
        assert _lands_on_before(sub, u, nxt, asked + ttl)
        assert "subscription to %s usable again" % EVENTS in harness.tail(sub.log_path, 200)
    finally:
        cluster.redis("ACL", "SETUSER", SUB_USER, "&" + EVENTS)
        _repair_assignment(cluster, u, home, other)
    cluster.redis("PUBLISH", EVENTS, "all")
