"""Each daemon is its own identity and local users cannot reach around it:
the director, the milter and admind refuse a Redis
password file that is a symlink, foreign-owned or readable by the group or
others; the shipped units run them as three distinct users, none in group
postfix, each with admind's sandboxing (systemd-analyze verify and security,
on copies in a temp dir); the director runs unprivileged with its lookup
socket mode 0660 group dovecot, which a uid outside that group cannot
connect to; the milter serves Postfix's uid through a directory-gated unix
socket without the postfix group; a pid file that is a symlink is not
followed; a configuration others may write is refused.  Nothing on the
system is touched: temp dirs, loopback, and uid 65534 (nobody) through
setpriv.
"""

import configparser
import grp
import os
import pwd
import shutil
import subprocess
import time

import pytest

import admind_harness
import clients
import harness
import templates

NOBODY = 65534
SRCDIR = harness.SRCDIR
UNITS = {"director": "hummingbird-director.service",
         "milter": "hummingbird-milter.service",
         "admind": "hummingbird-admind.service"}
# what conf.d/hummingbird-admind.service confines admind with: the director
# and the milter get the same
SANDBOX = {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
           "PrivateTmp": "yes", "PrivateDevices": "yes", "ProtectKernelTunables": "yes",
           "ProtectKernelModules": "yes", "ProtectControlGroups": "yes",
           "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX", "RestrictNamespaces": "yes",
           "LockPersonality": "yes", "MemoryDenyWriteExecute": "yes",
           "SystemCallFilter": "@system-service", "CapabilityBoundingSet": ""}
DOVECOT_GID = grp.getgrnam("dovecot").gr_gid
POSTFIX_UID = pwd.getpwnam("postfix").pw_uid
POSTFIX_GID = grp.getgrnam("postfix").gr_gid


def unit_text(name):
    """The shipped unit NAME (conf.d/NAME.in) with the paths that Debian's
    `configure --prefix=/usr --sysconfdir=/etc` writes into it."""
    with open(os.path.join(SRCDIR, "conf.d", name + ".in")) as f:
        text = f.read()
    for var, path in (("sbindir", "/usr/sbin"), ("bindir", "/usr/bin"), ("sysconfdir", "/etc")):
        text = text.replace("@%s@" % var, path)
    return text


def read_unit(name):
    cp = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    cp.optionxform = str
    cp.read_string(unit_text(name))
    return cp["Service"]


def binaries():
    return {"director": harness.director_binary(), "milter": harness.milter_binary(),
            "admind": admind_harness.admind_binary()}


def public_copy(binary, d):
    """BINARY copied into D with mode 0755: the build tree may be private
    (a clone under /root) to the uids these tests run daemons as."""
    path = os.path.join(d, os.path.basename(binary))
    shutil.copy(binary, path)
    os.chmod(path, 0o755)
    return path


def as_uid(uid, gid, groups=()):
    """setpriv argv prefix: run as UID/GID with exactly GROUPS."""
    g = ["--groups=" + ",".join(str(x) for x in groups)] if groups else ["--clear-groups"]
    return ["setpriv", "--reuid=%d" % uid, "--regid=%d" % gid] + g + ["--"]


def child_connect(path, uid, gid, groups=()):
    """Connect to the unix socket PATH in a child running as UID/GID/GROUPS;
    returns 'ok' or the errno name."""
    code = ("import socket,sys\ns=socket.socket(socket.AF_UNIX)\n"
            "try:\n s.connect(sys.argv[1]); print('ok')\n"
            "except OSError as e:\n import errno; print(errno.errorcode[e.errno])\n")
    r = subprocess.run(as_uid(uid, gid, groups) + ["/usr/bin/python3", "-c", code, path],
                       capture_output=True, text=True, timeout=30)
    return r.stdout.strip() or r.stderr


@pytest.fixture(scope="module")
def redis(env):
    return env.add(harness.RedisServer(env, "redis-ident")).start()


@pytest.fixture(scope="module")
def pki(env):
    return admind_harness.Pki(os.path.join(env.root, "ident-pki"), ["127.0.0.1"], name="ident")


def daemon_conf(which, redis, d, password_file, pki=None):
    """A minimal configuration of daemon WHICH in dir D naming PASSWORD_FILE."""
    text = ("redis_host = 127.0.0.1\nredis_port = %d\nredis_user = hb-%s\n"
            "redis_password_file = %s\n" % (redis.port, which, password_file))
    if which == "director":
        text += ("director_listen = %s/d.sock\nsocketmap_listen =\nmetrics_listen =\n"
                 "director_tcp_listen =\n" % d)
    elif which == "milter":
        text += "milter_listen = inet:%d@127.0.0.1\nmilter_metrics_listen =\n" % (
            harness.free_port())
    else:
        text += "admind_listen = 127.0.0.1:%d\nadmind_cert_file = %s\nadmind_key_file = %s\n" % (
            harness.free_port(), pki.cert, pki.key)
    return harness.write(os.path.join(d, which + ".conf"), text)


