"""harness.py - start and reliably stop throwaway services for the system
tests: Redis, Dovecot backends, a Dovecot proxy frontend using the
hummingbird passdb, hummingbird-director instances and Postfix.  Everything
lives in one temporary directory and listens on loopback only; nothing a
real installation owns is written (proxies see our passdb module through a
private mount namespace, tests/authdb-ns.sh).  Every service runs in its own
process group so it can be killed whole, and a service that does not come
up fails with the tail of its own log.
"""

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

import clients
import templates

START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
VMAIL_UID = 5000
API_KEY = "hb-systest-api-key"
AUTHDB_DIR = "/usr/lib/dovecot/modules/auth"     # the system's; never written
AUTHDB_NAME = "libauthdb_hummingbird.so"
SRCDIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
AUTHDB_NS = os.path.join(SRCDIR, "tests", "authdb-ns.sh")


class ServiceError(Exception):
    """A service did not start or stop; the message carries its log."""


# ------------------------------------------------------------ utilities ---

def build_dir():
    """The top build dir holding the built binaries (env HB_BUILDDIR)."""
    return os.environ.get("HB_BUILDDIR") or "/tmp/build-systest"


# where each part configure can leave out (--disable-milter ...) is built;
# `make check` names the parts left out in HB_DISABLED_PARTS
PART_DIRS = {"milter": "milter/", "admind": "admin/", "plugins": "plugins/",
             "crashfs": "tests/crashfs/"}


def skip_if_disabled(rel):
    """Skip the running test if REL belongs to a part this build left out."""
    for part in os.environ.get("HB_DISABLED_PARTS", "").split():
        if rel.startswith(PART_DIRS.get(part, "\0")):
            pytest.skip("built without %s (configure --disable-%s)" % (part, part))


def find_built(*relpaths):
    """First existing file among RELPATHS under the build dir; a skip if
    configure left its part out, else an error."""
    top = build_dir()
    for rel in relpaths:
        path = os.path.join(top, rel)
        if os.path.isfile(path):
            return path
    skip_if_disabled(relpaths[0])
    raise ServiceError("not built: none of %s under HB_BUILDDIR=%s (run make first)"
                       % (", ".join(relpaths), top))


def director_binary():
    return find_built("director/hummingbird-director", "hummingbird-director")


def hbctl_binary():
    return find_built("cli/hbctl", "hbctl")


def milter_binary():
    return find_built("milter/hummingbird-milter", "hummingbird-milter")


def authdb_module():
    return find_built("plugins/auth/.libs/" + AUTHDB_NAME, ".libs/" + AUTHDB_NAME,
                      "plugins/auth/" + AUTHDB_NAME)


_handed_out = set()


def free_port(host="127.0.0.1"):
    """A TCP port free on HOST now and not handed out before in this run."""
    for _ in range(200):
        s = socket.socket()
        try:
            s.bind((host, 0))
            port = s.getsockname()[1]
        finally:
            s.close()
        if port not in _handed_out and port > 1024:
            _handed_out.add(port)
            return port
    raise ServiceError("no free port on %s" % host)


def port_open(host, port, timeout=0.5):
    try:
        socket.create_connection((host, port), timeout=timeout).close()
        return True
    except OSError:
        return False


def unix_open(path, timeout=0.5):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


def tail(path, lines=40):
    try:
        with open(path, "rb") as f:
            data = f.read()[-16384:]
    except OSError as e:
        return "(no log %s: %s)" % (path, e)
    text = data.decode("utf-8", "replace").splitlines()[-lines:]
    return "\n".join(text)


