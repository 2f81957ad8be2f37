"""imap_ledger.py - a raw-socket IMAP client that writes down every change it
asks for and whether the server acknowledged it (tagged OK), and the check
that a mailbox snapshot holds every acknowledged change and nothing
half-present.  It never retries a command: what it was told is the record.
Each acknowledgement carries the time.monotonic_ns() of its arrival, so that
after a power loss the ones that came after the crash can be taken back.
"""

import random
import re
import socket
import threading
import time

MAX_LINE = 65536
MAX_LITERAL = 1 << 20
CMD_TIMEOUT = 15.0
ARCHIVE = "Archive"
LATE = "late"                       # ledger outcome: timed out, may still happen
DELIVERED = "delivered"             # Message.append: put into new/ by the test
# flags the clients store (absolute STORE FLAGS): system flags and keywords
FLAG_POOL = ("\\Seen", "\\Flagged", "\\Answered", "$hbA", "$hbB", "$hbC")
# what a Dovecot log line reporting damage says; matched case-insensitively
CORRUPTION_RE = re.compile(
    r"corrupt|fixed index|fixed.*file|panic|fatal|broken|duplicate|reappeared|inconsisten",
    re.IGNORECASE)
# the master reporting our own kill -9s, and hb_guard's deliberate exit
# (status 75) when it finds a lock lost while it was stopped
KILL_REPORT_RE = re.compile(r"killed with signal 9|returned error 75\b")

_MSGID_RE = re.compile(rb"^Message-ID: <([^>]+)>", re.MULTILINE | re.IGNORECASE)
_LITERAL_RE = re.compile(r"\{(\d+)\+?\}$")


class Dropped(Exception):
    """The connection broke or a reply did not come: the command is in doubt.
    LATE: no reply in time from a live server, which may still carry the
    command out after later ones (e.g. once it gets a lock it waits for)."""

    def __init__(self, why, late=False):
        super().__init__(why)
        self.late = late


# --------------------------------------------------------------- session ---

class Session:
    """One IMAP connection (LOGIN done in connect()); replies are read with a
    bound on every line and literal."""

    def __init__(self, addr, user, password="pass", timeout=CMD_TIMEOUT):
        self.timeout = timeout
        self.buf = b""
        self.tagno = 0
        self.recv_ns = 0            # time.monotonic_ns() of the last recv
        self.tagged_ns = 0          # ... that completed the last tagged reply
        try:
            self.sock = socket.create_connection(addr, timeout=timeout)
        except OSError as e:
            raise Dropped("connect: %s" % e)
        greeting = self._line()
        if not greeting.startswith(b"* OK"):
            self.close()
            raise Dropped("greeting %r" % greeting[:80])
        ok, text, _ = self.command('LOGIN "%s" "%s"' % (user, password))
        if not ok:
            self.close()
            raise Dropped("LOGIN: %s" % text)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise Dropped("no reply within %.0fs" % self.timeout, late=True)
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise Dropped("no reply within %.0fs" % self.timeout, late=True)
        except OSError as e:
            raise Dropped("recv: %s" % e)
        if not chunk:
            raise Dropped("connection closed")
        # a reply is timestamped when recv returns it, never earlier than it
        # arrived; command() waits in recv, so the lag is one wake-up
        self.recv_ns = time.monotonic_ns()
        self.buf += chunk

    def _line(self, deadline=None):
        deadline = deadline or time.monotonic() + self.timeout
        while b"\r\n" not in self.buf:
            if len(self.buf) > MAX_LINE:
                raise Dropped("line longer than %d" % MAX_LINE)
            self._fill(deadline)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _response(self, deadline):
        """One response: (text with literals cut out, [literal bytes])."""
        text, literals = b"", []
        while True:
            line = self._line(deadline)
            text += line
            m = _LITERAL_RE.search(line.decode("latin-1"))
            if not m:
                return text.decode("utf-8", "replace"), literals
            n = int(m.group(1))
            if n > MAX_LITERAL:
                raise Dropped("literal of %d bytes" % n)
            while len(self.buf) < n:
                self._fill(deadline)
            literals.append(self.buf[:n])
            self.buf = self.buf[n:]

    def command(self, cmd, literal=None):
        """Send CMD (with LITERAL as a non-synchronizing literal); returns
        (ok, tagged line, [(untagged text, literals)]).  Raises Dropped."""
        self.tagno += 1
        tag = "t%d" % self.tagno
        data = ("%s %s" % (tag, cmd)).encode()
        if literal is not None:
            data += b" {%d+}\r\n" % len(literal) + literal
        try:
            self.sock.sendall(data + b"\r\n")
        except OSError as e:
            raise Dropped("send: %s" % e)
        deadline = time.monotonic() + self.timeout
        untagged = []
        while True:
            text, literals = self._response(deadline)
            if text.startswith(tag + " "):
                rest = text[len(tag) + 1:]
                self.tagged_ns = self.recv_ns
                return rest.startswith("OK"), rest, untagged
            untagged.append((text, literals))

    def select(self, mailbox):
        """True if selected, False if it does not exist; else Dropped."""
        ok, text, _ = self.command('SELECT "%s"' % mailbox)
        if not ok and ("[NONEXISTENT]" in text or "doesn't exist" in text):
            return False
        if not ok:
            raise Dropped("SELECT %s: %s" % (mailbox, text))
        return True

    def snapshot(self, mailbox):
        """{uid: (flags frozenset without \\Recent, message bytes)} of MAILBOX."""
        if not self.select(mailbox):
            return {}
        ok, text, untagged = self.command("UID FETCH 1:* (UID FLAGS BODY.PEEK[])")
        if not ok:
            raise Dropped("FETCH in %s: %s" % (mailbox, text))
        found = {}
        for line, literals in untagged:
            m = re.search(r"\bUID (\d+)", line)
            f = re.search(r"\bFLAGS \(([^)]*)\)", line)
            if " FETCH " not in line or not m or not f or not literals:
                continue
            flags = frozenset(x for x in f.group(1).split() if x != "\\Recent")
            found[int(m.group(1))] = (flags, literals[0])
        return found


