"""Throwaway mail servers on loopback for ticketd's integration tests and demo.

A Testbed owns one work directory and, on demand, a private Dovecot IMAP
server and an aiosmtpd SMTP sink that stores every mail it receives in a
Maildir.  Nothing here needs the network, a system service or a fixed port:
ports are picked by binding to port 0, both servers listen on 127.0.0.1
only, and everything lives under the work directory.

Works as root (CI) and as a normal user.  Uses the standard library only;
aiosmtpd runs in a subprocess under a Python that has it installed.

    tb = Testbed()                      # or Testbed("/some/dir")
    try:
        tb.start_dovecot({"support": "secret"})
        tb.start_smtp()
        tb.append("support", "INBOX", raw_bytes)
        conf = tb.write_config()
        tb.run_ticketd("--once")
        tickets = tb.ticketctl_json("list")
        acks = tb.sink_messages()
        tb.age_ticket(1, 3600, ["created"])   # as if an hour had passed
    finally:
        tb.cleanup()

Environment:
  TICKETD_SRCDIR, TICKETD_BUILDDIR  source and build trees (default: the
                                    repository this file lives in)
  TICKETD_TEST_PYTHON               Python with aiosmtpd for the SMTP sink
  TICKETD_TEST_WRAPPER              command prefix for ticketd/ticketctl,
                                    e.g. "valgrind -q --error-exitcode=99"
  TICKETD_TEST_KEEP=1               keep the work directory after cleanup
"""

import atexit
import contextlib
import email
import email.policy
import imaplib
import os
import pwd
import grp
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

__all__ = ["Testbed", "TestbedError", "find_dovecot", "find_aiosmtpd_python",
           "srcdir", "builddir", "free_port", "wait_port"]

DOVECOT_CANDIDATES = ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot")


class TestbedError(Exception):
    """A server could not be started or a helper failed."""


# --- locations -------------------------------------------------------------

def srcdir():
    """The source tree: $TICKETD_SRCDIR, else the repo holding this file."""
    d = os.environ.get("TICKETD_SRCDIR")
    if d:
        return os.path.abspath(d)
    return os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def builddir():
    """The build tree: $TICKETD_BUILDDIR, else the source tree."""
    d = os.environ.get("TICKETD_BUILDDIR")
    return os.path.abspath(d) if d else srcdir()


def find_dovecot():
    """Path of the dovecot binary, or None."""
    for p in DOVECOT_CANDIDATES:
        if os.access(p, os.X_OK):
            return p
    return shutil.which("dovecot")


_aiosmtpd_python = False    # cache; False = not looked up yet


