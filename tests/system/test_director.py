"""test_director.py - system tests of the director end to end: real Redis,
three Dovecot backends, two hummingbird-director instances, two Dovecot
proxies using the hummingbird passdb, Postfix with the socketmap, and hbctl.
Each test's docstring says on its first line what it proves.  Tests that
break things (kill a backend, stop Redis) come last and repair what they broke.
"""

import collections
import concurrent.futures
import json
import os
import random
import signal
import socket
import subprocess
import time

import clients
import harness
from cluster import user

# refused logins earn their client address Dovecot's auth penalty (delays
# that grow with each failure): those tests connect from this address
PENALTY_SOURCE = "127.0.0.99"


def _login_many(cluster, jobs, workers=12):
    """Run IMAP logins [(user, proxy index)] in parallel.
    Returns ([(user, proxy, backend)], [(user, proxy, error)])."""
    ok, failed = [], []

    def one(job):
        u, p = job
        try:
            return u, p, cluster.imap(u, proxy=p), None
        except clients.LoginFailed as e:
            return u, p, None, str(e)

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        for u, p, be, err in pool.map(one, jobs):
            (failed if err else ok).append((u, p, err if err else be))
    return ok, failed


def _assign(cluster, prefix, count):
    """Log COUNT new users in once; returns {user: backend}."""
    ok, failed = _login_many(cluster, [(user(prefix, i), i % 2) for i in range(count)])
    assert not failed, "logins failed: %s" % failed[:5]
    return {u: be for u, _, be in ok}


def _by_backend(assignment):
    out = collections.defaultdict(list)
    for u, be in assignment.items():
        out[be].append(u)
    return out


# --------------------------------------------------------------- routing ---

def test_imap_and_pop3_land_on_assigned_backend(cluster):
    """IMAP and POP3 logins through the proxy land on the backend `hbctl user where` names."""
    for i in range(6):
        u = user("land", i)
        via_imap = cluster.imap(u, proxy=i % 2)
        assert via_imap in cluster.backends, "IMAP ID named %r" % via_imap
        assert cluster.where(u) == via_imap
        assert cluster.assigned(u) == via_imap
        via_pop3 = cluster.pop3(u, proxy=(i + 1) % 2)
        assert via_pop3 == via_imap, "%s: IMAP on %s, POP3 on %s" % (u, via_imap, via_pop3)
    for i in range(4):
        u = user("popfirst", i)
        landed = cluster.pop3(u, proxy=i % 2)
        assert cluster.where(u) == landed
        assert cluster.imap(u, proxy=(i + 1) % 2) == landed


def test_lookup_normalises_user_names(cluster):
    """A user's name in another case or with a +tag is routed like the plain name."""
    d1, d2 = cluster.directors
    base = d1.lookup("norm1@example.com")
    assert base[0] == "OK", base
    for name in ("NORM1@Example.COM", "norm1+folder@example.com", "Norm1+x@EXAMPLE.com"):
        for d in (d1, d2):
            reply = d.lookup(name, rid="n2")
            assert reply[0] == "OK" and reply[2:] == base[2:], (name, reply, base)
    utf8 = d1.lookup("j\u00fcrgen@example.com")
    assert utf8[0] == "OK", utf8
    for d in (d1, d2):
        assert d.lookup("J\u00fcrgen+tag@Example.com")[2:] == utf8[2:]


def test_all_services_of_a_user_share_one_backend(cluster):
    """LOOKUP for imap, pop3, lmtp and doveadm gives one backend, each with its own port."""
    d1 = cluster.directors[0]
    u = user("svc", 1)
    replies = {s: d1.lookup(u, service=s) for s in ("imap", "pop3", "lmtp", "doveadm")}
    names = {r[2] for r in replies.values() if r[0] == "OK"}
    assert len(names) == 1, replies
    be = cluster.backends[names.pop()]
    assert replies["imap"][3:] == [be.ip, str(be.imap_port)]
    assert replies["pop3"][3:] == [be.ip, str(be.pop3_port)]
    assert replies["lmtp"][3:] == [be.ip, str(be.lmtp_port)]
    assert replies["doveadm"][3:] == [be.ip, str(be.doveadm_port)]


