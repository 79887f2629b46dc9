#!/usr/bin/env python3
"""Write the sample mail corpus in tests/data/mail/ with exact bytes.

The samples are used by tests/unit/test-message.c, by the integration suite
and by the demo (appended to a Dovecot mailbox).  Run it from anywhere:

    python3 tests/data/mail/make-samples.py

Every sample but no-message-id.eml has a distinct Message-ID.  Lines end
in CRLF, as they do when fetched over IMAP, except undeclared-utf8.eml
which uses bare LF like a Unix MTA's spool file.
"""

import base64
import os
import quopri
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def b64(data, width=76):
    s = base64.b64encode(data).decode("ascii")
    return "\n".join(s[i:i + width] for i in range(0, len(s), width)).encode()


def qp(data):
    return quopri.encodestring(data)


def ew(text, charset, enc="B"):
    """RFC 2047 encoded-word (one word; callers keep text short)."""
    raw = text.encode(charset)
    if enc == "B":
        return b"=?" + charset.upper().encode() + b"?B?" + \
            base64.b64encode(raw) + b"?="
    out = b""
    for c in raw:
        ch = bytes([c])
        if ch == b" ":
            out += b"_"
        elif ch.isalnum():
            out += ch
        else:
            out += b"=%02X" % c
    return b"=?" + charset.encode() + b"?Q?" + out + b"?="


def write(name, data, crlf=True):
    data = data.replace(b"\r\n", b"\n")
    if crlf:
        data = data.replace(b"\n", b"\r\n")
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def hdr(lines):
    return b"".join(l + b"\n" for l in lines) + b"\n"


DATE = b"Date: Tue, 05 Mar 2024 09:15:00 +0800"

# A minimal valid one-page PDF and a 1x1 PNG, so that the bytes are real.
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")
PNG = base64.b64decode(
    b"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwAB"
    b"BAEAwS2OUAAAAABJRU5ErkJggg==")


def plain_ascii():
    write("plain-ascii.eml", hdr([
        b"Return-Path: <customer@example.net>",
        b"From: Alice Customer <customer@example.net>",
        b"To: Support <support@example.com>",
        b"Subject: Cannot log in to my account",
        DATE,
        b"Message-ID: <plain-ascii-0001@mail.example.net>",
        b"MIME-Version: 1.0",
        b"Content-Type: text/plain; charset=us-ascii",
        b"Content-Transfer-Encoding: 7bit",
    ]) + b"Hello,\n\nsince yesterday I cannot log in to my account.\n"
        b"The page says \"invalid session\".\n\nRegards,\nAlice\n")


def reply():
    write("reply.eml", hdr([
        b"Return-Path: <customer@example.net>",
        b"From: Alice Customer <customer@example.net>",
        b"To: Support <support@example.com>",
        b"Cc: Bob Colleague <bob@Example.NET>, carol@example.net",
        b"Subject: Re: [#1] Cannot log in to my account",
        b"Date: Tue, 05 Mar 2024 11:00:00 +0000",
        b"Message-ID: <reply-0002@mail.example.net>",
        b"In-Reply-To: <ticket-1-ack@support.example.com>",
        b"References: <plain-ascii-0001@mail.example.net>",
        b" <ticket-1-ack@support.example.com>",
        b"MIME-Version: 1.0",
        b"Content-Type: text/plain; charset=utf-8; format=flowed",
        b"Content-Transfer-Encoding: 8bit",
    ]) + "Thanks, it works again after clearing cookies.\n\n"
        "Alice\n\n> Please clear your browser cookies.\n".encode("utf-8"))


def gbk():
    # 喆 and 镕 exist in GBK but not in GB2312.
    subject = "关于订单 #12345 的退款问题（张喆）"
    name = "张喆"
    body = ("您好：\n\n我的订单 #12345 已经取消一周了，还没有收到退款，"
            "请尽快处理。\n朱镕基路 88 号\n\n谢谢！\n张喆\n")
    write("gbk.eml", hdr([
        b"From: " + ew(name, "gbk") + b" <zhang.zhe@example.net>",
        b"To: support@example.com",
        b"Subject: " + ew(subject, "gbk"),
        DATE,
        b"Message-ID: <gbk-0003@mail.example.net>",
        b"MIME-Version: 1.0",
        b"Content-Type: text/plain; charset=\"gbk\"",
        b"Content-Transfer-Encoding: base64",
    ]) + b64(body.encode("gbk")) + b"\n")


