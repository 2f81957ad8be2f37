"""guard_harness.py - the pieces of the fault-injection tests that start
things: Dovecot instances with or without the hb_guard plugin (optionally
as a second "NFS client" with a hostname of its own), the hb-crashfs mount,
and finding, stopping and killing Dovecot's imap processes.  It never
touches an instance it did not start, and mounts only under its temp dir.
"""

import os
import signal
import socket
import subprocess
import time

import harness
import templates

GUARD_SO = "lib90_hb_guard_plugin.so"
VARIANTS = ("stock", "hb_guard")
DOVEADM_TIMEOUT = 60


def guard_plugin_dir():
    """The .libs dir holding the built hb_guard plugin, or None."""
    d = os.path.join(harness.build_dir(), "plugins", "guard", ".libs")
    return d if os.path.isfile(os.path.join(d, GUARD_SO)) else None


def require_guard():
    d = guard_plugin_dir()
    if d is None:
        harness.skip_if_disabled("plugins/guard/")
        raise harness.ServiceError("hb_guard is not built: no plugins/guard/.libs/%s under "
                                   "HB_BUILDDIR=%s" % (GUARD_SO, harness.build_dir()))
    return d


def long_mode(config):
    """True with pytest --long or HB_LONG=1."""
    opt = False
    try:
        opt = config.getoption("--long")
    except ValueError:
        pass
    return bool(opt) or os.environ.get("HB_LONG") == "1"


def plugin_settings(variant, plugin=""):
    """Configuration lines loading hb_guard for VARIANT "hb_guard" (its
    plugin {} settings PLUGIN appended), none for "stock"."""
    if variant == "stock":
        return ""
    return ("mail_plugin_dir = %s\nmail_plugins = $mail_plugins hb_guard\n"
            "plugin {\n%s}\n" % (require_guard(), plugin))


def children(ppid, comm=None):
    """PIDs of live children of PPID (with /proc comm COMM if given)."""
    found = []
    for pid, name, fields in harness.proc_stats():
        if fields[0] != "Z" and int(fields[1]) == ppid and (comm is None or name == comm):
            found.append(pid)
    return found


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except OSError:
        return ""


def log_range(path, start, end=None):
    """Text of the log file PATH from byte START to END (None: its end)."""
    try:
        with open(path, "rb") as f:
            f.seek(start)
            data = f.read() if end is None else f.read(max(0, end - start))
    except OSError:
        return ""
    return data.decode("utf-8", "replace")


def log_since(path, offset):
    return log_range(path, offset)


def size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


class GuardDovecot(harness.Dovecot):
    """IMAP only, homes under MAIL_ROOT, SETTINGS appended (lock method,
    NFS settings, hb_guard); HOSTNAME: run in a UTS namespace of its own
    under that hostname, as another NFS client would."""

    def __init__(self, env, name, ip, mail_root, settings="", hostname=None):
        super().__init__(env, name, ip)
        self.mail_root = mail_root
        self.hostname = hostname
        f = self.fields()
        f.update(mail_root=mail_root, settings=settings)
        harness.write(self.conf_path, templates.GUARD_BACKEND_CONF.format(**f))

    def argv(self):
        cmd = ["dovecot", "-F", "-c", self.conf_path]
        if self.hostname is None:
            return cmd
        return ["unshare", "--uts", "sh", "-c",
                'hostname "$0" && exec "$@"', self.hostname] + cmd

    def ready(self):
        return harness.port_open(self.ip, self.imap_port)

    def doveadm(self, *args):
        """Run doveadm -c CONF ARGS as a fresh process; CompletedProcess."""
        return subprocess.run(["doveadm", "-c", self.conf_path] + [str(a) for a in args],
                              capture_output=True, text=True, timeout=DOVEADM_TIMEOUT)

    def imap_pids(self, serving=True):
        """This instance's imap processes (SERVING: only those with a user
        logged in, per verbose_proctitle)."""
        if not self.alive():
            return []
        pids = children(self.proc.pid, "imap")
        if serving:
            pids = [p for p in pids if "[" in cmdline(p) and "idling" not in cmdline(p)]
        return pids

    def log_offset(self):
        return size(self.log_path)

    def log_since(self, offset):
        return log_since(self.log_path, offset)

    def log_range_text(self, start, end):
        return log_range(self.log_path, start, end)


def lock_files(root):
    """Dotlock files (*.lock) anywhere under ROOT."""
    found = []
    for d, _, names in os.walk(root):
        found += [os.path.join(d, n) for n in names if n.endswith(".lock")]
    return found


def backdate(paths, seconds):
    """Set the mtime (and atime) of PATHS SECONDS into the past: the
    simulation of that much time having passed since they last changed."""
    when = time.time() - seconds
    for p in paths:
        try:
            os.utime(p, (when, when))
        except FileNotFoundError:
            pass


def make_mail_root(path):
    os.makedirs(path, mode=0o755, exist_ok=True)
    os.chown(path, harness.VMAIL_UID, harness.VMAIL_UID)
    return path


def pid_exists(pid):
    """PID is alive and not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def kill_all(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# -------------------------------------------------------------- crashfs ---

def crashfs_binary():
    return harness.find_built("tests/crashfs/hb-crashfs")


def mounted(path):
    path = os.path.realpath(path)
    with open("/proc/self/mounts") as f:
        return any(line.split()[1] == path for line in f)


class CrashFS(harness.Service):
    """hb-crashfs MOUNTPOINT --control=SOCK -f: a FUSE file system that
    forgets everything not fsync'd when told to crash (tests/crashfs)."""

    def __init__(self, env, name):
        super().__init__(env, name)
        self.mountpoint = os.path.join(self.dir, "mnt")
        self.control_path = os.path.join(self.dir, "control.sock")
        os.makedirs(self.mountpoint, mode=0o755, exist_ok=True)

    def argv(self):
        return [crashfs_binary(), self.mountpoint, "--control=" + self.control_path,
                "-f", "-o", "default_permissions,allow_other"]

    def ready(self):
        return mounted(self.mountpoint) and harness.unix_open(self.control_path)

    def control(self, line, timeout=10):
        """Send one control command; returns the reply line."""
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.settimeout(timeout)
        try:
            c.connect(self.control_path)
            c.sendall(line.encode() + b"\n")
            reply = b""
            while not reply.endswith(b"\n"):
                chunk = c.recv(4096)
                if not chunk:
                    break
                reply += chunk
            return reply.decode("utf-8", "replace").strip()
        finally:
            c.close()

    def stats(self):
        """The stats answer as a dict of strings (crashes, fired_ns, ...)."""
        reply = self.control("stats")
        if not reply.startswith("ok "):
            raise harness.ServiceError("hb-crashfs stats: %r" % reply)
        return dict(kv.split("=", 1) for kv in reply.split()[1:])

    def stop(self):
        if self.alive() and mounted(self.mountpoint):
            try:
                self.control("quit", timeout=5)
            except OSError:
                pass
            try:
                self.proc.wait(harness.STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
        if mounted(self.mountpoint):
            subprocess.run(["fusermount3", "-u", "-z", self.mountpoint], capture_output=True,
                           timeout=30)
        super().stop()


def wait_for(predicate, timeout, what, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out after %.0fs waiting for %s" % (timeout, what))
