"""Shared pieces of ticketd's integration suites (run-integration,
run-agents): assertions, test mail builders, the per-case context and the
TAP runner.

A suite script puts this directory and tests/ on sys.path, registers its
cases with @case(name) and ends with sys.exit(common.main(__doc__)).
Every case gets its own IMAP user, database, config and an emptied sink;
the servers are shared and restarted when a case left them stopped.
"""

import argparse
import datetime
import email
import email.policy
import email.utils
import json
import os
import re
import sys
import time
import traceback
from email.message import EmailMessage

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True     # no __pycache__ in the source tree
if os.path.join(HERE, "..") not in sys.path:
    sys.path.insert(0, os.path.join(HERE, ".."))

import testbed  # noqa: E402
from testbed import Testbed  # noqa: E402

# --- assertions --------------------------------------------------------------

class Failure(Exception):
    pass


class Skip(Exception):
    """Raised by a case that cannot run here (TAP "ok N - name # SKIP")."""


def ok(cond, what):
    if not cond:
        raise Failure(what)


def eq(got, want, what):
    if got != want:
        raise Failure("%s: got %r, want %r" % (what, got, want))


def contains(haystack, needle, what):
    if haystack is None or needle not in haystack:
        raise Failure("%s: %r not found in %r" % (what, needle,
                                                  _short(haystack)))


def _short(s, n=400):
    s = repr(s) if not isinstance(s, str) else s
    return s if len(s) <= n else s[:n] + "...[%d more]" % (len(s) - n)


def norm_id(mid):
    """Message-ID without angle brackets and blanks, for comparisons."""
    return (mid or "").strip().strip("<>").strip()


def collapse(s):
    return re.sub(r"\s+", " ", s or "").strip()


def iso8601(s, what):
    try:
        datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise Failure("%s: %r is not ISO-8601" % (what, s))


# --- test mail ---------------------------------------------------------------

CUSTOMER = ("Alice Customer", "alice@example.net")
SUPPORT = "support@example.com"
_seq = [0]


def make_msgid(tag="m"):
    _seq[0] += 1
    return "<%s.%d.%d.%d@customer.example.net>" % (
        tag, os.getpid(), int(time.time() * 1000), _seq[0])


def mail(subject, body="Hello,\n\nmy printer is broken.\n\nAlice\n",
         frm=CUSTOMER, to=("Support", SUPPORT), msgid=True, headers=None):
    """A text/plain mail; returns (bytes, message_id or None)."""
    m = EmailMessage(policy=email.policy.default)
    m["From"] = email.utils.formataddr(frm)
    m["To"] = email.utils.formataddr(to)
    m["Subject"] = subject
    m["Date"] = email.utils.formatdate(localtime=True)
    mid = None
    if msgid:
        mid = make_msgid() if msgid is True else msgid
        m["Message-ID"] = mid
    for k, v in (headers or {}).items():
        m[k] = v
    m.set_content(body)
    return m.as_bytes(), mid



# --- one case's context --------------------------------------------------------

