"""test_caps.py - operator caps cannot be walked around
(docs/DOMAINS.md 1, 4 and 5): admind and hbctl refuse a rate above the cap on
either axis (burst or rate) and every value no milter could enforce, and a
corrupt or out-of-range value written straight into Redis makes a real
Postfix + milter apply the cap: exactly the cap's count of messages passes,
never all of them (no limit) and never none with 451 (tempfail for all).
Each test's docstring says on its first line what it proves.
"""

import os

import pytest

import admind_harness
import harness
from cluster import PREFIX
from test_milter import Mail, submit

ADMIND_IP = "127.0.0.36"
PROXY_IP = "127.0.0.37"
PASSWORD = "correct horse battery"
CAP = "3/h"         # the operator's cap of these tests: 3 messages at once
BURST = 3


def caps_key(dom):
    """The operator's caps of DOM (docs/DOMAINS.md 2): the one place this
    test names that key."""
    return PREFIX + "caps:" + dom


def policy_key(dom):
    """The domain's own policy values (docs/DOMAINS.md 2)."""
    return PREFIX + "d:%s:policy" % dom


@pytest.fixture(scope="module")
def caps(cluster, tmp_path_factory):
    """A director with USERDB, a hosted proxy for SASL, the milter, a Postfix
    using both, and an admind, all on the cluster's Redis."""
    env = cluster.env
    d = harness.userdb_director(env, "dcaps", cluster.redis)
    proxy = env.add(harness.DovecotHostedProxy(env, "pcaps", PROXY_IP, d.socket,
                                               d.userdb)).start()
    milter = env.add(harness.Milter(env, "miltercaps", cluster.redis)).start()
    pf = env.add(harness.Postfix(env, "pfcaps", d.socketmap, "caps.example",
                                 sasl_path=proxy.sasl_socket, milter=milter)).start()
    tmp = tmp_path_factory.mktemp("caps")
    pw = tmp / "pw"
    pw.write_text("pass\n")
    os.chmod(pw, 0o600)
    adminpw = tmp / "adminpw"
    adminpw.write_text(PASSWORD + "\n")
    os.chmod(adminpw, 0o600)
    pki = admind_harness.Pki(str(tmp / "pki"), [ADMIND_IP])
    admind = env.add(admind_harness.Admind(env, "admind-caps", cluster.redis, ADMIND_IP, pki))
    admind.start()
    m = Mail(cluster, d, proxy, milter, pf, str(pw))
    m.admind, m.adminpw = admind, str(adminpw)
    yield m
    for svc in (admind, pf, milter, proxy, d):
        svc.stop()


def capped_domain(caps, dom, *cap_values):
    caps.cluster.hbctl_ok("domain", "add", dom)
    caps.cluster.hbctl_ok("caps", "set", dom, *(cap_values or ("user_msgs=" + CAP,)))
    return dom


def passes(caps, login, n=8):
    """Send N messages as LOGIN; the SMTP codes at end of data."""
    return [submit(caps.postfix, login, login, ["x@example.com"])[1] for _ in range(n)]


def test_caps_admind_refuses_a_raise_on_either_axis_and_unenforceable_values(caps):
    """Through admind a domain admin's user_msgs=40/48000 (the cap's rate, 40 at once) under a cap of 3/h is refused with the cap named, 1/9000000000000 is refused as a bad value, nothing is stored; values within the cap on both axes are accepted."""
    dom = capped_domain(caps, "admind-caps.example")
    cl = caps.cluster
    cl.hbctl_ok("admin", "add", "capper", "--password-file", caps.adminpw)
    cl.hbctl_ok("admin", "grant", "capper", dom)
    token = caps.admind.login("capper", PASSWORD)
    url = "/v1/domains/%s/policy" % dom

    r = caps.admind.request("PUT", url, {"values": {"user_msgs": "40/48000"}}, token=token)
    assert r.status == 422 and r.json["error"] == "cap", r
    assert "user_msgs" in r.json["message"] and "3/3600" in r.json["message"], r
    r = caps.admind.request("PUT", url, {"values": {"user_msgs": "4/d"}}, token=token)
    assert r.status == 422 and r.json["error"] == "cap", r
    for bad in ("1/9000000000000", "1/86401", "1000000001/h", "1/w"):
        r = caps.admind.request("PUT", url, {"values": {"user_msgs": bad}}, token=token)
        assert r.status == 422 and r.json["error"] == "bad_value", (bad, r)
        assert "user_msgs" in r.json["message"], r
    r = caps.admind.request("PUT", url, {"values": {"max_rcpt": "1000000001"}}, token=token)
    assert r.status == 422 and r.json["error"] == "bad_value", r
    assert cl.redis("HGETALL", policy_key(dom)) in ([], {}, None)
    for ok in ("1/1200", "3/d"):
        r = caps.admind.request("PUT", url, {"values": {"user_msgs": ok}}, token=token)
        assert r.status == 200, (ok, r)
    assert cl.redis("HGET", policy_key(dom), "user_msgs") == "3/86400"


