"""admind_harness.py - hummingbird-admind for the system tests: a throwaway
CA with a server certificate made by the openssl command, the service itself
(Admind, a harness.Service) and a raw HTTPS client that sends exactly the
bytes a test gives it (crafted paths, duplicate headers, garbage), so that
nothing between the test and admind normalises a request.
"""

import json
import os
import socket
import ssl
import subprocess
import time

import harness


def admind_binary():
    return harness.find_built("admin/hummingbird-admind", "hummingbird-admind")


def _openssl(*args, cwd):
    out = subprocess.run(["openssl"] + list(args), cwd=cwd, capture_output=True,
                         text=True, timeout=60)
    if out.returncode != 0:
        raise harness.ServiceError("openssl %s failed: %s" % (args[0], out.stderr))


class Pki:
    """A CA (ca.crt) and a certificate for IPS signed by it (server.crt and
    server.key, mode 0600) in DIR."""

    def __init__(self, dir, ips, name="ca"):
        self.dir = dir
        os.makedirs(dir, exist_ok=True)
        self.ca = os.path.join(dir, name + ".crt")
        self.cert = os.path.join(dir, name + "-server.crt")
        self.key = os.path.join(dir, name + "-server.key")
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        _openssl("req", "-x509", *ec, "-keyout", name + ".key", "-out", self.ca, "-days", "2",
                 "-subj", "/CN=Hummingbird test CA " + name, cwd=dir)
        _openssl("req", *ec, "-keyout", self.key, "-out", name + ".csr",
                 "-subj", "/CN=admind", cwd=dir)
        harness.write(os.path.join(dir, name + ".ext"), "subjectAltName=%s\n" % ",".join(
            ["DNS:localhost"] + ["IP:" + ip for ip in ips]))
        _openssl("x509", "-req", "-in", name + ".csr", "-CA", self.ca, "-CAkey", name + ".key",
                 "-CAcreateserial", "-out", self.cert, "-days", "2", "-extfile", name + ".ext",
                 cwd=dir)
        os.chmod(self.key, 0o600)
        self.name = name

    def client_cert(self, cn):
        """A client certificate with subject CN=CN signed by this CA: (cert, key)."""
        base = "%s-client-%s" % (self.name, cn)
        key, cert = os.path.join(self.dir, base + ".key"), os.path.join(self.dir, base + ".crt")
        if not os.path.exists(cert):
            ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
            _openssl("req", *ec, "-keyout", key, "-out", base + ".csr", "-subj", "/CN=" + cn,
                     cwd=self.dir)
            harness.write(os.path.join(self.dir, base + ".ext"), "extendedKeyUsage=clientAuth\n")
            _openssl("x509", "-req", "-in", base + ".csr", "-CA", self.ca, "-CAkey",
                     self.name + ".key", "-CAcreateserial", "-out", cert, "-days", "2",
                     "-extfile", base + ".ext", cwd=self.dir)
            os.chmod(key, 0o600)
        return cert, key


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "<%d %r>" % (self.status, self.body[:300])


def parse_response(data):
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", len(body)))
    return Response(status, headers, body[:n].decode("utf-8", "replace"))


class Admind(harness.Daemon):
    """hummingbird-admind -f -c FILE on IP:free port against REDIS, as Redis
    user REDIS_USER (password in PASSWORD_FILE) when given."""

    binary = staticmethod(admind_binary)

    SETTINGS = ("admind_login_failures = 3\nadmind_lockout = 2s\nadmind_lockout_max = 4s\n"
                "admind_addr_failures = 8\nadmind_session_ttl = 1h\nadmind_max_body = 4096\n"
                "admind_max_headers = 8192\nadmind_timeout = 5s\n")

    def __init__(self, env, name, redis, ip, pki, redis_user=None, password_file=None, extra="",
                 nofile=None):
        super().__init__(env, name)
        self.nofile = nofile        # run under this file descriptor limit
        self.redis = redis
        self.ip = ip
        self.port = harness.free_port(ip)
        self.pki = pki
        self.conf_path = os.path.join(self.dir, "hummingbird.conf")
        ident = ""
        if redis_user:
            ident = "redis_user = %s\nredis_password_file = %s\n" % (redis_user, password_file)
        self.write_conf(ident + extra)

    def write_conf(self, extra=""):
        self.extra = extra
        harness.write(self.conf_path, harness.with_settings(
            "redis_host = 127.0.0.1\nredis_port = %d\nlog_level = debug\n"
            "admind_listen = %s:%d\nadmind_cert_file = %s\nadmind_key_file = %s\n"
            % (self.redis.port, self.ip, self.port, self.pki.cert, self.pki.key)
            + self.SETTINGS, extra))

    def argv(self):
        argv = super().argv()
        if self.nofile:
            argv = ["prlimit", "--nofile=%d:%d" % (self.nofile, self.nofile), "--"] + argv
        return argv

    def cpu_seconds(self):
        """User + system CPU time admind has used so far (/proc/PID/stat)."""
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_lines(self):
        with open(self.log_path, "rb") as f:
            return f.read().count(b"\n")

    @property
    def url(self):
        return "https://%s:%d" % (self.ip, self.port)

    def ready(self):
        return harness.port_open(self.ip, self.port)

    # ------------------------------------------------------------ client ---
    def tls(self, source=None, timeout=10, client=None):
        """A TLS connection to admind that trusts only the test CA, with
        CLIENT's certificate (cert, key) when given."""
        ctx = ssl.create_default_context(cafile=self.pki.ca)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        if client:
            ctx.load_cert_chain(*client)
        raw = socket.create_connection((self.ip, self.port), timeout=timeout,
                                       source_address=(source, 0) if source else None)
        return ctx.wrap_socket(raw, server_hostname=self.ip)

    def raw(self, data, source=None, timeout=10, client=None):
        """Send DATA (bytes) over TLS and read one response (or None if the
        connection closed without one)."""
        s = self.tls(source, timeout, client)
        try:
            s.sendall(data)
            buf = b""
            while True:
                try:
                    chunk = s.recv(65536)
                except (ConnectionResetError, ssl.SSLError):
                    break
                if not chunk:
                    break
                buf += chunk
                if b"\r\n\r\n" in buf:
                    head = buf.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()
                    n = 0
                    for line in head.split("\r\n"):
                        if line.startswith("content-length:"):
                            n = int(line.split(":", 1)[1])
                    if len(buf.split(b"\r\n\r\n", 1)[1]) >= n:
                        break
            return parse_response(buf) if buf else None
        finally:
            s.close()

    def request(self, method, path, body=None, token=None, headers=None, source=None,
                content_type="application/json", client=None, timeout=10):
        """One request; BODY is a dict/list (sent as JSON), bytes or str."""
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        lines = ["%s %s HTTP/1.1" % (method, path), "Host: %s" % self.ip, "Connection: close"]
        if token:
            lines.append("Authorization: Bearer " + token)
        if body is not None:
            if content_type:
                lines.append("Content-Type: " + content_type)
            lines.append("Content-Length: %d" % len(body))
        lines += list(headers or [])
        data = ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")
        r = self.raw(data, source, timeout, client)
        if r is None:
            raise AssertionError("%s %s: connection closed without a response" % (method, path))
        return r

    def login(self, name, password, source=None, client=None):
        r = self.request("POST", "/v1/login", {"admin": name, "password": password},
                         source=source, client=client)
        assert r.status == 200, r
        return r.json["token"]

    def wait_log(self, text, timeout=5):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.log_path, errors="replace") as f:
                if text in f.read():
                    return True
            time.sleep(0.05)
        return False
