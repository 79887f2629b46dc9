#!/usr/bin/env python3
"""Write ticketd's hostile mail corpus (tests/data/hostile/*.eml).

    tests/data/hostile/make-hostile.py              # rewrite the committed set
    tests/data/hostile/make-hostile.py --big DIR    # also the big ones, in DIR

Deterministic (fixed seed, fixed dates): running it again gives the same
bytes, so the committed files are its output.  The few big messages (a 1 MB
header line, 10,000-deep nesting, a 5 MB HTML part, 10,000 links, a 20 MB
attachment, ...) are only made with --big, at test time, so that the
committed corpus stays small (under 3 MB).

Besides the mail it writes manifest.json: for each file the expectations
tests/integration/run-hostile checks beyond the defaults (stored, raw kept,
no injected header):
  "empty": true            empty input: --stdin exits 64, nothing stored
  "dup_of": "FILE"         same Message-ID as FILE: stored once (FILE's)
  "victim": "FILE"         forged threading headers point at FILE's ticket
                           (ingested first); the sender must get nothing
                           about it
  "subject_literal": "S"   S (e.g. "{{ticket.id}}") must appear literally in
                           the acknowledgement's subject
  "no_ack": true           automatic mail: no acknowledgement expected
  "body_must_not": "S"     S must not appear in the stored body (XXE)
"""

import base64
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATE = "Tue, 05 Mar 2024 09:15:00 +0000"
VICTIM_SECRET = "VICTIM-SECRET-7f3a"

files = {}      # name -> bytes
manifest = {}   # name -> dict
_n = [0]


def add(desc, raw, **expect):
    """Register one message; desc becomes part of the file name."""
    _n[0] += 1
    name = "%03d-%s.eml" % (_n[0], desc)
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    files[name] = raw
    if expect:
        manifest[name] = expect
    return name


def hdr(subject="Hostile test", frm=None,
        msgid=None, extra="", nl="\r\n", mime=True):
    """A header block (without the blank line) as str."""
    # A sender of its own: ticketd caps acknowledgements per address.
    if frm is None:
        frm = "Mallory <mallory-%03d@attacker.example>" % (_n[0] + 1)
    elif frm == "Eve <eve@attacker.example>":
        frm = "Eve <eve-%03d@attacker.example>" % (_n[0] + 1)
    _n_mid = msgid if msgid is not None else \
        "<hostile-%03d@attacker.example>" % (_n[0] + 1)
    lines = ["From: " + frm, "To: Support <support@example.com>",
             "Subject: " + subject, "Date: " + DATE]
    if _n_mid:
        lines.append("Message-ID: " + _n_mid)
    if mime:
        lines.append("MIME-Version: 1.0")
    s = nl.join(lines) + nl
    if extra:
        s += extra.replace("\n", nl)
        if not s.endswith(nl):
            s += nl
    return s


def crlf(s):
    return s.replace("\r\n", "\n").replace("\n", "\r\n")


def good_multipart(tag):
    return crlf(hdr("Multipart %s" % tag, msgid="<multipart-%s@attacker."
                    "example>" % tag,
                    extra="Content-Type: multipart/mixed; boundary=\"b1\"\n")
                + "\nPreamble\n--b1\nContent-Type: multipart/alternative; "
                "boundary=b2\n\n--b2\nContent-Type: text/plain; charset=utf-8\n"
                "Content-Transfer-Encoding: quoted-printable\n\nCaf=C3=A9 "
                "cr=C3=A8me, na=C3=AFve =E2=80=94 text part\n--b2\n"
                "Content-Type: text/html; charset=utf-8\n\n<p>Caf\u00e9 "
                "<b>html</b> part</p>\n--b2--\n--b1\nContent-Type: "
                "application/pdf; name=\"a.pdf\"\nContent-Disposition: "
                "attachment; filename=\"a.pdf\"\nContent-Transfer-Encoding: "
                "base64\n\n" + base64.encodebytes(b"%PDF-1.4 " * 40).decode()
                + "--b1--\nEpilogue\n")


def nested(depth, boundary_same=False, kind="multipart/mixed", tail=True):
    """depth nested multiparts, innermost a text part (str, CRLF)."""
    out = []
    for i in range(depth):
        b = "b" if boundary_same else "b%d" % i
        out.append("Content-Type: %s; boundary=\"%s\"\r\n\r\n--%s\r\n"
                   % (kind, b, b))
    out.append("Content-Type: text/plain\r\n\r\ndeep text\r\n")
    if tail:
        for i in reversed(range(depth)):
            b = "b" if boundary_same else "b%d" % i
            out.append("--%s--\r\n" % b)
    return "".join(out)


def rfc822_nested(depth):
    inner = crlf("From: x@y.example\nSubject: innermost\n\nbottom\n")
    for i in range(depth):
        inner = crlf("From: level%d@y.example\nSubject: level %d\n"
                     "Content-Type: message/rfc822\n\n" % (i, i)) + inner
    return inner