def file_sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def dir_state(path):
    """What directory PATH holds, to compare before and after a run: its own
    inode and mtime, and per entry (not following links) type, size, mtime,
    inode and, for a regular file, the SHA-256 of its bytes.  None if absent."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    state = {".": (st.st_ino, st.st_mtime_ns)}
    for name in sorted(os.listdir(path)):
        full = os.path.join(path, name)
        st = os.lstat(full)
        digest = file_sha256(full) if os.path.isfile(full) and not os.path.islink(full) else None
        state[name] = (st.st_mode, st.st_size, st.st_mtime_ns, st.st_ino, digest)
    return state


def dir_changes(before, after):
    """The entries that differ between two dir_state()s, for a message."""
    if before is None or after is None:
        return "before %r, after %r" % (before, after)
    names = sorted(set(before) | set(after))
    return ["%s: %r -> %r" % (n, before.get(n), after.get(n))
            for n in names if before.get(n) != after.get(n)]


def with_settings(template, extra):
    """TEMPLATE's settings with EXTRA's: a key EXTRA sets replaces the
    template's line (a key may appear only once in a file)."""
    keys = {line.split("=", 1)[0].strip() for line in extra.splitlines() if "=" in line}
    kept = [line for line in template.splitlines(True)
            if "=" not in line or line.lstrip().startswith("#")
            or line.split("=", 1)[0].strip() not in keys]
    return "".join(kept) + extra


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def proc_stats():
    """(pid, command, fields after the command) of every process in /proc;
    fields[0] is the state, fields[1] the parent pid."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat.split("(", 1)[1].rsplit(")", 1)[0]
        yield int(entry), comm, stat.rsplit(")", 1)[1].split()


def session_members(sids):
    """PIDs (with their command) of live processes whose session id or process
    group is in SIDS; zombies are not counted."""
    found = []
    for pid, comm, fields in proc_stats():
        state, pgrp, sid = fields[0], int(fields[2]), int(fields[3])
        if state != "Z" and (sid in sids or pgrp in sids):
            found.append((pid, comm))
    return found


def wait_until(what, check, timeout):
    """CHECK()'s first true value, polled every 0.1 s; AssertionError naming
    WHAT after TIMEOUT seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.0fs waiting for %s" % (timeout, what))
        time.sleep(0.1)


def processes_mentioning(text):
    """Live processes whose command line contains TEXT (e.g. the temp dir):
    catches anything that left its process group, e.g. by daemonizing."""
    found = []
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
            with open("/proc/%s/stat" % entry) as f:
                zombie = f.read().rsplit(")", 1)[1].split()[0] == "Z"
        except OSError:
            continue
        if text in cmd and not zombie:
            found.append((int(entry), cmd.strip()))
    return found


# ------------------------------------------------------------- Service ---

class Service:
    """One process tree started in its own session, with a log file."""

    def __init__(self, env, name):
        self.env = env
        self.name = name
        self.dir = os.path.join(env.root, name)
        os.makedirs(self.dir, mode=0o755, exist_ok=True)
        self.log_path = os.path.join(self.dir, "log")
        self.proc = None
        self.sids = set()

    # -- to be provided by subclasses
    def argv(self):
        raise NotImplementedError

    def ready(self):
        raise NotImplementedError

    def start(self):
        if self.proc is not None and self.proc.poll() is None:
            return self
        out = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=subprocess.STDOUT,
                                         cwd=self.dir, start_new_session=True)
        finally:
            out.close()
        self.sids.add(self.proc.pid)
        self._wait_ready()
        return self

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.fail("exited with status %s while starting" % self.proc.returncode)
            try:
                if self.ready():
                    return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        self.fail("did not come up within %ds" % START_TIMEOUT)

    def fail(self, why):
        raise ServiceError("%s %s; log %s:\n%s" % (self.name, why, self.log_path,
                                                   self.log_text()))

    def log_text(self):
        return tail(self.log_path)

    def log_size(self):
        """The log's length now: an offset for log_since()."""
        try:
            return os.path.getsize(self.log_path)
        except OSError:
            return 0

    def log_since(self, offset=0):
        """What the service logged after OFFSET (text)."""
        with open(self.log_path, "rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", "replace")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        if self.alive():
            os.kill(self.proc.pid, sig)

    def terminate(self):
        """Ask the service to exit without waiting (see stop())."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)

    def stop(self):
        """SIGTERM, wait, then SIGKILL the whole process group/session."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    def kill(self):
        """SIGKILL every process of this service at once (a crash)."""
        for _ in range(50):
            members = session_members(self.sids)
            if not members:
                # all gone: forget the ids, a reused PID is someone else's
                self.sids = set()
                break
            for pid, _ in members:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.05)
        if self.proc is not None:
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass

    def leftovers(self):
        return session_members(self.sids)


# ---------------------------------------------------------------- Redis ---

