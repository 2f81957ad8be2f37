"""cluster.py - one Hummingbird cluster on loopback for the system tests:
Redis, three Dovecot backends, two directors, two Dovecot proxies (proxy N
asks director N; proxy 1 answers assigned users from Redis first), and a Postfix started on demand; plus helpers to log in,
run hbctl and read the state in Redis.  Starting is all-or-nothing: a piece
that does not come up fails with its log.
"""

import json
import re
import subprocess
import time

import clients
import harness

DOMAIN = "example.com"
PREFIX = "hb:"
BACKENDS = (("be1", "127.0.0.2"), ("be2", "127.0.0.3"), ("be3", "127.0.0.4"))
PROXY_IPS = ("127.0.0.10", "127.0.0.11")
HEALTH_WAIT = 15.0


class Cluster:
    def __init__(self, env):
        self.env = env
        self.redis = None
        self.backends = {}
        self.directors = []
        self.proxies = []
        self._postfix = None

    # ------------------------------------------------------------ start ---
    def start(self):
        env = self.env
        self.redis = env.add(harness.RedisServer(env)).start()
        for name, ip in BACKENDS:
            self.backends[name] = env.add(harness.DovecotBackend(env, name, ip)).start()
        for i in (1, 2):
            d = env.add(harness.Director(env, "d%d" % i, self.redis))
            self.directors.append(d.start())
        for name, be in self.backends.items():
            self.add_backend(name, be)
        for name in self.backends:
            self.wait_health(name, "ok")
        self.wait_directors_see_all_up()
        # p1 answers assigned users from Redis (config=), p2 always asks its
        # director: every test through p1 covers the fast path, and tests
        # that mix both proxies cover the two paths agreeing
        for i, ip in enumerate(PROXY_IPS):
            p = harness.DovecotProxy(env, "p%d" % (i + 1), ip, self.directors[i].socket,
                                     redis_config=self.directors[i].conf_path if i == 0 else None)
            self.proxies.append(env.add(p).start())
        return self

    def add_backend(self, name, be):
        r = self.hbctl("backend", "add", name, be.ip,
                       "--imap-port", be.imap_port, "--pop3-port", be.pop3_port,
                       "--lmtp-port", be.lmtp_port, "--doveadm-port", be.doveadm_port)
        if r.returncode != 0:
            raise harness.ServiceError("hbctl backend add %s failed (%d): %s%s"
                                       % (name, r.returncode, r.stdout, r.stderr))

    def postfix(self, sasl_path=None, milter=None):
        """Postfix relaying DOMAIN through director d1's socketmap (started
        once; SASL_PATH and MILTER as harness.Postfix, on the first call)."""
        if self._postfix is None:
            pf = harness.Postfix(self.env, "postfix", self.directors[0].socketmap, DOMAIN,
                                 sasl_path=sasl_path, milter=milter)
            self._postfix = self.env.add(pf).start()
        return self._postfix

    # ------------------------------------------------------------ hbctl ---
    def hbctl(self, *args, json_out=False, timeout=60):
        argv = [harness.hbctl_binary(), "-c", self.directors[0].conf_path]
        if json_out:
            argv.append("--json")
        argv += [str(a) for a in args]
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)

    def hbctl_ok(self, *args, timeout=60):
        r = self.hbctl(*args, timeout=timeout)
        assert r.returncode == 0, "hbctl %s exited %d:\n%s%s" % (
            " ".join(map(str, args)), r.returncode, r.stdout, r.stderr)
        return r

    def where(self, user):
        """Backend name that `hbctl --json user where USER` reports."""
        r = self.hbctl("user", "where", user, json_out=True)
        assert r.returncode == 0, "hbctl user where %s exited %d: %s%s" % (
            user, r.returncode, r.stdout, r.stderr)
        name = self._backend_in(r.stdout)
        assert name, "hbctl user where %s names no backend: %r" % (user, r.stdout)
        return name

    def _backend_in(self, text):
        """The backend named in hbctl output: JSON {"backend": …} first, else
        the one backend name that appears as a word."""
        try:
            doc = json.loads(text)
        except ValueError:
            doc = None
        if isinstance(doc, dict):
            for key in ("backend", "name", "assigned", "backend_name"):
                if doc.get(key) in self.backends:
                    return doc[key]
        if isinstance(doc, str) and doc in self.backends:
            return doc
        seen = {n for n in self.backends if re.search(r"\b%s\b" % n, text)}
        return seen.pop() if len(seen) == 1 else None

    # ------------------------------------------------------------ Redis ---
    def assigned(self, user):
        """user:USER straight from Redis (None when unassigned)."""
        return self.redis("GET", PREFIX + "user:" + user.lower())

    def users_on(self, name):
        """Every user whose user:USER key in Redis names backend NAME."""
        found, cursor = set(), "0"
        while True:
            cursor, keys = self.redis("SCAN", cursor, "MATCH", PREFIX + "user:*", "COUNT", 1000)
            for key in keys:
                if self.redis("GET", key) == name:
                    found.add(key[len(PREFIX + "user:"):])
            if cursor == "0":
                return found

    def backend_state(self, name):
        flat = self.redis("HGETALL", PREFIX + "backend:" + name) or []
        return dict(zip(flat[0::2], flat[1::2]))

    def wait_health(self, name, value, timeout=HEALTH_WAIT):
        deadline = time.monotonic() + timeout
        state = {}
        while time.monotonic() < deadline:
            state = self.backend_state(name)
            if state.get("health") == value:
                return
            time.sleep(0.1)
        raise AssertionError("backend %s health did not become %s within %ds: %r\n%s"
                             % (name, value, timeout, state, self.director_logs()))

    def wait_directors_see_all_up(self, directors=None, timeout=10.0):
        """Wait until each director's own backend table (its
        hummingbird_backend_up gauges) shows every backend usable: tables are
        refreshed from Redis about once a second, and a director that just
        started may answer before its first refresh."""
        deadline = time.monotonic() + timeout
        views = {}
        for d in directors or self.directors:
            while True:
                views[d.name] = _backend_up_gauges(d.metrics_text())
                if all(views[d.name].get(n) == 1 for n in self.backends):
                    break
                if time.monotonic() > deadline:
                    raise AssertionError("directors do not see every backend up: %r" % views)
                time.sleep(0.1)

    # ----------------------------------------------------------- logins ---
    def proxy(self, index=0):
        return self.proxies[index % len(self.proxies)]

    def imap(self, user, proxy=0, **kw):
        """IMAP login through a proxy; returns the backend name it landed on."""
        return clients.imap_login(self.proxy(proxy).imap, user, **kw)

    def pop3(self, user, proxy=0, timeout=10):
        """POP3 login through a proxy; returns the backend whose log shows
        this user's new pop3 session."""
        before = {n: self._pop3_count(b, user) for n, b in self.backends.items()}
        clients.pop3_login(self.proxy(proxy).pop3, user, timeout=timeout)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            grown = [n for n, b in self.backends.items()
                     if self._pop3_count(b, user) > before[n]]
            if grown:
                assert len(grown) == 1, "pop3 session of %s on %s" % (user, grown)
                return grown[0]
            time.sleep(0.05)
        raise AssertionError("no backend logged a pop3 session for %s" % user)

    @staticmethod
    def _pop3_count(be, user):
        try:
            return _count_lines(be.log_path, "pop3(%s)" % user, "Disconnected")
        except OSError:
            return 0

    def retry_imap(self, user, proxy=0, timeout=10.0):
        """Log in until it works or TIMEOUT passes; returns (backend, errors)."""
        deadline = time.monotonic() + timeout
        errors = []
        while True:
            try:
                return self.imap(user, proxy=proxy), errors
            except clients.LoginFailed as e:
                errors.append(str(e))
                if time.monotonic() > deadline:
                    raise AssertionError("%s could not log in within %.0fs: %s"
                                         % (user, timeout, errors[-3:]))
                time.sleep(0.2)

    # ------------------------------------------------------------- logs ---
    def director_logs(self, lines=25):
        out = []
        for svc in self.directors + self.proxies:
            out.append("--- %s (%s)\n%s" % (svc.name, svc.log_path, harness.tail(svc.log_path, lines)))
        return "\n".join(out)


def _backend_up_gauges(text):
    """{backend: value} of hummingbird_backend_up{backend="…",…} samples."""
    out = {}
    for line in text.splitlines():
        m = re.match(r'hummingbird_backend_up\{[^}]*backend="([^"]+)"[^}]*\} (\S+)', line)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out


def _count_lines(path, *needles):
    with open(path, encoding="utf-8", errors="replace") as f:
        return sum(1 for line in f if all(n in line for n in needles))


def user(prefix, i):
    return "%s%d@%s" % (prefix, i, DOMAIN)
