"""test_failover.py - system tests of the passdb module chained after an
authenticating passdb (docs/AUTH-MODULE.md, configuration 2), of its kept
connections to the director across a director restart, and of failover
fencing (docs/DESIGN.md, 4): a backend that fails its health checks while
still alive has its sessions kicked before its users move.  Each test's
docstring says on its first line what it proves; each repairs what it breaks.
"""

import concurrent.futures
import os
import threading
import time

import pytest

import clients
import harness
from cluster import PREFIX, user

PREFIX_USER = PREFIX + "user:"

CHAINED_IP = "127.0.0.12"
KEEP_IP = "127.0.0.13"
# the frontend's passwd-file; the proxy logs in to the backend with the
# client's password, so it is the backends' static password
CHAINED_USERS = {user("cfgtwo", i): "pass" for i in range(1, 4)}


def _log_since(path, offset):
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read().decode("utf-8", "replace")


def _size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _refused(addr, who, password, source):
    """Log in through ADDR expecting a refusal; returns the refusal text."""
    try:
        name = clients.imap_login(addr, who, password, source=source)
    except clients.LoginFailed as e:
        return str(e)
    raise AssertionError("login of %s with password %r succeeded (on %r)" % (who, password, name))


def _never_seen_by_backends(cluster, who, offsets):
    for name, be in cluster.backends.items():
        text = _log_since(be.log_path, offsets[name])
        assert who not in text, "backend %s saw the login of %s:\n%s" % (
            name, who, [line for line in text.splitlines() if who in line][:3])


# --------------------------------------- kept connections to the director ---

def _accepted(director):
    return director.metric("hummingbird_connections_accepted_total") or 0


def test_passdb_keeps_its_director_connection_and_resends_across_a_restart(cluster):
    """The passdb module sends many logins over one kept director connection; when that director dies with a lookup in flight, the lookup is resent to its replacement and the login succeeds."""
    env = cluster.env
    old = env.add(harness.Director(env, "dkeep", cluster.redis)).start()
    new = p = None
    try:
        cluster.wait_directors_see_all_up([old])
        p = env.add(harness.DovecotProxy(env, "pkeep", KEEP_IP, old.socket)).start()
        waiter = user("keeper", 0)
        home = clients.imap_login(p.imap, waiter)

        # 20 logins one after the other, then 30 at once: one connection
        before = _accepted(old)
        for i in range(20):
            assert clients.imap_login(p.imap, user("keeper", i % 5)) in cluster.backends
        with concurrent.futures.ThreadPoolExecutor(30) as pool:
            landed = list(pool.map(lambda i: clients.imap_login(p.imap, user("keeper", i)),
                                   range(30)))
        assert all(b in cluster.backends for b in landed), landed
        opened = _accepted(old) - before
        assert opened <= 2, "%d director connections for 50 logins (want them kept)" % opened

        # a replacement director takes over the socket path; the proxy's kept
        # connection still goes to the old one
        new = harness.Director(env, "dkeep2", cluster.redis)
        inode = os.stat(old.socket).st_ino
        new.socket = old.socket
        new.write_conf()
        env.add(new).start()
        assert os.stat(old.socket).st_ino != inode, "replacement did not bind the socket"
        log_offset = _size(p.log_path)

        # a login that waits in the old director (move hold), which then dies
        key = PREFIX + "move:" + waiter
        cluster.redis("SET", key, home, "EX", "20")
        try:
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                pending = pool.submit(clients.imap_login, p.imap, waiter, timeout=20)
                time.sleep(1.0)
                assert not pending.done(), "login did not wait for the move hold"
                assert (old.metric("hummingbird_lookup_waits_total") or 0) >= 1
                old.kill()
                time.sleep(1.0)
                assert not pending.done(), "login ended when its director died: %r" % (
                    pending.exception() or pending.result())
                cluster.redis("DEL", key)
                assert pending.result(timeout=10) == home
        finally:
            cluster.redis("DEL", key)
        assert (new.metric("hummingbird_lookups_total") or 0) >= 1
        assert _accepted(new) >= 1
        text = _log_since(p.log_path, log_offset)
        assert "director lookup" not in text, "proxy logged a failed lookup:\n%s" % text
        assert clients.imap_login(p.imap, waiter) == home
    finally:
        for svc in (p, new, old):
            if svc is not None:
                svc.stop()


