"""`hbctl locks`, the node lock census (docs/LOCKS.md), against locks this
test takes itself with real processes: fcntl and flock holders, blocked
waiters, a dotlock with Dovecot's "PID:HOST" content and an old mtime, and
a lock outside the mail root that must not be counted.  The census must
report exactly what the test created, judge it against the thresholds with
Nagios exit codes, write a node_exporter textfile, and give clear errors
(exit 3, never a crash) for a malformed lock table and an unreadable
directory.  No network is used."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

import harness

HOLDER = r"""
import fcntl, os, sys, time
mode, path = sys.argv[1], sys.argv[2]
f = open(path, "a+")
if mode == "fcntl":
    fcntl.lockf(f, fcntl.LOCK_EX)
else:
    fcntl.flock(f, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(600)
"""


def census(*args, check_rc=None, user=None, binary=None):
    cmd = [binary or harness.hbctl_binary(), "locks"] + list(args)
    if user is not None:
        cmd = ["setpriv", "--reuid", str(user), "--regid", str(user),
               "--clear-groups"] + cmd
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if check_rc is not None:
        assert r.returncode == check_rc, (r.returncode, r.stdout, r.stderr)
    return r


def census_json(*args, rc):
    r = census("--json", *args, check_rc=rc)
    return json.loads(r.stdout)


class Lockers:
    """Child processes holding or waiting for locks; all killed at the end."""

    def __init__(self):
        self.procs = []

    def hold(self, mode, path):
        p = subprocess.Popen([sys.executable, "-c", HOLDER, mode, path],
                             stdout=subprocess.PIPE, text=True)
        self.procs.append(p)
        assert p.stdout.readline().strip() == "locked"
        return p

    def wait_for(self, mode, path):
        """A process blocked on PATH's lock (it never prints)."""
        p = subprocess.Popen([sys.executable, "-c", HOLDER, mode, path],
                             stdout=subprocess.PIPE, text=True)
        self.procs.append(p)
        return p

    def stop(self):
        for p in self.procs:
            p.kill()
            p.wait()


@pytest.fixture
def lockers():
    lk = Lockers()
    yield lk
    lk.stop()


@pytest.fixture
def root(tmp_path):
    r = tmp_path / "mail"
    (r / "alice" / "Maildir" / "cur").mkdir(parents=True)
    (r / "alice" / "Maildir" / "new").mkdir()
    (r / "bob" / "Maildir").mkdir(parents=True)
    return r


def wait_until(pred, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


def test_quiet_mail_root_is_zero_and_ok(root):
    out = census_json("--mail-root", str(root), rc=0)
    assert out["status"] == "ok" and out["ok"] is True
    assert out["totals"] == {"held": 0, "waiting": 0, "outside_mail_roots":
                             out["totals"]["outside_mail_roots"], "dotlocks": 0,
                             "oldest_dotlock_secs": None,
                             "oldest_operation_secs": None, "wait_p99_ms": None}
    assert out["files"] == [] and out["dotlocks"] == []
    r = census("--mail-root", str(root), check_rc=0)
    assert r.stdout.startswith("ok: 0 held, 0 waiting, 0 dotlocks")


def test_census_counts_what_the_test_created(root, tmp_path, lockers):
    log = root / "alice" / "Maildir" / "dovecot.index.log"
    index = root / "bob" / "Maildir" / "dovecot.index"
    outside = tmp_path / "elsewhere.lock"
    h1 = lockers.hold("fcntl", str(log))
    h2 = lockers.hold("flock", str(index))
    lockers.hold("flock", str(outside))
    w1 = lockers.wait_for("fcntl", str(log))
    w2 = lockers.wait_for("fcntl", str(log))
    # Dovecot's dotlock: "PID:HOST", 200 s old; files in cur/ are not looked at
    dot = root / "alice" / "Maildir" / "dovecot-uidlist.lock"
    dot.write_text("%d:node-a" % h1.pid)
    old = time.time() - 200
    os.utime(dot, (old, old))
    (root / "alice" / "Maildir" / "cur" / "x.lock").write_text("not a dotlock")

    assert wait_until(lambda: json.loads(census("--json", "--mail-root", str(root)).stdout)
                      ["totals"]["waiting"] == 2)
    out = census_json("--mail-root", str(root), rc=1)
    assert out["status"] == "warn"
    assert out["totals"]["held"] == 2 and out["totals"]["waiting"] == 2
    assert out["totals"]["outside_mail_roots"] >= 1
    files = {f["path"]: f for f in out["files"]}
    assert files[str(log)]["held"] == 1 and files[str(log)]["waiting"] == 2
    assert files[str(index)]["held"] == 1 and files[str(index)]["waiting"] == 0
    assert str(outside) not in files
    # the busiest file (waiters) first
    assert out["files"][0]["path"] == str(log)
    procs = {p["pid"]: p for p in out["processes"]}
    assert procs[h1.pid]["held"] == 1 and procs[h2.pid]["held"] == 1
    assert procs[w1.pid]["waiting"] == 1 and procs[w2.pid]["waiting"] == 1
    assert procs[h1.pid]["name"].startswith("python")
    assert len(out["dotlocks"]) == 1
    d = out["dotlocks"][0]
    assert d["path"] == str(dot) and d["pid"] == h1.pid and d["host"] == "node-a"
    assert 199 <= d["age_secs"] <= 260
    assert out["reasons"] == ["oldest dotlock age (s) %d >= 60" % d["age_secs"]]

    # thresholds: waiters and locks, warn and crit
    out = census_json("--mail-root", str(root), "--crit-age", "100", rc=2)
    assert out["status"] == "crit"
    out = census_json("--mail-root", str(root), "--warn-age", "1000",
                      "--warn-waiters", "2", rc=1)
    assert out["reasons"] == ["waiters 2 >= 2"]
    out = census_json("--mail-root", str(root), "--warn-age", "1000",
                      "--warn-locks", "4", "--crit-locks", "5", rc=1)
    assert out["reasons"] == ["locks 4 >= 4"]
    out = census_json("--mail-root", str(root), "--warn-age", "1000",
                      "--crit-locks", "4", rc=2)

    # the human form names the files, processes and the dotlock
    r = census("--mail-root", str(root), check_rc=1)
    assert r.stdout.startswith("warn: 2 held, 2 waiting, 1 dotlock (oldest")
    assert str(log) in r.stdout and str(dot) in r.stdout and "node-a" in r.stdout

    # node_exporter textfile
    prom = tmp_path / "hb_locks.prom"
    census("--mail-root", str(root), "--prometheus", str(prom), check_rc=1)
    text = prom.read_text()
    assert 'hummingbird_locks_held{class="posix"} 1\n' in text
    assert 'hummingbird_locks_held{class="flock"} 1\n' in text
    assert "hummingbird_locks_waiting 2\n" in text
    assert "hummingbird_dotlocks 1\n" in text
    assert "hummingbird_locks_status 1\n" in text
    assert "# TYPE hummingbird_locks_waiting gauge\n" in text
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]

    # once the holders are gone, the waiters get their turn and it is quiet
    lockers.stop()
    dot.unlink()
    out = census_json("--mail-root", str(root), rc=0)
    assert out["totals"]["held"] == 0 and out["totals"]["waiting"] == 0


def test_malformed_lock_table_is_unknown_with_the_line(tmp_path, root):
    bad = tmp_path / "locks"
    bad.write_text("1: POSIX  ADVISORY  WRITE 12 fe:00:5 0 EOF\n"
                   "2: POSIX  ADVISORY  WRITE twelve fe:00:5 0 EOF\n")
    r = census("--proc-locks", str(bad), "--mail-root", str(root), check_rc=3)
    assert "line 2: bad pid" in r.stderr, r.stderr
    r = census("--json", "--proc-locks", str(bad), check_rc=3)
    assert json.loads(r.stdout)["ok"] is False
    r = census("--proc-locks", str(tmp_path / "missing"), check_rc=3)
    assert "cannot read" in r.stderr and "missing" in r.stderr
    r = census("--warn-locks", "0", check_rc=3)
    assert "--warn-locks: must be" in r.stderr
    r = census("surplus", check_rc=3)
    assert "takes no arguments" in r.stderr


def test_unreadable_directory_is_unknown_not_ok():
    # root reads every directory: check as an unprivileged user, in a
    # directory it may enter (pytest's own is private to root)
    top = tempfile.mkdtemp(prefix="hb-census-")
    try:
        os.chmod(top, 0o755)
        os.makedirs(os.path.join(top, "alice", "Maildir"))
        secret = os.path.join(top, "carol")
        os.makedirs(os.path.join(secret, "Maildir"))
        os.chmod(secret, 0o700)
        # the build tree may be private too (a clone under /root)
        binary = os.path.join(top, "hbctl")
        shutil.copy(harness.hbctl_binary(), binary)
        os.chmod(binary, 0o755)
        r = census("--mail-root", top, check_rc=3, user=65534, binary=binary)
        assert "error: cannot read directory %s: Permission denied" % secret \
            in r.stdout, r.stdout
        assert r.stdout.startswith("unknown:")
        out = json.loads(census("--json", "--mail-root", top, check_rc=3,
                                user=65534, binary=binary).stdout)
        assert out["status"] == "unknown" and out["exit_code"] == 3
        assert out["errors"] == ["cannot read directory %s: Permission denied" % secret]
    finally:
        shutil.rmtree(top)
