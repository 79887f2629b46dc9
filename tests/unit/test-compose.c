/* Unit tests for compose.c: compose_message() gives, field by field, what
   message_parse() makes of the bytes compose_build() wrote. */
#include "autodefs.h"

#include <string.h>

#include "compose.h"
#include "message.h"

#define DATE	G_GINT64_CONSTANT(1767225600)	/* 2026-01-01 00:00 UTC */
#define ID	"ticketd.19a2b3c4d5e.0011223344556677@support.example.com"

/* Every mail carries this header, as mailer_queue() adds it: the parser
   reads it into x_loop, compose_message() leaves x_loop absent, so a NULL
   x_loop tells that compose_message() did not fall back to parsing. */
#define LOOP_HEADER "X-Ticketd-Loop: support@example.com"

/* ---- comparing ---- */

/* A printable form of s for failure messages (newly allocated): controls
   escaped, UTF-8 kept. */
static char *
show(const char *s)
{
	char high[129];

	if (s == NULL)
		return g_strdup("(null)");
	for (int i = 0; i < 128; i++)
		high[i] = (char)(0x80 + i);
	high[128] = '\0';
	return g_strescape(s, high);
}

static gboolean
same_string(const char *label, const char *field, const char *fast,
	    const char *parsed)
{
	char *a, *b;

	if (g_strcmp0(fast, parsed) == 0)
		return TRUE;
	a = show(fast);
	b = show(parsed);
	g_test_message("%s: %s differs: compose_message \"%s\", message_parse "
		       "\"%s\"", label, field, a, b);
	g_free(a);
	g_free(b);
	g_test_fail();
	return FALSE;
}

static void
same_int(const char *label, const char *field, gint64 fast, gint64 parsed)
{
	if (fast == parsed)
		return;
	g_test_message("%s: %s differs: compose_message %" G_GINT64_FORMAT
		       ", message_parse %" G_GINT64_FORMAT, label, field, fast,
		       parsed);
	g_test_fail();
}

static void
same_addresses(const char *label, const char *field, const GPtrArray *fast,
	       const GPtrArray *parsed)
{
	same_int(label, field, fast->len, parsed->len);
	for (guint i = 0; i < fast->len && i < parsed->len; i++) {
		const struct message_address *a = fast->pdata[i];
		const struct message_address *b = parsed->pdata[i];
		char *what = g_strdup_printf("%s[%u]", field, i);

		same_string(label, what, a->name, b->name);
		same_string(label, what, a->addr, b->addr);
		g_free(what);
	}
}

static void
same_attachments(const char *label, const GPtrArray *fast,
		 const GPtrArray *parsed)
{
	same_int(label, "attachments", fast->len, parsed->len);
	for (guint i = 0; i < fast->len && i < parsed->len; i++) {
		const struct message_attachment *a = fast->pdata[i];
		const struct message_attachment *b = parsed->pdata[i];
		char *what = g_strdup_printf("attachment %u", i);

		same_string(label, what, a->filename, b->filename);
		same_string(label, what, a->content_type, b->content_type);
		same_int(label, what, (gint64)a->size, (gint64)b->size);
		if (!g_bytes_equal(a->content, b->content)) {
			g_test_message("%s: %s: content differs", label, what);
			g_test_fail();
		}
		g_free(what);
	}
}

/* Compare every field compose_message() fills; fails the test on any
   difference.  Returns whether compose_message() built the message itself
   (TRUE) or parsed the mail. */
static gboolean
compare(const char *label, const struct message *fast,
	const struct message *parsed)
{
	same_string(label, "message_id", fast->message_id,
		    parsed->message_id);
	same_int(label, "message_id_synthetic", fast->message_id_synthetic,
		 parsed->message_id_synthetic);
	same_string(label, "in_reply_to", fast->in_reply_to,
		    parsed->in_reply_to);
	same_int(label, "references", fast->references->len,
		 parsed->references->len);
	for (guint i = 0; i < fast->references->len &&
	     i < parsed->references->len; i++)
		same_string(label, "references[i]", fast->references->pdata[i],
			    parsed->references->pdata[i]);
	same_string(label, "subject", fast->subject, parsed->subject);
	same_string(label, "from.name", fast->from.name, parsed->from.name);
	same_string(label, "from.addr", fast->from.addr, parsed->from.addr);
	same_addresses(label, "to", fast->to, parsed->to);
	same_addresses(label, "cc", fast->cc, parsed->cc);
	same_string(label, "reply_to.name", fast->reply_to.name,
		    parsed->reply_to.name);
	same_string(label, "reply_to.addr", fast->reply_to.addr,
		    parsed->reply_to.addr);
	same_int(label, "date", fast->date, parsed->date);
	same_string(label, "body", fast->body, parsed->body);
	same_int(label, "body_from_html", fast->body_from_html,
		 parsed->body_from_html);
	same_attachments(label, fast->attachments, parsed->attachments);
	same_string(label, "parse_error", fast->parse_error,
		    parsed->parse_error);
	if (!g_bytes_equal(fast->raw, parsed->raw)) {
		g_test_message("%s: raw differs", label);
		g_test_fail();
	}
	/* what message_free() and the store expect */
	g_assert_nonnull(fast->auth_results);
	g_assert_nonnull(fast->envelope_to);
	return fast->x_loop == NULL;
}

/* What any mail we send must be on the wire: CRLF line ends, lines of at
   most 998 bytes, 7-bit but for addresses and the message ids of a
   customer's mail echoed back (a non-ASCII local part or id can only go
   as UTF-8: RFC 6532). */
