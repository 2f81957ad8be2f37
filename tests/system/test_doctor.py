"""test_doctor.py - the Dovecot snippets conf.d/90-hb-guard.conf and
91-hb-locks.conf load hb_guard and hb_locks in lmtp and imap next to a
site's Debian-style `protocol lmtp { mail_plugins = $mail_plugins sieve }`,
whichever file Dovecot reads first; and `hbctl doctor` says so (exit 0),
says WARNING/CRITICAL when a protocol drops a plugin, and CRITICAL when a
component's Redis password is wrong or its ACL user is disabled."""

import json
import os
import re
import shutil
import smtplib
import subprocess

import pytest

import clients
import harness

IP = "127.0.0.51"
SIEVE_SO = "/usr/lib/dovecot/modules/lib90_sieve_plugin.so"
MAKE_ACL = os.path.join(harness.SRCDIR, "scripts", "make-redis-acl.sh")
ACL_TEMPLATE = os.path.join(harness.SRCDIR, "conf.d", "redis-users.acl")
NOBODY = 65534

# Debian's conf.d as a site edits it: 20-lmtp.conf comes before our 90/91
SITE_LMTP = "protocol lmtp {\n  mail_plugins = $mail_plugins sieve\n}\n"


def plugin_dir(root):
    """One mail_plugin_dir with this build's plugins and Debian's sieve."""
    d = os.path.join(root, "modules")
    os.makedirs(d, exist_ok=True)
    for rel in ("plugins/guard/.libs/lib90_hb_guard_plugin.so",
                "plugins/locks/.libs/lib91_hb_locks_plugin.so"):
        shutil.copy(harness.find_built(rel), d)
    shutil.copy(SIEVE_SO, d)
    return d


def conf_dir(root, site_after=False):
    """A Debian-style conf.d: 10-mail.conf, the site's lmtp block (20-, or
    with SITE_AFTER 95-, read after ours) and the snippets as shipped."""
    d = os.path.join(root, "conf.d-after" if site_after else "conf.d")
    os.makedirs(d, exist_ok=True)
    harness.write(os.path.join(d, "10-mail.conf"), "mail_plugins = $mail_plugins\n")
    harness.write(os.path.join(d, "95-site-lmtp.conf" if site_after else "20-lmtp.conf"),
                  SITE_LMTP)
    for name in ("90-hb-guard.conf", "91-hb-locks.conf"):
        shutil.copy(os.path.join(harness.SRCDIR, "conf.d", name), d)
    return d


class DoctorBackend(harness.DovecotBackend):
    """A backend whose configuration ends with Debian's `!include conf.d/*.conf`."""

    def __init__(self, env, name):
        super().__init__(env, name, IP)
        self.plugin_dir = plugin_dir(self.dir)
        self.confd = conf_dir(self.dir)
        rebuild = os.path.join(self.dir, "rebuild")
        os.makedirs(rebuild, mode=0o700, exist_ok=True)
        os.chown(rebuild, harness.VMAIL_UID, harness.VMAIL_UID)
        with open(self.conf_path, "a") as f:
            f.write("mail_plugin_dir = %s\nmail_debug = yes\n" % self.plugin_dir)
            f.write("plugin {\n  hb_guard_rebuild_dir = %s\n}\n" % rebuild)
            f.write("!include %s/*.conf\n" % self.confd)

    def variant(self, name, extra):
        """A copy of the configuration with EXTRA read last (for doveconf)."""
        with open(self.conf_path) as f:
            text = f.read()
        return harness.write(os.path.join(self.dir, name), text + extra)


