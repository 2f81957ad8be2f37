"""test_admind.py - system tests of hummingbird-admind (docs/ADMIND.md): a
real admind over TLS (a throwaway CA) against a Redis that knows only the
ACL users of conf.d/redis-users.acl, admind connected as hb-admind and the
operator's hbctl as hb-operator.  Logins, lock-outs, sessions, and that an
admin of a.example can never read, list, change or audit b.example through
crafted requests; that every change lands in the audit log; that garbage on
the socket never stops it.  Each test's docstring says on its first line what
it proves; each uses admins and domains of its own where it changes them.
"""

import hashlib
import json
import os
import signal
import socket
import ssl
import subprocess
import time
import warnings

import pytest

import admind_harness
import clients
import harness
from cluster import PREFIX
from test_redis_acl import make_acl, read, TEMPLATE  # noqa: F401  (same ACL file)

IP = "127.0.0.20"           # the ACL admind
CLUSTER_IP = "127.0.0.21"   # the admind on the cluster's Redis
HOSTED_IP = "127.0.0.22"    # a hosted proxy for mailboxes added through admind
# client addresses of their own for tests that fail logins on purpose
SRC = {"lock": "127.0.0.23", "addr": "127.0.0.24", "unknown": "127.0.0.25",
       "other": "127.0.0.26", "garbage": "127.0.0.27", "cli": "127.0.0.28"}
PASSWORD = "correct horse battery"
IDN_A, IDN_A_ALABEL = "bücher-a.example", "xn--bcher-a-n2a.example"
IDN_B, IDN_B_ALABEL = "bücher-b.example", "xn--bcher-b-n2a.example"


class Setup:
    def __init__(self, env):
        self.env = env
        self.dir = os.path.join(env.root, "admind-acl")
        os.makedirs(self.dir, exist_ok=True)
        self.secrets = os.path.join(self.dir, "secrets")
        aclfile = os.path.join(self.dir, "users.acl")
        make_acl(aclfile, self.secrets)
        self.redis = env.add(harness.RedisServer(
            env, "redis-admind", aclfile=aclfile,
            auth=("hb-operator", read(self.secret("hb-operator"))))).start()
        self.operator_conf = harness.write(os.path.join(self.dir, "operator.conf"), (
            "redis_port = %d\nredis_user = hb-operator\nredis_password_file = %s\n"
            % (self.redis.port, self.secret("hb-operator"))))
        self.pki = admind_harness.Pki(os.path.join(self.dir, "pki"), [IP, CLUSTER_IP])
        self.admind = env.add(admind_harness.Admind(
            env, "admind", self.redis, IP, self.pki, "hb-admind", self.secret("hb-admind")))
        self.admind.start()
        self.pwfile = harness.write(os.path.join(self.dir, "pw"), PASSWORD + "\n", 0o600)
        for d in ("a.example", "b.example", IDN_A, IDN_B):
            self.op("domain", "add", d)
        for name, domains in (("alice", ("a.example", IDN_A)), ("bob", ("b.example", IDN_B))):
            self.op("admin", "add", name, "--password-file", self.pwfile)
            for d in domains:
                self.op("admin", "grant", name, d)

    def secret(self, name):
        return os.path.join(self.secrets, name + ".password")

    def hbctl(self, *args):
        argv = [harness.hbctl_binary(), "-c", self.operator_conf] + [str(a) for a in args]
        return subprocess.run(argv, capture_output=True, text=True, timeout=60)

    def op(self, *args):
        r = self.hbctl(*args)
        assert r.returncode == 0, "hbctl %s: %s%s" % (args, r.stdout, r.stderr)
        return r

    def op_json(self, *args):
        return json.loads(self.op("--json", *args).stdout)

    def new_admin(self, name, *domains):
        """An admin of its own with DOMAINS (created when missing), logged in."""
        for d in domains:
            if self.hbctl("domain", "show", d).returncode != 0:
                self.op("domain", "add", d)
        self.op("admin", "add", name, "--password-file", self.pwfile)
        for d in domains:
            self.op("admin", "grant", name, d)
        return self.admind.login(name, PASSWORD)


@pytest.fixture(scope="module")
def adm(env):
    s = Setup(env)
    yield s
    s.admind.stop()
    s.redis.stop()


def token_key(token):
    return PREFIX + "session:" + hashlib.sha256(token.encode()).hexdigest()


def test_admind_login_gives_a_token_stored_only_as_its_hash(adm):
    """A correct login returns a 256-bit token; Redis holds only its SHA-256 as P session:HASH with the configured TTL, and the session shows the admin's domains."""
    a = adm.admind
    token = a.login("alice", PASSWORD)
    assert len(token) == 64 and int(token, 16) >= 0, token
    key = token_key(token)
    assert adm.redis("HGET", key, "admin") == "alice"
    assert adm.redis("HGET", key, "from") == "127.0.0.1"
    assert 3590 <= adm.redis("TTL", key) <= 3600
    keys = adm.redis("KEYS", PREFIX + "session:*")
    assert all(token not in k for k in keys)
    assert all(token not in (adm.redis("HGETALL", k) or []) for k in keys)
    r = a.request("GET", "/v1/session", token=token)
    assert r.status == 200 and r.json["admin"] == "alice", r
    assert r.json["domains"] == sorted(["a.example", IDN_A_ALABEL])
    with open(a.log_path) as f:
        assert token not in f.read()