def test_1000_logins_over_two_directors_never_split_a_user(cluster):
    """1000 logins of 200 users through two proxies/directors never put one user on two backends."""
    users = [user("spread", i) for i in range(200)]
    # first logins race: each user through both proxies at once
    jobs = [(u, p) for u in users for p in (0, 1)]
    rng = random.Random(4711)
    jobs += [(rng.choice(users), rng.randrange(2)) for _ in range(600)]
    t0 = time.monotonic()
    ok, failed = _login_many(cluster, jobs)
    elapsed = time.monotonic() - t0
    assert len(ok) + len(failed) == 1000
    assert not failed, "%d of 1000 logins failed, e.g. %s" % (len(failed), failed[:5])
    seen = collections.defaultdict(set)
    for u, _, be in ok:
        seen[u].add(be)
    split = {u: b for u, b in seen.items() if len(b) != 1}
    assert not split, "users on more than one backend: %s" % split
    per_backend = collections.Counter(next(iter(b)) for b in seen.values())
    for name in cluster.backends:
        assert per_backend[name] >= 30, "uneven spread %s" % per_backend
    for u in users:
        assert cluster.assigned(u) == next(iter(seen[u])), u
    for u in users[:25]:
        assert cluster.where(u) == next(iter(seen[u])), u
    print("1000 logins in %.1fs, spread %s" % (elapsed, dict(per_backend)))


# ------------------------------------------------------ admin operations ---

def test_drain_keeps_existing_users_and_takes_no_new_ones(cluster):
    """After `hbctl backend drain`, its users still land on it and no new user does."""
    before = _assign(cluster, "drain", 45)
    victim, users = max(_by_backend(before).items(), key=lambda kv: len(kv[1]))
    cluster.hbctl_ok("backend", "drain", victim)
    try:
        assert cluster.backend_state(victim).get("state") == "draining"
        for i, u in enumerate(users):
            assert cluster.imap(u, proxy=i % 2) == victim, u
        after = _assign(cluster, "drainnew", 45)
        landed = [u for u, be in after.items() if be == victim]
        assert not landed, "new users placed on draining %s: %s" % (victim, landed)
    finally:
        cluster.hbctl_ok("backend", "undrain", victim)
    assert cluster.backend_state(victim).get("state") == "up"


def test_user_move_kicks_old_session_and_next_login_lands_on_new_backend(cluster):
    """`hbctl user move` disconnects the user's open session on the old backend; the next login lands on the new one."""
    u = user("mover", 1)
    old, conn = cluster.imap(u, proxy=0, keep=True)
    try:
        assert cluster.backends[old].sessions(u) >= 1
        new = next(n for n in sorted(cluster.backends) if n != old)
        t0 = time.monotonic()
        r = cluster.hbctl("user", "move", u, new, timeout=30)
        assert r.returncode == 0, "move failed (%d): %s%s" % (r.returncode, r.stdout, r.stderr)
        assert conn.read_eof(10), "old IMAP session was not disconnected"
        assert time.monotonic() - t0 < 15
    finally:
        conn.close()
    assert cluster.backends[old].sessions(u) == 0
    assert cluster.where(u) == new
    assert cluster.imap(u, proxy=1) == new
    assert cluster.imap(u, proxy=0) == new
    assert cluster.redis("EXISTS", "hb:move:" + u) == 0


