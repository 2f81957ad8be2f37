"""test_postfix_integration.py - system tests of Hummingbird in a Postfix as
an operator has it: Postfix's own smtp and local transports (smtp relays to
an smtp-sink on loopback, local delivers root@localhost into the test
directory), a milter of the site's own, then scripts/hummingbird-postfix-setup
run against that configuration.  The director's socketmap must route only
hosted domains and socketmap_domains and leave all other mail to Postfix,
and never let mail go elsewhere when Redis cannot say what is hosted.
"""

import os
import subprocess
import time

import pytest

import clients
import harness
from cluster import DOMAIN

HOSTED = "pf-hosted.example"          # hosted with hbctl domain add
OUTSIDE = "elsewhere.example"         # nobody's: mail for it leaves the node
SITE_MAIN = """\
smtpd_milters = inet:localhost:8891
non_smtpd_milters = $smtpd_milters
transport_maps = hash:/etc/postfix/transport
message_reject_characters = \\a
recipient_delimiter = -
milter_default_action = accept
"""


def send(pf, rcpt, subject, sender="sender@sender.invalid"):
    clients.smtp_send(pf.host, pf.port, rcpt, subject, sender)


def wait_for(what, check, pf, timeout=30):
    try:
        return harness.wait_until(what, check, timeout)
    except AssertionError as e:
        raise AssertionError("%s; postfix log:\n%s" % (e, harness.tail(pf.log_path)))


def on_backend(cluster, user, subject):
    """The backend holding USER's message SUBJECT, or None."""
    for name, be in cluster.backends.items():
        for path in be.messages(user):
            with open(path, errors="replace") as f:
                if subject in f.read():
                    return name
    return None


def postmap_q(key, socketmap):
    return subprocess.run(["postmap", "-q", key, "socketmap:inet:%s:%d:transport" % socketmap],
                          capture_output=True, text=True, timeout=30)