def bad_password_files(d):
    """(kind, path, expected words in the error) of files the one secret
    reader must refuse; and a good file."""
    good = harness.write(os.path.join(d, "good.password"), "s3cret\n", 0o600)
    group = harness.write(os.path.join(d, "group.password"), "s3cret\n", 0o640)
    foreign = harness.write(os.path.join(d, "foreign.password"), "s3cret\n", 0o600)
    os.chown(foreign, NOBODY, NOBODY)
    link = os.path.join(d, "link.password")
    os.symlink(good, link)
    return good, [("symlink", link, "symbolic link"),
                  ("group-readable", group, "readable by group/others"),
                  ("foreign-owned", foreign, "owned by uid %d" % NOBODY)]


@pytest.mark.parametrize("which", ["director", "milter", "admind"])
def test_each_daemon_refuses_unsafe_password_files(env, redis, pki, which):
    """Each daemon refuses (with -t, as the units' ExecStartPre, and at start)
    a Redis password file that is a symlink, readable by its group, or owned
    by another user, naming the file and the fix; a 0600 file of its own is
    accepted."""
    d = os.path.join(env.root, "ident-secret-" + which)
    os.makedirs(d, exist_ok=True)
    good, bad = bad_password_files(d)
    binary = binaries()[which]
    conf = daemon_conf(which, redis, d, good, pki)
    r = subprocess.run([binary, "-t", "-c", conf], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "configuration OK" in r.stdout, r.stdout + r.stderr
    for kind, path, words in bad:
        conf = daemon_conf(which, redis, d, path, pki)
        for argv in ([binary, "-t", "-c", conf], [binary, "-f", "-c", conf]):
            r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
            out = r.stdout + r.stderr
            assert r.returncode == 1, "%s %s file accepted: %s" % (which, kind, out)
            assert path in out and words in out, (kind, out)


@pytest.mark.parametrize("which", ["director", "milter", "admind"])
def test_each_daemon_refuses_a_config_others_may_change(env, redis, pki, which):
    """A configuration names the secret files and sockets a daemon trusts:
    each daemon refuses one that group or others may write, or that another
    user owns (root's and its own are fine; readable by others is fine)."""
    d = os.path.join(env.root, "ident-conf-" + which)
    os.makedirs(d, exist_ok=True)
    good = harness.write(os.path.join(d, "good.password"), "s3cret\n", 0o600)
    conf = daemon_conf(which, redis, d, good, pki)
    binary = binaries()[which]
    for mode, owner, words in ((0o666, 0, "writable by group/others"),
                               (0o664, 0, "writable by group/others"),
                               (0o644, NOBODY, "owned by uid %d" % NOBODY)):
        os.chmod(conf, mode)
        os.chown(conf, owner, owner)
        r = subprocess.run([binary, "-t", "-c", conf], capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 1 and conf in r.stderr and words in r.stderr, \
            (oct(mode), owner, r.stdout + r.stderr)


def test_units_run_three_users_sandboxed():
    """The director, milter and admind units name three distinct users (none
    root, none in group postfix), each its own configuration file, and
    admind's sandboxing; the director keeps /run/hummingbird and only
    dovecot as an extra group (for its sockets' group)."""
    users, configs = set(), set()
    for which, unit in UNITS.items():
        svc = read_unit(unit)
        assert svc.get("User") == "hb-" + which, unit
        assert svc.get("Group") == "hb-" + which, unit
        assert "postfix" not in svc.get("SupplementaryGroups", ""), unit
        users.add(svc["User"])
        conf = "/etc/hummingbird/%s.conf" % which
        assert svc["ExecStart"].endswith("-f -c " + conf), unit
        assert svc["ExecStartPre"].endswith("-t -c " + conf), unit
        configs.add(conf)
        for key, want in SANDBOX.items():
            assert svc.get(key) == want, "%s: %s=%r, want %r" % (unit, key, svc.get(key), want)
    assert len(users) == 3 and len(configs) == 3
    director = read_unit(UNITS["director"])
    assert director["RuntimeDirectory"] == "hummingbird"
    assert director["SupplementaryGroups"] == "dovecot"


def shipped_setting(name, key):
    with open(os.path.join(SRCDIR, "conf.d", name)) as f:
        values = [line.split("=", 1)[1].strip() for line in f
                  if line.split("=", 1)[0].strip() == key and not line.startswith("#")]
    assert len(values) == 1, (name, key, values)
    return values[0]


def test_shipped_files_name_one_redis_user_each():
    """Every shipped configuration names its own Redis ACL user and its own
    password file: the director, the milter, admind, the proxies' passdb
    (config= of conf.d/dovecot-proxy.conf.ext) and hbctl share none."""
    files = {"director.conf": "hb-director", "milter.conf": "hb-milter",
             "admind.conf": "hb-admind", "auth.conf": "hb-auth",
             "hummingbird.conf": "hb-operator"}
    for name, user in files.items():
        assert shipped_setting(name, "redis_user") == user, name
        assert shipped_setting(name, "redis_password_file") == \
            "/etc/hummingbird/redis/%s.password" % user, name
    with open(os.path.join(SRCDIR, "conf.d", "dovecot-proxy.conf.ext")) as f:
        args = [line for line in f if line.strip().startswith("args = socket=")]
    assert args and all("config=/etc/hummingbird/auth.conf " in a for a in args), args


def test_units_verify_and_score(env):
    """systemd-analyze verify accepts the three units (copies pointing at the
    built binaries, in a temp dir), and `systemd-analyze security --offline`
    rates each at most 2.5 ("OK"; the old director unit scored 7 and more)."""
    assert shutil.which("systemd-analyze"), "systemd-analyze missing (scripts/install-deps.sh installs systemd)"
    d = os.path.join(env.root, "ident-units")
    os.makedirs(d, exist_ok=True)
    for which, unit in UNITS.items():
        text = unit_text(unit).replace("/usr/sbin/hummingbird-" + which, binaries()[which])
        harness.write(os.path.join(d, unit), text)
    paths = [os.path.join(d, u) for u in UNITS.values()]
    r = subprocess.run(["systemd-analyze", "verify", "--man=no"] + paths,
                       capture_output=True, text=True, timeout=120, cwd=d)
    assert r.returncode == 0 and r.stderr.strip() == "", r.stdout + r.stderr
    for path in paths:
        r = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager", path],
                           capture_output=True, text=True, timeout=120, cwd=d)
        line = [x for x in r.stdout.splitlines() if "Overall exposure level" in x]
        assert line, r.stdout + r.stderr
        score = float(line[0].split(":")[1].split()[0])
        assert score <= 2.5, (path, line[0])


def test_pid_file_symlink_not_followed(env, redis):
    """A pid_file that is a planted symlink is refused and its target stays
    as it was (the daemon runs as root in a test: it must not truncate a
    file of the attacker's choice); a FIFO is refused without hanging; a
    plain pid file gets the pid."""
    d = os.path.join(env.root, "ident-pid")
    os.makedirs(d, exist_ok=True)
    target = harness.write(os.path.join(d, "precious"), "precious data\n", 0o644)
    link = os.path.join(d, "director.pid")
    os.symlink(target, link)
    fifo = os.path.join(d, "fifo.pid")
    os.mkfifo(fifo)
    for pid_file, words in ((link, "symbolic link"), (fifo, "not a regular file")):
        conf = harness.write(os.path.join(d, "director.conf"), (
            "redis_port = %d\ndirector_listen = %s/d.sock\nsocketmap_listen =\n"
            "metrics_listen =\npid_file = %s\n") % (redis.port, d, pid_file))
        r = subprocess.run([harness.director_binary(), "-f", "-c", conf],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 1, r.stdout + r.stderr
        assert pid_file in r.stderr and words in r.stderr, r.stderr
    with open(target) as f:
        assert f.read() == "precious data\n"
    assert os.path.islink(link)
    plain = os.path.join(d, "plain.pid")
    dd = harness.Director(env, "dident-pid", redis)
    dd.write_conf("pid_file = %s\n" % plain)
    env.add(dd).start()
    try:
        with open(plain) as f:
            assert int(f.read()) == dd.proc.pid
    finally:
        dd.stop()


class UnprivilegedDirector(harness.Director):
    """The director as its unit runs it: uid 65534 standing in for
    hb-director, with dovecot as its only extra group, its sockets in a
    directory of its own (RuntimeDirectory), its Redis password its own."""

    def argv(self):
        wrapper = os.environ.get("HB_DIRECTOR_WRAPPER", "").split()
        return as_uid(NOBODY, NOBODY, [NOBODY, DOVECOT_GID]) + wrapper + [
            public_copy(harness.director_binary(), self.dir), "-f", "-c", self.conf_path]


def test_lookup_socket_reaches_only_dovecot(env, redis):
    """With the shipped defaults the director (unprivileged, as its unit runs
    it) makes its lookup socket mode 0660 group dovecot: Dovecot's auth
    process (user dovecot) connects and gets answers, a uid outside the group
    cannot connect (no assignments for any name from any local user)."""
    password = os.urandom(12).hex()
    redis("ACL", "SETUSER", "hb-director-ident", "reset", "on", ">" + password, "~*", "&*",
          "+@all")
    d = UnprivilegedDirector(env, "dident-sock", redis)
    os.chown(d.dir, NOBODY, NOBODY)
    secret = harness.write(os.path.join(d.dir, "hb-director.password"), password + "\n", 0o600)
    os.chown(secret, NOBODY, NOBODY)
    with open(d.conf_path) as f:       # the shipped socket mode; no doveadm key
        text = "".join(line for line in f if not line.startswith(
            ("director_socket_mode", "doveadm_api_key_file")))
    harness.write(d.conf_path, text + "redis_user = hb-director-ident\n"
                  "redis_password_file = %s\n" % secret)
    env.add(d).start()
    try:
        st = os.stat(d.socket)
        assert (st.st_mode & 0o777, st.st_gid, st.st_uid) == (0o660, DOVECOT_GID, NOBODY)
        dovecot = pwd.getpwnam("dovecot")
        assert child_connect(d.socket, dovecot.pw_uid, dovecot.pw_gid) == "ok"
        assert child_connect(d.socket, 1, 1) == "EACCES"          # daemon, no groups
        assert child_connect(d.socket, 65533, 65533) == "EACCES"
        assert clients.director_ping(d.socket)
        deadline = time.monotonic() + 10       # it reached Redis as its own user
        while "user=hb-director-ident" not in redis("CLIENT", "LIST"):
            assert time.monotonic() < deadline, harness.tail(d.log_path)
            time.sleep(0.1)
    finally:
        d.stop()
        redis("ACL", "DELUSER", "hb-director-ident")


def milter_optneg(path, uid, gid):
    """As UID/GID (no groups), open the milter's unix socket and negotiate
    (SMFIC_OPTNEG, protocol version 6); returns the reply's command letter
    or the errno name."""
    code = ("import socket,struct,sys,errno\ns=socket.socket(socket.AF_UNIX)\ns.settimeout(10)\n"
            "try:\n s.connect(sys.argv[1])\n"
            "except OSError as e:\n print(errno.errorcode[e.errno]); sys.exit()\n"
            "body=b'O'+struct.pack('>III',6,0x1ff,0x1fffff)\n"
            "s.sendall(struct.pack('>I',len(body))+body)\n"
            "n=struct.unpack('>I',s.recv(4))[0]\nprint(s.recv(n)[:1].decode())\n")
    r = subprocess.run(as_uid(uid, gid) + ["/usr/bin/python3", "-c", code, path],
                       capture_output=True, text=True, timeout=30)
    return r.stdout.strip() or r.stderr


def test_milter_serves_postfix_without_postfix_group(env, redis):
    """The milter, unprivileged and in no group but its own, listens on a
    unix socket (milter_socket_mode = 0666) in a directory owned by it with
    group postfix, mode 0750 (docs/INSTALL.md): Postfix's uid negotiates
    with it, another uid cannot even reach the socket."""
    m = harness.Milter(env, "mident", redis)
    gate = os.path.join(m.dir, "spool")
    os.makedirs(gate)
    os.chown(gate, NOBODY, POSTFIX_GID)
    os.chmod(gate, 0o750)
    os.chown(m.dir, NOBODY, NOBODY)
    sock = os.path.join(gate, "milter.sock")
    secret = harness.write(os.path.join(m.dir, "hb-milter.password"), "unused\n", 0o600)
    os.chown(secret, NOBODY, NOBODY)
    with open(m.conf_path) as f:
        text = f.read().replace("milter_listen = inet:%d@127.0.0.1" % m.port,
                                "milter_listen = unix:%s" % sock)
    harness.write(m.conf_path, text + "milter_socket_mode = 0666\n"
                  "redis_password_file = %s\n" % secret)
    binary = public_copy(harness.milter_binary(), m.dir)
    m.argv = lambda: as_uid(NOBODY, NOBODY) + [binary, "-f", "-c", m.conf_path]
    m.ready = lambda: os.path.exists(sock) and harness.port_open(*m.metrics)
    env.add(m).start()
    try:
        st = os.stat(sock)
        assert (st.st_uid, st.st_mode & 0o777) == (NOBODY, 0o666)
        status = open("/proc/%d/status" % m.proc.pid).read()
        groups = [line for line in status.splitlines() if line.startswith("Groups:")][0]
        assert str(POSTFIX_GID) not in groups.split()[1:], groups
        assert milter_optneg(sock, POSTFIX_UID, POSTFIX_GID) == "O"
        assert milter_optneg(sock, 1, 1) == "EACCES"
    finally:
        m.stop()
