"""test_sender_authority.py - system tests of docs/DOMAINS.md 7 "rights die
with their authority": a sender right that a domain admin granted through a
real hummingbird-admind (as ACL user hb-admind) on domain B for a login of
domain A is removed, in the same atomic step, when that admin's grant on B
is revoked, when B passes to another admin, and when B is removed and added
again; alias targets naming a removed domain go too.  Each test's docstring
says on its first line what it proves.
"""

import json

from cluster import PREFIX
from test_admind import PASSWORD, adm  # noqa: F401  (the admind fixture)


def _senders(adm, login):
    return json.loads(adm.op("--json", "sender", "list", login).stdout)


def _audit_actions(adm, domain):
    return [e["action"] for e in json.loads(adm.op("--json", "audit", domain, "20").stdout)]


def _allow(adm, token, domain, local, sender):
    r = adm.admind.request("POST", "/v1/domains/%s/senders/%s" % (domain, local),
                           {"sender": sender}, token=token)
    assert r.status == 200, (sender, r)


def test_sender_right_dies_when_the_granting_admin_loses_the_domain(adm):
    """A right @B granted through admind by B's admin for a login of A is gone after the admin's grant on B is revoked, and after B is handed to another admin; the removal is in A's audit log; a right on A itself stays."""
    a, b = "auth-a.example", "auth-b.example"
    token = adm.new_admin("dave", a, b)
    adm.op("user", "add", "pat@" + a)
    _allow(adm, token, a, "pat", "@" + b)
    _allow(adm, token, a, "pat", "info@" + a)
    assert _senders(adm, "pat@" + a) == ["@" + b, "info@" + a]

    adm.op("admin", "revoke", "dave", b)
    assert _senders(adm, "pat@" + a) == ["info@" + a]
    assert _audit_actions(adm, a)[-1] == "sender deny"

    # granted again and given again; then B passes to erin and dave loses it
    adm.op("admin", "grant", "dave", b)
    token = adm.admind.login("dave", PASSWORD)
    _allow(adm, token, a, "pat", "boss@" + b)
    adm.new_admin("erin", b)
    adm.op("admin", "revoke", "dave", b)
    assert _senders(adm, "pat@" + a) == ["info@" + a]


def test_removing_a_domain_removes_every_right_and_alias_target_naming_it(adm):
    """After `domain remove` + `domain add` of B, no login of another domain may still send as @B or as an address of B, and no alias of another domain still forwards into B, whoever granted them (admin or operator)."""
    a, b = "gone-a.example", "gone-b.example"
    token = adm.new_admin("fred", a, b)
    adm.op("user", "add", "sam@" + a)
    _allow(adm, token, a, "sam", "@" + b)
    adm.op("sender", "allow", "sam@" + a, "ceo@" + b)          # the operator's own grant
    adm.op("alias", "add", "fwd@" + a, "ceo@" + b, "sam@" + a)
    adm.op("domain", "remove", b, "--force")
    adm.op("domain", "add", b)
    assert _senders(adm, "sam@" + a) == []
    aliases = json.loads(adm.op("--json", "alias", "list", a).stdout)
    assert json.dumps(aliases).count(b) == 0, aliases
    assert "sam@" + a in json.dumps(aliases), aliases
    assert adm.redis("SISMEMBER", PREFIX + "admin:fred:domains", b) == 0
    assert adm.redis("SISMEMBER", PREFIX + "grant:" + b, "fred") == 0