def gb2312():
    subject = "发票抬头需要修改"
    name = "李娜"
    # declared gb2312 but holds 喆 (GBK only), as Outlook and Foxmail do
    body = "客服您好，\n请把发票抬头改为：北京喆信科技有限公司。\n李娜\n"
    write("gb2312.eml", hdr([
        b"From: " + ew(name, "gb2312") + b" <li.na@example.net>",
        b"To: support@example.com",
        b"Subject: " + ew(subject, "gb2312", "Q"),
        DATE,
        b"Message-ID: <gb2312-0004@mail.example.net>",
        b"X-Mailer: Foxmail 7.2",
        b"MIME-Version: 1.0",
        b"Content-Type: text/plain; charset=gb2312",
        b"Content-Transfer-Encoding: quoted-printable",
    ]) + qp(body.encode("gbk")))


def big5():
    subject = "詢問產品保固期限"
    name = "許功蓋"   # 許 and 功 and 蓋 have 0x5C as second byte in Big5
    body = "您好，\n請問這台機器的保固期限是多久？\n許功蓋 敬上\n"
    write("big5.eml", hdr([
        b"From: " + ew(name, "big5", "Q") + b" <hsu@example.net>",
        b"To: support@example.com",
        b"Subject: " + ew(subject, "big5"),
        DATE,
        b"Message-ID: <big5-0005@mail.example.net>",
        b"MIME-Version: 1.0",
        b"Content-Type: text/plain; charset=big5",
        b"Content-Transfer-Encoding: 8bit",
    ]) + body.encode("big5"))


def iso2022jp():
    subject = "請求書について"
    name = "山田太郎"
    body = "お世話になっております。\n請求書の金額が違うようです。\n山田\n"
    write("iso-2022-jp.eml", hdr([
        b"From: " + ew(name, "iso-2022-jp") + b" <yamada@example.net>",
        b"To: support@example.com",
        b"Subject: " + ew(subject, "iso-2022-jp"),
        DATE,
        b"Message-ID: <iso2022jp-0006@mail.example.net>",
        b"MIME-Version: 1.0",
        b"Content-Type: text/plain; charset=ISO-2022-JP",
        b"Content-Transfer-Encoding: 7bit",
    ]) + body.encode("iso-2022-jp"))


def koi8r():
    subject = "Проблема с доставкой"
    name = "Иван Петров"
    body = "Здравствуйте!\nЗаказ не доставлен уже две недели.\nИван\n"
    write("koi8-r.eml", hdr([
        b"From: " + ew(name, "koi8-r") + b" <ivan@example.net>",
        b"To: support@example.com",
        b"Subject: " + ew(subject, "koi8-r"),
        DATE,
        b"Message-ID: <koi8r-0007@mail.example.net>",
        b"MIME-Version: 1.0",
        b"Content-Type: text/plain; charset=koi8-r",
        b"Content-Transfer-Encoding: quoted-printable",
    ]) + qp(body.encode("koi8-r")))


def windows1252():
    subject = "Réclamation – commande 4711"
    name = "François Müller"
    body = ("Bonjour,\n\nla facture indique 49,90 € au lieu de 39,90 €.\n"
            "Merci de corriger « rapidement ».\n\nFrançois\n")
    write("windows-1252.eml", hdr([
        b"From: " + ew(name, "windows-1252", "Q") + b" <francois@example.net>",
        b"To: support@example.com",
        b"Subject: " + ew(subject, "windows-1252", "Q"),
        DATE,
        b"Message-ID: <cp1252-0008@mail.example.net>",
        b"MIME-Version: 1.0",
        b"Content-Type: text/plain; charset=windows-1252",
        b"Content-Transfer-Encoding: 8bit",
    ]) + body.encode("windows-1252"))


