#!/usr/bin/env python3
"""demo.py - brings up a complete Hummingbird cluster on loopback and keeps it
running until Ctrl-C (or, with --check, proves it works and stops): Redis,
three Dovecot backends, two directors, two Dovecot proxies using the
`hummingbird` passdb, and Postfix delivering through the director's socketmap;
plus a hosted domain (hosted.example, managed with hbctl): a third director
serving its mailboxes to a hosted Dovecot proxy, and Postfix's submission
port with SMTP AUTH through that proxy and hummingbird-milter enforcing the
domain's policy.
It reuses the system-test harness (tests/system) so the demo and the tests
start services the same way.  Everything lives in one /tmp directory.
"""

import argparse
import os
import signal
import smtplib
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "system"))

import clients  # noqa: E402
import cluster as cluster_mod  # noqa: E402
import harness  # noqa: E402


HOSTED_DOMAIN = "hosted.example"
HOSTED_USER = "demo@" + HOSTED_DOMAIN
HOSTED_IP = "127.0.0.12"


class Hosted:
    """The delegated-domain half of the demo (docs/DOMAINS.md, docs/MILTER.md)."""

    def __init__(self, c):
        env = c.env
        self.director = harness.userdb_director(env, "dhosted", c.redis)
        self.proxy = env.add(harness.DovecotHostedProxy(
            env, "phosted", HOSTED_IP, self.director.socket, self.director.userdb)).start()
        self.milter = env.add(harness.Milter(env, "milter", c.redis)).start()
        self.postfix = c.postfix(sasl_path=self.proxy.sasl_socket, milter=self.milter)
        pw = harness.write(os.path.join(env.root, "demo-password"), "pass\n", 0o600)
        c.hbctl_ok("domain", "add", HOSTED_DOMAIN)
        c.hbctl_ok("user", "add", HOSTED_USER, "--password-file", pw)
        c.hbctl_ok("policy", "set", HOSTED_DOMAIN, "user_msgs=100/h", "max_msg_size=10M")


def show(c, hosted):
    d1 = c.directors[0]
    conf = d1.conf_path
    pf = c.postfix()
    print("""
Hummingbird demo cluster is up (logs and configs under {root}).

  backends      {backends}
  proxies       IMAP {p1} (assigned users answered from Redis, docs/AUTH-MODULE.md)
                and {p2} (every login asks director d2); users u1..u999@example.com, password "pass"
  directors     d1 socket {sock}, metrics http://{m[0]}:{m[1]}/metrics
  postfix       SMTP {smtp[0]}:{smtp[1]} (mail for @example.com goes to the user's backend)
  hosted domain {hd}: mailbox {hu} (password "pass"), IMAP through {hp};
                submission {smtp[0]}:{sub} (SMTP AUTH), checked by hummingbird-milter
                (metrics http://{mm[0]}:{mm[1]}/metrics)

Try:
  {hbctl} -c {conf} status
  {hbctl} -c {conf} backend list
  python3 -c 'import imaplib; m=imaplib.IMAP4("{p1h}", {p1p}); print(m.login("u1@example.com","pass"))'
  {hbctl} -c {conf} user where u1@example.com
  {hbctl} -c {conf} backend drain be1
  curl -s http://{m[0]}:{m[1]}/metrics | grep hummingbird_
  {hbctl} -c {conf} domain show {hd}
  {hbctl} -c {conf} policy set {hd} user_msgs=3/h
  python3 -c 'import smtplib; s=smtplib.SMTP("{smtp[0]}", {sub}); s.login("{hu}","pass"); print(s.sendmail("{hu}", ["x@example.com"], "Subject: hi\\r\\n\\r\\nhi\\r\\n"))'

Press Ctrl-C to stop everything.""".format(
        root=c.env.root, backends=", ".join("%s %s" % (n, b.ip) for n, b in c.backends.items()),
        p1="%s:%d" % c.proxies[0].imap, p2="%s:%d" % c.proxies[1].imap,
        p1h=c.proxies[0].imap[0], p1p=c.proxies[0].imap[1],
        sock=d1.socket, m=d1.metrics, smtp=(pf.host, pf.port), conf=conf, hbctl=harness.hbctl_binary(),
        hd=HOSTED_DOMAIN, hu=HOSTED_USER, hp="%s:%d" % hosted.proxy.imap,
        sub=pf.submission_port, mm=hosted.milter.metrics))


def check_hosted(c, hosted):
    """The hosted mailbox logs in over IMAP, submits as itself through the
    milter, and is refused another mailbox's address."""
    landed = clients.imap_login(hosted.proxy.imap, HOSTED_USER, "pass")
    assert landed in c.backends, "hosted IMAP login landed on %r" % landed
    pf = hosted.postfix
    with smtplib.SMTP(pf.host, pf.submission_port, timeout=20) as s:
        s.login(HOSTED_USER, "pass")
        s.sendmail(HOSTED_USER, ["x@example.com"], "From: <%s>\r\nSubject: demo\r\n\r\nhi\r\n"
                   % HOSTED_USER)
        code, text = s.mail("boss@" + HOSTED_DOMAIN)
        assert code == 550, "the milter let %s send as boss@: %s %s" % (HOSTED_USER, code, text)
    print("demo check: hosted mailbox logged in on %s, submitted through the milter, "
          "was refused another address: OK" % landed)


def check(c):
    """What the demo promises, end to end; raises on the first failure."""
    user = "u1@example.com"
    landed = c.imap(user)
    assigned = c.where(user)
    assert landed == assigned, "IMAP landed on %s, director says %s" % (landed, assigned)
    assert c.imap(user, proxy=1) == assigned, "second proxy disagrees"
    pf = c.postfix()
    with smtplib.SMTP(pf.host, pf.port, timeout=20) as s:
        s.sendmail("demo@example.net", [user], "Subject: demo\r\n\r\nhello\r\n")
    deadline = time.monotonic() + 20
    while not c.backends[assigned].messages(user):
        assert time.monotonic() < deadline, "mail did not reach %s on %s" % (user, assigned)
        time.sleep(0.2)
    print("demo check: IMAP on both proxies and Postfix delivery reached backend %s: OK" % assigned)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="verify the cluster works, then stop")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("demo: run as root (Dovecot instances and the mount namespace that gives the "
                 "proxies our passdb module need it)")
    signal.signal(signal.SIGTERM, lambda s, f: (_ for _ in ()).throw(KeyboardInterrupt()))
    env = harness.Env()
    rc = 0
    try:
        c = cluster_mod.Cluster(env).start()
        hosted = Hosted(c)
        if args.check:
            check(c)
            check_hosted(c, hosted)
        else:
            show(c, hosted)
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        print("\nstopping the demo cluster")
    except (harness.ServiceError, AssertionError, OSError) as e:
        print("demo failed: %s" % e, file=sys.stderr)
        rc = 1
    finally:
        left, errors = env.stop_all()
        env.cleanup(keep=rc != 0)
        if left or errors:
            print("demo: could not stop everything: %s %s" % (left, errors), file=sys.stderr)
            rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
