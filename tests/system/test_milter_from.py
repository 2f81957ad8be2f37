"""test_milter_from.py - spoofing hosted senders through odd From: headers and
envelope senders is refused (docs/MILTER.md 2): a real
Postfix with the shipped milter lines, the milter, Dovecot SASL and Redis set
up with hbctl.  Unauthenticated clients may not pass a hosted domain through
two From: headers, lists, groups, huge or unreadable headers, quoted or routed
envelope senders; authenticated logins may not pass another address through
obsolete header syntax (`From :`, case variants) or several From: addresses.
milter_from_ambiguous = reject (default) refuses every ambiguous From:;
= worst judges every address a reader could take from it.
"""

import os
import signal
import smtplib
import time

import pytest

import harness
from test_milter import Mail

DOMAIN = "from.example"            # hosted, unauth_sender = reject
IDN = "bücher-from.example"        # hosted, IDN
FOREIGN = "elsewhere.example"      # not hosted
PROXY_IP = "127.0.0.33"
@pytest.fixture(scope="module")
def mail(cluster, tmp_path_factory):
    """Director with USERDB, a hosted Dovecot proxy for SASL, the milter (its
    shipped defaults) and a Postfix using both; hosted domains made with hbctl."""
    env = cluster.env
    d = harness.userdb_director(env, "dmfrom", cluster.redis)
    proxy = env.add(harness.DovecotHostedProxy(env, "pmfrom", PROXY_IP, d.socket,
                                               d.userdb)).start()
    milter = env.add(harness.Milter(env, "mfrom", cluster.redis)).start()
    pf = env.add(harness.Postfix(env, "pfmfrom", d.socketmap, DOMAIN,
                                 sasl_path=proxy.sasl_socket, milter=milter)).start()
    pw = tmp_path_factory.mktemp("mfrom") / "pw"
    pw.write_text("pass\n")
    os.chmod(pw, 0o600)
    for dom in (DOMAIN, IDN):
        cluster.hbctl_ok("domain", "add", dom)
    m = Mail(cluster, d, proxy, milter, pf, str(pw))
    m.mailbox("me@" + DOMAIN)
    m.mailbox("boss@" + DOMAIN)
    m.mailbox("alt@" + DOMAIN)
    cluster.hbctl_ok("sender", "allow", "me@" + DOMAIN, "alt@" + DOMAIN)
    yield m
    for svc in (pf, milter, proxy, d):
        svc.stop()


def raw_message(header_block, body="hello\r\n"):
    """HEADER_BLOCK (str, CRLF-separated, may hold surrogate-escaped bytes)
    plus To/Subject and a body, as bytes."""
    data = header_block + "To: <rcpt@example.com>\r\nSubject: test\r\n\r\n" + body
    return data.encode("utf-8", "surrogateescape")


def send(pf, login, sender, data, raw_sender=False):
    """One transaction to rcpt@example.com (after AUTH as LOGIN, if given).
    RAW_SENDER sends SENDER as the MAIL FROM argument exactly as given.
    Returns (stage, code, text)."""
    port = pf.submission_port if login else pf.port
    s = smtplib.SMTP(pf.host, port, timeout=30)
    try:
        s.ehlo("client.systest.invalid")
        if login:
            s.login(login, "pass")
        if raw_sender:      # as given, UTF-8 included (smtplib would refuse)
            utf8 = " SMTPUTF8" if not sender.isascii() else ""
            s.send(("MAIL FROM:%s%s\r\n" % (sender, utf8)).encode("utf-8"))
            code, text = s.getreply()
        else:
            code, text = s.mail(sender)
        if code != 250:
            return ("mail", code, text.decode())
        code, text = s.rcpt("rcpt@example.com")
        if code != 250:
            return ("rcpt", code, text.decode())
        code, text = s.data(data)
        return ("ok" if code == 250 else "data", code, text.decode())
    finally:
        try:
            s.quit()
        except smtplib.SMTPException:
            s.close()


