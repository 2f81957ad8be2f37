"""test_redis_acl.py - system tests of the Redis ACL users (docs/SECURITY.md 2,
conf.d/redis-users.acl filled in by scripts/make-redis-acl.sh): a Redis of its
own that knows only those users, a director connected as hb-director, a proxy
whose Redis fast path connects as hb-auth and hbctl as hb-operator.  Routing,
health checks, the fast path and hbctl work; each component's user is refused
everything outside its keys and commands.  Each test's docstring says on its
first line what it proves.
"""

import os
import stat
import subprocess
import time

import pytest

import clients
import harness
from cluster import PREFIX, user

ACL_IP = "127.0.0.17"
SRCDIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TEMPLATE = os.path.join(SRCDIR, "conf.d", "redis-users.acl")
MAKE_ACL = os.path.join(SRCDIR, "scripts", "make-redis-acl.sh")
NODES = ("be1", "be2")
USERS = ("hb-operator", "hb-director", "hb-auth", "hb-milter", "hb-admind", "hb-node-be1",
         "hb-node-be2")


class AclSetup:
    def __init__(self, cluster):
        env = cluster.env
        self.dir = os.path.join(env.root, "acl")
        self.secrets = os.path.join(self.dir, "secrets")
        self.aclfile = os.path.join(self.dir, "users.acl")
        os.makedirs(self.dir, exist_ok=True)
        self.make_out = make_acl(self.aclfile, self.secrets)
        self.password = {u: read(self.secret(u)) for u in USERS}
        self.redis = env.add(harness.RedisServer(
            env, "redis-acl", aclfile=self.aclfile,
            auth=("hb-operator", self.password["hb-operator"]))).start()
        self.director = env.add(harness.Director(env, "dacl", self.redis))
        self.director.write_conf(self.identity("hb-director"))
        self.director.start()
        self.operator_conf = self.conf_as("operator.conf", "hb-operator")
        self.auth_conf = self.conf_as("auth.conf", "hb-auth")
        for name, be in cluster.backends.items():
            r = self.hbctl("backend", "add", name, be.ip, "--imap-port", be.imap_port,
                           "--pop3-port", be.pop3_port, "--lmtp-port", be.lmtp_port,
                           "--doveadm-port", be.doveadm_port)
            assert r.returncode == 0, r.stdout + r.stderr
        self.proxy = env.add(harness.DovecotProxy(env, "pacl", ACL_IP, self.director.socket,
                                                  redis_config=self.auth_conf)).start()

    def secret(self, name):
        return os.path.join(self.secrets, name + ".password")

    def identity(self, name):
        return "redis_user = %s\nredis_password_file = %s\n" % (name, self.secret(name))

    def conf_as(self, filename, name):
        """The director's configuration, but connecting as NAME."""
        with open(self.director.conf_path) as f:
            text = "".join(line for line in f if not line.startswith("redis_user")
                           and not line.startswith("redis_password_file"))
        return harness.write(os.path.join(self.dir, filename), text + self.identity(name))

    def hbctl(self, *args):
        argv = [harness.hbctl_binary(), "-c", self.operator_conf] + [str(a) for a in args]
        return subprocess.run(argv, capture_output=True, text=True, timeout=60)

    def call_as(self, name, *args):
        return self.redis(*args, auth=(name, self.password[name]))

    def stop(self):
        for svc in (self.proxy, self.director, self.redis):
            svc.stop()