def doveconf_plugins(conf, protocol):
    out = subprocess.run(["doveconf", "-c", conf, "-f", "protocol=" + protocol,
                          "-h", "mail_plugins"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


class RedisSetup:
    """A Redis with the shipped ACL users and a Hummingbird config dir whose
    files connect as hb-director (root's file), hb-milter (a file owned by
    nobody: doctor must become nobody to read it) and hb-node-be1."""

    def __init__(self, env):
        self.dir = os.path.join(env.root, "doctor-redis")
        self.secrets = os.path.join(self.dir, "secrets")
        self.config_dir = os.path.join(self.dir, "etc")
        os.makedirs(self.config_dir, exist_ok=True)
        aclfile = os.path.join(self.dir, "users.acl")
        out = subprocess.run(["sh", MAKE_ACL, "--disable-default", ACL_TEMPLATE, aclfile,
                              self.secrets, "be1"], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        self.operator = ("hb-operator", self.password("hb-operator"))
        self.redis = env.add(harness.RedisServer(env, "redis-doctor", aclfile=aclfile,
                                                 auth=self.operator)).start()
        os.chmod(self.dir, 0o755)
        os.chmod(self.secrets, 0o755)
        os.chown(self.secret("hb-milter"), NOBODY, NOBODY)
        for conf, user in (("director.conf", "hb-director"), ("milter.conf", "hb-milter"),
                           ("locks.conf", "hb-node-be1")):
            self.write_conf(conf, user, self.secret(user))

    def secret(self, user):
        return os.path.join(self.secrets, user + ".password")

    def password(self, user):
        with open(self.secret(user)) as f:
            return f.read().strip()

    def write_conf(self, name, user, password_file):
        harness.write(os.path.join(self.config_dir, name),
                      "redis_host = %s\nredis_port = %d\nredis_user = %s\n"
                      "redis_password_file = %s\n" % (self.redis.host, self.redis.port,
                                                       user, password_file), mode=0o600)


@pytest.fixture(scope="module")
def node(env):
    if not os.path.exists(SIEVE_SO):
        pytest.fail("dovecot-sieve is not installed (%s): the tests need it" % SIEVE_SO)
    backend = env.add(DoctorBackend(env, "doctor-be")).start()
    redis = RedisSetup(env)
    yield backend, redis
    backend.stop()
    redis.redis.stop()


def doctor(backend, redis, *args, conf=None, role="backend"):
    argv = [harness.hbctl_binary(), "--json", "doctor", "--role", role,
            "--dovecot-config", conf or backend.conf_path,
            "--auth-module-dir", os.path.dirname(harness.authdb_module()),
            "--config-dir", redis.config_dir] + list(args)
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    report = json.loads(out.stdout)
    assert report["exit_code"] == out.returncode, out.stdout
    return out.returncode, {c["check"]: c for c in report["checks"]}, out


def test_snippets_add_plugins_next_to_a_site_lmtp_block_in_either_order(node):
    """doveconf gives lmtp sieve, hb_guard and hb_locks whether the site's
    protocol lmtp block is read before or after the snippets, and every other
    mail protocol both plugins, without duplicates."""
    backend, _ = node
    after = backend.variant("dovecot-after.conf", "")
    with open(after) as f:
        text = f.read().replace(backend.confd, conf_dir(backend.dir, site_after=True))
    harness.write(after, text)
    for conf in (backend.conf_path, after):
        lmtp = doveconf_plugins(conf, "lmtp")
        assert sorted(lmtp) == ["hb_guard", "hb_locks", "sieve"], (conf, lmtp)
        for protocol in ("imap", "pop3", "doveadm", "indexer-worker", "lda"):
            assert sorted(doveconf_plugins(conf, protocol)) == ["hb_guard", "hb_locks"]
    warn = subprocess.run(["doveconf", "-c", backend.conf_path, "-n"],
                          capture_output=True, text=True, timeout=30)
    assert "won't change the setting" not in warn.stderr


def lmtp_pids(log):
    """PIDs of the lmtp processes that served a recipient in LOG lines."""
    return {int(m.group(1)) for m in
            (re.search(r" lmtp\([^)]*\)<(\d+)>", line) for line in log) if m}


def mapped_files(pid):
    with open("/proc/%d/maps" % pid) as f:
        return f.read()


def test_lmtp_delivery_and_imap_session_load_both_plugins(node):
    """A real LMTP delivery runs in a process that has hb_guard, hb_locks
    and sieve mapped (and hb_guard fsyncs the maildir in it), and an IMAP
    session loads both plugins (Dovecot's "Module loaded" lines)."""
    backend, _ = node
    start = backend.log_size()
    with smtplib.LMTP(backend.ip, backend.lmtp_port, timeout=30) as lmtp:
        lmtp.sendmail("a@example.org", ["docu@example.org"],
                      "Subject: doctor\r\n\r\nhello\r\n")
        # the lmtp process is still ours while the connection is open
        log = backend.log_since(start).splitlines()
        pids = lmtp_pids(log)
        assert len(pids) == 1, log
        maps = mapped_files(pids.pop())
    for so in ("lib90_hb_guard_plugin.so", "lib91_hb_locks_plugin.so",
               "lib90_sieve_plugin.so"):
        assert so in maps, so
    assert any(" lmtp(" in l and "hb_guard: fsync(" in l for l in log), log
    name, conn = clients.imap_login(backend.imap, "docu@example.org", keep=True)
    conn.close()
    assert backend.messages("docu@example.org")
    log = backend.log_since(start).splitlines()
    loaded = [l for l in log if " imap(" in l and "Module loaded:" in l]
    for so in ("lib90_hb_guard_plugin.so", "lib91_hb_locks_plugin.so"):
        assert any(so in l for l in loaded), (so, loaded)


def test_doctor_is_ok_on_the_shipped_setup(node):
    """hbctl doctor: OK (exit 0) for every protocol, the modules' ABI and the
    Redis logins, the milter's as the owner of its password file."""
    backend, redis = node
    code, checks, out = doctor(backend, redis)
    assert code == 0, out.stdout
    for protocol in ("imap", "pop3", "lmtp", "doveadm", "indexer-worker", "lda"):
        assert checks["plugins " + protocol]["status"] == "ok"
    assert "sieve" in checks["plugins lmtp"]["detail"]
    assert checks["abi hb_guard_plugin"]["status"] == "ok"
    assert checks["abi authdb_hummingbird"]["status"] == "ok"
    assert "uid %d" % NOBODY in checks["redis milter.conf"]["detail"]
    assert "EXISTS hb:backend:be1" in checks["redis locks.conf"]["detail"]
    text = subprocess.run([harness.hbctl_binary(), "doctor", "--role", "backend",
                           "--dovecot-config", backend.conf_path, "--auth-module-dir",
                           os.path.dirname(harness.authdb_module()),
                           "--config-dir", redis.config_dir],
                          capture_output=True, text=True, timeout=60)
    assert text.returncode == 0
    assert text.stdout.splitlines()[-1].startswith("DOCTOR OK - ")
    assert redis.password("hb-milter") not in text.stdout + text.stderr


def test_doctor_catches_a_protocol_that_drops_a_plugin(node):
    """A later `protocol lmtp { mail_plugins = sieve }` drops both: CRITICAL
    (exit 2); an imap block without hb_locks: WARNING (exit 1)."""
    backend, redis = node
    crit = backend.variant("dovecot-crit.conf", "protocol lmtp {\n  mail_plugins = sieve\n}\n")
    code, checks, out = doctor(backend, redis, conf=crit)
    assert code == 2, out.stdout
    assert checks["plugins lmtp"]["status"] == "crit"
    assert "hb_guard and hb_locks not loaded" in checks["plugins lmtp"]["detail"]
    assert checks["plugins imap"]["status"] == "ok"
    warn = backend.variant("dovecot-warn.conf", "protocol imap {\n  mail_plugins = hb_guard\n}\n")
    code, checks, out = doctor(backend, redis, conf=warn)
    assert code == 1, out.stdout
    assert checks["plugins imap"]["status"] == "warn"


def test_doctor_auto_role_tells_a_backend_without_snippets_from_a_proxy(node):
    """--role auto: plugins installed but loaded by no protocol is a WARNING
    (a backend whose snippets were never copied); the same node routing
    logins with passdb hummingbird is a proxy, where that is OK."""
    backend, redis = node
    with open(backend.conf_path) as f:
        bare = f.read().replace("!include %s/*.conf" % backend.confd, "")
    no_snippets = harness.write(os.path.join(backend.dir, "dovecot-bare.conf"), bare)
    code, checks, out = doctor(backend, redis, conf=no_snippets, role="auto")
    assert code == 1, out.stdout
    assert checks["plugin hb_guard"]["status"] == "warn"
    assert "no protocol loads it" in checks["plugin hb_guard"]["detail"]
    proxy = harness.write(os.path.join(backend.dir, "dovecot-proxy.conf"),
                          bare + "passdb {\n  driver = hummingbird\n}\n")
    code, checks, out = doctor(backend, redis, conf=proxy, role="auto")
    assert code == 0, out.stdout
    assert checks["plugin hb_locks"]["status"] == "ok"
    assert "proxy" in checks["plugin hb_locks"]["detail"]


def test_doctor_catches_a_wrong_password_and_a_disabled_user(node):
    """A wrong password file (admind.conf) and a disabled ACL user
    (hb-milter) are CRITICAL (exit 2); enabled again it is OK."""
    backend, redis = node
    wrong = os.path.join(redis.dir, "wrong.password")
    harness.write(wrong, "not-the-password\n", mode=0o600)
    redis.write_conf("admind.conf", "hb-admind", wrong)
    try:
        code, checks, out = doctor(backend, redis)
        assert code == 2, out.stdout
        assert checks["redis admind.conf"]["status"] == "crit"
        assert checks["redis milter.conf"]["status"] == "ok"
    finally:
        os.unlink(os.path.join(redis.config_dir, "admind.conf"))
    assert redis.redis("ACL", "SETUSER", "hb-milter", "off") == "OK"
    try:
        code, checks, out = doctor(backend, redis)
        assert code == 2, out.stdout
        assert checks["redis milter.conf"]["status"] == "crit"
        assert checks["redis director.conf"]["status"] == "ok"
    finally:
        assert redis.redis("ACL", "SETUSER", "hb-milter", "on") == "OK"
    code, checks, out = doctor(backend, redis)
    assert code == 0, out.stdout