class RedisServer(Service):
    """redis-server on 127.0.0.1:free port; nothing saved unless asked."""

    def __init__(self, env, name="redis", aclfile=None, auth=None):
        """ACLFILE: Redis' ACL users; AUTH: (user, password) the tests use."""
        super().__init__(env, name)
        self.host = "127.0.0.1"
        self.port = free_port(self.host)
        self.aclfile = aclfile
        self.auth = auth

    def argv(self):
        acl = ["--aclfile", self.aclfile] if self.aclfile else []
        return ["redis-server", "--bind", self.host, "--port", str(self.port),
                "--save", "", "--appendonly", "no", "--dir", self.dir,
                "--dbfilename", "dump.rdb", "--daemonize", "no",
                "--protected-mode", "yes", "--logfile", ""] + acl

    def ready(self):
        return self("PING") == "PONG"

    def __call__(self, *args, auth=None):
        """One command, as AUTH (default: the server's own test identity)."""
        return clients.redis_call(self.host, self.port, *args, auth=auth or self.auth)

    def shutdown_save(self):
        """Write dump.rdb and exit, as an operator's restart would."""
        try:
            self("SHUTDOWN", "SAVE")
        except (ConnectionError, OSError):
            pass
        try:
            self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pass
        self.kill()


# -------------------------------------------------------------- Dovecot ---


class Dovecot(Service):
    """A Dovecot instance run in the foreground (dovecot -F -c FILE)."""

    def __init__(self, env, name, ip):
        super().__init__(env, name)
        self.ip = ip
        self.instance = "hbt%d-%s" % (os.getpid(), name)
        self.conf_path = os.path.join(self.dir, "dovecot.conf")
        self.imap_port = free_port(ip)
        self.pop3_port = free_port(ip)
        os.makedirs(os.path.join(self.dir, "state"), mode=0o755, exist_ok=True)

    def argv(self):
        return ["dovecot", "-F", "-c", self.conf_path]

    def fields(self):
        return dict(dir=self.dir, instance=self.instance, ip=self.ip, name=self.name,
                    uid=VMAIL_UID, imap_port=self.imap_port, pop3_port=self.pop3_port)

    def start(self):
        check = subprocess.run(["doveconf", "-c", self.conf_path, "-n"],
                               capture_output=True, text=True, timeout=30)
        if check.returncode != 0:
            raise ServiceError("%s: doveconf rejects %s:\n%s"
                               % (self.name, self.conf_path, check.stderr))
        return super().start()

    def ready(self):
        return port_open(self.ip, self.imap_port) and port_open(self.ip, self.pop3_port)

    @property
    def imap(self):
        return (self.ip, self.imap_port)

    @property
    def pop3(self):
        return (self.ip, self.pop3_port)


def shipped_backend_snippet(key_file, port):
    """conf.d/dovecot-backend.conf.ext as shipped, with only the key file's
    path and the HTTP port changed to the test's: the backends run the
    operator's lines, not a copy of them."""
    with open(os.path.join(SRCDIR, "conf.d", "dovecot-backend.conf.ext")) as f:
        text = f.read()
    for old, new in (("= </etc/dovecot/doveadm-api-key\n", "= <%s\n" % key_file),
                     ("port = 8080\n", "port = %d\n" % port)):
        if text.count(old) != 1:
            raise ServiceError("conf.d/dovecot-backend.conf.ext no longer has %r once" % old)
        text = text.replace(old, new)
    return text