def build():
    rnd = random.Random(20240305)

    # --- baseline and empty ---------------------------------------------
    add("baseline-plain", crlf(hdr("Baseline message",
                                   frm="Ann <ann@customer.example>",
                                   extra="Content-Type: text/plain\n")
                               + "\nJust a normal message.\n"))
    add("empty", b"", empty=True)
    add("only-newline", b"\r\n")
    add("only-headers-no-body", crlf(hdr("No body")))
    add("no-headers-only-body", b"Just some text without any header.\r\n")
    add("garbage-binary", bytes(rnd.randrange(256) for _ in range(4096)))
    add("header-no-colon", crlf(hdr("No colon", extra="ThisIsNotAHeader\n"
                                    "Another one without colon\n")
                                + "\nbody\n"))
    add("header-8bit-name", crlf(hdr("8bit name")) .encode() +
        b"X-\xff\xfe-Name: v\r\n\r\nbody\r\n")
    add("lf-only", hdr("LF only line ends", nl="\n") + "\nbody\nmore\n")
    add("cr-only", hdr("CR only line ends", nl="\r") + "\rbody\rmore\r")
    add("mixed-line-ends", "From: m@attacker.example\r\nTo: support@example"
        ".com\nSubject: mixed\rMessage-ID: <mixed-le@attacker.example>\r\n"
        "\nbody\r\nmore\rend\n")
    add("from-missing", crlf("To: support@example.com\nSubject: no from\n"
                             "Message-ID: <nofrom@attacker.example>\n\nbody\n"))
    add("from-garbage", crlf(hdr("Garbage from", frm="<<<@@@>>> ,,, ;;; "
                                 "\"unterminated") + "\nbody\n"))
    add("from-1000-addresses", crlf(hdr("Many senders", frm=", ".join(
        "u%d@attacker.example" % i for i in range(1000))) + "\nbody\n"))
    add("to-2000-addresses", crlf(hdr("Many recipients", extra="Cc: " +
                                      ",\n ".join("c%d@attacker.example" % i
                                                  for i in range(2000))
                                      + "\n") + "\nbody\n"))
    add("date-garbage", crlf(hdr("Bad date").replace(DATE, "Someday at "
                                                     "noon, year 99999999999")
                             + "\nbody\n"))
    add("date-overflow", crlf(hdr("Overflow date").replace(
        DATE, "Tue, 05 Mar 9999999999999999999 99:99:99 +9999") + "\nbody\n"))

    # --- truncated MIME -------------------------------------------------
    fracs = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)
    for i, frac in enumerate(fracs):
        mp = good_multipart("truncated-%02d" % i)
        add("truncated-mime-%02d" % i, mp[:int(len(mp) * frac)])
    add("truncated-in-header", crlf(hdr("Trunc")) + "Content-Type: multipart/"
        "mixed; bound")
    add("truncated-in-base64", crlf(
        hdr("Trunc b64", extra="Content-Type: multipart/mixed; boundary=x\n")
        + "\n--x\nContent-Type: image/png\nContent-Transfer-Encoding: "
        "base64\n\niVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQV"))

    # --- boundaries -----------------------------------------------------
    body = "\n--b1\nContent-Type: text/plain\n\npart one\n--b1--\n"
    add("boundary-missing-param", crlf(hdr("No boundary", extra="Content-Type:"
                                           " multipart/mixed\n") + body))
    add("boundary-never-appears", crlf(hdr("Absent boundary", extra=
                                           "Content-Type: multipart/mixed; "
                                           "boundary=zzz\n") + body))
    add("boundary-empty", crlf(hdr("Empty boundary", extra="Content-Type: "
                                   "multipart/mixed; boundary=\"\"\n")
                               + "\n--\nContent-Type: text/plain\n\nx\n----\n"))
    add("boundary-no-close", crlf(hdr("Unclosed", extra="Content-Type: "
                                      "multipart/mixed; boundary=b1\n")
                                  + "\n--b1\nContent-Type: text/plain\n\n"
                                  "open part\n--b1\nContent-Type: text/plain"
                                  "\n\nsecond open part\n"))
    add("boundary-duplicate-param", crlf(hdr("Two boundaries", extra=
                                             "Content-Type: multipart/mixed; "
                                             "boundary=b1; boundary=b2\n")
                                         + body + "--b2\n\nother\n--b2--\n"))
    add("boundary-two-content-types", crlf(hdr("Two CTs", extra=
                                               "Content-Type: multipart/mixed;"
                                               " boundary=b1\nContent-Type: "
                                               "text/html\n") + body))
    add("boundary-nested-same", crlf(hdr("Same boundary nested", extra=
                                         "Content-Type: multipart/mixed; "
                                         "boundary=b\n"))
        + "\r\n--b\r\n" + nested(20, boundary_same=True))
    add("boundary-prefix-of-other", crlf(hdr("Prefix boundary", extra=
                                             "Content-Type: multipart/mixed; "
                                             "boundary=a\n") +
                                         "\n--a\nContent-Type: multipart/"
                                         "mixed; boundary=aa\n\n--aa\n\nin\n"
                                         "--a\n\nout\n--aa--\n--a--\n"))
    add("boundary-very-long", crlf(hdr("Long boundary", extra=
                                       "Content-Type: multipart/mixed; "
                                       "boundary=\"%s\"\n" % ("B" * 5000))
                                   + "\n--%s\n\nx\n--%s--\n" % ("B" * 5000,
                                                                "B" * 5000)))
    add("boundary-with-nul", crlf(hdr("NUL boundary")).encode() +
        b"Content-Type: multipart/mixed; boundary=\"a\x00b\"\r\n\r\n--a\x00b"
        b"\r\n\r\nx\r\n--a\x00b--\r\n")
    add("boundary-only-delimiters", crlf(hdr("Only delimiters", extra=
                                             "Content-Type: multipart/mixed; "
                                             "boundary=b\n")
                                         + "\n" + "--b\n" * 3000 + "--b--\n"))
    add("multipart-no-parts", crlf(hdr("No parts", extra="Content-Type: "
                                       "multipart/alternative; boundary=b\n")
                                   + "\n--b--\n"))
    add("multipart-10000-empty-parts", crlf(hdr("Many parts", extra=
                                                "Content-Type: multipart/mixed;"
                                                " boundary=p\n")
                                            + "\n" + "--p\n\n" * 10000
                                            + "--p--\n"))

    # --- nesting --------------------------------------------------------
    for depth in (10, 100, 1000):
        add("nested-multipart-%d" % depth, crlf(hdr("Nested %d" % depth))
            + nested(depth))
    add("nested-multipart-1000-unclosed", crlf(hdr("Nested unclosed"))
        + nested(1000, tail=False))
    add("nested-rfc822-200", crlf(hdr("Nested rfc822", extra=
                                      "Content-Type: message/rfc822\n"))
        + "\r\n" + rfc822_nested(200))
    add("nested-alternative-500", crlf(hdr("Nested alternative"))
        + nested(500, kind="multipart/alternative"))
    add("nested-related-300", crlf(hdr("Nested related"))
        + nested(300, kind="multipart/related"))
    add("nested-signed-100", crlf(hdr("Nested signed"))
        + nested(100, kind="multipart/signed"))

    # --- base64 and quoted-printable ------------------------------------
    b64_bad = {
        "b64-invalid-chars": "SGVsbG8@#$%^&*()!!!V29ybGQ=\n",
        "b64-bad-padding": "SGVsbG8=V29y=bGQ===\n====\n",
        "b64-truncated-quad": "SGVsbG8gV29ybGQhI\n",
        "b64-only-padding": "=" * 200 + "\n",
        "b64-whitespace-mess": "S G V s\tb G 8 g\r\r\nV 2 9 y b G Q h\n",
        "b64-binary-in-text": base64.encodebytes(bytes(range(256)) * 4)
        .decode(),
        "b64-long-line": base64.b64encode(b"A" * 60000).decode() + "\n",
        "b64-nul-bytes": base64.encodebytes(b"a\x00b\x00c" * 100).decode(),
    }
    for desc, payload in b64_bad.items():
        add(desc, crlf(hdr(desc, extra="Content-Type: text/plain; charset="
                           "utf-8\nContent-Transfer-Encoding: base64\n")
                       + "\n" + payload))
    qp_bad = {
        "qp-bad-hex": "Caf=ZZ =G1 =1 trailing=\n=\n",
        "qp-equals-at-end": "soft break at the very end=",
        "qp-long-line": "x" * 50000 + "=\n" + "y" * 50000 + "\n",
        "qp-encoded-crlf-nul": "a=0D=0Ab=00c=0D=0ABcc: evil@attacker.example\n",
        "qp-soft-breaks-only": "=\n" * 5000,
        "qp-8bit-raw": "raw \xe9\xff\xfe bytes=C3=28\n",
    }
    for desc, payload in qp_bad.items():
        add(desc, crlf(hdr(desc, extra="Content-Type: text/plain; charset="
                           "utf-8\nContent-Transfer-Encoding: quoted-"
                           "printable\n") + "\n" + payload))
    for cte in ("x-uuencode", "8bit; garbage", "binary", "7bit-ish",
                "base64, quoted-printable", "\u00e9ncoding"):
        add("cte-" + "".join(c if c.isalnum() else "_" for c in cte),
            crlf(hdr("CTE " + cte, extra="Content-Type: text/plain\n"
                     "Content-Transfer-Encoding: %s\n" % cte)
                 + "\nbegin 644 x\n#86)C\n`\nend\n"))

    # --- NUL bytes ------------------------------------------------------
    add("nul-in-subject", crlf(hdr("before")).encode().replace(
        b"Subject: before", b"Subject: be\x00fore {{ticket.id}}")
        + b"\r\nbody\r\n")
    add("nul-in-from", b"From: Ma\x00llory <mal\x00lory@attacker.example>\r\n"
        b"To: support@example.com\r\nSubject: NUL from\r\nMessage-ID: "
        b"<nul-from@attacker.example>\r\n\r\nbody\r\n")
    add("nul-in-message-id", b"From: m@attacker.example\r\nTo: support@"
        b"example.com\r\nSubject: NUL id\r\nMessage-ID: <a\x00b@attacker."
        b"example>\r\n\r\nbody\r\n")
    add("nul-in-body", crlf(hdr("NUL body", extra="Content-Type: text/plain"
                                "\n")).encode() + b"\r\nbe\x00fore\x00\x00"
        b"after\r\n" + b"\x00" * 1000 + b"\r\n")
    add("nul-in-header-name", crlf(hdr("NUL name")).encode() +
        b"X-N\x00ul: v\r\n\r\nbody\r\n")
    add("nul-everywhere", bytes(b if rnd.random() > 0.1 else 0 for b in
                                good_multipart("nul").encode()))

    # --- invalid UTF-8 and charsets -------------------------------------
    add("utf8-invalid-raw-subject", crlf(hdr("x")).encode().replace(
        b"Subject: x", b"Subject: bad \xc3\x28 \xa0\xa1 \xf0\x28\x8c\xbc "
        b"\xed\xa0\x80 \xc0\xaf") + b"\r\nbody\r\n")
    add("utf8-invalid-body", crlf(hdr("Bad UTF-8 body", extra="Content-Type:"
                                      " text/plain; charset=utf-8\n"
                                      "Content-Transfer-Encoding: 8bit\n"))
        .encode() + b"\r\n\xc3\x28 \xa0\xa1 \xe2\x28\xa1 \xf8\xa1\xa1\xa1\xa1"
        b" \xfc\xa1\xa1\xa1\xa1\xa1 \xed\xa0\x80 overlong \xc0\xaf\r\n")
    add("utf8-invalid-encoded-word", crlf(hdr("=?utf-8?B?%s?=" % base64.
                                              b64encode(b"\xc3\x28\xff\xfe")
                                              .decode()) + "\nbody\n"))
    add("utf8-invalid-from-name", b"From: \xff\xfe\xc3\x28 <m@attacker.example>"
        b"\r\nTo: support@example.com\r\nSubject: bad name\r\nMessage-ID: "
        b"<bad-name@attacker.example>\r\n\r\nbody\r\n")
    add("utf8-bom-and-overlong", crlf(hdr("\ufeffBOM subject")).encode() +
        b"\r\n\xef\xbb\xbf\xc0\x80\xe0\x80\x80\r\n")
    add("utf16-body-declared-utf8", crlf(hdr("UTF-16", extra="Content-Type: "
                                             "text/plain; charset=utf-8\n"))
        .encode() + b"\r\n" + "Hello in UTF-16".encode("utf-16"))
    for cs in ("x-unknown", "utf-7", "utf-32", "", "\"\"", "../../etc/passwd",
               "A" * 2000, "iso-2022-jp-2", "ebcdic-cp-us", "gb18030",
               "x-mac-roman", "ucs-2", "unicode-1-1-utf-7", "hz-gb-2312",
               "koi8-u", "cp1258", "tis-620", "windows-1255", "charset"):
        safe = "".join(c if c.isalnum() else "_" for c in cs)[:30] or "empty"
        add("charset-%s" % safe, crlf(hdr(
            "=?%s?Q?caf=E9_=FF=FE?=" % cs.strip('"'),
            extra="Content-Type: text/plain; charset=%s\n"
            "Content-Transfer-Encoding: 8bit\n" % cs)).encode("latin-1") +
            b"\r\ncaf\xe9 \xff\xfe \x1b$B$3$s\x1b(B +AGQ- end\r\n")
    add("charset-iso2022-broken-escapes", crlf(hdr("ISO-2022 broken", extra=
                                                   "Content-Type: text/plain; "
                                                   "charset=iso-2022-jp\n"))
        .encode() + b"\r\n\x1b$B\x1b$B\x1b(\x1b$)C\x0e\x0f\x1b\r\n")
    add("charset-utf7-bomb", crlf(hdr("=?utf-7?Q?+AGQAZABkAGQ-?=", extra=
                                      "Content-Type: text/plain; charset=utf-7"
                                      "\n") + "\n" + "+" + "A" * 20000 + "-\n"))
    add("charset-2231-params", crlf(hdr("RFC 2231", extra=
                                        "Content-Type: text/plain; charset*="
                                        "'';charset*0*=us-ascii'en'%%; "
                                        "charset*1=x\n") + "\nbody\n"))

    # --- encoded-word bombs ---------------------------------------------
    add("ew-5000-words", crlf(hdr(" ".join("=?utf-8?B?%s?=" % base64.
                                           b64encode(b"ab").decode()
                                           for _ in range(5000))) + "\nbody\n"))
    add("ew-5000-words-folded", crlf(hdr("\n ".join("=?utf-8?Q?x=C3=A9?="
                                                    for _ in range(5000)))
                                     + "\nbody\n"))
    add("ew-one-huge", crlf(hdr("=?utf-8?B?%s?=" % base64.b64encode(
        "\u4e2d" .encode() * 30000).decode()) + "\nbody\n"))
    add("ew-nested-ew", crlf(hdr("=?utf-8?B?%s?=" % base64.b64encode(
        b"=?utf-8?B?PT91dGYtOD9CP1BUMS4uLj89?=").decode()) + "\nbody\n"))
    add("ew-unterminated", crlf(hdr("=?utf-8?B?SGVsbG8" + " =?x?" * 500)
                                + "\nbody\n"))
    add("ew-bad-encoding-letter", crlf(hdr("=?utf-8?X?abc?= =?utf-8??abc?= "
                                           "=??B?abc?= =?utf-8*?Q?a?=")
                                       + "\nbody\n"))
    add("ew-in-address", crlf(hdr("Encoded address", frm="=?utf-8?Q?a=40b?= "
                                  "<=?utf-8?Q?evil=40x?=@attacker.example>")
                              + "\nbody\n"))
    add("ew-lang-suffix", crlf(hdr("=?utf-8*en-US*" + "x" * 3000 +
                                   "?Q?hello?=") + "\nbody\n"))
    add("ew-many-charsets", crlf(hdr(" ".join(
        "=?%s?Q?a=E9?=" % cs for cs in ("gbk", "big5", "koi8-r", "x-no",
                                        "utf-7", "iso-8859-1", "windows-1251",
                                        "shift_jis", "euc-kr", "utf-16le")
        * 200)) + "\nbody\n"))

    # --- header injection and template syntax in echoed fields ----------
    inj = [
        ("subj-crlf-bcc-b64", "=?utf-8?B?%s?=" % base64.b64encode(
            b"Hello\r\nBcc: evil@attacker.example").decode(), None),
        ("subj-crlf-bcc-qp", "=?utf-8?Q?Hello=0D=0ABcc:_evil@attacker.example"
         "?=", None),
        ("subj-lf-only-qp", "=?utf-8?Q?Hello=0ABcc:_evil@attacker.example?=",
         None),
        ("subj-cr-only-qp", "=?utf-8?Q?Hello=0DBcc:_evil@attacker.example?=",
         None),
        ("subj-crlf-body-split", "=?utf-8?Q?Hi=0D=0A=0D=0AInjected_body"
         "_text?=", None),
        ("subj-nel-ls-ps", "Hi \u0085Bcc: a@b \u2028Bcc: c@d \u2029X-Evil: 1",
         None),
        ("subj-mustache-var", "Help {{ticket.id}} now", "{{ticket.id}}"),
        ("subj-mustache-section", "{{#ticket}}{{customer.email}}{{/ticket}}",
         "{{#ticket}}{{customer.email}}{{/ticket}}"),
        ("subj-mustache-partial", "{{> signature}} {{> ../../etc/passwd}}",
         "{{> signature}}"),
        ("subj-mustache-triple", "{{{message.body}}} {{& customer.name}}",
         "{{{message.body}}}"),
        ("subj-mustache-unclosed", "{{#x}} unclosed {{", "{{#x}} unclosed {{"),
        ("subj-mustache-comment", "{{! hidden }}visible", "{{! hidden }}"),
        ("subj-mustache-delims", "{{=<% %>=}} <%ticket.id%>", "{{=<% %>=}}"),
        ("subj-mustache-encoded", "=?utf-8?B?%s?=" % base64.b64encode(
            b"{{ticket.subject}} {{history}}").decode(), "{{ticket.subject}}"),
        ("subj-mustache-crlf-mix", "=?utf-8?Q?{{ticket.id}}=0D=0ABcc:_x@"
         "attacker.example?=", "{{ticket.id}}"),
        ("subj-header-lookalike", "x\r\n Bcc: folded@attacker.example", None),
        ("subj-very-long-3000", "L" * 3000, None),
        ("subj-ctrl-chars", "ctrl \x01\x02\x07\x08\x0b\x0c\x1b[31m red", None),
    ]
    for desc, subj, literal in inj:
        exp = {"subject_literal": literal} if literal else {}
        add(desc, crlf(hdr(subj, frm="Eve <eve@attacker.example>",
                           extra="Content-Type: text/plain; charset=utf-8\n"))
            + "\r\nHeader injection attempt.\r\n", **exp)
    add("from-name-crlf-bcc", crlf(hdr("Injected name", frm="=?utf-8?B?%s?= "
                                       "<eve@attacker.example>" % base64.
                                       b64encode(b"Eve\r\nBcc: evil@attacker."
                                                 b"example").decode())
                                   + "\nbody\n"))
    add("from-name-mustache", crlf(hdr("Name template", frm="\"{{ticket.id}} "
                                       "{{#x}}\" <eve@attacker.example>")
                                   + "\nbody\n"))
    add("from-addr-crlf", crlf(hdr("Addr injection", frm="<eve@attacker."
                                   "example=0D=0ABcc:x@y>") + "\nbody\n"))
    add("reply-to-injection", crlf(hdr("Reply-To injection", extra=
                                       "Reply-To: =?utf-8?Q?a=0D=0ABcc:_x@"
                                       "attacker.example?= <r@attacker."
                                       "example>\n") + "\nbody\n"))
    add("body-mustache", crlf(hdr("Body template", extra="Content-Type: text"
                                  "/plain\n") + "\n{{ticket.id}} {{> signature"
                              "}} {{#history}}{{detail}}{{/history}}\n"))
    add("filename-traversal", crlf(
        hdr("Traversal", extra="Content-Type: multipart/mixed; boundary=b\n")
        + "\n--b\nContent-Type: text/plain\n\nsee attachment\n--b\n"
        "Content-Type: application/octet-stream; name=\"../../../etc/passwd\""
        "\nContent-Disposition: attachment; filename=\"../../../etc/passwd\"\n"
        "\nroot:x:0:0\n--b\nContent-Type: application/octet-stream\n"
        "Content-Disposition: attachment; filename=\"=?utf-8?Q?a=0D=0A"
        "Bcc:x=00.exe?=\"\n\nx\n--b\nContent-Type: application/octet-stream\n"
        "Content-Disposition: attachment; filename*0*=utf-8''%%2E%%2E%%2F;"
        " filename*1=\"%s\"\n\ny\n--b--\n" % ("z" * 5000)))
    add("filename-2231-bomb", crlf(
        hdr("2231 bomb", extra="Content-Type: multipart/mixed; boundary=b\n")
        + "\n--b\nContent-Type: text/plain\n\nx\n--b\nContent-Type: "
        "application/octet-stream\nContent-Disposition: attachment; "
        + "; ".join("filename*%d*=%%41" % i for i in range(3000))
        + "\n\ny\n--b--\n"))

    # --- Message-IDs ----------------------------------------------------
    first = add("msgid-dup-first", crlf(hdr("Duplicate id first", msgid=
                                            "<dup-1@attacker.example>",
                                            frm="d1@attacker.example")
                                        + "\nfirst copy\n"))
    add("msgid-dup-second", crlf(hdr("Duplicate id second, other text",
                                     msgid="<dup-1@attacker.example>",
                                     frm="d2@attacker.example")
                                 + "\nsecond, different copy\n"),
        dup_of=first)
    add("msgid-missing", crlf(hdr("No id", msgid="") + "\nno message-id\n"))
    add("msgid-missing-2", crlf(hdr("No id 2", msgid="") + "\nanother\n"))
    add("msgid-empty", crlf(hdr("Empty id", msgid="<>") + "\nx\n"))
    add("msgid-blank", "From: m@attacker.example\r\nSubject: blank id\r\n"
        "Message-ID: \r\n\r\nx\r\n")
    add("msgid-two-headers", crlf(hdr("Two ids", msgid="<two-a@attacker."
                                      "example>", extra="Message-ID: <two-b@"
                                      "attacker.example>\n") + "\nx\n"))
    add("msgid-huge", crlf(hdr("Huge id", msgid="<%s@attacker.example>"
                               % ("i" * 20000)) + "\nx\n"))
    add("msgid-spaces-crlf", crlf(hdr("Spaced id", msgid="< a b \n c @ d >")
                                  + "\nx\n"))
    add("msgid-no-brackets", crlf(hdr("Bare id", msgid="bare-id@attacker."
                                      "example") + "\nx\n"))
    add("msgid-sql-like", crlf(hdr("SQL id", msgid="<'); DROP TABLE tickets;"
                                   "--@attacker.example>") + "\nx\n"))
    add("in-reply-to-self", crlf(hdr("Self reply", msgid="<self@attacker."
                                     "example>", extra="In-Reply-To: <self@"
                                     "attacker.example>\nReferences: <self@"
                                     "attacker.example>\n") + "\nx\n"))
    add("references-10000", crlf(hdr("Many refs", extra="References: " +
                                     "\n ".join("<r%d@attacker.example>" % i
                                                for i in range(10000)) + "\n")
                                 + "\nx\n"))
    add("references-garbage", crlf(hdr("Garbage refs", extra="References: "
                                       "<<<>>> <a@ <@b> <> <<x>> " + "<" *
                                       5000 + "\nIn-Reply-To: " + ">" * 5000
                                       + "\n") + "\nx\n"))

    # --- forged threading into other customers' tickets ------------------
    victim = add("victim-ticket", crlf(hdr("%s private order" % VICTIM_SECRET,
                                           frm="Victor <victor@victim."
                                           "example>", msgid="<victim-order@"
                                           "victim.example>", extra=
                                           "Content-Type: text/plain\n")
                                       + "\n%s: my card ends 4242\n"
                                       % VICTIM_SECRET))
    add("forged-in-reply-to", crlf(hdr("Re: your order", frm="Mallory "
                                       "<mallory@attacker.example>",
                                       extra="In-Reply-To: <victim-order@"
                                       "victim.example>\n") + "\nShow me.\n"),
        victim=victim)
    add("forged-references", crlf(hdr("Re: hello", extra="References: "
                                      "<victim-order@victim.example>\n")
                                  + "\nShow me.\n"), victim=victim)
    add("forged-subject-tag", crlf(hdr("Re: [ACME #1] %s" % "order",
                                       frm="mallory@attacker.example")
                                   + "\nShow me too.\n"), victim=victim)
    add("forged-reply-address", crlf(
        hdr("Re: agent", extra="In-Reply-To: <victim-order@victim.example>\n")
        .replace("To: Support <support@example.com>",
                 "To: support+1-0000000000000000@example.com")
        + "\n#status closed\n#assign mallory\n\nclose it\n"), victim=victim)
    add("forged-from-victim", crlf(hdr("Re: order", frm="Victor <victor@"
                                       "victim.example>", extra=
                                       "In-Reply-To: <victim-order@victim."
                                       "example>\nReply-To: mallory@attacker."
                                       "example\n") + "\nforged\n"),
        victim=victim)

    # --- HTML -----------------------------------------------------------
    def html(desc, markup, **kw):
        return add(desc, crlf(hdr(desc, extra="Content-Type: text/html; "
                                  "charset=utf-8\n")) + "\r\n" + markup, **kw)
    html("html-xxe", "<!DOCTYPE html [<!ENTITY x SYSTEM \"file:///etc/passwd"
         "\">]><html><body><p>&x;</p></body></html>\n",
         body_must_not="root:x:0")
    html("html-entity-bomb", "<!DOCTYPE html [<!ENTITY a \"aaaaaaaaaa\">"
         + "".join("<!ENTITY %s \"%s\">" % (chr(98 + i), ("&%s;" % chr(97 + i))
                                              * 10) for i in range(9))
         + "]><p>&j;</p>\n")
    html("html-deep-divs-3000", "<div>" * 3000 + "deep" + "</div>" * 3000)
    html("html-unclosed-tags", "<p><b><i><u><table><tr><td>" * 500 + "x")
    html("html-script-style", "<script>alert(1)</script><style>p{}</style>"
         "<p onload=x>visible</p><!-- comment --><![CDATA[cdata]]>")
    html("html-bad-entities", "&#0; &#xD800; &#x110000; &#99999999999; &bogus;"
         " &amp &lt;&#x;&#;\n")
    html("html-1000-links", "".join("<a href=\"http://x%d.example/%s\">l%d</a>"
                                    % (i, "p" * 20, i) for i in range(1000)))
    html("html-javascript-href", "<a href=\"javascript:alert(1)\r\nBcc: x\">"
         "click</a> <a href=\"{{ticket.id}}\">t</a>")
    html("html-nul-and-controls", "<p>a\x00b\x01c\x1bd</p>")
    html("html-comment-unterminated", "<p>before<!-- never closed " + "x" *
         10000)
    add("html-declared-binary", crlf(hdr("HTML binary", extra="Content-Type: "
                                         "text/html\n")).encode() + b"\r\n" +
        bytes(rnd.randrange(256) for _ in range(8192)))

    # --- parts, types, autoreply lookalikes -----------------------------
    add("dsn-garbage", crlf(hdr("Delivery failure", frm="MAILER-DAEMON@x."
                                "example", extra="Content-Type: multipart/"
                                "report; report-type=delivery-status; "
                                "boundary=r\n") + "\n--r\n\nfailed\n--r\n"
                            "Content-Type: message/delivery-status\n\n"
                            "garbage\x01\n--r\nContent-Type: message/rfc822"
                            "\n\nnot a message\n"), no_ack=True)
    add("auto-submitted-weird", crlf(hdr("Auto", extra="Auto-Submitted: " +
                                         "x" * 5000 + "\nPrecedence: bulk; "
                                         "junk\n") + "\nx\n"), no_ack=True)
    add("message-partial", crlf(hdr("Partial", extra="Content-Type: message/"
                                    "partial; id=\"x\"; number=1; total=2\n")
                                + "\nFrom: a@b\n\npart\n"))
    add("message-external-body", crlf(hdr("External", extra="Content-Type: "
                                          "message/external-body; access-type"
                                          "=local-file; name=\"/etc/passwd\"\n")
                                      + "\nContent-Type: text/plain\n\n"))
    add("pkcs7-garbage", crlf(hdr("S/MIME garbage", extra="Content-Type: "
                                  "application/pkcs7-mime; smime-type=enveloped"
                                  "-data\nContent-Transfer-Encoding: base64\n")
                              + "\n!!!notbase64!!!\n"))
    add("calendar-garbage", crlf(hdr("Invite", extra="Content-Type: multipart/"
                                     "mixed; boundary=c\n") + "\n--c\n"
                                 "Content-Type: text/calendar; method=REQUEST"
                                 "\n\nBEGIN:VCALENDAR\n" + "BEGIN:VEVENT\n" *
                                 2000 + "\n--c--\n"))
    add("tnef-winmail", crlf(hdr("winmail", extra="Content-Type: multipart/"
                                 "mixed; boundary=t\n") + "\n--t\nContent-Type"
                             ": application/ms-tnef; name=winmail.dat\n"
                             "Content-Transfer-Encoding: base64\n\n" +
                             base64.encodebytes(b"\x78\x9f\x3e\x22" + bytes(
                                 rnd.randrange(256) for _ in range(2000)))
                             .decode() + "--t--\n"))
    add("content-type-garbage", crlf(hdr("CT garbage", extra="Content-Type: "
                                         ";;;/;;=\"\"\"; ===; charset\n")
                                     + "\nx\n"))
    add("content-type-params-5000", crlf(hdr("CT params", extra="Content-Type:"
                                             " text/plain; " + "; ".join(
                                                 "p%d=v" % i for i in
                                                 range(5000)) + "\n")
                                         + "\nx\n"))
    add("headers-20000", crlf(hdr("Many headers", extra="".join(
        "X-H%d: v\n" % i for i in range(20000))) + "\nx\n"))
    add("header-folded-5000", crlf(hdr("Folded" + "\n x" * 5000) + "\nx\n"))
    add("header-line-64k", crlf(hdr("Long line", extra="X-Long: " + "h" *
                                    65536 + "\n") + "\nx\n"))
    add("subject-64k", crlf(hdr("s" * 65536) + "\nx\n"))
    add("body-line-200k", crlf(hdr("Long body line", extra="Content-Type: "
                                   "text/plain\n") + "\n") + "w" * 200000)
    add("thread-index-garbage", crlf(hdr("TI", extra="Thread-Index: " +
                                         "!!==AAAA" * 3000 + "\nThread-Topic: "
                                         "=?utf-8?Q?a=0D=0Ab?=\n") + "\nx\n"))
    add("auth-results-flood", crlf(hdr("AR", extra="".join(
        "Authentication-Results: x; dkim=pass header.d=example.com; spf=pass"
        " smtp.mailfrom=%d\n" % i for i in range(2000))) + "\nx\n"))
    add("reply-commands-customer", crlf(hdr("Commands from customer", extra=
                                            "Content-Type: text/plain\n")
                                        + "\n#status closed\n#merge 1\n"
                                        "#assign mallory\n#note\n\nhi\n"))

    # --- random mutations of a good message (deterministic) -------------
    for i in range(40):
        # each its own Message-ID, or they would be one message stored once
        b = bytearray(good_multipart("mutated-%02d" % i).encode())
        for _ in range(rnd.randint(1, 40)):
            op = rnd.random()
            pos = rnd.randrange(len(b))
            if op < 0.4:
                b[pos] = rnd.randrange(256)
            elif op < 0.7:
                del b[pos:pos + rnd.randint(1, 50)]
            else:
                ins = rnd.choice([b"\r\n", b"--b1", b"--b2--", b"=?",
                                  b"?=", b"\x00", b"=", b"{{", b"}}",
                                  b"\r\n\r\n", b"Content-Type: multipart/"
                                  b"mixed; boundary=b1\r\n"])
                b[pos:pos] = ins
        add("mutated-%02d" % i, bytes(b))