def test_backend_down_kicks_its_sessions_and_moves_its_users(cluster):
    """`hbctl backend down` disconnects the backend's sessions and its users' next logins land elsewhere; `up` restores it."""
    assignment = _assign(cluster, "downed", 30)
    victim, users = max(_by_backend(assignment).items(), key=lambda kv: len(kv[1]))
    landed, conn = cluster.imap(users[0], proxy=0, keep=True)
    assert landed == victim
    try:
        r = cluster.hbctl("backend", "down", victim, timeout=30)
        assert r.returncode == 0, "backend down failed (%d): %s%s" % (r.returncode, r.stdout, r.stderr)
        assert conn.read_eof(10), "session on %s survived backend down" % victim
    finally:
        conn.close()
    try:
        assert cluster.backend_state(victim).get("state") == "down"
        assert cluster.backends[victim].sessions(users[0]) == 0
        for i, u in enumerate(users):
            landed, _ = cluster.retry_imap(u, proxy=i % 2, timeout=10)
            assert landed != victim, "%s still routed to down %s" % (u, victim)
            assert cluster.where(u) == landed
        fresh = _assign(cluster, "downnew", 20)
        assert victim not in fresh.values()
    finally:
        cluster.hbctl_ok("backend", "up", victim)
    assert cluster.backend_state(victim).get("state") == "up"
    assert victim in _assign(cluster, "upagain", 30).values()


def test_login_waits_while_a_move_is_in_progress(cluster):
    """While move:USER exists a login of USER waits (bounded: TEMPFAIL after lookup_wait_timeout) and proceeds once it is gone."""
    u = user("waiter", 1)
    home = cluster.imap(u)
    key = "hb:move:" + u
    cluster.redis("SET", key, home, "EX", "20")
    try:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            t0 = time.monotonic()
            pending = pool.submit(cluster.imap, u, proxy=1, timeout=20)
            time.sleep(1.5)
            assert not pending.done(), "login did not wait for the move: %r" % (
                pending.result() if pending.exception() is None else pending.exception())
            cluster.redis("DEL", key)
            assert pending.result(timeout=10) == home
            took = time.monotonic() - t0
            assert 1.5 <= took < 6, "login took %.1fs" % took
        cluster.redis("SET", key, home, "EX", "20")
        t0 = time.monotonic()
        reply = cluster.directors[0].lookup(u, timeout=20)
        took = time.monotonic() - t0
        assert reply[0] == "TEMPFAIL", reply
        assert 3 <= took <= 8, "TEMPFAIL after %.1fs (lookup_wait_timeout = 4s)" % took
    finally:
        cluster.redis("DEL", key)
    assert cluster.imap(u) == home


def test_user_kick_disconnects_open_session(cluster):
    """`hbctl user kick` disconnects the user's open proxied session and the user can log in again."""
    u = user("kicked", 1)
    be, conn = cluster.imap(u, proxy=1, keep=True)
    try:
        cluster.hbctl_ok("user", "kick", u)
        assert conn.read_eof(10), "session survived hbctl user kick"
    finally:
        conn.close()
    assert cluster.imap(u) == be


def test_backend_users_lists_assigned_users(cluster):
    """`hbctl backend users NAME` lists exactly the users whose assignment in Redis names NAME."""
    assignment = _assign(cluster, "listed", 12)
    for name in cluster.backends:
        r = cluster.hbctl("backend", "users", name, json_out=True)
        assert r.returncode == 0, r.stdout + r.stderr
        listed = json.loads(r.stdout)["users"]
        listed = {u if isinstance(u, str) else u.get("user") for u in listed}
        expected = cluster.users_on(name)
        assert {u for u, be in assignment.items() if be == name} <= listed
        assert listed == expected, "hbctl lists %d users for %s, Redis has %d; only hbctl: %s, only Redis: %s" % (
            len(listed), name, len(expected), sorted(listed - expected)[:5], sorted(expected - listed)[:5])