static void
check_wire(const char *label, const char *data, gsize len)
{
	gsize line = 0;
	gboolean in_body = FALSE, id_header = FALSE;

	for (gsize i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];

		if (line == 0 && !in_body) {
			if (c == '\r')
				in_body = TRUE;
			else if (c != ' ' && c != '\t')
				id_header =
				    g_ascii_strncasecmp(data + i, "From:", 5) == 0 ||
				    g_ascii_strncasecmp(data + i, "To:", 3) == 0 ||
				    g_ascii_strncasecmp(data + i, "Cc:", 3) == 0 ||
				    g_ascii_strncasecmp(data + i, "Reply-To:", 9) == 0 ||
				    g_ascii_strncasecmp(data + i, "In-Reply-To:", 12) == 0 ||
				    g_ascii_strncasecmp(data + i, "References:", 11) == 0;
		}
		if (c == 0 || (c >= 0x80 && (in_body || !id_header))) {
			g_test_message("%s: byte 0x%02x at %zu in \"%.*s\"",
				       label, c, i, (int)MIN(line, 60),
				       data + i - line);
			g_test_fail();
			return;
		}
		if (c == '\n' && (i == 0 || data[i - 1] != '\r')) {
			g_test_message("%s: bare LF at %zu", label, i);
			g_test_fail();
			return;
		}
		if (c == '\r' && (i + 1 >= len || data[i + 1] != '\n')) {
			g_test_message("%s: bare CR at %zu", label, i);
			g_test_fail();
			return;
		}
		line = c == '\n' ? 0 : line + 1;
		if (line > 999) {
			g_test_message("%s: line longer than 998 at %zu", label,
				       i);
			g_test_fail();
			return;
		}
	}
}

/* Build mail, then compare compose_message() with message_parse() of the
   bytes.  Returns whether compose_message() took its own way. */
static gboolean
check_mail(const char *label, const struct compose_mail *mail,
	   const char *message_id, gint64 date)
{
	GBytes *raw = compose_build(mail, message_id, date);
	gsize len;
	gconstpointer data = g_bytes_get_data(raw, &len);
	struct message *parsed = message_parse(data, len);
	struct message *fast = compose_message(mail, message_id, raw, date);
	gboolean own;

	g_assert_true(fast->raw == raw);	/* referenced, not copied */
	own = compare(label, fast, parsed);
	check_wire(label, data, len);
	/* the plain text mail compose_build() writes itself parses as the
	   one GMime's objects write */
	{
		GBytes *mime = compose_build_mime(mail, message_id, date);
		gsize mlen;
		gconstpointer mdata = g_bytes_get_data(mime, &mlen);
		struct message *viamime = message_parse(mdata, mlen);
		char *l = g_strdup_printf("%s (direct vs GMime objects)",
					  label);

		GBytes *own_raw = viamime->raw;

		check_wire(l, mdata, mlen);
		/* every field but the bytes themselves */
		viamime->raw = parsed->raw;
		compare(l, parsed, viamime);
		viamime->raw = own_raw;
		message_free(viamime);
		g_bytes_unref(mime);
		g_free(l);
	}
	message_free(fast);
	message_free(parsed);
	g_bytes_unref(raw);
	return own;
}

/* ---- the table ---- */

struct att {
	const char *filename;
	const char *content_type;
	const char *content;	/* NULL: every byte value 0..255 */
	gssize len;		/* -1: strlen(content) */
};

struct addr {
	const char *name;
	const char *addr;
};

struct compose_case {
	const char *label;
	gboolean own;		/* compose_message() needs no parse */
	const char *from_name;
	const char *to_name;
	const char *to_addr;	/* NULL: customer@example.net */
	const char *subject;
	const char *text;
	const char *html;
	const char *in_reply_to;
	const char *references[4];
	const char *headers[4];
	struct addr to_more[4];
	struct addr cc[4];
	const char *reply_to;
	struct att atts[4];
	const char *auto_submitted;
	const char *message_id;	/* NULL: ID */
};