def windows1251():
    subject = "Вопрос по счёту"
    name = "Ольга Смирнова"
    body = "Добрый день!\nПрошу выслать счёт ещё раз.\nОльга\n"
    write("windows-1251.eml", hdr([
        b"From: " + ew(name, "windows-1251") + b" <olga@example.net>",
        b"To: support@example.com",
        b"Subject: " + ew(subject, "windows-1251"),
        DATE,
        b"Message-ID: <cp1251-0009@mail.example.net>",
        b"MIME-Version: 1.0",
        b"Content-Type: text/plain; charset=windows-1251",
        b"Content-Transfer-Encoding: 8bit",
    ]) + body.encode("windows-1251"))


def undeclared_utf8():
    # raw 8-bit UTF-8 in headers and body, no MIME headers at all, LF only
    write("undeclared-utf8.eml", hdr([
        "From: Jürgen Groß <juergen@example.net>".encode(),
        b"To: support@example.com",
        "Subject: Frage zur Rechnung – Größe XL".encode(),
        DATE,
        b"Message-ID: <undeclared-utf8-0010@mail.example.net>",
    ]) + "Guten Tag,\ndie Jacke in Größe XL ist zu klein. Können Sie sie "
        "umtauschen?\nJürgen\n".encode(), crlf=False)


def undeclared_gbk():
    # raw GBK in Subject/From and body, text/plain without charset
    write("undeclared-gbk.eml", hdr([
        "From: 王芳 <wang.fang@example.net>".encode("gbk"),
        b"To: support@example.com",
        "Subject: 发票问题".encode("gbk"),
        DATE,
        b"Message-ID: <undeclared-gbk-0011@mail.example.net>",
        b"MIME-Version: 1.0",
        b"Content-Type: text/plain",
        b"Content-Transfer-Encoding: 8bit",
    ]) + "你好，我需要重新开具发票，谢谢。\n王芳\n".encode("gbk"))


def wrong_charset():
    body = "Café crème, naïve façade — 日本語のテキスト\n"
    write("wrong-charset-ascii.eml", hdr([
        b"From: Zoe Adams <zoe@example.net>",
        b"To: support@example.com",
        b"Subject: Wrong charset us-ascii",
        DATE,
        b"Message-ID: <wrong-ascii-0012@mail.example.net>",
        b"MIME-Version: 1.0",
        b"Content-Type: text/plain; charset=us-ascii",
        b"Content-Transfer-Encoding: 8bit",
    ]) + body.encode("utf-8"))
    write("wrong-charset-latin1.eml", hdr([
        b"From: Zoe Adams <zoe@example.net>",
        b"To: support@example.com",
        b"Subject: Wrong charset iso-8859-1",
        DATE,
        b"Message-ID: <wrong-latin1-0013@mail.example.net>",
        b"MIME-Version: 1.0",
        b"Content-Type: text/plain; charset=iso-8859-1",
        b"Content-Transfer-Encoding: quoted-printable",
    ]) + qp(body.encode("utf-8")))


HTML = """<!DOCTYPE html>
<html><head><title>Order problem</title>
<meta charset="utf-8">
<style>p { color: red; } .hidden { display: none }</style>
<script>alert("do not show this");</script>
</head>
<body>
<h1>Order   problem</h1>
<p>Hello&nbsp;support &amp; team,</p>
<p>My order <b>#4711</b> arrived damaged. Price: 39&euro; &lt;incl. VAT&gt; &#8212; see
<a href="https://shop.example.org/orders/4711">my order page</a> or
<a href="https://shop.example.org/">https://shop.example.org/</a>.</p>
<ul><li>Box was open</li><li>Item scratched</li></ul>
<table><tr><td>Item</td><td>Qty</td></tr><tr><td>Lamp</td><td>1</td></tr></table>
<p>Contact: <a href="mailto:customer@example.net">customer@example.net</a></p>
<pre>  line one
    indented line</pre>
<p>Mit freundlichen Gr&uuml;&szlig;en<br>Kunde</p>
</body></html>
"""


def html_only():
    write("html-only.eml", hdr([
        b"From: Kunde Beispiel <kunde@example.net>",
        b"To: support@example.com",
        b"Subject: Order problem (HTML only)",
        DATE,
        b"Message-ID: <html-only-0014@mail.example.net>",
        b"MIME-Version: 1.0",
        b"Content-Type: text/html; charset=utf-8",
        b"Content-Transfer-Encoding: quoted-printable",
    ]) + qp(HTML.encode("utf-8")))