def test_health_lease_moves_when_its_director_dies(cluster):
    """One director holds the health-check lease; when it is killed another takes over within seconds and checks go on."""
    holder = cluster.redis("GET", "hb:lease:health")
    by_name = {d.name: d for d in cluster.directors}
    assert holder in by_name, "lease holder %r is not one of our directors" % holder
    dead = by_name[holder]
    dead.kill()
    try:
        t0 = time.monotonic()
        other = None
        while time.monotonic() - t0 < 8:
            other = cluster.redis("GET", "hb:lease:health")
            if other not in (None, holder):
                break
            time.sleep(0.1)
        assert other in by_name and other != holder, "lease still %r after 8s" % other
        stamp = {n: int(cluster.backend_state(n).get("health_time", 0)) for n in cluster.backends}
        time.sleep(2.5)
        for n in cluster.backends:
            state = cluster.backend_state(n)
            assert int(state.get("health_time", 0)) > stamp[n], "no health check of %s after takeover" % n
            assert state.get("health") == "ok", (n, state)
    finally:
        dead.start()
        cluster.wait_directors_see_all_up([dead])
    assert cluster.redis("GET", "hb:lease:health") in by_name
    assert cluster.imap(user("lease", 1), proxy=0) in cluster.backends


def test_hbctl_rejects_bad_requests_without_changing_state(cluster):
    """hbctl refuses unknown backends and invalid input with exit 1/2 and an error message, and changes nothing."""
    u = user("cli", 1)
    home = cluster.imap(u)
    cases = [
        (("user", "move", u, "nosuchbackend"), (1, 2)),
        (("backend", "drain", "nosuchbackend"), (1, 2)),
        (("backend", "weight", home, "5000"), (2,)),
        (("backend", "add", "bad name!", "127.0.0.9"), (2,)),
        (("backend", "add", "be9", "not-an-ip"), (2,)),
        (("user", "where", "bad user@example.com"), (1, 2)),
        (("no-such-command",), (2,)),
    ]
    for args, codes in cases:
        r = cluster.hbctl(*args)
        assert r.returncode in codes, "hbctl %s exited %d (want %s): %s%s" % (
            " ".join(args), r.returncode, codes, r.stdout, r.stderr)
        assert r.stderr.strip(), "hbctl %s failed without a message" % " ".join(args)
    assert cluster.where(u) == home
    assert cluster.imap(u) == home
    assert set(cluster.redis("SMEMBERS", "hb:backends")) == set(cluster.backends)
    assert cluster.backend_state(home).get("weight") == "100"


# ---------------------------------------------------------------- Postfix ---

def _send(postfix, rcpt, subject):
    clients.smtp_send(postfix.host, postfix.port, rcpt, subject)