# ---------------------------------------------------------------- ledger ---

class Message:
    """One message a client appended, and every change it asked for."""

    def __init__(self, msgid, body):
        self.msgid = msgid
        self.body = body
        self.append = None          # True acked, False in doubt
        self.uid = None             # APPENDUID
        self.stores = []            # [[frozenset flags, True | False | LATE]]
        self.expunge = None         # None never asked, True acked, False in doubt
        self.copies = []            # [(dest uid or None, acked)]


class Ledger:
    """Every message of one user, shared by that user's clients (each client
    changes only its own messages)."""

    def __init__(self, user):
        self.user = user
        self.messages = {}
        self.lock = threading.Lock()
        self.counts = {"acked": 0, "in_doubt": 0, "refused": 0}
        self.acks = []              # [(arrival ns, kind, msg, store/copy entry)]

    def add(self, msg):
        with self.lock:
            self.messages[msg.msgid] = msg

    def count(self, outcome):
        with self.lock:
            self.counts[outcome] += 1

    def acked(self, when_ns, kind, msg, entry=None):
        """A tagged OK that arrived at WHEN_NS for KIND ("append", "store",
        "expunge", "copy") of MSG; ENTRY: its msg.stores / msg.copies item."""
        with self.lock:
            self.acks.append((when_ns, kind, msg, entry))

    def power_lost_at(self, fired_ns):
        """Power was lost at FIRED_NS (time.monotonic_ns()): no reply sent
        after that reaches a client of a real machine, so every tagged OK
        that arrived at or after it was never received and its command is
        in flight (present or absent, never half-present).  Our clock reads
        a reply when it is read, not when it was sent: one read late is
        excused, so replies must be read at once.  Returns how many acks were
        taken back; counts stay what the clients were told."""
        with self.lock:
            late = [a for a in self.acks if a[0] >= fired_ns]
            self.acks = [a for a in self.acks if a[0] < fired_ns]
        for _, kind, msg, entry in late:
            if kind == "append":
                msg.append = False
            elif kind == "expunge":
                msg.expunge = False
            else:
                entry[1] = False
        return len(late)


def make_message(tag, n, rng):
    """A message whose Message-ID names it; body of random length."""
    msgid = "%s.%d@hbt.invalid" % (tag, n)
    words = " ".join("w%x" % rng.getrandbits(24) for _ in range(rng.randint(5, 400)))
    lines = [words[i:i + 70] for i in range(0, len(words), 70)]
    text = ("From: hbt@hbt.invalid\r\nTo: %s@hbt.invalid\r\nSubject: fault %s %d\r\n"
            "Message-ID: <%s>\r\n\r\n%s\r\n" % (tag, tag, n, msgid, "\r\n".join(lines)))
    return Message(msgid, text.encode())


