"""test_userdb.py - system tests of the director's USERDB service
(docs/DOMAINS.md, 6): user records of hosted mailboxes read from a real Redis
and served only on the userdb socket.  Each test's docstring says on its
first line what it proves; each removes the records it wrote.
"""

import json
import os
import smtplib
import stat
import subprocess

import pytest

import clients
import harness
from cluster import PREFIX

HASH = "{SHA512-CRYPT}$6$rounds=5000$saltsaltsaltsalt$" + "x" * 86
HOSTED_IP = "127.0.0.14"
SASL_IP = "127.0.0.16"
DOMAIN = "userdb.example"
IDN_DOMAIN = "bücher.example"
IDN_ALABEL = "xn--bcher-kva.example"


@pytest.fixture(scope="module")
def udir(cluster):
    """A director serving USERDB on its own socket (mode 0660)."""
    d = harness.userdb_director(cluster.env, "duserdb", cluster.redis)
    yield d
    d.stop()


@pytest.fixture
def records(cluster):
    """Hosted domains with mailboxes in Redis; removed afterwards."""
    r = cluster.redis
    keys = []

    def hset(key, *kv):
        keys.append(key)
        r("HSET", key, *kv)

    def mailbox(dom, local, password, *kv):
        """P d:DOM:u:LOCAL and the hash in P pw:DOM:LOCAL (docs/DOMAINS.md 2)."""
        hset(PREFIX + "d:%s:u:%s" % (dom, local), *kv)
        keys.append(PREFIX + "pw:%s:%s" % (dom, local))
        r("SET", PREFIX + "pw:%s:%s" % (dom, local), password)

    d, i = PREFIX + "d:" + DOMAIN, PREFIX + "d:" + IDN_ALABEL
    hset(d, "state", "active")
    hset(d + ":policy", "quota", "2000")
    hset(PREFIX + "caps:" + DOMAIN, "quota", "1500")
    mailbox(DOMAIN, "anna", HASH, "state", "active", "quota", "0")
    mailbox(DOMAIN, "ben", HASH, "state", "suspended")
    mailbox(DOMAIN, "cora", "bad\tvalue", "state", "active")
    mailbox(DOMAIN, "dora", HASH, "state", "active", "quota", "-1")
    # a real hash of the backends' password, made by Dovecot itself
    real = subprocess.run(["doveadm", "pw", "-s", "SHA512-CRYPT", "-p", "pass"],
                          capture_output=True, text=True, timeout=30, check=True).stdout.strip()
    mailbox(DOMAIN, "erin", real, "state", "active")
    mailbox("suspended.example", "erin", real, "state", "active")
    mailbox(DOMAIN, "finn", real, "state", "suspended")
    hset(i, "state", "active")
    mailbox(IDN_ALABEL, "anna", HASH, "state", "active")
    hset(PREFIX + "d:suspended.example", "state", "suspended")
    mailbox("suspended.example", "anna", HASH, "state", "active")
    yield r
    r("DEL", *keys)


def userdb(sock, user, rid="u1"):
    return clients.director_request(sock, "USERDB\t%s\t%s" % (rid, user)).split("\t")


def test_userdb_returns_password_and_capped_quota(udir, records):
    """USERDB of a hosted mailbox returns its normalised name, password hash and the quota capped by the operator."""
    reply = userdb(udir.userdb, "Anna@USERDB.example", "r7")
    assert reply == ["USER", "r7", "user=anna@userdb.example", "password=" + HASH,
                     "quota_rule=*:storage=1500B"], reply
    # unlimited mailbox, but the cap still applies
    assert userdb(udir.userdb, "dora@userdb.example")[-1] == "quota_rule=*:storage=1500B"
    # an IDN domain is found through its A-label, however it is typed
    for name in ("anna@" + IDN_DOMAIN, "anna@" + IDN_DOMAIN.upper(), "ANNA@" + IDN_ALABEL):
        reply = userdb(udir.userdb, name)
        assert reply[:3] == ["USER", "u1", "user=anna@" + IDN_ALABEL], (name, reply)
        assert reply[-1] == "quota_rule=*:storage=1073741824B", reply


def test_userdb_refuses_unknown_suspended_and_malformed(udir, records):
    """Unknown users and domains are NOUSER, suspended ones DISABLED, a corrupt record TEMPFAIL, a bad address FAIL."""
    assert userdb(udir.userdb, "nobody@userdb.example") == ["NOUSER", "u1"]
    assert userdb(udir.userdb, "anna@not-hosted.example") == ["NOUSER", "u1"]
    assert userdb(udir.userdb, "ben@userdb.example") == ["DISABLED", "u1", "mailbox suspended"]
    assert userdb(udir.userdb, "anna@suspended.example") == ["DISABLED", "u1", "domain suspended"]
    assert userdb(udir.userdb, "cora@userdb.example") == ["TEMPFAIL", "u1", "corrupt record"]
    for bad in (b"no-at-sign", b"a@@userdb.example", b"a..b@userdb.example", b"a@-x.example",
                b"a@userdb", b"\xc3\x28@userdb.example", b"a@\xff.example"):
        c = clients.LineConn(udir.userdb, 10)
        try:
            c.send(b"USERDB\tu1\t" + bad + b"\n")
            reply = c.readline(10).split("\t")
        finally:
            c.close()
        assert reply[0] == "FAIL" and reply[1] == "u1", (bad, reply)
    assert clients.director_ping(udir.userdb)


