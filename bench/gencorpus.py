#!/usr/bin/env python3
"""Generate a realistic corpus of support mail for ticketd's benchmarks.

Every message is a file DIR/NNNNNNN.eml (LF line ends, as in a Maildir).
The corpus is deterministic: message i depends only on (seed, i), so a
corpus can be generated in parallel and regenerated identically.

Mix (per message, by its own random draw):
  - size 3-50 KB (log-normal around 8 KB, clipped), headers included;
  - 30 % replies (In-Reply-To + References to an earlier message of the
    corpus, or to one of --external-ids pre-existing Message-IDs);
  - ~15 % with an attachment (PDF/PNG/ZIP-like bytes, base64);
  - ~25 % multipart/alternative with an HTML part, ~5 % HTML only;
  - charsets: utf-8, iso-8859-1, windows-1252, koi8-r, gbk, big5,
    iso-2022-jp, shift_jis; RFC 2047 subjects and names; 7bit, 8bit,
    quoted-printable and base64 bodies;
  - ~1 % auto-replies (Auto-Submitted), ~1 % list mail (List-Id).

    gencorpus.py DIR N [--seed S] [--external-ids PREFIX:COUNT] [-j JOBS]
"""

import argparse
import base64
import email.charset
import email.header
import multiprocessing
import os
import quopri
import random
import sys
import time

DOMAIN_POOL = ["example.net", "mail.example.org", "kunde.example.de",
               "example.co.jp", "example.com.cn", "example.ru",
               "example.com.tw", "example.fr", "gmail.example", "corp.example"]

EN = ("the printer is not working since yesterday and we cannot print any "
      "invoices please help us as soon as possible our account number is "
      "attached below thank you for your support we tried to restart the "
      "device but the error message remains the same order delivery "
      "refund password login cannot access server error timeout update "
      "version license installation customer service request urgent "
      "problem issue again still after before with without from about "
      "screen network connection email database report monday friday "
      "week month invoice payment card bank transfer shipping address "
      "phone number contact manager team office building floor").split()
DE = ("der Drucker funktioniert seit gestern nicht mehr und wir können "
      "keine Rechnungen drucken bitte helfen Sie uns schnell möglich "
      "Kundennummer Größe Straße Grüße freundlichen Lieferung Rückerstattung "
      "Passwort Anmeldung Fehlermeldung Überweisung Bestellung übermorgen "
      "Geräte Büro Ärger schön").split()
FR = ("l'imprimante ne fonctionne plus depuis hier et nous ne pouvons pas "
      "imprimer les factures merci de votre aide très rapidement numéro "
      "client remboursement livraison problème mot de passe élève été "
      "reçu à déjà français").split()
RU = ("принтер не работает со вчерашнего дня и мы не можем печатать счета "
      "пожалуйста помогите нам как можно скорее номер заказа доставка "
      "возврат пароль ошибка сервер спасибо за помощь").split()
ZH = list("打印机从昨天开始不能工作我们无法打印发票请尽快帮助我们订单号码退款送货"
          "密码登录错误服务器谢谢您的支持问题客户账户")
JA = list("プリンターが昨日から動作せず請求書を印刷できませんご対応をお願いします"
          "注文番号返金配送パスワードエラーサーバーありがとうございます")

# (charset, word list, joiner, weight)
LANGS = [
    ("utf-8", EN, " ", 30),
    ("us-ascii", EN, " ", 15),
    ("iso-8859-1", DE, " ", 10),
    ("windows-1252", FR, " ", 8),
    ("utf-8", DE, " ", 5),
    ("koi8-r", RU, " ", 6),
    ("utf-8", RU, " ", 3),
    ("gbk", ZH, "", 6),
    ("gb2312", ZH, "", 3),
    ("big5", ZH, "", 4),
    ("utf-8", ZH, "", 3),
    ("iso-2022-jp", JA, "", 4),
    ("shift_jis", JA, "", 2),
    ("utf-8", JA, "", 1),
]
LANG_WEIGHTS = [w for *_, w in LANGS]

FIRST = ["Ann", "Bob", "Chen", "Dmitri", "Elke", "François", "Yuki", "Li",
         "Maria", "Jürgen", "Olga", "Wei", "Hiro", "Sam", "Kim", "Ravi"]
