"""clients.py - small, bounded protocol clients for the system tests: Redis
(RESP), the director line protocol, Postfix socketmap netstrings, IMAP, POP3
and plain HTTP.  Every call has a timeout; nothing here talks to anything but
the loopback addresses the tests pass in.
"""

import base64
import json
import smtplib
import socket
import time
from email.message import EmailMessage

DEFAULT_TIMEOUT = 10.0


def smtp_send(host, port, rcpt, subject, sender="sender@sender.invalid",
              body="hello from the hummingbird system tests\n"):
    """One message to RCPT through the SMTP server at HOST:PORT."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = rcpt
    msg["Subject"] = subject
    msg.set_content(body)
    with smtplib.SMTP(host, port, timeout=20) as s:
        s.send_message(msg)


class LoginFailed(Exception):
    """A login was refused or the connection broke; str() says why."""


def _connect(addr, timeout, source=None):
    """Connect to (host, port) or to a unix socket path; return the socket.
    SOURCE is a loopback address to connect from (default: 127.0.0.1)."""
    if isinstance(addr, str):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(addr)
        return sock
    return socket.create_connection(addr, timeout=timeout,
                                    source_address=(source, 0) if source else None)


class LineConn:
    """A connection read line by line, with a bound on every read."""

    MAX_LINE = 65536

    def __init__(self, addr, timeout=DEFAULT_TIMEOUT, source=None):
        self.sock = _connect(addr, timeout, source)
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def readline(self, timeout=DEFAULT_TIMEOUT):
        """Return one line without its CR LF, or None at EOF/reset."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("no line within %.1fs" % timeout)
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(4096)
            except (ConnectionResetError, BrokenPipeError):
                chunk = b""
            if not chunk:
                return None
            self.buf += chunk
            if len(self.buf) > self.MAX_LINE:
                raise ValueError("line longer than %d bytes" % self.MAX_LINE)
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def read_eof(self, timeout=DEFAULT_TIMEOUT):
        """Wait until the peer closes; True if it did within TIMEOUT."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(4096)
            except socket.timeout:
                return False
            except (ConnectionResetError, BrokenPipeError):
                return True
            if not chunk:
                return True
            self.buf += chunk
        return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# ---------------------------------------------------------------- Redis ---

class Redis:
    """Minimal RESP2 client (argv only)."""

    def __init__(self, host, port, timeout=5.0, auth=None):
        """AUTH: (user, password) sent first, for Redis with ACL users."""
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.f = self.sock.makefile("rb")
        if auth is not None:
            self("AUTH", *auth)

    def __call__(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        return self._reply()

    def _reply(self):
        line = self.f.readline()
        if not line:
            raise ConnectionError("redis closed the connection")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError("redis error: " + rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.f.read(n + 2)[:-2]
            return data.decode("utf-8", "replace")
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise RuntimeError("bad redis reply %r" % line)

    def close(self):
        self.f.close()
        self.sock.close()


def redis_call(host, port, *args, timeout=5.0, auth=None):
    r = Redis(host, port, timeout, auth)
    try:
        return r(*args)
    finally:
        r.close()


# ------------------------------------------------------------- director ---

def director_request(addr, line, timeout=DEFAULT_TIMEOUT):
    """Send one request line to a director socket, return the reply line."""
    c = LineConn(addr, timeout)
    try:
        c.send(line + "\n")
        return c.readline(timeout)
    finally:
        c.close()


def director_lookup(addr, user, service="imap", rid="t1", timeout=DEFAULT_TIMEOUT):
    """LOOKUP USER; returns the reply split on tabs (or None at EOF)."""
    reply = director_request(addr, "LOOKUP\t%s\t%s\t%s" % (rid, service, user), timeout)
    return None if reply is None else reply.split("\t")


def director_ping(addr, timeout=5.0):
    """True if the director answers PING with PONG."""
    try:
        return director_request(addr, "PING\tp1", timeout) == "PONG\tp1"
    except OSError:
        return False


# ------------------------------------------------------------ socketmap ---

def netstring(data):
    if isinstance(data, str):
        data = data.encode()
    return b"%d:%s," % (len(data), data)


def read_netstring(sock, timeout=DEFAULT_TIMEOUT, limit=100000):
    """Read one netstring; None at EOF.  Raises ValueError on a bad one."""
    sock.settimeout(timeout)
    head = b""
    while not head.endswith(b":"):
        ch = sock.recv(1)
        if not ch:
            return None
        head += ch
        if len(head) > 10:
            raise ValueError("bad netstring length %r" % head)
    n = int(head[:-1])
    if n > limit:
        raise ValueError("netstring too long")
    data = b""
    while len(data) < n + 1:
        chunk = sock.recv(n + 1 - len(data))
        if not chunk:
            return None
        data += chunk
    if data[-1:] != b",":
        raise ValueError("netstring without comma")
    return data[:-1].decode("utf-8", "replace")


def socketmap_query(addr, name, key, timeout=DEFAULT_TIMEOUT):
    sock = socket.create_connection(addr, timeout=timeout)
    try:
        sock.sendall(netstring("%s %s" % (name, key)))
        return read_netstring(sock, timeout)
    finally:
        sock.close()


# ----------------------------------------------------------------- HTTP ---

def http_request(addr, method, path, body=None, headers=None, timeout=DEFAULT_TIMEOUT):
    """One HTTP/1.0 request; returns (status, body text).  Status 0 = no reply."""
    sock = socket.create_connection(addr, timeout=timeout)
    try:
        hdr = {"Host": "%s:%d" % addr, "Connection": "close"}
        hdr.update(headers or {})
        data = body.encode() if isinstance(body, str) else (body or b"")
        if data:
            hdr["Content-Length"] = str(len(data))
        req = "%s %s HTTP/1.0\r\n" % (method, path)
        req += "".join("%s: %s\r\n" % kv for kv in hdr.items()) + "\r\n"
        sock.sendall(req.encode() + data)
        resp = _recv_all(sock, timeout)
    finally:
        sock.close()
    return _parse_http(resp)


def _recv_all(sock, timeout, limit=8 << 20):
    deadline = time.monotonic() + timeout
    out = b""
    while len(out) < limit:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not chunk:
            break
        out += chunk
    return out


def _parse_http(resp):
    if not resp.startswith(b"HTTP/"):
        return 0, resp.decode("utf-8", "replace")
    head, _, body = resp.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, body.decode("utf-8", "replace")


def doveadm_api(addr, api_key, command, params=None, timeout=DEFAULT_TIMEOUT):
    """Run one doveadm HTTP API command; returns (status, parsed JSON or text)."""
    auth = "X-Dovecot-API " + base64.b64encode(api_key.encode()).decode()
    body = json.dumps([[command, params or {}, "c1"]])
    status, text = http_request(addr, "POST", "/doveadm/v1", body,
                                {"Authorization": auth,
                                 "Content-Type": "application/json"}, timeout)
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


# ----------------------------------------------------------- IMAP / POP3 ---

def imap_login(addr, user, password="pass", timeout=DEFAULT_TIMEOUT, keep=False,
               source=None):
    """LOGIN, then ask the server's ID (the backend's imap_id_send name).

    Returns the backend name, or (name, LineConn) with KEEP=True (the session
    stays open, INBOX selected).  Raises LoginFailed when the login is refused.
    SOURCE: the client address (failed logins earn that address Dovecot's
    auth penalty, so tests that fail on purpose use one of their own).
    """
    try:
        c = LineConn(addr, timeout, source)
    except OSError as e:
        raise LoginFailed("connect: %s" % e)
    try:
        greeting = c.readline(timeout)
        if not greeting or not greeting.startswith("* OK"):
            raise LoginFailed("greeting: %r" % greeting)
        c.send('a LOGIN "%s" "%s"\r\n' % (user, password))
        ok, text = _imap_tagged(c, "a", timeout)
        if not ok:
            raise LoginFailed("LOGIN: %s" % text)
        c.send("b ID NIL\r\n")
        name = None
        while True:
            line = c.readline(timeout)
            if line is None:
                raise LoginFailed("connection closed after login")
            if line.startswith("* ID "):
                name = _id_name(line)
            if line.startswith("b "):
                break
        if keep:
            c.send("s SELECT INBOX\r\n")
            ok, text = _imap_tagged(c, "s", timeout)
            if not ok:
                raise LoginFailed("SELECT: %s" % text)
            return name, c
        c.send("z LOGOUT\r\n")
        _imap_tagged(c, "z", timeout)
        return name
    except (OSError, ValueError) as e:
        raise LoginFailed("%s: %s" % (type(e).__name__, e))
    finally:
        if not keep:
            c.close()


def _imap_tagged(c, tag, timeout):
    while True:
        line = c.readline(timeout)
        if line is None:
            return False, "connection closed"
        if line.startswith(tag + " "):
            return line[len(tag) + 1:].startswith("OK"), line


def _id_name(line):
    """Pull the value of "name" out of an untagged ID reply."""
    parts = line.split('"')
    for i in range(1, len(parts) - 2, 2):
        if parts[i].lower() == "name":
            return parts[i + 2]
    return None


def pop3_login(addr, user, password="pass", timeout=DEFAULT_TIMEOUT):
    """USER/PASS/STAT/QUIT; raises LoginFailed when the login is refused."""
    try:
        c = LineConn(addr, timeout)
    except OSError as e:
        raise LoginFailed("connect: %s" % e)
    try:
        greeting = c.readline(timeout)
        if not greeting or not greeting.startswith("+OK"):
            raise LoginFailed("greeting: %r" % greeting)
        for cmd in ("USER %s" % user, "PASS %s" % password, "STAT"):
            c.send(cmd + "\r\n")
            reply = c.readline(timeout)
            if not reply or not reply.startswith("+OK"):
                raise LoginFailed("%s: %r" % (cmd.split()[0], reply))
        c.send("QUIT\r\n")
        c.readline(timeout)
    except (OSError, ValueError) as e:
        raise LoginFailed("%s: %s" % (type(e).__name__, e))
    finally:
        c.close()