class DovecotBackend(Dovecot):
    """A mail backend: IMAP, POP3, LMTP and the doveadm HTTP API, with its own
    mail root, so a test can see where a user's mail lives; it announces its
    name in the IMAP ID reply."""

    def __init__(self, env, name, ip, inline_key=None):
        """The doveadm API as conf.d/dovecot-backend.conf.ext ships it, with
        the key from env.api_key_file (trailing newline and all); INLINE_KEY:
        the key written inline instead (doveadm_api_key = KEY), as an
        operator who ignores the snippet's advice would."""
        super().__init__(env, name, ip)
        self.lmtp_port = free_port(ip)
        self.doveadm_port = free_port(ip)
        self.mail_root = os.path.join(self.dir, "mail")
        os.makedirs(self.mail_root, mode=0o755, exist_ok=True)
        os.chown(self.mail_root, VMAIL_UID, VMAIL_UID)
        snippet = write(os.path.join(self.dir, "dovecot-backend.conf.ext"),
                        shipped_backend_snippet(env.api_key_file, self.doveadm_port))
        with open(env.api_key_file) as f:
            self.api_key = f.read()      # what Dovecot's <FILE reads
        f = self.fields()
        f.update(lmtp_port=self.lmtp_port, mail_root=self.mail_root, snippet=snippet)
        text = templates.BACKEND_CONF.format(**f)
        if inline_key is not None:
            text += "doveadm_api_key = %s\n" % inline_key
            self.api_key = inline_key
        write(self.conf_path, text)

    def ready(self):
        if not (super().ready() and port_open(self.ip, self.lmtp_port)):
            return False
        status, _ = self.api("who")
        return status == 200

    def start(self):
        super().start()
        status, body = self.api("who")
        if status != 200:
            self.stop()
            self.fail("doveadm HTTP API answered %s: %r" % (status, body))
        return self

    def api(self, command, params=None):
        try:
            return clients.doveadm_api((self.ip, self.doveadm_port), self.api_key,
                                       command, params, timeout=5)
        except OSError as e:
            return 0, str(e)

    def sessions(self, user):
        """Number of sessions USER has open here (doveadm who)."""
        status, body = self.api("who", {"mask": user})
        if status != 200:
            raise ServiceError("%s: doveadm who failed: %s %r" % (self.name, status, body))
        total = 0
        for reply in body:
            if reply[0] == "doveadmResponse":
                for row in reply[1]:
                    if row.get("username") == user:
                        total += int(row.get("connections", 1))
        return total

    def has_home(self, user):
        return os.path.isdir(os.path.join(self.mail_root, user))

    def messages(self, user):
        """Files in USER's Maildir new/ and cur/ on this backend."""
        found = []
        for sub in ("new", "cur"):
            d = os.path.join(self.mail_root, user, "Maildir", sub)
            if os.path.isdir(d):
                found += [os.path.join(d, n) for n in os.listdir(d)]
        return found


class DovecotProxy(Dovecot):
    """The frontend: login processes in high-performance mode proxying every
    login to the backend that `driver = hummingbird` names."""

    def __init__(self, env, name, ip, director_socket, timeout_ms=15000, redis_config=None):
        """REDIS_CONFIG: a director's configuration file, for the passdb's
        Redis fast path (config=); None: every lookup asks the director."""
        super().__init__(env, name, ip)
        f = self.fields()
        f.update(socket=director_socket, timeout_ms=timeout_ms,
                 fast_path=" config=%s" % redis_config if redis_config else "")
        write(self.conf_path, templates.PROXY_CONF.format(**f))

    def argv(self):
        # Dovecot 2.3 loads passdb modules only from AUTHDB_DIR: this
        # instance sees ours there through a private mount namespace
        return self.env.authdb_argv(super().argv())


class DovecotChainedProxy(DovecotProxy):
    """A frontend in configuration 2 (docs/AUTH-MODULE.md): a passwd-file
    passdb checks the password (result_success = continue), then
    `driver = hummingbird` (skip = unauthenticated, no nopassword) routes.
    USERS maps user name -> plaintext password."""

    def __init__(self, env, name, ip, director_socket, users, timeout_ms=15000):
        Dovecot.__init__(self, env, name, ip)
        self.users_file = write(os.path.join(self.dir, "users"), "".join(
            "%s:{PLAIN}%s\n" % (u, pw) for u, pw in sorted(users.items())))
        f = self.fields()
        f.update(socket=director_socket, timeout_ms=timeout_ms, users_file=self.users_file)
        write(self.conf_path, templates.PROXY_CHAINED_CONF.format(**f))


class DovecotHostedProxy(DovecotProxy):
    """A frontend for hosted mailboxes (docs/DOMAINS.md 6): the hummingbird
    passdb checks passwords against the director's userdb socket and routes;
    the hummingbird userdb returns the quota."""

    def __init__(self, env, name, ip, director_socket, userdb_socket, timeout_ms=15000):
        Dovecot.__init__(self, env, name, ip)
        f = self.fields()
        f.update(socket=director_socket, userdb_socket=userdb_socket, timeout_ms=timeout_ms)
        write(self.conf_path, templates.PROXY_HOSTED_CONF.format(**f))
        # for Postfix's smtpd_sasl_path (templates.PROXY_SASL_LISTENER)
        self.sasl_socket = os.path.join(self.dir, "run", "auth-postfix")


