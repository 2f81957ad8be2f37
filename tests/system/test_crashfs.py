"""test_crashfs.py - proves hb-crashfs loses exactly what a power loss may lose
(docs/RELIABILITY.md "The crash layer"): unsynced data and unsynced directory
entries go, fsynced files in fsynced directories stay, armed crashes fire
right after the chosen operation and freeze the file system until resume,
garble mode is a seeded, repeatable mix, old handles answer EIO, and the
mount behaves like a normal file system otherwise (permissions for a
non-root user, fcntl and flock locks, hard links, inode numbers).  Each test
mounts its own instance under /tmp and unmounts it even when it fails.
"""

import errno
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest

import harness

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
NOBODY = 65534
BLOCK = 4096


def crashfs_binary():
    return harness.find_built("tests/crashfs/hb-crashfs")


def is_mounted(path):
    with open("/proc/self/mounts") as f:
        return any(line.split()[1] == path for line in f)


def ctl_command(path, line, timeout=5.0):
    """One command on the control socket; its one-line answer."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
        s.sendall(line.encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        return data.decode().rstrip("\n")
    finally:
        s.close()


class CrashFS:
    """One hb-crashfs mount in its own temporary directory."""

    def __init__(self, seed=1, foreground=True):
        self.root = tempfile.mkdtemp(prefix="hb-crashfs-", dir="/tmp")
        os.chmod(self.root, 0o755)      # the non-root test user walks through
        self.mnt = os.path.join(self.root, "mnt")
        self.ctl = os.path.join(self.root, "ctl.sock")
        self.log_path = os.path.join(self.root, "log")
        os.mkdir(self.mnt)
        self.seed = seed
        self.proc = None
        self.argv = [crashfs_binary(), self.mnt, "--control=" + self.ctl,
                     "--seed=%d" % seed] + (["-f"] if foreground else [])

    def start(self):
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + START_TIMEOUT
        while time.time() < deadline:
            try:
                if self.cmd("stats").startswith("ok ") and is_mounted(self.mnt):
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise harness.ServiceError("hb-crashfs did not come up:\n" + self.log())

    def log(self):
        return harness.tail(self.log_path)

    def cmd(self, line):
        return ctl_command(self.ctl, line)

    def ok(self, line):
        answer = self.cmd(line)
        assert answer.startswith("ok"), "%r answered %r" % (line, answer)
        return answer

    def stats(self):
        return dict(kv.split("=", 1) for kv in self.ok("stats").split()[1:])

    def path(self, *names):
        return os.path.join(self.mnt, *names)

    def crash(self, mode="drop"):
        """Power loss and reboot, the harness order: crash, (kill), resume."""
        self.ok("crash " + mode)
        self.ok("resume")

    def quit(self):
        """quit; the exit status (an ASan build fails it on leaks)."""
        self.ok("quit")
        return self.proc.wait(timeout=STOP_TIMEOUT)

    def stop(self):
        try:
            if self.proc is not None and self.proc.poll() is None:
                try:
                    self.cmd("quit")
                    self.proc.wait(timeout=STOP_TIMEOUT)
                except (OSError, subprocess.TimeoutExpired):
                    pass
        finally:
            if is_mounted(self.mnt):
                subprocess.call(["fusermount3", "-u", "-z", self.mnt])
            if self.proc is not None and self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def fs():
    c = CrashFS()
    try:
        yield c.start()
    finally:
        c.stop()


# -------------------------------------------------------------- helpers ---

def put(path, data, sync=False, flags=os.O_WRONLY | os.O_CREAT | os.O_TRUNC):
    fd = os.open(path, flags, 0o644)
    try:
        os.write(fd, data)
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)


def get(path):
    with open(path, "rb") as f:
        return f.read()


def fsync_dir(path):
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def expect_eio(func, *args):
    with pytest.raises(OSError) as e:
        func(*args)
    assert e.value.errno == errno.EIO, e.value


def as_nobody(code):
    """Runs python CODE as nobody:nogroup; its (rc, output)."""
    p = subprocess.run(["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY,
                        "--clear-groups", sys.executable, "-c", code],
                       capture_output=True, text=True, timeout=30, cwd="/")
    return p.returncode, p.stdout + p.stderr


# ------------------------------------------------------------ durability ---

def test_unsynced_write_is_lost(fs):
    """A write never fsynced is gone after a crash; the fsynced one stays."""
    put(fs.path("f"), b"durable", sync=True)
    fsync_dir(fs.mnt)
    put(fs.path("f"), b"VOLATILE", flags=os.O_WRONLY)
    assert get(fs.path("f")) == b"VOLATILE"
    fs.crash()
    assert get(fs.path("f")) == b"durable"


def test_fsynced_file_in_unsynced_entry_is_lost(fs):
    """An fsynced file whose new directory entry was never fsynced is gone."""
    put(fs.path("new"), b"data", sync=True)
    os.mkdir(fs.path("d"))
    put(fs.path("d", "inner"), b"data", sync=True)
    fs.crash()
    assert os.listdir(fs.mnt) == []


def test_fsync_file_and_dir_survives(fs):
    """fsync of the file and of its directory (at every level) survives."""
    os.mkdir(fs.path("d"))
    put(fs.path("d", "f"), b"kept", sync=True)
    fsync_dir(fs.path("d"))
    fsync_dir(fs.mnt)
    fs.crash()
    assert get(fs.path("d", "f")) == b"kept"
    # a synced entry whose data never was comes back empty
    put(fs.path("d", "empty"), b"unsynced data")
    fsync_dir(fs.path("d"))
    fs.crash()
    assert sorted(os.listdir(fs.path("d"))) == ["empty", "f"]
    assert get(fs.path("d", "empty")) == b""


def test_rename_without_dir_fsync_reverts(fs):
    """rename(tmp, a) without fsyncing the directory reverts to the old a."""
    put(fs.path("a"), b"old", sync=True)
    fsync_dir(fs.mnt)
    old_ino = os.stat(fs.path("a")).st_ino
    put(fs.path("a.tmp"), b"new", sync=True)
    os.rename(fs.path("a.tmp"), fs.path("a"))
    assert get(fs.path("a")) == b"new"
    assert os.stat(fs.path("a")).st_ino != old_ino
    fs.crash()
    assert os.listdir(fs.mnt) == ["a"]
    assert get(fs.path("a")) == b"old"
    assert os.stat(fs.path("a")).st_ino == old_ino


def test_rename_with_dir_fsync_survives(fs):
    """rename(tmp, a) followed by fsync of the directory survives."""
    put(fs.path("a"), b"old", sync=True)
    fsync_dir(fs.mnt)
    put(fs.path("a.tmp"), b"new", sync=True)
    os.rename(fs.path("a.tmp"), fs.path("a"))
    fsync_dir(fs.mnt)
    fs.crash()
    assert os.listdir(fs.mnt) == ["a"]
    assert get(fs.path("a")) == b"new"


def across_dirs_setup(fs):
    """src/m durable, dst/ empty and durable, other names in both"""
    for d in ("src", "dst"):
        os.mkdir(fs.path(d))
    put(fs.path("src", "m"), b"mail", sync=True)
    fsync_dir(fs.path("src"))
    fsync_dir(fs.path("dst"))
    fsync_dir(fs.mnt)


@pytest.mark.parametrize("synced", ["dst", "src"])
def test_rename_across_dirs_is_atomic(fs, synced):
    """A rename between directories becomes durable as a whole when either
    directory is fsynced (one journal transaction on ext4/XFS/btrfs): the
    file is never under both names, nor under none.  Other unsynced changes
    of the directory not fsynced stay volatile."""
    across_dirs_setup(fs)
    other = "src" if synced == "dst" else "dst"
    put(fs.path(other, "unsynced"), b"x", sync=True)
    os.rename(fs.path("src", "m"), fs.path("dst", "m:2,S"))
    fsync_dir(fs.path(synced))
    fs.crash()
    assert os.listdir(fs.path("src")) == []
    assert os.listdir(fs.path("dst")) == ["m:2,S"]
    assert get(fs.path("dst", "m:2,S")) == b"mail"
    assert os.stat(fs.path("dst", "m:2,S")).st_nlink == 1


def test_rename_across_dirs_unsynced_reverts(fs):
    """Neither directory fsynced: the file is back under its old name only;
    a crash also forgets renames not yet durable (a later fsync after the
    crash makes nothing of them durable)."""
    across_dirs_setup(fs)
    os.rename(fs.path("src", "m"), fs.path("dst", "m"))
    fs.crash()
    assert os.listdir(fs.path("src")) == ["m"]
    assert os.listdir(fs.path("dst")) == []
    fsync_dir(fs.path("dst"))
    fs.crash()
    assert os.listdir(fs.path("src")) == ["m"]


def test_rename_across_dirs_then_renamed_again(fs):
    """src/m -> dst/m, then dst/m -> dst/m2 (same directory), then only src
    is fsynced: the first rename is durable (dst/m), the second is not."""
    across_dirs_setup(fs)
    os.rename(fs.path("src", "m"), fs.path("dst", "m"))
    os.rename(fs.path("dst", "m"), fs.path("dst", "m2"))
    fsync_dir(fs.path("src"))
    fs.crash()
    assert os.listdir(fs.path("src")) == []
    assert os.listdir(fs.path("dst")) == ["m"]
    assert get(fs.path("dst", "m")) == b"mail"


def test_rename_across_dirs_then_renamed_in_synced_dir(fs):
    """src/m -> dst/m, then dst/m -> dst/m:2,S (a maildir flag change after
    new/ -> cur/), then dst is fsynced: only the last name is durable, never
    both (a journal commits the two renames in order)."""
    across_dirs_setup(fs)
    os.rename(fs.path("src", "m"), fs.path("dst", "m"))
    os.rename(fs.path("dst", "m"), fs.path("dst", "m:2,S"))
    fsync_dir(fs.path("dst"))
    fs.crash()
    assert os.listdir(fs.path("src")) == []
    assert os.listdir(fs.path("dst")) == ["m:2,S"]
    assert os.stat(fs.path("dst", "m:2,S")).st_nlink == 1


def test_rename_across_dirs_and_back(fs):
    """src/m -> dst/m -> src/m2, then dst is fsynced: both renames touched
    dst, so both are durable: src/m2 only."""
    across_dirs_setup(fs)
    os.rename(fs.path("src", "m"), fs.path("dst", "m"))
    os.rename(fs.path("dst", "m"), fs.path("src", "m2"))
    fsync_dir(fs.path("dst"))
    fs.crash()
    assert os.listdir(fs.path("src")) == ["m2"]
    assert os.listdir(fs.path("dst")) == []
    assert get(fs.path("src", "m2")) == b"mail"


def test_link_and_unlink(fs):
    """Hard links and unlinks are durable only with the directory fsync;
    link counts and inode numbers are right throughout."""
    put(fs.path("a"), b"x", sync=True)
    fsync_dir(fs.mnt)
    os.link(fs.path("a"), fs.path("b"))
    assert os.stat(fs.path("a")).st_nlink == 2
    assert os.stat(fs.path("a")).st_ino == os.stat(fs.path("b")).st_ino
    fs.crash()
    assert os.listdir(fs.mnt) == ["a"] and os.stat(fs.path("a")).st_nlink == 1
    os.link(fs.path("a"), fs.path("b"))
    fsync_dir(fs.mnt)
    os.unlink(fs.path("a"))
    assert os.stat(fs.path("b")).st_nlink == 1
    fs.crash()
    assert sorted(os.listdir(fs.mnt)) == ["a", "b"]
    assert os.stat(fs.path("b")).st_nlink == 2
    os.unlink(fs.path("a"))
    fsync_dir(fs.mnt)
    fs.crash()
    assert os.listdir(fs.mnt) == ["b"] and get(fs.path("b")) == b"x"


def test_sync_command_makes_everything_durable(fs):
    """`sync` is a clean shutdown: nothing is lost by the next crash."""
    os.makedirs(fs.path("x", "y"))
    put(fs.path("x", "y", "f"), b"all of it")
    fs.ok("sync")
    fs.crash()
    assert get(fs.path("x", "y", "f")) == b"all of it"


def test_unlinked_open_file_stays_usable(fs):
    """A file unlinked while open still reads, writes and fstats (Dovecot
    reads rotated logs so), with st_nlink 0."""
    put(fs.path("log"), b"first")
    fd = os.open(fs.path("log"), os.O_RDWR)
    try:
        os.unlink(fs.path("log"))
        os.pwrite(fd, b"+more", 5)
        assert os.pread(fd, 100, 0) == b"first+more"
        assert os.fstat(fd).st_nlink == 0
        os.fsync(fd)
    finally:
        os.close(fd)
    assert os.listdir(fs.mnt) == []


def test_rename_over_open_file(fs):
    """An index replaced by rename stays readable and fstat-able through the
    old descriptor (st_nlink 0); stat of the name shows the new inode."""
    put(fs.path("dovecot.index"), b"old")
    fd = os.open(fs.path("dovecot.index"), os.O_RDONLY)
    try:
        old_ino = os.fstat(fd).st_ino
        put(fs.path("dovecot.index.tmp"), b"new!")
        os.rename(fs.path("dovecot.index.tmp"), fs.path("dovecot.index"))
        st = os.fstat(fd)
        assert (st.st_ino, st.st_nlink, st.st_size) == (old_ino, 0, 3)
        assert os.pread(fd, 10, 0) == b"old"
        assert os.stat(fs.path("dovecot.index")).st_ino != old_ino
    finally:
        os.close(fd)
    assert os.listdir(fs.mnt) == ["dovecot.index"]


def test_metadata_and_symlinks(fs):
    """chmod, truncate and O_APPEND writes are volatile until fsync; a symlink
    is durable with its directory entry; big directories list completely."""
    put(fs.path("f"), b"0123456789", sync=True)
    os.symlink("f", fs.path("ln"))
    fsync_dir(fs.mnt)
    os.chmod(fs.path("f"), 0o600)
    os.truncate(fs.path("f"), 4)
    put(fs.path("f"), b"+app", flags=os.O_WRONLY | os.O_APPEND)
    assert get(fs.path("f")) == b"0123+app"
    fs.crash()
    assert os.stat(fs.path("f")).st_mode & 0o777 == 0o644
    assert get(fs.path("f")) == b"0123456789"
    assert os.readlink(fs.path("ln")) == "f"
    names = set("msg.%04d" % i for i in range(1500))
    for n in names:
        put(fs.path(n), b"")
    assert set(os.listdir(fs.mnt)) == names | {"f", "ln"}


def test_times_and_inodes(fs):
    """mtime moves on write, a directory's mtime on entry changes, and new
    files get new inode numbers."""
    put(fs.path("f"), b"1")
    st = os.stat(fs.path("f"))
    dir_mtime = os.stat(fs.mnt).st_mtime_ns
    time.sleep(0.02)
    put(fs.path("f"), b"2", flags=os.O_WRONLY)
    assert os.stat(fs.path("f")).st_mtime_ns > st.st_mtime_ns
    put(fs.path("g"), b"")
    assert os.stat(fs.mnt).st_mtime_ns > dir_mtime
    assert os.stat(fs.path("g")).st_ino not in (st.st_ino, os.stat(fs.mnt).st_ino)


# ----------------------------------------------------- crash machinery ---

def test_armed_crash_on_index_rename(fs):
    """`arm rename dovecot.index.tmp 1` fires right after that rename (which
    succeeds), then every operation is EIO until resume; the unsynced rename
    is lost."""
    idx, tmp = fs.path("dovecot.index"), fs.path("dovecot.index.tmp")
    put(idx, b"old index", sync=True)
    fsync_dir(fs.mnt)
    assert fs.ok("arm rename dovecot.index.tmp 1").startswith("ok armed op=rename")
    put(fs.path("other.tmp"), b"o", sync=True)
    os.rename(fs.path("other.tmp"), fs.path("other"))
    put(tmp, b"new index", sync=True)
    assert fs.stats()["fired"] == "0"
    os.rename(tmp, idx)                     # completes and succeeds
    s = fs.stats()
    assert (s["fired"], s["frozen"], s["armed"], s["crashes"]) == ("1", "1", "0", "1")
    expect_eio(os.stat, idx)
    expect_eio(os.listdir, fs.mnt)
    expect_eio(put, fs.path("x"), b"x")
    fs.ok("resume")
    assert os.listdir(fs.mnt) == ["dovecot.index"]
    assert get(idx) == b"old index"


def test_armed_crash_counts_matches(fs):
    """The N-th matching operation fires the crash, not an earlier one;
    disarm cancels."""
    put(fs.path("log"), b"", sync=True)
    fsync_dir(fs.mnt)
    fs.ok("arm write lo? 3")
    fd = os.open(fs.path("log"), os.O_WRONLY)
    try:
        os.write(fd, b"1")
        put(fs.path("other"), b"not counted")
        os.write(fd, b"2")
        os.fsync(fd)
        assert fs.stats()["frozen"] == "0"
        os.write(fd, b"3")                  # the third write succeeds...
        assert fs.stats()["frozen"] == "1"  # ...and power is lost right after
        fs.ok("resume")
        expect_eio(os.write, fd, b"4")
    finally:
        try:
            os.close(fd)
        except OSError:
            pass
    assert get(fs.path("log")) == b"12"
    fs.ok("arm unlink * 1")
    fs.ok("disarm")
    os.unlink(fs.path("log"))
    assert fs.stats()["frozen"] == "0" and fs.stats()["fired"] == "1"


def test_crash_time_in_stats(fs):
    """stats reports when power was last lost as fired_ns, on the clock of
    time.monotonic_ns() (0 before any crash), for manual and armed crashes."""
    assert fs.stats()["fired_ns"] == "0"
    before = time.monotonic_ns()
    fs.ok("crash")
    after = time.monotonic_ns()
    first = int(fs.stats()["fired_ns"])
    assert before <= first <= after
    fs.ok("resume")
    assert int(fs.stats()["fired_ns"]) == first     # resume keeps it
    fs.ok("arm mkdir d 1")
    before = time.monotonic_ns()
    os.mkdir(fs.path("d"))
    after = time.monotonic_ns()
    assert before <= int(fs.stats()["fired_ns"]) <= after


def test_stale_handles_after_crash(fs):
    """Handles opened before a crash answer EIO afterwards; new ones work."""
    put(fs.path("f"), b"content", sync=True)
    fsync_dir(fs.mnt)
    fd = os.open(fs.path("f"), os.O_RDWR)
    dfd = os.open(fs.mnt, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fs.crash()
        expect_eio(os.pread, fd, 10, 0)
        expect_eio(os.pwrite, fd, b"x", 0)
        expect_eio(os.fstat, fd)
        expect_eio(os.fsync, fd)
        expect_eio(os.fsync, dfd)
    finally:
        for d in (fd, dfd):
            try:
                os.close(d)
            except OSError:
                pass
    assert get(fs.path("f")) == b"content"


def garbled_result(seed):
    """File content after a garble crash of a 64-block file whose durable
    blocks are all 'D' and volatile blocks all 'V'."""
    c = CrashFS(seed=seed)
    try:
        c.start()
        put(c.path("f"), b"D" * (64 * BLOCK), sync=True)
        fsync_dir(c.mnt)
        put(c.path("f"), b"V" * (80 * BLOCK), flags=os.O_WRONLY)
        c.crash("garble")
        assert c.stats()["seed"] == str(seed)
        return get(c.path("f"))
    finally:
        c.stop()


def test_garble_is_a_seeded_mix():
    """garble mode: each block durable, volatile or garbage, the size one of
    the two, and the same seed gives the same result."""
    first = garbled_result(7)
    assert len(first) in (64 * BLOCK, 80 * BLOCK)
    blocks = [first[i:i + BLOCK] for i in range(0, len(first), BLOCK)]
    kinds = set()
    for b in blocks:
        if b == b"D" * BLOCK:
            kinds.add("durable")
        elif b == b"V" * BLOCK:
            kinds.add("volatile")
        elif b == bytes(BLOCK):
            kinds.add("zeros")
        else:
            kinds.add("garbage")
    assert {"durable", "volatile"} <= kinds and kinds & {"zeros", "garbage"}, kinds
    assert garbled_result(7) == first
    assert garbled_result(8) != first


# ---------------------------------------------- a normal file system too ---

def test_permissions_as_non_root(fs):
    """The kernel enforces modes and owners for a non-root user; files it
    creates belong to it."""
    os.mkdir(fs.path("mine"))
    os.chown(fs.path("mine"), NOBODY, NOBODY)
    put(fs.path("secret"), b"root only")
    os.chmod(fs.path("secret"), 0o600)
    rc, out = as_nobody("""