def use_mode(mail, mode):
    """Reload the milter with milter_from_ambiguous = MODE (None: default)."""
    m = mail.milter
    before = open(m.log_path).read().count("configuration reloaded")
    m.write_conf("" if mode is None else "milter_from_ambiguous = %s\n" % mode)
    m.signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while open(m.log_path).read().count("configuration reloaded") == before:
        assert time.monotonic() < deadline, "milter did not reload"
        time.sleep(0.05)


@pytest.fixture
def worst(mail):
    use_mode(mail, "worst")
    yield
    use_mode(mail, None)


H = DOMAIN
F = FOREIGN
BIG_NAME = "A" * 9000
HUGE_NAME = "B" * 70000

# Unauthenticated, foreign envelope sender: From: blocks that must be refused
# with the default milter_from_ambiguous = reject.
UNAUTH_SPOOFS = [
    ("two From: headers", "From: <x@%s>\r\nFrom: <ceo@%s>\r\n" % (F, H)),
    ("two From: headers, hosted first", "From: <ceo@%s>\r\nFrom: <x@%s>\r\n" % (H, F)),
    ("list, one unreadable", "From: <x@%s>, ceo@%s <y@>\r\n" % (F, H)),
    ("list of two readable", "From: <x@%s>, <ceo@%s>\r\n" % (F, H)),
    ("group", "From: Board: ceo@%s;\r\n" % H),
    ("empty group", "From: undisclosed-senders:;\r\n"),
    ("9 KB display name", "From: \"%s\" <ceo@%s>\r\n" % (BIG_NAME, H)),
    ("70 KB display name", "From: \"%s\" <ceo@%s>\r\n" % (HUGE_NAME, H)),
    ("source route", "From: <@relay.%s:ceo@%s>\r\n" % (F, H)),
    ("angle-addr inside a quoted string only", "From: \"Boss <ceo@%s>\"\r\n" % H),
    ("address only in a comment", "From: (ceo@%s)\r\n" % H),
    ("no address", "From: The Board\r\n"),
    ("empty From:", "From:\r\n"),
    ("blank From:", "From:   \r\n"),
    ("encoded-word in the address (Mailsploit)",
     "From: =?utf-8?b?Y2VvQGZyb20uZXhhbXBsZQ==?==?utf-8?Q?=00?=@%s\r\n" % F),
    ("8-bit byte that is not UTF-8", "From: caf\udce9 <ceo@%s>\r\n" % H),
    ("domain literal", "From: <ceo@[127.0.0.1]>\r\n"),
    ("unbalanced quote", "From: \"ceo <ceo@%s>\r\n" % H),
    ("NUL hiding the rest from milters", "From: <x@%s>\x00<ceo@%s>\r\n" % (F, H)),
]

# Hosted addresses in forms that are still the hosted address: refused.
UNAUTH_HOSTED_FORMS = [
    ("plain", "From: <ceo@%s>\r\n" % H),
    ("upper case", "From: <CEO@%s>\r\n" % H.upper()),
    ("trailing dot", "From: <ceo@%s.>\r\n" % H),
    ("IDN U-label", "From: <ceo@%s>\r\n" % IDN),
    ("IDN upper-case U-label", "From: <ceo@%s>\r\n" % IDN.upper()),
    ("IDN A-label", "From: <ceo@xn--bcher-from-9db.example>\r\n"),
    ("comment before the address", "From: (x@%s) ceo@%s\r\n" % (F, H)),
    ("folded value", "From: Boss\r\n <ceo@%s>\r\n" % H),
]


# ------------------------------------------------ unauthenticated clients ---

@pytest.mark.parametrize("what, headers", UNAUTH_SPOOFS, ids=[c[0] for c in UNAUTH_SPOOFS])
def test_unauthenticated_ambiguous_from_is_refused(mail, what, headers):
    """Unauthenticated mail whose From: is ambiguous (two headers, lists, groups, unreadable, huge, no address) gets a clear 5xx with milter_from_ambiguous at its default, and the milter keeps serving."""
    stage, code, text = send(mail.postfix, None, "x@" + F, raw_message(headers))
    assert stage == "data" and code in (550, 552, 554), (what, code, text)
    assert mail.milter.alive()