LAST = ["Customer", "Smith", "Wang", "Ivanov", "Müller", "Dupont", "Tanaka",
        "Zhang", "García", "Schröder", "Petrova", "Liu", "Sato", "Lee"]

ATTACH = [("application/pdf", "invoice.pdf", b"%PDF-1.4\n"),
          ("image/png", "screenshot.png", b"\x89PNG\r\n\x1a\n"),
          ("application/zip", "logs.zip", b"PK\x03\x04"),
          ("image/jpeg", "photo.jpg", b"\xff\xd8\xff\xe0"),
          ("text/plain", "error.log", None)]
ATTACH_NAMES_INTL = ["Rechnung März.pdf", "发票.pdf", "請求書.pdf",
                     "счёт.pdf"]


def rng_for(seed, i, salt=0):
    return random.Random((seed * 1000003 + i) * 7 + salt)


def message_id(seed, i):
    return "<%07d.%d.bench@%s>" % (i, seed, DOMAIN_POOL[i % len(DOMAIN_POOL)])


def sender_of(seed, i, ncustomers):
    """(name, address) of message i's author; replies reuse the parent's."""
    r = rng_for(seed, i, 1)
    c = r.randrange(ncustomers)
    name = "%s %s" % (FIRST[c % len(FIRST)], LAST[(c // 7) % len(LAST)])
    addr = "customer%d@%s" % (c, DOMAIN_POOL[c % len(DOMAIN_POOL)])
    return name, addr


def lang_of(seed, i):
    r = rng_for(seed, i, 2)
    return r.choices(LANGS, LANG_WEIGHTS)[0]


def subject_of(seed, i):
    r = rng_for(seed, i, 3)
    cs, words, joiner, _ = lang_of(seed, i)
    n = r.randint(3, 8) if joiner else r.randint(6, 14)
    return joiner.join(r.choice(words) for _ in range(n)).capitalize()


def encode_header(text, charset):
    try:
        text.encode("ascii")
        return text
    except UnicodeEncodeError:
        pass
    cs = "utf-8" if charset == "us-ascii" else charset
    try:
        text.encode(cs)
    except UnicodeEncodeError:
        cs = "utf-8"
    h = email.header.Header(text, cs, maxlinelen=76)
    return h.encode(linesep="\n")


def addr_header(name, addr, charset):
    enc = encode_header(name, charset)
    if enc == name:
        return '"%s" <%s>' % (name, addr) if any(c in name for c in ",.;") \
            else "%s <%s>" % (name, addr)
    return "%s <%s>" % (enc, addr)


def text_of(r, words, joiner, nbytes, charset):
    """Paragraphs of roughly nbytes when encoded."""
    avg = 7 if joiner else 3
    out, size = [], 0
    while size < nbytes:
        n = r.randint(20, 80)
        para = joiner.join(r.choices(words, k=n))
        if joiner:
            para = para[0].upper() + para[1:] + "."
            # wrap at ~72 columns
            lines, line = [], ""
            for w in para.split(" "):
                if len(line) + len(w) + 1 > 72:
                    lines.append(line)
                    line = w
                else:
                    line = (line + " " + w) if line else w
            lines.append(line)
            para = "\n".join(lines)
        else:
            para = "\n".join(para[k:k + 36] for k in range(0, len(para), 36))
        out.append(para)
        size += len(para) * (1 if joiner else avg)
    return "\n\n".join(out) + "\n"


def encode_body(text, charset, r):
    """(content-transfer-encoding, body str with LF ends)."""
    raw = text.encode(charset, "replace")
    if charset == "iso-2022-jp":
        return "7bit", raw.decode("ascii")
    try:
        raw.decode("ascii")
        return "7bit", text
    except UnicodeDecodeError:
        pass
    how = r.choices(["8bit", "quoted-printable", "base64"], [3, 4, 3])[0]
    if how == "8bit":
        return "8bit", raw.decode("latin-1")  # bytes written back as-is
    if how == "quoted-printable":
        return how, quopri.encodestring(raw).decode("ascii")
    return how, base64.encodebytes(raw).decode("ascii")


def html_of(text):
    paras = text.strip().split("\n\n")
    body = "".join("<p>%s</p>\n" % p.replace("&", "&amp;")
                   .replace("<", "&lt;").replace("\n", "<br>\n")
                   for p in paras)
    return ("<html><head><style>p{font-family:Arial}</style></head>"
            "<body>\n%s<div class=\"sig\">--<br>Sent from my device</div>"
            "</body></html>\n" % body)


def part(ctype, charset, text, r, extra=""):
    cte, body = encode_body(text, charset, r)
    return ("Content-Type: %s; charset=\"%s\"\nContent-Transfer-Encoding: %s"
            "\n%s\n%s" % (ctype, charset, cte, extra, body))


def make_message(seed, i, ncustomers, ext_prefix=None, ext_count=0):
    """Message i as bytes, 3-50 KB: the text is rescaled (same draws)
    when the encodings made it come out too small or too big."""
    scale = 1.0
    for _ in range(8):
        data = _make_message(seed, i, ncustomers, ext_prefix, ext_count, scale)
        if len(data) > 51200:
            scale *= 0.85 * 51200 / len(data)
        elif len(data) < 3072:
            scale *= 1.15 * 3072 / len(data)
        else:
            break
    return data


def _make_message(seed, i, ncustomers, ext_prefix, ext_count, scale):
    r = rng_for(seed, i, 4)
    charset, words, joiner, _ = lang_of(seed, i)
    name, addr = sender_of(seed, i, ncustomers)
    target = int(min(50000, max(3000, r.lognormvariate(9.0, 0.6))))
    kind = r.random()
    is_reply = kind < 0.30 and (i > 0 or ext_count > 0)
    hdr = []
    parent_mid = None
    subj = subject_of(seed, i)
    if is_reply:
        if ext_count and (i == 0 or r.random() < 0.5):
            k = r.randrange(ext_count)
            parent_mid = "<%s-%d@customer.example>" % (ext_prefix, k)
            refs = [parent_mid]
        else:
            j = max(0, i - 1 - int(r.expovariate(1 / 200.0)))
            parent_mid = message_id(seed, j)
            name, addr = sender_of(seed, j, ncustomers)
            charset, words, joiner, _ = lang_of(seed, j)
            subj = subject_of(seed, j)
            refs = [parent_mid]
            if r.random() < 0.5 and j > 0:
                refs.insert(0, message_id(seed, max(0, j - 1 - r.randrange(50))))
        subj = r.choice(["Re: ", "RE: ", "AW: ", "回复：", "Re: Re: "]) + subj
    hdr.append("Return-Path: <%s>" % addr)
    hdr.append("Received: from mx.%s (mx.%s [192.0.2.%d])\n\tby mx.example.com "
               "(Postfix) with ESMTPS id %08X\n\tfor <support@example.com>; "
               "Mon, 24 Nov 2025 10:%02d:%02d +0000"
               % (addr.split("@")[1], addr.split("@")[1], i % 250 + 1,
                  r.getrandbits(32), (i // 60) % 60, i % 60))
    hdr.append("From: " + addr_header(name, addr, charset))
    hdr.append("To: Support <support@example.com>")
    if r.random() < 0.1:
        hdr.append("Cc: colleague%d@%s" % (r.randrange(1000),
                                            addr.split("@")[1]))
    hdr.append("Subject: " + encode_header(subj, charset))
    hdr.append("Date: Mon, 24 Nov 2025 %02d:%02d:%02d +0100"
               % (8 + (i // 3600) % 10, (i // 60) % 60, i % 60))
    hdr.append("Message-ID: " + message_id(seed, i))
    if parent_mid:
        hdr.append("In-Reply-To: " + parent_mid)
        hdr.append("References: " + "\n ".join(refs))
    hdr.append("MIME-Version: 1.0")
    hdr.append("User-Agent: " + r.choice(["Mozilla Thunderbird 115",
                                          "Microsoft Outlook 16.0",
                                          "Apple Mail (2.3731)",
                                          "Foxmail 7.2"]))
    if kind > 0.99:
        hdr.append("Auto-Submitted: auto-replied")
    elif kind > 0.98:
        hdr.append("List-Id: <news.%s>" % addr.split("@")[1])
        hdr.append("Precedence: list")
    head = "\n".join(hdr) + "\n"

    has_att = r.random() < 0.15
    shape = r.random()
    text_budget = (target - len(head) - 300) * scale
    att = None
    if has_att:
        att_size = max(500, int(text_budget * r.uniform(0.5, 0.9) * 3 / 4))
        text_budget = max(300, text_budget - att_size * 4 // 3)
        att = r.choice(ATTACH)
    if shape < 0.25 and not has_att:
        text_budget //= 2.6   # text + html of it
    text = text_of(r, words, joiner, max(200, int(text_budget)), charset)
    if parent_mid and r.random() < 0.6:
        quote = text_of(r, words, joiner, 400, charset)
        text += "\nOn Mon, 24 Nov 2025, Support wrote:\n" + "".join(
            "> " + l + "\n" for l in quote.splitlines())
    boundary = "=_bench_%08x" % r.getrandbits(32)
    if shape < 0.05 and not has_att:
        body = part("text/html", charset, html_of(text), r)
        msg = head + body
    elif shape < 0.25 and not has_att:
        msg = head + ("Content-Type: multipart/alternative; boundary=\"%s\""
                      "\n\nThis is a multi-part message in MIME format.\n"
                      "\n--%s\n%s\n--%s\n%s\n--%s--\n"
                      % (boundary, boundary,
                         part("text/plain", charset, text, r), boundary,
                         part("text/html", charset, html_of(text), r),
                         boundary))
    elif has_att:
        ctype, fname, magic = att
        if r.random() < 0.2:
            fname = r.choice(ATTACH_NAMES_INTL)
        if magic is None:
            payload = text_of(r, EN, " ", att_size, "us-ascii").encode()
        else:
            payload = magic + r.randbytes(att_size)
        fn_enc = encode_header(fname, "utf-8")
        msg = head + ("Content-Type: multipart/mixed; boundary=\"%s\"\n\n"
                      "--%s\n%s\n--%s\nContent-Type: %s; name=\"%s\"\n"
                      "Content-Disposition: attachment; filename=\"%s\"\n"
                      "Content-Transfer-Encoding: base64\n\n%s\n--%s--\n"
                      % (boundary, boundary,
                         part("text/plain", charset, text, r), boundary,
                         ctype, fn_enc, fn_enc,
                         base64.encodebytes(payload).decode("ascii"),
                         boundary))
    else:
        msg = head + part("text/plain", charset, text, r)
    return _to_bytes(msg)


def _to_bytes(msg):
    # Headers and encoded bodies are ASCII except 8bit bodies, which were
    # decoded as latin-1 to carry their raw bytes.
    return msg.encode("latin-1")


def _work(args):
    outdir, seed, lo, hi, ncust, ext_prefix, ext_count = args
    total = 0
    for i in range(lo, hi):
        data = make_message(seed, i, ncust, ext_prefix, ext_count)
        with open(os.path.join(outdir, "%07d.eml" % i), "wb") as f:
            f.write(data)
        total += len(data)
    return total


def generate(outdir, n, seed=1, jobs=None, external=None, quiet=False):
    """Write n messages to outdir; returns total bytes."""
    os.makedirs(outdir, exist_ok=True)
    ext_prefix, ext_count = (None, 0)
    if external:
        ext_prefix, c = external.rsplit(":", 1)
        ext_count = int(c)
    ncust = max(50, n // 3)
    jobs = jobs or os.cpu_count() or 1
    chunk = 500
    tasks = [(outdir, seed, lo, min(n, lo + chunk), ncust, ext_prefix,
              ext_count) for lo in range(0, n, chunk)]
    t0 = time.monotonic()
    with multiprocessing.Pool(jobs) as pool:
        total = sum(pool.imap_unordered(_work, tasks))
    if not quiet:
        dt = time.monotonic() - t0
        print("gencorpus: %d messages, %.1f MB in %.1f s -> %s"
              % (n, total / 1e6, dt, outdir), file=sys.stderr)
    with open(os.path.join(outdir, ".complete"), "w") as f:
        f.write("%d %d %d\n" % (n, seed, total))
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir")
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-j", "--jobs", type=int)
    ap.add_argument("--external-ids", metavar="PREFIX:COUNT",
                    help="replies may refer to <PREFIX-k@customer.example>,"
                    " k < COUNT (Message-IDs already in the database)")
    a = ap.parse_args()
    generate(a.dir, a.n, a.seed, a.jobs, a.external_ids)


if __name__ == "__main__":
    main()