def alternative():
    plain = "Hi,\nthe app crashes when I tap “Export”.\nMaría\n"
    html = ("<html><body><p>Hi,</p><p>the app crashes when I tap "
            "<i>“Export”</i>.</p><p>María</p></body></html>\n")
    write("multipart-alternative.eml", hdr([
        b"From: " + ew("María José García", "utf-8", "Q") +
        b" <maria@example.net>",
        b"To: Support Team <support@example.com>",
        b"Reply-To: maria.garcia@example.org",
        b"Subject: App crashes on export",
        DATE,
        b"Message-ID: <alternative-0015@mail.example.net>",
        b"Content-Language: es-ES",
        b"MIME-Version: 1.0",
        b"Content-Type: multipart/alternative; boundary=\"alt-b1\"",
    ]) + b"This is a multi-part message in MIME format.\n\n--alt-b1\n"
        b"Content-Type: text/plain; charset=utf-8\n"
        b"Content-Transfer-Encoding: base64\n\n" + b64(plain.encode()) +
        b"\n--alt-b1\nContent-Type: text/html; charset=utf-8\n"
        b"Content-Transfer-Encoding: quoted-printable\n\n" +
        qp(html.encode()) + b"\n--alt-b1--\n")


def attachments():
    write("attachment.eml", hdr([
        b"From: Sven Lindqvist <sven@example.net>",
        b"To: support@example.com",
        b"Subject: Invoice and screenshot attached",
        DATE,
        b"Message-ID: <attachment-0016@mail.example.net>",
        b"MIME-Version: 1.0",
        b"Content-Type: multipart/mixed; boundary=\"mix-b2\"",
    ]) + b"--mix-b2\nContent-Type: text/plain; charset=utf-8\n\n"
        b"Please find the invoice and a screenshot attached.\nSven\n"
        b"--mix-b2\n"
        b"Content-Type: application/pdf\n"
        b"Content-Disposition: attachment;\n"
        b" filename*=utf-8''%E5%8F%91%E7%A5%A8%20invoice%202024.pdf\n"
        b"Content-Transfer-Encoding: base64\n\n" + b64(PDF) + b"\n"
        b"--mix-b2\n"
        b"Content-Type: image/png; name=\"" +
        ew("skärmbild.png", "utf-8") + b"\"\n"
        b"Content-Disposition: inline\n"
        b"Content-Transfer-Encoding: base64\n\n" + b64(PNG) + b"\n"
        b"--mix-b2\n"
        b"Content-Type: text/plain; charset=us-ascii\n"
        b"Content-Disposition: attachment; filename=\"C:\\\\Users\\\\sven\\\\"
        b"notes.txt\"\n\n"
        b"serial number: 0815\n"
        b"--mix-b2--\n")


def outlook_ooo():
    write("outlook-ooo.eml", hdr([
        b"From: Peter Schmidt <peter.schmidt@example.net>",
        b"To: support@example.com",
        b"Subject: Automatic reply: [#7] Your support request",
        DATE,
        b"Message-ID: <ooo-0017@EXCH01.example.net>",
        b"In-Reply-To: <ticket-7-ack@support.example.com>",
        b"References: <ticket-7-ack@support.example.com>",
        b"Thread-Topic: [#7] Your support request",
        b"Thread-Index: AQHaZ1k2b3V0b2ZvZmZpY2U=",
        b"Auto-Submitted: auto-replied",
        b"X-Autoreply: yes",
        b"X-Auto-Response-Suppress: All",
        b"X-MS-Exchange-Inbox-Rules-Loop: peter.schmidt@example.net",
        b"Content-Language: de-DE",
        b"MIME-Version: 1.0",
        b"Content-Type: multipart/alternative; boundary=\"_000_ooo\"",
    ]) + b"--_000_ooo\nContent-Type: text/plain; charset=\"iso-8859-1\"\n"
        b"Content-Transfer-Encoding: quoted-printable\n\n" +
        qp("Ich bin bis 15.03. nicht im Büro.\nI am out of office "
           "until 15 March.\n".encode("latin-1")) +
        b"\n--_000_ooo\nContent-Type: text/html; charset=\"iso-8859-1\"\n"
        b"Content-Transfer-Encoding: quoted-printable\n\n" +
        qp("<html><body><p>Ich bin bis 15.03. nicht im Büro.</p>"
           "</body></html>\n".encode("latin-1")) + b"\n--_000_ooo--\n")