class Worker:
    """A client doing APPEND / STORE / EXPUNGE / COPY on its own messages of
    LEDGER's user, reconnecting whenever its connection breaks."""

    def __init__(self, addr, ledger, tag, seed, timeout=CMD_TIMEOUT):
        self.addr = addr
        self.timeout = timeout
        self.ledger = ledger
        self.tag = tag
        self.rng = random.Random(seed)
        self.session = None
        self.live = []              # messages it may still change (uid known)
        self.n = 0
        self.ops = 0
        self.drops = 0
        self.errors = []
        self.reply_ns = 0           # arrival of the last tagged reply

    def _session(self):
        if self.session is None:
            s = Session(self.addr, self.ledger.user, timeout=self.timeout)
            try:
                s.select("INBOX")
            except Dropped:
                s.close()
                raise
            self.session = s
        return self.session

    def _send(self, cmd, literal=None):
        """(ok, text) or raises Dropped after closing the session."""
        s = self._session()
        try:
            ok, text, _ = s.command(cmd, literal)
        except Dropped:
            self.drop()
            raise
        self.reply_ns = s.tagged_ns
        if not ok:
            self.ledger.count("refused")
        return ok, text

    def drop(self):
        if self.session is not None:
            self.session.close()
            self.session = None
        self.drops += 1

    def step(self):
        """One operation; a broken connection leaves it in doubt."""
        self.ops += 1
        r = self.rng.random()
        try:
            if not self.live or r < 0.35 or (len(self.live) < 5 and r < 0.6):
                self.do_append()
            elif r < 0.7:
                self.do_store(self.rng.choice(self.live))
            elif r < 0.85 or len(self.live) > 40:
                self.do_expunge(self.rng.choice(self.live))
            else:
                self.do_copy(self.rng.choice(self.live))
        except Dropped:
            self.ledger.count("in_doubt")
            try:
                self._session()     # reconnect now; the next step may drop again
            except Dropped:
                time.sleep(0.02)

    def do_append(self):
        self.n += 1
        msg = make_message(self.tag, self.n, self.rng)
        msg.append = False
        self.ledger.add(msg)
        ok, text = self._send("APPEND INBOX ()", msg.body)
        m = re.search(r"\[APPENDUID \d+ (\d+)\]", text)
        if ok and m:
            msg.append, msg.uid = True, int(m.group(1))
            self.live.append(msg)
            self.ledger.count("acked")
            self.ledger.acked(self.reply_ns, "append", msg)

    def _store(self, msg, flags):
        """UID STORE FLAGS, its outcome written down before an exception."""
        entry = [flags, False]
        msg.stores.append(entry)
        try:
            ok, _ = self._send("UID STORE %d FLAGS.SILENT (%s)"
                               % (msg.uid, " ".join(sorted(flags))))
        except Dropped as e:
            entry[1] = LATE if e.late else False
            raise
        entry[1] = ok
        if ok:
            self.ledger.acked(self.reply_ns, "store", msg, entry)
        return ok

    def do_store(self, msg):
        if self._store(msg, frozenset(f for f in FLAG_POOL if self.rng.random() < 0.4)):
            self.ledger.count("acked")

    def do_expunge(self, msg):
        self.live.remove(msg)       # in doubt or not, it is not changed again
        if not self._store(msg, frozenset(["\\Deleted"])):
            return
        msg.expunge = False
        ok, _ = self._send("UID EXPUNGE %d" % msg.uid)
        msg.expunge = ok
        if ok:
            self.ledger.count("acked")
            self.ledger.acked(self.reply_ns, "expunge", msg)

    def do_copy(self, msg):
        entry = [None, False]
        msg.copies.append(entry)
        ok, text = self._send('UID COPY %d "%s"' % (msg.uid, ARCHIVE))
        m = re.search(r"\[COPYUID \d+ \d+ (\d+)\]", text)
        if ok and m:
            entry[0], entry[1] = int(m.group(1)), True
            self.ledger.count("acked")
            self.ledger.acked(self.reply_ns, "copy", msg, entry)


