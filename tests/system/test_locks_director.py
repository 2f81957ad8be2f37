"""Lock pressure steers new users away from a backend (docs/LOCKS.md,
"Director integration"; docs/DESIGN.md 5), with real Dovecot, Redis, a
director and a proxy: while a process the test starts holds the fcntl lock
of one user's dovecot.index.log on backend lk1, then is stopped (SIGSTOP, a
stalled holder), and WAITERS sessions of that user block behind it, `hbctl
locks` on lk1 counts exactly that holder and those waiters, gives them ages
from hb_locks' records and publishes a warning; the director marks lk1 degraded
(hbctl status says why), new users log in on lk2 while the existing user
still lands on lk1; hb_locks counts every blocked operation in Dovecot's
stats.  Once the holder is gone and the census is calm again, lk1 is up and
takes new users again (after degrade_leave_count calm rounds)."""
import imaplib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

import clients
import harness
from test_guard import log_text, wait_for_stat
from test_locks import HOLDER, LocksBackend

BACKEND_IPS = {"lk1": "127.0.0.54", "lk2": "127.0.0.55"}
PROXY_IP = "127.0.0.56"
WAITERS = 8
PREFIX = "hb:"


class LockCluster:
    def __init__(self, env):
        self.env = env
        self.redis = env.add(harness.RedisServer(env, "redis-locks")).start()
        self.backends = {}
        for name, ip in BACKEND_IPS.items():
            be = LocksBackend(env, name, "  hb_locks_warn = 500ms\n", ip=ip)
            self.backends[name] = env.add(be).start()
        self.director = harness.Director(env, "dlocks", self.redis)
        self.director.write_conf("degrade_enter_count = 2\ndegrade_leave_count = 2\n"
                                 "degrade_probe_time = 0\n")
        env.add(self.director).start()
        for name, be in self.backends.items():
            self.hbctl_ok("backend", "add", name, be.ip, "--imap-port", be.imap_port,
                          "--lmtp-port", be.lmtp_port)
        self.proxy = env.add(harness.DovecotProxy(env, "plocks", PROXY_IP,
                                                  self.director.socket)).start()
        for name in self.backends:
            self.wait_field(name, "health", "ok")

    def hbctl(self, *args):
        argv = [harness.hbctl_binary(), "-c", self.director.conf_path] + [str(a) for a in args]
        return subprocess.run(argv, capture_output=True, text=True, timeout=60)

    def hbctl_ok(self, *args):
        r = self.hbctl(*args)
        assert r.returncode == 0, "hbctl %s: %d %s%s" % (args, r.returncode, r.stdout, r.stderr)
        return r

    def field(self, name, field):
        return self.redis("HGET", PREFIX + "backend:" + name, field)

    def wait_field(self, name, field, value, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.field(name, field) == value:
                return
            time.sleep(0.1)
        raise AssertionError("backend %s %s did not become %s: %r" % (
            name, field, value, self.redis("HGETALL", PREFIX + "backend:" + name)))

    def census(self, *extra):
        be = self.backends["lk1"]
        r = subprocess.run([harness.hbctl_binary(), "-c", self.director.conf_path, "locks",
                            "--json", "--mail-root", be.mail_root] + list(extra),
                           capture_output=True, text=True, timeout=30)
        return r.returncode, json.loads(r.stdout), r.stderr

    def login(self, user):
        return clients.imap_login(self.proxy.imap, user)

    def status(self):
        return json.loads(self.hbctl_ok("--json", "status").stdout)


def users_landing_on(c, name, prefix, want):
    """WANT fresh users that the director puts on backend NAME (and how many
    it put elsewhere meanwhile)."""
    found, other = [], 0
    for i in range(200):
        user = "%s%d" % (prefix, i)
        if c.login(user) == name:
            found.append(user)
            if len(found) == want:
                return found, other
        else:
            other += 1
    raise AssertionError("no %d of 200 fresh users landed on %s" % (want, name))


def blocked_stores(be, user, count):
    """COUNT sessions of USER with INBOX selected; each STORE runs in a
    thread (it blocks while the log is locked).  Returns (threads, results)."""
    sessions = []
    for _ in range(count):
        m = imaplib.IMAP4(*be.imap, timeout=60)
        m.login(user, "pass")
        m.select("INBOX")
        sessions.append(m)
    results = []
    threads = [threading.Thread(target=lambda m=m: results.append(
        m.store("1", "+FLAGS", "\\Flagged")[0])) for m in sessions]
    return sessions, threads, results


def test_lock_pressure_degrades_backend_for_new_users_only(env):
    c = LockCluster(env)
    lk1 = c.backends["lk1"]
    # the census of a quiet node: zero and ok, and publishing that is harmless
    rc, quiet, _ = c.census("--publish", "lk1")
    assert rc == 0 and quiet["status"] == "ok", quiet
    assert quiet["totals"]["held"] == 0 and quiet["totals"]["waiting"] == 0
    assert c.redis("HGET", PREFIX + "pressure:lk1", "level") == "ok"

    stay = users_landing_on(c, "lk1", "stay", 1)[0][0]
    m = imaplib.IMAP4(*lk1.imap, timeout=30)
    m.login(stay, "pass")
    for i in range(3):
        assert m.append("INBOX", None, None, b"Subject: %d\r\n\r\nx\r\n" % i)[0] == "OK"
    m.logout()
    log = "%s/%s/Maildir/dovecot.index.log" % (lk1.mail_root, stay)
    sessions, threads, results = blocked_stores(lk1, stay, WAITERS)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, log, "600"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        holder.send_signal(signal.SIGSTOP)     # a stalled holder, as on NFS
        blocked_at = time.monotonic()
        for t in threads:
            t.start()
        # the census sees the true numbers: 1 holder, WAITERS imap waiters
        deadline = time.monotonic() + 20
        while True:
            rc, out, err = c.census("--warn-waiters", "2", "--publish", "lk1")
            if out["totals"]["waiting"] == WAITERS or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert out["totals"]["waiting"] == WAITERS, out
        assert out["totals"]["held"] == 1, out
        assert rc == 1 and out["status"] == "warn", (rc, out, err)
        assert out["reasons"] == ["waiters %d >= 2" % WAITERS], out
        waiters = [p for p in out["processes"] if p["waiting"]]
        assert len(waiters) == WAITERS
        assert all(p["name"] == "imap" and p["user"] == stay for p in waiters), waiters
        assert [p["held"] for p in out["processes"] if p["pid"] == holder.pid] == [1]
        assert c.redis("HGET", PREFIX + "pressure:lk1", "level") == "warn"

        # the director: lk1 degraded after two rounds, with the reason
        c.wait_field("lk1", "degraded", "1")
        st = c.status()
        assert st["backends"]["degraded"] == 1 and st["backends"]["up"] == 1, st
        assert st["degraded"][0]["name"] == "lk1"
        assert "lock pressure warn (waiters %d >= 2)" % WAITERS in st["degraded"][0]["reason"]
        text = c.hbctl_ok("status").stdout
        assert "lk1" in text and "degraded" in text and "lock pressure warn" in text, text
        deadline = time.monotonic() + 10
        while c.director.metric('hummingbird_backend_degraded{backend="lk1"}') != 1:
            assert time.monotonic() < deadline, c.director.metrics_text()
            time.sleep(0.1)
        # the ages /proc/locks lacks, from hb_locks' records: the blocked
        # STOREs have run for a second or more, the age and wait thresholds
        # see it
        deadline = time.monotonic() + 10
        while True:
            rc, out, _ = c.census("--warn-waiters", "100", "--warn-age", "1",
                                  "--warn-wait-p99", "1000")
            if (out["totals"]["oldest_operation_secs"] or 0) >= 1 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        t = out["totals"]
        assert t["wait_p99_ms"] >= 1000, t     # the longest of 4 waiters
        assert rc == 1 and out["reasons"] == [
            "oldest locking operation (s) %d >= 1" % t["oldest_operation_secs"],
            "wait p99 (ms) %d >= 1000" % t["wait_p99_ms"]], out
        ops = [p["operation"] for p in out["processes"] if p["waiting"]]
        assert len(ops) == WAITERS and all(o and o["mailbox"] == "INBOX" for o in ops), ops
        # new users all go to lk2; the existing user stays on lk1
        new = ["new%d" % i for i in range(12)]
        assert [c.login(u) for u in new] == ["lk2"] * len(new)
        assert c.login(stay) == "lk1"
        assert c.redis("GET", PREFIX + "user:" + stay) == "lk1"
    finally:
        held_secs = time.monotonic() - blocked_at
        holder.kill()
        holder.wait()
    for t in threads:
        t.join(60)
    assert results == ["OK"] * WAITERS
    for m in sessions:
        m.logout()
    # hb_locks saw each blocked STORE: WAITERS slow operations of that user
    assert wait_for_stat(lk1, "hb_lock_slow", WAITERS)
    slow = [l for l in log_text(lk1).splitlines() if "hb_locks: slow " in l]
    assert len(slow) == WAITERS, slow
    assert all("(user %s)" % stay in l and "dovecot.index.log" in l for l in slow), slow
    # and the time each waited is the time the test held the lock (less the
    # moments before its thread's STORE reached the lock)
    waited = [float(re.search(r"waited (\d+\.\d+) s", l).group(1)) for l in slow]
    assert all(held_secs - 1.0 <= w <= held_secs + 0.5 for w in waited), (held_secs, waited)
    assert wait_for_stat(lk1, "hb_lock_wait", WAITERS)

    # calm again: after two calm rounds lk1 is up and takes new users
    rc, out, _ = c.census("--warn-waiters", "2", "--publish", "lk1")
    assert rc == 0 and out["totals"]["waiting"] == 0, out
    c.wait_field("lk1", "degraded", "0")
    assert c.field("lk1", "degraded_reason") is None
    st = c.status()
    assert st["backends"]["up"] == 2 and st["degraded"] == [], st
    back, _ = users_landing_on(c, "lk1", "later", 2)
    assert len(back) == 2
    assert "Panic" not in log_text(lk1) and "Fatal" not in log_text(lk1)


def test_publish_errors_are_clear_and_unknown(env):
    c = LockCluster.__new__(LockCluster)
    c.env = env
    c.redis = env.add(harness.RedisServer(env, "redis-locks-err")).start()
    c.director = harness.Director(env, "dlocks-err", c.redis)
    # no backend of that name: UNKNOWN (3), the census still printed
    r = subprocess.run([harness.hbctl_binary(), "-c", c.director.conf_path, "locks",
                        "--json", "--mail-root", c.director.dir, "--publish", "nosuch"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 3, (r.returncode, r.stdout, r.stderr)
    out = json.loads(r.stdout)
    assert out["status"] == "unknown"
    assert any(e.startswith("publishing the census of backend nosuch to Redis failed: ")
               and e.endswith("unknown backend nosuch") for e in out["errors"]), out
    # a missing configuration file: UNKNOWN with the file's name
    r = subprocess.run([harness.hbctl_binary(), "-c", "/nonexistent/hb.conf", "locks",
                        "--publish", "x"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 3 and "/nonexistent/hb.conf" in r.stderr, (r.returncode, r.stderr)
    # Redis gone: UNKNOWN, saying so
    c.redis.stop()
    r = subprocess.run([harness.hbctl_binary(), "-c", c.director.conf_path, "locks",
                        "--mail-root", c.director.dir, "--publish", "x"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 3 and "publishing the census of backend x" in r.stdout + r.stderr, \
        (r.returncode, r.stdout, r.stderr)


def test_health_login_probes_time_a_whole_login(env):
    """With health_login_user, the IMAP probe logs in (its time is a login's,
    an input of `degraded`); a wrong password is said in the director's log
    and fails nothing: the backend stays up, not degraded."""
    redis = env.add(harness.RedisServer(env, "redis-hlogin")).start()
    be = env.add(harness.DovecotBackend(env, "hlogin1", BACKEND_IPS["lk1"])).start()
    secret = os.path.join(env.root, "health-login.pass")
    harness.write(secret, "pass\n", mode=0o600)
    d = harness.Director(env, "dhlogin", redis)
    d.write_conf("health_login_user = hbhealth\nhealth_login_password_file = %s\n" % secret)
    env.add(d).start()
    r = subprocess.run([harness.hbctl_binary(), "-c", d.conf_path, "backend", "add", "hlogin1",
                        be.ip, "--imap-port", str(be.imap_port), "--lmtp-port", str(be.lmtp_port)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    deadline = time.monotonic() + 15
    while redis("HGET", PREFIX + "backend:hlogin1", "health") != "ok" or \
            "Login: user=<hbhealth>" not in harness.tail(be.log_path, 400):
        assert time.monotonic() < deadline, harness.tail(be.log_path, 30)
        time.sleep(0.1)

    harness.write(secret, "wrong\n", mode=0o600)
    deadline = time.monotonic() + 15
    while "refused the health login of hbhealth" not in harness.tail(d.log_path, 400):
        assert time.monotonic() < deadline, harness.tail(d.log_path, 30)
        time.sleep(0.1)
    # no more logins until the file changes: Dovecot's auth penalty would
    # slow every probe past its timeout and fail a healthy backend
    refused = harness.tail(be.log_path, 2000).count("user=<hbhealth>")
    time.sleep(4)
    state = redis("HGETALL", PREFIX + "backend:hlogin1")
    fields = dict(zip(state[0::2], state[1::2]))
    assert fields["health"] == "ok" and fields.get("degraded", "0") == "0", fields
    assert harness.tail(be.log_path, 2000).count("user=<hbhealth>") == refused
    log = harness.tail(d.log_path, 400)
    assert log.count("refused the health login") == 1 and "wrong" not in log, log
    # the right password again: logins resume
    logins = harness.tail(be.log_path, 2000).count("Login: user=<hbhealth>")
    harness.write(secret, "pass\n", mode=0o600)
    deadline = time.monotonic() + 15
    while harness.tail(be.log_path, 2000).count("Login: user=<hbhealth>") <= logins:
        assert time.monotonic() < deadline, harness.tail(be.log_path, 30)
        time.sleep(0.1)