# ------------------------------------------------- chained passdb (conf 2) ---

def test_chained_passdb_proxies_only_authenticated_users_and_never_serves_locally(cluster):
    """Config 2 (passdb with result_success = continue, then hummingbird with skip = unauthenticated): right password is proxied to the assigned backend; wrong password is refused at the proxy without asking the director; TEMPFAIL or a stopped director is a temporary failure, never a local login."""
    env = cluster.env
    d = env.add(harness.Director(env, "dchain", cluster.redis)).start()
    p = None
    try:
        cluster.wait_directors_see_all_up([d])
        p = env.add(harness.DovecotChainedProxy(env, "pchain", CHAINED_IP, d.socket,
                                                CHAINED_USERS)).start()
        good, wrong_pw, fresh = sorted(CHAINED_USERS)

        # right password: proxied to the backend the director assigns
        landed = clients.imap_login(p.imap, good, "pass")
        assert landed in cluster.backends, "IMAP ID named %r (not a backend)" % landed
        assert cluster.assigned(good) == landed
        assert cluster.where(good) == landed
        assert cluster.imap(good) == landed, "config-1 proxy disagrees"
        assert clients.imap_login(p.imap, good, "pass") == landed
        clients.pop3_login(p.pop3, good, "pass")

        # wrong password, and a user the frontend does not know (whose
        # password the backends would accept): refused at the proxy
        lookups = d.metric("hummingbird_lookups_total") or 0
        stranger = user("cfgtwostranger", 1)
        offsets = {n: _size(be.log_path) for n, be in cluster.backends.items()}
        for who, pw, src in ((wrong_pw, "wrong", "127.0.0.91"), (stranger, "pass", "127.0.0.92")):
            why = _refused(p.imap, who, pw, src)
            assert "AUTHENTICATIONFAILED" in why, "%s: %s" % (who, why)
            assert cluster.assigned(who) is None, "%s was routed by the director" % who
        assert (d.metric("hummingbird_lookups_total") or 0) == lookups, \
            "the director was asked for a login that failed its password check"
        time.sleep(0.3)             # let the backends write any log line
        for who in (wrong_pw, stranger):
            _never_seen_by_backends(cluster, who, offsets)

        # the director answers TEMPFAIL (no usable backend): temporary
        # failure for an assigned and for a new user, never a local login
        proxy_log = _size(p.log_path)
        for name in cluster.backends:
            cluster.hbctl_ok("backend", "down", name, timeout=30)
        try:
            assert d.lookup(fresh)[0] == "TEMPFAIL", d.lookup(fresh)
            for who, src in ((good, "127.0.0.93"), (fresh, "127.0.0.94")):
                why = _refused(p.imap, who, "pass", src)
                assert "UNAVAILABLE" in why, "%s: %s" % (who, why)
        finally:
            for name in cluster.backends:
                cluster.hbctl_ok("backend", "up", name)
        text = _log_since(p.log_path, proxy_log)
        assert "director answered TEMPFAIL" in text, text[-2000:]
        assert cluster.assigned(fresh) is None

        # the director stopped: temporary failure too
        d.stop()
        why = _refused(p.imap, good, "pass", "127.0.0.95")
        assert "UNAVAILABLE" in why, why
        text = _log_since(p.log_path, proxy_log)
        for who in (good, fresh):
            assert "imap(%s)" % who not in text, "the frontend served %s itself:\n%s" % (
                who, text[-2000:])
    finally:
        if p is not None:
            p.terminate()           # reaped with the others at the end
        d.stop()
        cluster.wait_directors_see_all_up()
    assert cluster.imap(good) == landed


# --------------------------------------------------------- failover fence ---

def _watch_sessions(cluster, u, victim, stop, seen):
    """Until STOP: poll doveadm who on every backend; note each time U has
    a session on VICTIM and on another backend at once."""
    while not stop.is_set():
        try:
            counts = {n: be.sessions(u) for n, be in cluster.backends.items()}
        except harness.ServiceError as e:
            seen["errors"].append(str(e))
            continue
        seen["polls"] += 1
        if counts[victim] and any(c for n, c in counts.items() if n != victim):
            seen["overlaps"].append(counts)
        stop.wait(0.05)


