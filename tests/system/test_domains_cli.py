"""test_domains_cli.py - system tests of hbctl's hosted-domain commands for
the operator (domain, caps, policy, audit; docs/DOMAINS.md 4 and 7) against
the cluster's real Redis: values typed with units are stored canonically,
caps hold, every change and only a change lands in the audit log, bad input
exits 2 and changes nothing.  Each test's docstring says on its first line
what it proves; each uses domains of its own.
"""

import json

from cluster import PREFIX


def _json(cluster, *args):
    r = cluster.hbctl(*args, json_out=True)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout)


def _password_file(tmp_path):
    """A mailbox password file as hbctl wants it (mode 0600)."""
    pw = tmp_path / "pw"
    pw.write_text("x-secret\n")
    pw.chmod(0o600)
    return pw


def _audit_len(cluster, domain):
    return cluster.redis("LLEN", PREFIX + "audit:" + domain)


def test_domain_lifecycle_with_idn_and_audit(cluster):
    """domain add/list/show/suspend/resume work for an IDN domain stored as its A-label, each change is in `hbctl audit`, and adding it twice fails with exit 1 and no entry."""
    cluster.hbctl_ok("domain", "add", "Bücher-CLI.Example")
    alabel = "xn--bcher-cli-q9a.example"
    assert cluster.redis("SISMEMBER", PREFIX + "domains", alabel) == 1
    assert cluster.redis("HGET", PREFIX + "d:" + alabel, "state") == "active"
    listed = {d["domain"]: d for d in _json(cluster, "domain", "list")}
    assert listed[alabel]["state"] == "active" and listed[alabel]["mailboxes"] == 0
    shown = _json(cluster, "domain", "show", alabel)
    assert shown["domain"] == alabel and shown["created_by"].startswith("operator:")
    before = _audit_len(cluster, alabel)
    r = cluster.hbctl("domain", "add", "bücher-cli.example")
    assert r.returncode == 1 and "EXISTS" in r.stderr, r.stderr
    assert _audit_len(cluster, alabel) == before
    cluster.hbctl_ok("domain", "suspend", alabel)
    assert cluster.redis("HGET", PREFIX + "d:" + alabel, "state") == "suspended"
    cluster.hbctl_ok("domain", "resume", alabel)
    entries = _json(cluster, "audit", alabel)
    assert [(e["action"], e["old"], e["new"]) for e in entries] == [
        ("domain create", "", "active"), ("domain state", "active", "suspended"),
        ("domain state", "suspended", "active")]
    assert all(e["who"].startswith("operator:") and e["from"] == "local" for e in entries)
    text = cluster.hbctl_ok("audit", alabel).stdout
    assert "domain state" in text and "active -> suspended" in text, text


def test_caps_and_policy_values_with_units(cluster):
    """caps and policy values typed with units are stored canonically; a value over its cap is refused (exit 1) all or nothing; policy show prints value, cap and the effective minimum."""
    d = "policy-cli.example"
    cluster.hbctl_ok("domain", "add", d)
    cluster.hbctl_ok("caps", "set", d, "user_msgs=100/h", "max_msg_size=25M", "max_users=10")
    assert cluster.redis("HGET", PREFIX + "caps:" + d, "user_msgs") == "100/3600"
    assert cluster.redis("HGET", PREFIX + "caps:" + d, "max_msg_size") == "26214400"
    before = _audit_len(cluster, d)
    r = cluster.hbctl("policy", "set", d, "max_rcpt=20", "user_msgs=2/m")
    assert r.returncode == 1 and "user_msgs is above the operator's cap" in r.stderr, r.stderr
    assert cluster.redis("HGET", PREFIX + "d:%s:policy" % d, "max_rcpt") is None
    assert _audit_len(cluster, d) == before
    cluster.hbctl_ok("policy", "set", d, "max_rcpt=20", "user_msgs=50/h", "quota=500M")
    assert cluster.redis("HGET", PREFIX + "d:%s:policy" % d, "quota") == "524288000"
    assert _audit_len(cluster, d) == before + 3
    rows = {row["name"]: row for row in _json(cluster, "policy", "show", d)}
    assert rows["user_msgs"] == {"name": "user_msgs", "value": "50/3600", "cap": "100/3600",
                                 "effective": "50/3600"}
    assert rows["max_msg_size"]["effective"] == "26214400"      # default 25M, cap 25M
    assert rows["domain_msgs"]["effective"] == "2000/3600"      # default, no cap
    text = cluster.hbctl_ok("policy", "show", d).stdout
    assert "50/h" in text and "100/h" in text and "25M" in text, text
    assert "quota: (none) -> 500M" in cluster.hbctl_ok("audit", d).stdout