def list_bulk():
    write("list-bulk.eml", hdr([
        b"Return-Path: <bounces+news=example.com@lists.example.org>",
        b"From: Example Newsletter <news@lists.example.org>",
        b"To: support@example.com",
        b"Subject: Our March newsletter",
        DATE,
        b"Message-ID: <list-bulk-0018@lists.example.org>",
        b"Precedence: bulk",
        b"List-Id: Example News <news.lists.example.org>",
        b"List-Unsubscribe: <mailto:unsubscribe@lists.example.org>",
        b"MIME-Version: 1.0",
        b"Content-Type: text/plain; charset=utf-8",
    ]) + b"This month: new features.\n")


def dsn():
    orig = hdr([
        b"From: Support <support@example.com>",
        b"To: nobody@nowhere.example.net",
        b"Subject: [#3] We received your request",
        b"Message-ID: <ticket-3-ack@support.example.com>",
        DATE,
    ]) + b"Thank you for contacting us.\n"
    write("dsn-bounce.eml", hdr([
        b"Return-Path: <>",
        b"From: MAILER-DAEMON@mail.example.com (Mail Delivery System)",
        b"To: support@example.com",
        b"Subject: Undelivered Mail Returned to Sender",
        DATE,
        b"Message-ID: <dsn-0019@mail.example.com>",
        b"Auto-Submitted: auto-replied",
        b"MIME-Version: 1.0",
        b"Content-Type: multipart/report; report-type=delivery-status;",
        b"\tboundary=\"dsn-b3\"",
    ]) + b"This is a MIME-encapsulated message.\n\n--dsn-b3\n"
        b"Content-Description: Notification\n"
        b"Content-Type: text/plain; charset=us-ascii\n\n"
        b"This is the mail system at host mail.example.com.\n\n"
        b"I'm sorry to have to inform you that your message could not\n"
        b"be delivered to one or more recipients.\n\n"
        b"<nobody@nowhere.example.net>: host nowhere.example.net said: "
        b"550 5.1.1 User unknown\n\n"
        b"--dsn-b3\nContent-Description: Delivery report\n"
        b"Content-Type: message/delivery-status\n\n"
        b"Reporting-MTA: dns; mail.example.com\n\n"
        b"Final-Recipient: rfc822; nobody@nowhere.example.net\n"
        b"Action: failed\nStatus: 5.1.1\n"
        b"Diagnostic-Code: smtp; 550 5.1.1 User unknown\n\n"
        b"--dsn-b3\nContent-Description: Undelivered Message\n"
        b"Content-Type: message/rfc822\n\n" + orig + b"\n--dsn-b3--\n")


def no_message_id():
    write("no-message-id.eml", hdr([
        b"From: Kenji Sato <kenji@example.net>",
        b"To: support@example.com",
        b"Subject: Question without a Message-ID",
        DATE,
        b"MIME-Version: 1.0",
        b"Content-Type: text/plain; charset=utf-8",
    ]) + b"My mail client does not add a Message-ID.\n")


def malformed():
    # a header line without a colon, a part whose base64 is cut off, and
    # no closing boundary
    write("malformed-mime.eml", hdr([
        b"From: Broken Client <broken@example.net>",
        b"To: support@example.com",
        b"Subject: Malformed MIME sample",
        b"this header line has no colon",
        DATE,
        b"Message-ID: <malformed-0020@mail.example.net>",
        b"MIME-Version: 1.0",
        b"Content-Type: multipart/mixed; boundary=\"bad-b4\"",
    ]) + b"--bad-b4\nContent-Type: text/plain; charset=utf-8\n\n"
        b"Body text survives.\n"
        b"--bad-b4\nContent-Type: application/octet-stream; name=data.bin\n"
        b"Content-Transfer-Encoding: base64\n\n" +
        b64(bytes(range(256)))[:150] + b"\n")


