#!/usr/bin/env python3
"""See ticketd work, end to end, on loopback (run by ../demo.sh).

Starts a throwaway Dovecot and SMTP sink under a new temporary directory,
puts sample mail into the support mailbox, runs `ticketd --once`, shows
the tickets with ticketctl and the acknowledgements the sink received, then
stops the servers.  The directory is kept so you can look at it afterwards.

    python3 tests/demo.py [--workdir DIR]

Sample mail: tests/data/mail/*.eml when there are any, else a few built-in
ones (a question, a reply to it, a Chinese mail in GBK, an out-of-office).
"""

import argparse
import base64
import email
import email.policy
import email.utils
import glob
import json
import os
import sys
import tempfile
import time

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testbed  # noqa: E402
from testbed import Testbed  # noqa: E402


def builtin_mails():
    """[(label, bytes)] of the built-in samples."""
    now = email.utils.formatdate(localtime=True)
    q_id = "<demo-question-1@customer.example.net>"
    question = (
        "From: Alice Customer <alice@example.net>\n"
        "To: Support <support@example.com>\n"
        "Subject: My printer prints only blank pages\n"
        "Date: %s\n"
        "Message-ID: %s\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "\n"
        "Hello,\n\nsince this morning the printer on the 2nd floor only\n"
        "prints blank pages. Can you help?\n\nAlice\n" % (now, q_id))
    reply = (
        "From: Alice Customer <alice@example.net>\n"
        "To: Support <support@example.com>\n"
        "Subject: Re: My printer prints only blank pages\n"
        "Date: %s\n"
        "Message-ID: <demo-question-2@customer.example.net>\n"
        "In-Reply-To: %s\n"
        "References: %s\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "\n"
        "One more thing: the toner was replaced last week.\n\nAlice\n"
        % (now, q_id, q_id))

    def ew(s):
        return "=?GBK?B?" + base64.b64encode(s.encode("gbk")).decode() + "?="
    chinese = (
        ("From: %s <zhang.san@example.cn>\n"
         "To: support@example.com\n"
         "Subject: %s\n"
         "Date: %s\n"
         "Message-ID: <demo-zh-1@example.cn>\n"
         "MIME-Version: 1.0\n"
         "Content-Type: text/plain; charset=GBK\n"
         "Content-Transfer-Encoding: 8bit\n"
         "\n" % (ew("张三"), ew("发票金额有误"), now)).encode("ascii")
        + "您好，\n我上个月的发票金额不对，请帮忙核实。\n谢谢！\n".encode("gbk"))
    ooo = (
        "From: Bob Away <bob@example.org>\n"
        "To: support@example.com\n"
        "Subject: Automatic reply: Out of office\n"
        "Date: %s\n"
        "Message-ID: <demo-ooo-1@example.org>\n"
        "Auto-Submitted: auto-replied\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "\n"
        "I am out of the office until Monday.\n" % now)
    return [("question", question.encode()),
            ("reply to the question", reply.encode()),
            ("Chinese mail in GBK", chinese),
            ("out-of-office auto-reply", ooo.encode())]


def sample_mails(srcdir):
    files = sorted(glob.glob(os.path.join(srcdir, "tests", "data", "mail",
                                          "*.eml")))
    if not files:
        return builtin_mails()
    out = []
    for f in files:
        with open(f, "rb") as fh:
            out.append((os.path.relpath(f, srcdir), fh.read()))
    return out


def header_line(raw, name):
    """A header for display: decoded, on one line, hostile bits defused."""
    m = email.message_from_bytes(raw, policy=email.policy.default)
    try:
        v = str(m.get(name, "") or "")
    except Exception:
        v = str(email.message_from_bytes(raw).get(name, "") or "")
    v = " ".join(v.split())
    v = "".join(ch if ch.isprintable() else "?" for ch in v)
    return v[:100] + ("..." if len(v) > 100 else "")


def section(n, title):
    print()
    print("%d. %s" % (n, title))


def indent(text, prefix="   "):
    if not text.strip():
        return prefix + "(nothing)"
    return "\n".join((prefix + line).rstrip()
                     for line in text.rstrip("\n").split("\n"))


