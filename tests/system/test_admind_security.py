"""test_admind_security.py - hummingbird-admind's answers to session and
login attacks (docs/ADMIND.md 2): sessions end when their account
is re-created or its password changes (operator `hbctl admin passwd`, the
admin's own POST /v1/password and `hbctl --server passwd`); failed logins
slow a name down without ever locking its owner out from elsewhere, and
without blocking admind; the raw request target never reaches the log
unescaped; a client certificate is bound to the admin it names.
"""

import json
import os
import subprocess
import threading
import time

import pytest

import admind_harness
import harness

IP = "127.0.0.180"
CERT_IP = "127.0.0.181"     # the admind that wants client certificates
SRC = {"hammer": "127.0.0.182", "owner": "127.0.0.183", "other": "127.0.0.184",
       "log": "127.0.0.185", "pw": "127.0.0.186"}
PASSWORD = "correct horse battery"
NEW_PASSWORD = "a much longer staple 42"
PREFIX = "hb:"


class Setup:
    def __init__(self, env):
        self.dir = os.path.join(env.root, "admind-security")
        os.makedirs(self.dir, exist_ok=True)
        self.redis = env.add(harness.RedisServer(env, "redis-security")).start()
        self.conf = harness.write(os.path.join(self.dir, "operator.conf"),
                                  "redis_port = %d\n" % self.redis.port)
        self.pki = admind_harness.Pki(os.path.join(self.dir, "pki"), [IP, CERT_IP])
        self.admind = env.add(admind_harness.Admind(env, "admind-sec", self.redis, IP, self.pki))
        self.admind.start()
        self.cert_admind = env.add(admind_harness.Admind(
            env, "admind-cert", self.redis, CERT_IP, self.pki,
            extra="admind_client_ca_file = %s\n" % self.pki.ca))
        self.cert_admind.start()
        self.pwfile = self.secret("pw", PASSWORD)
        self.op("domain", "add", "sec.example")

    def secret(self, name, text):
        return harness.write(os.path.join(self.dir, name), text + "\n", 0o600)

    def hbctl(self, *args, server=None, session=None):
        argv = [harness.hbctl_binary()]
        if server:
            argv += ["--server", server.url, "--ca", self.pki.ca, "--session-file", session]
        else:
            argv += ["-c", self.conf]
        return subprocess.run(argv + [str(a) for a in args], capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL)

    def op(self, *args):
        r = self.hbctl(*args)
        assert r.returncode == 0, "hbctl %s: %s%s" % (args, r.stdout, r.stderr)
        return r

    def new_admin(self, name):
        self.op("admin", "add", name, "--password-file", self.pwfile)
        self.op("admin", "grant", name, "sec.example")


@pytest.fixture(scope="module")
def sec(env):
    s = Setup(env)
    yield s
    s.admind.stop()
    s.cert_admind.stop()
    s.redis.stop()


def _session_ok(adm, token, client=None):
    return adm.request("GET", "/v1/session", token=token, client=client).status == 200


def test_admind_session_ends_when_the_account_is_recreated(sec):
    """A token of an admin survives neither `admin remove` + `admin add` of the same name (a new account generation) even before the new account logs in."""
    a = sec.admind
    sec.new_admin("phoenix")
    token = a.login("phoenix", PASSWORD)
    assert _session_ok(a, token)
    sec.op("admin", "remove", "phoenix")
    sec.op("admin", "add", "phoenix", "--password-file", sec.secret("pw2", NEW_PASSWORD))
    sec.op("admin", "grant", "phoenix", "sec.example")
    r = a.request("GET", "/v1/session", token=token)
    assert r.status == 401 and r.json["error"] == "unauthorized", r
    assert a.login("phoenix", NEW_PASSWORD)


def test_hbctl_admin_passwd_ends_every_session(sec):
    """`hbctl admin passwd NAME --password-file F` sets a new password: every session of the admin ends, the old password no longer logs in, the new one does; without a file one is generated and shown once."""
    a = sec.admind
    sec.new_admin("rotate")
    tokens = [a.login("rotate", PASSWORD, source=SRC["pw"]) for _ in range(2)]
    r = sec.op("admin", "passwd", "rotate", "--password-file", sec.secret("pw3", NEW_PASSWORD))
    assert NEW_PASSWORD not in r.stdout + r.stderr
    for t in tokens:
        assert not _session_ok(a, t)
    r = a.request("POST", "/v1/login", {"admin": "rotate", "password": PASSWORD},
                  source=SRC["pw"])
    assert r.status == 401, r
    assert a.login("rotate", NEW_PASSWORD, source=SRC["pw"])
    r = sec.hbctl("admin", "passwd", "nosuchadmin", "--password-file", sec.pwfile)
    assert r.returncode != 0
    # without a file: a password is generated and shown once, and it logs in
    generated = json.loads(sec.op("--json", "admin", "passwd", "rotate").stdout)["password"]
    assert len(generated) >= 20
    assert a.login("rotate", generated, source=SRC["pw"])