# ------------------------------------------------------------- director ---

class Daemon(Service):
    """One of our own daemons (-f -c FILE, optionally under
    HB_DIRECTOR_WRAPPER, e.g. "valgrind -q --error-exitcode=99"): one that
    does not exit 0 on SIGTERM (a leak or error report included) fails."""

    binary = None                   # function giving the built program

    def argv(self):
        wrapper = os.environ.get("HB_DIRECTOR_WRAPPER", "").split()
        return wrapper + [type(self).binary(), "-f", "-c", self.conf_path]

    def stop(self):
        running = self.alive()
        super().stop()
        rc = self.proc.returncode if self.proc is not None else 0
        if running and rc != 0:
            self.fail("exited with status %s on SIGTERM (want 0)" % rc)


class MetricsEndpoint:
    """For services with a Prometheus endpoint at self.metrics (host, port)."""

    def metrics_text(self):
        status, body = clients.http_request(self.metrics, "GET", "/metrics", timeout=5)
        if status != 200:
            raise ServiceError("%s: GET /metrics gave %s" % (self.name, status))
        return body

    def metric(self, name):
        """Sum of the values of every sample of metric NAME (None if absent)."""
        total = None
        for line in self.metrics_text().splitlines():
            if line.startswith("#"):
                continue
            key, _, value = line.rpartition(" ")
            if key == name or key.startswith(name + "{"):
                total = (total or 0) + float(value)
        return total



class Director(MetricsEndpoint, Daemon):
    """hummingbird-director -f -c FILE, with every listener on its own port."""

    binary = staticmethod(director_binary)

    def __init__(self, env, name, redis):
        super().__init__(env, name)
        self.redis = redis
        self.socket = os.path.join(self.dir, "director.sock")
        self.tcp = ("127.0.0.1", free_port())
        self.socketmap = ("127.0.0.1", free_port())
        self.metrics = ("127.0.0.1", free_port())
        self.conf_path = os.path.join(self.dir, "hummingbird.conf")
        self.write_conf()

    def write_conf(self, extra=""):
        text = templates.DIRECTOR_CONF.format(redis_port=self.redis.port, socket=self.socket,
                                    tcp_port=self.tcp[1], socketmap_port=self.socketmap[1],
                                    metrics_port=self.metrics[1], name=self.name,
                                    dir=self.dir, key_file=self.env.api_key_file)
        write(self.conf_path, with_settings(text, extra))

    def ready(self):
        return (unix_open(self.socket) and port_open(*self.tcp)
                and port_open(*self.socketmap) and port_open(*self.metrics)
                and clients.director_ping(self.socket, timeout=1))

    def lookup(self, user, service="imap", rid="t1", timeout=15):
        return clients.director_lookup(self.socket, user, service, rid, timeout)



# -------------------------------------------------------------- Postfix ---


POSTFIX_SETUP = os.path.join(SRCDIR, "scripts", "hummingbird-postfix-setup")