def run_ctl(tb, *args):
    """ticketctl output for people: its plain output, else pretty JSON."""
    r = tb.run_ticketctl(*args)
    if r.returncode == 0 and r.stdout_text.strip():
        return r.stdout_text
    r2 = tb.run_ticketctl(*args, "--json")
    if r2.returncode == 0:
        try:
            return json.dumps(json.loads(r2.stdout_text), indent=2,
                              ensure_ascii=False) + "\n"
        except ValueError:
            return r2.stdout_text
    return "ticketctl %s failed (exit %d): %s\n" % (
        " ".join(args), r.returncode, r.stderr_text.strip())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workdir", help="directory to use (default: new "
                    "/tmp/ticketd-demo-XXXXXX)")
    args = ap.parse_args()

    srcdir, bdir = testbed.srcdir(), testbed.builddir()
    for prog in ("ticketd", "ticketctl"):
        if not os.access(os.path.join(bdir, prog), os.X_OK):
            print("demo: %s is not built in %s (run ./demo.sh or make)"
                  % (prog, bdir), file=sys.stderr)
            return 1
    if not testbed.find_dovecot():
        print("demo: dovecot not found (apt-get install dovecot-imapd)",
              file=sys.stderr)
        return 1
    if not testbed.find_aiosmtpd_python():
        print("demo: aiosmtpd not found (apt-get install python3-aiosmtpd)",
              file=sys.stderr)
        return 1

    workdir = args.workdir or tempfile.mkdtemp(prefix="ticketd-demo-")
    tb = Testbed(workdir, keep=True)
    testbed.install_signal_handlers()
    ticketd = os.path.join(bdir, "ticketd")
    ticketctl = os.path.join(bdir, "ticketctl")
    rc = 0
    print("ticketd demo")
    print("============")
    print("Everything happens on 127.0.0.1 under %s" % tb.workdir)
    try:
        section(1, "Starting a throwaway Dovecot IMAP server")
        tb.start_dovecot({"support": "secret"})
        print("   imap://127.0.0.1:%d/INBOX  user: support  password: secret"
              % tb.imap_port)

        section(2, "Starting an SMTP sink (it keeps every mail it receives)")
        tb.start_smtp()
        print("   smtp://127.0.0.1:%d  ->  Maildir %s"
              % (tb.smtp_port, tb.sink_dir))

        section(3, "Writing the ticketd configuration")
        conf = tb.write_config()
        print("   %s:" % conf)
        with open(conf) as f:
            print(indent(f.read(), "   | "))

        mails = sample_mails(srcdir)
        section(4, "Delivering %d sample mail%s to the support mailbox"
                % (len(mails), "" if len(mails) == 1 else "s"))
        for label, raw in mails:
            try:
                tb.append("support", "INBOX", raw)
            except Exception as e:
                print("   ! %s: not delivered (%s)" % (label, e))
                continue
            print("   - %s" % label)
            print("       From: %s" % header_line(raw, "From"))
            print("       Subject: %s" % header_line(raw, "Subject"))

        section(5, "Running: %s -c %s --once" % (ticketd, conf))
        t0 = time.monotonic()
        r = tb.run_ticketd("--once", timeout=120)
        print("   exit status %d after %.1f s; its log (stderr):"
              % (r.returncode, time.monotonic() - t0))
        log = r.stderr_text.splitlines()
        print(indent("\n".join(log[-25:]), "   | "))
        if r.returncode != 0:
            rc = 1

        section(6, "Tickets: %s -c %s list" % (ticketctl, conf))
        print(indent(run_ctl(tb, "list")))

        tickets = []
        r = tb.run_ticketctl("list", "--json")
        if r.returncode == 0:
            try:
                tickets = json.loads(r.stdout_text)
            except ValueError:
                pass
        shown = []
        if tickets:
            shown.append(tickets[0]["id"])
            # and the ticket with the most messages, if another one
            best = None
            for t in tickets[:20]:
                r = tb.run_ticketctl("show", str(t["id"]), "--json")
                try:
                    n = len(json.loads(r.stdout_text).get("messages", []))
                except (ValueError, AttributeError):
                    continue
                if best is None or n > best[0]:
                    best = (n, t["id"])
            if best and best[1] not in shown:
                shown.append(best[1])
        for i, tid in enumerate(shown):
            section(7 + i, "One ticket in full: %s -c %s show %s"
                    % (ticketctl, conf, tid))
            print(indent(run_ctl(tb, "show", str(tid))))
        n = 7 + len(shown)

        section(n, "Acknowledgements the SMTP sink received")
        acks = tb.wait_sink(1, timeout=2)
        if not acks:
            print("   (none)")
        for m in acks:
            raw = m.as_bytes()
            for h in ("From", "To", "Subject"):
                print("   %-8s %s" % (h + ":", header_line(raw, h)))
            print()
    except Exception as e:
        print("\ndemo failed: %s" % e, file=sys.stderr)
        rc = 1
    finally:
        tb.cleanup(remove=False)
    print()
    print("Servers stopped.  Everything is kept in %s:" % tb.workdir)
    print("   ticketd.conf     the configuration used")
    print("   tickets.db       the ticket database (sqlite3)")
    print("   sink/new/        the mails ticketd sent")
    print("   dovecot/mail/    the IMAP mailbox")
    print("Look again with: %s -c %s list" % (ticketctl, tb.config_path
                                               or "DIR/ticketd.conf"))
    print("Remove it with:  rm -rf %s" % tb.workdir)
    return rc


if __name__ == "__main__":
    sys.exit(main())