static const struct compose_case cases[] = {
	{ .label = "plain ASCII", .own = TRUE, .from_name = "Support",
	  .to_name = "Jane Doe", .subject = "Your request",
	  .text = "Hello Jane,\n\nthanks for writing.\n\n-- \nSupport\n" },
	{ .label = "German", .own = TRUE,
	  .from_name = "Kundendienst Müller & Söhne",
	  .to_name = "Jürgen Größ", .to_addr = "juergen@Beispiel.DE",
	  .subject = "Grüße aus München – Ihre Anfrage [#12]",
	  .text = "Sehr geehrter Herr Größ,\n\nvielen Dank für Ihre "
		  "Nachricht über die Bestellung für 49,90 €.\n\n"
		  "Mit freundlichen Grüßen\n" },
	{ .label = "ISO-8859-1 only", .own = TRUE, .from_name = "Société",
	  .to_name = "Jürgen", .subject = "Grüße aus Köln",
	  .text = "Grüße aus Köln, naïve café\n" },
	{ .label = "ISO-8859-1 mojibake", .own = TRUE,
	  .subject = "Ã¼ber", .to_name = "MÃ¼ller",
	  .text = "Quoted mojibake: Ã¼ber Ã¤ndern" },
	{ .label = "byte order marks", .own = TRUE,
	  .subject = "\xef\xbb\xbfsubject", .to_name = "\xef\xbb\xbfName",
	  .text = "\xef\xbb\xbftext\n" },
	{ .label = "byte order mark in HTML", .own = TRUE, .subject = "s",
	  .text = "", .html = "\xef\xbb\xbf<p>HTML</p>" },
	{ .label = "C1 control in the text", .own = FALSE, .subject = "s",
	  .text = "Gr\xc3\xbc\xc3\x9f" "e \xc2\x80 and \xc2\x9d\n" },
	{ .label = "Chinese", .own = TRUE, .from_name = "客服中心",
	  .to_name = "王小明", .subject = "您的工单已收到：打印机无法连接",
	  .text = "王先生您好，\n\n我们已经收到您的请求，将尽快回复。\n\n"
		  "谢谢！\n" },
	{ .label = "emoji", .own = TRUE, .from_name = "Zoë 🦄 Support",
	  .to_name = "Ana 🎉", .subject = "Thanks 😀🎉 for writing",
	  .text = "Hi 👋\n\nAll fixed 🚀🚀🚀\n" },
	{ .label = "mixed scripts", .own = TRUE,
	  .from_name = "Ελένη Παπαδοπούλου", .to_name = "Сергей Иванов",
	  .subject = "Ваш запрос / Ihre Anfrage / お問い合わせ / zgłoszenie",
	  .text = "Здравствуйте!\nこんにちは。お問い合わせありがとうございます。"
		  "\nDzień dobry, żółć\n" },
	{ .label = "Japanese, no final newline", .own = TRUE,
	  .from_name = "サポート", .subject = "お問い合わせ",
	  .text = "お問い合わせありがとうございます。" },
	{ .label = "header injection", .own = TRUE,
	  .from_name = "Support\r\nBcc: evil@example.org",
	  .to_name = "Jane\r\n\tDoe\n",
	  .subject = "Hello\r\nBcc: evil@example.org\r\n\tX-Evil: {{ yes }}"
		     "\t{{",
	  .text = "body\n",
	  .headers = { "X-Custom: a\r\nBcc: evil@example.org",
		       LOOP_HEADER } },
	{ .label = "encoded-word text", .own = TRUE,
	  .from_name = "=?utf-8?q?Fake?= Name", .to_name = "\"Quoted\" =?x?",
	  .subject = "=?utf-8?q?not=20encoded?= really =?utf-8?b?w7w=?= ü",
	  .text = "x\n" },
	{ .label = "blanks and specials in names", .own = TRUE,
	  .from_name = "Doe,  John (Support) <x@y> \\ \"q\"",
	  .to_name = "  spaced   out  ",
	  .subject = "  many    spaces\tand\ttabs   ", .text = "x\n" },
	{ .label = "empty subject and names", .own = TRUE, .from_name = "",
	  .to_name = "", .subject = "", .text = "x\n" },
	{ .label = "no subject", .own = TRUE, .text = "x\n" },
	{ .label = "trailing blanks, From and dots", .own = TRUE,
	  .subject = "s",
	  .text = "line with trailing spaces   \nFrom the start\n.\n..\n"
		  ". dot\ntab at end\t\nFrom \n" },
	{ .label = "no final newline", .own = TRUE, .subject = "s",
	  .text = "last line" },
	{ .label = "no final newline, 8-bit", .own = TRUE, .subject = "s",
	  .text = "Grüße ohne Zeilenende" },
	{ .label = "ends with a blank", .own = TRUE, .subject = "s",
	  .text = "ends with blank " },
	{ .label = "ends with a tab, 8-bit", .own = TRUE, .subject = "s",
	  .text = "Größe\t" },
	{ .label = "ends with CR", .own = TRUE, .subject = "s",
	  .text = "ends with CR\r" },
	{ .label = "ends with CR, 8-bit", .own = TRUE, .subject = "s",
	  .text = "Größe\r" },
	{ .label = "CRLF and lone CR", .own = TRUE, .subject = "s",
	  .text = "crlf\r\nlone\rcr\r\r\nmixed\n\r\nend\r\n" },
	{ .label = "CRLF and lone CR, 8-bit", .own = TRUE, .subject = "s",
	  .text = "crlf ü\r\nlone\rcr\r\r\nmixed\n\r\nend" },
	{ .label = "Chinese without final newline", .own = TRUE,
	  .subject = "s", .text = "中文中文中文中文" },
	{ .label = "empty text", .own = TRUE, .subject = "s", .text = "" },
	{ .label = "no text", .own = TRUE, .subject = "s" },
	{ .label = "blank text", .own = TRUE, .subject = "s",
	  .text = " \n\t\r\n" },
	{ .label = "html and text", .own = TRUE, .subject = "s",
	  .text = "Plain rendering\n",
	  .html = "<p>HTML <b>rendering</b></p>\n" },
	{ .label = "html, text without newline", .own = TRUE, .subject = "s",
	  .text = "Plain, no end", .html = "<p>x</p>" },
	{ .label = "html, empty text", .own = TRUE, .subject = "s",
	  .text = "",
	  .html = "<html><body><p>Grüße <a href=\"https://example.com/\">"
		  "link</a></p>\n<pre>pre\n  formatted\r\n</pre>\nline<br>"
		  "break\r\n</body></html>" },
	{ .label = "html, blank text", .own = TRUE, .subject = "s",
	  .text = "  \n\n",
	  .html = "<div>a<br>b\n</div>\n\n<p>c</p>\n<script>x()</script>" },
	{ .label = "html ISO-8859-1, blank text", .own = TRUE,
	  .subject = "s", .text = "\n",
	  .html = "<pre>Grüße\r\n Köln\n\n</pre><p>Ã¼ber</p>" },
	{ .label = "html empty, text empty", .own = TRUE, .subject = "s",
	  .text = "", .html = "" },
	{ .label = "html, CRLF text", .own = TRUE, .subject = "s",
	  .text = "a\r\nb\rc\n", .html = "<p>a</p>" },
	{ .label = "to_more and cc", .own = TRUE, .from_name = "Support",
	  .to_name = "First Customer", .to_addr = "first@Example.NET",
	  .subject = "Group answer", .text = "Hello all\n",
	  .to_more = { { "Second, Person", "second@example.net" },
		       { "Drítt \"Three\"", "third@EXAMPLE.org" },
		       { "", "x@y.z" } },
	  .cc = { { "Agent Ünal", "agent@support.example.com" },
		  { NULL, "boss@Example.COM" },
		  { "王 (Boss)", "wang@example.cn" } },
	  .reply_to = "replies@support.example.com" },
	{ .label = "international addresses", .own = TRUE,
	  .to_addr = "müller@bücher.de", .subject = "s", .text = "x\n",
	  .cc = { { "IDN", "x@xn--bcher-kva.de" } } },
	{ .label = "references and in_reply_to", .own = TRUE,
	  .subject = "Re: s", .text = "x\n",
	  .in_reply_to = "CAF=x+y/z_1@mail.gmail.com",
	  .references = { "first.msg@example.com",
			  "a$b%c&d'e*f@g-h.example",
			  "CAF=x+y/z_1@mail.gmail.com" } },
	{ .label = "extra headers", .own = TRUE, .subject = "s",
	  .text = "x\n",
	  .headers = { "List-Unsubscribe: <mailto:u@example.com?subject=u>",
		       "Precedence: bulk", "Thread-Topic: Grüße, 中文 {{x}}",
		       LOOP_HEADER } },
	{ .label = "auto-submitted", .own = TRUE, .subject = "s",
	  .text = "x\n", .auto_submitted = "auto-replied" },
	{ .label = "attachments", .own = TRUE, .subject = "files",
	  .text = "See attached.\n",
	  .atts = { { "bytes.bin", "application/octet-stream", NULL, 256 },
		    { "Übersicht März 2026 – final.pdf", "Application/PDF",
		      "%PDF-1.4\r\n\x00\x01\xff binary\n", 21 },
		    { "notes.txt", "text/plain", "line 1\nline 2\r\nno end",
		      -1 },
		    { "pixel.png", "image/png", "\x89PNG\r\n\x1a\n", 8 } } },
	/* the parser names a part sent without a name by its position */
	{ .label = "unnamed attachment", .own = FALSE, .subject = "files",
	  .text = "See attached.\n",
	  .atts = { { "", "image/png", "\x89PNG\r\n\x1a\n", 8 } } },
	{ .label = "attachments with html", .own = TRUE, .subject = "files",
	  .text = "See attached.", .html = "<p>See attached.</p>",
	  .atts = { { "文件名很长的附件文件名很长的附件文件名很长的附件文件名很长"
		      "的附件文件名很长的附件文件名很长的附件.docx",
		      "application/vnd.openxmlformats-officedocument."
		      "wordprocessingml.document", "PK\x03\x04", 4 },
		    { "forwarded.eml", "message/rfc822",
		      "From: a@b.c\r\nSubject: inner\r\n\r\ninner body\r\n",
		      -1 },
		    { "empty.dat", NULL, "", 0 },
		    { "invite.ics", "text/calendar", "BEGIN:VCALENDAR\r\n",
		      -1 } } },
	{ .label = "attachments, blank text", .own = TRUE,
	  .subject = "files", .text = "\n",
	  .atts = { { "a.bin", "application/x-thing", "abc", 3 } } },
	{ .label = "attachments, odd types", .own = TRUE, .subject = "files",
	  .text = "x\n",
	  .atts = { { "a.bin", "noslash", "abc", 3 },
		    { "b.bin", "", "def", 3 } } },
	/* Mail compose_message() does not read itself: still the same. */
	{ .label = "id without @", .own = FALSE, .subject = "s",
	  .text = "x\n", .in_reply_to = "1234567890.ABCDEF" },
	{ .label = "id with a domain literal", .own = FALSE, .subject = "s",
	  .text = "x\n", .references = { "a@[127.0.0.1]", "b@example.com" } },
	{ .label = "extra Reply-To header", .own = FALSE, .subject = "s",
	  .text = "x\n",
	  .headers = { "Reply-To: other@example.com", LOOP_HEADER } },
	{ .label = "extra Content-Language header", .own = FALSE,
	  .subject = "s", .text = "x\n",
	  .headers = { "Content-Language: de", LOOP_HEADER } },
	{ .label = "bad header name", .own = FALSE, .subject = "s",
	  .text = "x\n", .headers = { "Bad Name: x", LOOP_HEADER } },
	{ .label = "text attachment without a name", .own = FALSE,
	  .subject = "s", .text = "x\n",
	  .atts = { { NULL, "text/plain", "abc", 3 } } },
	{ .label = "attachment name with a path", .own = FALSE,
	  .subject = "s", .text = "x\n",
	  .atts = { { "../../etc/passwd", "text/plain", "abc", 3 } } },
	{ .label = "multipart attachment", .own = FALSE, .subject = "s",
	  .text = "x\n", .atts = { { "m", "multipart/mixed", "abc", 3 } } },
	{ .label = "not an address", .own = FALSE,
	  .to_addr = "not an address", .subject = "s", .text = "x\n" },
	{ .label = "empty address", .own = FALSE, .to_name = "Name only",
	  .to_addr = "", .subject = "s", .text = "x\n" },
	{ .label = "odd Message-ID", .own = FALSE, .subject = "s",
	  .text = "x\n", .message_id = "no-at-sign" },
	{ .label = "invalid UTF-8", .own = FALSE, .subject = "s \xff\xfe",
	  .text = "Gr\xfc\xdf" "e\n" },
};

