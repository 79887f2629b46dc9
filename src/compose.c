/* Outgoing MIME with GMime. */
#include "autodefs.h"

#include <string.h>

#include <gmime/gmime.h>

#include "compose.h"

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

	g_mime_text_part_set_text(part, text != NULL ? text : "");
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

GBytes *
compose_build(const struct compose_mail *mail, const char *message_id)
{
	GMimeMessage *msg = g_mime_message_new(TRUE);
	GMimeObject *obj = GMIME_OBJECT(msg);
	GMimeFormatOptions *fmt;
	GMimeStream *stream;
	GByteArray *buf;
	GDateTime *now;
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
	now = g_date_time_new_now_local();
	g_mime_message_set_date(msg, now);
	g_date_time_unref(now);
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
			const char *line = mail->headers->pdata[i];
			const char *colon = strchr(line, ':');
			char *hname;

			if (colon == NULL || colon == line)
				continue;
			hname = g_strndup(line, (gsize)(colon - line));
			g_strstrip(hname);
			compose_set_header(obj, hname, colon + 1);
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