@pytest.mark.parametrize("what, headers", UNAUTH_HOSTED_FORMS,
                         ids=[c[0] for c in UNAUTH_HOSTED_FORMS])
def test_unauthenticated_hosted_from_forms_are_refused(mail, what, headers):
    """A hosted From: address in any spelling a reader takes as that address (case, trailing dot, IDN forms, comments, folding) is refused 550 5.7.1 for an unauthenticated client."""
    stage, code, text = send(mail.postfix, None, "x@" + F, raw_message(headers))
    assert (stage, code) == ("data", 550) and "5.7.1" in text, (what, text)


@pytest.mark.parametrize("sender", [
    '<"c e o"@%s>' % H,
    '<"ceo@%s"@%s>' % (F, H),
    "<ceo@%s.>" % H,
    "<CEO@%s>" % H.upper(),
    "<ceo@%s>" % IDN,
    "<@relay.%s:ceo@%s>" % (F, H),
])
def test_unauthenticated_hosted_envelope_forms_are_refused(mail, sender):
    """An unauthenticated envelope sender in a hosted domain is refused at MAIL FROM in every form Postfix accepts: quoted local parts, trailing dot, case, IDN, source routes."""
    stage, code, text = send(mail.postfix, None, sender,
                             raw_message("From: <x@%s>\r\n" % F), raw_sender=True)
    assert stage == "mail" and code in (550, 553, 501), (sender, code, text)
    assert "5.7.1" in text or code != 550, text


def test_unauthenticated_foreign_mail_still_passes(mail):
    """Foreign mail with one readable foreign From: passes, also with a display name or comment that names a hosted address (as mailing lists write it) and with no From: at all."""
    for headers in ("From: <x@%s>\r\n" % F,
                    "From: Someone <x@%s>\r\n" % F,
                    "From: \"'ceo@%s' via List\" <list@%s>\r\n" % (H, F),
                    "From: x@%s (ceo@%s)\r\n" % (F, H),
                    ""):
        stage, code, text = send(mail.postfix, None, "x@" + F, raw_message(headers))
        assert (stage, code) == ("ok", 250), (headers, text)


def test_worst_mode_judges_every_address(mail, worst):
    """With milter_from_ambiguous = worst, an ambiguous From: is refused when any address a reader could take from it is hosted (also in comments, groups, quoted strings and encoded-words), and passes when none is."""
    refused = [
        "From: <x@%s>\r\nFrom: <ceo@%s>\r\n" % (F, H),
        "From: <x@%s>, ceo@%s <y@>\r\n" % (F, H),
        "From: Board: ceo@%s;\r\n" % H,
        "From: \"%s\" <ceo@%s>\r\n" % (BIG_NAME, H),
        # past Postfix's 60 000-byte header cut with milters, the message
        # keeps what the milter saw: here the address comes first
        "From: ceo@%s (%s)\r\n" % (H, HUGE_NAME),
        "From: (ceo@%s)\r\n" % H,
        "From: \"Boss <ceo@%s>\"\r\n" % H,
        "From: =?utf-8?b?Y2VvQGZyb20uZXhhbXBsZQ==?==?utf-8?Q?=00?=@%s\r\n" % F,
        "From: =?utf-8?q?ceo=40from=2Eexample?= <bad@>\r\n",
        "From: caf\udce9 <ceo@%s>\r\n" % H,
        "From: <ceo@%s>, <x@%s>\r\n" % (IDN.upper(), F),
    ]
    for headers in refused:
        stage, code, text = send(mail.postfix, None, "x@" + F, raw_message(headers))
        assert stage == "data" and code == 550, (headers[:200], code, text)
    passed = [
        # cut by Postfix before the address: delivered without it
        "From: \"%s\" <ceo@%s>\r\n" % (HUGE_NAME, H),
        "From: <x@%s>\r\nFrom: <y@%s>\r\n" % (F, F),
        "From: <x@%s>, <y@%s>\r\n" % (F, F),
        "From: undisclosed-senders:;\r\n",
        "From: Board: x@%s;\r\n" % F,
        "From:\r\n",
    ]
    for headers in passed:
        stage, code, text = send(mail.postfix, None, "x@" + F, raw_message(headers))
        assert (stage, code) == ("ok", 250), (headers, text)