def run_workers(workers, stop, on_error):
    """Threads running WORKERS' steps until the event STOP is set."""
    def loop(w):
        try:
            while not stop.is_set():
                w.step()
        except Exception as e:      # a bug in the client: report, do not hang
            on_error("%s: %s: %s" % (w.tag, type(e).__name__, e))
        finally:
            if w.session is not None:
                w.session.close()
    threads = [threading.Thread(target=loop, args=(w,), daemon=True) for w in workers]
    for t in threads:
        t.start()
    return threads


# ------------------------------------------------------------ verifying ---

def msgid_of(data):
    m = _MSGID_RE.search(data.split(b"\r\n\r\n", 1)[0])
    return m.group(1).decode() if m else None


def _allowed_flags(msg):
    """Final flag sets the ledger allows: the last acknowledged STORE (none:
    no flags) or any STORE sent after it that was not acknowledged."""
    allowed, last = [frozenset()], 0
    for i, (flags, acked) in enumerate(msg.stores):
        if acked is True:
            last = i + 1
            allowed = [flags]
    allowed += [flags for flags, acked in msg.stores[last:] if acked is not True]
    # a command that timed out may be carried out after later ones
    allowed += [flags for flags, acked in msg.stores[:last] if acked == LATE]
    return allowed


def verify(ledger, inbox, archive):
    """Compare LEDGER with snapshots {uid: (flags, bytes)} of INBOX and the
    archive.  Returns a dict of lists of problems (empty lists: all well)."""
    problems = {"lost": [], "garbled": [], "unknown": [], "duplicated": [],
                "flags": [], "resurrected": [], "renumbered": []}
    by_id = {}
    for box, snap in (("INBOX", inbox), (ARCHIVE, archive)):
        for uid, (flags, data) in snap.items():
            mid = msgid_of(data)
            msg = ledger.messages.get(mid)
            if msg is None:
                problems["unknown"].append("%s uid %d: %r" % (box, uid, data[:120]))
            elif data != msg.body:
                problems["garbled"].append("%s uid %d (%s): %d bytes, sent %d"
                                           % (box, uid, mid, len(data), len(msg.body)))
            by_id.setdefault((box, mid), []).append(uid)
    for mid, msg in ledger.messages.items():
        _verify_inbox(msg, inbox, by_id.get(("INBOX", mid), []), problems)
        _verify_copies(msg, archive, by_id.get((ARCHIVE, mid), []), problems)
    return problems


def _verify_inbox(msg, inbox, uids, problems):
    mid = msg.msgid
    if len(uids) > 1:
        problems["duplicated"].append("INBOX %s at uids %s" % (mid, uids))
    if msg.expunge is True:
        if uids:
            problems["resurrected"].append("INBOX %s uid %s expunged (acked)" % (mid, uids))
        return
    if msg.append == DELIVERED and not uids and msg.expunge is None:
        problems["lost"].append("INBOX %s (put into new/) absent" % mid)
    if msg.append is True:
        if msg.uid not in uids and msg.expunge is None:
            where = "absent" if not uids else "at uid %s instead" % uids
            problems["lost"].append("INBOX %s APPENDUID %d %s" % (mid, msg.uid, where))
            return
        if msg.uid not in uids:
            return                  # its UID EXPUNGE is in doubt
        flags = inbox[msg.uid][0]
        if flags not in _allowed_flags(msg):
            problems["flags"].append("INBOX %s uid %d flags %s, ledger allows %s" % (
                mid, msg.uid, sorted(flags), [sorted(a) for a in _allowed_flags(msg)]))


def _verify_copies(msg, archive, uids, problems):
    mid = msg.msgid
    if len(uids) > len(msg.copies):
        problems["duplicated"].append("%s %s %d times, copied %d times"
                                      % (ARCHIVE, mid, len(uids), len(msg.copies)))
    for dest, acked in msg.copies:
        if acked and dest not in uids:
            if uids:
                # the mail is there, under a UID Dovecot gave it again
                problems["renumbered"].append("%s %s COPYUID %d at uid %s instead"
                                              % (ARCHIVE, mid, dest, uids))
            else:
                problems["lost"].append("%s %s COPYUID %d absent" % (ARCHIVE, mid, dest))


def ledger_totals(ledgers):
    out = {"acked": 0, "in_doubt": 0, "refused": 0, "messages": 0}
    for led in ledgers:
        for k, v in led.counts.items():
            out[k] += v
        out["messages"] += len(led.messages)
    return out


def corruption_lines(text):
    return [line for line in text.splitlines()
            if CORRUPTION_RE.search(line) and not KILL_REPORT_RE.search(line)]
