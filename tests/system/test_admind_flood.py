"""test_admind_flood.py - hummingbird-admind survives connection floods
(docs/ADMIND.md 1): run under a file descriptor limit of 128,
hundreds of idle TCP connections from one address and from many, plus
slowloris clients that send a byte a second, must not make it spin on
accept(), flood its log or keep an admin waiting: legitimate requests answer
within 1 s throughout, the log grows by a bounded number of lines, the CPU
time it uses stays small, and slow clients are closed at their deadlines.
"""

import os
import select
import socket
import ssl
import threading
import time

import pytest

import admind_harness
import harness

IP = "127.0.0.150"
FLOOD_SRC = "127.0.0.151"                               # one address, far over its cap
MANY_SRC = ["127.0.0.%d" % i for i in range(152, 172)]  # together over the total cap
SLOW_SRC = "127.0.0.172"
LEGIT_SRC = "127.0.0.173"
PASSWORD = "correct horse battery"
NOFILE = 128


class FloodAdmind(admind_harness.Admind):
    # a long idle timeout, so that only the flood defences can close anything
    SETTINGS = "admind_timeout = 60s\nadmind_session_ttl = 1h\n"


@pytest.fixture(scope="module")
def flood(env):
    d = os.path.join(env.root, "admind-flood")
    os.makedirs(d, exist_ok=True)
    redis = env.add(harness.RedisServer(env, "redis-flood")).start()
    conf = harness.write(os.path.join(d, "operator.conf"), "redis_port = %d\n" % redis.port)
    pki = admind_harness.Pki(os.path.join(d, "pki"), [IP])
    adm = env.add(FloodAdmind(env, "admind-flood", redis, IP, pki, nofile=NOFILE))
    adm.start()
    pwfile = harness.write(os.path.join(d, "pw"), PASSWORD + "\n", 0o600)
    for args in (("domain", "add", "flood.example"),
                 ("admin", "add", "alice", "--password-file", pwfile),
                 ("admin", "grant", "alice", "flood.example")):
        import subprocess
        r = subprocess.run([harness.hbctl_binary(), "-c", conf] + list(args),
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
    yield adm
    adm.stop()
    redis.stop()


def _idle(adm, source, n):
    """N TCP connections from SOURCE that never send a byte (non-blocking
    connects: a full backlog must not stall the test)."""
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.bind((source, 0))
        s.connect_ex((adm.ip, adm.port))
        socks.append(s)
    return socks


class Slow(threading.Thread):
    """A slowloris client from SLOW_SRC: TLS=False sends the first bytes of a
    handshake, TLS=True completes the handshake and sends a request head; a
    byte a second either way, until admind closes the connection."""

    def __init__(self, adm, tls):
        super().__init__(daemon=True)
        self.adm, self.tls = adm, tls
        self.started = self.closed = None
        self.sent = 0
        self.stop = False

    def _connect(self):
        if self.tls:
            return self.adm.tls(SLOW_SRC, timeout=10)
        return socket.create_connection((self.adm.ip, self.adm.port), timeout=10,
                                        source_address=(SLOW_SRC, 0))

    @staticmethod
    def _closed(s):
        """Whether the peer closed S (TLS session tickets are not a close)."""
        try:
            return not s.recv(4096)
        except (ssl.SSLWantReadError, BlockingIOError):
            return False

    def run(self):
        data = (b"GET /v1/session HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100 if self.tls
                else b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 100)
        try:
            s = self._connect()
        except OSError:
            return
        self.started = time.monotonic()
        s.setblocking(False)
        try:
            while not self.stop and self.sent < len(data):
                s.send(data[self.sent:self.sent + 1])
                self.sent += 1
                r, _, _ = select.select([s], [], [], 1.0)
                if r and self._closed(s):
                    break
        except (OSError, ssl.SSLError):
            pass
        self.closed = time.monotonic()
        s.close()


def _legit(adm, token):
    t0 = time.monotonic()
    r = adm.request("GET", "/v1/session", token=token, source=LEGIT_SRC, timeout=5)
    return r.status, time.monotonic() - t0


def test_admind_flood_does_not_starve_admins_nor_flood_the_log(flood):
    """Under a fd limit of 128, 250 idle connections from one address, 160 from 20 others and slowloris clients: every legitimate request answers within 1 s, the log grows by few lines (one report per flooding address), admind's CPU time stays small."""
    adm = flood
    token = adm.login("alice", PASSWORD, source=LEGIT_SRC)
    lines0, cpu0 = adm.log_lines(), adm.cpu_seconds()
    slow = [Slow(adm, tls) for tls in (False, True, False, True)]
    for t in slow:
        t.start()
    socks = _idle(adm, FLOOD_SRC, 250)
    for src in MANY_SRC:
        socks += _idle(adm, src, 8)
    worst, statuses = 0.0, []
    try:
        deadline = time.monotonic() + 12
        while time.monotonic() < deadline:
            status, took = _legit(adm, token)
            statuses.append(status)
            worst = max(worst, took)
            time.sleep(0.5)
        found = adm.wait_log("connections refused from %s in the last 10 s" % FLOOD_SRC, 3)
        paused = adm.wait_log("accepting paused", 1)
        cpu, lines = adm.cpu_seconds() - cpu0, adm.log_lines() - lines0
    finally:
        for t in slow:
            t.stop = True
        for s in socks:
            s.close()
    print("flood: worst legitimate request %.3f s, admind CPU %.2f s, log +%d lines"
          % (worst, cpu, lines))
    assert all(s == 200 for s in statuses), statuses
    assert worst < 1.0, "a legitimate request took %.2f s during the flood" % worst
    assert lines < 60, "the log grew by %d lines during the flood" % lines
    assert cpu < 1.5, "admind used %.2f CPU seconds in 15 s of flood" % cpu
    assert found, "no flood report in the log:\n" + adm.log_text()
    assert paused, "the fd limit was never reached, or not reported:\n" + adm.log_text()
    assert adm.alive()


def test_admind_closes_slow_clients_at_their_deadlines(flood):
    """Slowloris clients that send a byte a second (a TLS handshake that never ends, a request head that never ends) are closed at the handshake (5 s) and request (10 s) deadlines, although the idle timeout is 60 s; an admin is served meanwhile."""
    adm = flood
    token = adm.login("alice", PASSWORD, source=LEGIT_SRC)
    slow = [Slow(adm, tls) for tls in (False, False, True, True)]
    for t in slow:
        t.start()
    try:
        time.sleep(1)
        status, took = _legit(adm, token)
        assert status == 200 and took < 1.0, (status, took)
        for t in slow:
            t.join(20)
    finally:
        for t in slow:
            t.stop = True
    for t in slow:
        assert t.started is not None, "could not connect"
        assert t.closed is not None, "still open after 20 s (sent %d bytes)" % t.sent
        limit = 10 + 3 if t.tls else 5 + 3
        assert t.closed - t.started < limit, "closed after %.1f s" % (t.closed - t.started)
        assert t.sent >= 3, "closed before it was slow (%d bytes)" % t.sent