# -------------------------------------------------- authenticated logins ---

OBSOLETE_NAMES = ["From :", "From  :", "From\t:", "From \t :", "FROM:", "fRoM:", "from :"]


@pytest.mark.parametrize("first", [True, False], ids=["first line", "later line"])
@pytest.mark.parametrize("name", OBSOLETE_NAMES)
def test_obsolete_from_header_syntax_is_checked(mail, name, first):
    """A From: header in obsolete syntax (WSP or tab before the colon, any case), as the first header line (which Postfix's smtpd renames X-Mailbox-Line when it starts "From ") or a later one, is checked against the login's sender rights like From: itself: 550 5.7.1 naming the address."""
    me = "me@" + DOMAIN
    before = "" if first else "Subject: first\r\n"
    headers = before + "%s <boss@%s>\r\n" % (name, DOMAIN)
    stage, code, text = send(mail.postfix, me, me, raw_message(headers))
    assert (stage, code) == ("data", 550) and "boss@" + DOMAIN in text, (name, text)
    stage, code, text = send(mail.postfix, me, me,
                             raw_message(before + "%s <%s>\r\n" % (name, me)))
    assert (stage, code) == ("ok", 250), (name, text)


def test_folded_from_header_is_checked(mail):
    """A folded From: value, and a name folded away from its colon (which Postfix then ends the header block at), never lets another address through."""
    me = "me@" + DOMAIN
    for headers in ("From:\r\n <boss@%s>\r\n" % DOMAIN,
                    "Subject: x\r\nFrom :\r\n <boss@%s>\r\n" % DOMAIN,
                    "From: Me\r\n\t<boss@%s>\r\n" % DOMAIN):
        stage, code, text = send(mail.postfix, me, me, raw_message(headers))
        assert (stage, code) == ("data", 550), (headers, text)
    # a name folded away from its colon is no header: the block ends there
    # and "From" is body text; Postfix's smtpd keeps only the first line of
    # a first "From :" (X-Mailbox-Line), its folded rest is not in the
    # header either: nothing reaches a reader as From: boss
    for headers in ("From: <%s>\r\nFrom\r\n : <boss@%s>\r\n" % (me, DOMAIN),
                    "From :\r\n <boss@%s>\r\n" % DOMAIN):
        stage, code, text = send(mail.postfix, me, me, raw_message(headers))
        assert stage == "ok" or (stage, code) == ("data", 550), (headers, text)


def test_authenticated_several_from_addresses(mail):
    """For a login, several From: addresses or headers are refused by default; with milter_from_ambiguous = worst each must be one the login may use; an unreadable From: is refused either way."""
    me = "me@" + DOMAIN
    alt = "alt@" + DOMAIN
    boss = "boss@" + DOMAIN
    allowed_pair = ["From: <%s>, <%s>\r\n" % (me, alt),
                    "From: <%s>\r\nFrom: <%s>\r\n" % (me, alt),
                    "From: <%s>\r\nFROM : <%s>\r\n" % (me, alt)]
    bad_pair = ["From: <%s>, <%s>\r\n" % (me, boss),
                "From: <%s>\r\nFrom: <%s>\r\n" % (me, boss),
                "From: <%s>\r\nFrom : <%s>\r\n" % (me, boss),
                "From: <%s>\r\nfrom: Board: %s;\r\n" % (me, boss)]
    for headers in allowed_pair + bad_pair:
        stage, code, text = send(mail.postfix, me, me, raw_message(headers))
        assert (stage, code) == ("data", 550), (headers, text)
    use_mode(mail, "worst")
    try:
        for headers in allowed_pair:
            stage, code, text = send(mail.postfix, me, me, raw_message(headers))
            assert (stage, code) == ("ok", 250), (headers, text)
        for headers in bad_pair:
            stage, code, text = send(mail.postfix, me, me, raw_message(headers))
            assert (stage, code) == ("data", 550), (headers, text)
    finally:
        use_mode(mail, None)