def _login_until_moved(cluster, u, victim, result, deadline):
    """Log U in again and again (keeping each session briefly) until a login
    lands on a backend other than VICTIM; records when, where, and how many
    sessions VICTIM still had at that moment.  Logins that land on VICTIM
    (its directors' tables still have the old port, or it has not failed
    yet) are closed and counted."""
    while time.monotonic() < deadline:
        try:
            name, conn = cluster.imap(u, proxy=1, keep=True, source="127.0.0.98")
        except clients.LoginFailed as e:
            result["errors"].append(str(e))
            time.sleep(0.05)
            continue
        if name == victim:
            result["on_victim"] += 1
            conn.close()
            time.sleep(0.05)
            continue
        result.update(at=time.monotonic(), backend=name, conn=conn,
                      victim_sessions=cluster.backends[victim].sessions(u))
        return


def test_failed_backend_sessions_are_kicked_before_its_users_move(cluster):
    """A backend that fails its health checks while alive gets its sessions kicked (doveadm API) before its users log in elsewhere; a user is never open on two backends."""
    u = user("fenced", 1)
    victim, conn = cluster.imap(u, proxy=0, keep=True)
    be = cluster.backends[victim]
    key = "hb:backend:" + victim
    logs = {d.name: _size(d.log_path) for d in cluster.directors}
    eof = {}
    watch = {"overlaps": [], "errors": [], "polls": 0}
    login = {"errors": [], "on_victim": 0}
    stop = threading.Event()
    threads = []
    try:
        assert be.sessions(u) >= 1
        # alive but failing: the health checks (and the proxy) use the IMAP
        # port in Redis, which now points at a closed port
        closed = harness.free_port(be.ip)
        assert not harness.port_open(be.ip, closed)
        t0 = time.monotonic()
        cluster.redis("HSET", key, "imap_port", closed)
        # keep logging the user in: on the victim until the directors see
        # the closed port, then refused, waiting during the fence, and
        # finally on another backend
        threads = [threading.Thread(target=lambda: eof.update(
                       closed=conn.read_eof(20), at=time.monotonic())),
                   threading.Thread(target=_watch_sessions,
                                    args=(cluster, u, victim, stop, watch)),
                   threading.Thread(target=_login_until_moved, args=(
                       cluster, u, victim, login, time.monotonic() + 20))]
        for t in threads:
            t.start()
        cluster.wait_health(victim, "failed", timeout=10)
        failed_after = time.monotonic() - t0
        threads[2].join(25)
        threads[0].join(20)
        stop.set()
        threads[1].join(10)

        assert eof.get("closed"), "the open session on %s was not disconnected" % victim
        assert "backend" in login, "%s could not log in again: %s" % (u, login["errors"][-3:])
        assert login["backend"] != victim, "%s logged in on failed %s" % (u, victim)
        assert login["victim_sessions"] == 0, "%s still had a session on %s when the login on %s succeeded" % (
            u, victim, login["backend"])
        assert eof["at"] <= login["at"], "new session on %s opened %.2fs before the old one on %s closed" % (
            login["backend"], eof["at"] - login["at"], victim)
        assert watch["polls"] > 0 and not watch["errors"], watch["errors"][:3]
        assert not watch["overlaps"], "%s open on two backends at once: %s" % (u, watch["overlaps"][:3])
        assert be.alive(), "%s was meant to stay up" % victim
        text = "".join(_log_since(d.log_path, logs[d.name]) for d in cluster.directors)
        assert "backend %s failed its health checks" % victim in text, text[-3000:]
        assert "backend %s: sessions kicked" % victim in text, text[-3000:]
        state = cluster.backend_state(victim)
        assert state.get("health") == "failed", state
        assert state.get("fence_until", "0") in ("0", None), "fence not lifted: %r" % state
        assert cluster.assigned(u) == login["backend"]
        assert cluster.where(u) == login["backend"]
        print("%s failed after %.1fs; kicked, new login on %s after %.1fs "
              "(before: %d logins on %s, %d refused)"
              % (victim, failed_after, login["backend"], login["at"] - t0,
                 login["on_victim"], victim, len(login["errors"])))
    finally:
        stop.set()
        for t in threads:
            t.join(20)
        conn.close()
        if login.get("conn") is not None:
            login["conn"].close()
        cluster.redis("HSET", key, "imap_port", be.imap_port)
        cluster.wait_health(victim, "ok")
        cluster.wait_directors_see_all_up()
    # back in service for new users, with its real port
    landed = cluster.imap(u, proxy=0)
    assert landed != victim and landed == cluster.assigned(u)