static GPtrArray *
case_addresses(const struct addr *list, gsize n)
{
	GPtrArray *a = g_ptr_array_new();

	for (gsize i = 0; i < n && list[i].addr != NULL; i++) {
		struct message_address *m = g_new0(struct message_address, 1);

		m->name = (char *)list[i].name;
		m->addr = (char *)list[i].addr;
		g_ptr_array_add(a, m);
	}
	return a;
}

static GPtrArray *
case_strings(const char *const *list, gsize n)
{
	GPtrArray *a = g_ptr_array_new();

	for (gsize i = 0; i < n && list[i] != NULL; i++)
		g_ptr_array_add(a, (gpointer)list[i]);
	return a;
}

static GBytes *
all_bytes(void)
{
	guint8 b[256];

	for (int i = 0; i < 256; i++)
		b[i] = (guint8)i;
	return g_bytes_new(b, sizeof b);
}

static GPtrArray *
case_attachments(const struct att *atts, gsize n)
{
	GPtrArray *a = g_ptr_array_new();

	for (gsize i = 0; i < n && (atts[i].filename != NULL ||
				    atts[i].content_type != NULL); i++) {
		struct message_attachment *m =
			g_new0(struct message_attachment, 1);

		m->filename = (char *)atts[i].filename;
		m->content_type = (char *)atts[i].content_type;
		if (atts[i].content == NULL)
			m->content = all_bytes();
		else
			m->content = g_bytes_new(atts[i].content,
				atts[i].len >= 0 ? (gsize)atts[i].len :
				strlen(atts[i].content));
		m->size = g_bytes_get_size(m->content);
		g_ptr_array_add(a, m);
	}
	return a;
}

