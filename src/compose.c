/* Outgoing MIME with GMime. */
#include "autodefs.h"

#include <string.h>

#include <gmime/gmime.h>

#include "compose.h"
#include "message-private.h"

char *
compose_header_value(const char *value)
{
	char *v = g_strdup(value != NULL ? value : "");

	for (char *p = v; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return g_strstrip(v);
}

char *
compose_message_id(const char *domain)
{
	guint8 rnd[12];
	GString *s = g_string_new("ticketd.");

	for (size_t i = 0; i < sizeof rnd; i++)
		rnd[i] = (guint8)g_random_int_range(0, 256);
	g_string_append_printf(s, "%" G_GINT64_MODIFIER "x.",
			       g_get_real_time());
	for (size_t i = 0; i < sizeof rnd; i++)
		g_string_append_printf(s, "%02x", rnd[i]);
	g_string_append_printf(s, "@%s", domain != NULL && *domain != '\0' ?
			       domain : "ticketd.invalid");
	return g_string_free(s, FALSE);
}

static GMimePart *
compose_text_part(const char *subtype, const char *text)
{
	GMimeTextPart *part = g_mime_text_part_new_with_subtype(subtype);
	/* GMime writes a lone CR as it is: no bare CR on the wire */
	char *t = g_strdup(text != NULL ? text : "");

	message_text_normalise_newlines(t);
	g_mime_text_part_set_text(part, t);
	g_free(t);
	/* set_text picks the charset; make the encoding safe for any
	   transport: quoted-printable or base64 as GMime judges best */
	g_mime_part_set_content_encoding(
		GMIME_PART(part),
		g_mime_part_get_best_content_encoding(GMIME_PART(part),
			GMIME_ENCODING_CONSTRAINT_7BIT));
	return GMIME_PART(part);
}

static void
compose_add_mailbox(GMimeMessage *msg, GMimeAddressType type,
		    const struct message_address *a)
{
	char *name = compose_header_value(a->name);
	char *addr = compose_header_value(a->addr);

	g_mime_message_add_mailbox(msg, type, name, addr);
	g_free(name);
	g_free(addr);
}

static GMimeObject *
compose_attachment(const struct message_attachment *a)
{
	GMimePart *part;
	GMimeStream *stream;
	GMimeDataWrapper *wrapper;
	gsize len = 0;
	gconstpointer data = a->content != NULL ?
		g_bytes_get_data(a->content, &len) : NULL;
	char *type = g_strdup(a->content_type != NULL && *a->content_type ?
			      a->content_type : "application/octet-stream");
	char *slash = strchr(type, '/');

	if (slash == NULL) {
		g_free(type);
		type = g_strdup("application/octet-stream");
		slash = strchr(type, '/');
	}
	*slash = '\0';
	part = g_mime_part_new_with_type(type, slash + 1);
	g_free(type);
	stream = g_mime_stream_mem_new_with_buffer(data != NULL ? data : "",
						   len);
	wrapper = g_mime_data_wrapper_new_with_stream(stream,
						      GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(part, wrapper);
	g_object_unref(wrapper);
	g_object_unref(stream);
	g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
	g_mime_object_set_disposition(GMIME_OBJECT(part), "attachment");
	if (a->filename != NULL && *a->filename != '\0')
		g_mime_part_set_filename(part, a->filename);
	return GMIME_OBJECT(part);
}

static void
compose_set_header(GMimeObject *obj, const char *name, const char *value)
{
	char *v = compose_header_value(value);

	g_mime_object_set_header(obj, name, v, "utf-8");
	g_free(v);
}

/* date in the local time zone, or NULL beyond year 9999.  The zone is
   read once: g_date_time_new_from_unix_local() looks at /etc/localtime
   (three system calls) for every mail. */
static GDateTime *
compose_local_time(gint64 date)
{
	static GTimeZone *local;
	GDateTime *utc, *dt;

	if (g_once_init_enter(&local))
		g_once_init_leave(&local, g_time_zone_new_local());
	utc = g_date_time_new_from_unix_utc(date);
	if (utc == NULL)
		return NULL;
	dt = g_date_time_to_timezone(utc, local);
	g_date_time_unref(utc);
	return dt;
}

/* ---- plain text mail without the object tree ---- */

/*
 * Most mail ticketd sends (acknowledgements, relays of plain replies) is
 * one text/plain part.  Building a GMimeMessage for it, only to write it
 * out and free it, was a quarter of the time of storing an incoming mail;
 * compose_build_plain() writes the same mail directly, with the same GMime
 * calls for what needs care (addresses, RFC 2047 words, folding, dates,
 * quoted-printable and base64).  tests/unit/test-compose.c checks that both
 * ways parse to the same message.
 */

static const GMimeFormatOptions *
compose_format_dos(void)
{
	static GMimeFormatOptions *fmt;

	if (g_once_init_enter(&fmt)) {
		GMimeFormatOptions *f = g_mime_format_options_new();

		g_mime_format_options_set_newline_format(f,
			GMIME_NEWLINE_FORMAT_DOS);
		g_once_init_leave(&fmt, f);
	}
	return fmt;
}

/* Append len bytes of s with every line end made CRLF. */
static void
compose_put_crlf(GString *out, const char *s, gsize len)
{
	for (gsize i = 0; i < len; i++) {
		if (s[i] == '\r') {
			g_string_append(out, "\r\n");
			if (i + 1 < len && s[i + 1] == '\n')
				i++;
		} else if (s[i] == '\n') {
			g_string_append(out, "\r\n");
		} else {
			g_string_append_c(out, s[i]);
		}
	}
}

/* Add the mailbox name <addr>, both cleaned, to list. */
static void
compose_list_add(InternetAddressList *list, const char *name,
		 const char *addr)
{
	char *n = compose_header_value(name);
	char *a = compose_header_value(addr);
	InternetAddress *ia = internet_address_mailbox_new(n, a);

	internet_address_list_add(list, ia);
	g_object_unref(ia);
	g_free(n);
	g_free(a);
}

/* field: the mailboxes, encoded and folded by GMime. */
static void
compose_put_mailboxes(GString *out, const char *field,
		      const char *name, const char *addr,
		      const GPtrArray *more)
{
	InternetAddressList *list = internet_address_list_new();
	GString *line = g_string_new(field);

	if (addr != NULL)
		compose_list_add(list, name, addr);
	for (guint i = 0; more != NULL && i < more->len; i++) {
		const struct message_address *m = more->pdata[i];

		compose_list_add(list, m->name, m->addr);
	}
	if (internet_address_list_length(list) > 0) {
		g_string_append(line, ": ");
		internet_address_list_encode(list,
			(GMimeFormatOptions *)compose_format_dos(), line);
		g_string_append_len(out, line->str, (gssize)line->len);
	}
	g_string_free(line, TRUE);
	g_object_unref(list);
}

/* An unstructured header: RFC 2047 words where needed, folded. */
static void
compose_put_text(GString *out, const char *field, const char *value)
{
	GMimeFormatOptions *fmt = (GMimeFormatOptions *)compose_format_dos();
	char *v = compose_header_value(value);
	char *enc = g_mime_utils_header_encode_text(fmt, v, "utf-8");
	char *line = g_strconcat(field, ": ", enc, NULL);
	char *folded = g_mime_utils_unstructured_header_fold(NULL, fmt, line);
	gsize n = strlen(folded);

	compose_put_crlf(out, folded, n);
	if (n == 0 || (folded[n - 1] != '\n' && folded[n - 1] != '\r'))
		g_string_append(out, "\r\n");
	g_free(folded);
	g_free(line);
	g_free(enc);
	g_free(v);
}

/* A list of message ids, folded between them. */
static void
compose_put_ids(GString *out, const char *field, const char *const *ids,
		guint n)
{
	gsize col = strlen(field) + 1;

	g_string_append_printf(out, "%s:", field);
	for (guint i = 0; i < n; i++) {
		char *id = compose_header_value(ids[i]);
		gsize w = strlen(id) + 3;

		if (i > 0 && col + w > 78) {
			g_string_append(out, "\r\n");
			col = 0;
		}
		g_string_append_printf(out, " <%s>", id);
		col += w;
		g_free(id);
	}
	g_string_append(out, "\r\n");
}

/* Is name a header field name (RFC 5322 ftext) that GMime would write
   as it is? */
static gboolean
compose_field_name_ok(const char *name)
{
	if (*name == '\0')
		return FALSE;
	for (const char *p = name; *p != '\0'; p++)
		if ((unsigned char)*p < 33 || (unsigned char)*p > 126 ||
		    *p == ':')
			return FALSE;
	return TRUE;
}

/* The body as g_mime_text_part_set_text() makes it: charset us-ascii,
   iso-8859-1 (the text converted) when every character fits, else utf-8.
   Then 7bit when it is ASCII with lines of at
   most 998 bytes, else quoted-printable, or base64 when more than about a
   sixth of it is 8-bit (GMime's rule). */
static void
compose_put_body(GString *out, const char *utf8)
{
	GString *text = g_string_new(NULL);
	GMimeContentEncoding enc;
	GMimeFilter *best;
	GMimeCharset mask;
	GMimeEncoding st;
	const char *charset;
	char *buf;
	gsize n;

	g_mime_charset_init(&mask);
	g_mime_charset_step(&mask, utf8, strlen(utf8));
	if (mask.level == 1) {
		charset = "iso-8859-1";
		for (const char *p = utf8; *p != '\0'; p = g_utf8_next_char(p))
			g_string_append_c(text,
				(char)(guchar)g_utf8_get_char(p));
	} else {
		charset = mask.level == 0 ? "us-ascii" : "utf-8";
		g_string_append(text, utf8);
	}
	/* GMime's own decision, as g_mime_part_get_best_content_encoding()
	   makes it */
	best = g_mime_filter_best_new(GMIME_FILTER_BEST_ENCODING);
	{
		char *o;
		size_t olen, opre;

		g_mime_filter_complete(best, text->str, text->len, 0, &o,
				       &olen, &opre);
	}
	enc = g_mime_filter_best_encoding(GMIME_FILTER_BEST(best),
					  GMIME_ENCODING_CONSTRAINT_7BIT);
	g_object_unref(best);
	if (enc == GMIME_CONTENT_ENCODING_DEFAULT)
		enc = GMIME_CONTENT_ENCODING_7BIT;
	g_string_append_printf(out, "MIME-Version: 1.0\r\n"
			       "Content-Type: text/plain; charset=%s\r\n"
			       "Content-Transfer-Encoding: %s\r\n\r\n",
			       charset, g_mime_content_encoding_to_string(enc));
	if (enc == GMIME_CONTENT_ENCODING_7BIT) {
		compose_put_crlf(out, text->str, text->len);
		goto end;
	}
	{
		/* base64: the text in canonical form, CRLF line ends;
		   quoted-printable: LF, which the encoder keeps as hard
		   breaks (made CRLF below) */
		GString *canon = g_string_sized_new(text->len + 64);

		if (enc == GMIME_CONTENT_ENCODING_BASE64) {
			compose_put_crlf(canon, text->str, text->len);
		} else {
			g_string_append_len(canon, text->str,
					    (gssize)text->len);
			message_text_normalise_newlines(canon->str);
			g_string_truncate(canon, strlen(canon->str));
		}
		g_mime_encoding_init_encode(&st, enc);
		buf = g_malloc(g_mime_encoding_outlen(&st, canon->len) + 4);
		n = g_mime_encoding_flush(&st, canon->str, canon->len, buf);
		g_string_free(canon, TRUE);
	}
	compose_put_crlf(out, buf, n);
	g_free(buf);
end:
	/* the part ends with a line end, as GMime's writer ends it */
	if (text->len > 0 && out->str[out->len - 1] != '\n')
		g_string_append(out, "\r\n");
	g_string_free(text, TRUE);
}

/* The name of an extra "Name: value" header line, stripped (new), with
   *value_r after the colon; NULL for a line without a name. */
static char *
compose_header_name(const char *line, const char **value_r)
{
	const char *colon = strchr(line, ':');

	if (colon == NULL || colon == line)
		return NULL;
	*value_r = colon + 1;
	return g_strstrip(g_strndup(line, (gsize)(colon - line)));
}

/* The fields compose_build_plain() writes itself. */
static const char *const compose_own_fields[] = {
	"From", "To", "Cc", "Reply-To", "Subject", "Date", "Message-Id",
	"In-Reply-To", "References", "Auto-Submitted", "MIME-Version",
	"Content-Type", "Content-Transfer-Encoding", NULL,
};

/* NULL when mail is not one plain text part, or has extra headers that
   are malformed, repeated or name one of compose_own_fields:
   compose_build() then builds it with GMime's objects. */
static GBytes *
compose_build_plain(const struct compose_mail *mail, const char *message_id,
		    gint64 date)
{
	const char *text = mail->text != NULL ? mail->text : "";
	GString *out;
	GDateTime *dt;

	if (mail->html != NULL ||
	    (mail->attachments != NULL && mail->attachments->len > 0) ||
	    !g_utf8_validate(text, -1, NULL))
		return NULL;
	for (guint i = 0; mail->headers != NULL && i < mail->headers->len;
	     i++) {
		const char *value;
		char *hname = compose_header_name(mail->headers->pdata[i],
						  &value);
		gboolean ok;

		if (hname == NULL)
			continue;
		ok = compose_field_name_ok(hname);
		/* GMime's set_header() replaces a header of the same name:
		   leave that to it */
		for (guint k = 0; ok && k < i; k++) {
			char *prev = compose_header_name(
				mail->headers->pdata[k], &value);

			ok = prev == NULL || g_ascii_strcasecmp(prev, hname);
			g_free(prev);
		}
		for (guint k = 0; ok && compose_own_fields[k] != NULL; k++)
			if (g_ascii_strcasecmp(compose_own_fields[k],
					       hname) == 0)
				ok = FALSE;
		g_free(hname);
		if (!ok)
			return NULL;
	}

	out = g_string_sized_new(1024 + strlen(text) * 4 / 3);
	compose_put_mailboxes(out, "From", mail->from_name, mail->from_addr,
			      NULL);
	compose_put_mailboxes(out, "To", mail->to_name, mail->to_addr,
			      mail->to_more);
	compose_put_mailboxes(out, "Cc", NULL, NULL, mail->cc);
	if (mail->reply_to != NULL)
		compose_put_mailboxes(out, "Reply-To", NULL, mail->reply_to,
				      NULL);
	compose_put_text(out, "Subject", mail->subject);
	dt = compose_local_time(date);
	if (dt != NULL) {	/* NULL: beyond year 9999 */
		char *d = g_mime_utils_header_format_date(dt);

		g_string_append_printf(out, "Date: %s\r\n", d);
		g_free(d);
		g_date_time_unref(dt);
	}
	compose_put_ids(out, "Message-Id", &message_id, 1);
	if (mail->in_reply_to != NULL && *mail->in_reply_to != '\0')
		compose_put_ids(out, "In-Reply-To", &mail->in_reply_to, 1);
	if (mail->references != NULL && mail->references->len > 0)
		compose_put_ids(out, "References",
				(const char *const *)mail->references->pdata,
				mail->references->len);
	if (mail->auto_submitted != NULL)
		compose_put_text(out, "Auto-Submitted", mail->auto_submitted);
	for (guint i = 0; mail->headers != NULL && i < mail->headers->len;
	     i++) {
		const char *value;
		char *hname = compose_header_name(mail->headers->pdata[i],
						  &value);

		if (hname == NULL)
			continue;
		compose_put_text(out, hname, value);
		g_free(hname);
	}
	compose_put_body(out, text);
	{
		gsize n = out->len;

		return g_bytes_new_take(g_string_free(out, FALSE), n);
	}
}

GBytes *
compose_build_mime(const struct compose_mail *mail, const char *message_id,
		   gint64 date)
{
	GMimeMessage *msg = g_mime_message_new(TRUE);
	GMimeObject *obj = GMIME_OBJECT(msg);
	GMimeFormatOptions *fmt;
	GMimeStream *stream;
	GByteArray *buf;
	GDateTime *dt;
	GMimeObject *body;
	char *v, *name;

	name = compose_header_value(mail->from_name);
	v = compose_header_value(mail->from_addr);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, name, v);
	g_free(name);
	g_free(v);
	name = compose_header_value(mail->to_name);
	v = compose_header_value(mail->to_addr);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, name, v);
	g_free(name);
	g_free(v);

	for (guint i = 0; mail->to_more != NULL && i < mail->to_more->len; i++) {
		const struct message_address *a = mail->to_more->pdata[i];

		compose_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, a);
	}
	for (guint i = 0; mail->cc != NULL && i < mail->cc->len; i++) {
		const struct message_address *a = mail->cc->pdata[i];

		compose_add_mailbox(msg, GMIME_ADDRESS_TYPE_CC, a);
	}
	if (mail->reply_to != NULL) {
		v = compose_header_value(mail->reply_to);
		g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_REPLY_TO,
					   NULL, v);
		g_free(v);
	}

	v = compose_header_value(mail->subject);
	g_mime_message_set_subject(msg, v, "utf-8");
	g_free(v);
	dt = compose_local_time(date);
	if (dt != NULL) {	/* NULL: beyond year 9999 */
		g_mime_message_set_date(msg, dt);
		g_date_time_unref(dt);
	}
	g_mime_message_set_message_id(msg, message_id);

	if (mail->in_reply_to != NULL && *mail->in_reply_to != '\0') {
		v = g_strdup_printf("<%s>", mail->in_reply_to);
		compose_set_header(obj, "In-Reply-To", v);
		g_free(v);
	}
	if (mail->references != NULL && mail->references->len > 0) {
		GString *refs = g_string_new(NULL);

		for (guint i = 0; i < mail->references->len; i++)
			g_string_append_printf(refs, "%s<%s>",
					       i > 0 ? " " : "",
					       (char *)mail->references->pdata[i]);
		compose_set_header(obj, "References", refs->str);
		g_string_free(refs, TRUE);
	}
	if (mail->auto_submitted != NULL)
		compose_set_header(obj, "Auto-Submitted", mail->auto_submitted);
	if (mail->headers != NULL) {
		for (guint i = 0; i < mail->headers->len; i++) {
			const char *value;
			char *hname = compose_header_name(
				mail->headers->pdata[i], &value);

			if (hname == NULL)
				continue;
			compose_set_header(obj, hname, value);
			g_free(hname);
		}
	}

	if (mail->html != NULL) {
		GMimeMultipart *alt =
			g_mime_multipart_new_with_subtype("alternative");
		GMimePart *text = compose_text_part("plain", mail->text);
		GMimePart *html = compose_text_part("html", mail->html);

		g_mime_multipart_add(alt, GMIME_OBJECT(text));
		g_mime_multipart_add(alt, GMIME_OBJECT(html));
		g_object_unref(text);
		g_object_unref(html);
		body = GMIME_OBJECT(alt);
	} else {
		body = GMIME_OBJECT(compose_text_part("plain", mail->text));
	}
	if (mail->attachments != NULL && mail->attachments->len > 0) {
		GMimeMultipart *mixed =
			g_mime_multipart_new_with_subtype("mixed");

		g_mime_multipart_add(mixed, body);
		g_object_unref(body);
		for (guint i = 0; i < mail->attachments->len; i++) {
			GMimeObject *part = compose_attachment(
				mail->attachments->pdata[i]);

			g_mime_multipart_add(mixed, part);
			g_object_unref(part);
		}
		body = GMIME_OBJECT(mixed);
	}
	g_mime_message_set_mime_part(msg, body);
	g_object_unref(body);

	fmt = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fmt, GMIME_NEWLINE_FORMAT_DOS);
	buf = g_byte_array_new();
	stream = g_mime_stream_mem_new_with_byte_array(buf);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
	g_mime_object_write_to_stream(obj, fmt, stream);
	g_mime_stream_flush(stream);
	g_object_unref(stream);
	g_mime_format_options_free(fmt);
	g_object_unref(msg);
	return g_byte_array_free_to_bytes(buf);
}