import os, sys
m = %r
with open(os.path.join(m, "mine", "f"), "w") as f:
    f.write("hi")
st = os.stat(os.path.join(m, "mine", "f"))
assert (st.st_uid, st.st_gid) == (%d, %d), st
for path, mode in ((os.path.join(m, "secret"), "r"), (os.path.join(m, "x"), "w")):
    try:
        open(path, mode)
        sys.exit("opened " + path)
    except PermissionError:
        pass
os.rename(os.path.join(m, "mine", "f"), os.path.join(m, "mine", "g"))
print("fine")
""" % (fs.mnt, NOBODY, NOBODY))
    assert rc == 0 and "fine" in out, out
    assert get(fs.path("mine", "g")) == b"hi"


LOCKER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
if sys.argv[2] == "fcntl":
    fcntl.lockf(fd, fcntl.LOCK_EX)
else:
    fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.read()
"""


@pytest.mark.parametrize("kind", ["fcntl", "flock"])
def test_locks_between_processes(fs, kind):
    """fcntl and flock locks held by one process exclude another (the kernel
    keeps them: hb-crashfs implements no lock operation)."""
    put(fs.path("lockfile"), b"")
    holder = subprocess.Popen([sys.executable, "-c", LOCKER, fs.path("lockfile"), kind],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        fd = os.open(fs.path("lockfile"), os.O_RDWR)
        try:
            lock = fcntl.lockf if kind == "fcntl" else fcntl.flock
            with pytest.raises(OSError) as e:
                lock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            assert e.value.errno in (errno.EAGAIN, errno.EACCES)
            holder.stdin.close()
            holder.wait(timeout=10)
            lock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


# ------------------------------------------------------ control and life ---

BAD_LINES = ["", "bogus", "crash sideways", "crash drop now", "arm write", "arm nosuch x 1",
             "arm write x 0", "arm write x 1x", "arm write x 99999999999",
             "arm write x 1 burn", "stats please", "sync\x01", "arm write " + "g" * 300 + " 1"]


def test_bad_control_commands(fs):
    """Malformed control lines are answered with an error, never a crash."""
    for line in BAD_LINES:
        assert fs.cmd(line).startswith("error "), line
    assert fs.cmd("x" * 5000).startswith("error line too long")
    # several lines in one write, the over-long one skipped to its newline
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(fs.ctl)
    s.sendall(b"y" * 3000 + b"\nstats\ndisarm\n")
    f = s.makefile()
    answers = [f.readline() for _ in range(3)]
    s.close()
    assert answers[0].startswith("error line too long"), answers
    assert answers[1].startswith("ok ops=") and answers[2].startswith("ok disarmed"), answers


def test_quit_and_sigterm_unmount_cleanly():
    """quit and SIGTERM (even frozen, with a file open) unmount and exit 0
    (an ASan build also proves there are no leaks), removing the socket."""
    c = CrashFS()
    try:
        c.start()
        put(c.path("f"), b"x" * 10000)
        os.mkdir(c.path("d"))
        assert c.quit() == 0, c.log()
        assert not is_mounted(c.mnt) and not os.path.exists(c.ctl)
        c.start()
        put(c.path("g"), b"y" * 5000)
        fd = os.open(c.path("g"), os.O_RDONLY)      # open and frozen at the end
        c.ok("crash garble")
        c.proc.send_signal(signal.SIGTERM)
        assert c.proc.wait(timeout=STOP_TIMEOUT) == 0, c.log()
        with pytest.raises(OSError):
            os.close(fd)                            # the file system is gone
        assert not is_mounted(c.mnt)
        assert "Sanitizer" not in c.log(), c.log()
    finally:
        c.stop()


def test_daemon_mode():
    """Without -f it daemonizes once mounted and still answers and quits."""
    c = CrashFS(foreground=False)
    try:
        c.proc = subprocess.Popen(c.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        assert c.proc.wait(timeout=START_TIMEOUT) == 0
        assert is_mounted(c.mnt) and c.stats()["files"] == "1"
        c.ok("quit")
        deadline = time.time() + STOP_TIMEOUT
        while is_mounted(c.mnt) and time.time() < deadline:
            time.sleep(0.05)
        assert not is_mounted(c.mnt)
    finally:
        c.stop()


def test_startup_failures():
    """A missing mount point or a taken control socket path: a clear
    message and exit status 1."""
    c = CrashFS()
    try:
        p = subprocess.run([crashfs_binary(), c.path("missing"), "--control=" + c.ctl, "-f"],
                           capture_output=True, text=True, timeout=START_TIMEOUT)
        assert p.returncode == 1 and "No such file or directory" in p.stderr, p.stderr
        c.start()
        other = os.path.join(c.root, "mnt2")
        os.mkdir(other)
        p = subprocess.run([crashfs_binary(), other, "--control=" + c.ctl, "-f"],
                           capture_output=True, text=True, timeout=START_TIMEOUT)
        assert p.returncode == 1 and "in use" in p.stderr, p.stderr
        harness.write(os.path.join(c.root, "plain"), "")
        p = subprocess.run([crashfs_binary(), other, "--control=" + c.path("..", "plain"),
                            "-f"], capture_output=True, text=True, timeout=START_TIMEOUT)
        assert p.returncode == 1 and "not a socket" in p.stderr, p.stderr
        assert not is_mounted(other)
        assert c.stats()["frozen"] == "0"
    finally:
        c.stop()