static void
free_shallow(GPtrArray *a)
{
	g_ptr_array_set_free_func(a, g_free);
	g_ptr_array_unref(a);
}

static void
free_attachments(GPtrArray *a)
{
	for (guint i = 0; i < a->len; i++) {
		struct message_attachment *m = a->pdata[i];

		g_bytes_unref(m->content);
		g_free(m);
	}
	g_ptr_array_unref(a);
}

static void
test_compose_table(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		const struct compose_case *k = &cases[i];
		struct compose_mail c = { 0 };
		GPtrArray *refs, *headers, *to_more, *cc, *atts;
		gboolean own;

		refs = case_strings(k->references, G_N_ELEMENTS(k->references));
		headers = case_strings(k->headers, G_N_ELEMENTS(k->headers));
		if (headers->len == 0)
			g_ptr_array_add(headers, (gpointer)LOOP_HEADER);
		to_more = case_addresses(k->to_more, G_N_ELEMENTS(k->to_more));
		cc = case_addresses(k->cc, G_N_ELEMENTS(k->cc));
		atts = case_attachments(k->atts, G_N_ELEMENTS(k->atts));
		c.from_name = k->from_name != NULL ? k->from_name :
			"Support";
		c.from_addr = "support@example.com";
		c.to_name = k->to_name;
		c.to_addr = k->to_addr != NULL ? k->to_addr :
			"customer@example.net";
		c.subject = k->subject;
		c.text = k->text;
		c.html = k->html;
		c.in_reply_to = k->in_reply_to;
		c.references = refs->len > 0 ? refs : NULL;
		c.headers = headers;
		c.to_more = to_more->len > 0 ? to_more : NULL;
		c.cc = cc->len > 0 ? cc : NULL;
		c.reply_to = k->reply_to;
		c.attachments = atts->len > 0 ? atts : NULL;
		c.auto_submitted = k->auto_submitted;
		own = check_mail(k->label, &c, k->message_id != NULL ?
				 k->message_id : ID, DATE);
		if (own != k->own) {
			g_test_message("%s: compose_message() %s", k->label,
				       own ? "did not parse" : "parsed");
			g_test_fail();
		}
		g_ptr_array_unref(refs);
		g_ptr_array_unref(headers);
		free_shallow(to_more);
		free_shallow(cc);
		free_attachments(atts);
	}
}

/* Long values: a Subject over 998 bytes (ASCII words, one long word,
   non-ASCII cut on a character), lines over 998 bytes in the text, a long
   display name, many references (the parser keeps the newest 100). */