def find_aiosmtpd_python():
    """A Python interpreter that can import aiosmtpd, or None.

    The interpreter running us may not be the system one (pyenv, venv), while
    Debian's python3-aiosmtpd lives in /usr/bin/python3's dist-packages."""
    global _aiosmtpd_python
    if _aiosmtpd_python is not False:
        return _aiosmtpd_python
    cands = [os.environ.get("TICKETD_TEST_PYTHON"), sys.executable,
             "/usr/bin/python3", shutil.which("python3")]
    found = None
    seen = set()
    for c in cands:
        if not c or c in seen or not os.access(c, os.X_OK):
            continue
        seen.add(c)
        try:
            r = subprocess.run([c, "-c", "import aiosmtpd.handlers"],
                               stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if r.returncode == 0:
            found = c
            break
    _aiosmtpd_python = found
    return found


# --- ports -----------------------------------------------------------------

def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago (bind to 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_port(port, timeout=15.0, proc=None, host="127.0.0.1"):
    """Poll until a TCP connect to port succeeds.  Returns True, or False on
    timeout or when proc (a Popen) exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(port, host):
            return True
        if proc is not None and proc.poll() is not None:
            return False
        time.sleep(0.05)
    return False


def wait_port_closed(port, timeout=10.0, host="127.0.0.1"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not port_open(port, host):
            return True
        time.sleep(0.05)
    return False


def _die_with_parent():
    """preexec_fn: get SIGTERM when the test runner dies (Linux), so that a
    killed runner does not leave servers behind."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except Exception:
        pass
    os.setpgrp()    # a ^C in the terminal goes to the runner only


def _tail(path, lines=30):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return ""
    text = data.decode("utf-8", "replace").splitlines()
    return "\n".join(text[-lines:])


def _stop_proc(proc, timeout=10.0):
    if proc is None or proc.poll() is not None:
        return
    try:
        proc.terminate()
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
    except ProcessLookupError:
        pass


# --- the testbed -----------------------------------------------------------

class Testbed:
    """A work directory with optional Dovecot and SMTP sink on loopback.

    Attributes after the servers start: imap_port, smtp_port, sink_dir,
    users (name -> password), workdir, config_path (last written config)."""

    _live = set()   # Testbeds not cleaned up yet, for the atexit hook

    def __init__(self, workdir=None, keep=None, tag="ACME"):
        if workdir is None:
            workdir = tempfile.mkdtemp(prefix="ticketd-test-")
        else:
            os.makedirs(workdir, exist_ok=True)
        self.workdir = os.path.abspath(workdir)
        # Dovecot's mail processes run as an unprivileged uid when we are
        # root: the tree down to the mail must be traversable.
        os.chmod(self.workdir, 0o755)
        self.keep = (os.environ.get("TICKETD_TEST_KEEP") == "1"
                     if keep is None else keep)
        self.tag = tag
        self.srcdir = srcdir()
        self.builddir = builddir()
        self.users = {}
        self.imap_port = None
        self.smtp_port = None
        self.dovecot_dir = os.path.join(self.workdir, "dovecot")
        self.sink_dir = os.path.join(self.workdir, "sink")
        self.smtp_log = os.path.join(self.workdir, "smtp.log")
        self.dovecot_log = os.path.join(self.dovecot_dir, "dovecot.log")
        self.config_path = None
        self.db_path = os.path.join(self.workdir, "tickets.db")
        self.last_run = None        # CompletedProcess of the last run_*()
        self._dovecot = None        # Popen of dovecot -F
        self._dovecot_out = None
        self._smtp = None           # Popen of aiosmtpd
        self._smtp_out = None
        self._daemons = []          # Popen of ticketd daemons we started
        self._cleaned = False
        Testbed._live.add(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()
        return False

    # -- Dovecot --

    def _mail_ids(self):
        """(uid, gid, internal_user, login_user) for the Dovecot config."""
        if os.geteuid() == 0:
            # Dovecot refuses uid 0 for mail: use nobody's uid/gid.
            nobody = pwd.getpwnam("nobody")
            try:
                gid = grp.getgrnam("nogroup").gr_gid
            except KeyError:
                gid = nobody.pw_gid
            internal = "dovecot"
            login = "dovenull"
            for u in (internal, login):
                try:
                    pwd.getpwnam(u)
                except KeyError:
                    # not Debian's package layout; fall back to nobody
                    internal = login = "nobody"
            return nobody.pw_uid, gid, internal, login
        me = pwd.getpwuid(os.getuid()).pw_name
        return os.getuid(), os.getgid(), me, me

    def _write_users(self):
        uid, gid, _, _ = self._mail_ids()
        lines = []
        for name, pw in self.users.items():
            home = os.path.join(self.dovecot_dir, "mail", name)
            if not os.path.isdir(home):
                os.makedirs(home, exist_ok=True)
                if os.geteuid() == 0:
                    os.chown(home, uid, gid)
            lines.append("%s:{PLAIN}%s:%d:%d::%s::\n" % (name, pw, uid, gid,
                                                         home))
        tmp = os.path.join(self.dovecot_dir, "users.tmp")
        with open(tmp, "w") as f:
            f.writelines(lines)
        os.chmod(tmp, 0o644)
        os.replace(tmp, os.path.join(self.dovecot_dir, "users"))

    def _write_dovecot_conf(self, port):
        d = self.dovecot_dir
        uid, gid, internal, login = self._mail_ids()
        root = os.geteuid() == 0
        conf = f"""# private Dovecot for ticketd tests (generated by tests/testbed.py)
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
info_log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{d}/mail/%u/Maildir
mail_fsync = never
first_valid_uid = 1
default_internal_user = {internal}
default_login_user = {login}
passdb {{
  driver = passwd-file
  args = {d}/users
}}
userdb {{
  driver = passwd-file
  args = {d}/users
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""
        if not root:
            # Without root Dovecot runs everything as us: no chroot, and
            # its sockets belong to our own group.
            conf += "default_internal_group = %s\n" % grp.getgrgid(
                os.getgid()).gr_name
            conf += "service imap-login {\n  chroot =\n}\n"
            conf += "service anvil {\n  chroot =\n}\n"
        path = os.path.join(d, "dovecot.conf")
        with open(path, "w") as f:
            f.write(conf)
        return path

    def start_dovecot(self, users=None, port=None):
        """Start a private Dovecot on 127.0.0.1.  users: {name: password}
        (default {"support": "secret"}); kept across restarts.  Returns the
        port."""
        dovecot = find_dovecot()
        if not dovecot:
            raise TestbedError("dovecot not found (install dovecot-imapd)")
        if self._dovecot is not None and self._dovecot.poll() is None:
            raise TestbedError("dovecot already running")
        if users is not None:
            self.users.update(users)
        elif not self.users:
            self.users = {"support": "secret"}
        d = self.dovecot_dir
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o755)
        maildir = os.path.join(d, "mail")
        os.makedirs(maildir, exist_ok=True)
        uid, gid, _, _ = self._mail_ids()
        if os.geteuid() == 0:
            os.chown(maildir, uid, gid)
        self._write_users()
        last_err = None
        for attempt in range(3):
            p = port if port is not None else (self.imap_port if
                                                self.imap_port and attempt == 0
                                                else free_port())
            conf = self._write_dovecot_conf(p)
            if self._dovecot_out is None:
                self._dovecot_out = open(os.path.join(d, "dovecot.out"), "ab")
            # -F: stay in the foreground as our child, so it can be stopped
            # even when master.pid is gone and dies with us.
            self._dovecot = subprocess.Popen(
                [dovecot, "-F", "-c", conf], stdin=subprocess.DEVNULL,
                stdout=self._dovecot_out, stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent, close_fds=True)
            if wait_port(p, timeout=15, proc=self._dovecot):
                self.imap_port = p
                return p
            last_err = "dovecot did not listen on port %d" % p
            _stop_proc(self._dovecot)
            self._dovecot = None
            if port is not None:
                break
        raise TestbedError("%s\n--- dovecot.log ---\n%s\n--- dovecot.out ---\n%s"
                           % (last_err, _tail(self.dovecot_log),
                              _tail(os.path.join(d, "dovecot.out"))))

    def stop_dovecot(self):
        """Stop Dovecot and wait until its port is closed.  Mail is kept."""
        proc, self._dovecot = self._dovecot, None
        if proc is None:
            return
        _stop_proc(proc, timeout=15)
        pidfile = os.path.join(self.dovecot_dir, "run", "master.pid")
        with contextlib.suppress(OSError):
            os.unlink(pidfile)
        if self.imap_port:
            wait_port_closed(self.imap_port, timeout=10)

    def restart_dovecot(self):
        """Stop and start Dovecot on the same port with the same mail."""
        self.stop_dovecot()
        return self.start_dovecot(port=self.imap_port)

    def dovecot_running(self):
        return self._dovecot is not None and self._dovecot.poll() is None

    def dovecot_children(self, name="imap"):
        """PIDs of the processes named name (default: the imap processes
        serving logged-in clients) that our Dovecot master started."""
        if not self.dovecot_running():
            return []
        master = self._dovecot.pid
        pids = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % d) as f:
                    st = f.read()
            except OSError:
                continue
            # pid (comm) state ppid ...: comm may hold blanks and parens
            comm = st[st.find("(") + 1:st.rfind(")")]
            fields = st[st.rfind(")") + 2:].split()
            if comm == name and int(fields[1]) == master:
                pids.append(int(d))
        return sorted(pids)

    def kill_dovecot_children(self, name="imap", sig=signal.SIGKILL):
        """Send sig to the processes dovecot_children(name) lists (their
        clients lose the connection); returns the PIDs signalled."""
        pids = self.dovecot_children(name)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        return pids

    def add_user(self, name, password="secret"):
        """Add an IMAP user (also while Dovecot runs: passwd-file reloads)."""
        self.add_users({name: password})

    def add_users(self, users):
        """Add IMAP users {name: password} at once (one wait for Dovecot's
        passwd-file reload instead of one per user)."""
        self.users.update(users)
        os.makedirs(os.path.join(self.dovecot_dir, "mail"), exist_ok=True)
        self._write_users()
        if self.dovecot_running():
            # Dovecot's passwd-file rechecks the file at most once per
            # second (ioloop_time): wait for the next second so that the
            # next login sees the new user.  Cheaper: pass all users to
            # start_dovecot().
            time.sleep(1.05 - (time.time() % 1.0))

    # -- IMAP client helpers --

    @contextlib.contextmanager
    def imap(self, user="support"):
        """An imaplib.IMAP4 logged in as user (logged out afterwards)."""
        if not self.imap_port:
            raise TestbedError("dovecot not started")
        c = imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=30)
        try:
            c.login(user, self.users[user])
            yield c
        finally:
            with contextlib.suppress(Exception):
                c.logout()

    @staticmethod
    def _check(typ, data, what):
        if typ != "OK":
            raise TestbedError("IMAP %s failed: %s %r" % (what, typ, data))
        return data

    @staticmethod
    def _quote(folder):
        return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'

    def create_folder(self, user, folder):
        """CREATE folder (no error if it exists) and subscribe to it."""
        with self.imap(user) as c:
            typ, data = c.create(self._quote(folder))
            if typ != "OK" and b"exists" not in b" ".join(
                    x for x in data if isinstance(x, bytes)).lower():
                raise TestbedError("IMAP CREATE %s: %r" % (folder, data))
            c.subscribe(self._quote(folder))

    def folders(self, user="support"):
        """Names of the user's folders."""
        with self.imap(user) as c:
            data = self._check(*c.list(), "LIST")
        names = []
        for line in data:
            if not line:
                continue
            m = re.match(rb'\(.*?\) (?:"[^"]*"|NIL) (.*)$', line)
            if m:
                n = m.group(1).strip()
                if n.startswith(b'"'):
                    n = n[1:-1].replace(b'\\"', b'"').replace(b"\\\\", b"\\")
                names.append(n.decode("utf-8", "replace"))
        return names

    def append(self, user, folder, raw, flags=None, date=None):
        """APPEND raw (bytes or str) to folder; creates the folder unless it
        is INBOX.  flags: iterable like ["\\Seen"] or None.  Line ends are
        made CRLF by imaplib."""
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        if folder.upper() != "INBOX":
            self.create_folder(user, folder)
        fl = "(" + " ".join(flags) + ")" if flags else None
        when = imaplib.Time2Internaldate(date if date is not None
                                         else time.time())
        with self.imap(user) as c:
            self._check(*c.append(self._quote(folder), fl, when, raw),
                        "APPEND")

    def messages(self, user="support", folder="INBOX"):
        """[{uid, flags (set of str), message_id, subject}] for the folder,
        read without changing any flag (EXAMINE, BODY.PEEK)."""
        out = []
        with self.imap(user) as c:
            typ, data = c.select(self._quote(folder), readonly=True)
            self._check(typ, data, "EXAMINE " + folder)
            if int(data[0] or 0) == 0:
                return out
            typ, data = c.uid("FETCH", "1:*", "(UID FLAGS)")
            self._check(typ, data, "FETCH FLAGS")
            for item in data:
                if isinstance(item, tuple):
                    item = item[0]
                if not item:
                    continue
                m_uid = re.search(rb"UID (\d+)", item)
                m_fl = re.search(rb"FLAGS \(([^)]*)\)", item)
                if not m_uid:
                    continue
                out.append({"uid": int(m_uid.group(1)),
                            "flags": set(m_fl.group(1).decode().split())
                            if m_fl else set()})
            typ, data = c.uid("FETCH", "1:*",
                              "(UID BODY.PEEK[HEADER.FIELDS "
                              "(MESSAGE-ID SUBJECT)])")
            self._check(typ, data, "FETCH HEADER")
            hdrs = {}
            for item in data:
                if isinstance(item, tuple):
                    m_uid = re.search(rb"UID (\d+)", item[0])
                    if m_uid:
                        msg = email.message_from_bytes(
                            item[1], policy=email.policy.default)
                        hdrs[int(m_uid.group(1))] = msg
            for m in out:
                h = hdrs.get(m["uid"])
                m["message_id"] = str(h.get("Message-ID", "")).strip() \
                    if h else ""
                m["subject"] = str(h.get("Subject", "")) if h else ""
        out.sort(key=lambda m: m["uid"])
        return out

    def flags(self, user="support", folder="INBOX"):
        """List of flag sets, in UID order."""
        return [m["flags"] for m in self.messages(user, folder)]

    def count(self, user="support", folder="INBOX", include_deleted=False):
        """Number of messages in folder (not counting \\Deleted ones unless
        include_deleted)."""
        ms = self.messages(user, folder)
        if not include_deleted:
            ms = [m for m in ms if "\\Deleted" not in m["flags"]]
        return len(ms)

    # -- SMTP sink --

    def start_smtp(self, port=None):
        """Start aiosmtpd storing every mail in the Maildir self.sink_dir.
        Reuses the previous port after stop_smtp().  Returns the port."""
        py = find_aiosmtpd_python()
        if not py:
            raise TestbedError("no Python with aiosmtpd (install "
                               "python3-aiosmtpd)")
        if self._smtp is not None and self._smtp.poll() is None:
            raise TestbedError("smtp sink already running")
        os.makedirs(self.sink_dir, exist_ok=True)
        for sub in ("new", "cur", "tmp"):
            os.makedirs(os.path.join(self.sink_dir, sub), exist_ok=True)
        last = None
        for attempt in range(3):
            p = port if port is not None else (self.smtp_port if
                                                self.smtp_port and attempt == 0
                                                else free_port())
            if self._smtp_out is None:
                self._smtp_out = open(self.smtp_log, "ab")
            self._smtp = subprocess.Popen(
                [py, "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:%d" % p,
                 "-c", "aiosmtpd.handlers.Mailbox", self.sink_dir],
                stdin=subprocess.DEVNULL, stdout=self._smtp_out,
                stderr=subprocess.STDOUT, preexec_fn=_die_with_parent,
                close_fds=True, cwd=self.workdir)
            if wait_port(p, timeout=20, proc=self._smtp):
                self.smtp_port = p
                return p
            last = "aiosmtpd did not listen on port %d" % p
            _stop_proc(self._smtp)
            self._smtp = None
            if port is not None:
                break
        raise TestbedError("%s\n--- smtp.log ---\n%s"
                           % (last, _tail(self.smtp_log)))

    def stop_smtp(self):
        """Stop the sink and wait until its port is closed.  Received mail
        is kept."""
        proc, self._smtp = self._smtp, None
        if proc is None:
            return
        _stop_proc(proc)
        if self.smtp_port:
            wait_port_closed(self.smtp_port, timeout=10)

    def smtp_running(self):
        return self._smtp is not None and self._smtp.poll() is None

    def _sink_files(self):
        files = []
        for sub in ("new", "cur"):
            d = os.path.join(self.sink_dir, sub)
            try:
                names = os.listdir(d)
            except FileNotFoundError:
                continue
            for n in names:
                if n.startswith("."):
                    continue
                p = os.path.join(d, n)
                try:
                    files.append((os.stat(p).st_mtime_ns, n, p))
                except FileNotFoundError:
                    pass
        files.sort()
        return [p for _, _, p in files]

    def sink_raw(self):
        """Raw bytes of every received mail, oldest first.  aiosmtpd adds
        X-Peer, X-MailFrom and X-RcptTo headers."""
        out = []
        for p in self._sink_files():
            with open(p, "rb") as f:
                out.append(f.read())
        return out

    def sink_messages(self):
        """Received mail as email.message.EmailMessage (policy default,
        headers decoded), oldest first."""
        return [email.message_from_bytes(r, policy=email.policy.default)
                for r in self.sink_raw()]

    def sink_count(self):
        return len(self._sink_files())

    def wait_sink(self, n, timeout=5.0):
        """Wait until at least n mails arrived; returns sink_messages()."""
        deadline = time.monotonic() + timeout
        while self.sink_count() < n and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.sink_messages()

    def clear_sink(self):
        for p in self._sink_files():
            with contextlib.suppress(FileNotFoundError):
                os.unlink(p)

    # -- ticketd --

    def write_config(self, path=None, user="support", mailbox="support",
                     password=None, smtp=None, database=None, templates=None,
                     extra="", **mailbox_overrides):
        """Write a ticketd config for the running servers; returns its path
        (also kept in self.config_path).

        mailbox_overrides set keys of the [mailbox NAME] section
        (processed_folder="Processed", batch_size=2, ...); smtp, database and
        templates are dicts merged into those sections.  A value of None
        removes the key (user=None: no user key).  extra is appended
        verbatim."""
        if path is None:
            path = os.path.join(self.workdir, "ticketd.conf")
        if password is None:
            password = self.users.get(user, "secret")
        sections = {
            "database": {"path": self.db_path},
            "smtp": {"url": "smtp://127.0.0.1:%s" % (self.smtp_port or 25),
                     "starttls": "no",
                     "from": "Support <support@example.com>"},
            "templates": {"dir": os.path.join(self.srcdir, "templates")},
            "mailbox " + mailbox: {
                "imap": "imap://127.0.0.1:%s/INBOX" % (self.imap_port or 143),
                "user": user,
                "password": password,
                "tls": "none",
                "address": "support@example.com",
                "tag": self.tag,
                "poll_seconds": "30",
            },
        }
        if user is None:
            del sections["mailbox " + mailbox]["user"]
        for name, upd in (("database", database), ("smtp", smtp),
                          ("templates", templates),
                          ("mailbox " + mailbox, mailbox_overrides)):
            for k, v in (upd or {}).items():
                if v is None:
                    sections[name].pop(k, None)
                else:
                    sections[name][k] = str(v)
        text = "# generated by tests/testbed.py\n"
        for name, kv in sections.items():
            text += "\n[%s]\n" % name
            for k, v in kv.items():
                text += "%s = %s\n" % (k, v)
        if extra:
            text += "\n" + extra + ("\n" if not extra.endswith("\n") else "")
        d = os.path.dirname(os.path.abspath(path))
        os.makedirs(d, exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o600)
        self.config_path = path
        return path

    def binary(self, name):
        """Path of a built program (ticketd, ticketctl) in the build dir."""
        return os.path.join(self.builddir, name)

    def _wrapper(self):
        w = os.environ.get("TICKETD_TEST_WRAPPER", "").strip()
        return shlex.split(w) if w else []

    def _run(self, prog, args, input=None, timeout=60, config=None):
        conf = config or self.config_path
        if conf is None:
            raise TestbedError("write_config() first")
        cmd = self._wrapper() + [self.binary(prog), "-c", conf] + list(args)
        if isinstance(input, str):
            input = input.encode("utf-8")
        try:
            r = subprocess.run(cmd, input=input,
                               stdin=None if input is not None
                               else subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=timeout, cwd=self.workdir)
        except subprocess.TimeoutExpired as e:
            r = subprocess.CompletedProcess(cmd, -9, e.stdout or b"",
                                            (e.stderr or b"") +
                                            b"\n[testbed: killed after %ds]"
                                            % timeout)
            r.timed_out = True
        else:
            r.timed_out = False
        r.stdout_text = r.stdout.decode("utf-8", "replace")
        r.stderr_text = r.stderr.decode("utf-8", "replace")
        self.last_run = r
        return r

    def run_ticketd(self, *args, input=None, timeout=60, config=None):
        """Run ticketd -c CONFIG ARGS...; returns a CompletedProcess with
        extra attributes stdout_text, stderr_text and timed_out."""
        return self._run("ticketd", args, input=input, timeout=timeout,
                         config=config)

    def run_ticketctl(self, *args, input=None, timeout=30, config=None):
        """Run ticketctl -c CONFIG ARGS... (input: bytes or str for its
        stdin); returns a CompletedProcess like run_ticketd()."""
        return self._run("ticketctl", args, input=input, timeout=timeout,
                         config=config)

    def ticketctl_json(self, *args, config=None):
        """Run ticketctl -c CONFIG ARGS... --json and parse its output."""
        import json
        args = list(args)
        if "--json" not in args:
            args.append("--json")
        r = self.run_ticketctl(*args, config=config)
        if r.returncode != 0:
            raise TestbedError("ticketctl %s exited %d: %s"
                               % (" ".join(args), r.returncode,
                                  r.stderr_text.strip()))
        try:
            return json.loads(r.stdout_text)
        except ValueError as e:
            raise TestbedError("ticketctl %s: bad JSON (%s): %r"
                               % (" ".join(args), e, r.stdout_text[:500]))

    # -- the database, behind ticketd's back --

    def db_execute(self, sql, params=(), db=None):
        """Run one SQL statement on the ticket database (default
        self.db_path) with Python's sqlite3 and commit; returns the rows
        (a list of tuples) it produced.  Only while no ticketd writes."""
        import sqlite3
        path = db or self.db_path
        if not os.path.exists(path):
            raise TestbedError("database %s does not exist" % path)
        con = sqlite3.connect(path, timeout=10)
        try:
            cur = con.execute(sql, params)
            rows = cur.fetchall()
            con.commit()
            return rows
        finally:
            con.close()

    TICKET_TIMES = ("created", "updated", "first_response", "resolved",
                    "closed")

    def age_ticket(self, ticket_id, seconds, columns=("created",), db=None):
        """Move timestamps of a ticket seconds into the past, as if that
        much time had passed: columns of the tickets table (unix seconds;
        see TICKET_TIMES).  Raises TestbedError when the ticket does not
        exist or a column is NULL (the event never happened)."""
        for col in columns:
            if col not in self.TICKET_TIMES:
                raise TestbedError("age_ticket: unknown column %r" % col)
            rows = self.db_execute("SELECT %s FROM tickets WHERE id = ?"
                                   % col, (int(ticket_id),), db=db)
            if not rows:
                raise TestbedError("age_ticket: no ticket %s" % ticket_id)
            if rows[0][0] is None:
                raise TestbedError("age_ticket: tickets.%s of ticket %s is "
                                   "NULL" % (col, ticket_id))
            self.db_execute("UPDATE tickets SET %s = %s - ? WHERE id = ?"
                            % (col, col), (int(seconds), int(ticket_id)),
                            db=db)

    def start_ticketd_daemon(self, *args, config=None, log=None):
        """Start ticketd -c CONFIG ARGS... in the foreground as a child;
        stderr and stdout go to log (default WORKDIR/ticketd-daemon.log).
        Returns the Popen; stop_ticketd_daemon() or cleanup() ends it."""
        conf = config or self.config_path
        log = log or os.path.join(self.workdir, "ticketd-daemon.log")
        out = open(log, "ab")
        cmd = self._wrapper() + [self.binary("ticketd"), "-c", conf] + \
            list(args)
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT,
                             preexec_fn=_die_with_parent, cwd=self.workdir)
        out.close()
        p.log_path = log
        self._daemons.append(p)
        return p

    def stop_ticketd_daemon(self, proc, sig=signal.SIGTERM, timeout=15):
        """Send sig and wait; returns the exit status (negative: signal) or
        None if it had to be killed after timeout."""
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                return None
        return proc.returncode

    # -- diagnostics and cleanup --

    def logs(self, lines=10):
        """Server log lines worth showing in a failure report: Dovecot's
        errors and warnings, the SMTP sink's last lines."""
        parts = []
        bad = re.compile(r"(Error|Fatal|Panic|Warning):")
        t = [l for l in _tail(self.dovecot_log, 2000).splitlines()
             if bad.search(l)][-lines:]
        if t:
            parts.append("--- dovecot.log (errors) ---\n" + "\n".join(t))
        t = _tail(self.smtp_log, lines)
        if t:
            parts.append("--- smtp.log ---\n" + t)
        return "\n".join(parts)

    def cleanup(self, remove=None):
        """Stop everything we started; remove the work directory unless
        keep (or remove=False).  Safe to call twice."""
        if self._cleaned:
            return
        self._cleaned = True
        for p in self._daemons:
            _stop_proc(p)
        self._daemons = []
        self.stop_smtp()
        self.stop_dovecot()
        for f in (self._smtp_out, self._dovecot_out):
            if f:
                with contextlib.suppress(Exception):
                    f.close()
        Testbed._live.discard(self)
        if remove is None:
            remove = not self.keep
        if remove:
            shutil.rmtree(self.workdir, ignore_errors=True)


@atexit.register
def _cleanup_all():
    for tb in list(Testbed._live):
        with contextlib.suppress(Exception):
            tb.cleanup()


def install_signal_handlers():
    """Turn SIGTERM/SIGHUP into SystemExit so finally blocks and atexit run
    (make's test timeout, a CI cancel)."""
    def handler(signum, frame):
        raise SystemExit(128 + signum)
    for s in (signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(Exception):
            signal.signal(s, handler)