def build_big():
    """The big ones: made at test time, never committed.  Returns
    {name: bytes}."""
    big = {}

    def put(desc, raw, **expect):
        name = "big-%s.eml" % desc
        big[name] = raw.encode("utf-8") if isinstance(raw, str) else raw
        if expect:
            manifest[name] = expect
    put("header-line-1mb", crlf(hdr("1 MB header line", msgid="<big-hl@"
                                    "attacker.example>", extra="X-Long: "
                                    + "h" * (1 << 20) + "\n")) + "\r\nx\r\n")
    put("subject-1mb", crlf(hdr("S" * (1 << 20), msgid="<big-subj@attacker."
                                "example>")) + "\r\nx\r\n")
    put("nested-10000", crlf(hdr("Nested 10000", msgid="<big-nest@attacker."
                                 "example>")) + nested(10000))
    put("rfc822-nested-2000", crlf(hdr("rfc822 2000", msgid="<big-822@"
                                       "attacker.example>", extra=
                                       "Content-Type: message/rfc822\n"))
        + "\r\n" + rfc822_nested(2000))
    put("html-5mb", crlf(hdr("5 MB HTML", msgid="<big-html@attacker.example>",
                             extra="Content-Type: text/html; charset=utf-8\n"))
        + "\r\n<html><body>" + "<p>lorem ipsum dolor sit amet</p>\r\n"
        * (5 * 1024 * 1024 // 36) + "</body></html>\r\n")
    put("html-10000-links", crlf(hdr("10000 links", msgid="<big-links@"
                                     "attacker.example>", extra="Content-Type:"
                                     " text/html\n")) + "\r\n" + "".join(
        "<a href=\"https://l%d.example/path\">link %d</a>\r\n" % (i, i)
        for i in range(10000)))
    att = base64.encodebytes(os.urandom(0) + bytes(range(256)) *
                             (20 * 4096)).decode()
    put("attachment-20mb", crlf(hdr("20 MB attachment", msgid="<big-att@"
                                    "attacker.example>", extra="Content-Type: "
                                    "multipart/mixed; boundary=a\n")
                                + "\n--a\nContent-Type: text/plain\n\nsee "
                                "attached\n--a\nContent-Type: application/"
                                "octet-stream; name=big.bin\nContent-"
                                "Disposition: attachment; filename=big.bin\n"
                                "Content-Transfer-Encoding: base64\n\n")
        + crlf(att) + "--a--\r\n")
    put("ew-bomb-200k", crlf(hdr(" ".join("=?utf-8?B?YWI=?=" for _ in
                                          range(200000 // 17)), msgid=
                                 "<big-ew@attacker.example>")) + "\r\nx\r\n")
    put("body-line-8mb", crlf(hdr("8 MB line", msgid="<big-line@attacker."
                                  "example>")) + "\r\n" + "w" * (8 << 20))
    return big


def main():
    build()
    out = HERE
    if len(sys.argv) == 3 and sys.argv[1] == "--big":
        out = sys.argv[2]
        os.makedirs(out, exist_ok=True)
        for name, raw in build_big().items():
            with open(os.path.join(out, name), "wb") as f:
                f.write(raw)
        with open(os.path.join(out, "manifest-big.json"), "w") as f:
            json.dump({k: v for k, v in manifest.items()
                       if k.startswith("big-")}, f, indent=1, sort_keys=True)
        return 0
    if len(sys.argv) != 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 64
    for name in os.listdir(out):
        if name.endswith(".eml") and name[:3].isdigit():
            os.unlink(os.path.join(out, name))
    for name, raw in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(raw)
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    total = sum(len(r) for r in files.values())
    print("%d messages, %d bytes" % (len(files), total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