static void
test_compose_long(void)
{
	GString *words = g_string_new(NULL), *word = g_string_new(NULL);
	GString *umlauts = g_string_new(NULL), *line = g_string_new(NULL);
	GString *name = g_string_new(NULL);
	GPtrArray *refs = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *headers = g_ptr_array_new();
	struct compose_mail c = { 0 };

	for (int i = 0; i < 120; i++)
		g_string_append(words, "subject ");
	for (int i = 0; i < 1200; i++)
		g_string_append_c(word, 'a' + i % 26);
	for (int i = 0; i < 300; i++)
		g_string_append(umlauts, "äöü€");
	for (int i = 0; i < 2500; i++)
		g_string_append_c(line, i % 80 == 79 ? ' ' : 'x');
	g_string_append(line, "\nshort\n");
	for (int i = 0; i < 100; i++)
		g_string_append(name, "Ünïcødé ");
	for (int i = 0; i < 150; i++)
		g_ptr_array_add(refs, g_strdup_printf("ref%d.%d@example.com", i,
						      i * 7919));
	g_ptr_array_add(headers, (gpointer)LOOP_HEADER);

	c.from_name = name->str;
	c.from_addr = "support@example.com";
	c.to_addr = "customer@example.net";
	c.headers = headers;
	c.references = refs;
	c.in_reply_to = refs->pdata[refs->len - 1];

	c.subject = words->str;
	c.text = line->str;
	g_assert_true(check_mail("long ASCII subject, long line", &c, ID,
				 DATE));
	c.subject = word->str;
	c.text = umlauts->str;
	g_assert_true(check_mail("one long word, long 8-bit line", &c, ID,
				 DATE));
	c.subject = umlauts->str;
	c.to_name = word->str;
	c.html = line->str;
	g_assert_true(check_mail("long non-ASCII subject, html", &c, ID,
				 DATE));

	g_string_free(words, TRUE);
	g_string_free(word, TRUE);
	g_string_free(umlauts, TRUE);
	g_string_free(line, TRUE);
	g_string_free(name, TRUE);
	g_ptr_array_unref(refs);
	g_ptr_array_unref(headers);
}

/* Counts the parser caps: 1000 To addresses, 1000 MIME parts. */
static void
test_compose_many(void)
{
	GPtrArray *headers = g_ptr_array_new();
	GPtrArray *to_more = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *atts = g_ptr_array_new();
	GBytes *content = g_bytes_new_static("x", 1);
	struct message_attachment one = {
		.filename = (char *)"one.bin",
		.content_type = (char *)"application/octet-stream",
		.size = 1, .content = content,
	};
	struct compose_mail c = { 0 };
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);

	g_ptr_array_add(headers, (gpointer)LOOP_HEADER);
	c.from_addr = "support@example.com";
	c.to_addr = "customer@example.net";
	c.subject = "many";
	c.text = "x\n";
	c.headers = headers;
	for (int i = 0; i < 1005; i++) {
		struct message_address *a = g_new0(struct message_address, 1);
		char *addr = g_strdup_printf("r%d@example.org", i);

		g_ptr_array_add(names, addr);
		a->name = (char *)"R";
		a->addr = addr;
		g_ptr_array_add(to_more, a);
	}
	c.to_more = to_more;
	g_assert_true(check_mail("1006 To addresses", &c, ID, DATE));
	c.to_more = NULL;
	for (int i = 0; i < 998; i++)
		g_ptr_array_add(atts, &one);
	c.attachments = atts;
	g_assert_true(check_mail("1000 parts", &c, ID, DATE));
	c.html = "<p>x</p>";
	g_assert_false(check_mail("1002 parts", &c, ID, DATE));
	c.html = NULL;
	g_ptr_array_add(atts, &one);
	g_assert_false(check_mail("1001 parts", &c, ID, DATE));
	g_ptr_array_unref(atts);
	g_ptr_array_unref(to_more);
	g_ptr_array_unref(names);
	g_ptr_array_unref(headers);
	g_bytes_unref(content);
}

/* Dates: now, the epoch, before it, and one GLib cannot represent. */
static void
test_compose_dates(void)
{
	static const gint64 dates[] = {
		0, 1, -86400, G_GINT64_CONSTANT(4102444800),
		G_GINT64_CONSTANT(253402300800),	/* year 10000 */
	};
	GPtrArray *headers = g_ptr_array_new();
	struct compose_mail c = { 0 };

	g_ptr_array_add(headers, (gpointer)LOOP_HEADER);
	c.from_addr = "support@example.com";
	c.to_addr = "customer@example.net";
	c.subject = "date";
	c.text = "x\n";
	c.headers = headers;
	g_assert_true(check_mail("now", &c, ID,
				 g_get_real_time() / G_USEC_PER_SEC));
	for (gsize i = 0; i < G_N_ELEMENTS(dates); i++) {
		char *label = g_strdup_printf("date %" G_GINT64_FORMAT,
					      dates[i]);

		g_assert_true(check_mail(label, &c, ID, dates[i]));
		g_free(label);
	}
	g_ptr_array_unref(headers);
}

/* ---- relaying the sample mail ---- */

static char *
sample_dir(void)
{
	char *dir = g_test_build_filename(G_TEST_DIST, "data", "mail", NULL);

	if (!g_file_test(dir, G_FILE_TEST_IS_DIR) &&
	    g_getenv("TICKETD_SRCDIR") != NULL) {
		g_free(dir);
		dir = g_build_filename(g_getenv("TICKETD_SRCDIR"), "tests",
				       "data", "mail", NULL);
	}
	if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
		/* Run by hand from the source tree or from tests/unit. */
		char *here = g_path_get_dirname(__FILE__);

		g_free(dir);
		dir = g_build_filename(here, "..", "data", "mail", NULL);
		g_free(here);
	}
	return dir;
}

/* What the mailer makes of a received mail when it relays it to agents:
   its subject, names, text and attachments in our mail. */
