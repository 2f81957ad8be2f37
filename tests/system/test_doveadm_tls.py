"""test_doveadm_tls.py - the doveadm API key goes over verified TLS: with `doveadm_tls = yes` and `doveadm_ca_file` the director's key check, census and failover kick and hbctl's `user kick` reach a backend whose doveadm HTTP listener has `ssl = yes`; a server that fails verification (certificate of another CA, of another address, or no TLS at all) never receives the key, and the director and hbctl say why.

Everything here is its own: a Redis, one TLS backend, a director and fake
doveadm listeners on 127.0.0.141-144, and a CA made with openssl in the
test's directory; the shared cluster is not touched.
"""

import base64
import http.client
import json
import os
import re
import socket
import ssl
import subprocess
import threading
import time

import pytest

import clients
import harness

PREFIX = "hb:"
TLS_IP = "127.0.0.141"          # the real backend, certificate for its IP
OTHER_CA_IP = "127.0.0.142"     # certificate for its IP, signed by another CA
WRONG_NAME_IP = "127.0.0.143"   # our CA, but a certificate for another IP
PLAIN_IP = "127.0.0.144"        # plain HTTP: what the key must never reach


def _openssl(*args, cwd):
    r = subprocess.run(["openssl"] + list(args), cwd=cwd, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr


def _make_ca(d, name):
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", name + ".key", "-out", name + ".pem", "-days", "2",
             "-subj", "/CN=hb test " + name,
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    return os.path.join(d, name + ".pem")


def _make_cert(d, ca, name, ip):
    """A server certificate for IP signed by CA; returns (cert, key) paths."""
    harness.write(os.path.join(d, name + ".ext"),
                  "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
                  "subjectAltName=IP:%s\n" % ip)
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + ip, cwd=d)
    _openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
             "-CAcreateserial", "-out", name + ".pem", "-days", "2",
             "-extfile", name + ".ext", cwd=d)
    os.chmod(os.path.join(d, name + ".key"), 0o600)
    return os.path.join(d, name + ".pem"), os.path.join(d, name + ".key")


class TlsBackend(harness.DovecotBackend):
    """A backend whose doveadm inet_listener http has `ssl = yes` (the
    shipped snippet plus that one line, and ssl_cert/ssl_key)."""

    def __init__(self, env, name, ip, cert, key, ca_file):
        super().__init__(env, name, ip)
        self.ca_file = ca_file
        snippet = os.path.join(self.dir, "dovecot-backend.conf.ext")
        with open(snippet) as f:
            text = f.read()
        port_line = "port = %d\n" % self.doveadm_port
        assert text.count(port_line) == 1, text
        harness.write(snippet, text.replace(port_line, port_line + "    ssl = yes\n"))
        with open(self.conf_path, "a") as f:
            f.write("ssl = yes\nssl_cert = <%s\nssl_key = <%s\n" % (cert, key))

    def api(self, command, params=None):
        """The doveadm API over HTTPS, verified against our CA."""
        ctx = ssl.create_default_context(cafile=self.ca_file)
        conn = http.client.HTTPSConnection(self.ip, self.doveadm_port, timeout=5, context=ctx)
        auth = "X-Dovecot-API " + base64.b64encode(self.api_key.encode()).decode()
        body = json.dumps([[command, params or {}, "c1"]])
        try:
            conn.request("POST", "/doveadm/v1", body=body,
                         headers={"Authorization": auth, "Content-Type": "application/json"})
            resp = conn.getresponse()
            text = resp.read().decode()
            try:
                return resp.status, json.loads(text)
            except ValueError:
                return resp.status, text
        except (OSError, ssl.SSLError) as e:
            return 0, str(e)
        finally:
            conn.close()