def test_bad_input_exits_2_and_changes_nothing(cluster):
    """Malformed domains, unknown names, values without valid units and caps given as policy values exit 2 with the reason, and neither Redis nor the audit log changes."""
    d = "badinput-cli.example"
    cluster.hbctl_ok("domain", "add", d)
    before = _audit_len(cluster, d)
    cases = [
        (("domain", "add", "bad..example"), "empty label"),
        (("domain", "add", "-x.example"), ""),
        (("domain", "add", "x" * 64 + ".example"), ""),
        (("policy", "set", d, "user_msgs=5X"), "rate must be"),
        (("policy", "set", d, "max_rcpt=-1"), ""),
        (("policy", "set", d, "nonsense=1"), "unknown policy value"),
        (("policy", "set", d, "max_users=5"), "unknown policy value"),   # a cap only
        (("policy", "set", d, "max_rcpt"), "NAME=VALUE"),
        (("policy", "set", d), "usage"),
        (("caps", "set", d, "unauth_sender=maybe"), "reject or accept"),
        (("audit", d, "0"), "1..10000"),
        (("domain", "frobnicate", d), "unknown domain command"),
    ]
    for args, why in cases:
        r = cluster.hbctl(*args)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        assert why in r.stderr, (args, r.stderr)
    assert _audit_len(cluster, d) == before
    assert cluster.redis("HLEN", PREFIX + "d:" + d) == 3          # state, created, created_by
    r = cluster.hbctl("policy", "show", "missing-cli.example")
    assert r.returncode == 1 and "no such domain" in r.stderr, r.stderr


def test_aliases_and_sender_rights(cluster, tmp_path):
    """alias and sender commands store normalised addresses, respect max_aliases and the mailbox/alias exclusivity, refuse grants for a login that is not a mailbox, and list what they stored."""
    d = "alias-cli.example"
    pw = _password_file(tmp_path)
    cluster.hbctl_ok("domain", "add", d)
    cluster.hbctl_ok("caps", "set", d, "max_aliases=1")
    cluster.hbctl_ok("user", "add", "ann@" + d, "--password-file", str(pw))
    cluster.hbctl_ok("alias", "add", "Info@" + d, "ANN@" + d, "ext@Bücher.example")
    assert _json(cluster, "alias", "list", d) == [
        {"address": "info@" + d, "targets": ["ann@" + d, "ext@xn--bcher-kva.example"]}]
    r = cluster.hbctl("alias", "add", "sales@" + d, "ann@" + d)
    assert r.returncode == 1 and "cap max_aliases = 1" in r.stderr, r.stderr
    r = cluster.hbctl("alias", "add", "ann@" + d, "x@y.example")
    assert r.returncode == 1 and "is a mailbox" in r.stderr, r.stderr
    r = cluster.hbctl("user", "add", "info@" + d, "--password-file", str(pw))
    assert r.returncode == 1 and "is an alias" in r.stderr, r.stderr
    r = cluster.hbctl("alias", "add", "x@" + d, "not an address")
    assert r.returncode == 2 and "invalid target" in r.stderr, r.stderr
    cluster.hbctl_ok("sender", "allow", "ann@" + d, "@Bücher.example")
    cluster.hbctl_ok("sender", "allow", "ann@" + d, "Boss@" + d)
    assert _json(cluster, "sender", "list", "ann@" + d) == ["@xn--bcher-kva.example", "boss@" + d]
    r = cluster.hbctl("sender", "allow", "ghost@" + d, "@" + d)
    assert r.returncode == 1 and "NOTFOUND" in r.stderr, r.stderr
    r = cluster.hbctl("sender", "allow", "ann@" + d, "@bad..example")
    assert r.returncode == 2, r.stderr
    r = cluster.hbctl("user", "add", "bob@" + d, "--password-file", str(tmp_path / "none"))
    assert r.returncode == 2 and "none" in r.stderr, r.stderr
    cluster.hbctl_ok("sender", "deny", "ann@" + d, "boss@" + d)
    cluster.hbctl_ok("alias", "remove", "info@" + d)
    assert _json(cluster, "alias", "list", d) == []
    assert _json(cluster, "sender", "list", "ann@" + d) == ["@xn--bcher-kva.example"]