static void
test_compose_relay_samples(void)
{
	char *dir = sample_dir();
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;
	GPtrArray *headers = g_ptr_array_new();
	guint own = 0, total = 0;

	g_assert_nonnull(d);
	g_ptr_array_add(headers, (gpointer)LOOP_HEADER);
	while ((name = g_dir_read_name(d)) != NULL) {
		char *path, *data;
		gsize len;
		struct message *in;
		struct compose_mail c = { 0 };
		GPtrArray *refs;

		if (!g_str_has_suffix(name, ".eml"))
			continue;
		path = g_build_filename(dir, name, NULL);
		g_assert_true(g_file_get_contents(path, &data, &len, NULL));
		in = message_parse(data, len);
		refs = g_ptr_array_new();
		for (guint i = 0; i < in->references->len; i++)
			g_ptr_array_add(refs, in->references->pdata[i]);
		g_ptr_array_add(refs, in->message_id);
		c.from_name = in->from.name;
		c.from_addr = "support@example.com";
		c.to_name = "Agents";
		c.to_addr = "agents@example.com";
		c.to_more = in->to;
		c.cc = in->cc;
		c.reply_to = in->from.addr;
		c.subject = in->subject;
		c.text = in->body;
		c.in_reply_to = in->message_id;
		c.references = refs;
		c.headers = headers;
		c.attachments = in->attachments;
		if (check_mail(name, &c, ID, DATE))
			own++;
		c.html = "<p>relayed</p>";
		if (check_mail(name, &c, ID, DATE))
			own++;
		total += 2;
		g_ptr_array_unref(refs);
		message_free(in);
		g_free(data);
		g_free(path);
	}
	g_test_message("%u of %u relays built without parsing", own, total);
	g_assert_cmpuint(total, >, 0);
	g_dir_close(d);
	g_ptr_array_unref(headers);
	g_free(dir);
}

/* ---- random mail from hostile pieces ---- */

static const char *const pieces[] = {
	"a", "word", "Hello", " ", "  ", "\t", "\r", "\n", "\r\n", "\n\n",
	"From ", ".", "..", "=?", "?=", "=?utf-8?q?x?=", "=?utf-8?b?w7w=?=",
	"\"", "\\", "(", ")", "<", ">", ",", ";", ":", "@", "[", "]", "'",
	"{{", "}}", "=", "=20", "-- ", "> quoted", "http://example.com/?a=b&c",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaaaaaaaaaaaaaaaaaaaa", "\x01", "\x7f", "/",
	/* ISO-8859-1 text, which GMime sends in that charset */
	"ä", "ö", "ü", "ß", "é", "ñ", "ÿ", "\xc2\xa0", "Â©", "Ã¼", "Ã",
	/* other text, sent as UTF-8 */
	"€", "中", "文", "こ", "ん", "Ж", "λ", "😀", "🎉", "\xe2\x80\xae",
	"\xef\xbb\xbf",
};

/* Pieces that make the parser guess a charset: rarely used. */
static const char *const rare_pieces[] = {
	"\xc2\x80", "\xc2\x85", "\xc2\x9d",
};

static char *
random_text(GRand *r, int max_pieces)
{
	GString *s = g_string_new(NULL);
	int n = g_rand_int_range(r, 0, max_pieces + 1);

	for (int i = 0; i < n; i++) {
		if (g_rand_int_range(r, 0, 500) == 0)
			g_string_append(s, rare_pieces[g_rand_int_range(r, 0,
				G_N_ELEMENTS(rare_pieces))]);
		else
			g_string_append(s, pieces[g_rand_int_range(r, 0,
				G_N_ELEMENTS(pieces))]);
	}
	return g_string_free(s, FALSE);
}

/* Latin-1 only, to have that charset often. */
static char *
random_latin1(GRand *r, int max_pieces)
{
	static const char *const latin1[] = {
		"Grüße", " ", "\n", "\r\n", "Köln", "naïve", "Ã¼", "\xc2\xa0",
		"ß", "x", "\t", "From ", ".",
	};
	GString *s = g_string_new(NULL);
	int n = g_rand_int_range(r, 0, max_pieces + 1);

	for (int i = 0; i < n; i++)
		g_string_append(s, latin1[g_rand_int_range(r, 0,
			G_N_ELEMENTS(latin1))]);
	return g_string_free(s, FALSE);
}

static const char *
random_pick(GRand *r, const char *const *list, gsize n)
{
	return list[g_rand_int_range(r, 0, (gint32)n)];
}

#define PICK(r, list) random_pick((r), (list), G_N_ELEMENTS(list))

static const char *const random_types[] = {
	"application/pdf", "text/plain", "text/html", "image/png",
	"message/rfc822", "application/octet-stream", "TEXT/CSV", "",
	"image/svg+xml",
};

static const char *const random_addrs[] = {
	"customer@example.net", "Customer@Example.NET", "a.b+tag@sub.example.org",
	"o'neil@example.ie", "müller@bücher.de", "x@xn--bcher-kva.de",
	"\"quoted local\"@example.com", "no-domain", "",
};

static const char *const random_ids[] = {
	"a@b.c", "CAF=x+y/z_1@mail.gmail.com", "first.msg@example.com",
	"123456@host", "no-at", "a@[127.0.0.1]", "q?x@y.z", "ü@example.com",
};

static const char *const random_headers[] = {
	"X-A: value", "Precedence: bulk", "Thread-Topic: Grüße =?x?=",
	"List-Id: <list.example.com>", "Reply-To: other@example.com",
	"Content-Language: de", "Bad Name: x", "X-Long: " "long long long long "
	"long long long long long long long long long long long long long",
};

