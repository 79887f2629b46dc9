#!/usr/bin/env python3
"""ticketd benchmarks (issue 6).  Usually run through bench/run.

    bench.py [--quick] [--tmp DIR] [--bin DIR] PART [ARGS]

Parts:
  ingest N      ticketd --once over N messages (cold page cache), with the
                raw-fetch limit (bench/rawfetch) on the same mailbox
  filter K      K processes of ticketd --stdin, one message each
  idle K        K mails APPENDed one at a time to a running ticketd (IDLE):
                latency from APPEND to its acknowledgement at the SMTP sink
  scale [M]     per-message ingest cost of M new messages (default 2000)
                into a database with 1,000 vs 1,000,000 tickets
  mailboxes [N [K]]  one daemon with N mailboxes (own IMAP user each, a
                worker thread each in IDLE); K mails APPENDed one at a time
                to random mailboxes: APPEND -> ack latency (100, 200)
  profile N     where the time goes: ticketd --once over N warm messages
                with ack = yes / ack = no, plus strace -c -f
  all           every part with the default sizes (quick: smaller)

--bin DIR holds copies of ticketd, ticketctl, rawfetch and the templates
(bench/run makes them, so a rebuild during the run does not matter).
Results are appended to TMP/results.json and printed as a table.
"""

import argparse
import contextlib
import hashlib
import imaplib
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests"))
sys.path.insert(0, HERE)

import testbed  # noqa: E402
import gencorpus  # noqa: E402

PASSWORD = "secret"


def log(*a):
    print("[bench %s]" % time.strftime("%H:%M:%S"), *a, file=sys.stderr,
          flush=True)


# --- environment -------------------------------------------------------------

class Env:
    def __init__(self, tmp, bindir, quick):
        self.tmp = os.path.abspath(tmp)
        self.bin = os.path.abspath(bindir)
        self.quick = quick
        os.makedirs(self.tmp, exist_ok=True)
        os.chmod(self.tmp, 0o755)
        self.ticketd = os.path.join(self.bin, "ticketd")
        self.ticketctl = os.path.join(self.bin, "ticketctl")
        self.rawfetch = os.path.join(self.bin, "rawfetch")
        self.templates = os.path.join(self.bin, "templates")
        self.results = []
        self.cold_ok = None

    # corpora are kept between runs: TMP/corpus/N-SEED[-EXT]
    def corpus(self, n, seed, external=None):
        name = "%d-%d" % (n, seed) + ("-" + external.replace(":", "_")
                                      if external else "")
        d = os.path.join(self.tmp, "corpus", name)
        if not os.path.exists(os.path.join(d, ".complete")):
            shutil.rmtree(d, ignore_errors=True)
            log("generating corpus of %d messages (seed %d)" % (n, seed))
            gencorpus.generate(d, n, seed, external=external)
        return d

    def drop_caches(self):
        """Cold page cache; False when not permitted."""
        subprocess.run(["sync"])
        try:
            with open("/proc/sys/vm/drop_caches", "w") as f:
                f.write("3\n")
            ok = True
        except OSError:
            ok = False
        if self.cold_ok is None:
            self.cold_ok = ok
            if not ok:
                log("cannot drop the page cache here: figures are WARM")
        return ok

    def record(self, part, **kv):
        kv["part"] = part
        kv["time"] = time.strftime("%Y-%m-%d %H:%M:%S")
        kv["quick"] = self.quick
        kv["ticketd"] = os.environ.get("BENCH_TICKETD_ID", self.ticketd)
        kv["loadavg_1m"] = round(os.getloadavg()[0], 2)
        self.results.append(kv)
        with open(os.path.join(self.tmp, "results.json"), "a") as f:
            f.write(json.dumps(kv) + "\n")


class _Testbed(testbed.Testbed):
    """tests/testbed.py's Testbed, with settings appended to dovecot.conf
    (the mailboxes part needs more processes than Dovecot's defaults)."""
    dovecot_extra = ""

    def _write_dovecot_conf(self, port):
        path = super()._write_dovecot_conf(port)
        if self.dovecot_extra:
            with open(path, "a") as f:
                f.write("# added by bench/bench.py\n" + self.dovecot_extra)
        return path