def _wait_for_message(cluster, u, subject, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, be in cluster.backends.items():
            for path in be.messages(u):
                with open(path, errors="replace") as f:
                    if subject in f.read():
                        return name
        time.sleep(0.2)
    pf = cluster.postfix()
    raise AssertionError("message %r for %s not delivered within %ds; postfix log:\n%s"
                         % (subject, u, timeout, harness.tail(pf.log_path)))


def test_postfix_delivers_through_socketmap_to_users_backend(cluster):
    """Postfix delivers through the socketmap transport to the LMTP of the user's backend."""
    pf = cluster.postfix()
    known = user("mail", 1)
    home = cluster.imap(known)
    be = cluster.backends[home]
    reply = clients.socketmap_query(cluster.directors[0].socketmap, "transport", known)
    assert reply == "OK lmtp:inet:%s:%d" % (be.ip, be.lmtp_port), reply
    _send(pf, known, "subject-known-1")
    assert _wait_for_message(cluster, known, "subject-known-1") == home
    fresh = user("mail", 2)
    _send(pf, fresh, "subject-fresh-2")
    landed = _wait_for_message(cluster, fresh, "subject-fresh-2")
    assert cluster.where(fresh) == landed
    assert cluster.imap(fresh, proxy=1) == landed
    for name, other in cluster.backends.items():
        if name != landed:
            assert not other.messages(fresh), "copy of the message on %s" % name


# -------------------------------------------------------------- bad input ---

BAD_DIRECTOR_LINES = [
    (b"\x00\xff\xfe\x01garbage\n", None),
    (b"HELLO\n", None),
    (b"\n", None),
    (b"LOOKUP\n", None),
    (b"LOOKUP\tb1\n", None),
    (b"LOOKUP\tb2\timap\n", None),
    (b"LOOKUP\tbad id!\timap\tu1@example.com\n", None),
    (b"LOOKUP\t" + b"i" * 40 + b"\timap\tu1@example.com\n", None),
    (b"LOOKUP\t\timap\tu1@example.com\n", None),
    (b"LOOKUP\tb3\tgopher\tu1@example.com\n", "b3"),
    (b"LOOKUP\tb4\timap\tbad user@example.com\n", "b4"),
    (b"LOOKUP\tb5\timap\t" + b"a" * 300 + b"@example.com\n", "b5"),
    (b"LOOKUP\tb6\timap\t\xff\xfe@example.com\n", "b6"),
    (b"LOOKUP\tb7\timap\tctl\x01char@example.com\n", "b7"),
    (b"LOOKUP\tb8\timap\t\n", "b8"),
    (b"LOOKUP\tb9\timap\tu1@example.com\textra\n", None),
    (b"PING\n", None),
    (b"\r\n", None),
]


def _check_director_bad_line(addr, data, rid):
    c = clients.LineConn(addr, 10)
    try:
        c.send(data)
        reply = c.readline(10)
    finally:
        c.close()
    if reply is None:
        return                      # closed: acceptable
    fields = reply.split("\t")
    assert fields[0] in ("ERROR", "FAIL"), "%r got %r" % (data, reply)
    if rid is not None:
        assert fields[0] == "FAIL" and fields[1] == rid, "%r got %r" % (data, reply)
    assert len(fields) >= 3 and fields[2], "%r: reply without a reason: %r" % (data, reply)


def test_director_socket_rejects_bad_input_and_survives(cluster):
    """Garbage, malformed LOOKUPs and overlong lines on the director sockets get ERROR/FAIL or a close; the director keeps answering."""
    for d in cluster.directors:
        for addr in (d.socket, d.tcp):
            for data, rid in BAD_DIRECTOR_LINES:
                _check_director_bad_line(addr, data, rid)
            c = clients.LineConn(addr, 10)
            try:
                c.send(b"L" * 2000 + b"\n")
                assert c.readline(10) == "ERROR\t-\tline too long"
                assert c.read_eof(5), "connection not closed after an overlong line"
            finally:
                c.close()
            c = clients.LineConn(addr, 10)
            try:
                try:
                    c.send(b"x" * 200000)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                line = c.readline(10)
                assert line in (None, "ERROR\t-\tline too long"), line
                assert line is None or c.read_eof(5)
            finally:
                c.close()
            # pipelining still works on a fresh connection
            c = clients.LineConn(addr, 10)
            try:
                c.send("PING\tp1\nLOOKUP\tl1\timap\t%s\nPING\tp2\n" % user("bad", 1))
                replies = sorted(c.readline(10) for _ in range(3))
            finally:
                c.close()
            assert replies[1:] == ["PONG\tp1", "PONG\tp2"], replies
            assert replies[0].startswith("OK\tl1\t"), replies
        assert d.alive(), "%s died" % d.name
        assert clients.director_ping(d.socket)


BAD_SOCKETMAP = [
    b"hello world\n",
    b"abc:transport u1@example.com,",
    b"99999999999999:x,",
    b"5:abc",                       # truncated, then close
    b"3:abc,",
    b"9:transport,",
    b"23:nosuchmap u1@example.com,",
    b"22:transport u1@example.comX",   # missing comma
    b"0:,",
    b"-1:,",
]


def test_socketmap_rejects_bad_input_and_survives(cluster):
    """Malformed socketmap requests get a non-OK reply or a close; over 10000 bytes closes; the map keeps working."""
    d = cluster.directors[0]
    for data in BAD_SOCKETMAP:
        s = socket.create_connection(d.socketmap, timeout=10)
        try:
            s.sendall(data)
            if data == b"5:abc":
                s.shutdown(socket.SHUT_WR)
            try:
                reply = clients.read_netstring(s, 10)
            except (ValueError, ConnectionResetError):
                reply = None
        finally:
            s.close()
        assert reply is None or not reply.startswith("OK"), "%r got %r" % (data, reply)
        if reply is not None:
            assert reply.split(" ")[0] in ("NOTFOUND", "PERM", "TEMP"), (data, reply)
    s = socket.create_connection(d.socketmap, timeout=10)
    try:
        big = b"transport " + b"a" * 10050 + b"@example.com"
        try:
            s.sendall(clients.netstring(big))
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            reply = clients.read_netstring(s, 10)
        except (ValueError, ConnectionResetError):
            reply = None
        assert reply is None or not reply.startswith("OK"), reply
    finally:
        s.close()
    assert clients.socketmap_query(d.socketmap, "transport", "nodomain") == "NOTFOUND "
    ok = clients.socketmap_query(d.socketmap, "transport", user("bad", 2))
    assert ok.startswith("OK lmtp:inet:127.0.0."), ok
    name = clients.socketmap_query(d.socketmap, "backend", user("bad", 2))
    assert name.startswith("OK ") and name[3:] in cluster.backends, name
    assert d.alive()


# (request, True if it must get an error status or a close)
BAD_HTTP = [
    (b"GARBAGE\r\n\r\n", True),
    (b"\x00\x01\x02\xff\r\n\r\n", True),
    (b"GET /" + b"a" * 100000 + b" HTTP/1.0\r\n\r\n", True),
    (b"GET /nope HTTP/1.0\r\n\r\n", True),
    (b"GET /metrics HTTP/1.0\r\nX-Long: " + b"b" * 100000 + b"\r\n\r\n", False),
    (b"POST /metrics HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello", False),
    (b"GET /metrics HTTP/1.0\r\n", False),      # never finished: must not hang it
]


def test_metrics_port_rejects_bad_input_and_survives(cluster):
    """Garbage and overlong HTTP requests on the metrics port get an error status or a close; /metrics keeps working."""
    d = cluster.directors[1]
    for data, must_fail in BAD_HTTP:
        s = socket.create_connection(d.metrics, timeout=10)
        try:
            try:
                s.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                pass
            resp = clients._recv_all(s, 3 if data.endswith(b"\r\n") and
                                     not data.endswith(b"\r\n\r\n") else 10)
        finally:
            s.close()
        status, _ = clients._parse_http(resp)
        if must_fail:
            assert (status == 0 and not resp) or 400 <= status < 600, \
                "%r got %r" % (data[:40], resp[:200])
        assert d.alive(), "%s died after %r" % (d.name, data[:40])
    text = d.metrics_text()
    assert "hummingbird_" in text
    assert d.metric("hummingbird_redis_up") == 1
    assert d.alive()


def test_metrics_export_lookups_latency_assignments_and_health(cluster):
    """/metrics counts lookups and exports their latency, assignments per backend, backend health and Redis state."""
    d = cluster.directors[0]
    before = d.metric("hummingbird_lookups_total") or 0
    count_before = d.metric("hummingbird_lookup_duration_seconds_count") or 0
    for i in range(5):
        assert d.lookup(user("metric", i))[0] == "OK"
    time.sleep(1.5)                 # gauges follow the table refresh
    text = d.metrics_text()
    assert d.metric("hummingbird_lookups_total") >= before + 5
    assert d.metric("hummingbird_lookup_duration_seconds_count") >= count_before + 5
    assert 'hummingbird_lookup_duration_seconds_bucket{le="+Inf"}' in text
    for name in cluster.backends:
        assert 'hummingbird_assignments{backend="%s"}' % name in text, name
        assert 'hummingbird_backend_up{backend="%s"' % name in text, name
    assert d.metric("hummingbird_failovers_total") is not None
    assert d.metric("hummingbird_redis_up") == 1
    assert sum(d.metric("hummingbird_assignments") or 0 for d in cluster.directors) > 0


def test_proxy_refuses_bad_user_names_and_keeps_serving(cluster):
    """Logins with invalid user names are refused through the proxy, and valid logins keep working."""
    for bad in ("a" * 400 + "@example.com", "tab\there@example.com"):
        try:
            cluster.imap(bad, source=PENALTY_SOURCE)
        except clients.LoginFailed:
            pass
        else:
            raise AssertionError("login of %r succeeded" % bad)
    assert cluster.imap(user("afterbad", 1)) in cluster.backends
    for d in cluster.directors:
        assert d.alive()


def test_config_with_errors_is_rejected_naming_file_and_line(cluster, tmp_path):
    """`hummingbird-director -t -c bad.conf` exits non-zero and names file:line; a good file passes."""
    binary = harness.director_binary()
    good = subprocess.run([binary, "-t", "-c", cluster.directors[0].conf_path],
                          capture_output=True, text=True, timeout=20)
    assert good.returncode == 0, good.stdout + good.stderr
    cases = {
        "unknown.conf": ("# comment\nredis_port = 6379\nno_such_key = 1\n", 3),
        "badduration.conf": ("health_interval = soon\n", 1),
        "badnumber.conf": ("\n\nredis_port = 99999999\n", 3),
        "noequals.conf": ("log_level = info\njust some words\n", 2),
        "badlevel.conf": ("log_level = loud\n", 1),
    }
    for name, (text, line) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        r = subprocess.run([binary, "-t", "-c", str(path)], capture_output=True,
                           text=True, timeout=20)
        out = r.stdout + r.stderr
        assert r.returncode != 0, "%s accepted: %s" % (name, out)
        assert "%s:%d" % (name, line) in out, "%s: error does not name %s:%d: %r" % (
            name, name, line, out)
    missing = subprocess.run([binary, "-t", "-c", str(tmp_path / "absent.conf")],
                             capture_output=True, text=True, timeout=20)
    assert missing.returncode != 0 and "absent.conf" in missing.stdout + missing.stderr


def test_director_sighup_keeps_old_settings_on_bad_file_and_sigterm_exits_0(cluster):
    """SIGHUP with a broken file is logged with file:line and the director keeps serving; SIGTERM exits 0."""
    d3 = cluster.env.add(harness.Director(cluster.env, "d3", cluster.redis)).start()
    try:
        cluster.wait_directors_see_all_up([d3])
        u = user("hup", 1)
        first = d3.lookup(u)
        assert first[0] == "OK", first
        with open(d3.conf_path) as f:
            lines = f.read().count("\n")
        d3.write_conf("no_such_setting = 1\n")
        d3.signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        where = "hummingbird.conf:%d" % (lines + 1)
        while where not in harness.tail(d3.log_path, 200) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert where in harness.tail(d3.log_path, 200), "reload error without %s:\n%s" % (
            where, harness.tail(d3.log_path))
        assert d3.alive(), "director died on SIGHUP with a bad file"
        assert d3.lookup(u)[:3] == first[:3]
        d3.write_conf()
        d3.signal(signal.SIGHUP)
        time.sleep(0.5)
        assert d3.alive() and d3.lookup(u)[:3] == first[:3]
        d3.signal(signal.SIGTERM)
        rc = d3.proc.wait(10)
        assert rc == 0, "SIGTERM: exit status %d" % rc
    finally:
        d3.stop()


# --------------------------------------------------- failures (last) ---

def test_killed_backend_users_move_within_10s_and_none_routed_to_it(cluster):
    """Kill a backend: its users log in on another within 10 s, and no lookup names it while it is down."""
    before = _assign(cluster, "fail", 60)
    victim, users = max(_by_backend(before).items(), key=lambda kv: len(kv[1]))
    be = cluster.backends[victim]
    be.kill()
    t0 = time.monotonic()

    def recover(u):
        landed, _ = cluster.retry_imap(u, proxy=hash(u) % 2, timeout=12)
        return u, landed, time.monotonic() - t0

    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        results = list(pool.map(recover, users))
    try:
        for u, landed, took in results:
            assert landed != victim, "%s logged in on dead %s" % (u, victim)
            assert took <= 10.0, "%s needed %.1fs to log in again" % (u, took)
        cluster.wait_health(victim, "failed", timeout=5)
        reason = cluster.backend_state(victim).get("health_reason", "")
        assert reason not in ("", "ok"), "failed backend's health_reason is %r" % reason
        deadline = time.monotonic() + 3
        probes = users + [user("failnew", i) for i in range(30)]
        while time.monotonic() < deadline:
            for d in cluster.directors:
                for u in probes[:40]:
                    reply = d.lookup(u)
                    assert reply[0] == "OK" and reply[2] != victim and reply[3] != be.ip, \
                        "%s: %s routed %s to dead backend: %s" % (d.name, u, reply, victim)
            probes = probes[40:] + probes[:40]
        for u, landed, _ in results:
            assert cluster.assigned(u) == landed
        failovers = sum(d.metric("hummingbird_failovers_total") or 0 for d in cluster.directors)
        assert failovers >= len(users), "%d failovers counted for %d users" % (failovers, len(users))
    finally:
        be.start()
        cluster.wait_health(victim, "ok")
        cluster.wait_directors_see_all_up()
    for u, landed, _ in results[:10]:
        assert cluster.imap(u) == landed, "%s went back after %s recovered" % (u, victim)


def test_redis_down_degraded_mode_and_recovery(cluster):
    """Redis stopped: logins still succeed on the users' backends; when Redis returns, routing uses it again."""
    cluster.wait_directors_see_all_up()
    before = _assign(cluster, "rd", 20)
    log_start = {d.name: os.path.getsize(d.log_path) for d in cluster.directors}
    cluster.redis.shutdown_save()
    try:
        time.sleep(1.0)
        for d in cluster.directors:
            assert d.alive(), "%s died without Redis" % d.name
        ok, failed = _login_many(cluster, [(u, p) for u in before for p in (0, 1)])
        assert not failed, "logins failed in degraded mode: %s" % failed[:5]
        moved = [(u, be) for u, _, be in ok if be != before[u]]
        assert not moved, "known users rerouted in degraded mode: %s" % moved[:5]
        fresh = [user("rdnew", i) for i in range(10)]
        ok, failed = _login_many(cluster, [(u, p) for u in fresh for p in (0, 1)])
        assert not failed, "new users failed in degraded mode: %s" % failed[:5]
        seen = collections.defaultdict(set)
        for u, _, be in ok:
            seen[u].add(be)
        assert all(len(b) == 1 for b in seen.values()), "directors disagree: %s" % dict(seen)
        for d in cluster.directors:
            assert d.metric("hummingbird_redis_up") == 0, d.name
        r = cluster.hbctl("status", timeout=30)
        assert r.returncode == 3, "hbctl status without Redis exited %d (want 3): %s%s" % (
            r.returncode, r.stdout, r.stderr)
    finally:
        cluster.redis.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if all(d.metric("hummingbird_redis_up") == 1 for d in cluster.directors):
            break
        time.sleep(0.2)
    else:
        raise AssertionError("directors did not reconnect to Redis within 20s")
    for d in cluster.directors:
        with open(d.log_path, "rb") as f:
            f.seek(log_start[d.name])
            lines = f.read().decode("utf-8", "replace").splitlines()
        complaints = [line for line in lines if "redis" in line.lower()
                      and ("error" in line.lower() or "warning" in line.lower())]
        assert 1 <= len(complaints) <= 2, "%s: outage should be logged once, got: %s" % (
            d.name, complaints[:6])
    after = user("rdafter", 1)
    landed = cluster.imap(after, proxy=1)
    assert cluster.assigned(after) == landed, "login after recovery not recorded in Redis"
    assert cluster.where(after) == landed
    for u in list(before)[:5]:
        assert cluster.imap(u) == before[u]
    for name in cluster.backends:
        cluster.wait_health(name, "ok")