def crlf_injection():
    # an encoded word hiding CR LF in the Subject and the From name
    write("header-injection.eml", hdr([
        b"From: " + ew("Eve\r\nBcc: victim@example.org", "utf-8") +
        b" <eve@example.net>",
        b"To: support@example.com",
        b"Subject: " + ew("Hello\r\nBcc: victim@example.org", "utf-8"),
        DATE,
        b"Message-ID: <injection-0021@mail.example.net>",
        b"MIME-Version: 1.0",
        b"Content-Type: text/plain; charset=utf-8",
    ]) + b"Header injection attempt.\n")


def forwarded():
    inner = hdr([
        b"From: Original Sender <orig@example.org>",
        b"To: customer@example.net",
        b"Subject: Your order confirmation",
        b"Message-ID: <inner-order@example.org>",
        DATE,
    ]) + b"Order 4711 confirmed.\n"
    write("forward-attached.eml", hdr([
        b"From: Alice Customer <customer@example.net>",
        b"To: support@example.com",
        b"Subject: Fwd: Your order confirmation",
        DATE,
        b"Message-ID: <forward-0022@mail.example.net>",
        b"MIME-Version: 1.0",
        b"Content-Type: multipart/mixed; boundary=\"fw-b5\"",
    ]) + b"--fw-b5\nContent-Type: text/plain; charset=utf-8\n\n"
        b"See the forwarded confirmation.\n--fw-b5\n"
        b"Content-Type: message/rfc822\n"
        b"Content-Disposition: attachment; filename=\"order.eml\"\n\n" +
        inner + b"\n--fw-b5--\n")


# A tiny JPEG header is enough: nothing decodes the image.
JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")


def apple_inline_images():
    # iPhone / Apple Mail: the text is split around inline images, each
    # piece its own text/plain part of a multipart/mixed
    write("apple-inline-images.eml", hdr([
        b"From: Lena Berg <lena@example.net>",
        b"To: support@example.com",
        b"Subject: Scratches on the delivered table",
        DATE,
        b"Message-ID: <apple-inline-0023@mail.example.net>",
        b"X-Mailer: iPhone Mail (21D61)",
        b"Mime-Version: 1.0 (1.0)",
        b"Content-Type: multipart/mixed; boundary=Apple-Mail-A1B2C3",
        b"Content-Transfer-Encoding: 7bit",
    ]) + b"\n--Apple-Mail-A1B2C3\n"
        b"Content-Type: text/plain; charset=utf-8\n"
        b"Content-Transfer-Encoding: quoted-printable\n\n" +
        qp("Hello,\n\nthe table arrived today. Here is the top:\n"
           .encode()) +
        b"\n--Apple-Mail-A1B2C3\n"
        b"Content-Type: image/jpeg; name=IMG_0412.jpeg; x-apple-part-url="
        b"7E1F-0001\n"
        b"Content-Disposition: inline; filename=IMG_0412.jpeg\n"
        b"Content-Transfer-Encoding: base64\n\n" + b64(JPEG) +
        b"\n--Apple-Mail-A1B2C3\n"
        b"Content-Type: text/plain; charset=utf-8\n"
        b"Content-Transfer-Encoding: quoted-printable\n\n" +
        qp("\nAnd here is the leg, also scratched:\n".encode()) +
        b"\n--Apple-Mail-A1B2C3\n"
        b"Content-Type: image/jpeg; name=IMG_0413.jpeg\n"
        b"Content-Disposition: inline; filename=IMG_0413.jpeg\n"
        b"Content-Transfer-Encoding: base64\n\n" + b64(JPEG) +
        b"\n--Apple-Mail-A1B2C3\n"
        b"Content-Type: text/plain; charset=utf-8\n"
        b"Content-Transfer-Encoding: quoted-printable\n\n" +
        qp("\nI would like a replacement.\n\nLena\n\nSent from my iPhone"
           .encode()) +
        b"\n--Apple-Mail-A1B2C3--\n")