class Servers:
    """A Testbed (Dovecot, optionally aiosmtpd) plus Postfix's smtp-sink."""

    def __init__(self, env, name, users, dovecot_extra=""):
        self.env = env
        wd = os.path.join(env.tmp, "run-" + name)
        shutil.rmtree(wd, ignore_errors=True)
        self.tb = _Testbed(wd, keep=True)
        self.tb.dovecot_extra = dovecot_extra
        self.users = {u: PASSWORD for u in users}
        self.sink = None
        self.sink_port = None

    def start_dovecot(self):
        self.tb.start_dovecot(self.users)
        return self.tb.imap_port

    def start_smtp_sink(self):
        """smtp-sink: accepts and discards (256 = connection backlog)."""
        exe = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
        for _ in range(3):
            port = testbed.free_port()
            out = open(os.path.join(self.tb.workdir, "smtp-sink.log"), "ab")
            cmd = [exe, "127.0.0.1:%d" % port, "256"]
            if os.geteuid() == 0:
                cmd[1:1] = ["-u", "nobody"]
            p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=subprocess.STDOUT,
                                 preexec_fn=testbed._die_with_parent)
            out.close()
            if testbed.wait_port(port, 10, p):
                self.sink, self.sink_port = p, port
                return port
            testbed._stop_proc(p)
        raise RuntimeError("smtp-sink did not start")

    def maildir(self, user):
        return os.path.join(self.tb.dovecot_dir, "mail", user, "Maildir")

    def load(self, user, corpus_dir, limit=None):
        """Write the corpus straight into user's Maildir/cur (hard links,
        owned by the mail uid), then let Dovecot index it.  Must run
        before the user's first login.  Returns a dict of figures."""
        md = self.maildir(user)
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(md, sub), exist_ok=True)
        files = sorted(f for f in os.listdir(corpus_dir)
                       if f.endswith(".eml"))
        if limit:
            files = files[:limit]
        uid, gid, _, _ = self.tb._mail_ids()
        t0 = time.monotonic()
        base = 1764000000
        total = 0
        cur = os.path.join(md, "cur")
        for k, f in enumerate(files):
            src = os.path.join(corpus_dir, f)
            st = os.stat(src)
            # W= is the size with CRLF line ends, as Dovecot's own
            # deliveries record it (else RFC822.SIZE reads the file).
            with open(src, "rb") as fh:
                data = fh.read()
            vsize = len(data) + data.count(b"\n") - data.count(b"\r\n")
            name = "%d.M%dP%d.bench,S=%d,W=%d:2," % (base + k // 100, k,
                                                      os.getpid(),
                                                      st.st_size, vsize)
            dst = os.path.join(cur, name)
            try:
                os.link(src, dst)
            except OSError:
                shutil.copyfile(src, dst)
            total += st.st_size
        if os.geteuid() == 0:
            for root, dirs, fs in os.walk(os.path.dirname(md)):
                os.chown(root, uid, gid)
                for f in fs:
                    os.chown(os.path.join(root, f), uid, gid)
        t1 = time.monotonic()
        # Index: SELECT assigns the UIDs, a FETCH of the UIDs builds the
        # index (not the message cache: bodies are not read here).
        c = imaplib.IMAP4("127.0.0.1", self.tb.imap_port, timeout=600)
        c.login(user, PASSWORD)
        typ, data = c.select("INBOX", readonly=True)
        exists = int(data[0])
        c.uid("FETCH", "1:*", "(UID)")
        c.logout()
        t2 = time.monotonic()
        if exists != len(files):
            raise RuntimeError("Dovecot sees %d of %d messages"
                               % (exists, len(files)))
        return {"messages": len(files), "bytes": total,
                "load_s": round(t1 - t0, 2), "index_s": round(t2 - t1, 2),
                "load_per_s": round(len(files) / max(t1 - t0, 1e-9))}

    def config(self, path, user, db, smtp_port=None, **mb):
        over = {"batch_size": 500, "poll_seconds": 30}
        over.update(mb)
        return self.tb.write_config(
            path=path, user=user, mailbox="support", password=PASSWORD,
            smtp={"url": "smtp://127.0.0.1:%d" % (smtp_port or
                                                  self.sink_port)},
            database={"path": db}, templates={"dir": self.env.templates},
            **over)

    def rawfetch(self, user):
        t0 = time.monotonic()
        r = subprocess.run([self.env.rawfetch, "127.0.0.1",
                            str(self.tb.imap_port), user, PASSWORD],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
        wall = time.monotonic() - t0
        if r.returncode != 0:
            raise RuntimeError("rawfetch: " + r.stderr)
        kv = dict(x.split("=", 1) for x in r.stdout.split())
        return {"messages": int(kv["messages"]), "bytes": int(kv["bytes"]),
                "wall_s": wall}

    def close(self):
        if self.sink is not None:
            testbed._stop_proc(self.sink)
        self.tb.cleanup(remove=False)


def run_timed(cmd, log_path, env=None, input=None):
    """Run cmd under /usr/bin/time -v; (wall seconds, max RSS KB, rc)."""
    tv = log_path + ".time"
    full = ["/usr/bin/time", "-v", "-o", tv] + cmd
    with open(log_path, "ab") as out:
        t0 = time.monotonic()
        r = subprocess.run(full, stdin=subprocess.DEVNULL if input is None
                           else None, input=input, stdout=out, stderr=out,
                           env=env)
        wall = time.monotonic() - t0
    rss = None
    with contextlib.suppress(OSError):
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)",
                      open(tv).read())
        rss = int(m.group(1)) if m else None
    return wall, rss, r.returncode


def db_counts(db):
    con = sqlite3.connect(db, timeout=30)
    try:
        q = lambda s: con.execute(s).fetchone()[0]  # noqa: E731
        out = {"tickets": q("SELECT count(*) FROM tickets"),
               "messages": q("SELECT count(*) FROM messages")}
        for st, n in con.execute("SELECT status, count(*) FROM outbox "
                                 "GROUP BY status"):
            out["outbox_" + st] = n
        return out
    finally:
        con.close()


def tail(path, n=5):
    with contextlib.suppress(OSError):
        return "\n".join(open(path, errors="replace").read()
                         .splitlines()[-n:])
    return ""


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = min(len(xs) - 1, max(0, int(round(p / 100.0 * len(xs) + 0.5)) - 1))
    return xs[k]


# --- parts ---------------------------------------------------------------------

def part_ingest(env, n):
    corpus = env.corpus(n, seed=1)
    user = "n%d" % n
    s = Servers(env, "ingest-%d" % n, [user])
    try:
        s.start_dovecot()
        s.start_smtp_sink()
        log("loading %d messages into Dovecot" % n)
        ld = s.load(user, corpus)
        log("loaded: %d msgs, %.1f MB, %.1f s files + %.1f s index"
            % (ld["messages"], ld["bytes"] / 1e6, ld["load_s"],
               ld["index_s"]))
        cold = env.drop_caches()
        raw = s.rawfetch(user)
        log("rawfetch (%s): %.0f msgs/s" % ("cold" if cold else "warm",
                                            raw["messages"] / raw["wall_s"]))
        wd = s.tb.workdir
        db = os.path.join(wd, "tickets.db")
        conf = s.config(os.path.join(wd, "ticketd.conf"), user, db)
        env.drop_caches()
        log("ticketd --once over %d messages" % n)
        wall, rss, rc = run_timed([env.ticketd, "-c", conf, "--once"],
                                  os.path.join(wd, "ticketd.log"))
        counts = db_counts(db)
        if rc != 0:
            log("ticketd exited %d: %s" % (rc, tail(os.path.join(
                wd, "ticketd.log"))))
        raw_warm = s.rawfetch(user)
        rate = n / wall
        res = dict(n=n, cold=cold, bytes=ld["bytes"],
                   load_per_s=ld["load_per_s"], index_s=ld["index_s"],
                   ticketd_s=round(wall, 2), msgs_per_s=round(rate, 1),
                   mb_per_s=round(ld["bytes"] / 1e6 / wall, 2),
                   peak_rss_mb=round(rss / 1024, 1) if rss else None,
                   rc=rc, raw_s=round(raw["wall_s"], 2),
                   raw_msgs_per_s=round(raw["messages"] / raw["wall_s"], 1),
                   raw_warm_msgs_per_s=round(raw_warm["messages"] /
                                             raw_warm["wall_s"], 1),
                   fraction_of_raw=round(rate / (raw["messages"] /
                                                 raw["wall_s"]), 3),
                   **counts)
        env.record("ingest", **res)
        log("ingest %d: %.0f msgs/s, %.2f MB/s, peak RSS %s MB, %.1f%% of "
            "raw" % (n, rate, res["mb_per_s"], res["peak_rss_mb"],
                     100 * res["fraction_of_raw"]))
        return res
    finally:
        s.close()