class Ctx:
    """What a test case works with: its own IMAP user, database, config."""

    def __init__(self, tb, user, casedir):
        self.tb = tb
        self.user = user
        self.dir = casedir
        self.runs = []
        self.logs = []          # extra log files for failure reports
        os.makedirs(casedir, exist_ok=True)
        self.db = os.path.join(casedir, "tickets.db")
        self.config()

    def config(self, **kw):
        """(Re)write this case's config; kw as for Testbed.write_config."""
        db = kw.pop("database", {})
        db.setdefault("path", self.db)
        kw.setdefault("user", self.user)    # user=None: no user key
        self.conf = self.tb.write_config(
            path=os.path.join(self.dir, "ticketd.conf"),
            database=db, **kw)
        return self.conf

    # servers
    def append(self, raw, folder="INBOX", flags=None):
        self.tb.append(self.user, folder, raw, flags=flags)

    def imap_messages(self, folder="INBOX"):
        return self.tb.messages(self.user, folder)

    # programs
    def ticketd(self, *args, input=None, timeout=60):
        r = self.tb.run_ticketd(*args, input=input, timeout=timeout,
                                config=self.conf)
        self.runs.append(("ticketd " + " ".join(args), r))
        return r

    def once(self, expect_rc=0):
        """ticketd --once; fails the case unless it exits expect_rc."""
        r = self.ticketd("--once")
        ok(not r.timed_out, "ticketd --once did not finish in time")
        if expect_rc is not None:
            eq(r.returncode, expect_rc, "ticketd --once exit status")
        return r

    def ctl(self, *args):
        r = self.tb.run_ticketctl(*args, "--json", config=self.conf)
        self.runs.append(("ticketctl " + " ".join(args) + " --json", r))
        if r.returncode != 0:
            raise Failure("ticketctl %s --json exited %d: %s"
                          % (" ".join(args), r.returncode,
                             r.stderr_text.strip()[-500:]))
        try:
            return json.loads(r.stdout_text)
        except ValueError as e:
            raise Failure("ticketctl %s --json: bad JSON (%s): %s"
                          % (" ".join(args), e, _short(r.stdout_text)))

    def ctl_raw(self, *args, input=None):
        """ticketctl ARGS... as given (no --json added); returns the
        CompletedProcess whatever its exit status."""
        r = self.tb.run_ticketctl(*args, input=input, config=self.conf)
        self.runs.append(("ticketctl " + " ".join(args), r))
        return r

    def ctl_ok(self, *args, input=None):
        """ticketctl ARGS...; fails the case unless it exits 0."""
        r = self.ctl_raw(*args, input=input)
        if r.returncode != 0:
            raise Failure("ticketctl %s exited %d: %s"
                          % (" ".join(args), r.returncode,
                             r.stderr_text.strip()[-500:]))
        return r

    # the database
    def sql(self, statement, params=()):
        return self.tb.db_execute(statement, params, db=self.db)

    def age_ticket(self, tid, seconds, *columns):
        """Move the ticket's timestamps (default created) seconds back."""
        try:
            self.tb.age_ticket(tid, seconds, columns or ("created",),
                               db=self.db)
        except testbed.TestbedError as e:
            raise Failure(str(e))

    def tickets(self, *args):
        t = self.ctl("list", *args)
        ok(isinstance(t, list), "ticketctl list --json is not an array: %r"
           % _short(t))
        return t

    def show(self, tid):
        s = self.ctl("show", str(tid))
        ok(isinstance(s, dict), "ticketctl show --json is not an object")
        ok(isinstance(s.get("messages"), list), "show: no messages array")
        return s

    def only_ticket(self):
        ts = self.tickets()
        eq(len(ts), 1, "number of tickets")
        return ts[0]

    def find_message(self, mid):
        """(ticket, message) holding Message-ID mid, searching all tickets."""
        for t in self.tickets():
            s = self.show(t["id"])
            for m in s["messages"]:
                if norm_id(m.get("message_id")) == norm_id(mid):
                    return s, m
        raise Failure("no ticket holds message %s" % mid)

    # sink
    def acks(self, n, timeout=5.0, grace=0.3):
        """Exactly n mails at the sink (waits for them, then a grace period
        to catch extra ones)."""
        ms = self.tb.wait_sink(n, timeout=timeout)
        time.sleep(grace)
        ms = self.tb.sink_messages()
        if len(ms) != n:
            raise Failure("SMTP sink has %d mails, want %d%s"
                          % (len(ms), n, "".join(
                              "\n  - To: %s (envelope %s) Subject: %s"
                              % (m["To"], m["X-RcptTo"], m["Subject"])
                              for m in ms)))
        return ms

    def diagnostics(self):
        out = ["case dir: %s" % self.dir]
        for name, r in self.runs[-3:]:
            out.append("$ %s -> exit %s%s" % (name, r.returncode,
                                              " (timed out)" if r.timed_out
                                              else ""))
            err = r.stderr_text.strip().splitlines()
            for line in err[-15:]:
                out.append("  stderr: " + line)
        for path in self.logs:
            out.append("--- %s ---" % path)
            out.extend(testbed._tail(path, 20).splitlines())
        return out


def in_messages(show):
    return [m for m in show["messages"] if m.get("direction") == "in"]


def out_messages(show):
    return [m for m in show["messages"] if m.get("direction") == "out"]


def plain_body(msg):
    part = msg.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part is not None else ""