def outlook_invite():
    # Outlook meeting request: the calendar is a third alternative
    ics = ("BEGIN:VCALENDAR\nMETHOD:REQUEST\nPRODID:Microsoft Exchange "
           "Server 2010\nVERSION:2.0\nBEGIN:VEVENT\n"
           "UID:040000008200E00074C5B7101A82E008\n"
           "SUMMARY:Onboarding call\nDTSTART:20240307T090000Z\n"
           "DTEND:20240307T093000Z\nORGANIZER;CN=Peter Schmidt:"
           "mailto:peter.schmidt@example.net\nEND:VEVENT\nEND:VCALENDAR\n")
    write("outlook-invite.eml", hdr([
        b"From: Peter Schmidt <peter.schmidt@example.net>",
        b"To: support@example.com",
        b"Subject: Onboarding call",
        DATE,
        b"Message-ID: <invite-0024@EXCH01.example.net>",
        b"Thread-Topic: Onboarding call",
        b"Thread-Index: AdpvAbCdEfGh",
        b"X-MS-Has-Attach:",
        b"Content-Language: en-US",
        b"MIME-Version: 1.0",
        b"Content-Type: multipart/alternative;",
        b"\tboundary=\"_000_invite_\"",
    ]) + b"--_000_invite_\nContent-Type: text/plain; charset=\"us-ascii\"\n"
        b"Content-Transfer-Encoding: quoted-printable\n\n" +
        qp(b"Let us walk through the setup together.\n") +
        b"\n--_000_invite_\nContent-Type: text/html; charset=\"us-ascii\"\n"
        b"Content-Transfer-Encoding: quoted-printable\n\n" +
        qp(b"<html><body><p>Let us walk through the setup together.</p>"
           b"</body></html>\n") +
        b"\n--_000_invite_\nContent-Type: text/calendar; charset=\"utf-8\";"
        b" method=REQUEST\nContent-Transfer-Encoding: base64\n\n" +
        b64(ics.replace("\n", "\r\n").encode()) +
        b"\n\n--_000_invite_--\n")
    return len(ics.replace("\n", "\r\n").encode())


def thunderbird_flowed():
    # RFC 3676: soft breaks end in a space, "From" is space-stuffed,
    # quotes are ">" without spaces between levels
    write("thunderbird-flowed.eml", hdr([
        b"From: Jan Novak <jan.novak@example.net>",
        b"To: support@example.com",
        b"Subject: Re: PDF export fails",
        DATE,
        b"Message-ID: <flowed-0025@mail.example.net>",
        b"User-Agent: Mozilla Thunderbird",
        b"MIME-Version: 1.0",
        b"Content-Type: text/plain; charset=UTF-8; format=flowed",
        b"Content-Transfer-Encoding: 8bit",
    ]) + "Hello support team,\n\n"
        "I updated the app to version 4.2 yesterday and since then the "
        "export to \nPDF fails with an error message saying that the "
        "file could not be \nwritten.\n\n"
        " From what I can see, the folder is writable – über-writable.\n\n"
        "On 05.03.24 09:00, Support wrote:\n"
        "> Thank you for your report. Could you tell us which version of "
        "the app \n> you are using?\n>\n"
        ">> Original question: the export does not work on my \n"
        ">> laptop.\n\nRegards,\nJan\n-- \nJan Novak\n".encode())