/* One random mail: compare, and free what was made for it. */
static gboolean
random_mail(GRand *r, guint n)
{
	struct compose_mail c = { 0 };
	GPtrArray *headers = g_ptr_array_new();
	GPtrArray *refs = g_ptr_array_new();
	GPtrArray *lists[2];
	GPtrArray *atts = g_ptr_array_new();
	char *label = g_strdup_printf("random mail %u", n);
	gboolean latin1 = g_rand_int_range(r, 0, 4) == 0, own;
	int k;

	c.from_name = random_text(r, 8);
	c.from_addr = "support@example.com";
	c.to_name = random_text(r, 8);
	c.to_addr = g_rand_int_range(r, 0, 4) == 0 ? PICK(r, random_addrs) :
		"customer@example.net";
	c.subject = random_text(r, g_rand_boolean(r) ? 12 : 300);
	c.text = latin1 ? random_latin1(r, 30) :
		random_text(r, g_rand_boolean(r) ? 20 : 400);
	if (g_rand_int_range(r, 0, 3) == 0)
		c.html = latin1 ? random_latin1(r, 10) : random_text(r, 20);
	for (int l = 0; l < 2; l++) {
		lists[l] = g_ptr_array_new_with_free_func(g_free);
		k = g_rand_int_range(r, 0, 4);
		for (int i = 0; i < k; i++) {
			struct message_address *a =
				g_new0(struct message_address, 1);

			a->name = g_rand_boolean(r) ? random_text(r, 6) : NULL;
			a->addr = g_rand_int_range(r, 0, 4) == 0 ?
				g_strdup(PICK(r, random_addrs)) :
				g_strdup_printf("more%d@Example.org", i);
			g_ptr_array_add(lists[l], a);
		}
	}
	c.to_more = lists[0];
	c.cc = lists[1];
	if (g_rand_int_range(r, 0, 4) == 0)
		c.reply_to = PICK(r, random_addrs);
	k = g_rand_int_range(r, 0, 3);
	for (int i = 0; i < k; i++) {
		struct message_attachment *a =
			g_new0(struct message_attachment, 1);
		char *body = random_text(r, 10);

		/* a name the parser keeps, or none */
		a->filename = g_rand_boolean(r) ?
			g_strdup_printf("file %d ü中😀 %s.bin", i,
					g_rand_boolean(r) ? "x" :
					"long name long name long name "
					"long name long name long name") :
			g_strdup("");
		a->content_type = g_strdup(PICK(r, random_types));
		a->content = g_bytes_new_take(body, strlen(body));
		a->size = g_bytes_get_size(a->content);
		g_ptr_array_add(atts, a);
	}
	c.attachments = atts;
	k = g_rand_int_range(r, 0, 3);
	for (int i = 0; i < k; i++)
		g_ptr_array_add(headers, (gpointer)PICK(r, random_headers));
	g_ptr_array_add(headers, (gpointer)LOOP_HEADER);
	c.headers = headers;
	k = g_rand_int_range(r, 0, 4);
	for (int i = 0; i < k; i++)
		g_ptr_array_add(refs, (gpointer)(g_rand_int_range(r, 0, 4) ?
			"ref@example.com" : PICK(r, random_ids)));
	c.references = refs;
	if (g_rand_boolean(r))
		c.in_reply_to = g_rand_int_range(r, 0, 4) ?
			"in.reply@example.com" : PICK(r, random_ids);
	if (g_rand_int_range(r, 0, 5) == 0)
		c.auto_submitted = "auto-replied";

	own = check_mail(label, &c, ID, DATE);

	g_free((char *)c.from_name);
	g_free((char *)c.to_name);
	g_free((char *)c.subject);
	g_free((char *)c.text);
	g_free((char *)c.html);
	for (int l = 0; l < 2; l++) {
		for (guint i = 0; i < lists[l]->len; i++) {
			struct message_address *a = lists[l]->pdata[i];

			g_free(a->name);
			g_free(a->addr);
		}
		g_ptr_array_unref(lists[l]);
	}
	for (guint i = 0; i < atts->len; i++) {
		struct message_attachment *a = atts->pdata[i];

		g_free(a->filename);
		g_free(a->content_type);
		g_bytes_unref(a->content);
		g_free(a);
	}
	g_ptr_array_unref(atts);
	g_ptr_array_unref(refs);
	g_ptr_array_unref(headers);
	g_free(label);
	return own;
}

static void
test_compose_random(void)
{
	GRand *r = g_rand_new_with_seed(20260101);
	guint own = 0, total = 1000;

	for (guint n = 0; n < total; n++)
		if (random_mail(r, n))
			own++;
	g_test_message("%u of %u random mails built without parsing", own,
		       total);
	/* odd ids, addresses, headers and unnamed texts send the rest to
	   the parser */
	g_assert_cmpuint(own, >=, total / 4);
	g_rand_free(r);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	message_library_init();
	g_test_add_func("/compose/table", test_compose_table);
	g_test_add_func("/compose/long", test_compose_long);
	g_test_add_func("/compose/many", test_compose_many);
	g_test_add_func("/compose/dates", test_compose_dates);
	g_test_add_func("/compose/relay-samples",
			test_compose_relay_samples);
	g_test_add_func("/compose/random", test_compose_random);
	return g_test_run();
}