def make_acl(aclfile, secrets):
    # a Redis of the tests' own: nobody gets in without a password
    out = subprocess.run(["sh", MAKE_ACL, "--disable-default", TEMPLATE, aclfile, secrets]
                         + list(NODES),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout + out.stderr


def read(path):
    with open(path) as f:
        return f.read().strip()


@pytest.fixture(scope="module")
def acl(cluster):
    setup = AclSetup(cluster)
    yield setup
    setup.stop()


def _refused(fn, *args):
    try:
        reply = fn(*args)
    except RuntimeError as e:
        return str(e)
    raise AssertionError("%r was allowed: %r" % (args, reply))


def test_components_work_as_their_own_redis_users(cluster, acl):
    """The director (hb-director) checks health and routes, the proxy's fast path (hb-auth) answers assigned users and its answer cache subscribes to hb:events, hbctl (hb-operator) reads and changes state, and nobody's log shows a refused command."""
    deadline = time.monotonic() + 15
    while any(acl.call_as("hb-operator", "HGET", PREFIX + "backend:" + n, "health") != "ok"
              for n in cluster.backends):
        assert time.monotonic() < deadline, harness.tail(acl.director.log_path, 30)
        time.sleep(0.2)
    u = user("acl", 1)
    first = clients.imap_login(acl.proxy.imap, u)          # a director assigns
    for _ in range(3):
        assert clients.imap_login(acl.proxy.imap, u) == first   # fast path
    out = subprocess.run(["doveadm", "-c", acl.proxy.conf_path, "stats", "dump"],
                         capture_output=True, text=True, timeout=30).stdout
    assert "hummingbird_route_redis_" + first in out, out
    r = acl.hbctl("user", "where", u)
    assert r.returncode == 0 and first in r.stdout, r.stdout + r.stderr
    assert acl.hbctl("status").returncode == 0
    assert acl.hbctl("backend", "users", first).returncode == 0
    # the answer cache listens to hb:events as hb-auth
    deadline = time.monotonic() + 10
    while not any(f.get("user") == "hb-auth" and f.get("sub") == "1" for f in (
            dict(kv.split("=", 1) for kv in line.split() if "=" in kv) for line in
            acl.call_as("hb-operator", "CLIENT", "LIST", "TYPE", "pubsub").splitlines())):
        assert time.monotonic() < deadline, harness.tail(acl.proxy.log_path, 30)
        time.sleep(0.1)
    for path in (acl.director.log_path, acl.proxy.log_path):
        text = harness.tail(path, 400)
        assert "NOPERM" not in text and "unusable" not in text, text


def test_each_redis_user_is_refused_what_it_must_not_do(acl):
    """No component user may list or scan keys, monitor, manage clients or the server; each may only touch its own keys, and anonymous connections get nothing."""
    for name in USERS[1:]:
        for command in (("KEYS", "*"), ("SCAN", "0"), ("MONITOR",), ("CLIENT", "LIST"),
                        ("CONFIG", "GET", "maxmemory"), ("FLUSHALL",), ("ACL", "LIST"),
                        ("SHUTDOWN", "NOSAVE")):
            why = _refused(acl.call_as, name, *command)
            assert "NOPERM" in why, (name, command, why)
    forbidden = {
        "hb-director": (("HSET", "hb:d:acl.example", "state", "x"), ("GET", "hb:admin:x")),
        "hb-auth": (("SET", "hb:user:x", "be1"), ("HSET", "hb:backend:be1", "state", "down"),
                    ("EVAL", "return redis.call('SET', 'hb:user:x', 'be1')", "0"),
                    ("GET", "hb:d:acl.example")),
        "hb-milter": (("HSET", "hb:d:acl.example", "state", "x"), ("GET", "hb:user:x"),
                      ("SET", "hb:d:acl.example", "x")),
        "hb-admind": (("GET", "hb:user:x"), ("HSET", "hb:backend:be1", "state", "down"),
                      ("SET", "hb:rl:x", "1")),
        "hb-node-be1": (("HSET", "hb:backend:be1", "degraded", "0"), ("GET", "hb:user:x"),
                    ("EVAL", "return redis.call('HSET', 'hb:backend:be1', 'state', 'up')", "0"),
                    ("SET", "hb:pressure:be1", "x")),
    }
    for name, commands in forbidden.items():
        for command in commands:
            why = _refused(acl.call_as, name, *command)
            # a script's refused command says so in words of its own
            assert ("NOPERM" in why or "can't run this command" in why or
                    "can't access at least one of the keys" in why), (name, command, why)
    # and what each needs is allowed
    assert acl.call_as("hb-milter", "SET", "hb:rl:acltest", "1") == "OK"
    assert acl.call_as("hb-milter", "HGET", "hb:d:acl.example", "state") is None
    assert acl.call_as("hb-operator", "HSET", "hb:d:acl.example", "state", "active") == 1
    assert acl.call_as("hb-director", "HGET", "hb:d:acl.example", "state") == "active"
    # a mail node publishes its lock census, and the director may read it
    node_conf = acl.conf_as("node.conf", "hb-node-be1")
    r = subprocess.run([harness.hbctl_binary(), "-c", node_conf, "locks", "--json",
                        "--mail-root", acl.dir, "--publish", "be1"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert acl.call_as("hb-director", "HGET", "hb:pressure:be1", "level") == "ok"
    why = _refused(clients.redis_call, acl.redis.host, acl.redis.port, "PING")
    assert "NOAUTH" in why, why


def test_only_the_director_publishes_health_events_and_only_auth_listens(acl):
    """hb-auth may SUBSCRIBE to hb:events but not PUBLISH or subscribe to any other channel; hb-director may PUBLISH on hb:events (also from a script) and on no other channel."""
    assert acl.call_as("hb-auth", "SUBSCRIBE", "hb:events") == ["subscribe", "hb:events", 1]
    refused = {
        "hb-auth": (("PUBLISH", "hb:events", "all"), ("SUBSCRIBE", "hb:other"),
                    ("PSUBSCRIBE", "hb:*"), ("SSUBSCRIBE", "hb:events")),
        "hb-director": (("PUBLISH", "hb:other", "all"), ("SUBSCRIBE", "hb:events"),
                        ("EVAL", "return redis.call('PUBLISH', ARGV[1], 'all')", "0", "hb:other")),
        "hb-milter": (("PUBLISH", "hb:events", "all"), ("SUBSCRIBE", "hb:events")),
        "hb-admind": (("PUBLISH", "hb:events", "all"), ("SUBSCRIBE", "hb:events")),
        "hb-node-be1": (("PUBLISH", "hb:events", "all"), ("SUBSCRIBE", "hb:events")),
    }
    for name, commands in refused.items():
        for command in commands:
            why = _refused(acl.call_as, name, *command)
            assert "NOPERM" in why or "can't publish to the channel" in why, (name, command, why)
    # an unknown message, which the proxy's module ignores
    assert acl.call_as("hb-director", "PUBLISH", "hb:events", "acl-test") >= 0
    assert acl.call_as("hb-director", "EVAL", "return redis.call('PUBLISH', ARGV[1], 'acl-test')",
                       "0", "hb:events") >= 0


def test_make_redis_acl_keeps_passwords_and_never_shows_them(acl):
    """make-redis-acl.sh writes each password once (mode 0600), never prints one, fills every placeholder, and keeps the passwords when run again."""
    for name in USERS:
        mode = stat.S_IMODE(os.stat(acl.secret(name)).st_mode)
        assert mode == 0o600, (name, oct(mode))
        assert len(acl.password[name]) == 40, name
        assert acl.password[name] not in acl.make_out
    again = make_acl(acl.aclfile + ".again", acl.secrets)
    assert {n: read(acl.secret(n)) for n in USERS} == acl.password
    for password in acl.password.values():
        assert password not in again
    with open(acl.aclfile + ".again") as f:
        text = f.read()
    assert "@SHA256:" not in text
    assert text == open(acl.aclfile).read()


def test_make_redis_acl_turns_default_off_only_when_asked(acl, tmp_path):
    """make-redis-acl.sh leaves a shared Redis' user "default" alone unless given --disable-default, which makes that Redis refuse clients without a password."""
    with open(acl.aclfile) as f:
        assert "user default off resetkeys resetchannels -@all\n" in f.read()
    with pytest.raises(RuntimeError, match="NOAUTH|NOPERM|WRONGPASS"):
        clients.redis_call(acl.redis.host, acl.redis.port, "GET", "hb:backends")
    shared = tmp_path / "shared.acl"
    out = subprocess.run(["sh", MAKE_ACL, TEMPLATE, str(shared), acl.secrets],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    lines = shared.read_text().splitlines()
    assert not [line for line in lines if line.startswith("user default ")], lines
    assert [line.split()[1] for line in lines] == [u for u in USERS if not u.startswith("hb-node-")]


# What each user may do with each kind of key: R read, W write, "" neither.
# Every cell is probed both ways, so a user's denials are enumerated, not only
# its permissions (docs/SECURITY.md 2).  Key kinds: (read probe, write probe).
D = "hb:d:acl.example"
PROBES = {
    "domain": (("HGET", D, "state"), ("HSET", D, "state", "active")),
    "policy": (("HGET", D + ":policy", "user_msgs"), ("HSET", D + ":policy", "user_msgs", "1/60")),
    "mailbox": (("HGET", D + ":u:anna", "state"), ("HSET", D + ":u:anna", "state", "active")),
    "senders": (("SISMEMBER", D + ":send:anna", "@x.example"), ("SADD", D + ":send:anna", "@x.example")),
    "password": (("GET", "hb:pw:acl.example:anna"), ("SET", "hb:pw:acl.example:anna", "{PLAIN}x")),
    "caps": (("HGET", "hb:caps:acl.example", "user_msgs"), ("HSET", "hb:caps:acl.example", "user_msgs", "9/1")),
    "grants": (("SISMEMBER", "hb:grant:acl.example", "mallory"), ("SADD", "hb:grant:acl.example", "mallory")),
    "domains": (("SISMEMBER", "hb:domains", "acl.example"), ("SADD", "hb:domains", "evil.example")),
    "admins": (("SISMEMBER", "hb:admins", "mallory"), ("SADD", "hb:admins", "mallory")),
    "account": (("HGET", "hb:admin:mallory", "gen"), ("HSET", "hb:admin:mallory", "gen", "1")),
    "account-domains": (("SMEMBERS", "hb:admin:mallory:domains"), ("SADD", "hb:admin:mallory:domains", "acl.example")),
    "admin-password": (("HGET", "hb:adminpw:mallory", "hash"), ("HSET", "hb:adminpw:mallory", "gen", "1")),
    "session": (("HGET", "hb:session:ab", "admin"), ("HSET", "hb:session:ab", "admin", "x")),
    "audit": (("LRANGE", "hb:audit:acl.example", "0", "-1"), ("RPUSH", "hb:audit:acl.example", "{}")),
    "ratelimit": (("GET", "hb:rl:user_msgs:x"), ("SET", "hb:rl:user_msgs:x", "1")),
    "assignment": (("GET", "hb:user:x@acl.example"), ("EXPIRE", "hb:user:x@acl.example", "1")),
    "backend-users": (("ZSCORE", "hb:users:be1", "x"), ("ZADD", "hb:users:be1", "1", "x")),
    "backend": (("EXISTS", "hb:backend:be1"), ("HSET", "hb:backend:be1", "acl-probe", "1")),
    "other-backend": (("EXISTS", "hb:backend:be2"), ("HSET", "hb:backend:be2", "acl-probe", "1")),
    "pressure": (("HGET", "hb:pressure:be1", "level"), ("HSET", "hb:pressure:be1", "acl-probe", "1")),
    "other-pressure": (("HGET", "hb:pressure:be2", "level"), ("HSET", "hb:pressure:be2", "acl-probe", "1")),
    "routing": (("EXISTS", "hb:routing"), ("HSET", "hb:routing", "acl-probe", "1")),
}
MAY = {
    "hb-director": {"domain": "R", "policy": "R", "mailbox": "R", "senders": "R", "password": "R",
                    "caps": "R", "domains": "R", "assignment": "RW", "backend-users": "RW",
                    "backend": "RW", "other-backend": "RW", "pressure": "R", "other-pressure": "R",
                    "routing": "RW"},
    "hb-auth": {"assignment": "R", "backend": "R", "other-backend": "R", "routing": "R"},
    "hb-milter": {"domain": "R", "policy": "R", "mailbox": "R", "senders": "R", "caps": "R",
                  "domains": "R", "ratelimit": "RW"},
    "hb-admind": {"domain": "R", "policy": "RW", "mailbox": "RW", "senders": "RW", "password": "W",
                  "caps": "R", "grants": "R", "account": "R", "account-domains": "R",
                  "admin-password": "RW", "session": "RW", "audit": "RW"},
    "hb-node-be1": {"backend": "R", "pressure": "W"},
}
# Commands no component user may run at all, whatever the key
NEVER = (("KEYS", "*"), ("SCAN", "0"), ("RANDOMKEY",), ("MONITOR",), ("CLIENT", "LIST"),
         ("CLIENT", "KILL", "TYPE", "normal"), ("CONFIG", "GET", "maxmemory"), ("FLUSHALL",),
         ("FLUSHDB",), ("ACL", "LIST"), ("ACL", "SETUSER", "x", "on"), ("SHUTDOWN", "NOSAVE"),
         ("SAVE",), ("BGSAVE",), ("REPLICAOF", "NO", "ONE"),
         ("MODULE", "LIST"), ("FUNCTION", "FLUSH"), ("SCRIPT", "FLUSH"), ("OBJECT", "ENCODING", D),
         ("DUMP", D), ("RESTORE", D + ":x", "0", "x"), ("RENAME", D + ":users", D + ":x"),
         ("COPY", "hb:caps:acl.example", D + ":x"), ("SORT", D + ":users", "STORE", "hb:caps:x"),
         ("MIGRATE", "127.0.0.1", "1", D, "0", "1"), ("SWAPDB", "0", "1"), ("MOVE", D, "1"),
         ("XTRIM", "hb:audit:acl.example", "MAXLEN", "0"), ("LTRIM", "hb:audit:acl.example", "1", "0"),
         ("XADD", "hb:audit:acl.example", "MAXLEN", "0", "*", "a", "b"), ("UNLINK", D),
         ("GETDEL", "hb:pw:acl.example:anna"), ("SET", "hb:pw:acl.example:anna", "x", "GET"))


def _noperm(why):
    return ("NOPERM" in why or "can't run this command" in why or
            "can't access at least one of the keys" in why or "No permissions" in why)


def _allowed(acl, name, command):
    try:
        acl.call_as(name, *command)
        return True
    except RuntimeError as e:
        if _noperm(str(e)):
            return False
        return True        # refused for another reason (type, syntax): permitted


def test_every_redis_user_may_do_exactly_what_its_component_needs(acl):
    """For every ACL user and every kind of key, reading and writing are each allowed or refused (NOPERM) exactly as docs/SECURITY.md 2 says, also from inside a script; no user but the operator may run any of a list of dangerous commands (RANDOMKEY, XTRIM, RENAME, COPY, SET ... GET on a password...)."""
    wrong = []
    for name, may in MAY.items():
        for kind, (read_cmd, write_cmd) in PROBES.items():
            for mode, command in (("R", read_cmd), ("W", write_cmd)):
                expected = mode in may.get(kind, "")
                if _allowed(acl, name, command) != expected:
                    wrong.append((name, kind, mode, "allowed" if not expected else "refused"))
                if mode == "W" and not expected:
                    # the same write from a script (scripts run as the caller)
                    script = "return redis.call(%s)" % ", ".join("'%s'" % a for a in command)
                    if _allowed(acl, name, ("EVAL", script, "0")):
                        wrong.append((name, kind, "W in a script", "allowed"))
        for command in NEVER:
            if _allowed(acl, name, command):
                wrong.append((name, " ".join(command[:2]), "-", "allowed"))
    assert not wrong, "\n".join("%s %s %s: %s" % w for w in wrong)


def test_admind_cannot_grant_itself_a_domain_create_an_admin_or_erase_the_audit(acl):
    """The audit's attacks as hb-admind, each refused: read a mailbox password hash, add itself to a domain's grants, create an admin account with a password, raise a cap, trim or delete an audit log; while what admind exists for (a mailbox change with its audit entry) still works."""
    op = lambda *a: acl.call_as("hb-operator", *a)
    op("SET", "hb:pw:acl.example:boss", "{SHA512-CRYPT}$6$secret")
    op("RPUSH", "hb:audit:acl.example", '{"action":"mailbox add"}')
    attacks = (("GET", "hb:pw:acl.example:boss"), ("SADD", "hb:grant:acl.example", "mallory"),
               ("SADD", "hb:admin:mallory:domains", "acl.example"), ("SADD", "hb:admins", "mallory"),
               ("HSET", "hb:admin:mallory", "gen", "1"), ("HSET", "hb:caps:acl.example", "user_msgs", "999/1"),
               ("DEL", "hb:audit:acl.example"), ("LTRIM", "hb:audit:acl.example", "1", "0"),
               ("LSET", "hb:audit:acl.example", "0", "{}"), ("LPOP", "hb:audit:acl.example"),
               ("EXPIRE", "hb:audit:acl.example", "1"), ("HSET", "hb:d:acl.example", "state", "active"))
    for command in attacks:
        why = _refused(acl.call_as, "hb-admind", *command)
        assert _noperm(why), (command, why)
        script = "return redis.call(%s)" % ", ".join("'%s'" % a for a in command)
        why = _refused(acl.call_as, "hb-admind", "EVAL", script, "0")
        assert _noperm(why), (command, why)
    assert op("LLEN", "hb:audit:acl.example") >= 1
    assert op("GET", "hb:pw:acl.example:boss") == "{SHA512-CRYPT}$6$secret"
    assert acl.call_as("hb-admind", "RPUSH", "hb:audit:acl.example", "{}") >= 2


def test_make_redis_acl_refuses_node_names_that_are_key_patterns(acl, tmp_path):
    """make-redis-acl.sh makes one user per mail node confined to that node's keys, and refuses a node name Redis would read as a pattern (be*, be?, [x])."""
    with open(acl.aclfile) as f:
        text = f.read()
    nodes = [line for line in text.splitlines() if line.startswith("user hb-node-")]
    assert len(nodes) == 2 and "~hb:pressure:be1 " in nodes[0] and "%R~hb:backend:be1 " in nodes[0], nodes
    assert not any("*" in w for line in nodes for w in line.split() if "hb:" in w), nodes
    for bad in ("be*", "be?", "[x]", "a b", ""):
        out = subprocess.run(["sh", MAKE_ACL, TEMPLATE, str(tmp_path / "x.acl"),
                              str(tmp_path / "s"), bad], capture_output=True, text=True, timeout=30)
        assert out.returncode == 64 and "bad node name" in out.stderr, (bad, out.stderr)