def test_admind_wrong_password_and_unknown_admin_look_alike(adm):
    """A wrong password and an unknown admin name get the same 401 reply; neither writes to Redis (failures are counted in admind's memory only)."""
    a = adm.admind
    adm.new_admin("wrongpw", "wrongpw.example")
    bad = a.request("POST", "/v1/login", {"admin": "wrongpw", "password": "nope"},
                    source=SRC["unknown"])
    unknown = a.request("POST", "/v1/login", {"admin": "nosuchadmin", "password": "nope"},
                        source=SRC["unknown"])
    invalid = a.request("POST", "/v1/login", {"admin": "No Such!", "password": "nope"},
                        source=SRC["unknown"])
    for r in (bad, unknown, invalid):
        assert r.status == 401 and r.json["error"] == "login_failed", r
        assert r.headers.get("www-authenticate") == "Bearer"
    assert bad.body == unknown.body == invalid.body
    assert adm.redis("HGET", PREFIX + "admin:wrongpw", "failures") is None
    assert adm.redis("EXISTS", PREFIX + "admin:nosuchadmin") == 0
    assert a.login("wrongpw", PASSWORD)


def test_admind_repeated_failures_slow_the_name_and_never_lock_it(adm):
    """After 3 wrong passwords the name is slowed down, not locked: the right password still logs in (429 is only ever for an address; test_admind_security.py has the timings)."""
    a, src = adm.admind, SRC["lock"]
    adm.new_admin("locky", "locky.example")
    for _ in range(3):
        assert a.request("POST", "/v1/login", {"admin": "locky", "password": "x"},
                         source=src).status == 401
    assert a.login("locky", PASSWORD, source=src)


def test_admind_failures_from_one_address_lock_that_address(adm):
    """Many failed logins from one client address (each with another name) lock that address even for a correct login, while other addresses still log in."""
    a, src = adm.admind, SRC["addr"]
    for i in range(8):
        r = a.request("POST", "/v1/login", {"admin": "spray%d" % i, "password": "x"}, source=src)
        assert r.status == 401, r
    r = a.request("POST", "/v1/login", {"admin": "alice", "password": PASSWORD}, source=src)
    assert r.status == 429, r
    assert a.login("alice", PASSWORD)


def test_admind_logout_and_expiry_end_the_session(adm):
    """After logout the token is refused (401) and its key is gone; a session whose key expired is refused at once."""
    a = adm.admind
    token = a.login("alice", PASSWORD)
    assert a.request("POST", "/v1/logout", token=token).status == 200
    assert adm.redis("EXISTS", token_key(token)) == 0
    r = a.request("GET", "/v1/domains", token=token)
    assert r.status == 401 and r.json["error"] == "unauthorized", r
    token = a.login("alice", PASSWORD)
    assert a.request("GET", "/v1/domains", token=token).status == 200
    adm.redis("PEXPIRE", token_key(token), 1)
    time.sleep(0.05)
    assert a.request("GET", "/v1/domains", token=token).status == 401


def test_admind_removed_admin_is_refused_at_once(adm):
    """Removing an admin account ends its sessions at once: the next request with its token is 401 and the session key is deleted."""
    a = adm.admind
    token = adm.new_admin("carol", "carol.example")
    assert a.request("GET", "/v1/domains/carol.example", token=token).status == 200
    adm.op("admin", "remove", "carol")
    r = a.request("GET", "/v1/domains/carol.example", token=token)
    assert r.status == 401, r
    assert adm.redis("EXISTS", token_key(token)) == 0


def test_admind_revoked_grant_is_refused_at_once(adm):
    """Revoking a grant takes effect on the next request of a session that is already open: 403 for the domain, and it leaves the domain list."""
    a = adm.admind
    token = adm.new_admin("dave", "dave.example", "dave2.example")
    assert a.request("GET", "/v1/domains/dave.example/users", token=token).status == 200
    adm.op("admin", "revoke", "dave", "dave.example")
    r = a.request("GET", "/v1/domains/dave.example/users", token=token)
    assert r.status == 403 and r.json["error"] == "forbidden", r
    r = a.request("POST", "/v1/domains/dave.example/users", {"local": "x"}, token=token)
    assert r.status == 403, r
    listed = [d["domain"] for d in a.request("GET", "/v1/domains", token=token).json]
    assert listed == ["dave2.example"], listed


def _b_state(adm):
    return {k: adm.redis("TYPE", k) for k in adm.redis("KEYS", PREFIX + "d:b.example*")}, \
        adm.redis("LLEN", PREFIX + "audit:b.example")


