"""test_guard.py - hb_guard (docs/GUARD.md) in a real Dovecot 2.3 loaded with
the shipped conf.d/90-hb-guard.conf: the plugin loads and mail works through
it, directories are fsynced (counted by its own metric) unless
hb_guard_fsync = none, a bad setting refuses the login with a clear error,
Dovecot-detected corruption is counted and quarantined (never deleted), and
index rebuilds wait for a node-wide slot and then give a temporary error.
The fault-injection scenarios (kill loop, stalled lock holder, power loss)
are in test_guard_faults.py."""

import fcntl
import imaplib
import os
import poplib
import smtplib
import socket
import struct
import subprocess
import threading
import time

import pytest

import harness

IP = "127.0.0.50"


def guard_plugin_dir():
    so = harness.find_built("plugins/guard/.libs/lib90_hb_guard_plugin.so")
    return os.path.dirname(so)


def stats_of(conf_path):
    """metric name -> count, from doveadm stats dump of the Dovecot of
    CONF_PATH"""
    out = subprocess.run(
        ["doveadm", "-c", conf_path, "stats", "dump"],
        capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out.stderr
    counts = {}
    for line in out.stdout.splitlines()[1:]:
        cols = line.split("\t")
        if len(cols) > 2:
            counts[cols[0]] = int(cols[2])
    return counts


class GuardBackend(harness.DovecotBackend):
    """A backend with hb_guard from this build, configured by the shipped
    90-hb-guard.conf plus PLUGIN_SETTINGS."""

    def __init__(self, env, name, plugin_settings="", settings="",
                 rebuild_dir="rebuild", userdb_fields=None):
        """REBUILD_DIR: hb_guard_rebuild_dir under the instance's dir, None
        for the default; USERDB_FIELDS: {user: "k=v ..."} given to those
        users by a passwd-file userdb consulted before the static one, as
        an operator sets per-user settings."""
        super().__init__(env, name, IP)
        self.base_dir = os.path.join(self.dir, "run")
        self.rebuild_dir = (os.path.join(self.dir, rebuild_dir)
                            if rebuild_dir else None)
        if userdb_fields:
            self._add_passwd_file_userdb(userdb_fields)
        with open(self.conf_path, "a") as f:
            f.write(settings)
            f.write("mail_plugin_dir = %s\n" % guard_plugin_dir())
            f.write("!include %s\n" % os.path.join(harness.SRCDIR, "conf.d",
                                                    "90-hb-guard.conf"))
            f.write("plugin {\n")
            if self.rebuild_dir:
                f.write("  hb_guard_rebuild_dir = %s\n" % self.rebuild_dir)
            f.write("%s}\n" % plugin_settings)

    def _add_passwd_file_userdb(self, fields):
        path = os.path.join(self.dir, "users")
        with open(path, "w") as f:
            for user, extra in fields.items():
                f.write("%s::%d:%d::%s/%s::%s\n" % (
                    user, harness.VMAIL_UID, harness.VMAIL_UID,
                    self.mail_root, user, extra))
        with open(self.conf_path) as f:
            text = f.read()
        static = "userdb {\n  driver = static\n"
        assert static in text
        text = text.replace(static, "userdb {\n  driver = passwd-file\n"
                            "  args = %s\n}\n" % path + static, 1)
        with open(self.conf_path, "w") as f:
            f.write(text)

    def stats(self):
        return stats_of(self.conf_path)

    def maildir(self, user):
        return os.path.join(self.mail_root, user, "Maildir")


def log_text(backend):
    # a bad byte in a log line must fail the assertion, not the reading
    with open(backend.log_path, errors="replace") as f:
        return f.read()


def wait_for_log(backend, text, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in log_text(backend):
            return True
        time.sleep(0.1)
    return False


def wait_for_stat(backend, name, at_least, timeout=10):
    """events reach the stats process asynchronously"""
    deadline = time.monotonic() + timeout
    while backend.stats().get(name, 0) < at_least:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def imap(backend, user):
    m = imaplib.IMAP4(*backend.imap, timeout=20)
    m.login(user, "pass")
    return m


def append_some(backend, user, n):
    m = imap(backend, user)
    for i in range(n):
        typ, _ = m.append("INBOX", None, None,
                          b"Subject: m%d\r\n\r\nbody %d\r\n" % (i, i))
        assert typ == "OK"
    m.logout()


@pytest.fixture(scope="module")
def guard(env):
    b = env.add(GuardBackend(env, "guard1"))
    b.start()
    yield b
    b.stop()


def test_mail_works_and_dirs_are_fsynced(guard):
    before = guard.stats().get("hb_guard_dir_fsync", 0)
    m = imap(guard, "alice")
    typ, data = m.append("INBOX", None, None, b"Subject: a\r\n\r\nhello\r\n")
    assert typ == "OK" and b"APPENDUID" in data[0]
    assert m.create("Archive")[0] == "OK"
    m.select("INBOX")
    assert m.store("1", "+FLAGS", "\\Seen")[0] == "OK"
    typ, data = m.copy("1", "Archive")
    assert typ == "OK" and b"COPYUID" in data[0]
    assert m.store("1", "+FLAGS", "\\Deleted")[0] == "OK"
    assert m.expunge()[0] == "OK"
    m.select("Archive")
    typ, data = m.fetch("1", "(FLAGS BODY.PEEK[TEXT])")
    assert typ == "OK" and b"\\Seen" in data[0][0] and data[0][1] == b"hello\r\n"
    m.logout()
    # two STOREs and the EXPUNGE renamed or unlinked in cur/
    assert wait_for_stat(guard, "hb_guard_dir_fsync", before + 3)
    log = log_text(guard)
    assert "Error" not in log and "Panic" not in log, log


# counted apart per directory for the test below
FSYNC_METRICS = """
metric t_fsync_cur {
  filter = event=hb_guard_dir_fsync AND dir="*/cur"
}
metric t_fsync_new {
  filter = event=hb_guard_dir_fsync AND dir="*/new"
}
metric t_log_fsync {
  filter = event=hb_guard_log_fsync
}
"""


def test_maildir_log_synced_once_per_flag_change_or_expunge(env):
    """Maildir (docs/GUARD.md "Durability"): cur/ is fsynced after each
    STORE and EXPUNGE, and not after a sync that only moved new mail out of
    new/ (a lost move leaves the file in new/, where it is found again).
    The log gets no fdatasync for APPEND, and none for a flag change or
    expunge that a sync carried into the file names (the cur/ fsync makes
    it durable there): IMAP's STORE and EXPUNGE and doveadm's flag commands
    all end with such a sync.  POP3 dropped without QUIT commits its \\Seen
    flags and closes the mailbox without a sync: that commit's log gets one
    fdatasync, at close."""
    b = env.add(GuardBackend(env, "guard-count", settings=FSYNC_METRICS))
    b.start()
    try:
        m = imap(b, "erin")
        for i in range(3):
            assert m.append("INBOX", None, None,
                            b"Subject: %d\r\n\r\nbody\r\n" % i)[0] == "OK"
        for _ in range(2):
            m.select("INBOX")
            assert m.fetch("1:*", "(FLAGS)")[0] == "OK"
        assert os.listdir(os.path.join(b.maildir("erin"), "new")) == []
        time.sleep(0.5)  # stats arrive asynchronously
        st = b.stats()
        assert st.get("t_fsync_cur", 0) == 0, st
        assert st.get("t_log_fsync", 0) == 0, st
        # a ctime within the clock tick of a commit counts as changed after
        # it (docs/GUARD.md): let the moves out of new/ be clearly older
        time.sleep(0.1)
        assert m.store("1", "+FLAGS", "\\Seen")[0] == "OK"
        assert m.store("2", "+FLAGS", "(\\Flagged $Work)")[0] == "OK"
        assert m.store("3", "+FLAGS", "\\Deleted")[0] == "OK"
        assert m.expunge()[0] == "OK"
        m.logout()
        assert wait_for_stat(b, "t_fsync_cur", 4)
        time.sleep(1)  # nothing more may arrive
        st = b.stats()
        # cur/ once after each of the 3 STOREs and the EXPUNGE, whose own
        # syncs renamed and unlinked: no log fdatasync needed
        assert st.get("t_fsync_cur", 0) == 4, st
        assert st.get("t_log_fsync", 0) == 0, st
        r = subprocess.run(["doveadm", "-c", b.conf_path, "flags", "add",
                            "-u", "erin", "\\Answered", "mailbox", "INBOX",
                            "uid", "1"], capture_output=True, text=True,
                           timeout=20)
        assert r.returncode == 0, r.stderr
        assert wait_for_stat(b, "t_fsync_cur", 5)
        time.sleep(1)
        st = b.stats()
        assert st.get("t_fsync_cur", 0) == 5, st
        assert st.get("t_log_fsync", 0) == 0, st
        p = poplib.POP3(*b.pop3, timeout=20)
        p.user("erin")
        p.pass_("pass")
        p.retr(2)
        p.close()  # no QUIT: the flag is committed, no sync follows
        assert wait_for_stat(b, "t_log_fsync", 1)
        time.sleep(1)
        assert b.stats().get("t_log_fsync", 0) == 1, b.stats()
    finally:
        b.stop()


def test_fsync_none_adds_no_directory_fsync(env):
    b = env.add(GuardBackend(env, "guard-none", "  hb_guard_fsync = none\n"))
    b.start()
    try:
        append_some(b, "bob", 3)
        assert b.stats().get("hb_guard_dir_fsync", 0) == 0
    finally:
        b.stop()


def test_bad_setting_refuses_login_with_clear_error(env):
    b = env.add(GuardBackend(env, "guard-bad", "  hb_guard_fsync = sometimes\n"))
    b.start()
    try:
        m = imaplib.IMAP4(*b.imap, timeout=20)
        with pytest.raises(imaplib.IMAP4.error):
            m.login("carol", "pass")
            m.select("INBOX")
        assert wait_for_log(b, "hb_guard: hb_guard_fsync: unknown word "
                            "'sometimes' (use: log, dirs or none)")
    finally:
        b.stop()


def corrupt_log(path):
    """garble the log's records after its header (a torn write)"""
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.seek(size - 40)
        f.write(b"\xff" * 16)


def test_corruption_is_counted_and_quarantined(guard):
    append_some(guard, "dave", 5)
    md = guard.maildir("dave")
    corrupt_log(os.path.join(md, "dovecot.index.log"))
    m = imap(guard, "dave")
    typ, data = m.select("INBOX")
    if typ != "OK":     # Dovecot fails the open that finds it, then rebuilds
        typ, data = m.select("INBOX")
    assert typ == "OK" and data[0] == b"5", "mail lost after rebuild"
    m.logout()
    # Dovecot's log process writes asynchronously: wait for the lines
    assert wait_for_log(guard, "Corrupted transaction log file")
    assert wait_for_log(guard, "hb_guard: corruption seen in %s/dovecot.index.log" % md)
    assert wait_for_stat(guard, "hb_guard_corruption", 1)
    # counted per user and mailbox too (group_by user mailbox)
    assert wait_for_stat(guard, "hb_guard_corruption_by_mailbox_dave_INBOX", 1), \
        sorted(n for n in guard.stats() if n.startswith("hb_guard_corruption"))
    qdir = os.path.join(guard.mail_root, "dave", "hb-quarantine")
    cases = os.listdir(qdir)
    assert cases, "nothing quarantined"
    case = os.path.join(qdir, cases[0])
    names = os.listdir(case)
    assert "ORIGIN" in names and "dovecot.index.log" in names
    origin = open(os.path.join(case, "ORIGIN")).read()
    assert "user=dave" in origin and "dir=%s" % md in origin
    # the copy is the damaged file, as it was
    with open(os.path.join(case, "dovecot.index.log"), "rb") as f:
        assert b"\xff" * 16 in f.read()


def poke(path, offset, data):
    """overwrite bytes of PATH in place (same inode, as a torn write)"""
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)


def unorder_uidlist(path):
    """a dovecot-uidlist whose records are out of order, written as
    Dovecot writes it (a new file renamed over the old)"""
    with open(path, "rb") as f:
        header, *records = f.read().splitlines(keepends=True)
    tmp = path + ".hbtest"
    with open(tmp, "wb") as f:
        f.write(header + b"".join(reversed(records)))
    os.chown(tmp, harness.VMAIL_UID, harness.VMAIL_UID)
    os.rename(tmp, path)


# Dovecot writes dovecot.index only when it rotates the log or the log has
# grown well past the index: rotate at every sync
ROTATE_LOG = ("mail_index_log_rotate_min_size = 1\n"
              "mail_index_log_rotate_max_size = 1\n")

# kind -> (file, how it is damaged, what Dovecot 2.3.19 logs, settings);
# offsets are those of struct mail_index_header and mail_cache_header
CORRUPTIONS = {
    "index": ("dovecot.index", lambda p: poke(p, 8, struct.pack("<I", 4)),
              "Corrupted index file", ROTATE_LOG),          # record_size 4
    "index-fixed": ("dovecot.index",
                    lambda p: poke(p, 40, struct.pack("<I", 1000)),
                    "Fixed index file", ROTATE_LOG),        # seen > messages
    "log": ("dovecot.index.log", corrupt_log, "Corrupted transaction log file", ""),
    "cache": ("dovecot.index.cache", lambda p: poke(p, 0, b"\x63"),
              "Deleting corrupted cache", ""),               # major version 99
    "uidlist": ("dovecot-uidlist", unorder_uidlist, "Broken file", ""),
}


def read_all(backend, user, flag=False):
    """SELECT and a FETCH that reads the index, the cache and the uidlist
    (FLAG: and a flag change, whose sync writes dovecot.index)"""
    m = imap(backend, user)
    typ, _ = m.select("INBOX")
    if typ != "OK":     # Dovecot fails the open that finds it, then rebuilds
        typ, _ = m.select("INBOX")
    if typ == "OK":
        typ, _ = m.fetch("1:*", "(FLAGS ENVELOPE BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    if typ == "OK" and flag:
        typ, _ = m.store("1", "+FLAGS", "\\Seen")
        m.noop()
    m.logout()
    return typ


@pytest.mark.parametrize("kind", sorted(CORRUPTIONS))
def test_every_corruption_kind_is_counted(env, kind):
    """Each kind of corruption docs/GUARD.md says hb_guard counts, made by
    damaging that file of a real mailbox: Dovecot's report is counted under
    its kind with the file named, and (but for the cache, which Dovecot has
    already deleted) the damaged directory is quarantined."""
    name, damage, dovecot_says, settings = CORRUPTIONS[kind]
    b = env.add(GuardBackend(env, "guard-kind-" + kind, settings=settings))
    b.start()
    try:
        user = "kind-" + kind
        append_some(b, user, 5)
        if kind in ("index", "index-fixed", "cache"):
            assert read_all(b, user, flag=True) == "OK"
        path = os.path.join(b.maildir(user), name)
        assert os.path.exists(path), sorted(os.listdir(b.maildir(user)))
        damage(path)
        read_all(b, user)
        assert wait_for_log(b, dovecot_says), log_text(b)[-3000:]
        assert wait_for_log(b, "hb_guard: corruption seen in %s (%s)" % (path, kind)), \
            log_text(b)[-3000:]
        assert wait_for_stat(b, "hb_guard_corruption_" + kind, 1), \
            sorted(n for n in b.stats() if n.startswith("hb_guard_corruption"))
        assert wait_for_stat(b, "hb_guard_corruption_by_mailbox_%s_INBOX" % user, 1), \
            sorted(n for n in b.stats() if n.startswith("hb_guard_corruption"))
        qdir = os.path.join(b.mail_root, user, "hb-quarantine")
        if kind == "cache":
            assert not os.path.exists(qdir)
        else:
            assert os.listdir(qdir), "nothing quarantined"
    finally:
        b.stop()


def test_lmtp_attributes_corruption_to_the_user_it_belongs_to(env):
    """One LMTP transaction to two users with different per-user settings
    (passwd-file userdb extra fields): Dovecot keeps the first recipient's
    saved mail open and copies it for the second, so the first user's
    mailbox is read while the second user is being served.  Corruption
    found in it then is the first user's: counted for that user and copied
    into that user's quarantine (hb_guard_quarantine_dir of that user),
    never into the second user's."""
    b = env.add(GuardBackend(
        env, "guard-lmtp",
        "  hb_guard_rebuild_limit = 1\n  hb_guard_rebuild_wait = 30s\n",
        userdb_fields={
            "ann": "userdb_hb_guard_quarantine_dir=~/ann-quarantine "
                   "userdb_hb_guard_fsync=none",
            "bob": "userdb_hb_guard_quarantine_dir=~/bob-quarantine "
                   "userdb_hb_guard_lock_margin=10s"}))
    b.start()
    try:
        append_some(b, "ann", 2)
        append_some(b, "bob", 1)
        # bob's INBOX is due for a rebuild and the node's one slot is
        # busy: his delivery waits in open, after ann's was saved
        marker = os.path.join(b.maildir("bob"), "hb-guard-rebuild")
        open(marker, "w").close()
        os.chown(marker, harness.VMAIL_UID, harness.VMAIL_UID)
        fds = hold_slots(b.rebuild_dir, 1)
        ann_new = os.path.join(b.maildir("ann"), "new")
        before = set(os.listdir(ann_new))
        result = {}

        def deliver():
            try:
                with smtplib.LMTP(IP, b.lmtp_port, timeout=60) as c:
                    result["refused"] = c.sendmail(
                        "sender@example.org", ["ann", "bob"],
                        b"Subject: both\r\n\r\nfor ann and bob\r\n")
            except smtplib.SMTPException as e:
                result["error"] = e
        t = threading.Thread(target=deliver)
        t.start()
        deadline = time.monotonic() + 20
        while set(os.listdir(ann_new)) == before and time.monotonic() < deadline:
            time.sleep(0.05)
        delivered = set(os.listdir(ann_new)) - before
        assert delivered, "ann's delivery was not saved"
        time.sleep(1.5)              # ann's commits end; bob waits for a slot
        # ann's mailbox is damaged now: the copy for bob finds her message
        # gone from its place and re-reads her uidlist, out of order
        f = delivered.pop()
        os.rename(os.path.join(ann_new, f), os.path.join(ann_new, "moved." + f))
        unorder_uidlist(os.path.join(b.maildir("ann"), "dovecot-uidlist"))
        for fd in fds:
            os.close(fd)
        t.join(60)
        uidlist = os.path.join(b.maildir("ann"), "dovecot-uidlist")
        assert wait_for_log(b, "hb_guard: corruption seen in %s (uidlist)" % uidlist), \
            log_text(b)[-4000:]
        assert wait_for_stat(b, "hb_guard_corruption_uidlist", 1)
        ann_q = os.path.join(b.mail_root, "ann", "ann-quarantine")
        bob_q = os.path.join(b.mail_root, "bob", "bob-quarantine")
        assert not os.path.exists(bob_q), "ann's index files were copied into bob's home"
        cases = os.listdir(ann_q)
        assert cases
        origin = open(os.path.join(ann_q, cases[0], "ORIGIN")).read()
        assert "user=ann" in origin, origin
    finally:
        b.stop()


def hold_slots(rebuild_dir, n):
    """Hold N slots as another mail process would: the directory is root's
    and only the mail uid can open the slot files (0600)."""
    os.makedirs(rebuild_dir, mode=0o755, exist_ok=True)
    fds = []
    for i in range(n):
        path = os.path.join(rebuild_dir, "slot-%d" % i)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        os.fchown(fd, harness.VMAIL_UID, harness.VMAIL_UID)
        os.fchmod(fd, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        fds.append(fd)
    return fds


def drop_indexes(maildir):
    for name in os.listdir(maildir):
        if name.startswith("dovecot.index"):
            os.unlink(os.path.join(maildir, name))


def test_rebuild_waits_for_a_slot_then_tempfails(env):
    b = env.add(GuardBackend(env, "guard-rb", "  hb_guard_rebuild_limit = 2\n"
                             "  hb_guard_rebuild_wait = 1s\n"))
    b.start()
    try:
        append_some(b, "erin", 4)
        drop_indexes(b.maildir("erin"))
        fds = hold_slots(b.rebuild_dir, 2)   # the node is busy rebuilding
        m = imap(b, "erin")
        started = time.monotonic()
        typ, data = m.select("INBOX")
        waited = time.monotonic() - started
        assert typ == "NO" and b"[INUSE]" in data[0] and b"rebuilt" in data[0]
        assert 0.9 <= waited < 10, "waited %.1fs" % waited
        for fd in fds:
            os.close(fd)
        typ, data = m.select("INBOX")         # a slot is free: rebuild runs
        assert typ == "OK" and data[0] == b"4"
        m.logout()
        assert wait_for_log(b, "index rebuild throttled")
        assert wait_for_log(b, "index rebuild started")
        assert wait_for_log(b, "index rebuild finished")
        assert not os.path.exists(os.path.join(b.maildir("erin"),
                                               "hb-guard-rebuild"))
    finally:
        b.stop()


def drop_into_new(maildir, n):
    """N messages written straight into new/, as an MDA would: the next
    SELECT syncs them all while holding the index log lock"""
    new = os.path.join(maildir, "new")
    base = int(time.time())
    for i in range(n):
        path = os.path.join(new, "%d.M%dP%d.drop" % (base, i, os.getpid()))
        with open(path, "wb") as f:
            f.write(b"Subject: d%d\r\n\r\nbody\r\n" % i)
        os.chown(path, harness.VMAIL_UID, harness.VMAIL_UID)


def lock_holder(lock):
    try:
        with open(lock) as f:
            pid, _, host = f.read().strip().partition(":")
        return int(pid), host
    except (OSError, ValueError):
        return None


def replace_lock(lock):
    """What a waiter on another NFS client does to a lock it thinks stale:
    its own dotlock in place of ours (a new inode naming another host)"""
    tmp = lock + ".other"
    with open(tmp, "w") as f:
        f.write("1:hb-other-node\n")
    os.rename(tmp, lock)


def test_fence_refuses_commit_after_lock_was_replaced(env):
    """lock_method = dotlock: while an imap process syncs 2000 new messages
    holding dovecot.index.log.lock, "another node" replaces the lock.  The
    sync's commit is refused (nothing written after the lock was lost), the
    client gets NO [INUSE], and once the other node is done a retry syncs
    everything with no corruption."""
    b = env.add(GuardBackend(env, "guard-fence", settings="lock_method = dotlock\n"))
    b.start()
    try:
        append_some(b, "fred", 2)
        md = b.maildir("fred")
        lock = os.path.join(md, "dovecot.index.log.lock")
        me = socket.gethostname()
        refused = None
        for attempt in range(5):
            drop_into_new(md, 2000)
            m = imap(b, "fred")
            answer = {}
            t = threading.Thread(target=lambda: answer.update(r=m.select("INBOX")))
            t.start()
            replaced = False
            while t.is_alive() and not replaced:
                held = lock_holder(lock)
                if held and held[1] == me:
                    replace_lock(lock)
                    replaced = True
                time.sleep(0.001)
            t.join(60)
            if os.path.exists(lock):
                os.unlink(lock)          # the other node finished
            typ, data = answer["r"]
            if typ == "NO":
                refused = data[0]
                m.logout()
                break
            m.logout()
        assert refused is not None, "never caught the sync holding its lock"
        assert b"[INUSE]" in refused and b"lock was lost" in refused, refused
        assert wait_for_log(b, "hb_guard: fenced: refused a write to %s/dovecot.index"
                            % md)
        assert wait_for_log(b, "dotlock replaced by another process (%s.lock, age "
                            % os.path.join(md, "dovecot.index.log"))
        assert wait_for_stat(b, "hb_guard_fenced", 1)
        m = imap(b, "fred")
        typ, data = m.select("INBOX")
        assert typ == "OK" and int(data[0]) == 2 + 2000 * (attempt + 1), data
        m.logout()
        log = log_text(b)
        assert "Corrupted" not in log and "Panic" not in log
    finally:
        b.stop()
