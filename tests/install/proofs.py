#!/usr/bin/env python3
"""proofs.py - the install test's client side, run in the test's network
namespace: IMAP logins, SMTP submissions and an SMTP sink standing in for the
outside world.  Each subcommand exits 0 when what it proves holds, else
prints why and exits 1.

  sink ADDR PORT DIR              accept mail forever, one file per message
  imap HOST USER PASSWORD MARKER  log in (STARTTLS) and find MARKER in INBOX
  send HOST FROM TO MARKER        submit one message; exit 0 if accepted
  refused HOST FROM TO            exit 0 if the server refuses the message
"""
import imaplib
import os
import smtplib
import socketserver
import ssl
import sys
import time


def tls():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def imap(host, user, password, marker):
    deadline = time.time() + 30
    while True:
        c = imaplib.IMAP4(host, 143, timeout=10)
        try:
            c.starttls(ssl_context=tls())
            c.login(user, password)
            c.select("INBOX", readonly=True)
            typ, data = c.search(None, "BODY", marker)
            if typ == "OK" and data[0].split():
                print("imap: %s logged in on %s and found %s" % (user, host, marker))
                return 0
        finally:
            try:
                c.logout()
            except Exception:
                pass
        if time.time() > deadline:
            print("imap: %s has no message %s" % (user, marker))
            return 1
        time.sleep(1)


def message(sender, rcpt, marker):
    return ("From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\n\r\n%s\r\n" % (sender, rcpt, marker, marker))


def send(host, sender, rcpt, marker):
    with smtplib.SMTP(host, 25, timeout=30) as s:
        s.sendmail(sender, [rcpt], message(sender, rcpt, marker))
    print("send: %s -> %s accepted by %s" % (sender, rcpt, host))
    return 0


def refused(host, sender, rcpt):
    try:
        with smtplib.SMTP(host, 25, timeout=30) as s:
            s.sendmail(sender, [rcpt], message(sender, rcpt, "refused"))
    except smtplib.SMTPException as e:
        print("refused: %s -> %s: %s" % (sender, rcpt, e))
        return 0
    print("refused: %s -> %s was accepted" % (sender, rcpt))
    return 1


class Sink(socketserver.StreamRequestHandler):
    """Just enough SMTP to take a relayed message and keep it."""

    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.reply("220 sink ESMTP")
        data = None
        for raw in self.rfile:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if data is not None:
                if line == ".":
                    path = os.path.join(self.server.dir, "%d.%d" % (time.time_ns(), os.getpid()))
                    with open(path, "w") as f:
                        f.write("\n".join(data))
                    data = None
                    self.reply("250 kept")
                else:
                    data.append(line)
                continue
            verb = line[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 sink")
            elif verb == "DATA":
                data = []
                self.reply("354 go on")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


def sink(addr, port, directory):
    server = socketserver.ThreadingTCPServer((addr, int(port)), Sink)
    server.dir = directory
    server.serve_forever()


def main(argv):
    cmd = {"imap": imap, "send": send, "refused": refused, "sink": sink}[argv[1]]
    return cmd(*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