def part_filter(env, k):
    corpus = env.corpus(max(k + 1, 1000), seed=3)
    files = sorted(f for f in os.listdir(corpus) if f.endswith(".eml"))
    s = Servers(env, "filter", ["filter"])
    try:
        s.start_smtp_sink()
        wd = s.tb.workdir
        db = os.path.join(wd, "tickets.db")
        conf = s.config(os.path.join(wd, "ticketd.conf"), "filter", db)
        lat = []
        logf = open(os.path.join(wd, "ticketd.log"), "ab")
        fails = 0

        def one(path):
            with open(path, "rb") as fh:
                data = fh.read()
            t0 = time.monotonic()
            r = subprocess.run([env.ticketd, "-c", conf, "--stdin",
                                "--mailbox", "support"], input=data,
                               stdout=logf, stderr=logf)
            return time.monotonic() - t0, r.returncode

        one(os.path.join(corpus, files[-1]))      # creates the database
        log("ticketd --stdin x %d" % k)
        t0 = time.monotonic()
        for f in files[:k]:
            dt, rc = one(os.path.join(corpus, f))
            lat.append(dt)
            fails += rc != 0
        wall = time.monotonic() - t0
        logf.close()
        counts = db_counts(db)
        res = dict(n=k, msgs_per_s=round(k / wall, 1),
                   median_ms=round(1000 * statistics.median(lat), 1),
                   p90_ms=round(1000 * pct(lat, 90), 1),
                   p99_ms=round(1000 * pct(lat, 99), 1), failures=fails,
                   **counts)
        env.record("filter", **res)
        log("filter: %.1f msgs/s, median %.1f ms" % (res["msgs_per_s"],
                                                    res["median_ms"]))
        return res
    finally:
        s.close()


def fresh_mail(i, corpus, files):
    """A new-ticket mail (no reply, no auto-reply) with a unique
    Message-ID and sender."""
    with open(os.path.join(corpus, files[i % len(files)]), "rb") as f:
        data = f.read()
    tag = "%d.%d" % (os.getpid(), i)
    data = re.sub(rb"(?m)^Message-ID: <[^>]*>",
                  b"Message-ID: <idle-" + tag.encode() + b"@bench.example>",
                  data, count=1)
    data = re.sub(rb"(?m)^(From: .*<)customer\d+@",
                  lambda m: m.group(1) + b"idle" + tag.encode() + b"@",
                  data, count=1)
    return data


def idle_floor(port, user, samples=20):
    """Dovecot's own share: APPEND on one connection -> "* n EXISTS" on
    another in IDLE (a bare socket client).  Dovecot 2.3 delays IDLE
    notifications by NOTIFY_DELAY_MSECS = 500 (src/lib-storage/
    mailbox-watch.c), so this is the floor for any IDLE client."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    f = s.makefile("rb")

    def cmd(c, tag=None):
        s.sendall(c + b"\r\n")
        if tag:
            while not f.readline().startswith(tag + b" "):
                pass
    f.readline()
    cmd(b"a LOGIN %s %s" % (user.encode(), PASSWORD.encode()), b"a")
    cmd(b"b SELECT INBOX", b"b")
    c = imaplib.IMAP4("127.0.0.1", port, timeout=30)
    c.login(user, PASSWORD)
    lat = []
    for i in range(samples):
        cmd(b"i IDLE")
        f.readline()
        time.sleep(0.1)
        t0 = time.monotonic()
        c.append("INBOX", None, None, b"Subject: floor %d\r\n\r\nx\r\n" % i)
        while b"EXISTS" not in f.readline():
            pass
        lat.append(time.monotonic() - t0)
        cmd(b"DONE", b"i")
    c.logout()
    cmd(b"z LOGOUT")
    s.close()
    return lat


def part_idle(env, k):
    corpus = env.corpus(1000, seed=4)
    files = []
    for f in sorted(os.listdir(corpus)):
        if not f.endswith(".eml"):
            continue
        head = open(os.path.join(corpus, f), "rb").read(4096)
        if re.search(rb"(?mi)^(In-Reply-To|Auto-Submitted|List-Id):", head):
            continue
        files.append(f)
    s = Servers(env, "idle", ["idle", "floor"])
    daemon = None
    try:
        s.start_dovecot()
        floor = idle_floor(s.tb.imap_port, "floor")
        log("Dovecot IDLE notification floor: median %.0f ms" % (
            1000 * statistics.median(floor)))
        s.tb.start_smtp()           # aiosmtpd, Maildir: arrivals visible
        wd = s.tb.workdir
        db = os.path.join(wd, "tickets.db")
        conf = s.config(os.path.join(wd, "ticketd.conf"), "idle", db,
                        smtp_port=s.tb.smtp_port)
        dlog = open(os.path.join(wd, "ticketd-daemon.log"), "ab")
        daemon = subprocess.Popen([env.ticketd, "-c", conf],
                                  stdin=subprocess.DEVNULL, stdout=dlog,
                                  stderr=dlog,
                                  preexec_fn=testbed._die_with_parent)
        dlog.close()
        newdir = os.path.join(s.tb.sink_dir, "new")
        c = imaplib.IMAP4("127.0.0.1", s.tb.imap_port, timeout=60)
        c.login("idle", PASSWORD)
        # warm-up mail: the daemon is connected and in IDLE once it is acked
        seen = len(os.listdir(newdir))
        c.append("INBOX", None, None, fresh_mail(10 ** 6, corpus, files))
        deadline = time.monotonic() + 30
        while len(os.listdir(newdir)) <= seen:
            if time.monotonic() > deadline or daemon.poll() is not None:
                raise RuntimeError("no acknowledgement from the daemon: " +
                                   tail(os.path.join(wd,
                                                     "ticketd-daemon.log")))
            time.sleep(0.01)
        time.sleep(0.5)
        rnd = random.Random(6)
        lat, lost = [], 0
        log("IDLE latency over %d mails" % k)
        for i in range(k):
            seen = len(os.listdir(newdir))
            data = fresh_mail(i, corpus, files)
            t0 = time.monotonic()
            c.append("INBOX", None, None, data)
            deadline = t0 + 10
            while len(os.listdir(newdir)) <= seen:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.002)
            else:
                lat.append(time.monotonic() - t0)
                time.sleep(rnd.uniform(0.02, 0.2))
                continue
            lost += 1
        c.logout()
        res = dict(n=k, p50_ms=round(1000 * statistics.median(lat), 1),
                   p90_ms=round(1000 * pct(lat, 90), 1),
                   p99_ms=round(1000 * pct(lat, 99), 1),
                   max_ms=round(1000 * max(lat), 1), lost=lost,
                   dovecot_floor_p50_ms=round(
                       1000 * statistics.median(floor), 1))
        env.record("idle", **res)
        log("idle: p50 %.0f ms, p99 %.0f ms, %d lost" % (
            res["p50_ms"], res["p99_ms"], lost))
        return res
    finally:
        if daemon is not None:
            testbed._stop_proc(daemon)
        s.close()


# -- many mailboxes: one worker thread per mailbox, all in IDLE --

def _proc_cpu_s(pid):
    """user + system CPU seconds of a process so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _proc_status(pid):
    out = {}
    with contextlib.suppress(OSError):
        for line in open("/proc/%d/status" % pid):
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "Threads"):
                out[k] = int(v.split()[0])
    return out