def test_admind_self_service_password_change(sec):
    """POST /v1/password checks the old password (403 when wrong), refuses a short new one or one with the admin name (422), then ends every other session and returns a new token for the caller; `hbctl --server passwd` does the same from 0600 files (old, new)."""
    a = sec.admind
    sec.new_admin("selfie")
    token = a.login("selfie", PASSWORD, source=SRC["pw"])
    other = a.login("selfie", PASSWORD, source=SRC["pw"])
    r = a.request("POST", "/v1/password", {"old": "wrong one", "new": NEW_PASSWORD}, token=token,
                  source=SRC["pw"])
    assert r.status == 403 and r.json["error"] == "wrong_password", r
    for bad in ("short", "selfie-is-my-password-now"):
        r = a.request("POST", "/v1/password", {"old": PASSWORD, "new": bad}, token=token,
                      source=SRC["pw"])
        assert r.status == 422 and r.json["error"] == "bad_value", r
    assert _session_ok(a, other), "a refused change must not end sessions"
    r = a.request("POST", "/v1/password", {"old": PASSWORD, "new": NEW_PASSWORD}, token=token,
                  source=SRC["pw"])
    assert r.status == 200 and r.json["admin"] == "selfie", r
    renewed = r.json["token"]
    assert renewed != token
    assert not _session_ok(a, other) and not _session_ok(a, token)
    assert _session_ok(a, renewed)
    with open(a.log_path) as f:
        text = f.read()
    assert NEW_PASSWORD not in text and PASSWORD not in text
    # the same through hbctl --server: the old and the new password from 0600 files
    session = os.path.join(sec.dir, "selfie.session")
    r = sec.hbctl("login", "selfie", "--password-file", sec.secret("pw4", NEW_PASSWORD),
                  server=a, session=session)
    assert r.returncode == 0, r.stderr
    new = sec.secret("pw5", "yet another long one")
    r = sec.hbctl("--json", "passwd", "--password-file", sec.secret("pw4", NEW_PASSWORD), new,
                  server=a, session=session)
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["ok"] is True
    r = sec.hbctl("whoami", server=a, session=session)
    assert r.returncode == 0 and "selfie" in r.stdout, r.stdout + r.stderr
    assert not _session_ok(a, renewed)
    assert a.login("selfie", "yet another long one", source=SRC["pw"])


def _login(a, name, password, source):
    t0 = time.monotonic()
    r = a.request("POST", "/v1/login", {"admin": name, "password": password}, source=source)
    return r, time.monotonic() - t0


def test_admind_failed_logins_slow_a_name_down_but_never_lock_it_out(sec):
    """One address hammering a name with wrong passwords gets 401s that come ever later (never 429 for the name, nothing written to Redis), while admind serves others meanwhile; the owner's right password from another address still logs in, after the delay."""
    a = sec.admind
    sec.new_admin("target")
    sec.new_admin("bystander")
    by = a.login("bystander", PASSWORD, source=SRC["other"])
    took = []
    for _ in range(5):
        r, t = _login(a, "target", "wrong", SRC["hammer"])
        assert r.status == 401 and r.json["error"] == "login_failed", r
        took.append(t)
    assert took[-1] >= 1.5, "the 5th failure was not slowed down: %s" % took
    assert took[0] < 0.5, took
    acct = sec.redis("HGETALL", PREFIX + "admin:target")
    assert "failures" not in acct and "locked_until" not in acct, acct
    # a delayed reply does not hold anyone else up
    slow = {}
    t = threading.Thread(target=lambda: slow.update(r=_login(a, "target", "wrong", SRC["hammer"])))
    t.start()
    time.sleep(0.2)
    t0 = time.monotonic()
    assert _session_ok(a, by)
    assert time.monotonic() - t0 < 0.5, "admind blocked while a login waited"
    t.join(10)
    assert slow["r"][0].status == 401 and slow["r"][1] >= 1.5, slow
    # the owner, from elsewhere, with the right password: in, after the delay
    r, t = _login(a, "target", PASSWORD, SRC["owner"])
    assert r.status == 200, r
    assert 1.0 <= t < 7.0, t
    # and the name is not slowed down any more
    r, t = _login(a, "target", PASSWORD, SRC["owner"])
    assert r.status == 200 and t < 1.0, (r, t)


def test_admind_logs_the_request_target_only_escaped(sec):
    """A request target with escape sequences and other control bytes is refused, and the log shows it escaped: no raw control byte reaches the log."""
    a = sec.admind
    before = a.log_size()
    r = a.raw(b"GET /v1/\x1b[2J\x1b]0;pwned\x07\x7f\xc3\xa9 HTTP/1.1\r\nHost: x\r\n"
              b"Connection: close\r\n\r\n", source=SRC["log"])
    assert r is None or r.status == 400, r
    assert a.wait_log("\\x1b", 5), a.log_text()
    added = a.log_since(before)
    if isinstance(added, str):
        added = added.encode("utf-8", "surrogateescape")
    assert b"\x1b" not in added and b"\x07" not in added and b"\x7f" not in added, added


def test_admind_client_certificate_is_bound_to_the_admin(sec):
    """With admind_client_ca_file, a valid certificate of admin A logs in only as A: not with B's name and password, and B's token is refused over A's certificate."""
    a = sec.cert_admind
    sec.new_admin("certa")
    sec.new_admin("certb")
    ca, cb = sec.pki.client_cert("certa"), sec.pki.client_cert("certb")
    ta = a.login("certa", PASSWORD, client=ca)
    tb = a.login("certb", PASSWORD, client=cb)
    r = a.request("POST", "/v1/login", {"admin": "certb", "password": PASSWORD}, client=ca)
    assert r.status in (401, 403) and "token" not in r.body, r
    assert _session_ok(a, ta, client=ca) and _session_ok(a, tb, client=cb)
    r = a.request("GET", "/v1/session", token=tb, client=ca)
    assert r.status == 401, r
    r = a.request("GET", "/v1/domains", token=ta, client=cb)
    assert r.status == 401, r