def postfix_setup(conf_dir, *args):
    """scripts/hummingbird-postfix-setup -c CONF_DIR ARGS as an operator runs
    it: the tests use the shipped script, not a copy of its lines."""
    r = subprocess.run(["sh", POSTFIX_SETUP, "-c", conf_dir] + list(args),
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise ServiceError("hummingbird-postfix-setup failed (%d):\n%s%s"
                           % (r.returncode, r.stdout, r.stderr))
    return r


def userdb_director(env, name, redis):
    """A started director that also serves USERDB (docs/DOMAINS.md 6) on
    .userdb, mode 0660, group dovecot (Dovecot's auth process runs as user
    dovecot)."""
    d = Director(env, name, redis)
    d.userdb = os.path.join(d.dir, "userdb.sock")
    d.write_conf("userdb_listen = %s\nuserdb_socket_mode = 0660\n"
                 "userdb_socket_group = dovecot\n" % d.userdb)
    return env.add(d).start()


class SmtpSink(Service):
    """Postfix's smtp-sink on loopback, the relayhost of a test Postfix:
    what would leave for the Internet lands here, one file per message
    (envelope in X-Mail-Args / X-Rcpt-Args headers)."""

    def __init__(self, env, name):
        super().__init__(env, name)
        self.port = free_port()
        self.dump = os.path.join(self.dir, "msg")
        os.makedirs(self.dump, exist_ok=True)
        shutil.chown(self.dump, "postfix")

    def argv(self):
        return ["smtp-sink", "-u", "postfix", "-d", os.path.join(self.dump, "%H%M%S."),
                "127.0.0.1:%d" % self.port, "50"]

    def ready(self):
        return port_open("127.0.0.1", self.port)

    def messages(self):
        """The texts of the messages received so far."""
        out = []
        for n in sorted(os.listdir(self.dump)):
            with open(os.path.join(self.dump, n), errors="replace") as f:
                out.append(f.read())
        return out


class Postfix(Service):
    """A throwaway Postfix (postfix -c DIR start-fg) configured as on a mail
    node: Postfix's own transports (smtp to a loopback smtp-sink, .sink, as
    relayhost; local for mydestination = localhost, into DIR/mail), DOMAIN
    as relay_domains, then scripts/hummingbird-postfix-setup run against it:
    the director's SOCKETMAP (host, port) in transport_maps and, with MILTER
    (a Milter), that milter for every smtpd and the local submission path on
    unix:hummingbird/milter.sock in this Postfix's queue directory.  With
    SASL_PATH (a Dovecot auth socket) it also listens on submission_port,
    where clients must authenticate (SMTP AUTH through Dovecot SASL).
    MAIN_EXTRA is in main.cf before the script runs (a site's own lines)."""

    def __init__(self, env, name, socketmap, domain, sasl_path=None, milter=None,
                 main_extra=""):
        super().__init__(env, name)
        self.host = "127.0.0.1"
        self.port = free_port(self.host)
        self.submission_port = free_port(self.host) if sasl_path else None
        self.conf_dir = os.path.join(self.dir, "etc")
        self.queue = os.path.join(self.dir, "queue")
        self.sink = env.add(SmtpSink(env, name + "-sink"))
        for sub in ("etc", "queue", "data", "mail"):
            os.makedirs(os.path.join(self.dir, sub), mode=0o755, exist_ok=True)
        shutil.chown(os.path.join(self.dir, "data"), "postfix", "postfix")
        # local(8) delivers to root as default_privs (nobody): a sticky
        # world-writable spool like /var/mail's group-writable one
        os.chmod(os.path.join(self.dir, "mail"), 0o1777)
        main = templates.POSTFIX_MAIN.format(dir=self.dir, domain=domain,
                                             sink_port=self.sink.port)
        write(os.path.join(self.conf_dir, "main.cf"), main + main_extra)
        master = templates.POSTFIX_MASTER.format(port=self.port)
        if sasl_path:
            master = templates.POSTFIX_MASTER_SASL.format(
                port=self.submission_port, sasl_path=sasl_path) + master
        write(os.path.join(self.conf_dir, "master.cf"), master)
        args = ["--socketmap", "socketmap:inet:%s:%d:transport" % socketmap,
                "--director-conf", os.devnull]
        if milter is not None:
            milter.listen_in_queue(self.queue)
        else:
            args.append("--without-milter")
        self.setup_output = postfix_setup(self.conf_dir, *args)

    def mailbox(self, user):
        """What local(8) delivered to USER's mailbox (DIR/mail/USER)."""
        try:
            with open(os.path.join(self.dir, "mail", user), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def argv(self):
        return ["postfix", "-c", self.conf_dir, "start-fg"]

    def start(self):
        if not self.sink.alive():
            self.sink.start()
        check = subprocess.run(["postfix", "-c", self.conf_dir, "check"],
                               capture_output=True, text=True, timeout=60)
        if check.returncode != 0:
            raise ServiceError("postfix check failed:\n%s%s" % (check.stdout, check.stderr))
        super().start()
        # master -s starts a session of its own: track it too
        with open(os.path.join(self.dir, "queue", "pid", "master.pid")) as f:
            self.sids.add(int(f.read().strip()))
        return self

    def ready(self):
        if not port_open(self.host, self.port):
            return False
        c = clients.LineConn((self.host, self.port), 2)
        try:
            return (c.readline(2) or "").startswith("220")
        finally:
            c.close()

    def terminate(self):
        pass                        # stop() asks the master itself

    def stop(self):
        if self.alive():
            subprocess.run(["postfix", "-c", self.conf_dir, "stop"], capture_output=True,
                           timeout=30)
        super().stop()


# --------------------------------------------------------------- milter ---

class Milter(MetricsEndpoint, Daemon):
    """hummingbird-milter -f -c FILE on 127.0.0.1:free port (.port), with
    its /metrics on another; EXTRA is appended to its configuration.  A
    Postfix given this milter moves it to a unix socket in its queue
    directory (listen_in_queue)."""

    binary = staticmethod(milter_binary)

    def __init__(self, env, name, redis, extra=""):
        super().__init__(env, name)
        self.redis = redis
        self.port = free_port()
        self.socket = None
        self.listen = "inet:%d@127.0.0.1" % self.port
        self.metrics = ("127.0.0.1", free_port())
        self.conf_path = os.path.join(self.dir, "hummingbird.conf")
        self.extra = extra
        self.write_conf(extra)

    def write_conf(self, extra=""):
        text = templates.MILTER_CONF.format(
            redis_port=self.redis.port, listen=self.listen, metrics_port=self.metrics[1],
            dir=self.dir)
        if self.socket is not None:
            text += "milter_socket_mode = 0660\nmilter_socket_group = postfix\n"
        write(self.conf_path, with_settings(text, extra))

    def listen_in_queue(self, queue):
        """Listen on QUEUE/hummingbird/milter.sock, where Postfix finds
        unix:hummingbird/milter.sock, as a package sets it up.  The package
        makes the directory hb-milter:hb-milter 0750 and adds postfix to
        group hb-milter; a test may not change the system's groups, so here
        the directory and the socket get group postfix instead (0750, socket
        0660 through milter_socket_group): Postfix may connect, nobody else
        may even reach the socket.  A running milter is restarted."""
        gate = os.path.join(queue, "hummingbird")
        os.makedirs(gate, exist_ok=True)
        shutil.chown(gate, "root", "postfix")
        os.chmod(gate, 0o750)
        self.socket = os.path.join(gate, "milter.sock")
        self.listen = "unix:" + self.socket
        self.write_conf(self.extra)
        if self.alive():
            self.stop()
            self.start()

    def ready(self):
        listening = unix_open(self.socket) if self.socket else port_open("127.0.0.1", self.port)
        return listening and port_open(*self.metrics)

    def connect(self, timeout=5):
        """A raw connection to the milter's socket."""
        if self.socket is None:
            return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(self.socket)
        return s


# ------------------------------------------------------------------ Env ---

class Env:
    """The temporary directory and everything started in it."""

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="hb-systest-", dir="/tmp")
        os.chmod(self.root, 0o755)
        self.api_key_file = write(os.path.join(self.root, "doveadm-api-key"),
                                  API_KEY + "\n", 0o600)
        # our passdb module next to copies of the system's, made on the first
        # proxy's start and bind-mounted over AUTHDB_DIR for proxies only
        self.authdb_dir = os.path.join(self.root, "authdb")
        self.services = []

    def add(self, service):
        self.services.append(service)
        return service

    def authdb_argv(self, argv):
        """ARGV run by tests/authdb-ns.sh: in a mount namespace of its own
        where AUTHDB_DIR shows self.authdb_dir (the PID stays ARGV's)."""
        return ["sh", AUTHDB_NS, self.authdb_dir, authdb_module()] + list(argv)

    def stop_all(self):
        """Stop every service (newest first) and return a list of processes
        that survived (should be empty)."""
        errors = []
        for svc in reversed(self.services):
            try:
                svc.terminate()     # all at once: Dovecot takes ~1s to exit
            except Exception as e:
                errors.append("%s: %s" % (svc.name, e))
        for svc in reversed(self.services):
            try:
                svc.stop()
            except Exception as e:      # keep stopping the others
                errors.append("%s: %s" % (svc.name, e))
        left = []
        for svc in self.services:
            left += [(svc.name, pid, comm) for pid, comm in svc.leftovers()]
        left += [("cmdline", pid, cmd) for pid, cmd in processes_mentioning(self.root)]
        return left, errors

    def cleanup(self, keep=False):
        if not keep:
            shutil.rmtree(self.root, ignore_errors=True)
