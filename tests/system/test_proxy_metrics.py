"""The early-warning metrics the proxy exports per backend (the opt-in
conf.d/dovecot-proxy-metrics.conf.ext, as shipped, in a real Dovecot 2.3 proxy):
every proxied login is counted for its backend with the backend's login time,
a login the backend refuses and one whose backend does not answer are counted
as failed for that backend, and every started login is counted, so that
started - established - failed shows logins that vanished."""
import os
import re
import socket
import subprocess
import time

import clients
import harness
from cluster import _backend_up_gauges

BACKEND_IP = "127.0.0.57"
DEAD_IP = "127.0.0.59"          # nothing listens there
PROXY_IP = "127.0.0.58"
PREFIX = "hb:"


def includes_shipped_metrics(conf_path):
    """Whether CONF_PATH includes conf.d/dovecot-proxy-metrics.conf.ext, as
    an operator who opts in does, and that file has the hb_proxy_* blocks."""
    with open(os.path.join(harness.SRCDIR, "conf.d", "dovecot-proxy-metrics.conf.ext")) as f:
        blocks = re.findall(r"^metric hb_proxy_\w+ \{\n(?:  .*\n)+\}\n", f.read(), re.M)
    assert len(blocks) == 3, blocks
    with open(conf_path) as f:
        return re.search(r"^!include \S*/conf\.d/dovecot-proxy-metrics\.conf\.ext$", f.read(), re.M)


def stats(conf_path):
    """sub-metric name -> (count, duration sum in us)"""
    out = subprocess.run(["doveadm", "-c", conf_path, "stats", "dump"],
                         capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out.stderr
    rows = {}
    for line in out.stdout.splitlines()[1:]:
        cols = line.split("\t")
        if len(cols) > 3:
            rows[cols[0]] = (int(cols[2]), int(cols[3]))
    return rows


def wait_count(conf_path, name, want, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        got = stats(conf_path).get(name, (0, 0))[0]
        if got >= want or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


def test_proxy_counts_logins_failures_and_starts_per_backend(env):
    redis = env.add(harness.RedisServer(env, "redis-pxm")).start()
    be = env.add(harness.DovecotBackend(env, "pxm1", BACKEND_IP)).start()
    director = harness.Director(env, "dpxm", redis)
    # a backend that does not answer stays routable for 50 s: long enough for
    # logins to reach it (and fail) instead of being refused by the director
    director.write_conf("degrade_probe_time = 0\nhealth_fail_count = 100\n")
    env.add(director).start()

    def hbctl(*args):
        r = subprocess.run([harness.hbctl_binary(), "-c", director.conf_path] +
                           [str(a) for a in args], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
    hbctl("backend", "add", "pxm1", be.ip, "--imap-port", be.imap_port,
          "--lmtp-port", be.lmtp_port)
    proxy = harness.DovecotProxy(env, "ppxm", PROXY_IP, director.socket)
    assert includes_shipped_metrics(proxy.conf_path)   # templates.PROXY_HEAD
    env.add(proxy).start()
    ok_name = "hb_proxy_login_" + BACKEND_IP
    failed_name = "hb_proxy_login_failed_" + BACKEND_IP
    started_name = "hb_proxy_login_started_" + BACKEND_IP

    deadline = time.monotonic() + 15      # the director's table and health
    while redis("HGET", PREFIX + "backend:pxm1", "health") != "ok" or \
            _backend_up_gauges(director.metrics_text()).get("pxm1") != 1:
        assert time.monotonic() < deadline, director.metrics_text()
        time.sleep(0.1)
    for i in range(3):
        assert clients.imap_login(proxy.imap, "pxuser%d" % i) == "pxm1"
    try:
        clients.imap_login(proxy.imap, "pxuser0", password="wrong", source="127.0.0.97")
        raise AssertionError("a wrong password was accepted")
    except clients.LoginFailed:
        pass
    assert wait_count(proxy.conf_path, ok_name, 3) == 3
    assert wait_count(proxy.conf_path, failed_name, 1) == 1
    assert wait_count(proxy.conf_path, started_name, 4) == 4
    count, usecs = stats(proxy.conf_path)[ok_name]
    assert count == 3 and 0 < usecs < 3 * 10_000_000, (count, usecs)

    # a backend that does not answer: its logins fail, counted for it
    free = socket.socket()
    free.bind((DEAD_IP, 0))
    port = free.getsockname()[1]
    free.close()
    hbctl("backend", "add", "pxdead", DEAD_IP, "--imap-port", port)
    hbctl("backend", "drain", "pxm1")
    deadline = time.monotonic() + 10
    while True:
        try:
            clients.imap_login(proxy.imap, "pxnew%d" % int(time.monotonic() * 1000),
                               source="127.0.0.96")
        except clients.LoginFailed:
            if stats(proxy.conf_path).get("hb_proxy_login_failed_" + DEAD_IP, (0, 0))[0]:
                break
        assert time.monotonic() < deadline, stats(proxy.conf_path)
        time.sleep(0.3)
    rows = stats(proxy.conf_path)
    assert rows["hb_proxy_login_started_" + DEAD_IP][0] >= 1, rows
    assert ("hb_proxy_login_" + DEAD_IP) not in rows, rows
    assert rows[ok_name][0] == 3 and rows[failed_name][0] == 1, rows