def pgp_signed():
    # PGP/MIME as Thunderbird sends it: the text and the signature
    sig = (b"-----BEGIN PGP SIGNATURE-----\n\n"
           b"wnsEARYIACMWIQTpZ3Bn3p0c2lnbmF0dXJlIGRhdGEAAAAABQJl5sQ0AAoJEA==\n"
           b"=abcd\n-----END PGP SIGNATURE-----\n")
    write("pgp-signed.eml", hdr([
        b"From: Jan Novak <jan.novak@example.net>",
        b"To: support@example.com",
        b"Subject: Signed request to close my account",
        DATE,
        b"Message-ID: <pgp-signed-0026@mail.example.net>",
        b"User-Agent: Mozilla Thunderbird",
        b"MIME-Version: 1.0",
        b"Content-Type: multipart/signed; micalg=pgp-sha256;",
        b" protocol=\"application/pgp-signature\";",
        b" boundary=\"------------sig0026\"",
    ]) + b"This is an OpenPGP/MIME signed message (RFC 4880 and 3156)\n"
        b"--------------sig0026\n"
        b"Content-Type: multipart/mixed; boundary=\"------------mix0026\"\n\n"
        b"--------------mix0026\n"
        b"Content-Type: text/plain; charset=UTF-8; format=flowed\n"
        b"Content-Transfer-Encoding: 7bit\n\n"
        b"Please close my account. This request is signed with my \n"
        b"OpenPGP key.\n\nJan\n\n"
        b"--------------mix0026--\n\n"
        b"--------------sig0026\n"
        b"Content-Type: application/pgp-signature; "
        b"name=\"OpenPGP_signature.asc\"\n"
        b"Content-Description: OpenPGP digital signature\n"
        b"Content-Disposition: attachment; filename=\"OpenPGP_signature.asc\""
        b"\n\n" + sig + b"\n--------------sig0026--\n")
    return len(sig.replace(b"\n", b"\r\n"))


def smime():
    # S/MIME as Outlook sends it: a clear-signed mail, and an encrypted one
    p7s = bytes(range(48, 48 + 64)) * 2
    write("smime-signed.eml", hdr([
        b"From: Peter Schmidt <peter.schmidt@example.net>",
        b"To: support@example.com",
        b"Subject: Signed: contract renewal",
        DATE,
        b"Message-ID: <smime-signed-0027@EXCH01.example.net>",
        b"MIME-Version: 1.0",
        b"Content-Type: multipart/signed; protocol=\"application/x-pkcs7-"
        b"signature\";",
        b"\tmicalg=SHA1; boundary=\"----=_NextPart_000_0027\"",
    ]) + b"This is a multi-part message in MIME format.\n\n"
        b"------=_NextPart_000_0027\n"
        b"Content-Type: multipart/alternative;\n"
        b"\tboundary=\"----=_NextPart_001_0027\"\n\n"
        b"------=_NextPart_001_0027\n"
        b"Content-Type: text/plain; charset=\"iso-8859-1\"\n"
        b"Content-Transfer-Encoding: quoted-printable\n\n" +
        qp("Please renew the contract for another year.\nGrüße, Peter\n"
           .encode("latin-1")) +
        b"\n------=_NextPart_001_0027\n"
        b"Content-Type: text/html; charset=\"iso-8859-1\"\n"
        b"Content-Transfer-Encoding: quoted-printable\n\n" +
        qp("<p>Please renew the contract for another year.</p>\n"
           .encode("latin-1")) +
        b"\n------=_NextPart_001_0027--\n\n"
        b"------=_NextPart_000_0027\n"
        b"Content-Type: application/x-pkcs7-signature; name=\"smime.p7s\"\n"
        b"Content-Transfer-Encoding: base64\n"
        b"Content-Disposition: attachment; filename=\"smime.p7s\"\n\n" +
        b64(p7s) + b"\n\n------=_NextPart_000_0027--\n")
    p7m = bytes(range(256))
    write("smime-encrypted.eml", hdr([
        b"From: Peter Schmidt <peter.schmidt@example.net>",
        b"To: support@example.com",
        b"Subject: Encrypted: salary data",
        DATE,
        b"Message-ID: <smime-encrypted-0028@EXCH01.example.net>",
        b"MIME-Version: 1.0",
        b"Content-Type: application/pkcs7-mime; smime-type=enveloped-data;",
        b"\tname=\"smime.p7m\"",
        b"Content-Transfer-Encoding: base64",
        b"Content-Disposition: attachment; filename=\"smime.p7m\"",
    ]) + b64(p7m) + b"\n")


def main():
    for f in (plain_ascii, reply, gbk, gb2312, big5, iso2022jp, koi8r,
              windows1252, windows1251, undeclared_utf8, undeclared_gbk,
              wrong_charset, html_only, alternative, attachments,
              outlook_ooo, list_bulk, dsn, no_message_id, malformed,
              crlf_injection, forwarded, apple_inline_images,
              outlook_invite, thunderbird_flowed, pgp_signed, smime):
        f()
    return 0


if __name__ == "__main__":
    sys.exit(main())