def _raise_inotify_instances(need):
    """Dovecot's IDLE watches the Maildir with inotify, one instance per
    imap process, all under the mail uid; the default per-uid limit (128)
    is below ~N+30 processes, and past it Dovecot (with a warning in its
    log) falls back to polling every mailbox_idle_check_interval (30 s).
    Raise it for the
    run (root only); returns the old value to restore, or None."""
    path = "/proc/sys/fs/inotify/max_user_instances"
    try:
        old = int(open(path).read())
    except (OSError, ValueError):
        return None
    if old >= need:
        return None
    try:
        with open(path, "w") as f:
            f.write("%d\n" % need)
        log("raised fs.inotify.max_user_instances %d -> %d for the run"
            % (old, need))
        return old
    except OSError:
        log("WARNING: fs.inotify.max_user_instances is %d (< %d) and cannot "
            "be raised: Dovecot will poll some mailboxes every 30 s"
            % (old, need))
        return None


def part_mailboxes(env, n, k):
    """N mailboxes (own IMAP user each) in one ticketd daemon; K mails
    APPENDed one at a time to random mailboxes; APPEND -> ack latency."""
    corpus = env.corpus(1000, seed=4)
    files = []
    for f in sorted(os.listdir(corpus)):
        if not f.endswith(".eml"):
            continue
        head = open(os.path.join(corpus, f), "rb").read(4096)
        if re.search(rb"(?mi)^(In-Reply-To|Auto-Submitted|List-Id):", head):
            continue
        files.append(f)
    width = max(2, len(str(n - 1)))
    users = ["mb%0*d" % (width, i) for i in range(n)]
    # ticketd's N connections + up to N appenders + the floor client
    procs = 2 * n + 50
    extra = ("default_process_limit = %d\n"
             "default_client_limit = %d\n"
             "mail_max_userip_connections = 50\n"
             "service imap {\n  process_limit = %d\n}\n"
             "service imap-login {\n  process_limit = %d\n}\n"
             % (procs, max(1000, 4 * procs), procs, procs))
    old_inotify = _raise_inotify_instances(2 * n + 64)
    s = Servers(env, "mailboxes", users + ["floor"], dovecot_extra=extra)
    daemon = None
    conns = {}
    try:
        s.start_dovecot()
        floor = idle_floor(s.tb.imap_port, "floor", samples=10)
        log("Dovecot IDLE notification floor: median %.0f ms" % (
            1000 * statistics.median(floor)))
        s.tb.start_smtp()           # aiosmtpd, Maildir: arrivals visible
        wd = s.tb.workdir
        db = os.path.join(wd, "tickets.db")
        conf = os.path.join(wd, "ticketd.conf")
        text = ("# generated by bench/bench.py (mailboxes part)\n"
                "[database]\npath = %s\n\n"
                "[smtp]\nurl = smtp://127.0.0.1:%d\nstarttls = no\n"
                "from = Support <support@example.com>\n\n"
                "[templates]\ndir = %s\n"
                % (db, s.tb.smtp_port, env.templates))
        for u in users:
            text += ("\n[mailbox %s]\nimap = imap://127.0.0.1:%d/INBOX\n"
                     "user = %s\npassword = %s\ntls = none\n"
                     "address = %s@example.com\ntag = %s\n"
                     "poll_seconds = 30\nbatch_size = 500\n"
                     % (u, s.tb.imap_port, u, PASSWORD, u, u.upper()))
        with open(conf, "w") as f:
            f.write(text)
        os.chmod(conf, 0o600)
        dlog_path = os.path.join(wd, "ticketd-daemon.log")
        dlog = open(dlog_path, "ab")
        t_start = time.monotonic()
        daemon = subprocess.Popen([env.ticketd, "-c", conf],
                                  stdin=subprocess.DEVNULL, stdout=dlog,
                                  stderr=dlog,
                                  preexec_fn=testbed._die_with_parent)
        dlog.close()

        # 1. every worker connected (its "connected to" line), then quiet
        conn_re = re.compile(r"mailbox (\S+): connected to ")
        deadline = t_start + 60 + n
        connected = set()
        while True:
            if daemon.poll() is not None:
                raise RuntimeError("ticketd exited %s: %s" % (
                    daemon.returncode, tail(dlog_path)))
            with open(dlog_path, errors="replace") as f:
                connected = set(conn_re.findall(f.read()))
            if len(connected) >= n:
                break
            if time.monotonic() > deadline:
                raise RuntimeError("only %d of %d mailboxes connected: %s"
                                   % (len(connected), n, tail(dlog_path)))
            time.sleep(0.05)
        connect_s = time.monotonic() - t_start
        log("all %d mailboxes connected after %.2f s" % (n, connect_s))

        newdir = os.path.join(s.tb.sink_dir, "new")

        def conn(u):
            c = conns.get(u)
            if c is None:
                c = imaplib.IMAP4("127.0.0.1", s.tb.imap_port, timeout=60)
                c.login(u, PASSWORD)
                conns[u] = c
            return c

        def mail(i, u):
            data = fresh_mail(i, corpus, files)
            data = re.sub(rb"(?m)^To: .*$", b"To: <" + u.encode() +
                          b"@example.com>", data, count=1)
            tag = ("%d.%d" % (os.getpid(), i)).encode()
            return data, re.compile(rb"(?m)^X-RcptTo: .*idle" +
                                    re.escape(tag) + rb"@")

        for u in users:
            conn(u)
        # 2. warm-up: one mail to every mailbox at once, all acks awaited
        #    (not in the figures)
        seen = len(os.listdir(newdir))
        t0 = time.monotonic()
        for j, u in enumerate(users):
            conn(u).append("INBOX", None, None, mail(10 ** 6 + j, u)[0])
        deadline = time.monotonic() + 60 + n
        while len(os.listdir(newdir)) < seen + n:
            if time.monotonic() > deadline or daemon.poll() is not None:
                raise RuntimeError("warm-up: %d of %d acks: %s" % (
                    len(os.listdir(newdir)) - seen, n, tail(dlog_path)))
            time.sleep(0.01)
        warmup_s = time.monotonic() - t0
        log("warm-up: %d mails (one per mailbox, APPENDed together) all "
            "acknowledged %.2f s after the first APPEND" % (n, warmup_s))
        time.sleep(1.0)
        st0 = _proc_status(daemon.pid)
        cpu0 = _proc_cpu_s(daemon.pid)

        # 3. measured: K mails, one at a time, random mailboxes
        rnd = random.Random(8)
        lat, lost, wrong = [], 0, 0
        log("mailboxes: APPEND -> ack latency over %d mails, %d mailboxes"
            % (k, n))
        t_meas = time.monotonic()
        for i in range(k):
            u = rnd.choice(users)
            before = set(os.listdir(newdir))
            data, want = mail(i, u)
            c = conn(u)
            t0 = time.monotonic()
            c.append("INBOX", None, None, data)
            deadline = t0 + 10
            got = None
            while time.monotonic() < deadline:
                names = os.listdir(newdir)
                if len(names) > len(before):
                    got = time.monotonic() - t0
                    break
                time.sleep(0.002)
            if got is None:
                lost += 1
                continue
            lat.append(got)
            for name in set(names) - before:
                with contextlib.suppress(OSError):
                    if not want.search(open(os.path.join(newdir, name),
                                            "rb").read(8192)):
                        wrong += 1
            time.sleep(rnd.uniform(0.02, 0.2))
        meas_s = time.monotonic() - t_meas
        cpu1 = _proc_cpu_s(daemon.pid)
        st1 = _proc_status(daemon.pid)
        if daemon.poll() is not None:
            raise RuntimeError("ticketd exited during the run: " +
                               tail(dlog_path))
        with open(s.tb.dovecot_log, errors="replace") as f:
            dlines = f.read().splitlines()
        inotify_warn = sum(1 for l in dlines if "notify" in l.lower() and
                           ("limit" in l.lower() or "exceed" in l.lower()))
        if inotify_warn:
            log("WARNING: Dovecot ran out of inotify instances (%d log "
                "lines): some mailboxes were polled" % inotify_warn)
        res = dict(mailboxes=n, n=k, p50_ms=round(1000 * statistics.median(
                   lat), 1) if lat else None,
                   p90_ms=round(1000 * pct(lat, 90), 1),
                   p99_ms=round(1000 * pct(lat, 99), 1),
                   max_ms=round(1000 * max(lat), 1) if lat else None,
                   lost=lost, wrong_recipient=wrong,
                   connect_all_s=round(connect_s, 2),
                   warmup_all_acked_s=round(warmup_s, 2),
                   dovecot_floor_p50_ms=round(
                       1000 * statistics.median(floor), 1),
                   daemon_threads=st1.get("Threads"),
                   daemon_rss_mb=round(st1.get("VmRSS", 0) / 1024, 1),
                   daemon_peak_rss_mb=round(st1.get("VmHWM", 0) / 1024, 1),
                   daemon_cpu_pct=round(100 * (cpu1 - cpu0) / meas_s, 1),
                   dovecot_inotify_warnings=inotify_warn)
        env.record("mailboxes", **res)
        log("mailboxes %d: p50 %s ms, p99 %s ms, %d lost, %d wrong; daemon "
            "%s threads, %.1f MB RSS, %.1f %% CPU while measuring" % (
                n, res["p50_ms"], res["p99_ms"], lost, wrong,
                res["daemon_threads"], res["daemon_rss_mb"],
                res["daemon_cpu_pct"]))
        return res
    finally:
        for c in conns.values():
            with contextlib.suppress(Exception):
                c.logout()
        if daemon is not None:
            testbed._stop_proc(daemon)
        s.close()
        if old_inotify is not None:
            with contextlib.suppress(OSError):
                with open("/proc/sys/fs/inotify/max_user_instances",
                          "w") as f:
                    f.write("%d\n" % old_inotify)