def test_user_move_refuses_when_its_hold_expired_during_the_kick(cluster):
    """`hbctl user move` fails and leaves the assignment unchanged when its move hold disappears before the commit."""
    u = user("holdlost", 1)
    old, conn = cluster.imap(u, proxy=0, keep=True)
    new = next(n for n in sorted(cluster.backends) if n != old)
    hold = "hb:move:" + u
    seen = {"deleted": False, "stop": False}

    def steal_hold():
        # the hold lives while hbctl kicks and polls doveadm `who`: make it
        # vanish as if it had expired, before hbctl commits
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not seen["deleted"] and not seen["stop"]:
            if cluster.redis("DEL", hold) == 1:
                seen["deleted"] = True
            time.sleep(0.002)

    thief = threading.Thread(target=steal_hold)
    thief.start()
    try:
        r = cluster.hbctl("user", "move", u, new, timeout=30)
    finally:
        seen["stop"] = True
        thief.join(25)
        conn.close()
    assert seen["deleted"], "the move hold was never seen in Redis"
    assert r.returncode != 0, "move succeeded without its hold: %s%s" % (r.stdout, r.stderr)
    assert cluster.assigned(u) == old, "assignment changed although the hold was lost"
    assert cluster.redis("EXISTS", hold) == 0


# ---------------------------------------------------------- session census ---

def _census_mismatches(cluster):
    return sum(d.metric("hummingbird_census_mismatches_total") or 0 for d in cluster.directors)


def _wait_for(what, check, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError("timed out after %.0fs waiting for %s" % (timeout, what))


def test_census_repins_an_expired_assignment_and_reports_a_user_open_elsewhere(cluster):
    """Session census (census_interval = 1s): a user whose assignment expired while an IMAP session stays open is pinned again to that session's backend, so a login through the other proxy lands there too; a user assigned to another backend than the one holding the session is logged and counted, and the assignment is left alone."""
    u = user("census", 1)
    home, conn = cluster.imap(u, proxy=0, keep=True)
    other = next(n for n in sorted(cluster.backends) if n != home)
    ukey = PREFIX_USER + u
    logs = {d.name: _size(d.log_path) for d in cluster.directors}
    try:
        assert cluster.backends[home].sessions(u) >= 1
        # the assignment expires (user_expire after the last login) while
        # the session stays open
        cluster.redis("DEL", ukey)
        cluster.redis("ZREM", "hb:users:" + home, u)
        _wait_for("the census to pin %s to %s again" % (u, home),
                  lambda: cluster.assigned(u) == home, 10)
        assert 0 < cluster.redis("TTL", ukey) <= 15 * 60
        assert cluster.redis("ZSCORE", "hb:users:" + home, u) is not None
        assert cluster.imap(u, proxy=1) == home, "login through the other proxy left %s" % home
        assert cluster.backends[home].sessions(u) >= 1, "the long session was lost"

        # assigned elsewhere while the session is open on HOME: reported
        before = _census_mismatches(cluster)
        cluster.redis("SET", ukey, other, "EX", 900)
        _wait_for("hummingbird_census_mismatches_total to grow",
                  lambda: _census_mismatches(cluster) > before, 10)
        needle = "user %s has sessions on %s but is assigned to %s" % (u, home, other)
        _wait_for("the mismatch in a director's log", lambda: any(
            needle in _log_since(d.log_path, logs[d.name]) for d in cluster.directors), 5)
        assert cluster.assigned(u) == other, "the census changed a live assignment"
        runs = sum(d.metric("hummingbird_census_runs_total") or 0 for d in cluster.directors)
        assert runs >= 2
        sessions = sum(d.metric("hummingbird_census_sessions") or 0 for d in cluster.directors)
        assert sessions >= 1
    finally:
        cluster.redis("SET", ukey, home, "EX", 900)
        conn.close()
    assert cluster.imap(u, proxy=0) == home