def test_admind_crafted_paths_never_reach_another_domain(adm):
    """An admin of a.example gets 400/403/404/405 for every crafted path toward b.example (dot segments, encoded slashes and dots, double encoding, empty segments, queries, fragments, other methods), and b.example is unchanged."""
    a = adm.admind
    token = a.login("alice", PASSWORD)
    before = _b_state(adm)
    cases = [
        ("GET", "/v1/domains/b.example"), ("GET", "/v1/domains/b.example/users"),
        ("GET", "/v1/domains/b.example/aliases"), ("GET", "/v1/domains/b.example/policy"),
        ("GET", "/v1/domains/b.example/audit"), ("GET", "/v1/domains/b.example/senders/x"),
        ("GET", "/v1/domains/B.EXAMPLE/users"), ("GET", "/v1/domains/b%2Eexample/users"),
        ("GET", "/v1/domains/b.example./users"),
        ("GET", "/v1/domains/a.example/../b.example/users"),
        ("GET", "/v1/domains/a.example/%2e%2e/b.example/users"),
        ("GET", "/v1/domains/a.example/%2E%2E/b.example/users"),
        ("GET", "/v1/domains/a.example%2F..%2Fb.example/users"),
        ("GET", "/v1/domains/b.example%2Fusers"), ("GET", "/v1/domains/b.example%2fusers"),
        ("GET", "/v1/domains/a.example/%252e%252e/b.example/users"),
        ("GET", "/v1/domains/%252e%252e/b.example/users"),
        ("GET", "/v1/domains/b.example%252Fusers"),
        ("GET", "/v1/domains//b.example/users"), ("GET", "/v1/domains/a.example//users"),
        ("GET", "/v1/domains/a.example/users/"), ("GET", "/v1/./domains/b.example/users"),
        ("GET", "/v1/domains/a.example/users?domain=b.example"),
        ("GET", "/v1/domains/a.example/audit?n=5&domain=b.example"),
        ("GET", "/v1/domains/a.example/users#/../../b.example"),
        ("GET", "/v1/domains/a.example%00/users"), ("GET", "/v1/domains/a.example%5C..%5Cb.example"),
        ("GET", "/v1/domains/a.example/users/x@b.example"),
        ("GET", "/v1/domains/a.example@b.example/users"),
        ("DELETE", "/v1/domains/b.example/users/ann"),
        ("DELETE", "/v1/domains/a.example/users/..%2F..%2Fb.example%2Fusers%2Fann"),
        ("POST", "/v1/domains/b.example/users/ann/suspend"),
        ("DELETE", "/v1/domains/b.example/aliases/info"),
        ("DELETE", "/v1/domains/b.example/senders/ann/@b.example"),
        ("PATCH", "/v1/domains/b.example/users"), ("OPTIONS", "/v1/domains/b.example/users"),
        ("GET", "/v1/domains/b.example/users?n=1"), ("GET", "/V1/domains/b.example"),
    ]
    for method, path in cases:
        r = a.request(method, path, token=token)
        assert r.status in (400, 403, 404, 405), (method, path, r)
        assert "ann" not in r.body and "b.example\"" not in r.body.replace(
            "domain b.example is not", ""), (method, path, r)
    for body_path in ("/v1/domains/b.example/users", "/v1/domains/b.example/aliases"):
        r = a.request("POST", body_path, {"local": "evil", "targets": ["x@a.example"]}, token=token)
        assert r.status in (400, 403), r
    r = a.request("PUT", "/v1/domains/b.example/policy", {"values": {"max_rcpt": "1"}}, token=token)
    assert r.status == 403, r
    assert _b_state(adm) == before


def test_admind_smuggled_and_malformed_bodies_are_refused(adm):
    """Bodies with extra fields (a smuggled "domain"), duplicate or escaped-duplicate keys, wrong types, another domain's address, trailing data, a wrong Content-Type or a body where none belongs are refused and change nothing."""
    a = adm.admind
    token = a.login("alice", PASSWORD)
    before_a = adm.redis("LLEN", PREFIX + "audit:a.example")
    before_b = _b_state(adm)
    url = "/v1/domains/a.example/users"
    cases = [
        ('{"local":"sm1","domain":"b.example"}', 400),
        ('{"local":"sm1","local":"sm2"}', 400),
        ('{"local":"sm1","\\u006cocal":"sm2"}', 400),
        ('{"local":"sm1","dom\\u0061in":"b.example"}', 400),
        ('{"local":5}', 400), ('{"local":["sm1"]}', 400), ('{"local":null}', 400),
        ('{"local":"sm1","password":{"x":1}}', 400), ('["sm1"]', 400), ('"sm1"', 400),
        ('{"local":"sm1"} {"local":"sm2"}', 400), ('{"local":"sm1"', 400), ('', 400),
        ('{"local":"sm1@b.example"}', 422), ('{"local":"sm1\\u0000"}', 400),
        ('{"local":"../b.example/sm1"}', 422), ('{"local":"sm1","quota":"1Q"}', 422),
        (b'{"local":"sm\xff1"}', 400),
    ]
    for body, status in cases:
        r = a.request("POST", url, body, token=token)
        assert r.status == status, (body, r)
    r = a.request("POST", url, '{"local":"sm1"}', token=token, content_type="text/plain")
    assert r.status == 415, r
    r = a.request("POST", url, '{"local":"sm1"}', token=token, content_type=None)
    assert r.status == 415, r
    r = a.request("GET", url, '{"domain":"b.example"}', token=token)
    assert r.status == 400, r
    r = a.request("POST", "/v1/domains/a.example/aliases",
                  {"local": "sm1", "targets": ["x@a.example"], "domain": "b.example"}, token=token)
    assert r.status == 400, r
    r = a.request("PUT", "/v1/domains/a.example/policy",
                  '{"values":{"max_rcpt":"5","max_rcpt":"500"}}', token=token)
    assert r.status == 400, r
    assert adm.redis("LLEN", PREFIX + "audit:a.example") == before_a
    assert adm.redis("EXISTS", PREFIX + "d:a.example:u:sm1") == 0
    assert _b_state(adm) == before_b


