"""test_proxy_lmtp.py - system test of the LMTP part of
conf.d/dovecot-proxy.conf.ext as shipped: `lmtp_proxy = yes`
with the `protocols` line and the listener it needs, added to a test proxy
with only the listener's address and port changed, parses with doveconf and
proxies a delivery to the recipient's backend; as shipped the listener is on
loopback only (LMTP takes mail for anyone without a login).  The first docstring line of each test says what it
proves.
"""

import os
import smtplib
import subprocess
import time

import harness
from cluster import user

LMTP_PROXY_IP = "127.0.0.82"
SNIPPET = os.path.join(harness.SRCDIR, "conf.d", "dovecot-proxy.conf.ext")


def shipped_lmtp_part(port):
    """The snippet's LMTP part, from its comment to the end of `protocol
    lmtp { }`, with only the listener's address (the test proxy's own
    loopback address) and port changed."""
    with open(SNIPPET) as f:
        text = f.read()
    start = text.index("# LMTP: deliveries")
    end = text.index("lmtp_proxy = yes\n}\n", start) + len("lmtp_proxy = yes\n}\n")
    part = text[start:end]
    assert "protocols = $protocols lmtp\n" in part and part.count("port = 24\n") == 1, part
    assert part.count("address = 127.0.0.1\n") == 1, "the shipped LMTP listener is not loopback-only"
    return part.replace("port = 24\n", "port = %d\n" % port).replace(
        "address = 127.0.0.1\n", "address = %s\n" % LMTP_PROXY_IP)


def test_shipped_lmtp_proxy_part_delivers_to_the_users_backend(cluster):
    """The shipped LMTP part (protocols, listener, lmtp_proxy) parses with doveconf and a delivery to the proxy's LMTP port lands on the recipient's assigned backend only."""
    env = cluster.env
    p = harness.DovecotProxy(env, "plmtp", LMTP_PROXY_IP, cluster.directors[1].socket)
    port = harness.free_port(LMTP_PROXY_IP)
    with open(p.conf_path, "a") as f:
        f.write(shipped_lmtp_part(port))
    r = subprocess.run(["doveconf", "-c", p.conf_path, "-h", "protocols"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and "lmtp" in r.stdout.split(), r.stdout + r.stderr
    env.add(p).start()
    try:
        deadline = time.monotonic() + 10
        while not harness.port_open(LMTP_PROXY_IP, port):
            assert time.monotonic() < deadline, "no LMTP listener on the proxy:\n%s" % p.log_text()
            time.sleep(0.1)
        u = user("lmtpproxied", 1)
        with smtplib.LMTP(LMTP_PROXY_IP, port, timeout=20) as lmtp:
            refused = lmtp.sendmail("sender@example.org", [u],
                                    b"Subject: via the proxy\r\n\r\nhello\r\n")
        assert refused == {}, refused
        home = cluster.assigned(u)
        assert home in cluster.backends, "delivery left %s unassigned" % u
        deadline = time.monotonic() + 10
        while not cluster.backends[home].messages(u):
            assert time.monotonic() < deadline, "no message for %s on %s" % (u, home)
            time.sleep(0.1)
        others = {n: b.messages(u) for n, b in cluster.backends.items() if n != home}
        assert not any(others.values()), others
    finally:
        p.stop()
