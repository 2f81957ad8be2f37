"""test_guard_security.py - hb_guard's rebuild slots cannot be turned
against a mail user: the default slot directory is under
Dovecot's base_dir; a directory open to others or owned by another uid is
refused; in a directory it accepts, a planted symlink, FIFO, hard link or
foreign-owned slot file is refused with a log line and never followed or
written through, while the throttle still holds with the slots left; when
no slot is usable rebuilds go on unthrottled, and that is said once."""

import fcntl
import os
import stat

import harness
from test_guard import GuardBackend, append_some, drop_indexes, imap, \
    log_text, wait_for_log

OTHER_UID = harness.VMAIL_UID + 1      # a local user, or another mail uid


def rebuild_due(b, user, n=3):
    """USER has N messages and no index: the next SELECT rebuilds it"""
    append_some(b, user, n)
    drop_indexes(b.maildir(user))


def select(b, user):
    m = imap(b, user)
    typ, data = m.select("INBOX")
    m.logout()
    return typ, data


def test_default_rebuild_dir_is_under_base_dir(env):
    b = env.add(GuardBackend(env, "guard-sec-default", rebuild_dir=None))
    slots = os.path.join(b.base_dir, "hb-guard-rebuild")
    os.makedirs(slots, mode=0o700)          # as the operator's setup does
    os.chown(slots, harness.VMAIL_UID, harness.VMAIL_UID)
    b.start()
    try:
        rebuild_due(b, "dora")
        typ, data = select(b, "dora")
        assert typ == "OK" and data[0] == b"3"
        assert wait_for_log(b, "index rebuild started")
        st = os.lstat(os.path.join(slots, "slot-0"))
        assert stat.S_ISREG(st.st_mode) and st.st_uid == harness.VMAIL_UID
        assert stat.S_IMODE(st.st_mode) == 0o600
    finally:
        b.stop()


def test_symlink_in_a_world_writable_dir_is_not_followed(env):
    """The audit's attack: a shared /tmp-like directory (01777) where a
    local user planted slot-N -> the victim's ~/.forward."""
    b = env.add(GuardBackend(env, "guard-sec-tmp", "  hb_guard_rebuild_limit = 2\n",
                             rebuild_dir="shared"))
    os.makedirs(b.rebuild_dir)
    os.chmod(b.rebuild_dir, 0o1777)
    forward = os.path.join(b.mail_root, "erik", ".forward")
    for n in range(2):
        os.symlink(forward, os.path.join(b.rebuild_dir, "slot-%d" % n))
    b.start()
    try:
        rebuild_due(b, "erik")
        typ, data = select(b, "erik")
        assert typ == "OK" and data[0] == b"3"
        assert not os.path.lexists(forward), "a file was created through the symlink"
        assert wait_for_log(b, "%s is writable by group or others (mode 1777)"
                            % b.rebuild_dir), log_text(b)[-2000:]
        assert wait_for_log(b, "rebuilds in this process run unthrottled")
        assert not os.path.exists(os.path.join(b.maildir("erik"), "hb-guard-rebuild"))
    finally:
        b.stop()


def test_planted_slots_are_refused_and_the_throttle_holds(env):
    b = env.add(GuardBackend(env, "guard-sec-plant",
                             "  hb_guard_rebuild_limit = 5\n  hb_guard_rebuild_wait = 1s\n"))
    os.makedirs(b.rebuild_dir, mode=0o700)
    os.chown(b.rebuild_dir, harness.VMAIL_UID, harness.VMAIL_UID)
    slot = lambda n: os.path.join(b.rebuild_dir, "slot-%d" % n)
    forward = os.path.join(b.mail_root, "fay", ".forward")
    os.symlink(forward, slot(0))                        # symlink
    os.mkfifo(slot(1), 0o600)                           # FIFO
    os.chown(slot(1), harness.VMAIL_UID, harness.VMAIL_UID)
    victim = os.path.join(b.dir, "victim")              # hard link
    with open(victim, "w") as f:
        f.write("keep\n")
    os.chown(victim, harness.VMAIL_UID, harness.VMAIL_UID)
    os.chmod(victim, 0o600)
    os.link(victim, slot(2))
    with open(slot(3), "w"):                            # another uid's
        pass
    os.chown(slot(3), OTHER_UID, OTHER_UID)
    os.chmod(slot(3), 0o644)
    fd = os.open(slot(4), os.O_RDWR | os.O_CREAT, 0o600)  # slot-4 busy
    os.fchown(fd, harness.VMAIL_UID, harness.VMAIL_UID)
    fcntl.flock(fd, fcntl.LOCK_EX)
    b.start()
    try:
        rebuild_due(b, "fay")
        typ, data = select(b, "fay")
        # the one usable slot is busy: throttled, not waved through
        assert typ == "NO" and b"[INUSE]" in data[0], (typ, data)
        for reason in ("%s is a symlink" % slot(0),
                       "%s is not a regular file" % slot(1),
                       "%s has 2 hard links" % slot(2),
                       "%s is owned by uid %d, not by the mail uid %d or root"
                       % (slot(3), OTHER_UID, harness.VMAIL_UID)):
            assert wait_for_log(b, reason), (reason, log_text(b)[-3000:])
        os.close(fd)
        typ, data = select(b, "fay")
        assert typ == "OK" and data[0] == b"3"
        assert wait_for_log(b, "index rebuild started")
        assert not os.path.lexists(forward)
        assert stat.S_ISFIFO(os.lstat(slot(1)).st_mode)
        assert open(victim).read() == "keep\n"
        assert stat.S_IMODE(os.stat(victim).st_mode) == 0o600
        assert "run unthrottled" not in log_text(b)
    finally:
        b.stop()


def test_dir_of_another_uid_is_refused_and_said_once(env):
    b = env.add(GuardBackend(env, "guard-sec-foreign"))
    os.makedirs(b.rebuild_dir, mode=0o755)
    os.chown(b.rebuild_dir, OTHER_UID, OTHER_UID)
    b.start()
    try:
        append_some(b, "gus", 3)
        m = imap(b, "gus")
        m.create("Other")
        for i in range(2):
            m.append("Other", None, None, b"Subject: o%d\r\n\r\nbody\r\n" % i)
        m.logout()
        drop_indexes(b.maildir("gus"))
        drop_indexes(os.path.join(b.maildir("gus"), ".Other"))
        m = imap(b, "gus")                   # two rebuilds in one process
        assert m.select("INBOX") == ("OK", [b"3"])
        assert m.select("Other") == ("OK", [b"2"])
        m.logout()
        assert wait_for_log(b, "%s is owned by uid %d, not by the mail uid %d or root"
                            % (b.rebuild_dir, OTHER_UID, harness.VMAIL_UID)), \
            log_text(b)[-2000:]
        assert wait_for_log(b, "index rebuild finished")
        assert log_text(b).count("rebuilds in this process run unthrottled") == 1
        assert log_text(b).count("index rebuild unthrottled") == 2
        assert os.listdir(b.rebuild_dir) == []
    finally:
        b.stop()
