"""test_isolation.py - the system tests never change files a real installation
owns: two overlapping harness runs, each with proxies that load our passdb
module, leave a `make install`ed module in Dovecot's auth module directory as
it was.  The directory the runs see is a stand-in bind-mounted over the real
one in mount namespaces of this test's own (isolation_run.py is one run).
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import harness

HELPER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "isolation_run.py")
# run A, run B: backend, proxy, second proxy (addresses no other test uses)
RUN_IPS = {"a": ("127.0.0.111", "127.0.0.112", "127.0.0.113"),
           "b": ("127.0.0.114", "127.0.0.115", "127.0.0.116")}
RUN_TIMEOUT = 90.0
# not an ELF file: a proxy that loaded it could not log anyone in
FAKE_MODULE = b"installed by make install, not by the tests\n" * 64


def fake_system_dir():
    """A stand-in for AUTHDB_DIR: copies of the system's modules and a
    `make install`ed passdb module; readable by Dovecot's auth processes."""
    top = tempfile.mkdtemp(prefix="hb-isolation-", dir="/tmp")
    os.chmod(top, 0o755)
    fake = os.path.join(top, "auth")
    os.mkdir(fake, 0o755)
    for name in os.listdir(harness.AUTHDB_DIR):
        src = os.path.join(harness.AUTHDB_DIR, name)
        if os.path.isfile(src):
            shutil.copy2(src, fake)
    path = os.path.join(fake, harness.AUTHDB_NAME)
    with open(path, "wb") as f:
        f.write(FAKE_MODULE)
    os.chmod(path, 0o644)
    os.utime(path, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    return top, fake


def start_run(name, fake, syncdir, wait_name):
    """isolation_run.py NAME in a mount namespace where AUTHDB_DIR is FAKE."""
    argv = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
            'mount --bind "$1" "$2" && shift 2 && exec "$@"', "sh", fake, harness.AUTHDB_DIR,
            sys.executable, HELPER, name] + list(RUN_IPS[name]) + [syncdir, wait_name]
    out = open(os.path.join(syncdir, name + ".log"), "wb")
    try:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        out.close()


def wait_all(procs, syncdir):
    """Wait for every run; one that overstays is asked to stop (it cleans up)."""
    deadline = time.monotonic() + RUN_TIMEOUT
    for name, proc in procs.items():
        try:
            proc.wait(max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.terminate()
            proc.wait(30)
            raise AssertionError("run %s took over %ds; log:\n%s" % (
                name, RUN_TIMEOUT, harness.tail(os.path.join(syncdir, name + ".log"))))


def result(syncdir, name, proc):
    path = os.path.join(syncdir, name + ".json")
    log = harness.tail(os.path.join(syncdir, name + ".log"))
    assert os.path.exists(path), "run %s wrote no result (exit %s):\n%s" % (
        name, proc.returncode, log)
    with open(path) as f:
        res = json.load(f)
    assert proc.returncode == 0 and not res["errors"] and not res["left"], (res, log)
    return res


def test_overlapping_runs_leave_an_installed_module_untouched():
    """Two overlapping runs (the first stops while the second runs and starts another proxy) log in through proxies loading our module, and leave an installed module's bytes, inode, mtime and the directory listing as they were."""
    ours = harness.file_sha256(harness.authdb_module())
    system_before = harness.dir_state(harness.AUTHDB_DIR)
    top, fake = fake_system_dir()
    syncdir = os.path.join(top, "sync")
    os.mkdir(syncdir)
    before = harness.dir_state(fake)
    procs = {}
    try:
        # A waits for B to be up before it stops; B starts its second proxy
        # only after A has stopped and cleaned up
        procs["a"] = start_run("a", fake, syncdir, "b.up")
        deadline = time.monotonic() + RUN_TIMEOUT
        while not os.path.exists(os.path.join(syncdir, "a.up")):
            assert procs["a"].poll() is None and time.monotonic() < deadline, \
                harness.tail(os.path.join(syncdir, "a.log"))
            time.sleep(0.1)
        procs["b"] = start_run("b", fake, syncdir, "a.done")
        wait_all(procs, syncdir)
        a, b = (result(syncdir, n, procs[n]) for n in ("a", "b"))
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()
                proc.wait(30)
    after = harness.dir_state(fake)

    for res in (a, b):
        backend = "be-" + res["name"]
        assert res["logins"] == [backend] * 3, res
        assert res["own_module"] == hashlib.sha256(FAKE_MODULE).hexdigest(), \
            "run %s did not see the stand-in directory: %r" % (res["name"], res)
        assert res["proxy_modules"] == [ours, ours], res
    # they overlapped: B was up before A stopped, and B started a proxy after
    assert b["up_at"] < a["stopped_at"] < b["resumed_at"] < b["stopped_at"], (a, b)
    assert after == before, "the runs changed %s: %s" % (
        harness.AUTHDB_DIR, harness.dir_changes(before, after))
    assert harness.dir_state(harness.AUTHDB_DIR) == system_before
    shutil.rmtree(top)