def postconf(conf_dir, *args):
    r = subprocess.run(["postconf", "-c", conf_dir] + list(args),
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


@pytest.fixture(scope="module")
def node(cluster):
    """A Postfix with the site's milter (a hummingbird-milter on TCP standing
    in for opendkim: its metrics show it saw a message) already in
    smtpd_milters, then the setup script adding ours on the unix socket."""
    env = cluster.env
    cluster.hbctl_ok("domain", "add", HOSTED)
    site = env.add(harness.Milter(env, "sitemilter", cluster.redis)).start()
    ours = env.add(harness.Milter(env, "pfimilter", cluster.redis)).start()
    extra = ("smtpd_milters = inet:127.0.0.1:%d\nnon_smtpd_milters = $smtpd_milters\n"
             % site.port)
    pf = env.add(harness.Postfix(env, "pfint", cluster.directors[0].socketmap, HOSTED,
                                 milter=ours, main_extra=extra)).start()
    yield pf, site, ours
    for svc in (pf, pf.sink, ours, site):
        svc.stop()


def test_outside_domain_is_relayed_to_the_sink_not_a_backend(node, cluster):
    """Mail for a domain Hummingbird does not route gets NOTFOUND from the socketmap and leaves through Postfix's smtp transport (here the loopback sink), never to a backend."""
    pf = node[0]
    rcpt = "someone@" + OUTSIDE
    r = postmap_q(rcpt, cluster.directors[0].socketmap)
    assert (r.returncode, r.stdout, r.stderr) == (1, "", ""), (r.returncode, r.stdout, r.stderr)
    send(pf, rcpt, "subject-outside-1")
    got = wait_for("message at the sink", lambda: [m for m in pf.sink.messages()
                                                   if "subject-outside-1" in m], pf)
    assert "X-Rcpt-Args: <%s>" % rcpt in got[0], got[0]
    assert on_backend(cluster, rcpt, "subject-outside-1") is None
    assert cluster.assigned(rcpt) is None, "an outside recipient got a backend"


def test_root_at_localhost_is_delivered_locally(node, cluster):
    """root@localhost (mydestination) is delivered by local(8) as without Hummingbird: the socketmap says NOTFOUND, nothing reaches the sink or a backend."""
    pf = node[0]
    assert postmap_q("root@localhost", cluster.directors[0].socketmap).returncode == 1
    before = len(pf.sink.messages())
    send(pf, "root@localhost", "subject-root-2")
    wait_for("local delivery to root", lambda: "subject-root-2" in pf.mailbox("root"), pf)
    assert len(pf.sink.messages()) == before
    assert on_backend(cluster, "root@localhost", "subject-root-2") is None


@pytest.mark.parametrize("rcpt", ["box1@" + HOSTED, "pf-listed1@" + DOMAIN])
def test_hosted_and_listed_users_reach_their_backend(node, cluster, rcpt):
    """A user of a hosted domain (hbctl domain add) and one of a socketmap_domains domain are routed by the socketmap to the LMTP of their assigned backend, and nothing goes to the sink."""
    pf = node[0]
    reply = clients.socketmap_query(cluster.directors[0].socketmap, "transport", rcpt)
    assert reply.startswith("OK lmtp:inet:"), reply
    before = len(pf.sink.messages())
    subject = "subject-routed-" + rcpt.split("@")[0]
    send(pf, rcpt, subject)
    landed = wait_for("delivery to a backend", lambda: on_backend(cluster, rcpt, subject), pf)
    assert cluster.where(rcpt) == landed
    be = cluster.backends[landed]
    assert reply == "OK lmtp:inet:%s:%d" % (be.ip, be.lmtp_port)
    assert len(pf.sink.messages()) == before


def test_site_milter_stays_in_the_chain(node, cluster):
    """After the setup script the site's milter is still first in smtpd_milters and non_smtpd_milters = $smtpd_milters is kept; both milters see every message (their message counters grow)."""
    pf, site, ours = node
    assert postconf(pf.conf_dir, "-h", "smtpd_milters") == \
        "inet:127.0.0.1:%d, unix:hummingbird/milter.sock" % site.port
    assert postconf(pf.conf_dir, "-h", "non_smtpd_milters") == "$smtpd_milters"
    assert postconf(pf.conf_dir, "-h", "milter_default_action") == "tempfail"
    assert postconf(pf.conf_dir, "-h", "message_reject_characters") == "\\0"
    st = os.stat(os.path.dirname(ours.socket))
    assert oct(st.st_mode & 0o777) == "0o750"
    seen = (site.metric("hb_milter_messages_total") or 0,
            ours.metric("hb_milter_messages_total") or 0)
    send(pf, "someone2@" + OUTSIDE, "subject-chain-3")
    wait_for("both milters counting the message",
             lambda: (site.metric("hb_milter_messages_total") or 0) > seen[0]
             and (ours.metric("hb_milter_messages_total") or 0) > seen[1], pf)


def test_setup_script_is_idempotent_and_remove_restores(tmp_path):
    """The setup script keeps the site's milters, maps and recipient_delimiter (warning about the director's), appends \\0 to message_reject_characters; a second run changes nothing and --remove restores main.cf byte for byte."""
    conf = str(tmp_path)
    harness.write(os.path.join(conf, "main.cf"), SITE_MAIN)
    harness.write(os.path.join(conf, "master.cf"), "")
    r = harness.postfix_setup(conf, "--director-conf", os.devnull)
    assert "recipient_delimiter" in r.stderr and "'-'" in r.stderr, r.stderr
    assert postconf(conf, "-h", "smtpd_milters") == \
        "inet:localhost:8891, unix:hummingbird/milter.sock"
    assert postconf(conf, "-h", "non_smtpd_milters") == "$smtpd_milters"
    assert postconf(conf, "-h", "transport_maps") == \
        "socketmap:inet:127.0.0.1:7302:transport, hash:/etc/postfix/transport"
    assert postconf(conf, "-h", "message_reject_characters") == "\\a\\0"
    assert postconf(conf, "-h", "recipient_delimiter") == "-"
    assert postconf(conf, "-h", "milter_default_action") == "tempfail"
    with open(os.path.join(conf, "main.cf")) as f:
        once = f.read()
    harness.postfix_setup(conf, "--director-conf", os.devnull)
    with open(os.path.join(conf, "main.cf")) as f:
        assert f.read() == once
    harness.postfix_setup(conf, "--remove")
    with open(os.path.join(conf, "main.cf")) as f:
        assert f.read() == SITE_MAIN
    assert not os.path.exists(os.path.join(conf, "hummingbird-postfix-setup.saved"))
    # a Postfix with nothing set: recipient_delimiter becomes +; --remove
    # leaves main.cf as empty as it was
    harness.write(os.path.join(conf, "main.cf"), "")
    r = harness.postfix_setup(conf, "--director-conf", os.devnull)
    assert "WARNING" not in r.stderr, r.stderr
    assert postconf(conf, "-h", "recipient_delimiter") == "+"
    assert postconf(conf, "-h", "smtpd_milters") == "unix:hummingbird/milter.sock"
    harness.postfix_setup(conf, "--remove")
    with open(os.path.join(conf, "main.cf")) as f:
        assert f.read().strip() == ""


def _hbctl(director, *args):
    r = subprocess.run([harness.hbctl_binary(), "-c", director.conf_path] + [str(a) for a in args],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, "hbctl %s: %s%s" % (" ".join(map(str, args)), r.stdout, r.stderr)


def test_socketmap_answers_and_redis_down_defers(cluster):
    """Direct socketmap queries: hosted and socketmap_domains users get a backend, gmail.com is not found; with Redis down a domain not known to be hosted gets TEMP (Postfix defers), never NOTFOUND, while hosted and listed ones keep routing."""
    env = cluster.env
    redis = env.add(harness.RedisServer(env, "redis-pfmap")).start()
    d = env.add(harness.Director(env, "dpfmap", redis))
    d.write_conf("socketmap_domains = Listed.Example, bücher.example\n")
    d.start()
    for name, be in cluster.backends.items():
        _hbctl(d, "backend", "add", name, be.ip, "--imap-port", be.imap_port,
               "--pop3-port", be.pop3_port, "--lmtp-port", be.lmtp_port,
               "--doveadm-port", be.doveadm_port)
    _hbctl(d, "domain", "add", "hosted2.example")
    q = lambda key: clients.socketmap_query(d.socketmap, "transport", key)
    deadline = time.monotonic() + 20
    while not q("a@listed.example").startswith("OK ") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert q("a@listed.example").startswith("OK lmtp:inet:")
    assert q("b@xn--bcher-kva.example").startswith("OK lmtp:inet:")
    assert q("c@hosted2.example").startswith("OK lmtp:inet:")
    assert q("c@hosted2.example").startswith("OK lmtp:inet:")   # cached
    assert q("someone@gmail.com") == "NOTFOUND "
    assert q("root@localhost") == "NOTFOUND "
    r = postmap_q("someone@gmail.com", d.socketmap)
    assert (r.returncode, r.stdout, r.stderr) == (1, "", ""), (r.returncode, r.stdout, r.stderr)
    time.sleep(2.5)     # the hosted-domain answers are trusted for 2 s
    redis.stop()
    deadline = time.monotonic() + 10
    while not q("x@new-domain.example").startswith("TEMP") and time.monotonic() < deadline:
        time.sleep(0.2)
    for key in ("x@new-domain.example", "someone@gmail.com"):
        assert q(key).startswith("TEMP "), key
    r = postmap_q("someone@gmail.com", d.socketmap)     # Postfix sees a lookup error
    assert r.returncode != 0 and "temporary error" in r.stderr, (r.returncode, r.stderr)
    assert q("a@listed.example").startswith("OK lmtp:inet:")
    assert q("c@hosted2.example").startswith("OK lmtp:inet:")
    assert q("root@localhost") == "NOTFOUND "
    d.stop()