def addr(header_value):
    """(display_name, addr_spec) of the first address of a parsed header."""
    a = header_value.addresses[0]
    return a.display_name, a.addr_spec.lower()


# --- cases -------------------------------------------------------------------

CASES = []


def case(name):
    def deco(fn):
        CASES.append((name, fn))
        return fn
    return deco



# --- runner ------------------------------------------------------------------

def main(doc=None, ctx_class=None):
    """Run the registered cases (or those picked by -k) and print TAP.
    doc: the suite's docstring (its first line is the --help text);
    ctx_class: the per-case context class (default Ctx).  Returns the exit
    status."""
    ctx_class = ctx_class or Ctx
    ap = argparse.ArgumentParser(description=(doc or __doc__).split("\n")[0])
    ap.add_argument("-k", dest="match", action="append", default=[],
                    help="run cases whose name contains this (repeatable)")
    ap.add_argument("--list", action="store_true", help="list cases")
    ap.add_argument("--keep", action="store_true",
                    help="keep the work directory")
    args = ap.parse_args()

    cases = [(n, f) for n, f in CASES
             if not args.match or any(m.lower() in n.lower() or
                                      m.lower() in f.__name__.lower()
                                      for m in args.match)]
    if args.list:
        for i, (n, f) in enumerate(CASES, 1):
            print("%2d %-22s %s" % (i, f.__name__, n))
        return 0

    if not testbed.find_dovecot():
        print("1..0 # SKIP dovecot not installed (apt-get install "
              "dovecot-imapd)")
        return 0
    if not testbed.find_aiosmtpd_python():
        print("1..0 # SKIP aiosmtpd not installed (apt-get install "
              "python3-aiosmtpd)")
        return 0
    bdir = testbed.builddir()
    for prog in ("ticketd", "ticketctl"):
        if not os.access(os.path.join(bdir, prog), os.X_OK):
            print("Bail out! %s not built in %s (set TICKETD_BUILDDIR or "
                  "run make)" % (prog, bdir))
            return 1

    testbed.install_signal_handlers()
    print("1..%d" % len(cases), flush=True)
    failed = 0
    t_start = time.monotonic()
    tb = Testbed(keep=True)     # removed below unless something failed
    users = {"c%02d" % i: "pw%02d-secret" % i
             for i in range(1, len(cases) + 1)}
    try:
        try:
            tb.start_dovecot(users)
            tb.start_smtp()
        except Exception as e:
            print("Bail out! cannot start the testbed: %s"
                  % str(e).splitlines()[0])
            for line in str(e).splitlines()[1:]:
                print("# " + line)
            return 1
        print("# testbed %s: imap port %d, smtp port %d"
              % (tb.workdir, tb.imap_port, tb.smtp_port), flush=True)
        for i, (name, fn) in enumerate(cases, 1):
            if not tb.dovecot_running():
                tb.start_dovecot()
            if not tb.smtp_running():
                tb.start_smtp()
            tb.clear_sink()
            casedir = os.path.join(tb.workdir, "cases",
                                   "%02d-%s" % (i, fn.__name__))
            c = None
            try:
                c = ctx_class(tb, "c%02d" % i, casedir)
                fn(c)
            except (KeyboardInterrupt, SystemExit):
                failed += 1
                print("Bail out! interrupted during case %d (%s)"
                      % (i, name), flush=True)
                raise
            except Skip as e:
                print("ok %d - %s # SKIP %s" % (i, name,
                                               collapse(str(e))))
            except Exception as e:
                failed += 1
                print("not ok %d - %s" % (i, name))
                msg = str(e) if isinstance(e, Failure) else \
                    "".join(traceback.format_exception(e)).rstrip()
                for line in msg.splitlines():
                    print("# " + line)
                if c is not None:
                    for line in c.diagnostics():
                        print("# " + line)
                for line in tb.logs(10).splitlines():
                    print("# " + line)
            else:
                print("ok %d - %s" % (i, name))
            sys.stdout.flush()
        print("# %d of %d failed, %.1fs" % (failed, len(cases),
                                            time.monotonic() - t_start))
    finally:
        keep = (args.keep or failed > 0 or
                os.environ.get("TICKETD_TEST_KEEP") == "1")
        tb.cleanup(remove=not keep)
        if keep:
            print("# kept work directory %s" % tb.workdir, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