def test_admind_case_and_idn_forms_name_the_same_domain(adm):
    """Case, a trailing dot, fullwidth dots, U-labels and A-labels all name the same domain: the granted one works in every form, the ungranted one is refused in every form."""
    a = adm.admind
    token = a.login("alice", PASSWORD)
    from urllib.parse import quote
    granted = ["a.example", "A.EXAMPLE", "a.example.", "a\uff0eexample", IDN_A, IDN_A.upper(),
               IDN_A_ALABEL, IDN_A_ALABEL.upper(), IDN_A.replace(".", "\u3002")]
    refused = ["b.example", "B.Example", "b.example.", "b\uff0eexample", "b\u3002example",
               IDN_B, IDN_B.upper(), IDN_B_ALABEL, "B\uff0eEXAMPLE"]
    for name in granted:
        r = a.request("GET", "/v1/domains/%s/users" % quote(name, safe=""), token=token)
        assert r.status == 200, (name, r)
    for name in refused:
        r = a.request("GET", "/v1/domains/%s/users" % quote(name, safe=""), token=token)
        assert r.status == 403, (name, r)
    r = a.request("GET", "/v1/domains/%s" % quote(IDN_A, safe=""), token=token)
    assert r.json["domain"] == IDN_A_ALABEL, r
    # raw UTF-8 in the request line is not a valid target
    r = a.raw(("GET /v1/domains/%s/users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
               "Connection: close\r\n\r\n" % (IDN_A, token)).encode())
    assert r is None or r.status == 400, r


def test_admind_oversized_bodies_and_headers(adm):
    """A body over admind_max_body is 413, an oversized head or too many headers is refused, and admind still answers afterwards."""
    a = adm.admind
    token = a.login("alice", PASSWORD)
    big = json.dumps({"local": "big", "password": "x" * 5000})
    r = a.request("POST", "/v1/domains/a.example/users", big, token=token)
    assert r.status == 413, r
    r = a.request("POST", "/v1/login", {"admin": "alice", "password": "y" * 6000})
    assert r.status == 413, r
    for headers in (["X-Big: " + "a" * 9000], ["X-H%d: v" % i for i in range(2000)]):
        try:
            r = a.request("GET", "/v1/domains", token=token, headers=headers)
            assert r.status >= 400, r
        except (AssertionError, OSError):
            pass        # closed without an answer is fine too
    assert adm.redis("EXISTS", PREFIX + "d:a.example:u:big") == 0
    assert a.request("GET", "/v1/domains", token=token).status == 200


def test_admind_caps_hold_and_operator_endpoints_do_not_exist(adm):
    """A domain admin cannot raise a value over its cap (422 naming the cap, nothing written), cannot set caps or cap-only values, and finds no endpoint for caps, domains, admins, grants or backends."""
    a = adm.admind
    token = adm.new_admin("erin", "erin.example")
    adm.op("caps", "set", "erin.example", "user_msgs=100/h", "max_users=1")
    before = adm.redis("LLEN", PREFIX + "audit:erin.example")
    r = a.request("PUT", "/v1/domains/erin.example/policy",
                  {"values": {"max_rcpt": "10", "user_msgs": "2/m"}}, token=token)
    assert r.status == 422 and r.json["error"] == "cap", r
    assert r.json["cap"] == {"name": "user_msgs", "limit": "100/3600"}, r
    assert adm.redis("HGET", PREFIX + "d:erin.example:policy", "max_rcpt") is None
    for name in ("max_users", "max_aliases", "max_quota", "state"):
        r = a.request("PUT", "/v1/domains/erin.example/policy", {"values": {name: "5"}},
                      token=token)
        assert r.status == 422, (name, r)
    assert adm.redis("LLEN", PREFIX + "audit:erin.example") == before
    assert a.request("POST", "/v1/domains/erin.example/users", {"local": "one"},
                     token=token).status == 201
    r = a.request("POST", "/v1/domains/erin.example/users", {"local": "two"}, token=token)
    assert r.status == 422 and r.json["cap"]["name"] == "max_users", r
    for method, path, body in (
            ("PUT", "/v1/domains/erin.example/caps", {"values": {"user_msgs": "1000/h"}}),
            ("POST", "/v1/domains/erin.example/caps", {"values": {"user_msgs": "1000/h"}}),
            ("POST", "/v1/domains", {"domain": "new.example"}),
            ("DELETE", "/v1/domains/erin.example", None),
            ("POST", "/v1/domains/erin.example/suspend", None),
            ("PUT", "/v1/domains/erin.example", {"state": "suspended"}),
            ("POST", "/v1/admins", {"admin": "x"}), ("GET", "/v1/admins", None),
            ("POST", "/v1/domains/erin.example/admins", {"admin": "erin"}),
            ("POST", "/v1/domains/a.example/admins", {"admin": "erin"}),
            ("GET", "/v1/backends", None), ("POST", "/v1/backends/be1/down", None),
            ("POST", "/v1/domains/erin.example/audit", {"x": "y"}),
            ("DELETE", "/v1/domains/erin.example/audit", None)):
        r = a.request(method, path, body, token=token)
        assert r.status in (404, 405), (method, path, r)
    assert adm.redis("HGET", PREFIX + "caps:erin.example", "user_msgs") == "100/3600"
    assert adm.redis("SISMEMBER", PREFIX + "grant:a.example", "erin") == 0