# -- scale of the store --

POPULATE_VERSION = "3: resolved tickets are recent\n"


def populate(db, n, seed_prefix="seed"):
    """Add n tickets (each with its first message, requester and
    'created' event) in one transaction, with the schema ticketd made."""
    con = sqlite3.connect(db)
    con.execute("PRAGMA synchronous=OFF")
    cols = {}
    for t in ("tickets", "messages", "participants", "events"):
        cols[t] = [(r[1], r[3], r[4]) for r in
                   con.execute("PRAGMA table_info(%s)" % t)]
    now = int(time.time())
    rnd = random.Random(7)
    statuses = ["closed"] * 70 + ["resolved"] * 10 + ["open"] * 8 + \
        ["pending"] * 7 + ["new"] * 5
    body = ("Hello, the printer in room %d does not work since yesterday. "
            "Error code E%04d. Please help.\n")

    def fill(table, row):
        # required columns we do not know (added later): a neutral value
        for name, notnull, dflt in cols[table]:
            if name not in row and notnull and dflt is None and \
                    name != "id":
                row[name] = 0
        return row

    def insert(table, rows):
        rows = iter(rows)
        first = next(rows)
        keys = list(first.keys())
        sql = "INSERT INTO %s (%s) VALUES (%s)" % (
            table, ",".join(keys), ",".join("?" * len(keys)))

        def gen():
            yield tuple(first.get(k) for k in keys)
            for r in rows:
                yield tuple(r.get(k) for k in keys)
        con.executemany(sql, gen())

    con.execute("BEGIN")
    base = con.execute("SELECT coalesce(max(id),0) FROM tickets").fetchone()[0]

    def tickets():
        for k in range(n):
            created = now - rnd.randrange(3 * 365 * 86400)
            st = statuses[k % len(statuses)]
            req = "customer%d@%s" % (k % 300000, gencorpus.DOMAIN_POOL[
                k % len(gencorpus.DOMAIN_POOL)])
            if st == "resolved":
                # resolved in the last week: ticketd closes a resolved
                # ticket after autoclose_days (7), so older ones do not
                # exist in a database it runs on (they would make every
                # run close a thousand of them)
                created = now - 6 * 86400 - rnd.randrange(30 * 86400)
            r = {"resolved": None, "closed": None,
                 "id": base + k + 1, "mailbox": "support",
                 "subject": "Printer problem %d" % k, "status": st,
                 "priority": "normal", "requester": req,
                 "requester_name": "Customer %d" % k, "created": created,
                 "updated": created + rnd.randrange(86400 * 7)}
            if st == "resolved":
                r["updated"] = now - rnd.randrange(6 * 86400)
            if st in ("resolved", "closed"):
                r["resolved"] = r["updated"]
            if st == "closed":
                r["closed"] = r["updated"]
            yield fill("tickets", r)
    insert("tickets", tickets())
    mbase = con.execute("SELECT coalesce(max(id),0) FROM messages") \
        .fetchone()[0]

    def messages():
        for k in range(n):
            req = "customer%d@%s" % (k % 300000, gencorpus.DOMAIN_POOL[
                k % len(gencorpus.DOMAIN_POOL)])
            mid = "<%s-%d@customer.example>" % (seed_prefix, k)
            text = body % (k % 500, k % 10000)
            raw = ("From: Customer %d <%s>\nTo: support@example.com\n"
                   "Subject: Printer problem %d\nMessage-ID: %s\n"
                   "Date: Mon, 24 Nov 2025 10:00:00 +0000\n\n%s"
                   % (k, req, k, mid, text)).encode()
            yield fill("messages", {
                "id": mbase + k + 1, "ticket_id": base + k + 1,
                "message_id": mid, "mailbox": "support", "direction": "in",
                "kind": "customer", "thread_by": "new", "from_addr": req,
                "from_name": "Customer %d" % k, "to_addrs":
                "support@example.com", "subject": "Printer problem %d" % k,
                "date": now - 86400, "received": now - 86400, "refs": "",
                "body": text, "raw_size": len(raw), "raw": raw})
    insert("messages", messages())

    def participants():
        for k in range(n):
            yield fill("participants", {
                "ticket_id": base + k + 1, "address": "customer%d@%s" % (
                    k % 300000, gencorpus.DOMAIN_POOL[
                        k % len(gencorpus.DOMAIN_POOL)]),
                "name": "Customer %d" % k, "role": "requester"})
    insert("participants", participants())

    def events():
        for k in range(n):
            yield fill("events", {
                "ticket_id": base + k + 1, "created": now - 86400,
                "actor": "customer", "what": "created", "detail": "",
                "message_row": mbase + k + 1})
    insert("events", events())
    con.execute("DELETE FROM mailbox_state")
    # A real database of this size has its messages in the full-text
    # index: index them as ticketd's indexer would (store_fts_sync), else
    # the measured --once run would also index the N pre-populated
    # messages (it waits for its indexer thread before it exits).
    names = {r[0] for r in con.execute(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
    if "messages_fts" in names and "fts_state" in names:
        con.execute("INSERT INTO messages_fts (rowid, subject, body) "
                    "SELECT id, subject, substr(body, 1, 65536) FROM "
                    "messages WHERE direction = 'in' AND id > "
                    "(SELECT last_id FROM fts_state)")
        con.execute("UPDATE fts_state SET last_id = "
                    "(SELECT coalesce(max(id), 0) FROM messages)")
    con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def scale_db(env, s, size):
    """A database with `size` tickets, cached under TMP/db (keyed by the
    schema ticketd creates)."""
    wd = s.tb.workdir
    empty_db = os.path.join(wd, "empty.db")
    if not os.path.exists(empty_db):
        conf = s.config(os.path.join(wd, "empty.conf"), "empty", empty_db)
        r = subprocess.run([env.ticketd, "-c", conf, "--once"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode != 0 or not os.path.exists(empty_db):
            raise RuntimeError("ticketd --once did not create the "
                               "database: %s" % r.stdout.decode()[-500:])
        con = sqlite3.connect(empty_db)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
    con = sqlite3.connect(empty_db)
    schema = "\n".join(r[0] or "" for r in con.execute(
        "SELECT sql FROM sqlite_master ORDER BY name"))
    # the page size ticketd gives a new database is part of its layout
    schema += "\npage_size %d" % con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    # POPULATE_VERSION: databases made by an older populate() are remade
    key = hashlib.sha1((POPULATE_VERSION + schema).encode()).hexdigest()[:12]
    d = os.path.join(env.tmp, "db")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "tickets-%d-%s.db" % (size, key))
    if not os.path.exists(path):
        log("pre-populating a database with %d tickets" % size)
        t0 = time.monotonic()
        tmp = path + ".tmp"
        for ext in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp + ext)
        shutil.copyfile(empty_db, tmp)
        populate(tmp, size)
        os.replace(tmp, path)
        log("populated in %.1f s (%.0f MB)" % (time.monotonic() - t0,
                                              os.path.getsize(path) / 1e6))
    return path


def part_scale(env, m, sizes=(1000, 1000000), reps=None):
    reps = reps or (1 if env.quick else 2)
    corpus = env.corpus(m, seed=5, external="seed:1000")
    s = Servers(env, "scale", ["scale", "empty"])
    try:
        s.start_dovecot()
        s.start_smtp_sink()
        s.load("scale", corpus)
        s.rawfetch("scale")     # warm: the mailbox is not what we measure
        wd = s.tb.workdir
        out = {}
        for size in sizes:
            src = scale_db(env, s, size)
            best = None
            for rep in range(reps):
                db = os.path.join(wd, "run.db")
                for ext in ("", "-wal", "-shm"):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(db + ext)
                shutil.copyfile(src, db)
                conf = s.config(os.path.join(wd, "scale.conf"), "scale", db)
                subprocess.run(["sync"])
                wall, rss, rc = run_timed([env.ticketd, "-c", conf,
                                           "--once"],
                                          os.path.join(wd, "ticketd.log"))
                counts = db_counts(db)
                got = counts["messages"] - size
                log("scale %d: %.2f s for %d messages (rc %d)" % (
                    size, wall, got, rc))
                if best is None or wall < best[0]:
                    best = (wall, rss, rc, got)
            wall, rss, rc, got = best
            out[size] = dict(tickets_before=size, n=m, stored=got,
                             seconds=round(wall, 2),
                             ms_per_msg=round(1000 * wall / m, 3),
                             peak_rss_mb=round(rss / 1024, 1) if rss
                             else None, rc=rc)
        a, b = out[sizes[0]], out[sizes[-1]]
        res = dict(n=m, small=a, large=b,
                   ratio=round(b["ms_per_msg"] / a["ms_per_msg"], 2))
        env.record("scale", **res)
        log("scale: %.3f ms/msg at %d, %.3f at %d: %.2fx" % (
            a["ms_per_msg"], sizes[0], b["ms_per_msg"], sizes[-1],
            res["ratio"]))
        return res
    finally:
        s.close()


def part_profile(env, n):
    """Warm runs of the same mailbox: ack = yes vs ack = no, then strace -c."""
    corpus = env.corpus(n, seed=1)
    user = "p%d" % n
    s = Servers(env, "profile-%d" % n, [user])
    try:
        s.start_dovecot()
        s.start_smtp_sink()
        s.load(user, corpus)
        raw = s.rawfetch(user)
        wd = s.tb.workdir
        res = dict(n=n, raw_warm_msgs_per_s=round(n / raw["wall_s"], 1))
        for label, extra in (("ack_yes", {}), ("ack_no", {"ack": "no"})):
            db = os.path.join(wd, label + ".db")
            conf = s.config(os.path.join(wd, label + ".conf"), user, db,
                            **extra)
            wall, rss, rc = run_timed([env.ticketd, "-c", conf, "--once"],
                                      os.path.join(wd, label + ".log"))
            res[label + "_msgs_per_s"] = round(n / wall, 1)
            log("profile %s: %.0f msgs/s" % (label, n / wall))
        if shutil.which("strace"):
            db = os.path.join(wd, "strace.db")
            conf = s.config(os.path.join(wd, "strace.conf"), user, db)
            sf = os.path.join(wd, "strace.txt")
            subprocess.run(["strace", "-f", "-c", "-w", "-o", sf, env.ticketd,
                            "-c", conf, "--once"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            lines = open(sf).read().splitlines()
            top = [l for l in lines[2:9] if l.strip() and "---" not in l]
            res["strace_top"] = [" ".join(l.split()) for l in top]
            log("strace -c -w -f (wall time in syscalls; top):\n  " + "\n  ".join(lines[:9]))
        env.record("profile", **res)
        return res
    finally:
        s.close()


# --- report --------------------------------------------------------------------

TARGETS = {
    "ingest": ">= 2000 msgs/s, >= 50 % of raw, RSS < 64 MB (100k)",
    "idle": "p50 < 300 ms, p99 < 1 s",
    "mailboxes": "p99 < 2 s",
    "scale": "1M/1k <= 1.5x",
}


def table(results):
    rows = [("part", "figure", "value", "target", "ok")]

    def ok(b):
        return "yes" if b else "NO"
    for r in results:
        p = r["part"]
        if p == "ingest":
            tag = "ingest %d%s" % (r["n"], "" if r["cold"] else " (warm)")
            rows.append((tag, "ticketd msgs/s", "%.0f" % r["msgs_per_s"],
                         ">= 2000", ok(r["msgs_per_s"] >= 2000)))
            rows.append((tag, "ticketd MB/s", "%.2f" % r["mb_per_s"], "",
                         ""))
            rows.append((tag, "raw fetch msgs/s", "%.0f (warm %.0f)" % (
                r["raw_msgs_per_s"], r["raw_warm_msgs_per_s"]), "", ""))
            rows.append((tag, "fraction of raw", "%.1f %%" % (
                100 * r["fraction_of_raw"]), ">= 50 %",
                ok(r["fraction_of_raw"] >= 0.5)))
            rows.append((tag, "peak RSS MB", "%s" % r["peak_rss_mb"],
                         "< 64" if r["n"] >= 100000 else "",
                         ok((r["peak_rss_mb"] or 1e9) < 64)
                         if r["n"] >= 100000 else ""))
            rows.append((tag, "tickets/msgs/acks sent",
                         "%d/%d/%d" % (r["tickets"], r["messages"],
                                       r.get("outbox_sent", 0)), "", ""))
        elif p == "filter":
            tag = "filter %d" % r["n"]
            rows.append((tag, "msgs/s (1 process each)",
                         "%.1f" % r["msgs_per_s"], "", ""))
            rows.append((tag, "latency median / p99 ms", "%.1f / %.1f" % (
                r["median_ms"], r["p99_ms"]), "", ""))
        elif p == "idle":
            tag = "idle %d" % r["n"]
            rows.append((tag, "APPEND->ack p50 ms", "%.0f" % r["p50_ms"],
                         "< 300", ok(r["p50_ms"] < 300)))
            rows.append((tag, "APPEND->ack p99 ms", "%.0f" % r["p99_ms"],
                         "< 1000", ok(r["p99_ms"] < 1000 and not r["lost"])))
            rows.append((tag, "Dovecot IDLE floor p50 ms",
                         "%.0f" % r["dovecot_floor_p50_ms"], "", ""))
        elif p == "mailboxes":
            tag = "mailboxes %d x %d" % (r["mailboxes"], r["n"])
            rows.append((tag, "APPEND->ack median ms", "%.0f" % r["p50_ms"],
                         "", ""))
            rows.append((tag, "APPEND->ack p99 ms", "%.0f" % r["p99_ms"],
                         "< 2000", ok(r["p99_ms"] < 2000 and not r["lost"])))
            rows.append((tag, "lost / wrong recipient", "%d / %d" % (
                r["lost"], r["wrong_recipient"]), "", ""))
            rows.append((tag, "all connected / warm-up acked s",
                         "%.1f / %.1f" % (r["connect_all_s"],
                                          r["warmup_all_acked_s"]), "", ""))
            rows.append((tag, "daemon threads, RSS MB, CPU %",
                         "%s, %s, %s" % (r["daemon_threads"],
                                         r["daemon_rss_mb"],
                                         r["daemon_cpu_pct"]), "", ""))
        elif p == "scale":
            tag = "scale %d new" % r["n"]
            a, b = (r["small"]["tickets_before"],
                    r["large"]["tickets_before"])
            rows.append((tag, "ms/msg at %s tickets" % f"{a:,}",
                         "%.3f" % r["small"]["ms_per_msg"], "", ""))
            rows.append((tag, "ms/msg at %s tickets" % f"{b:,}",
                         "%.3f" % r["large"]["ms_per_msg"], "", ""))
            rows.append((tag, "ratio", "%.2fx" % r["ratio"],
                         "<= 1.5x", ok(r["ratio"] <= 1.5)))
        elif p == "profile":
            tag = "profile %d (warm)" % r["n"]
            rows.append((tag, "msgs/s ack=yes / ack=no / raw", "%.0f / %.0f"
                         " / %.0f" % (r["ack_yes_msgs_per_s"],
                                      r["ack_no_msgs_per_s"],
                                      r["raw_warm_msgs_per_s"]), "", ""))
            for l in r.get("strace_top", [])[:4]:
                rows.append((tag, "strace -c", l, "", ""))
    w = [max(len(str(r[i])) for r in rows) for i in range(5)]
    out = []
    for k, r in enumerate(rows):
        out.append("  ".join(str(c).ljust(w[i]) for i, c in enumerate(r))
                   .rstrip())
        if k == 0:
            out.append("  ".join("-" * x for x in w))
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description="ticketd benchmarks")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--tmp", default=os.environ.get(
        "BENCH_TMP", "/var/tmp/ticketd-bench"))
    ap.add_argument("--bin", required=True)
    ap.add_argument("part", choices=["ingest", "filter", "idle", "scale",
                                     "profile", "mailboxes", "all"])
    ap.add_argument("args", nargs="*", type=int)
    a = ap.parse_args()
    testbed.install_signal_handlers()
    env = Env(a.tmp, a.bin, a.quick)
    if os.getloadavg()[0] > 0.7:
        log("WARNING: load average %.2f before the run: other processes "
            "share the CPUs and will skew the figures" % os.getloadavg()[0])
    q = a.quick
    if a.part == "ingest":
        for n in a.args or ([2000, 10000] if q else [10000, 100000]):
            part_ingest(env, n)
    elif a.part == "filter":
        part_filter(env, (a.args or [100 if q else 500])[0])
    elif a.part == "idle":
        part_idle(env, (a.args or [50 if q else 200])[0])
    elif a.part == "mailboxes":
        part_mailboxes(env, (a.args or [20 if q else 100])[0],
                       a.args[1] if len(a.args) > 1 else (50 if q else 200))
    elif a.part == "scale":
        m = (a.args or [500 if q else 2000])[0]
        big = a.args[1] if len(a.args) > 1 else (100000 if q else 1000000)
        part_scale(env, m, sizes=(1000, big))
    elif a.part == "profile":
        part_profile(env, (a.args or [2000 if q else 10000])[0])
    else:
        for n in ([2000, 10000] if q else [10000, 100000]):
            part_ingest(env, n)
        part_filter(env, 100 if q else 500)
        part_idle(env, 50 if q else 200)
        part_mailboxes(env, 20 if q else 100, 50 if q else 200)
        part_scale(env, 500 if q else 2000,
                   sizes=(1000, 100000 if q else 1000000))
        part_profile(env, 2000 if q else 10000)
    print()
    print("ticketd benchmark%s (%s page cache; results appended to %s)" % (
        " (quick)" if q else "", "cold" if env.cold_ok else
        ("WARM: drop_caches not permitted" if env.cold_ok is False
         else "warm"), os.path.join(env.tmp, "results.json")))
    print("ticketd: %s" % os.environ.get("BENCH_TICKETD_ID", env.ticketd))
    print(table(env.results))


if __name__ == "__main__":
    main()