def test_caps_hbctl_refuses_unenforceable_values(caps):
    """hbctl (the operator) refuses caps and policy values no milter can enforce (a period over a day, a count over 10^9, a size over 1024T) with the reason, and a policy value above the cap on the burst axis."""
    dom = capped_domain(caps, "hbctl-caps.example")
    cl = caps.cluster
    for verb, value in (("caps", "user_msgs=1/9000000000000"), ("policy", "user_msgs=1/9000000000000"),
                        ("caps", "user_rcpts=1/86401"), ("caps", "max_users=1000000001"),
                        ("policy", "max_rcpt=1000000001"), ("policy", "quota=1025T"),
                        ("caps", "max_quota=9007199254740992")):
        r = cl.hbctl(verb, "set", dom, value)
        assert r.returncode != 0, (verb, value, r.stdout)
        assert value.split("=")[0] in r.stderr and "at most" in r.stderr, r.stderr
    r = cl.hbctl("policy", "set", dom, "user_msgs=40/48000")
    assert r.returncode != 0 and "cap" in r.stderr, r.stdout + r.stderr
    assert cl.redis("HGET", caps_key(dom), "user_msgs") == "3/3600"
    assert cl.redis("HGET", policy_key(dom), "user_msgs") is None


@pytest.mark.parametrize("case,where,value", [
    ("raise", "policy", "40/48000"),        # enforceable, but a burst above the cap's
    ("range", "policy", "1/9000000000000"), # out of range: counts as unset
    ("garbage", "policy", "garbage"),
    ("state", "state", "garbage"),          # the rate script's own state
])
def test_caps_corrupt_stored_value_counts_as_the_cap(caps, case, where, value):
    """A value written straight into Redis (a raise, out of range, garbage, or a corrupt rate-limit state) makes the milter apply the cap of 3/h through a real Postfix: exactly 3 of 8 messages pass, the rest get 450, never 451 and never all."""
    dom = capped_domain(caps, "corrupt-%s.example" % case)
    login = caps.mailbox("a@" + dom)
    if where == "policy":
        caps.cluster.redis("HSET", policy_key(dom), "user_msgs", value)
    else:
        caps.cluster.redis("SET", PREFIX + "rl:user_msgs:" + login, value)
    codes = passes(caps, login)
    assert codes == [250] * BURST + [450] * (8 - BURST), codes


def test_caps_corrupt_cap_is_never_no_cap(caps):
    """A cap that is corrupt in Redis counts as the built-in default (max_rcpt 100), never as no cap: a domain value of 500 above it no longer lets a 101st recipient through."""
    dom = "corrupt-cap.example"
    caps.cluster.hbctl_ok("domain", "add", dom)
    caps.cluster.hbctl_ok("policy", "set", dom, "max_rcpt=500")
    login = caps.mailbox("a@" + dom)
    rcpts = ["r%d@example.com" % i for i in range(101)]
    assert submit(caps.postfix, login, login, rcpts)[3].count(250) == 101
    caps.cluster.redis("HSET", caps_key(dom), "max_rcpt", "lots")
    codes = submit(caps.postfix, login, login, rcpts)[3]
    assert codes.count(250) == 100 and codes[100] == 452, codes