def test_userdb_only_on_its_own_socket(udir, records):
    """The world-accessible lookup socket refuses USERDB; the userdb socket is mode 0660 and also routes."""
    reply = userdb(udir.socket, "anna@userdb.example")
    assert reply[0] == "ERROR" and "userdb socket" in reply[2], reply
    mode = stat.S_IMODE(os.stat(udir.userdb).st_mode)
    assert mode == 0o660, oct(mode)
    assert clients.director_lookup(udir.userdb, "anna@userdb.example")[0] == "OK"


def _refused(fn, *args):
    try:
        fn(*args)
    except clients.LoginFailed as e:
        return str(e)
    raise AssertionError("%s%r succeeded" % (fn.__name__, args))


def test_hosted_mailboxes_log_in_with_their_stored_password(cluster, udir, records):
    """A proxy with userdb_socket= logs hosted mailboxes in with the hash from Redis and routes them; wrong passwords, unknown, suspended mailboxes and domains are refused at the proxy; the userdb gives the capped quota."""
    env = cluster.env
    p = env.add(harness.DovecotHostedProxy(env, "phosted", HOSTED_IP, udir.socket,
                                           udir.userdb)).start()
    try:
        erin = "erin@" + DOMAIN
        landed = clients.imap_login(p.imap, "Erin@USERDB.example", "pass")
        assert landed in cluster.backends, landed
        assert cluster.assigned(erin) == landed
        clients.pop3_login(p.pop3, erin, "pass")
        offsets = {n: os.path.getsize(be.log_path) for n, be in cluster.backends.items()}
        src = iter("127.0.0.%d" % i for i in range(81, 90))
        for who, pw in ((erin, "wrong"), ("finn@" + DOMAIN, "pass"),
                        ("erin@suspended.example", "pass"), ("nobody@" + DOMAIN, "pass"),
                        ("not an address", "pass")):
            why = _refused(clients.imap_login, p.imap, who, pw, 10, False, next(src))
            assert "UNAVAILABLE" not in why, "%s: temporary failure: %s" % (who, why)
        for n, be in cluster.backends.items():
            with open(be.log_path, "rb") as f:
                f.seek(offsets[n])
                text = f.read().decode("utf-8", "replace")
            # refused at the proxy: no login attempt, not even the wrong
            # password's, reached a backend's login process (erin's earlier
            # sessions may still log their ends there)
            logins = [line for line in text.splitlines() if "-login:" in line]
            for who in ("erin@", "finn@", "suspended.example", "nobody@"):
                assert not [line for line in logins if who in line], \
                    "%s reached backend %s:\n%s" % (who, n, "\n".join(logins))
        out = subprocess.run(["doveadm", "-c", p.conf_path, "user", erin],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        assert "quota_rule" in out.stdout and "*:storage=1500B" in out.stdout, out.stdout
        out = subprocess.run(["doveadm", "-c", p.conf_path, "user", "finn@" + DOMAIN],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode != 0, out.stdout
    finally:
        p.stop()


def _smtp_auth(pf, who, password, source="127.0.0.1"):
    """SMTP AUTH PLAIN on Postfix's submission listener: 235, or the refusal
    code.  Failures earn the client address Dovecot's auth penalty, so each
    expected failure comes from an address of its own (SOURCE)."""
    with smtplib.SMTP(pf.host, pf.submission_port, timeout=20,
                      source_address=(source, 0)) as s:
        s.ehlo("client.systest.invalid")
        assert "PLAIN" in s.esmtp_features.get("auth", ""), s.esmtp_features
        s.user, s.password = who, password
        try:
            code, _ = s.auth("PLAIN", s.auth_plain)
        except smtplib.SMTPAuthenticationError as e:
            return e.smtp_code
        return code


def _rcpt_code(pf, who=None, password=None):
    """RCPT TO a hosted-cluster user on the submission listener, after AUTH
    when WHO is given: the reply code."""
    with smtplib.SMTP(pf.host, pf.submission_port, timeout=20) as s:
        s.ehlo("client.systest.invalid")
        if who is not None:
            s.login(who, password)
        s.mail("erin@" + DOMAIN)
        code, _ = s.rcpt("someone@example.com")
        s.rset()
        return code


def test_smtp_auth_through_dovecot_sasl_checks_hosted_passwords(cluster, udir, records):
    """Postfix SMTP AUTH through Dovecot SASL (the hummingbird passdb with userdb_socket=) accepts a hosted mailbox's stored password and refuses wrong passwords, suspended mailboxes and domains and unknown users; only an authenticated client may relay."""
    env = cluster.env
    p = env.add(harness.DovecotHostedProxy(env, "psasl", SASL_IP, udir.socket,
                                           udir.userdb)).start()
    pf = None
    try:
        pf = env.add(harness.Postfix(env, "pfsasl", cluster.directors[0].socketmap,
                                     "example.com", sasl_path=p.sasl_socket)).start()
        erin = "erin@" + DOMAIN
        assert _smtp_auth(pf, erin, "pass") == 235
        assert _smtp_auth(pf, "Erin@USERDB.example", "pass") == 235
        src = iter("127.0.0.%d" % i for i in range(91, 99))
        for who, pw in ((erin, "wrong"), ("finn@" + DOMAIN, "pass"),
                        ("erin@suspended.example", "pass"), ("nobody@" + DOMAIN, "pass")):
            assert _smtp_auth(pf, who, pw, next(src)) == 535, who
        assert _rcpt_code(pf) == 554
        assert _rcpt_code(pf, erin, "pass") == 250
    finally:
        if pf is not None:
            pf.stop()
        p.stop()


def test_mailbox_added_with_hbctl_works_at_once(cluster, udir, tmp_path):
    """A mailbox that `hbctl user add` creates (password from a 0600 file) logs in over IMAP through a hosted proxy at once; suspended it is refused, resumed it works again, removed it is unknown."""
    env = cluster.env
    d, who = "cli-hosted.example", "newbie@cli-hosted.example"
    pw_file = tmp_path / "pw"
    pw_file.write_text("pass\n")          # the backends' static password
    os.chmod(pw_file, 0o600)
    cluster.hbctl_ok("domain", "add", d)
    cluster.hbctl_ok("user", "add", who, "--password-file", str(pw_file), "--quota", "10M")
    stored = cluster.redis("GET", PREFIX + "pw:%s:newbie" % d)
    assert stored.startswith("{SHA512-CRYPT}$6$") and "pass" not in stored[20:], stored
    p = env.add(harness.DovecotHostedProxy(env, "pcli", "127.0.0.18", udir.socket,
                                           udir.userdb)).start()
    try:
        landed = clients.imap_login(p.imap, who, "pass")
        assert landed in cluster.backends, landed
        cluster.hbctl_ok("user", "suspend", who)
        why = _refused(clients.imap_login, p.imap, who, "pass", 10, False, "127.0.0.71")
        assert "UNAVAILABLE" not in why, why
        cluster.hbctl_ok("user", "resume", who)
        assert clients.imap_login(p.imap, who, "pass") in cluster.backends
        cluster.hbctl_ok("user", "remove", who)
        _refused(clients.imap_login, p.imap, who, "pass", 10, False, "127.0.0.72")
    finally:
        p.stop()
    actions = [e["action"] for e in json.loads(cluster.hbctl_ok("--json", "audit", d).stdout)]
    assert actions == ["domain create", "mailbox add", "mailbox state", "mailbox state",
                       "mailbox remove"], actions


def test_hbctl_generated_password_is_shown_once_and_works(cluster, udir):
    """`hbctl user add` without a password file generates one, prints it once, stores only its hash, and Dovecot accepts it (doveadm auth test through the hosted proxy's passdb)."""
    env = cluster.env
    d, who = "cli-gen.example", "gen@cli-gen.example"
    cluster.hbctl_ok("domain", "add", d)
    out = json.loads(cluster.hbctl_ok("--json", "user", "add", who).stdout)
    password = out["password"]
    assert len(password) == 32 and password.isalnum(), password
    assert password not in cluster.redis("GET", PREFIX + "pw:%s:gen" % d)
    assert "password" not in cluster.hbctl_ok("--json", "user", "list", d).stdout
    p = env.add(harness.DovecotHostedProxy(env, "pgen", "127.0.0.19", udir.socket,
                                           udir.userdb)).start()
    try:
        ok = subprocess.run(["doveadm", "-c", p.conf_path, "auth", "test", "-x", "service=smtp",
                             who, password], capture_output=True, text=True, timeout=30)
        assert ok.returncode == 0, ok.stdout + ok.stderr
        bad = subprocess.run(["doveadm", "-c", p.conf_path, "auth", "test", "-x", "service=smtp",
                              who, password + "x"], capture_output=True, text=True, timeout=30)
        assert bad.returncode != 0, bad.stdout
    finally:
        p.stop()