def test_admind_tokens_only_as_bearer_and_only_their_own(adm):
    """Another admin's token gives only that admin's rights; a changed, lower-case, doubled or URL-borne token is refused."""
    a = adm.admind
    alice, bob = a.login("alice", PASSWORD), a.login("bob", PASSWORD)
    assert a.request("GET", "/v1/domains/a.example", token=bob).status == 403
    assert a.request("GET", "/v1/domains/b.example", token=bob).status == 200
    forged = alice[:-1] + ("0" if alice[-1] != "0" else "1")
    assert a.request("GET", "/v1/domains/a.example", token=forged).status == 401
    assert a.request("GET", "/v1/domains/a.example", token=alice.upper()).status == 401
    r = a.request("GET", "/v1/domains/a.example", headers=["Authorization: bearer " + alice])
    assert r.status == 401, r
    r = a.request("GET", "/v1/domains/a.example", token=alice,
                  headers=["Authorization: Bearer " + bob])
    assert r.status == 400, r
    r = a.request("GET", "/v1/domains/a.example?token=" + alice)
    assert r.status in (400, 401), r
    r = a.request("GET", "/v1/domains/a.example", headers=["Authorization: Basic YWxpY2U6eA=="])
    assert r.status == 401, r
    assert a.request("GET", "/v1/domains/a.example", token=alice).status == 200


def test_admind_changes_are_audited_and_the_audit_is_read_only(adm):
    """Every change through admind is in the domain's audit log with who = admin:NAME and from = the client address, readable by that admin and the operator; no request can change or delete the log, nor read another domain's."""
    a, src = adm.admind, "127.0.0.29"
    token = adm.new_admin("frank", "frank.example")
    before = adm.redis("LLEN", PREFIX + "audit:frank.example")
    steps = [
        ("POST", "/v1/domains/frank.example/users", {"local": "Zoe", "quota": "10M"}, 201),
        ("POST", "/v1/domains/frank.example/users/zoe/suspend", None, 200),
        ("POST", "/v1/domains/frank.example/users/zoe/resume", None, 200),
        ("POST", "/v1/domains/frank.example/aliases", {"local": "info", "targets": ["ZOE@frank.example"]}, 200),
        ("POST", "/v1/domains/frank.example/senders/zoe", {"sender": "info@Frank.Example"}, 200),
        ("DELETE", "/v1/domains/frank.example/senders/zoe/info@frank.example", None, 200),
        ("PUT", "/v1/domains/frank.example/policy", {"values": {"max_rcpt": "20"}}, 200),
        ("DELETE", "/v1/domains/frank.example/aliases/info", None, 200),
        ("DELETE", "/v1/domains/frank.example/users/zoe", None, 200),
    ]
    for method, path, body, status in steps:
        r = a.request(method, path, body, token=token, source=src)
        assert r.status == status, (method, path, r)
    entries = adm.op_json("audit", "frank.example")[-len(steps):]
    assert [e["action"] for e in entries] == [
        "mailbox add", "mailbox state", "mailbox state", "alias add", "sender allow",
        "sender deny", "policy set", "alias remove", "mailbox remove"], entries
    assert all(e["who"] == "admin:frank" and e["from"] == src for e in entries), entries
    assert adm.redis("LLEN", PREFIX + "audit:frank.example") == before + len(steps)
    mine = a.request("GET", "/v1/domains/frank.example/audit?n=%d" % len(steps), token=token).json
    assert mine == entries
    assert a.request("GET", "/v1/domains/a.example/audit", token=token).status == 403
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        r = a.request(method, "/v1/domains/frank.example/audit", {"who": "x"}, token=token)
        assert r.status == 405, (method, r)
    r = a.request("POST", "/v1/domains/frank.example/users", {"local": "zz", "password": "pw-zz"},
                  token=token)
    assert r.status == 201 and "password" not in r.json, r
    assert "pw-zz" not in json.dumps(adm.op_json("audit", "frank.example"))


def test_admind_sender_rights_stay_within_granted_domains(adm):
    """A domain admin may let a mailbox send as addresses of their own domains only: an address or @domain of another customer is refused (403) and not stored."""
    a = adm.admind
    token = a.login("alice", PASSWORD)
    r = a.request("POST", "/v1/domains/a.example/users", {"local": "sender1"}, token=token)
    assert r.status == 201, r
    for sender in ("boss@b.example", "@b.example", "@B.EXAMPLE.", "x@" + IDN_B):
        r = a.request("POST", "/v1/domains/a.example/senders/sender1", {"sender": sender},
                      token=token)
        assert r.status == 403, (sender, r)
    assert adm.redis("EXISTS", PREFIX + "d:a.example:send:sender1") == 0
    for sender in ("x@" + IDN_A, "@a.example"):
        r = a.request("POST", "/v1/domains/a.example/senders/sender1", {"sender": sender},
                      token=token)
        assert r.status == 200, (sender, r)
    r = a.request("GET", "/v1/domains/a.example/senders/sender1", token=token)
    assert r.json == ["@a.example", "x@" + IDN_A_ALABEL], r


