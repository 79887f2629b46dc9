/* Find what a bounce is about. */
#include "autodefs.h"

#include <string.h>

#include <gmime/gmime.h>

#include "bounce.h"

/* Bytes of a bounce searched for quoted Message-ID lines. */
#define BOUNCE_MAX_SCAN (1024 * 1024)
#define BOUNCE_MAX_IDS 20

static void
bounce_add(GPtrArray *ids, const char *id, gsize len, const char *own)
{
	char *v = g_strndup(id, len);

	g_strstrip(v);
	if (*v == '\0' || (own != NULL && strcmp(v, own) == 0) ||
	    ids->len >= BOUNCE_MAX_IDS) {
		g_free(v);
		return;
	}
	for (guint i = 0; i < ids->len; i++)
		if (strcmp(ids->pdata[i], v) == 0) {
			g_free(v);
			return;
		}
	g_ptr_array_add(ids, v);
}

/* Every "Message-ID: <x>" in text of len bytes. */
static void
bounce_scan(GPtrArray *ids, const char *text, gsize len, const char *own)
{
	static GRegex *re;
	GMatchInfo *info = NULL;

	if (g_once_init_enter(&re)) {
		GRegex *r = g_regex_new(
			"^[ \\t>]*Message-ID:[ \\t]*<?([^<>\\s]{1,998}@[^<>\\s]{1,998})>?",
			G_REGEX_RAW | G_REGEX_CASELESS | G_REGEX_MULTILINE |
			G_REGEX_OPTIMIZE, 0, NULL);

		g_once_init_leave(&re, r);
	}
	g_regex_match_full(re, text, (gssize)MIN(len, BOUNCE_MAX_SCAN), 0, 0,
			   &info, NULL);
	while (g_match_info_matches(info)) {
		int start, end;

		if (g_match_info_fetch_pos(info, 1, &start, &end))
			bounce_add(ids, text + start, (gsize)(end - start), own);
		g_match_info_next(info, NULL);
	}
	g_match_info_free(info);
}

/* The decoded content of part as a new byte array. */
static GByteArray *
bounce_content(GMimePart *part)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	GByteArray *buf = g_byte_array_new();
	GMimeStream *out;

	if (w == NULL)
		return buf;
	out = g_mime_stream_mem_new_with_byte_array(buf);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(out), FALSE);
	g_mime_data_wrapper_write_to_stream(w, out);
	g_object_unref(out);
	return buf;
}

/* "Status: 5.1.1" and "Diagnostic-Code: ..." of a delivery-status part. */
static void
bounce_status(const char *text, gsize len, GString *reason)
{
	char *copy = g_strndup(text, MIN(len, 65536));
	char **lines = g_strsplit(copy, "\n", -1);
	const char *status = NULL, *diag = NULL;

	for (char **l = lines; *l != NULL; l++) {
		g_strchomp(*l);
		if (status == NULL && g_ascii_strncasecmp(*l, "Status:", 7) == 0)
			status = *l + 7;
		else if (diag == NULL &&
			 g_ascii_strncasecmp(*l, "Diagnostic-Code:", 16) == 0)
			diag = *l + 16;
	}
	if (status != NULL)
		g_string_append(reason, g_strstrip((char *)status));
	if (diag != NULL) {
		if (reason->len > 0)
			g_string_append(reason, " ");
		g_string_append(reason, g_strstrip((char *)diag));
	}
	g_strfreev(lines);
	g_free(copy);
}

struct bounce_walk {
	GPtrArray *ids;
	GString *reason;
	const char *own;
};

static void
bounce_visit(GMimeObject *parent, GMimeObject *part, gpointer data)
{
	struct bounce_walk *w = data;
	GMimeContentType *ct = g_mime_object_get_content_type(part);

	(void)parent;
	if (GMIME_IS_MESSAGE_PART(part)) {
		GMimeMessage *inner = g_mime_message_part_get_message(
			GMIME_MESSAGE_PART(part));
		const char *id = inner != NULL ?
			g_mime_message_get_message_id(inner) : NULL;

		if (id != NULL)
			bounce_add(w->ids, id, strlen(id), w->own);
	} else if (GMIME_IS_PART(part) && ct != NULL) {
		GByteArray *buf;

		if (g_mime_content_type_is_type(ct, "message",
						"delivery-status") ||
		    g_mime_content_type_is_type(ct, "message",
						"global-delivery-status")) {
			buf = bounce_content(GMIME_PART(part));
			bounce_status((const char *)buf->data, buf->len,
				      w->reason);
			g_byte_array_unref(buf);
		} else if (g_mime_content_type_is_type(ct, "text",
						       "rfc822-headers") ||
			   g_mime_content_type_is_type(ct, "message",
						       "rfc822-headers")) {
			buf = bounce_content(GMIME_PART(part));
			bounce_scan(w->ids, (const char *)buf->data, buf->len,
				    w->own);
			g_byte_array_unref(buf);
		}
	}
}

GPtrArray *
bounce_original_ids(const struct message *msg, char **reason_r)
{
	struct bounce_walk w;
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *gmsg;
	gsize len;
	const char *raw = g_bytes_get_data(msg->raw, &len);

	w.ids = g_ptr_array_new_with_free_func(g_free);
	w.reason = g_string_new(NULL);
	w.own = msg->message_id;
	stream = g_mime_stream_mem_new_with_buffer(raw, len);
	parser = g_mime_parser_new_with_stream(stream);
	gmsg = g_mime_parser_construct_message(parser, NULL);
	if (gmsg != NULL) {
		g_mime_message_foreach(gmsg, bounce_visit, &w);
		g_object_unref(gmsg);
	}
	g_object_unref(parser);
	g_object_unref(stream);
	/* Non-standard bounces quote the original's headers in text. */
	bounce_scan(w.ids, raw, len, w.own);
	if (w.reason->len == 0) {
		const char *body = msg->body;
		const char *p = strstr(body, " 550");

		if (p == NULL)
			p = strstr(body, " 5.");
		if (p != NULL) {
			const char *e = strchr(p + 1, '\n');

			g_string_append_len(w.reason, p + 1,
					    e != NULL ? MIN(e - p - 1, 200) :
					    (gssize)MIN(strlen(p + 1), 200));
		} else {
			g_string_append(w.reason, msg->subject);
		}
	}
	for (char *c = w.reason->str; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20)
			*c = ' ';
	*reason_r = g_utf8_make_valid(w.reason->str, -1);
	g_string_free(w.reason, TRUE);
	return w.ids;
}
