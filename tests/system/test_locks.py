"""hb_locks (docs/LOCKS.md) in a real Dovecot 2.3, with the census beside it:
while a process the test starts holds the fcntl lock of a user's
dovecot.index.log, that user's STORE blocks behind it.  `hbctl locks` must
show exactly that holder and that waiting imap process (with its user);
once the holder lets go, the STORE completes and hb_locks must have logged
the slow operation once with user, mailbox, files and lock method, and sent
events that the shipped 91-hb-locks.conf metrics count.  A bad setting
refuses the login with the setting's name."""
import imaplib
import json
import os
import subprocess
import sys
import threading
import time

import pytest

import harness
from test_guard import log_text, stats_of, wait_for_log, wait_for_stat

IP = "127.0.0.53"
HOLD_SECS = 2.0

HOLDER = r"""
import fcntl, sys, time
f = open(sys.argv[1], "r+")
fcntl.lockf(f, fcntl.LOCK_EX)      # the whole file, as Dovecot locks it
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


def locks_plugin_dir():
    so = harness.find_built("plugins/locks/.libs/lib91_hb_locks_plugin.so")
    return os.path.dirname(so)


class LocksBackend(harness.DovecotBackend):
    """A backend with hb_locks from this build and the shipped
    91-hb-locks.conf, imap processes titled with their user."""

    def __init__(self, env, name, plugin_settings="", ip=IP):
        super().__init__(env, name, ip)
        with open(self.conf_path, "a") as f:
            f.write("verbose_proctitle = yes\n")
            f.write("mail_plugin_dir = %s\n" % locks_plugin_dir())
            f.write("!include %s\n" % os.path.join(harness.SRCDIR, "conf.d",
                                                    "91-hb-locks.conf"))
            f.write("plugin {\n%s}\n" % plugin_settings)

    def stats(self):
        return stats_of(self.conf_path)


def imap(backend, user):
    m = imaplib.IMAP4(*backend.imap, timeout=30)
    m.login(user, "pass")
    return m


def census(mail_root):
    r = subprocess.run([harness.hbctl_binary(), "locks", "--json", "--mail-root", mail_root],
                       capture_output=True, text=True, timeout=30)
    return r.returncode, json.loads(r.stdout)


def test_blocked_store_is_seen_by_census_and_plugin(env):
    b = env.add(LocksBackend(env, "locks", "  hb_locks_warn = 500ms\n"))
    b.start()
    try:
        m = imap(b, "alice")
        for i in range(2):
            assert m.append("INBOX", None, None, b"Subject: %d\r\n\r\nx\r\n" % i)[0] == "OK"
        m.select("INBOX")
        log = os.path.join(b.mail_root, "alice", "Maildir", "dovecot.index.log")
        assert os.path.exists(log)
        holder = subprocess.Popen([sys.executable, "-c", HOLDER, log, str(HOLD_SECS)],
                                  stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout.readline().strip() == "locked"
            result = {}
            t = threading.Thread(target=lambda: result.update(
                store=m.store("1", "+FLAGS", "\\Flagged")))
            started = time.monotonic()
            t.start()
            # the census while the STORE waits: one holder, one waiter
            seen = None
            deadline = time.monotonic() + HOLD_SECS - 0.3
            while time.monotonic() < deadline:
                rc, out = census(b.mail_root)
                if out["totals"]["waiting"] == 1:
                    seen = (rc, out)
                    break
                time.sleep(0.05)
            assert seen is not None, "the census never saw the STORE waiting"
            rc, out = seen
            assert rc == 0 and out["status"] == "ok"
            assert out["totals"]["held"] == 1
            assert out["files"] == [{"path": log, "inode": out["files"][0]["inode"],
                                     "held": 1, "waiting": 1}]
            procs = {p["pid"]: p for p in out["processes"]}
            assert procs[holder.pid]["held"] == 1
            waiter = [p for p in out["processes"] if p["waiting"] == 1]
            assert len(waiter) == 1 and waiter[0]["name"] == "imap"
            assert waiter[0]["user"] == "alice"
            # hb_locks' record in its title: the operation it is blocked in
            op = waiter[0]["operation"]
            assert op is not None and op["name"] in ("sync", "commit"), waiter
            assert op["mailbox"] == "INBOX"
            assert out["totals"]["oldest_operation_secs"] is not None, out["totals"]
            # a waiters threshold of 1 makes the same state a warning
            r = subprocess.run([harness.hbctl_binary(), "locks", "--mail-root", b.mail_root,
                                "--warn-waiters", "1"], capture_output=True, text=True,
                               timeout=30)
            assert r.returncode in (0, 1)  # the holder may have let go meanwhile
            t.join(30)
            waited = time.monotonic() - started
        finally:
            holder.kill()
            holder.wait()
        assert result["store"][0] == "OK"
        assert waited >= 1.0, waited
        m.logout()
        assert wait_for_log(b, "hb_locks: slow ")
        text = log_text(b)
        slow = [l for l in text.splitlines() if "hb_locks: slow " in l]
        assert len(slow) == 1, slow
        assert "of mailbox INBOX (user alice): waited 1." in slow[0] or \
            "of mailbox INBOX (user alice): waited 2." in slow[0], slow[0]
        assert "dovecot.index.log" in slow[0] and "lock_method=fcntl" in slow[0]
        assert wait_for_stat(b, "hb_lock_slow", 1)
        assert wait_for_stat(b, "hb_lock_wait", 1)
        assert b.stats().get("hb_lock_slow") == 1
        assert "Panic" not in text and "Fatal" not in text
    finally:
        b.stop()


def test_quiet_operations_send_no_slow_event(env):
    b = env.add(LocksBackend(env, "locks-quiet"))
    b.start()
    try:
        m = imap(b, "bob")
        assert m.append("INBOX", None, None, b"Subject: q\r\n\r\nx\r\n")[0] == "OK"
        m.select("INBOX")
        assert m.store("1", "+FLAGS", "\\Seen")[0] == "OK"
        m.logout()
        time.sleep(1)
        st = b.stats()
        # an uncontended lock call waits microseconds: below the 1 ms of
        # an hb_lock_wait event, and never slow
        assert st.get("hb_lock_slow", 0) == 0, st
        assert st.get("hb_lock_wait", 0) == 0, st
        assert "hb_locks" not in log_text(b)
    finally:
        b.stop()


@pytest.mark.parametrize("name,setting,message", [
    ("locks-bad", "hb_locks_warn = soon", "hb_locks: hb_locks_warn: not a duration"),
    ("locks-bad-title", "hb_locks_title = maybe", "hb_locks: hb_locks_title: not yes or no: maybe"),
])
def test_bad_setting_refuses_login_with_clear_error(env, name, setting, message):
    b = env.add(LocksBackend(env, name, "  %s\n" % setting))
    b.start()
    try:
        m = imaplib.IMAP4(*b.imap, timeout=20)
        try:
            m.login("carol", "pass")
            m.select("INBOX")
            refused = False
        except imaplib.IMAP4.error:
            refused = True
        assert refused
        assert wait_for_log(b, message)
    finally:
        b.stop()