def _garbage(a, data, tls_first=False, close_early=False):
    raw = socket.create_connection((a.ip, a.port), timeout=5,
                                   source_address=(SRC["garbage"], 0))
    try:
        s = raw
        if tls_first:
            ctx = ssl.create_default_context(cafile=a.pki.ca)
            s = ctx.wrap_socket(raw, server_hostname=a.ip)
        if not close_early:
            try:
                s.sendall(data)
                s.settimeout(3)
                s.recv(65536)
            except (OSError, ssl.SSLError):
                pass
    finally:
        raw.close()


def test_admind_survives_garbage_on_its_socket(adm):
    """Plain HTTP, random bytes, a TLS handshake followed by garbage or by a 1 MB header, a silent half-open connection: admind answers the next request every time."""
    a = adm.admind
    token = a.login("alice", PASSWORD)
    idle = socket.create_connection((a.ip, a.port), timeout=5)        # half-open, silent
    idle_tls = a.tls()                                                  # TLS, then silence
    cases = [
        (b"GET /v1/domains HTTP/1.1\r\nHost: x\r\n\r\n", False),
        (os.urandom(4096), False), (b"\x16\x03\x01\x02\x00" + os.urandom(600), False),
        (b"\x00" * 100000, False),
        (os.urandom(8192), True), (b"GARBAGE\r\n\r\n\r\n", True),
        (b"GET /v1/domains HTTP/1.1\r\nX: " + b"a" * (1 << 20) + b"\r\n\r\n", True),
        (b"POST /v1/login HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n{", True),
        (b"POST /v1/login HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\n" +
         b"x" * 10000, True),
        (b"GET /v1/domains HTTP/1.1\r\nHost: x\r\n\r\n", True),
    ]
    for data, tls_first in cases:
        _garbage(a, data, tls_first)
        assert a.alive(), a.log_text()
        assert a.request("GET", "/v1/domains", token=token).status == 200
    _garbage(a, b"", tls_first=True, close_early=True)
    assert a.request("GET", "/v1/domains", token=token).status == 200
    idle.close()
    idle_tls.close()
    assert a.alive()


def test_admind_sighup_reloads_and_sigterm_exits_cleanly(adm):
    """SIGHUP re-reads the settings and certificate while sessions keep working; a bad configuration on reload keeps the running one; SIGTERM ends admind with status 0 (checked at teardown)."""
    a = adm.admind
    token = a.login("alice", PASSWORD)
    a.write_conf(a.extra + "admind_max_body = 2048\n")
    a.signal(signal.SIGHUP)
    assert a.wait_log("reloaded"), a.log_text()
    r = a.request("POST", "/v1/domains/a.example/users", {"local": "rl", "password": "p" * 3000},
                  token=token)
    assert r.status == 413, r
    good = a.extra
    a.write_conf(good + "admind_bogus = 1\n")
    a.signal(signal.SIGHUP)
    assert a.wait_log("reload failed"), a.log_text()
    assert a.request("GET", "/v1/domains", token=token).status == 200
    a.write_conf(good.replace("admind_max_body = 2048\n", ""))
    a.signal(signal.SIGHUP)


def test_admind_redis_outage_is_503(adm, env):
    """Without Redis every request that needs it is 503 (unavailable), logged once, and admind recovers when Redis is back."""
    dead = harness.RedisServer(env, "redis-outage")
    a = env.add(admind_harness.Admind(env, "admind-outage", dead, IP, adm.pki))
    a.start()
    try:
        for _ in range(3):
            r = a.request("POST", "/v1/login", {"admin": "x", "password": "y"})
            assert r.status == 503 and r.json["error"] == "unavailable", r
        with open(a.log_path) as f:
            assert f.read().count("Redis unavailable") == 1
        env.add(dead).start()
        r = a.request("POST", "/v1/login", {"admin": "x", "password": "y"})
        assert r.status == 401, r
    finally:
        a.stop()
        dead.stop()


def test_admind_tls_only_and_version_floor(adm):
    """Plain HTTP gets no HTTP answer, TLS 1.1 is refused, and a client that pins another CA refuses admind's certificate."""
    a = adm.admind
    c = clients.LineConn((a.ip, a.port), 5)
    try:
        c.send(b"GET /v1/domains HTTP/1.1\r\nHost: x\r\n\r\n")
        line = c.readline(5)
        assert line is None or not line.startswith("HTTP/"), line
    except OSError:
        pass
    finally:
        c.close()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(a.pki.ca)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
            ctx.minimum_version = ssl.TLSVersion.TLSv1
        raw = socket.create_connection((a.ip, a.port), timeout=5)
        with pytest.raises((ssl.SSLError, OSError)):
            ctx.wrap_socket(raw, server_hostname=a.ip).close()
        raw.close()
    except ValueError:
        pass        # this Python cannot even offer TLS 1.1
    other = admind_harness.Pki(os.path.join(adm.dir, "other-pki"), [IP], name="other")
    ctx = ssl.create_default_context(cafile=other.ca)
    raw = socket.create_connection((a.ip, a.port), timeout=5)
    with pytest.raises(ssl.SSLCertVerificationError):
        ctx.wrap_socket(raw, server_hostname=a.ip)
    raw.close()
    assert a.request("GET", "/v1/session", token=a.login("alice", PASSWORD)).status == 200