GBytes *
compose_build(const struct compose_mail *mail, const char *message_id,
	      gint64 date)
{
	GBytes *raw = compose_build_plain(mail, message_id, date);

	return raw != NULL ? raw : compose_build_mime(mail, message_id, date);
}

/* ---- what message_parse() makes of our mail, without parsing it ---- */

/*
 * compose_message() returns the struct message that message_parse() makes of
 * the bytes compose_build() wrote, at a fraction of the cost.  Subject and
 * addresses come back changed by GMime's encoding (RFC 2047 words, folding
 * that can add a blank, quoting), so they are read from raw's header block
 * with the GMime calls the parser makes; ids, date, text and attachment bytes
 * come back unchanged and are taken from the mail.  A mail outside what this
 * covers is parsed after all.  The limits and the cleaning below are those
 * of src/message.c: keep them in step (tests/unit/test-compose.c compares
 * both ways on hostile input).
 */

/* The options message_parse() gives GMime's parser. */
static GMimeParserOptions *
compose_parser_options(void)
{
	static const char *fallback[] = {
		"utf-8", "gb18030", "big5", "windows-1252", NULL,
	};
	GMimeParserOptions *o = g_mime_parser_options_new();

	g_mime_parser_options_set_fallback_charsets(o, fallback);
	g_mime_parser_options_set_address_compliance_mode(o,
		GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode(o,
		GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_rfc2047_compliance_mode(o,
		GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_allow_addresses_without_domain(o, TRUE);
	return o;
}

/* The raw value of the first header called name in the header block of
   data, as GMime's parser keeps it (all after the colon, folds included),
   newly allocated, or NULL. */
static char *
compose_raw_header(const char *data, gsize len, const char *name)
{
	const char *p = data, *end = data + len;
	gsize nlen = strlen(name);

	while (p < end && *p != '\r' && *p != '\n') {
		const char *eol = memchr(p, '\n', (gsize)(end - p));
		const char *next = eol != NULL ? eol + 1 : end;
		const char *value = p + nlen + 1;

		if ((gsize)(next - p) <= nlen || p[nlen] != ':' ||
		    g_ascii_strncasecmp(p, name, nlen) != 0) {
			p = next;
			continue;
		}
		while (next < end && (*next == ' ' || *next == '\t')) {
			eol = memchr(next, '\n', (gsize)(end - next));
			next = eol != NULL ? eol + 1 : end;
		}
		return g_strndup(value, (gsize)(next - value));
	}
	return NULL;
}

/* v without its line breaks, as message.c unfolds (RFC 5322 2.2.3). */
static char *
compose_unfold(const char *v)
{
	GString *out = g_string_sized_new(strlen(v));

	for (; *v != '\0'; v++)
		if (*v != '\r' && *v != '\n')
			g_string_append_c(out, *v);
	return g_string_free(out, FALSE);
}

/* Append the addresses of header name in data to out.  Returns -1 when the
   header is there but GMime finds no mailbox in it or it is not UTF-8: the
   parser then reads it its own ways. */
static int
compose_read_addresses(GMimeParserOptions *o, const char *data, gsize len,
		       const char *name, GPtrArray *out)
{
	char *v = compose_raw_header(data, len, name);
	InternetAddressList *list;

	if (v == NULL)
		return 0;
	if (g_utf8_validate(v, -1, NULL)) {
		char *unfolded = compose_unfold(v);
		char *ready = message_address_value_prepare(o, unfolded);

		/* as message_parse(): GMime reads the header as it is unless
		   a name holds encoded words */
		list = internet_address_list_parse(o, ready != NULL ? ready : v);
		g_free(ready);
		g_free(unfolded);
		if (list != NULL) {
			message_address_list_collect(list, out, 0);
			g_object_unref(list);
		}
	}
	g_free(v);
	return out->len > 0 ? 0 : -1;
}

/* Set *dst to the first address of header name, if any; -1 as above. */
static int
compose_read_first_address(GMimeParserOptions *o, const char *data,
			   gsize len, const char *name,
			   struct message_address *dst)
{
	GPtrArray *all = g_ptr_array_new_with_free_func(
		(GDestroyNotify)message_address_free);
	int rc = compose_read_addresses(o, data, len, name, all);

	if (rc == 0 && all->len > 0) {
		struct message_address *a = all->pdata[0];

		dst->name = a->name;
		dst->addr = a->addr;
		a->name = a->addr = NULL;
	}
	g_ptr_array_unref(all);
	return rc;
}

/* Subject and addresses from raw's header block; -1: parse the mail. */
static int
compose_read_headers(struct message *msg, const char *data, gsize len)
{
	GMimeParserOptions *o = compose_parser_options();
	char *v = compose_raw_header(data, len, "Subject");
	int rc = 0;

	if (v != NULL && !g_utf8_validate(v, -1, NULL)) {
		rc = -1;	/* the parser guesses the charset */
	} else if (v != NULL) {
		char *unfolded = compose_unfold(v);

		msg->subject = message_header_text_decode(o, unfolded);
		g_free(unfolded);
	}
	g_free(v);
	if (msg->subject == NULL)
		msg->subject = g_strdup("");
	message_header_cap(msg->subject, MESSAGE_MAX_SUBJECT);

	if (rc == 0 && compose_read_first_address(o, data, len, "From",
						 &msg->from) < 0)
		rc = -1;
	if (msg->from.addr == NULL) {
		msg->from.name = g_strdup("");
		msg->from.addr = g_strdup("");
	}
	if (rc == 0 && (compose_read_addresses(o, data, len, "To",
					       msg->to) < 0 ||
			compose_read_addresses(o, data, len, "Cc",
					       msg->cc) < 0 ||
			compose_read_first_address(o, data, len, "Reply-To",
						   &msg->reply_to) < 0))
		rc = -1;
	g_mime_parser_options_free(o);
	return rc;
}

/* Is id a dot-atom "@" dot-atom, which GMime writes and reads back as it
   is?  ('?' is left out: "=?" could be read as an RFC 2047 word.) */
static gboolean
compose_id_is_plain(const char *id)
{
	static const char atext[] = "!#$%&'*+-/=^_`{|}~";
	const char *at = id != NULL ? strchr(id, '@') : NULL;
	gboolean start = TRUE;

	if (at == NULL || at == id || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL || strlen(id) > MESSAGE_MAX_MSGID)
		return FALSE;
	for (const char *p = id; *p != '\0'; p++) {
		if (*p == '.' || *p == '@') {
			/* no dot or @ at the start or end of a side, nor two */
			if (start || p[1] == '\0' || p[1] == '.' || p[1] == '@')
				return FALSE;
			start = *p == '@';
			continue;
		}
		if (!g_ascii_isalnum(*p) && strchr(atext, *p) == NULL)
			return FALSE;
		start = FALSE;
	}
	return TRUE;
}

/* In-Reply-To and References; -1 when an id is not plain. */
static int
compose_ids(struct message *msg, const struct compose_mail *mail)
{
	const GPtrArray *refs = mail->references;
	guint skip;

	if (mail->in_reply_to != NULL && *mail->in_reply_to != '\0') {
		if (!compose_id_is_plain(mail->in_reply_to))
			return -1;
		msg->in_reply_to = g_strdup(mail->in_reply_to);
	}
	if (refs == NULL)
		return 0;
	for (guint i = 0; i < refs->len; i++)
		if (!compose_id_is_plain(refs->pdata[i]))
			return -1;
	skip = refs->len > MESSAGE_MAX_REFERENCES ?
		refs->len - MESSAGE_MAX_REFERENCES : 0;
	for (guint i = skip; i < refs->len; i++)
		g_ptr_array_add(msg->references, g_strdup(refs->pdata[i]));
	return 0;
}

/*
 * Does the text come back with a line end it did not have?  Only when it is
 * the whole mail: GMime ends a top-level part with a newline, in a multipart
 * the newline before the boundary is the boundary's.  Base64 keeps the text
 * as it is; quoted-printable ends a text whose last character is a blank or
 * a CR with a soft break instead; 7bit text gets a CRLF unless it ends with
 * LF, and after a CR that only completes the line end the CR already made.
 */
static gboolean
compose_text_gains_newline(const struct compose_mail *mail, const char *text,
			   const char *data, gsize len)
{
	char *cte;
	char last;
	gboolean r;

	if (*text == '\0' || mail->html != NULL ||
	    (mail->attachments != NULL && mail->attachments->len > 0))
		return FALSE;
	last = text[strlen(text) - 1];
	cte = compose_raw_header(data, len, "Content-Transfer-Encoding");
	if (cte != NULL)
		g_strstrip(cte);
	if (cte != NULL && g_ascii_strcasecmp(cte, "base64") == 0)
		r = FALSE;
	else if (cte != NULL &&
		 g_ascii_strcasecmp(cte, "quoted-printable") == 0)
		r = strchr("\n\r \t", last) == NULL;
	else
		r = last != '\n' && last != '\r';
	g_free(cte);
	return r;
}

/* GMime's charset level of valid UTF-8 text (g_mime_charset_step()): 0
   ASCII, 1 fits ISO-8859-1 (lead bytes C2 and C3 only), 2 other. */
static int
compose_charset_level(const char *text)
{
	int level = 0;

	for (const guchar *p = (const guchar *)text; *p != '\0'; p++) {
		if (*p >= 0xc4)
			return 2;
		if (*p >= 0xc2)
			level = 1;
	}
	return level;
}

/*
 * A text part's text as the parser decodes it.  GMime sends text that fits
 * ISO-8859-1 in that charset and other non-ASCII text as UTF-8.  The parser
 * drops a UTF-8 byte order mark, reads ISO-8859-1 as windows-1252, which is
 * the same but for C1 controls, and takes bytes that are valid UTF-8 for
 * mislabelled UTF-8 ("Ã¼" comes back as "ü").  NULL when the text holds C1
 * controls: windows-1252 has other characters or none there and the parser
 * starts guessing.
 */
static char *
compose_text_as_read(const char *text)
{
	int level = compose_charset_level(text);
	GString *latin1;
	char *r;

	if (level == 0)
		return g_strdup(text);
	if (level == 2)
		return message_text_to_utf8(text, strlen(text), "utf-8");
	latin1 = g_string_sized_new(strlen(text));
	for (const guchar *p = (const guchar *)text; *p != '\0'; p++) {
		guchar c = *p;

		if (c >= 0x80) {
			c = (guchar)((c & 0x03) << 6 | (p[1] & 0x3f));
			p++;
		}
		if (c >= 0x80 && c <= 0x9f) {
			g_string_free(latin1, TRUE);
			return NULL;
		}
		g_string_append_c(latin1, (char)c);
	}
	if (g_utf8_validate(latin1->str, (gssize)latin1->len, NULL))
		r = message_text_to_utf8(latin1->str, latin1->len,
					 "iso-8859-1");
	else
		r = g_strdup(text);
	g_string_free(latin1, TRUE);
	return r;
}

/* The body the parser picks: the text part, LF line ends, unless it is
   blank; then the HTML part made text, if there is one.  -1: parse. */
static int
compose_body(struct message *msg, const struct compose_mail *mail,
	     const char *data, gsize len)
{
	const char *text = mail->text != NULL ? mail->text : "";
	char *body = compose_text_as_read(text), *html;

	if (body == NULL)
		return -1;
	if (compose_text_gains_newline(mail, text, data, len)) {
		char *b = g_strconcat(body, "\n", NULL);

		g_free(body);
		body = b;
	}
	message_text_normalise_newlines(body);
	if (!message_text_is_blank(body)) {
		msg->body = body;
		return 0;
	}
	g_free(body);
	if (mail->html == NULL) {
		msg->body = g_strdup("");
		return 0;
	}
	html = compose_text_as_read(mail->html);
	if (html == NULL)
		return -1;
	/* the HTML comes back with CRLF line ends, which are LF ones by
	   the time it is text */
	msg->body = message_html_to_text(html, strlen(html));
	msg->body_from_html = TRUE;
	g_free(html);
	return 0;
}

/* Would the parser's filename sanitising leave name as it is? */
static gboolean
compose_filename_is_clean(const char *name)
{
	gsize n = strlen(name);

	if (n > MESSAGE_MAX_FILENAME || !g_utf8_validate(name, -1, NULL) ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    (n > 0 && (g_ascii_isspace(name[0]) ||
		       g_ascii_isspace(name[n - 1]))))
		return FALSE;
	for (const char *p = name; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (c == '/' || c == '\\' || c < 0x20 ||
		    (c >= 0x7f && c <= 0x9f) ||
		    (c >= 0x202a && c <= 0x202e) ||
		    (c >= 0x2066 && c <= 0x2069) ||
		    c == 0x200e || c == 0x200f || c == 0xfeff)
			return FALSE;
	}
	return TRUE;
}

/* Is s a MIME token (RFC 2045)? */
static gboolean
compose_is_token(const char *s, gsize len)
{
	if (len == 0)
		return FALSE;
	for (gsize i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f ||
		    strchr("()<>@,;:\\\"/[]?=", s[i]) != NULL)
			return FALSE;
	return TRUE;
}

/* The attachment the parser makes of a, or NULL when it is not plain: a
   multipart or odd type, a part without a name (the parser names it from
   its type and position), a name it would change. */
static struct message_attachment *
compose_read_attachment(GMimeParserOptions *o,
			const struct message_attachment *a)
{
	const char *type = a->content_type != NULL && *a->content_type ?
		a->content_type : "application/octet-stream";
	const char *slash = strchr(type, '/');
	struct message_attachment *r;
	char *name = NULL;

	if (slash == NULL)
		type = "application/octet-stream", slash = type + 11;
	if (!compose_is_token(type, (gsize)(slash - type)) ||
	    !compose_is_token(slash + 1, strlen(slash + 1)) ||
	    g_ascii_strncasecmp(type, "multipart/", 10) == 0)
		return NULL;
	if (a->filename != NULL && *a->filename != '\0') {
		/* the name as GMime writes and reads it (RFC 2231) */
		GMimeContentDisposition *d = g_mime_content_disposition_new();
		GMimeContentDisposition *back;
		char *encoded;

		g_mime_content_disposition_set_disposition(d, "attachment");
		g_mime_content_disposition_set_parameter(d, "filename",
							 a->filename);
		encoded = g_mime_content_disposition_encode(d, NULL);
		back = g_mime_content_disposition_parse(o, encoded);
		if (back != NULL && g_mime_content_disposition_get_parameter(
			    back, "filename") != NULL)
			name = g_strdup(g_mime_content_disposition_get_parameter(
				back, "filename"));
		if (back != NULL)
			g_object_unref(back);
		g_free(encoded);
		g_object_unref(d);
		if (name == NULL || !compose_filename_is_clean(name)) {
			g_free(name);
			return NULL;
		}
	}
	if (name == NULL || *name == '\0') {
		g_free(name);
		return NULL;
	}
	r = g_new0(struct message_attachment, 1);
	r->filename = name != NULL ? name : g_strdup("");
	r->content_type = g_ascii_strdown(type, -1);
	r->content = a->content != NULL ? g_bytes_ref(a->content) :
		g_bytes_new(NULL, 0);
	r->size = g_bytes_get_size(r->content);
	return r;
}

/* Attachments in order; -1 when one is not plain or there are more parts
   than the parser looks at. */
static int
compose_attachments(struct message *msg, const struct compose_mail *mail)
{
	GMimeParserOptions *o;
	int rc = 0;

	if (mail->attachments == NULL || mail->attachments->len == 0)
		return 0;
	/* multipart/mixed, [multipart/alternative, HTML,] text and these */
	if (mail->attachments->len + (mail->html != NULL ? 4 : 2) >
	    MESSAGE_MAX_PARTS)
		return -1;
	o = compose_parser_options();
	for (guint i = 0; i < mail->attachments->len && rc == 0; i++) {
		struct message_attachment *a = compose_read_attachment(o,
			mail->attachments->pdata[i]);

		if (a != NULL)
			g_ptr_array_add(msg->attachments, a);
		else
			rc = -1;
	}
	g_mime_parser_options_free(o);
	return rc;
}

/* Is name, from an extra header line, one the parser reads for the fields
   compose_message() fills or for the MIME structure, or not a valid field
   name?  Then the mail is parsed. */
static gboolean
compose_header_is_special(const char *line)
{
	static const char *const special[] = {
		"From", "To", "Cc", "Reply-To", "Subject", "Date",
		"Message-ID", "In-Reply-To", "References", "MIME-Version",
	};
	const char *colon = strchr(line, ':');
	char *name;
	gboolean r = FALSE;

	if (colon == NULL || colon == line)
		return FALSE;	/* compose_build() leaves it out */
	name = g_strstrip(g_strndup(line, (gsize)(colon - line)));
	if (*name == '\0' || g_ascii_strncasecmp(name, "Content-", 8) == 0)
		r = TRUE;
	for (const char *p = name; *p != '\0' && !r; p++)
		r = (unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f;
	for (size_t i = 0; i < G_N_ELEMENTS(special) && !r; i++)
		r = g_ascii_strcasecmp(name, special[i]) == 0;
	g_free(name);
	return r;
}

static gboolean
compose_utf8(const char *s)
{
	return s == NULL || g_utf8_validate(s, -1, NULL);
}

static gboolean
compose_addresses_utf8(const GPtrArray *list)
{
	for (guint i = 0; list != NULL && i < list->len; i++) {
		const struct message_address *a = list->pdata[i];

		if (!compose_utf8(a->name) || !compose_utf8(a->addr))
			return FALSE;
	}
	return TRUE;
}

/* Does compose_message() know what the parser makes of this mail, as far
   as the mail alone tells?  All text UTF-8, a plain Message-ID, no extra
   header that overrides one the parser reads. */
static gboolean
compose_mail_is_plain(const struct compose_mail *mail,
		      const char *message_id)
{
	const char *strings[] = {
		mail->from_name, mail->from_addr, mail->to_name, mail->to_addr,
		mail->subject, mail->in_reply_to, mail->auto_submitted,
		mail->text, mail->html, mail->reply_to,
	};

	if (!compose_id_is_plain(message_id))
		return FALSE;
	for (size_t i = 0; i < G_N_ELEMENTS(strings); i++)
		if (!compose_utf8(strings[i]))
			return FALSE;
	if (!compose_addresses_utf8(mail->cc) ||
	    !compose_addresses_utf8(mail->to_more))
		return FALSE;
	for (guint i = 0; mail->headers != NULL && i < mail->headers->len; i++)
		if (!compose_utf8(mail->headers->pdata[i]) ||
		    compose_header_is_special(mail->headers->pdata[i]))
			return FALSE;
	for (guint i = 0; mail->attachments != NULL &&
	     i < mail->attachments->len; i++) {
		const struct message_attachment *a =
			mail->attachments->pdata[i];

		if (!compose_utf8(a->filename) ||
		    !compose_utf8(a->content_type))
			return FALSE;
	}
	return TRUE;
}

struct message *
compose_message(const struct compose_mail *mail, const char *message_id,
		GBytes *raw, gint64 date)
{
	struct message *msg;
	GDateTime *dt;
	const char *data;
	gsize len;

	message_library_init();
	data = g_bytes_get_data(raw, &len);
	msg = message_new_empty(raw);
	if (data == NULL || !compose_mail_is_plain(mail, message_id) ||
	    compose_read_headers(msg, data, len) < 0 ||
	    compose_ids(msg, mail) < 0 || compose_attachments(msg, mail) < 0 ||
	    compose_body(msg, mail, data, len) < 0) {
		message_free(msg);
		msg = message_parse(data, len);
		g_bytes_unref(msg->raw);
		msg->raw = g_bytes_ref(raw);
		return msg;
	}
	msg->message_id = g_strdup(message_id);
	/* compose_build() writes no Date it cannot represent */
	dt = compose_local_time(date);
	msg->date = dt != NULL && date > 0 ? date : 0;
	if (dt != NULL)
		g_date_time_unref(dt);
	return msg;
}