def test_admin_accounts_and_grants(cluster):
    """admin add stores only a PBKDF2 hash of a password shown once, grant/revoke are audited in the domain, and removing an account revokes all its grants (audited) and the account."""
    d1, d2 = "admin-cli-one.example", "admin-cli-two.example"
    for d in (d1, d2):
        cluster.hbctl_ok("domain", "add", d)
    out = _json(cluster, "admin", "add", "clara")
    password = out["password"]
    stored = cluster.redis("HGET", PREFIX + "adminpw:clara", "hash")
    assert stored.startswith("$pbkdf2-sha256$") and password not in stored, stored
    r = cluster.hbctl("admin", "add", "clara")
    assert r.returncode == 1 and "EXISTS" in r.stderr and password not in r.stdout + r.stderr
    r = cluster.hbctl("admin", "add", "Clara!")
    assert r.returncode == 2, r.stderr
    r = cluster.hbctl("admin", "grant", "nobody", d1)
    assert r.returncode == 1 and "NOTFOUND" in r.stderr, r.stderr
    cluster.hbctl_ok("admin", "grant", "clara", d1)
    cluster.hbctl_ok("admin", "grant", "clara", d2)
    listed = {a["admin"]: a["domains"] for a in _json(cluster, "admin", "list")}
    assert listed["clara"] == [d1, d2]
    assert cluster.redis("SISMEMBER", PREFIX + "grant:" + d1, "clara") == 1
    cluster.hbctl_ok("admin", "revoke", "clara", d2)
    cluster.hbctl_ok("admin", "remove", "clara")
    assert "clara" not in {a["admin"] for a in _json(cluster, "admin", "list")}
    assert cluster.redis("EXISTS", PREFIX + "admin:clara") == 0
    assert cluster.redis("SISMEMBER", PREFIX + "grant:" + d1, "clara") == 0
    one = [(e["action"], e["target"]) for e in _json(cluster, "audit", d1)]
    two = [(e["action"], e["target"]) for e in _json(cluster, "audit", d2)]
    assert one[1:] == [("admin grant", "clara"), ("admin revoke", "clara")], one
    assert two[1:] == [("admin grant", "clara"), ("admin revoke", "clara")], two


def test_domain_remove_keeps_the_audit_log(cluster, tmp_path):
    """domain remove refuses a domain that still has mailboxes (exit 1, nothing changed); with --force it deletes the domain and its mailboxes, and its audit log stays readable with the removal last."""
    d = "remove-cli.example"
    pw = _password_file(tmp_path)
    cluster.hbctl_ok("domain", "add", d)
    cluster.hbctl_ok("user", "add", "zed@" + d, "--password-file", str(pw))
    r = cluster.hbctl("domain", "remove", d)
    assert r.returncode == 1 and "1 mailboxes" in r.stderr, r.stderr
    assert cluster.redis("EXISTS", PREFIX + "d:%s:u:zed" % d) == 1
    r = cluster.hbctl("domain", "remove", d, "--quota", "1G")
    assert r.returncode == 2, r.stderr
    cluster.hbctl_ok("domain", "remove", d, "--force")
    assert cluster.redis("EXISTS", PREFIX + "d:" + d) == 0
    assert cluster.redis("EXISTS", PREFIX + "d:%s:u:zed" % d) == 0
    assert cluster.redis("SISMEMBER", PREFIX + "domains", d) == 0
    assert _json(cluster, "audit", d)[-1]["action"] == "domain remove"
    r = cluster.hbctl("domain", "show", d)
    assert r.returncode == 1 and "no such domain" in r.stderr, r.stderr