from test_userdb import _refused, udir  # noqa: E402,F401  (a director with a USERDB socket)


def test_admind_mailbox_added_by_a_domain_admin_logs_in_at_once(cluster, udir, adm):  # noqa: F811
    """A mailbox that a domain admin adds through admind logs in over IMAP through a hosted proxy at once (a generated password passes the proxy's passdb); suspended through admind it is refused, resumed it works again."""
    env, d = cluster.env, "admind-hosted.example"
    a = env.add(admind_harness.Admind(env, "admind-cluster", cluster.redis, CLUSTER_IP, adm.pki))
    a.start()
    p = None
    try:
        cluster.hbctl_ok("domain", "add", d)
        cluster.hbctl_ok("admin", "add", "gina", "--password-file", adm.pwfile)
        cluster.hbctl_ok("admin", "grant", "gina", d)
        token = a.login("gina", PASSWORD)
        r = a.request("POST", "/v1/domains/%s/users" % d, {"local": "Newbie", "password": "pass"},
                      token=token)
        assert r.status == 201 and r.json == {"ok": True, "address": "newbie@" + d}, r
        r = a.request("POST", "/v1/domains/%s/users" % d, {"local": "gen"}, token=token)
        assert r.status == 201, r
        generated = r.json["password"]
        assert len(generated) == 32, generated
        stored = cluster.redis("GET", PREFIX + "pw:%s:gen" % d)
        assert stored.startswith("{SHA512-CRYPT}$6$") and generated not in stored
        p = env.add(harness.DovecotHostedProxy(env, "padmind", HOSTED_IP, udir.socket,
                                               udir.userdb)).start()
        assert clients.imap_login(p.imap, "newbie@" + d, "pass") in cluster.backends
        # the backends only know the password "pass": check the generated one
        # with the proxy's passdb, as test_userdb does
        ok = subprocess.run(["doveadm", "-c", p.conf_path, "auth", "test", "-x", "service=imap",
                             "gen@" + d, generated], capture_output=True, text=True, timeout=30)
        assert ok.returncode == 0, ok.stdout + ok.stderr
        r = a.request("POST", "/v1/domains/%s/users/newbie/suspend" % d, token=token)
        assert r.status == 200, r
        why = _refused(clients.imap_login, p.imap, "newbie@" + d, "pass", 10, False, "127.0.0.29")
        assert "UNAVAILABLE" not in why, why
        assert a.request("POST", "/v1/domains/%s/users/newbie/resume" % d,
                         token=token).status == 200
        assert clients.imap_login(p.imap, "newbie@" + d, "pass") in cluster.backends
    finally:
        if p is not None:
            p.stop()
        a.stop()
    who = {e["who"] for e in json.loads(cluster.hbctl_ok("--json", "audit", d).stdout)
           if e["action"].startswith("mailbox")}
    assert who == {"admin:gina"}, who


def _hbctl_server(adm, session, *args, ca=None, json_out=False):
    argv = [harness.hbctl_binary(), "--server", adm.admind.url, "--ca", ca or adm.pki.ca,
            "--session-file", str(session)]
    if json_out:
        argv.append("--json")
    argv += [str(a) for a in args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60,
                          env={"PATH": os.environ.get("PATH", ""), "HOME": str(session.parent)})