class FakeListener:
    """A doveadm port that records every byte a client gets to it: raw bytes
    (TLS=None: plain HTTP, answering 400 to what it cannot read, as Dovecot's
    plain listener does), or what arrives inside a TLS session with
    TLS=(cert, key)."""

    def __init__(self, ip, tls=None):
        self.ip = ip
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((ip, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.ctx = None
        if tls is not None:
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ctx.load_cert_chain(*tls)
        self.received = b""
        self.connections = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        with self.lock:
            self.connections += 1
        conn.settimeout(3)
        try:
            if self.ctx is not None:
                conn = self.ctx.wrap_socket(conn, server_side=True)
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                with self.lock:
                    self.received += data
                if self.ctx is None:
                    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
                    break
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()

    def close(self):
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


class Setup:
    pass


@pytest.fixture(scope="module")
def tls(env):
    s = Setup()
    s.env = env
    d = os.path.join(env.root, "doveadm-tls")
    os.makedirs(d, exist_ok=True)
    s.ca_file = _make_ca(d, "ca")
    s.other_ca_file = _make_ca(d, "other-ca")
    good = _make_cert(d, "ca", "backend", TLS_IP)
    other = _make_cert(d, "other-ca", "other", OTHER_CA_IP)
    misnamed = _make_cert(d, "ca", "misnamed", "127.0.0.199")
    with open(env.api_key_file, "rb") as f:
        key = f.read()
    s.secrets = [b"X-Dovecot-API", b"Authorization", key.rstrip(b"\n"),
                 base64.b64encode(key)]

    s.redis = env.add(harness.RedisServer(env, name="redis-tls")).start()
    s.backend = env.add(TlsBackend(env, "tls1", TLS_IP, good[0], good[1], s.ca_file)).start()
    s.fakes = {"fakeca": FakeListener(OTHER_CA_IP, other),
               "fakename": FakeListener(WRONG_NAME_IP, misnamed),
               "fakeplain": FakeListener(PLAIN_IP)}
    s.director = harness.Director(env, "dtls", s.redis)
    s.director.write_conf("doveadm_tls = yes\ndoveadm_ca_file = %s\n" % s.ca_file)
    env.add(s.director).start()
    s.hbctl_conf = s.director.conf_path
    be = s.backend
    _hbctl_ok(s, "backend", "add", "tls1", be.ip, "--imap-port", be.imap_port,
              "--pop3-port", be.pop3_port, "--lmtp-port", be.lmtp_port,
              "--doveadm-port", be.doveadm_port)
    for name, fake in s.fakes.items():
        # weight 0: no user is ever routed to them; only the API is asked
        _hbctl_ok(s, "backend", "add", name, fake.ip, "--doveadm-port", fake.port,
                  "--weight", 0)
    yield s
    for fake in s.fakes.values():
        fake.close()


def _hbctl(s, *args, conf=None):
    argv = [harness.hbctl_binary(), "-c", conf or s.hbctl_conf] + [str(a) for a in args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


def _hbctl_ok(s, *args):
    r = _hbctl(s, *args)
    assert r.returncode == 0, (args, r.stdout, r.stderr)
    return r


def _wait_health_ok(s, name):
    harness.wait_until("backend %s healthy" % name, lambda: s.redis(
        "HGET", PREFIX + "backend:" + name, "health") == "ok", 20)


def test_director_checks_counts_and_kicks_over_tls(tls):
    """With doveadm_tls = yes the director's key check, census and failover kick reach the backend's `ssl = yes` doveadm listener, verified against doveadm_ca_file and the backend's IP."""
    d, be = tls.director, tls.backend
    harness.wait_until("the key check over TLS", lambda: re.search(
        r"backend tls1 \(\S+\): doveadm API accepts the key", d.log_since()), 10)
    assert "doveadm API requests go over TLS only" in d.log_since()
    _wait_health_ok(tls, "tls1")

    u = "tlsuser1"
    assert "tls1" in clients.director_lookup(d.socket, u)
    _, conn = clients.imap_login(be.imap, u, keep=True)
    key_name = PREFIX + "backend:tls1"
    offset = d.log_size()
    try:
        harness.wait_until("the census over TLS to count the session", lambda: (
            d.metric('hummingbird_census_sessions{backend="tls1"}') or 0) >= 1, 10)
        # the backend fails its checks while alive: a failover kick
        tls.redis("HSET", key_name, "imap_port", harness.free_port(be.ip))
        assert conn.read_eof(20), "the director's failover kick over TLS left the session open"
        harness.wait_until("the director to log the kick", lambda:
                           "backend tls1: sessions kicked" in d.log_since(offset), 10)
    finally:
        conn.close()
        tls.redis("HSET", key_name, "imap_port", be.imap_port)
        _wait_health_ok(tls, "tls1")
    text = d.log_since()
    assert not re.search(r"backend tls1\b.*(TLS|certificate)", text), text[-3000:]
    assert "X-Dovecot-API" not in text


def test_hbctl_user_kick_over_tls(tls):
    """`hbctl user kick` with doveadm_tls = yes kicks the user's session through the backend's TLS listener; with a doveadm_ca_file of another CA it refuses, says why and leaves the session alone."""
    u = "tlsuser2"
    assert "tls1" in clients.director_lookup(tls.director.socket, u)
    _, conn = clients.imap_login(tls.backend.imap, u, keep=True)
    try:
        with open(tls.hbctl_conf) as f:
            conf = f.read()
        wrong = harness.write(os.path.join(tls.env.root, "doveadm-tls", "wrong-ca.conf"),
                              conf.replace(tls.ca_file, tls.other_ca_file))
        r = _hbctl(tls, "user", "kick", u, conf=wrong)
        assert r.returncode != 0, r.stdout
        out = r.stdout + r.stderr
        assert "server certificate refused" in out and "key was not sent" in out, out
        assert "Sanitizer" not in out, out
        assert tls.backend.sessions(u) >= 1

        _hbctl_ok(tls, "user", "kick", u)
        assert conn.read_eof(10), "session survived hbctl user kick over TLS"
    finally:
        conn.close()


def test_unverified_servers_never_receive_the_key(tls):
    """A doveadm port with a certificate of another CA, with one for another address, or without TLS never receives the API key from the director or from hbctl; the director logs why for each."""
    d = tls.director
    why = {"fakeca": "server certificate refused: unable to get local issuer certificate",
           "fakename": "server certificate refused: IP address mismatch",
           "fakeplain": "TLS handshake failed"}
    for name, text in why.items():
        harness.wait_until("the director to refuse %s" % name, lambda: re.search(
            r"backend %s \(\S+\): cannot check the doveadm API key: %s.*key was not sent"
            % (name, re.escape(text)), d.log_since()), 15)
        harness.wait_until("the census of %s to fail" % name, lambda: re.search(
            r"census of backend %s failed: %s" % (name, re.escape(text)), d.log_since()), 15)
    # hbctl too (backend down kicks every session through doveadm)
    r = _hbctl(tls, "backend", "down", "fakeplain")
    assert r.returncode != 0, r.stdout
    assert "Sanitizer" not in r.stderr, r.stderr
    assert "TLS" in r.stdout + r.stderr and "key was not sent" in r.stdout + r.stderr, (
        r.stdout + r.stderr)
    for name, fake in tls.fakes.items():
        assert fake.connections > 0, name
        with fake.lock:
            got = fake.received
        for secret in tls.secrets:
            assert secret not in got, (name, secret, got[:200])
    # the plain listener saw a TLS ClientHello and nothing else
    assert tls.fakes["fakeplain"].received[:1] == b"\x16"
    assert tls.fakes["fakeca"].received == b"" and tls.fakes["fakename"].received == b""


def test_doveadm_tls_without_a_ca_file_is_refused(tls):
    """`doveadm_tls = yes` without doveadm_ca_file stops the director at start and hbctl before it connects: verification is never skipped."""
    env = tls.env
    dd = harness.Director(env, "dtlsnoca", tls.redis)
    dd.write_conf("doveadm_tls = yes\n")
    r = subprocess.run([harness.director_binary(), "-f", "-c", dd.conf_path],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert "doveadm_tls = yes needs doveadm_ca_file" in r.stdout + r.stderr, r.stderr
    assert "Sanitizer" not in r.stderr, r.stderr
    assert "tls1" in clients.director_lookup(tls.director.socket, "tlsuser3")
    r = _hbctl(tls, "user", "kick", "tlsuser3", conf=dd.conf_path)
    assert r.returncode != 0
    assert "doveadm_tls = yes needs doveadm_ca_file" in r.stdout + r.stderr, r.stderr
    assert "Sanitizer" not in r.stderr, r.stderr