def test_hbctl_server_mode_manages_only_the_admins_domains(adm, tmp_path):
    """hbctl --server logs a domain admin in (password from a 0600 file, token only in a 0600 session file), runs the admin's commands through admind with operator mode's output, refuses other domains and operator commands, and logout ends the session."""
    session = tmp_path / "session"
    pw = tmp_path / "pw"
    pw.write_text(PASSWORD + "\n")
    pw.chmod(0o600)
    adm.new_admin("hank", "hank.example")
    adm.op("caps", "set", "hank.example", "user_msgs=100/h")

    def run(*args, json_out=False):
        return _hbctl_server(adm, session, *args, json_out=json_out)

    def ok(*args, json_out=False):
        r = run(*args, json_out=json_out)
        assert r.returncode == 0, (args, r.stdout, r.stderr)
        return json.loads(r.stdout) if json_out else r.stdout

    r = run("login", "hank", "--password-file", pw)
    assert r.returncode == 0 and "logged in as hank" in r.stdout, r.stdout + r.stderr
    token = session.read_text().strip()
    assert (session.stat().st_mode & 0o777) == 0o600
    assert token not in r.stdout + r.stderr
    assert adm.redis("HGET", token_key(token), "admin") == "hank"
    assert ok("domain", "list", json_out=True) == [
        {"domain": "hank.example", "state": "active", "mailboxes": 0, "aliases": 0}]
    out = ok("user", "add", "Kim@hank.example", json_out=True)
    assert out["address"] == "kim@hank.example" and len(out["password"]) == 32, out
    assert "password: " in ok("user", "add", "lee@hank.example")
    ok("user", "add", "max@hank.example", "--password-file", pw, "--quota", "10M")
    ok("alias", "add", "info@hank.example", "kim@hank.example", "lee@hank.example")
    ok("sender", "allow", "kim@hank.example", "info@hank.example")
    ok("user", "suspend", "lee@hank.example")
    ok("policy", "set", "hank.example", "max_rcpt=20", "user_msgs=50/h")
    r = run("policy", "set", "hank.example", "user_msgs=500/h")
    assert r.returncode == 1 and "user_msgs is above the operator's cap" in r.stderr, r.stderr
    for args in (("user", "list", "hank.example"), ("alias", "list", "hank.example"),
                 ("sender", "list", "kim@hank.example"), ("policy", "show", "hank.example")):
        assert ok(*args, json_out=True) == adm.op_json(*args), args
    assert ok("audit", "hank.example", json_out=True) == adm.op_json("audit", "hank.example")
    text = ok("audit", "hank.example")
    assert "admin:hank from 127.0.0.1: mailbox add kim@hank.example" in text, text
    assert "max_rcpt: (none) -> 20" in text, text
    assert "50/h" in ok("policy", "show", "hank.example")
    for args in (("user", "list", "a.example"), ("user", "add", "x@a.example"),
                 ("audit", "b.example"), ("domain", "show", "b.example"),
                 ("sender", "allow", "kim@hank.example", "@a.example"),
                 ("user", "remove", "ann@A.EXAMPLE")):
        r = run(*args)
        assert r.returncode == 1 and "not one of yours" in r.stderr, (args, r.stderr)
    for args in (("caps", "set", "hank.example", "user_msgs=1000/h"), ("domain", "add", "z.example"),
                 ("domain", "suspend", "hank.example"), ("admin", "grant", "hank", "a.example"),
                 ("admin", "list"), ("backend", "list"), ("status",), ("user", "move", "x", "be1")):
        r = run(*args)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
    assert adm.redis("HGET", PREFIX + "caps:hank.example", "user_msgs") == "100/3600"
    r = run("logout")
    assert r.returncode == 0 and not session.exists(), r.stderr
    assert adm.redis("EXISTS", token_key(token)) == 0
    r = run("domain", "list")
    assert r.returncode == 2 and "not logged in" in r.stderr, r.stderr


def test_hbctl_server_pins_its_ca_and_keeps_secrets_out_of_argv(adm, tmp_path):
    """hbctl --server refuses a server whose certificate another CA signed (exit 3), plain http URLs, a password on the command line or in a file others can read, and reports a wrong password as a failed login."""
    session = tmp_path / "session"
    pw = tmp_path / "pw"
    pw.write_text(PASSWORD + "\n")
    pw.chmod(0o600)
    other = admind_harness.Pki(str(tmp_path / "pki"), [IP], name="rogue")
    r = _hbctl_server(adm, session, "login", "alice", "--password-file", pw, ca=other.ca)
    assert r.returncode == 3 and "certificate" in r.stderr, r.stderr
    assert not session.exists()
    argv = [harness.hbctl_binary(), "--server", "http://%s:%d" % (IP, adm.admind.port),
            "--ca", adm.pki.ca, "login", "alice", "--password-file", str(pw)]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "https://" in r.stderr, r.stderr
    r = _hbctl_server(adm, session, "login", "alice", PASSWORD)
    assert r.returncode == 2, r.stderr
    pw.chmod(0o644)
    r = _hbctl_server(adm, session, "login", "alice", "--password-file", pw)
    assert r.returncode == 2 and "chmod 600" in r.stderr, r.stderr
    bad = tmp_path / "bad"
    bad.write_text("wrong\n")
    bad.chmod(0o600)
    r = _hbctl_server(adm, session, "login", "alice", "--password-file", bad)
    assert r.returncode == 1 and "wrong admin name or password" in r.stderr, r.stderr
    assert not session.exists()


def test_admind_redis_user_cannot_create_domains_or_admins(adm):
    """admind's Redis user hb-admind may change hosted domains, admin accounts, sessions and audit streams, but not the lists of domains and admins, routing keys, or anything dangerous."""
    auth = ("hb-admind", read(adm.secret("hb-admind")))
    for command in (("SADD", PREFIX + "domains", "evil.example"), ("SADD", PREFIX + "admins", "evil"),
                    ("GET", PREFIX + "user:x"), ("HSET", PREFIX + "backend:be1", "state", "down"),
                    ("KEYS", "*"), ("FLUSHALL",), ("CONFIG", "GET", "dir")):
        with pytest.raises(RuntimeError, match="NOPERM"):
            adm.redis(*command, auth=auth)
    assert adm.redis("SISMEMBER", PREFIX + "domains", "evil.example") == 0
    assert adm.redis("HGET", PREFIX + "admin:alice", "gen", auth=auth) is not None
