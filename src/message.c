/* Parse raw mail with GMime into a plain struct message. */
#include "autodefs.h"

#include <string.h>

#include <gmime/gmime.h>
#include <gnutls/gnutls.h>
#include <gnutls/pkcs7.h>
#include <libxml/parser.h>

#include "message.h"
#include "message-private.h"

/* Limits against hostile structure. */

/* Per-parse state. */
struct message_ctx {
	struct message *msg;
	GMimeParserOptions *options;
	const char *data;	/* raw bytes, borrowed */
	size_t len;
	GString *errors;	/* "; "-separated problems */
	unsigned int warned;	/* bit per GMimeParserWarning reported */
	guint parts;
	GPtrArray *leaves;	/* GMimeObject *, borrowed */
	GHashTable *skip;	/* GMimeObject * leaves that are not
				   attachments: body parts, blank text and
				   the unchosen text of alternatives */
	GHashTable *texts;	/* GMimePart * -> char * (owned): decoded
				   text/plain, newlines normalised, unflowed */
	guint body_nodes;	/* MIME nodes looked at for the body */
	guint skip_nodes;	/* MIME nodes looked at by body_skip_text() */
	GPtrArray *uu;		/* struct message_attachment *: uuencoded
				   files taken out of the body text */
};

static void
message_ctx_error(struct message_ctx *ctx, const char *what)
{
	if (strstr(ctx->errors->str, what) != NULL)
		return;
	if (ctx->errors->len > 0)
		g_string_append(ctx->errors, "; ");
	g_string_append(ctx->errors, what);
}

static void
message_parser_warning(gint64 offset, GMimeParserWarning errcode,
    const gchar *item, gpointer user_data)
{
	struct message_ctx *ctx = user_data;
	const char *what = NULL;

	switch (errcode) {
	case GMIME_WARN_TRUNCATED_MESSAGE:
		what = "message truncated";
		break;
	case GMIME_WARN_MALFORMED_MESSAGE:
		what = "malformed message";
		break;
	case GMIME_WARN_MALFORMED_MULTIPART:
		what = "malformed multipart";
		break;
	case GMIME_CRIT_INVALID_HEADER_NAME:
		what = "invalid header line";
		break;
	case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
		what = "multipart without boundary";
		break;
	case GMIME_CRIT_NESTING_OVERFLOW:
		what = "MIME nesting too deep";
		break;
	case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
		what = "MIME part without headers or content";
		break;
	default:
		break;
	}
	if (what != NULL)
		message_ctx_error(ctx, what);
}

static gsize message_library_once;

void
message_library_init(void)
{
	if (g_once_init_enter(&message_library_once)) {
		g_mime_init();
		/* libxml2 must be initialised once before threads use it */
		xmlInitParser();
		g_once_init_leave(&message_library_once, 1);
	}
}

/* ---- strings ---- */

/* Return a new valid UTF-8 copy of s (NULL gives NULL). */
static char *
utf8_dup(const char *s)
{
	if (s == NULL)
		return NULL;
	if (g_utf8_validate(s, -1, NULL))
		return g_strdup(s);
	return message_text_to_utf8(s, strlen(s), NULL);
}

/* Return a new copy of a header-derived value: valid UTF-8, control
   characters (CR, LF, tab, ...) made spaces, trimmed.  NULL gives NULL. */
char *
message_header_clean(const char *s)
{
	char *r;
	unsigned char *p;

	r = utf8_dup(s);
	if (r == NULL)
		return NULL;
	for (p = (unsigned char *)r; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return g_strstrip(r);
}

/* Cut s to at most max bytes on a character boundary. */
static void
utf8_truncate(char *s, size_t max)
{
	size_t n = strlen(s);
	char *p;

	if (n <= max)
		return;
	p = g_utf8_find_prev_char(s, s + max + 1);
	if (p == NULL)
		p = s;
	*p = '\0';
}

/* Cut a cleaned header value s (may be NULL) to at most max bytes on a
   character boundary, trimming what the cut leaves at the end; returns s. */
char *
message_header_cap(char *s, size_t max)
{
	if (s == NULL)
		return NULL;
	if (strlen(s) > max) {
		utf8_truncate(s, max);
		g_strchomp(s);
	}
	return s;
}

/* Return a clean copy of one msg-id without <> and whitespace, or NULL
   when nothing is left. */
static char *
msgid_clean(const char *s)
{
	const char *lt, *gt;
	GString *out;
	char *r;

	if (s == NULL)
		return NULL;
	lt = strchr(s, '<');
	if (lt != NULL) {
		gt = strchr(lt + 1, '>');
		s = lt + 1;
		out = g_string_new_len(s, gt != NULL ? gt - s :
		    (gssize)strlen(s));
	} else {
		out = g_string_new(s);
	}
	r = utf8_dup(out->str);
	g_string_free(out, TRUE);
	out = g_string_sized_new(strlen(r));
	for (const unsigned char *p = (const unsigned char *)r; *p; p++) {
		if (*p <= 0x20 || *p == 0x7f || *p == '<' || *p == '>')
			continue;
		g_string_append_c(out, (char)*p);
	}
	g_free(r);
	r = g_string_free(out, FALSE);
	utf8_truncate(r, MESSAGE_MAX_MSGID);
	if (*r == '\0') {
		g_free(r);
		return NULL;
	}
	return r;
}

/* Lower-case the domain of an addr-spec in place. */
static void
addr_lower_domain(char *addr)
{
	char *at = strrchr(addr, '@');

	if (at == NULL)
		return;
	for (at++; *at != '\0'; at++)
		*at = g_ascii_tolower(*at);
}

/* Return a clean addr-spec: no whitespace, controls or brackets. */
char *
message_addr_clean(const char *s)
{
	char *r, *w;
	const unsigned char *p;

	r = utf8_dup(s != NULL ? s : "");
	for (p = (const unsigned char *)r, w = r; *p != '\0'; p++) {
		if (*p <= 0x20 || *p == 0x7f || *p == '<' || *p == '>')
			continue;
		*w++ = (char)*p;
	}
	*w = '\0';
	utf8_truncate(r, 998);
	addr_lower_domain(r);
	return r;
}

/* ---- raw header scan, for what GMime could not read ---- */

/* Return the unfolded value of the first header called name in the raw
   header block (stopping at the first empty line, skipping lines that are
   not headers), newly allocated, or NULL. */
static char *
raw_header(const char *data, size_t len, const char *name)
{
	const char *p = data, *end = data + len;
	size_t nlen = strlen(name);

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol != NULL ? eol : end;
		const char *line_end = le;

		if (line_end > p && line_end[-1] == '\r')
			line_end--;
		if (line_end == p)
			return NULL;	/* end of headers */
		if ((size_t)(line_end - p) > nlen && p[nlen] == ':' &&
		    g_ascii_strncasecmp(p, name, nlen) == 0) {
			GString *v = g_string_new_len(p + nlen + 1,
			    line_end - (p + nlen + 1));

			/* continuation lines */
			p = eol != NULL ? eol + 1 : end;
			while (p < end && (*p == ' ' || *p == '\t')) {
				eol = memchr(p, '\n', (size_t)(end - p));
				le = eol != NULL ? eol : end;
				line_end = le;
				if (line_end > p && line_end[-1] == '\r')
					line_end--;
				/* unfolding removes the line break only
				   (RFC 5322 2.2.3) */
				g_string_append_len(v, p, line_end - p);
				p = eol != NULL ? eol + 1 : end;
			}
			return g_string_free(v, FALSE);
		}
		p = eol != NULL ? eol + 1 : end;
	}
	return NULL;
}

/* The header value from GMime, or from the raw scan when GMime lost it;
   newly allocated, cleaned, or NULL. */
static char *
message_header(struct message_ctx *ctx, GMimeObject *obj, const char *name)
{
	const char *v = NULL;
	char *raw, *r;

	if (obj != NULL)
		v = g_mime_object_get_header(obj, name);
	if (v != NULL)
		return message_header_clean(v);
	raw = raw_header(ctx->data, ctx->len, name);
	if (raw == NULL)
		return NULL;
	r = message_header_clean(raw);
	g_free(raw);
	return r;
}

/* Append every value of header name (at most MESSAGE_MAX_REPEATED) to
   out, cleaned; as_addr: keep only the addr-spec, lower-cased. */
#define MESSAGE_MAX_REPEATED 50
static void
message_header_all(GMimeObject *obj, const char *name, gboolean as_addr,
		   GPtrArray *out)
{
	GMimeHeaderList *list;
	int n;

	if (obj == NULL)
		return;
	list = g_mime_object_get_header_list(obj);
	n = g_mime_header_list_get_count(list);
	for (int i = 0; i < n && out->len < MESSAGE_MAX_REPEATED; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
		const char *v;
		char *clean;

		if (g_ascii_strcasecmp(g_mime_header_get_name(h), name) != 0)
			continue;
		v = g_mime_header_get_value(h);
		if (v == NULL)
			continue;
		clean = message_header_clean(v);
		message_header_cap(clean, MESSAGE_MAX_HEADER);
		if (as_addr) {
			char *a = g_strstrip(clean);
			gsize len;

			if (*a == '<')
				a++;
			len = strlen(a);
			if (len > 0 && a[len - 1] == '>')
				a[len - 1] = '\0';
			if (strchr(a, '@') == NULL || strpbrk(a, " \t,") != NULL) {
				g_free(clean);
				continue;
			}
			a = g_ascii_strdown(a, -1);
			g_free(clean);
			clean = a;
		}
		g_ptr_array_add(out, clean);
	}
}

/* ezmlm marks its copies "Delivered-To: mailing list NAME@HOST" (and
   writes no List-Id): that field's value, or NULL. */
static char *
message_delivered_to_list(GMimeObject *obj)
{
	GMimeHeaderList *list;
	int n;

	if (obj == NULL)
		return NULL;
	list = g_mime_object_get_header_list(obj);
	n = g_mime_header_list_get_count(list);
	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
		const char *v = g_mime_header_get_value(h);

		if (g_ascii_strcasecmp(g_mime_header_get_name(h),
				       "Delivered-To") != 0 || v == NULL)
			continue;
		v += strspn(v, " \t");
		if (g_ascii_strncasecmp(v, "mailing list ", 13) == 0)
			return message_header_clean(v);
	}
	return NULL;
}

/* value's encoded words decoded by message_decode_words(); GMime's
   reading when that left words it could not read and GMime's did not.
   value must be UTF-8. */
static char *
message_decode_text(GMimeParserOptions *options, const char *value)
{
	char *dec;
	gboolean broken;

	if (strstr(value, "=?") == NULL)
		return g_strdup(value);
	dec = message_decode_words(value, &broken);
	/* not for a word that is no word (base64 of a length none has),
	   which GMime would make noise of */
	if (!broken && strstr(dec, "=?") != NULL && strstr(dec, "?=") != NULL) {
		char *gm = g_mime_utils_header_decode_text(options, value);

		if (gm != NULL && strstr(gm, "=?") == NULL) {
			g_free(dec);
			return gm;
		}
		g_free(gm);
	}
	return dec;
}

/* The raw value of header name made UTF-8: 8-bit text through the
   guessing of message_text_to_utf8() (GMime would read undeclared 8-bit
   with its fallback list in order: "Müller" as GB18030); NULL when
   absent. */
static char *
raw_header_utf8(struct message_ctx *ctx, const char *name)
{
	char *raw = raw_header(ctx->data, ctx->len, name), *u;

	if (raw == NULL || g_utf8_validate(raw, -1, NULL))
		return raw;
	u = message_text_to_utf8(raw, strlen(raw), NULL);
	g_free(raw);
	return u;
}

/*
 * An unstructured header (Subject, Thread-Topic) decoded and cleaned, from
 * the raw header block, or NULL when absent.  Not GMime's decoding: GMime
 * 3.2.13 (Debian 12) drops everything after the first of several base64
 * words in one charset when that word ends in padding, and it converts
 * with the charset as named, without the aliases of message-charset.c
 * (ISO-8859-1 read as windows-1252, EUC-KR as CP949, Shift_JIS as CP932,
 * ISO-2022-JP with the NEC extensions).
 */
static char *
message_header_decoded(struct message_ctx *ctx, const char *name)
{
	char *raw = raw_header_utf8(ctx, name), *r;

	if (raw == NULL)
		return NULL;
	r = message_header_text_decode(ctx->options, raw);
	g_free(raw);
	return r;
}

char *
message_header_text_decode(GMimeParserOptions *options, const char *value)
{
	char *dec = message_decode_text(options, value);
	char *r = message_header_clean(dec);

	g_free(dec);
	return r;
}

/* ---- addresses ---- */

void
message_address_free(struct message_address *a)
{
	if (a == NULL)
		return;
	g_free(a->name);
	g_free(a->addr);
	g_free(a);
}

void
message_address_list_collect(InternetAddressList *list, GPtrArray *out,
			     int depth)
{
	int i, n;

	if (list == NULL || depth > 4)
		return;
	n = internet_address_list_length(list);
	for (i = 0; i < n && out->len < MESSAGE_MAX_ADDRESSES; i++) {
		InternetAddress *ia;
		struct message_address *a;

		ia = internet_address_list_get_address(list, i);
		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			message_address_list_collect(internet_address_group_get_members(
			    INTERNET_ADDRESS_GROUP(ia)), out, depth + 1);
			continue;
		}
		if (!INTERNET_ADDRESS_IS_MAILBOX(ia))
			continue;
		a = g_new0(struct message_address, 1);
		a->name = message_header_cap(message_header_clean(internet_address_get_name(
		    ia)), MESSAGE_MAX_NAME);
		if (a->name == NULL)
			a->name = g_strdup("");
		a->addr = message_addr_clean(internet_address_mailbox_get_addr(
		    INTERNET_ADDRESS_MAILBOX(ia)));
		g_ptr_array_add(out, a);
	}
}

/* Append the entry [from, to) of an address header to out, its display
   name (before the "<" at lt, NULL when none) decoded into a quoted
   string when it holds encoded words. */
static void
address_entry_append(GMimeParserOptions *options, GString *out,
		     const char *from, const char *to, const char *lt)
{
	GString *phrase;
	char *dec, *clean;

	if (lt == NULL || g_strstr_len(from, lt - from, "=?") == NULL) {
		g_string_append_len(out, from, to - from);
		return;
	}
	/* the phrase unquoted (mailers quote encoded words too) */
	phrase = g_string_sized_new((gsize)(lt - from));
	for (const char *p = from; p < lt; p++) {
		if (*p == '\\' && p + 1 < lt)
			g_string_append_c(phrase, *++p);
		else if (*p != '"')
			g_string_append_c(phrase, *p);
	}
	dec = message_decode_text(options, phrase->str);
	clean = message_header_clean(dec);
	g_string_append_c(out, '"');
	for (const char *p = clean; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			g_string_append_c(out, '\\');
		g_string_append_c(out, *p);
	}
	g_string_append(out, "\" ");
	g_string_append_len(out, lt, to - lt);
	g_free(clean);
	g_free(dec);
	g_string_free(phrase, TRUE);
}

char *
message_address_value_prepare(GMimeParserOptions *options, const char *raw)
{
	const char *p, *entry, *lt = NULL;
	gboolean quoted = FALSE, angle = FALSE, eightbit;
	int depth = 0;
	GString *out;
	char *v;

	eightbit = !g_utf8_validate(raw, -1, NULL);
	if (!eightbit && strstr(raw, "=?") == NULL)
		return NULL;
	v = eightbit ? message_text_to_utf8(raw, strlen(raw), NULL) :
		g_strdup(raw);
	if (strstr(v, "=?") == NULL)
		return v;
	out = g_string_sized_new(strlen(v));
	for (p = entry = v; *p != '\0'; p++) {
		if (quoted || depth > 0) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (quoted && *p == '"')
				quoted = FALSE;
			else if (!quoted && *p == '(')
				depth++;
			else if (!quoted && *p == ')')
				depth--;
			continue;
		}
		if (*p == '"') {
			quoted = TRUE;
		} else if (*p == '(') {
			depth++;
		} else if (*p == '<') {
			if (!angle && lt == NULL)
				lt = p;
			angle = TRUE;
		} else if (*p == '>') {
			angle = FALSE;
		} else if (!angle && (*p == ':' || *p == ';')) {
			g_string_free(out, TRUE);	/* a group */
			return v;
		} else if (!angle && *p == ',') {
			address_entry_append(options, out, entry, p, lt);
			g_string_append_c(out, ',');
			entry = p + 1;
			lt = NULL;
		}
	}
	address_entry_append(options, out, entry, p, lt);
	g_free(v);
	return g_string_free(out, FALSE);
}

/* Fill out from a list, falling back to the raw header name when GMime
   found no mailbox in it. */
static void
message_addresses(struct message_ctx *ctx, InternetAddressList *list,
    const char *name, GPtrArray *out)
{
	InternetAddressList *parsed;
	char *raw;

	raw = raw_header(ctx->data, ctx->len, name);
	if (raw != NULL) {
		char *v = message_address_value_prepare(ctx->options, raw);

		g_free(raw);
		raw = v;
	}
	if (raw != NULL) {
		parsed = internet_address_list_parse(ctx->options, raw);
		if (parsed != NULL) {
			message_address_list_collect(parsed, out, 0);
			g_object_unref(parsed);
		}
		g_free(raw);
		if (out->len > 0)
			return;
	}
	message_address_list_collect(list, out, 0);
	if (out->len > 0)
		return;
	raw = raw_header(ctx->data, ctx->len, name);
	if (raw == NULL)
		return;
	parsed = internet_address_list_parse(ctx->options, raw);
	if (parsed != NULL) {
		message_address_list_collect(parsed, out, 0);
		g_object_unref(parsed);
	}
	if (out->len == 0) {
		/* Last resort: <addr> or a lone word with an @ */
		char *clean = message_header_clean(raw);
		const char *lt = strchr(clean, '<');
		char *addr = NULL;

		if (lt != NULL) {
			addr = msgid_clean(lt);
		} else if (*clean != '\0' && strchr(clean, ' ') == NULL) {
			addr = g_strdup(clean);
		}
		/* "undisclosed-recipients:;" and "<>" are nobody */
		if (addr != NULL && strchr(addr, '@') == NULL) {
			g_free(addr);
			addr = NULL;
		}
		if (addr != NULL) {
			struct message_address *a;

			a = g_new0(struct message_address, 1);
			a->name = g_strdup("");
			a->addr = message_addr_clean(addr);
			g_ptr_array_add(out, a);
			g_free(addr);
		}
		g_free(clean);
	}
	g_free(raw);
}

/* Set *dst to the first address of list (copied), if any. */
static gboolean
message_first_address(struct message_ctx *ctx, InternetAddressList *list,
    const char *name, struct message_address *dst)
{
	GPtrArray *all;
	struct message_address *a;

	all = g_ptr_array_new_with_free_func(
		(GDestroyNotify)message_address_free);
	message_addresses(ctx, list, name, all);
	if (all->len == 0) {
		g_ptr_array_free(all, TRUE);
		return FALSE;
	}
	a = g_ptr_array_index(all, 0);
	dst->name = a->name;
	dst->addr = a->addr;
	a->name = a->addr = NULL;
	g_ptr_array_free(all, TRUE);
	return TRUE;
}

/* ---- message ids ---- */

/* Append the msg-ids of a References-like value to out (all of them, in
   order). */
static void
msgids_parse(struct message_ctx *ctx, const char *value, GPtrArray *out)
{
	GMimeReferences *refs;
	int i, n;

	if (value == NULL)
		return;
	refs = g_mime_references_parse(ctx->options, value);
	n = refs != NULL ? g_mime_references_length(refs) : 0;
	for (i = 0; i < n; i++) {
		char *id = msgid_clean(g_mime_references_get_message_id(refs,
		    i));

		if (id != NULL)
			g_ptr_array_add(out, id);
	}
	if (refs != NULL)
		g_mime_references_free(refs);
	if (out->len > 0)
		return;
	/* Not RFC 5322: take words holding an @. */
	{
		char **words = g_strsplit_set(value, " \t,;<>()", -1);

		for (i = 0; words[i] != NULL; i++) {
			char *id;

			if (strchr(words[i], '@') == NULL)
				continue;
			id = msgid_clean(words[i]);
			if (id != NULL)
				g_ptr_array_add(out, id);
		}
		g_strfreev(words);
	}
}

static void
message_ids(struct message_ctx *ctx, GMimeMessage *gmsg)
{
	struct message *msg = ctx->msg;
	GMimeObject *obj = gmsg != NULL ? GMIME_OBJECT(gmsg) : NULL;
	GPtrArray *ids;
	char *v;
	guint i, skip;

	if (gmsg != NULL)
		msg->message_id = msgid_clean(g_mime_message_get_message_id(
		    gmsg));
	if (msg->message_id == NULL) {
		v = message_header(ctx, obj, "Message-ID");
		msg->message_id = msgid_clean(v);
		g_free(v);
	}
	if (msg->message_id == NULL) {
		char *hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256,
		    (const guchar *)ctx->data, ctx->len);

		msg->message_id = g_strdup_printf("%s@ticketd.invalid", hex);
		msg->message_id_synthetic = TRUE;
		g_free(hex);
	}

	ids = g_ptr_array_new_with_free_func(g_free);
	v = message_header(ctx, obj, "In-Reply-To");
	msgids_parse(ctx, v, ids);
	g_free(v);
	if (ids->len > 0)
		msg->in_reply_to = g_strdup(g_ptr_array_index(ids, 0));
	g_ptr_array_set_size(ids, 0);

	v = message_header(ctx, obj, "References");
	msgids_parse(ctx, v, ids);
	g_free(v);
	skip = ids->len > MESSAGE_MAX_REFERENCES ?
	    ids->len - MESSAGE_MAX_REFERENCES : 0;
	for (i = skip; i < ids->len; i++) {
		g_ptr_array_add(msg->references, g_ptr_array_index(ids, i));
		ids->pdata[i] = NULL;
	}
	g_ptr_array_free(ids, TRUE);
}

/* ---- headers ---- */

static char *
return_path_parse(const char *v)
{
	const char *lt;
	char *r;

	if (v == NULL)
		return NULL;
	lt = strchr(v, '<');
	if (lt != NULL) {
		const char *gt = strchr(lt + 1, '>');
		char *inner = g_strndup(lt + 1, gt != NULL ?
		    (gsize)(gt - lt - 1) : strlen(lt + 1));

		r = message_addr_clean(inner);
		g_free(inner);
		return r;
	}
	return message_addr_clean(v);
}

/* A Date value whose last word (the zone, RFC 5322's obsolete names) is
   in lower case, with that word in capitals; NULL for any other. */
static char *
date_zone_upper(const char *v)
{
	const char *end = v + strlen(v), *w;
	gboolean lower = FALSE;
	char *r;

	while (end > v && g_ascii_isspace(end[-1]))
		end--;
	for (w = end; w > v && g_ascii_isalpha(w[-1]); w--)
		if (g_ascii_islower(w[-1]))
			lower = TRUE;
	if (!lower || w == v || end - w > 5 || !g_ascii_isspace(w[-1]))
		return NULL;
	r = g_strndup(v, (gsize)(end - v));
	for (char *q = r + (w - v); *q != '\0'; q++)
		*q = g_ascii_toupper(*q);
	return r;
}

static void
message_headers(struct message_ctx *ctx, GMimeMessage *gmsg)
{
	struct message *msg = ctx->msg;
	GMimeObject *obj = gmsg != NULL ? GMIME_OBJECT(gmsg) : NULL;
	GDateTime *dt;
	char *v, *up;

	/* Subject */
	msg->subject = message_header_decoded(ctx, "Subject");
	if (msg->subject == NULL && gmsg != NULL)
		msg->subject = message_header_clean(g_mime_message_get_subject(gmsg));
	if (msg->subject == NULL)
		msg->subject = g_strdup("");
	message_header_cap(msg->subject, MESSAGE_MAX_SUBJECT);

	/* Addresses */
	if (!message_first_address(ctx, gmsg != NULL ?
	    g_mime_message_get_from(gmsg) : NULL, "From", &msg->from)) {
		char *name = message_header_cap(message_header_decoded(ctx, "From"),
		    MESSAGE_MAX_NAME);
		char *lt = name != NULL ? strrchr(name, '<') : NULL;

		/* no address: what stands before an unusable "<…>" ("<>")
		   is the name */
		if (lt != NULL && strchr(lt, '>') != NULL) {
			*lt = '\0';
			g_strstrip(name);
		}
		msg->from.name = name != NULL ? name : g_strdup("");
		msg->from.addr = g_strdup("");
	}
	message_addresses(ctx, gmsg != NULL ? g_mime_message_get_addresses(gmsg,
	    GMIME_ADDRESS_TYPE_TO) : NULL, "To", msg->to);
	message_addresses(ctx, gmsg != NULL ? g_mime_message_get_addresses(gmsg,
	    GMIME_ADDRESS_TYPE_CC) : NULL, "Cc", msg->cc);
	message_first_address(ctx, gmsg != NULL ?
	    g_mime_message_get_reply_to(gmsg) : NULL, "Reply-To",
	    &msg->reply_to);

	v = message_header(ctx, obj, "Return-Path");
	msg->return_path = return_path_parse(v);
	g_free(v);

	/* Date: GMime's reading, or (when GMime has none, or would miss a
	   zone name written in lower case: "12:24:23 cst" read as UTC)
	   the raw field's */
	v = message_header(ctx, obj, "Date");
	up = v != NULL ? date_zone_upper(v) : NULL;
	dt = gmsg != NULL && up == NULL ? g_mime_message_get_date(gmsg) : NULL;
	if (dt != NULL) {
		msg->date = g_date_time_to_unix(dt);
	} else if (v != NULL) {
		dt = g_mime_utils_header_decode_date(up != NULL ? up : v);
		if (dt != NULL) {
			msg->date = g_date_time_to_unix(dt);
			g_date_time_unref(dt);
		}
	}
	g_free(up);
	g_free(v);
	if (msg->date < 0)
		msg->date = 0;

	msg->auto_submitted = message_header(ctx, obj, "Auto-Submitted");
	msg->precedence = message_header(ctx, obj, "Precedence");
	msg->list_id = message_header(ctx, obj, "List-Id");
	msg->list_unsubscribe = message_header(ctx, obj, "List-Unsubscribe");
	msg->list_other = message_header(ctx, obj, "Mailing-List");
	if (msg->list_other == NULL)
		msg->list_other = message_header(ctx, obj, "List-Post");
	if (msg->list_other == NULL)
		msg->list_other = message_header(ctx, obj, "X-Mailing-List");
	if (msg->list_other == NULL)
		msg->list_other = message_delivered_to_list(obj);
	v = message_header(ctx, obj, "Sender");
	msg->sender = return_path_parse(v);
	g_free(v);
	msg->x_autoreply = message_header(ctx, obj, "X-Autoreply");
	if (msg->x_autoreply == NULL)
		msg->x_autoreply = message_header(ctx, obj, "X-Autorespond");
	msg->x_loop = message_header(ctx, obj, "X-Ticketd-Loop");
	if (msg->x_loop == NULL)
		msg->x_loop = message_header(ctx, obj, "X-Loop");
	msg->content_language = message_header(ctx, obj, "Content-Language");
	msg->thread_index = message_header(ctx, obj, "Thread-Index");
	msg->thread_topic = message_header_decoded(ctx, "Thread-Topic");
	message_header_all(obj, "Authentication-Results", FALSE,
			   msg->auth_results);
	message_header_all(obj, "Delivered-To", TRUE, msg->envelope_to);
	message_header_all(obj, "X-Original-To", TRUE, msg->envelope_to);
	message_header_all(obj, "Envelope-To", TRUE, msg->envelope_to);
	message_header_all(obj, "X-Envelope-To", TRUE, msg->envelope_to);
	message_header_cap(msg->thread_topic, MESSAGE_MAX_SUBJECT);
	message_header_cap(msg->auto_submitted, MESSAGE_MAX_HEADER);
	message_header_cap(msg->precedence, MESSAGE_MAX_HEADER);
	message_header_cap(msg->list_id, MESSAGE_MAX_HEADER);
	message_header_cap(msg->list_unsubscribe, MESSAGE_MAX_HEADER);
	message_header_cap(msg->list_other, MESSAGE_MAX_HEADER);
	message_header_cap(msg->sender, MESSAGE_MAX_HEADER);
	message_header_cap(msg->x_autoreply, MESSAGE_MAX_HEADER);
	message_header_cap(msg->x_loop, MESSAGE_MAX_HEADER);
	message_header_cap(msg->content_language, MESSAGE_MAX_HEADER);
	message_header_cap(msg->thread_index, MESSAGE_MAX_HEADER);
}

/* ---- MIME structure ---- */

/*
 * A Content-Type without a subtype ("text; charset=us-ascii",
 * "application-x-gzip; name=x.gz") GMime reads as application/octet-stream
 * without parameters: the text of the mail lost as an unnamed attachment.
 * RFC 2045 section 5.2 says text/plain for an invalid type; a type that
 * names "text" is made text/plain, any other application/octet-stream,
 * their parameters (charset, name) kept.
 */
static void
part_content_type_repair(struct message_ctx *ctx, GMimeObject *obj)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);
	GMimeHeader *h = g_mime_header_list_get_header(list, "Content-Type");
	const char *rv = h != NULL ? g_mime_header_get_raw_value(h) : NULL;
	const char *p = rv, *params;
	GMimeContentType *ct;
	char *value;
	size_t n;

	if (rv == NULL)
		return;
	p += strspn(p, " \t\r\n");
	n = strcspn(p, ";/ \t\r\n");
	if (n == 0 || p[n + strspn(p + n, " \t\r\n")] == '/')
		return;		/* a subtype, or nothing to go on */
	params = strchr(p, ';');
	value = g_strdup_printf("%s%s",
	    n == 4 && g_ascii_strncasecmp(p, "text", 4) == 0 ? "text/plain" :
	    "application/octet-stream", params != NULL ? params : "");
	ct = g_mime_content_type_parse(ctx->options, value);
	if (ct != NULL) {
		g_mime_object_set_content_type(obj, ct);
		g_object_unref(ct);
	}
	g_free(value);
}

/* ---- opaque S/MIME signatures ---- */

#define MESSAGE_MAX_UNWRAP 8

static GByteArray *part_decode(GMimePart *part);
static gboolean part_is_type(GMimeObject *obj, const char *type,
			     const char *subtype);

/* Is obj an opaque S/MIME signature (RFC 8551 "application/pkcs7-mime;
   smime-type=signed-data"), the signed text inside? */
static gboolean
part_is_opaque_signed(GMimeObject *obj)
{
	const char *st;

	if (!GMIME_IS_PART(obj) ||
	    (!part_is_type(obj, "application", "pkcs7-mime") &&
	     !part_is_type(obj, "application", "x-pkcs7-mime")))
		return FALSE;
	st = g_mime_object_get_content_type_parameter(obj, "smime-type");
	return st != NULL && g_ascii_strcasecmp(st, "signed-data") == 0;
}

/* The MIME entity an opaque signature carries, parsed (GnuTLS reads the
   PKCS #7; the signature is not checked: nothing here trusts it); NULL
   when it cannot be read. */
static GMimeObject *
smime_signed_content(struct message_ctx *ctx, GMimePart *part)
{
	GByteArray *der = part_decode(part);
	gnutls_pkcs7_t p7;
	gnutls_datum_t in = { der->data, der->len }, out = { NULL, 0 };
	GMimeObject *inner = NULL;

	if (der->len > 0 && gnutls_pkcs7_init(&p7) == 0) {
		if (gnutls_pkcs7_import(p7, &in, GNUTLS_X509_FMT_DER) == 0 &&
		    gnutls_pkcs7_get_embedded_data(p7, 0, &out) == 0) {
			GMimeStream *s = g_mime_stream_mem_new_with_buffer(
			    (const char *)out.data, out.size);
			GMimeParser *parser = g_mime_parser_new_with_stream(s);

			inner = g_mime_parser_construct_part(parser,
							     ctx->options);
			g_object_unref(parser);
			g_object_unref(s);
			gnutls_free(out.data);
		}
		gnutls_pkcs7_deinit(p7);
	}
	if (inner == NULL)
		message_ctx_error(ctx, "S/MIME signed data unreadable");
	g_byte_array_free(der, TRUE);
	return inner;
}

/*
 * Opaque-signed S/MIME parts (Outlook and government mailers send whole
 * mails so) replaced in the tree by the entity they sign, so that its text
 * is the body and its attachments are attachments; before, the body was
 * empty.  The raw mail keeps the signature.  Returns the (new) object at
 * obj's place.
 */
static GMimeObject *
smime_unwrap(struct message_ctx *ctx, GMimeObject *obj, int depth,
	     int *budget)
{
	if (obj == NULL || depth > MESSAGE_MAX_DEPTH)
		return obj;
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int n = g_mime_multipart_get_count(mp);

		/* a signed multipart's content must stay as it was signed,
		   but it is read, not verified, here */
		for (int i = 0; i < n && i < MESSAGE_MAX_PARTS; i++) {
			GMimeObject *child = g_mime_multipart_get_part(mp, i);
			GMimeObject *now = smime_unwrap(ctx, child, depth + 1,
							budget);

			if (now != child) {
				GMimeObject *old = g_mime_multipart_replace(
				    mp, i, now);

				if (old != NULL)
					g_object_unref(old);
				g_object_unref(now);
			}
		}
		return obj;
	}
	if (part_is_opaque_signed(obj) && *budget > 0) {
		GMimeObject *inner;

		(*budget)--;
		inner = smime_signed_content(ctx, GMIME_PART(obj));
		if (inner != NULL) {
			GMimeObject *deeper = smime_unwrap(ctx, inner,
							   depth + 1, budget);

			if (deeper != inner)
				g_object_unref(inner);	/* replaced */
			return deeper;	/* a new reference */
		}
	}
	return obj;
}

/* Collect the leaves of the MIME tree in document order, bounded in depth
   and in number. */
static void
message_collect(struct message_ctx *ctx, GMimeObject *obj, int depth)
{
	int i, n;

	if (obj == NULL)
		return;
	if (ctx->parts >= MESSAGE_MAX_PARTS) {
		message_ctx_error(ctx, "too many MIME parts");
		return;
	}
	ctx->parts++;
	if (GMIME_IS_MULTIPART(obj)) {
		if (depth >= MESSAGE_MAX_DEPTH) {
			message_ctx_error(ctx, "MIME nesting too deep");
			return;
		}
		n = g_mime_multipart_get_count(GMIME_MULTIPART(obj));
		for (i = 0; i < n; i++)
			message_collect(ctx, g_mime_multipart_get_part(
			    GMIME_MULTIPART(obj), i), depth + 1);
		return;
	}
	if (GMIME_IS_PART(obj))
		part_content_type_repair(ctx, obj);
	g_ptr_array_add(ctx->leaves, obj);
}

/* Whether base64 content is no base64 at all: plain words under a wrong
   Content-Transfer-Encoding (decoding them gives binary noise).  Its
   first line that is not empty says: base64 has no blanks inside its
   lines, text has (what follows the base64, a scanner's footer or a
   stray character, does not count: GMime skips it). */
static gboolean
part_base64_is_text(GMimeDataWrapper *wrapper)
{
	GMimeStream *raw = g_mime_data_wrapper_get_stream(wrapper);
	char buf[1024];
	gssize n, i = 0, word;
	gboolean text = FALSE;

	if (raw == NULL || g_mime_stream_reset(raw) == -1)
		return FALSE;
	n = g_mime_stream_read(raw, buf, sizeof(buf));
	g_mime_stream_reset(raw);
	while (i < n && g_ascii_isspace(buf[i]))
		i++;
	/* a whole base64 word first ("ecO2dMOkIHZhYW4uCg== ignored"): base64
	   with junk after it */
	for (word = i; word < n && !g_ascii_isspace(buf[word]); word++)
		;
	word -= i;
	if (word % 4 == 0 && (word >= 16 || (word > 0 &&
					     buf[i + word - 1] == '=')))
		return FALSE;
	for (; i + 1 < n && buf[i] != '\n'; i++)
		if ((buf[i] == ' ' || buf[i] == '\t') && i > 0 &&
		    g_ascii_isgraph(buf[i - 1]) && g_ascii_isgraph(buf[i + 1]))
			text = TRUE;
	return text;
}

/* Return the decoded content of a part as a new GByteArray. */
static GByteArray *
part_decode(GMimePart *part)
{
	GMimeDataWrapper *wrapper;
	GMimeStream *stream;
	GByteArray *src, *copy;

	copy = g_byte_array_new();
	wrapper = g_mime_part_get_content(part);
	if (wrapper == NULL)
		return copy;
	stream = g_mime_stream_mem_new();
	if (g_mime_data_wrapper_get_encoding(wrapper) ==
	    GMIME_CONTENT_ENCODING_BASE64 && part_base64_is_text(wrapper)) {
		/* taken as it is */
		GMimeStream *raw = g_mime_data_wrapper_get_stream(wrapper);

		g_mime_stream_write_to_stream(raw, stream);
		g_mime_stream_reset(raw);
		src = g_mime_stream_mem_get_byte_array(
		    GMIME_STREAM_MEM(stream));
		if (src != NULL && src->len > 0)
			g_byte_array_append(copy, src->data, src->len);
		g_object_unref(stream);
		return copy;
	}
	if (g_mime_data_wrapper_write_to_stream(wrapper, stream) != -1) {
		src = g_mime_stream_mem_get_byte_array(
		    GMIME_STREAM_MEM(stream));
		if (src != NULL && src->len > 0)
			g_byte_array_append(copy, src->data, src->len);
	}
	g_object_unref(stream);
	return copy;
}

static gboolean
part_is_attachment(GMimePart *part)
{
	return g_mime_part_is_attachment(part) ||
	    g_mime_part_get_filename(part) != NULL;
}

static gboolean
part_is_type(GMimeObject *obj, const char *type, const char *subtype)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);

	return ct != NULL && g_mime_content_type_is_type(ct, type, subtype);
}

/* The charset an HTML document names in a <meta> among its first 4 KB
   (<meta charset="…">, or http-equiv's content="…; charset=…"), or
   NULL. */
static char *
html_meta_charset(const char *s, size_t len)
{
	const char *end;

	if (s == NULL || len == 0)
		return NULL;
	end = s + MIN(len, 4096);

	for (const char *p = s; p + 5 < end; p++) {
		const char *close, *c;

		if (p[0] != '<' || g_ascii_strncasecmp(p + 1, "meta", 4) != 0)
			continue;
		close = memchr(p, '>', (size_t)(end - p));
		if (close == NULL)
			return NULL;
		for (c = p + 5; c + 7 < close; c++)
			if (g_ascii_strncasecmp(c, "charset", 7) == 0)
				break;
		if (c + 7 < close) {
			const char *v = c + 7, *e;

			while (v < close && g_ascii_isspace(*v))
				v++;
			if (v < close && *v == '=') {
				v++;
				while (v < close && (g_ascii_isspace(*v) ||
						     *v == '"' || *v == '\''))
					v++;
				for (e = v; e < close && (g_ascii_isalnum(*e) ||
				     strchr("-_.:", *e) != NULL); e++)
					;
				if (e > v && e - v < 40)
					return g_strndup(v, (gsize)(e - v));
			}
		}
		p = close;
	}
	return NULL;
}

/* Whether a part's content (its first 4 KB, decoded) is binary, whatever
   its type says: NUL bytes, or control characters past one in ten. */
static gboolean
part_looks_binary(GMimePart *part)
{
	GByteArray *b = part_decode(part);
	size_t n = MIN(b->len, 4096), ctl = 0;
	gboolean r = FALSE;

	for (size_t i = 0; i < n && !r; i++) {
		guchar c = b->data[i];

		if (c == 0)
			r = TRUE;
		else if (c < 0x20 && c != '\t' && c != '\r' && c != '\n' &&
			 c != '\f' && c != 0x1b)
			ctl++;
	}
	g_byte_array_free(b, TRUE);
	return r || ctl * 10 > n;
}

/* Whether the part's Content-Transfer-Encoding (if any) is one GMime
   decodes (not x-gzip64 and the like). */
static gboolean
part_encoding_known(GMimePart *part)
{
	const char *cte = g_mime_object_get_header(GMIME_OBJECT(part),
						   "Content-Transfer-Encoding");

	return cte == NULL || g_mime_content_encoding_from_string(cte) !=
	    GMIME_CONTENT_ENCODING_DEFAULT;
}

/* Decode a text part to UTF-8 with its declared charset (for HTML
   without one, the charset its <meta> names). */
static char *
part_text(GMimePart *part)
{
	GByteArray *b = part_decode(part);
	const char *charset;
	char *meta = NULL, *r;

	charset = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part),
	    "charset");
	if (charset == NULL && part_is_type(GMIME_OBJECT(part), "text", "html"))
		charset = meta = html_meta_charset((const char *)b->data,
						   b->len);
	r = message_text_to_utf8((const char *)b->data, b->len, charset);
	g_free(meta);
	g_byte_array_free(b, TRUE);
	return r;
}

gboolean
message_text_is_blank(const char *s)
{
	for (; *s != '\0'; s++)
		if (!g_ascii_isspace(*s))
			return FALSE;
	return TRUE;
}

void
message_text_normalise_newlines(char *s)
{
	char *r, *w;

	/* most text has LF line ends already */
	s = strchr(s, '\r');
	if (s == NULL)
		return;
	for (r = w = s; *r != '\0'; r++) {
		if (*r == '\r') {
			*w++ = '\n';
			if (r[1] == '\n')
				r++;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/*
 * format=flowed (RFC 3676): s has LF line ends.  Return a new string in
 * which soft line breaks (a line ending in a space) are joined with the
 * next line of the same quote depth, space-stuffing is removed, the
 * trailing space of a soft break is deleted when delsp, and quoted lines
 * keep their depth as a ">" prefix (followed by a space before text).
 */
static char *
text_unflow(const char *s, gboolean delsp)
{
	GString *out = g_string_sized_new(strlen(s));
	GString *para = g_string_new(NULL);
	gboolean open = FALSE, ended_nl;
	int para_depth = 0;
	const char *p = s;

	ended_nl = *s != '\0' && s[strlen(s) - 1] == '\n';
	while (*p != '\0') {
		const char *eol = strchr(p, '\n');
		const char *end = eol != NULL ? eol : p + strlen(p);
		const char *c = p;
		int depth = 0;
		size_t clen;
		gboolean sig, flowed;

		while (c < end && *c == '>') {
			depth++;
			c++;
		}
		if (c < end && *c == ' ')
			c++;		/* space-stuffing */
		clen = (size_t)(end - c);
		sig = clen == 3 && memcmp(c, "-- ", 3) == 0;
		flowed = !sig && clen > 0 && c[clen - 1] == ' ';
		if (open && (depth != para_depth || sig)) {
			/* a soft break into another depth ends the paragraph */
			g_string_append_len(out, para->str, (gssize)para->len);
			g_string_append_c(out, '\n');
			open = FALSE;
		}
		if (!open) {
			g_string_truncate(para, 0);
			for (int i = 0; i < depth; i++)
				g_string_append_c(para, '>');
			if (depth > 0 && clen > 0)
				g_string_append_c(para, ' ');
			para_depth = depth;
			open = TRUE;
		}
		g_string_append_len(para, c, (gssize)(flowed && delsp ?
		    clen - 1 : clen));
		if (!flowed) {
			g_string_append_len(out, para->str, (gssize)para->len);
			g_string_append_c(out, '\n');
			open = FALSE;
		}
		p = eol != NULL ? eol + 1 : end;
	}
	if (open) {
		g_string_append_len(out, para->str, (gssize)para->len);
		g_string_append_c(out, '\n');
	}
	if (!ended_nl && out->len > 0 && out->str[out->len - 1] == '\n')
		g_string_truncate(out, out->len - 1);
	g_string_free(para, TRUE);
	return g_string_free(out, FALSE);
}

static gboolean
part_param_is(GMimeObject *obj, const char *name, const char *value)
{
	const char *v = g_mime_object_get_content_type_parameter(obj, name);

	return v != NULL && g_ascii_strcasecmp(v, value) == 0;
}

/* The readable text of an inline text/plain part: decoded to UTF-8, LF line
   ends, format=flowed undone.  Borrowed from ctx->texts. */
static const char *
body_plain_text(struct message_ctx *ctx, GMimePart *part)
{
	GMimeObject *obj = GMIME_OBJECT(part);
	char *text = g_hash_table_lookup(ctx->texts, part);

	if (text != NULL)
		return text;
	text = part_text(part);
	message_text_normalise_newlines(text);
	if (part_param_is(obj, "format", "flowed")) {
		char *u = text_unflow(text, part_param_is(obj, "delsp", "yes"));

		g_free(text);
		text = u;
	}
	g_hash_table_insert(ctx->texts, part, text);
	return text;
}

/* What a MIME subtree offers as body, in increasing preference. */
enum body_kind {
	BODY_NONE = 0,		/* nothing readable */
	BODY_BLANK,		/* only empty text/plain */
	BODY_HTML,		/* text/html parts */
	BODY_PLAIN,		/* non-empty text/plain parts */
};

struct body_pick {
	enum body_kind kind;
	GPtrArray *parts;	/* GMimePart *, borrowed, in document order */
};

static void
body_pick_init(struct body_pick *pick)
{
	pick->kind = BODY_NONE;
	pick->parts = g_ptr_array_new();
}

static void
body_pick_deinit(struct body_pick *pick)
{
	if (pick->parts != NULL)
		g_ptr_array_free(pick->parts, TRUE);
	pick->parts = NULL;
}

static void
body_eval(struct message_ctx *ctx, GMimeObject *obj, int depth,
    struct body_pick *pick);

/* Mark the inline text/plain and text/html leaves under obj as not
   attachments: they are another rendering of the chosen alternative. */
static void
body_skip_text(struct message_ctx *ctx, GMimeObject *obj, int depth)
{
	int i, n;

	if (obj == NULL || depth > MESSAGE_MAX_DEPTH ||
	    ctx->skip_nodes >= 10 * MESSAGE_MAX_PARTS)
		return;
	ctx->skip_nodes++;
	if (GMIME_IS_MULTIPART(obj)) {
		n = g_mime_multipart_get_count(GMIME_MULTIPART(obj));
		for (i = 0; i < n; i++)
			body_skip_text(ctx, g_mime_multipart_get_part(
			    GMIME_MULTIPART(obj), i), depth + 1);
		return;
	}
	if (GMIME_IS_PART(obj) && !part_is_attachment(GMIME_PART(obj)) &&
	    (part_is_type(obj, "text", "plain") ||
	    part_is_type(obj, "text", "html")))
		g_hash_table_add(ctx->skip, obj);
}

/* multipart/alternative: the first non-empty text/plain rendering, else
   the first HTML one (also the root of a multipart/related), else an empty
   text/plain. */
static void
body_alternative(struct message_ctx *ctx, GMimeMultipart *mp, int depth,
    struct body_pick *pick)
{
	int i, n = g_mime_multipart_get_count(mp), chosen = -1;

	for (i = 0; i < n; i++) {
		struct body_pick child;

		body_pick_init(&child);
		body_eval(ctx, g_mime_multipart_get_part(mp, i), depth + 1,
		    &child);
		if (child.kind > pick->kind) {
			body_pick_deinit(pick);
			*pick = child;
			chosen = i;
		} else {
			body_pick_deinit(&child);
		}
	}
	for (i = 0; i < n; i++)
		if (i != chosen)
			body_skip_text(ctx, g_mime_multipart_get_part(mp, i),
			    depth + 1);
}

/* multipart/mixed and every other multipart: all text/plain parts in
   order (Apple Mail puts text around inline images), else all HTML
   parts. */
static void
body_mixed(struct message_ctx *ctx, GMimeMultipart *mp, int depth,
    struct body_pick *pick)
{
	int i, n = g_mime_multipart_get_count(mp);
	GPtrArray *html = g_ptr_array_new();
	gboolean blank = FALSE;

	for (i = 0; i < n; i++) {
		struct body_pick child;

		body_pick_init(&child);
		body_eval(ctx, g_mime_multipart_get_part(mp, i), depth + 1,
		    &child);
		if (child.kind == BODY_PLAIN)
			g_ptr_array_extend(pick->parts, child.parts, NULL,
			    NULL);
		else if (child.kind == BODY_HTML)
			g_ptr_array_extend(html, child.parts, NULL, NULL);
		else if (child.kind == BODY_BLANK)
			blank = TRUE;
		body_pick_deinit(&child);
	}
	if (pick->parts->len > 0) {
		pick->kind = BODY_PLAIN;
	} else if (html->len > 0) {
		g_ptr_array_extend(pick->parts, html, NULL, NULL);
		pick->kind = BODY_HTML;
	} else if (blank) {
		pick->kind = BODY_BLANK;
	}
	g_ptr_array_free(html, TRUE);
}

/* The root of a multipart/related (RFC 2387): the part whose Content-ID
   the start parameter names, else the first part of the media type the
   type parameter names (MHTML writers put the page after its images),
   else the first part. */
static GMimeObject *
related_root(GMimeMultipart *mp)
{
	const char *start, *type, *slash;
	char *id;
	int i, n = g_mime_multipart_get_count(mp);

	start = g_mime_object_get_content_type_parameter(GMIME_OBJECT(mp),
	    "start");
	if (start != NULL && n > 0) {
		id = msgid_clean(start);
		for (i = 0; id != NULL && i < n; i++) {
			GMimeObject *part = g_mime_multipart_get_part(mp, i);
			const char *cid = g_mime_object_get_content_id(part);

			if (cid != NULL && strcmp(cid, id) == 0) {
				g_free(id);
				return part;
			}
		}
		g_free(id);
	}
	type = g_mime_object_get_content_type_parameter(GMIME_OBJECT(mp),
	    "type");
	slash = type != NULL ? strchr(type, '/') : NULL;
	if (slash != NULL && slash > type && slash[1] != '\0') {
		char *major = g_strndup(type, (gsize)(slash - type));
		char *minor = g_strstrip(g_strdup(slash + 1));

		g_strstrip(major);
		for (i = 0; i < n; i++) {
			GMimeObject *part = g_mime_multipart_get_part(mp, i);

			if (part_is_type(part, major, minor)) {
				g_free(major);
				g_free(minor);
				return part;
			}
		}
		g_free(major);
		g_free(minor);
	}
	return n > 0 ? g_mime_multipart_get_part(mp, 0) : NULL;
}

/* Fill pick with what the subtree at obj offers as body. */
static void
body_eval(struct message_ctx *ctx, GMimeObject *obj, int depth,
    struct body_pick *pick)
{
	GMimePart *part;

	if (obj == NULL || depth > MESSAGE_MAX_DEPTH ||
	    ctx->body_nodes >= MESSAGE_MAX_PARTS)
		return;
	ctx->body_nodes++;
	if (GMIME_IS_MULTIPART_ENCRYPTED(obj))
		return;	/* no readable body; the parts are attachments */
	if (GMIME_IS_MULTIPART_SIGNED(obj)) {
		/* the signed content; the signature is an attachment */
		if (g_mime_multipart_get_count(GMIME_MULTIPART(obj)) > 0)
			body_eval(ctx, g_mime_multipart_get_part(
			    GMIME_MULTIPART(obj),
			    GMIME_MULTIPART_SIGNED_CONTENT), depth + 1, pick);
		return;
	}
	if (GMIME_IS_MULTIPART(obj) &&
	    part_is_type(obj, "multipart", "related")) {
		body_eval(ctx, related_root(GMIME_MULTIPART(obj)), depth + 1,
		    pick);
		return;
	}
	if (GMIME_IS_MULTIPART(obj)) {
		if (part_is_type(obj, "multipart", "alternative"))
			body_alternative(ctx, GMIME_MULTIPART(obj), depth,
			    pick);
		else
			body_mixed(ctx, GMIME_MULTIPART(obj), depth, pick);
		return;
	}
	if (!GMIME_IS_PART(obj))
		return;
	part = GMIME_PART(obj);
	/* a file name makes a part an attachment, unless the whole mail is
	   that one text, not marked "attachment" and in an encoding known
	   here: then it is the body */
	if (part_is_attachment(part) &&
	    (depth > 0 || g_mime_part_is_attachment(part) ||
	     !part_encoding_known(part) || part_looks_binary(part)))
		return;
	if (part_is_type(obj, "text", "plain")) {
		if (message_text_is_blank(body_plain_text(ctx, part))) {
			g_hash_table_add(ctx->skip, obj);
			pick->kind = BODY_BLANK;
		} else {
			g_ptr_array_add(pick->parts, part);
			pick->kind = BODY_PLAIN;
		}
	} else if (part_is_type(obj, "text", "html")) {
		g_ptr_array_add(pick->parts, part);
		pick->kind = BODY_HTML;
	}
}

/* Append one more body text to out, a blank line between texts; leading
   and trailing blank lines of each text go when there are several. */
static void
body_join(GString *out, const char *text, gboolean several)
{
	const char *start = text, *end;

	if (!several) {
		g_string_append(out, text);
		return;
	}
	/* skip leading lines holding only white space */
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '\n')
			start = p + 1;
		else if (!g_ascii_isspace(*p))
			break;
	}
	end = start + strlen(start);
	while (end > start && g_ascii_isspace(end[-1]))
		end--;
	if (end == start)
		return;
	if (out->len > 0)
		g_string_append(out, "\n\n");
	g_string_append_len(out, start, end - start);
}

static char *filename_sanitise(const char *name);
static char *part_type_for_name(const char *name);

/* One line of uuencode, [p, end) without its line break, decoded and
   appended to out; FALSE when it is not one. */
static gboolean
uu_line(const char *p, const char *end, GByteArray *out)
{
	size_t n, have = (size_t)(end - p);
	guint8 c[4], b[3];

	if (have == 0)
		return TRUE;	/* the closing " " line, its blank cut */
	if ((guchar)*p < 0x20 || (guchar)*p > 0x60)
		return FALSE;
	n = ((guchar)*p - 0x20) & 0x3f;
	/* trailing blanks (zeros) may have been cut; one character more
	   (a checksum) is allowed */
	if (have > 1 + (n + 2) / 3 * 4 + 1)
		return FALSE;
	p++;
	for (size_t done = 0; done < n; done += 3) {
		for (int k = 0; k < 4; k++) {
			guchar ch = p < end ? (guchar)*p++ : ' ';

			if (ch < 0x20 || ch > 0x60)
				return FALSE;
			c[k] = (guint8)((ch - 0x20) & 0x3f);
		}
		b[0] = (guint8)(c[0] << 2 | c[1] >> 4);
		b[1] = (guint8)((c[1] & 0xf) << 4 | c[2] >> 2);
		b[2] = (guint8)((c[2] & 0x3) << 6 | c[3]);
		g_byte_array_append(out, b, (guint)MIN(3, n - done));
	}
	return TRUE;
}

/*
 * Files that old mailers put in the text itself, uuencoded ("begin 644
 * name", lines, "end"), not as MIME parts: each whole block is decoded
 * into an attachment (ctx->uu) and taken out of the body.  A block that
 * does not read as uuencode to its "end" stays text.
 */
static void
body_uudecode(struct message_ctx *ctx, GString *body)
{
	static const char begin[] = "begin ";
	gsize at = 0;

	while (at < body->len && ctx->uu->len < MESSAGE_MAX_PARTS) {
		char *line = body->str + at, *eol = strchr(line, '\n');
		char *p, *end, *q;
		GByteArray *data;
		const char *name;
		gboolean ok = FALSE;

		if (eol == NULL)
			break;
		if (strncmp(line, begin, sizeof(begin) - 1) != 0) {
			at = (gsize)(eol + 1 - body->str);
			continue;
		}
		p = line + sizeof(begin) - 1;
		q = p;
		while (*q >= '0' && *q <= '7')
			q++;
		if (q - p < 3 || q - p > 4 || (*q != ' ' && q != eol)) {
			at = (gsize)(eol + 1 - body->str);
			continue;
		}
		name = q < eol ? q + 1 : eol;	/* may be "" */
		data = g_byte_array_new();
		for (p = eol + 1; *p != '\0'; p = end + 1) {
			end = strchr(p, '\n');
			if (end == NULL)
				end = p + strlen(p);
			if (end - p == 3 && strncmp(p, "end", 3) == 0) {
				ok = TRUE;
				break;
			}
			if (!uu_line(p, end, data) || *end == '\0')
				break;
		}
		if (ok) {
			struct message_attachment *a = g_new0(
			    struct message_attachment, 1);
			char *n = g_strndup(name, (gsize)(eol - name));
			gsize cut_end = (gsize)(end - body->str) +
				(*end == '\n' ? 1 : 0);

			a->filename = filename_sanitise(g_strstrip(n));
			g_free(n);
			if (*a->filename == '\0') {
				g_free(a->filename);
				a->filename = g_strdup("uuencoded.bin");
			}
			a->content_type = part_type_for_name(a->filename);
			a->size = data->len;
			a->content = g_byte_array_free_to_bytes(data);
			g_ptr_array_add(ctx->uu, a);
			g_string_erase(body, (gssize)at, (gssize)(cut_end - at));
		} else {
			g_byte_array_free(data, TRUE);
			at = (gsize)(eol + 1 - body->str);
		}
	}
}

/* Set msg->body from the MIME tree at top and mark the leaves used for it
   in ctx->skip. */
static void
message_body(struct message_ctx *ctx, GMimeObject *top)
{
	struct message *msg = ctx->msg;
	struct body_pick pick;
	GString *out = g_string_new(NULL);
	gboolean several;
	guint i;

	body_pick_init(&pick);
	body_eval(ctx, top, 0, &pick);
	several = pick.parts->len > 1;
	for (i = 0; i < pick.parts->len; i++) {
		GMimePart *part = g_ptr_array_index(pick.parts, i);

		g_hash_table_add(ctx->skip, part);
		if (pick.kind == BODY_PLAIN) {
			body_join(out, body_plain_text(ctx, part), several);
		} else {
			char *html = part_text(part);
			char *text = message_html_to_text(html, strlen(html));

			body_join(out, text, several);
			g_free(text);
			g_free(html);
		}
	}
	msg->body_from_html = pick.kind == BODY_HTML;
	if (pick.kind == BODY_PLAIN)
		body_uudecode(ctx, out);
	msg->body = g_string_free(out, FALSE);
	body_pick_deinit(&pick);
}

static char *
filename_sanitise(const char *name)
{
	const char *base, *p;
	GString *out;
	char *u, *r;

	if (name == NULL)
		return g_strdup("");
	u = utf8_dup(name);
	base = u;
	for (p = u; *p != '\0'; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	out = g_string_new(NULL);
	for (p = base; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
			continue;
		/* bidi overrides disguise extensions */
		if ((c >= 0x202a && c <= 0x202e) ||
		    (c >= 0x2066 && c <= 0x2069) || c == 0x200e ||
		    c == 0x200f || c == 0xfeff)
			continue;
		g_string_append_unichar(out, c);
	}
	g_free(u);
	r = g_strstrip(g_string_free(out, FALSE));
	if (strcmp(r, ".") == 0 || strcmp(r, "..") == 0) {
		*r = '\0';
	} else if (strlen(r) > MESSAGE_MAX_FILENAME) {
		/* keep a short extension */
		const char *dot = strrchr(r, '.');
		size_t elen = dot != NULL ? strlen(dot) : 0;

		if (elen > 0 && elen <= 16) {
			char *ext = g_strdup(dot);
			char *stem = g_strndup(r, (gsize)(dot - r));

			utf8_truncate(stem, MESSAGE_MAX_FILENAME - elen);
			g_free(r);
			r = g_strconcat(stem, ext, NULL);
			g_free(stem);
			g_free(ext);
		} else {
			utf8_truncate(r, MESSAGE_MAX_FILENAME);
		}
	}
	return r;
}

static char *
content_type_string(GMimeObject *obj)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	const char *type, *sub;
	char *s, *r;

	type = ct != NULL ? g_mime_content_type_get_media_type(ct) : NULL;
	sub = ct != NULL ? g_mime_content_type_get_media_subtype(ct) : NULL;
	s = g_strdup_printf("%s/%s", type != NULL && *type != '\0' ? type :
	    "application", sub != NULL && *sub != '\0' ? sub : "octet-stream");
	r = message_header_clean(s);
	g_free(s);
	g_strdelimit(r, " ", '_');
	s = g_utf8_strdown(r, -1);
	g_free(r);
	return s;
}

/* Types sent without a file name and the extension given them. */
static const struct {
	const char *type, *subtype;
	const char *ext;
} part_exts[] = {
	{ "text", "plain", "txt" }, { "text", "html", "html" },
	{ "text", "calendar", "ics" }, { "text", "x-vcalendar", "vcs" },
	{ "text", "csv", "csv" },
	{ "text", "comma-separated-values", "csv" },
	{ "text", "tab-separated-values", "tsv" },
	{ "text", "vcard", "vcf" }, { "text", "x-vcard", "vcf" },
	{ "text", "directory", "vcf" }, { "text", "xml", "xml" },
	{ "text", "rtf", "rtf" }, { "text", "richtext", "rtf" },
	{ "text", "enriched", "txt" }, { "text", "markdown", "md" },
	{ "text", "x-markdown", "md" }, { "text", "css", "css" },
	{ "text", "javascript", "js" }, { "text", "x-patch", "patch" },
	{ "text", "x-diff", "diff" }, { "text", "rfc822-headers", "txt" },
	{ "text", "x-log", "log" },
	{ "message", "rfc822", "eml" }, { "message", "global", "eml" },
	{ "message", "delivery-status", "txt" },
	{ "message", "global-delivery-status", "txt" },
	{ "message", "disposition-notification", "txt" },
	{ "message", "feedback-report", "txt" },
	{ "image", "jpeg", "jpg" }, { "image", "pjpeg", "jpg" },
	{ "image", "jpg", "jpg" }, { "message", "news", "eml" },
	{ "image", "png", "png" }, { "image", "gif", "gif" },
	{ "image", "webp", "webp" }, { "image", "bmp", "bmp" },
	{ "image", "tiff", "tif" }, { "image", "svg+xml", "svg" },
	{ "image", "heic", "heic" },
	{ "application", "pdf", "pdf" }, { "application", "zip", "zip" },
	{ "application", "gzip", "gz" }, { "application", "x-gzip", "gz" },
	{ "application", "json", "json" }, { "application", "xml", "xml" },
	{ "application", "ics", "ics" },
	{ "application", "msword", "doc" },
	{ "application", "vnd.ms-excel", "xls" },
	{ "application", "vnd.openxmlformats-officedocument."
	  "wordprocessingml.document", "docx" },
	{ "application", "vnd.openxmlformats-officedocument."
	  "spreadsheetml.sheet", "xlsx" },
	{ "application", "ms-tnef", "dat" },
	{ "application", "vnd.ms-tnef", "dat" },
	{ "application", "pgp-encrypted", "asc" },
	{ "application", "pkcs7-mime", "p7m" },
	{ "application", "x-pkcs7-mime", "p7m" },
	{ "audio", "mpeg", "mp3" }, { "audio", "wav", "wav" },
	{ "video", "mp4", "mp4" },
};

/* The type a file name's extension stands for (lower case, from
   part_exts), application/octet-stream when unknown. */
static char *
part_type_for_name(const char *name)
{
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; dot != NULL && i < G_N_ELEMENTS(part_exts); i++)
		if (g_ascii_strcasecmp(dot + 1, part_exts[i].ext) == 0)
			return g_strdup_printf("%s/%s", part_exts[i].type,
					       part_exts[i].subtype);
	return g_strdup("application/octet-stream");
}

/* A name for a part sent without one, from its type: "invite.ics" for
   the first calendar, "signature.asc" / "smime.p7s" for signatures, else
   "part-N.<ext>" with N the leaf's position (1-based) in the message
   ("part-2.eml" for a forwarded message, ".bin" for a type not known
   here). */
static char *
filename_for_part(GMimeObject *obj, guint n, gboolean *had_calendar)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	const char *type, *sub, *ext = NULL;
	size_t i;

	type = ct != NULL ? g_mime_content_type_get_media_type(ct) : NULL;
	sub = ct != NULL ? g_mime_content_type_get_media_subtype(ct) : NULL;
	if (type == NULL || sub == NULL)
		type = sub = "";
	if (g_ascii_strcasecmp(type, "application") == 0 &&
	    (g_ascii_strcasecmp(sub, "pgp-signature") == 0))
		return g_strdup("signature.asc");
	if (g_ascii_strcasecmp(type, "application") == 0 &&
	    (g_ascii_strcasecmp(sub, "pkcs7-signature") == 0 ||
	     g_ascii_strcasecmp(sub, "x-pkcs7-signature") == 0))
		return g_strdup("smime.p7s");
	for (i = 0; i < G_N_ELEMENTS(part_exts); i++) {
		if (g_ascii_strcasecmp(type, part_exts[i].type) == 0 &&
		    g_ascii_strcasecmp(sub, part_exts[i].subtype) == 0) {
			ext = part_exts[i].ext;
			break;
		}
	}
	if (ext == NULL)
		ext = g_ascii_strcasecmp(type, "text") == 0 ? "txt" : "bin";
	if (strcmp(ext, "ics") == 0 && !*had_calendar) {
		*had_calendar = TRUE;
		return g_strdup("invite.ics");
	}
	return g_strdup_printf("part-%u.%s", n, ext);
}

void
message_attachment_free(struct message_attachment *a)
{
	if (a == NULL)
		return;
	g_free(a->filename);
	g_free(a->content_type);
	if (a->content != NULL)
		g_bytes_unref(a->content);
	g_free(a);
}

/* The value of parameter name in a raw (folded) header value, unquoted,
   or NULL.  Only name=… (not RFC 2231's name*=…). */
static char *
raw_param(const char *value, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = strchr(value, ';'); p != NULL;
	     p = strchr(p + 1, ';')) {
		const char *q = p + 1;
		GString *v;

		q += strspn(q, " \t\r\n");
		if (g_ascii_strncasecmp(q, name, n) != 0)
			continue;
		q += n;
		q += strspn(q, " \t\r\n");
		if (*q != '=')
			continue;
		q++;
		q += strspn(q, " \t\r\n");
		v = g_string_new(NULL);
		if (*q == '"') {
			for (q++; *q != '\0' && *q != '"'; q++) {
				if (*q == '\r' || *q == '\n')
					continue;	/* folding */
				if (*q == '\\' && q[1] != '\0')
					q++;
				g_string_append_c(v, *q);
			}
		} else {
			g_string_append_len(v, q, strcspn(q, "; \t\r\n"));
		}
		return g_string_free(v, FALSE);
	}
	return NULL;
}

/* Whether a raw header value has an RFC 2231 parameter name (given with
   its "*": "filename*"), plain or in sections ("filename*0*"). */
static gboolean
raw_param_star(const char *value, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = strchr(value, ';'); p != NULL;
	     p = strchr(p + 1, ';')) {
		const char *q = p + 1;

		q += strspn(q, " \t\r\n");
		if (g_ascii_strncasecmp(q, name, n) == 0)
			return TRUE;
	}
	return FALSE;
}

/* An attachment's name: GMime's (RFC 2231 included), unless the raw
   filename= or name= parameter holds encoded words (not allowed there,
   written by many mailers) or undeclared 8-bit text, decoded here for
   the reasons message_header_decoded() and raw_header_utf8() give
   ("Fr\xF6sche.txt" was "Fr鰏che.txt" through GMime's fallback list). */
static char *
part_filename(struct message_ctx *ctx, GMimeObject *obj, const char *gmime)
{
	static const char *const where[][2] = {
		{ "Content-Disposition", "filename" },
		{ "Content-Type", "name" },
	};
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);

	for (size_t i = 0; i < G_N_ELEMENTS(where); i++) {
		GMimeHeader *h = g_mime_header_list_get_header(list,
							       where[i][0]);
		const char *rv = h != NULL ? g_mime_header_get_raw_value(h) :
			NULL;
		char *v = rv != NULL ? raw_param(rv, where[i][1]) : NULL;
		char *star = rv != NULL ? g_strconcat(where[i][1], "*", NULL) :
			NULL;
		gboolean rfc2231 = rv != NULL && raw_param_star(rv, star);

		g_free(star);
		if (rfc2231) {
			g_free(v);
			break;		/* name*=charset'lang'…: GMime's */
		}
		if (v == NULL)
			continue;
		if (!g_utf8_validate(v, -1, NULL)) {
			char *u = message_text_to_utf8(v, strlen(v), NULL);

			g_free(v);
			v = u;
		} else if (strstr(v, "=?") == NULL) {
			g_free(v);
			break;	/* the name is there, plain: GMime's */
		}
		if (strstr(v, "=?") != NULL) {
			char *dec = message_decode_text(ctx->options, v);

			g_free(v);
			return dec;
		}
		return v;
	}
	return g_strdup(gmime);
}

/* Every leaf that is not body (nor blank text, nor another rendering of
   the body) becomes an attachment, so nothing sent stays invisible. */
static void
message_attachments(struct message_ctx *ctx)
{
	gboolean had_calendar = FALSE;
	guint i;

	for (i = 0; i < ctx->leaves->len; i++) {
		GMimeObject *obj = g_ptr_array_index(ctx->leaves, i);
		struct message_attachment *a;
		const char *name = NULL;
		char *decoded;
		GByteArray *content;

		if (g_hash_table_contains(ctx->skip, obj))
			continue;
		if (GMIME_IS_MESSAGE_PART(obj)) {
			GMimeMessage *inner = g_mime_message_part_get_message(
			    GMIME_MESSAGE_PART(obj));
			GMimeStream *s = g_mime_stream_mem_new();
			GByteArray *src;

			if (inner != NULL)
				g_mime_object_write_to_stream(
				    GMIME_OBJECT(inner), NULL, s);
			src = g_mime_stream_mem_get_byte_array(
			    GMIME_STREAM_MEM(s));
			content = g_byte_array_new();
			if (src != NULL && src->len > 0)
				g_byte_array_append(content, src->data,
				    src->len);
			g_object_unref(s);
			name = g_mime_object_get_content_disposition_parameter(
			    obj, "filename");
			if (name == NULL)
				name = g_mime_object_get_content_type_parameter(
				    obj, "name");
		} else if (GMIME_IS_PART(obj)) {
			GMimePart *part = GMIME_PART(obj);

			content = part_decode(part);
			name = g_mime_part_get_filename(part);
		} else {
			continue;
		}
		a = g_new0(struct message_attachment, 1);
		decoded = part_filename(ctx, obj, name);
		a->filename = filename_sanitise(decoded);
		g_free(decoded);
		if (*a->filename == '\0') {
			g_free(a->filename);
			a->filename = filename_for_part(obj, i + 1,
			    &had_calendar);
		}
		a->content_type = content_type_string(obj);
		a->size = content->len;
		a->content = g_byte_array_free_to_bytes(content);
		g_ptr_array_add(ctx->msg->attachments, a);
	}
	for (i = 0; i < ctx->uu->len; i++) {
		g_ptr_array_add(ctx->msg->attachments, ctx->uu->pdata[i]);
		ctx->uu->pdata[i] = NULL;
	}
}

/* The report-type of a top-level multipart/report (RFC 6522), lower
   case, "" when absent; NULL when top is something else. */
static char *
message_report_type(GMimeObject *top)
{
	const char *rt;

	if (top == NULL || !GMIME_IS_MULTIPART(top) ||
	    !part_is_type(top, "multipart", "report"))
		return NULL;
	rt = g_mime_object_get_content_type_parameter(top, "report-type");
	return g_ascii_strdown(rt != NULL ? rt : "", -1);
}

/* Body of a message GMime could not parse: the text after the first
   empty line. */
static void
message_raw_body(struct message_ctx *ctx)
{
	const char *p = ctx->data, *end = ctx->data + ctx->len;
	const char *body = NULL;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		if (eol == NULL)
			break;
		if (eol + 1 < end && eol[1] == '\n') {
			body = eol + 2;
			break;
		}
		if (eol + 2 < end && eol[1] == '\r' && eol[2] == '\n') {
			body = eol + 3;
			break;
		}
		p = eol + 1;
	}
	if (body != NULL) {
		ctx->msg->body = message_text_to_utf8(body,
		    (size_t)(end - body), NULL);
		message_text_normalise_newlines(ctx->msg->body);
	}
}

struct message *
message_new_empty(GBytes *raw)
{
	struct message *msg = g_new0(struct message, 1);

	msg->raw = g_bytes_ref(raw);
	msg->references = g_ptr_array_new_with_free_func(g_free);
	msg->auth_results = g_ptr_array_new_with_free_func(g_free);
	msg->envelope_to = g_ptr_array_new_with_free_func(g_free);
	msg->to = g_ptr_array_new_with_free_func(
		(GDestroyNotify)message_address_free);
	msg->cc = g_ptr_array_new_with_free_func(
		(GDestroyNotify)message_address_free);
	msg->attachments = g_ptr_array_new_with_free_func(
		(GDestroyNotify)message_attachment_free);
	return msg;
}

/* Pin (message_charset_pin()) the charsets GMime will convert from when
   it decodes the top-level headers: those of RFC 2047 words, and its
   fallbacks when a header holds raw 8-bit text. */
static void
message_pin_header_charsets(const char *data, size_t len,
			    const char *const *fallback)
{
	const char *p = data, *end;
	gboolean eight = FALSE;

	if (len == 0)
		return;
	/* the header block, at most 64 KB of it */
	end = data + MIN(len, 65536);
	for (const char *q = data; q < end; q++) {
		if (*q == '\n' && (q + 1 == end || q[1] == '\n' ||
				   (q[1] == '\r' && q + 2 < end && q[2] == '\n'))) {
			end = q;
			break;
		}
		if ((unsigned char)*q >= 0x80)
			eight = TRUE;
	}
	while ((p = memchr(p, '=', (size_t)(end - p))) != NULL &&
	       p + 2 < end) {
		const char *cs = p + 2, *e = cs;

		p++;
		if (*p != '?')
			continue;
		while (e < end && *e != '?' && *e != '*' && e - cs < 64)
			e++;
		if (e < end && e > cs && (*e == '?' || *e == '*'))
			message_charset_pin(cs, (size_t)(e - cs));
	}
	if (eight)
		for (int i = 0; fallback[i] != NULL; i++)
			message_charset_pin(fallback[i], strlen(fallback[i]));
}

/*
 * GMime's reading of RFC 2047 words takes time quadratic in a header's
 * length: a 2 MB Subject of unfinished encoded words held the parser for a
 * minute, such a file name in a part's header for four.  No honest header
 * field comes near MESSAGE_MAX_FIELD (the longest are References of
 * thousands of ids), so the message is parsed from a copy whose header
 * fields are cut there: the top-level ones and those of the parts (header
 * blocks after a line "--boundary" of a boundary some Content-Type
 * declared).  NULL when no field is that long.  The stored raw mail is the
 * original.
 */
#define MESSAGE_MAX_FIELD (64 * 1024)
#define MESSAGE_MAX_BOUNDARIES 64

/* Remember the boundary a Content-Type field [f, stop) declares. */
static void
fields_note_boundary(const char *f, const char *stop, GPtrArray *boundaries)
{
	static const char ct[] = "content-type:";
	char *field, *b;

	if ((size_t)(stop - f) < sizeof(ct) ||
	    g_ascii_strncasecmp(f, ct, sizeof(ct) - 1) != 0 ||
	    boundaries->len >= MESSAGE_MAX_BOUNDARIES)
		return;
	field = g_strndup(f, (gsize)(stop - f));
	b = raw_param(field, "boundary");
	g_free(field);
	if (b != NULL && *b != '\0' && strlen(b) <= 200)
		g_ptr_array_add(boundaries, b);
	else
		g_free(b);
}

/* Does the line at p (end at stop) open a part: "--" and a boundary? */
static gboolean
fields_is_boundary(const char *p, const char *stop, GPtrArray *boundaries)
{
	if (stop - p < 3 || p[0] != '-' || p[1] != '-')
		return FALSE;
	for (guint i = 0; i < boundaries->len; i++) {
		size_t n = strlen(boundaries->pdata[i]);

		if ((size_t)(stop - p - 2) >= n &&
		    memcmp(p + 2, boundaries->pdata[i], n) == 0)
			return TRUE;
	}
	return FALSE;
}

/*
 * The lines of a mail's header blocks, one after the other: the top one
 * and each after a line "--boundary" of a boundary some Content-Type
 * declared; body lines are passed over, the empty line ends a block.
 */
struct header_walk {
	const char *p, *end;	/* the next line; the mail's end */
	const char *field;	/* the field being read, or NULL */
	GPtrArray *boundaries;	/* char *: the boundaries declared */
	gboolean header;	/* p is in a header block */
};

static void
header_walk_init(struct header_walk *w, const char *data, size_t len)
{
	w->p = data;
	w->end = data + len;
	w->field = NULL;
	w->boundaries = g_ptr_array_new_with_free_func(g_free);
	w->header = TRUE;
}

/* End the header block before line p: a body follows. */
static void
header_walk_end(struct header_walk *w, const char *p)
{
	if (w->field != NULL)
		fields_note_boundary(w->field, p, w->boundaries);
	w->field = NULL;
	w->header = FALSE;
}

/* The next line of a header block, [*line_r, *next_r) with its line
   break, w->field the field it starts or continues (or the line itself
   when it is no field); FALSE at the end of the mail.  The caller may
   move w->p on (past what it consumed) or end the block. */
static gboolean
header_walk_next(struct header_walk *w, const char **line_r,
		 const char **next_r)
{
	while (w->p < w->end) {
		const char *p = w->p;
		const char *eol = memchr(p, '\n', (size_t)(w->end - p));
		const char *next = eol != NULL ? eol + 1 : w->end;

		w->p = next;
		if (!w->header) {
			if (*p == '-' && w->boundaries->len > 0 &&
			    fields_is_boundary(p, next, w->boundaries)) {
				w->header = TRUE;
				w->field = NULL;
			}
			continue;
		}
		if (*p == '\n' || (*p == '\r' && p + 1 < w->end &&
				    p[1] == '\n')) {
			header_walk_end(w, p);
			continue;
		}
		if (*p != ' ' && *p != '\t') {
			if (w->field != NULL)
				fields_note_boundary(w->field, p,
						     w->boundaries);
			w->field = p;
		}
		*line_r = p;
		*next_r = next;
		return TRUE;
	}
	return FALSE;
}

/* A repaired copy made whole: out (NULL when nothing was changed), the
   rest of the mail from copied to end appended. */
static GBytes *
copy_finish(GByteArray *out, const char *copied, const char *end)
{
	if (out == NULL)
		return NULL;
	g_byte_array_append(out, (const guint8 *)copied,
			    (guint)(end - copied));
	return g_byte_array_free_to_bytes(out);
}

static GBytes *
message_fields_bounded(const char *data, size_t len)
{
	const char *copied = data;	/* data before this is in out */
	const char *line, *next;
	struct header_walk w;
	GByteArray *out = NULL;

	if (len <= MESSAGE_MAX_FIELD)	/* no field can be that long */
		return NULL;
	header_walk_init(&w, data, len);
	while (header_walk_next(&w, &line, &next)) {
		const char *cut, *after = next;

		if (w.field == NULL ||
		    (size_t)(next - w.field) <= MESSAGE_MAX_FIELD)
			continue;
		/* skip the rest of the field */
		cut = w.field + MESSAGE_MAX_FIELD;
		while (after < w.end && (*after == ' ' || *after == '\t')) {
			const char *eol = memchr(after, '\n',
						 (size_t)(w.end - after));

			after = eol != NULL ? eol + 1 : w.end;
		}
		fields_note_boundary(w.field, cut, w.boundaries);
		if (out == NULL)
			out = g_byte_array_sized_new((guint)len);
		g_byte_array_append(out, (const guint8 *)copied,
				    (guint)(cut - copied));
		g_byte_array_append(out, (const guint8 *)"\n", 1);
		copied = after;
		w.field = NULL;
		w.p = after;
	}
	g_ptr_array_unref(w.boundaries);
	return copy_finish(out, copied, w.end);
}

/* Whether [p, stop) is a line of blanks only (at least one), before its
   line break. */
static gboolean
line_is_blank_only(const char *p, const char *stop)
{
	const char *q = p;

	while (q < stop && (*q == ' ' || *q == '\t'))
		q++;
	return q > p && (q == stop || *q == '\n' ||
			 (*q == '\r' && (q + 1 == stop || q[1] == '\n')));
}

/* Whether the line at p starts a header field: a name of printable
   characters and a colon. */
static gboolean
line_is_field(const char *p, const char *stop)
{
	const char *q = p, *name_end;

	while (q < stop && *q > ' ' && *q < 0x7f && *q != ':')
		q++;
	name_end = q;
	while (q < stop && (*q == ' ' || *q == '\t'))
		q++;	/* "Subject :" (RFC 5322's obsolete syntax) */
	return name_end > p && q < stop && *q == ':';
}

/*
 * What some exporters and old mailers put around the header, that GMime
 * reads as a header without end (every attachment lost, the MIME source
 * as the body): a UTF-8 byte order mark, lines of blanks or an empty line
 * before the first field, that field indented, and a line of blanks meant
 * as the empty line that ends the
 * header (Mutt 1.0), followed by text that is no field.  Returns the
 * number of bytes to skip at the start, and in *repaired_r a copy with
 * that line made empty (NULL when there is none).  The stored raw mail is
 * the original.
 */
static size_t
message_header_repair(const char *data, size_t len, GBytes **repaired_r)
{
	const char *p = data, *end = data + len;
	size_t skip;

	*repaired_r = NULL;
	if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	for (;;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *after;

		if (eol == NULL)
			break;
		/* blanks only; or nothing, before a field (an empty
		   first line would end a header not begun) */
		after = eol + 1;
		while (after < end && (*after == ' ' || *after == '\t'))
			after++;
		if (!line_is_blank_only(p, eol + 1) &&
		    !((eol == p || (eol == p + 1 && *p == '\r')) &&
		      line_is_field(after, end)))
			break;
		p = eol + 1;
	}
	/* the first field indented (" From: …"): would read as the
	   continuation of nothing */
	{
		const char *q = p;

		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		if (q > p && line_is_field(q, end))
			p = q;
	}
	skip = (size_t)(p - data);
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *next = eol != NULL ? eol + 1 : end;

		if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n'))
			break;		/* the header's end, as it should be */
		if (p > data + skip && line_is_blank_only(p, next) &&
		    next < end && *next != ' ' && *next != '\t' &&
		    !line_is_field(next, end)) {
			GByteArray *out = g_byte_array_sized_new((guint)len);
			const char *brk = eol != NULL && eol > p &&
				eol[-1] == '\r' ? "\r\n" : "\n";

			g_byte_array_append(out, (const guint8 *)data + skip,
					    (guint)(p - data - skip));
			g_byte_array_append(out, (const guint8 *)brk,
					    (guint)strlen(brk));
			g_byte_array_append(out, (const guint8 *)next,
					    (guint)(end - next));
			*repaired_r = g_byte_array_free_to_bytes(out);
			return skip;
		}
		p = next;
	}
	return skip;
}

/* The first field among the lines from p on, before the header block
   ends (an empty line, a boundary line, 1,000 lines); NULL when none. */
static const char *
field_ahead(const char *p, const char *end, GPtrArray *boundaries)
{
	for (int lines = 0; p < end && lines < 1000; lines++) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *next = eol != NULL ? eol + 1 : end;

		if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n'))
			return NULL;
		if (*p == '-' && boundaries->len > 0 &&
		    fields_is_boundary(p, next, boundaries))
			return NULL;
		if (line_is_field(p, next))
			return p;
		p = next;
	}
	return NULL;
}

/*
 * A header block with a line in it that is neither a field nor a
 * continuation ("Content-Transfer-Encoding: base64" followed at once by
 * the base64, the blank line left out): GMime reads the rest of the part
 * as a broken header and the attachment comes out empty.  Read as most
 * mailers do, the header ends before that line (one without a colon,
 * with no field after it in the block: a field with a bad name stays a
 * field, stray lines among fields, a field folded without indentation,
 * are skipped as GMime does).  Every header block is
 * looked at: the top one and those after a line "--boundary" of a
 * boundary some Content-Type declared.  NULL when none needs it, else a
 * copy with the blank lines put in.  Only run when GMime complained.
 */
static GBytes *
message_part_headers_repair(const char *data, size_t len)
{
	const char *copied = data;	/* data before this is in out */
	const char *line, *next, *field;
	struct header_walk w;
	GByteArray *out = NULL;

	header_walk_init(&w, data, len);
	/* an mbox "From " line before the top header is no field */
	if (len > 5 && memcmp(data, "From ", 5) == 0) {
		const char *eol = memchr(data, '\n', len);

		w.p = eol != NULL ? eol + 1 : w.end;
	}
	while (header_walk_next(&w, &line, &next)) {
		if (*line == ' ' || *line == '\t' ||
		    line_is_field(line, next) ||
		    memchr(line, ':', (size_t)(next - line)) != NULL)
			continue;	/* a field, or a broken one: kept */
		if (*line == '-' && w.boundaries->len > 0 &&
		    fields_is_boundary(line, next, w.boundaries))
			continue;	/* an empty part: its header ends */
		if ((field = field_ahead(next, w.end, w.boundaries)) != NULL) {
			w.p = field;	/* stray lines among fields: skipped */
			continue;
		}
		/* the header ends here: the blank line it lacks, in the line
		   breaks of the line before */
		if (out == NULL)
			out = g_byte_array_sized_new((guint)len + 64);
		g_byte_array_append(out, (const guint8 *)copied,
				    (guint)(line - copied));
		if (line > data + 1 && line[-2] == '\r')
			g_byte_array_append(out, (const guint8 *)"\r\n", 2);
		else
			g_byte_array_append(out, (const guint8 *)"\n", 1);
		copied = line;
		header_walk_end(&w, line);
	}
	g_ptr_array_unref(w.boundaries);
	return copy_finish(out, copied, w.end);
}

/*
 * A top-level Content-Type whose boundary parameter is not preceded by a
 * ";" ("multipart/mixed" folded onto "boundary=…", from old mailers):
 * GMime finds no boundary and every part is lost.  NULL when there is
 * none, else a copy with the ";" put in.
 */
static GBytes *
message_boundary_repair(const char *data, size_t len)
{
	static const char ct[] = "content-type:";
	const char *p = data, *end = data + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *next = eol != NULL ? eol + 1 : end;
		const char *f, *stop, *b;

		if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n'))
			return NULL;	/* the header's end */
		if ((size_t)(end - p) < sizeof(ct) - 1 ||
		    g_ascii_strncasecmp(p, ct, sizeof(ct) - 1) != 0) {
			p = next;
			continue;
		}
		/* the field, continuation lines included */
		f = p + sizeof(ct) - 1;
		stop = next;
		while (stop < end && (*stop == ' ' || *stop == '\t')) {
			eol = memchr(stop, '\n', (size_t)(end - stop));
			stop = eol != NULL ? eol + 1 : end;
		}
		{
			gboolean quoted = FALSE;

			for (b = f; b + 9 <= stop; b++) {
				if (*b == '"')
					quoted = !quoted;
				else if (!quoted && g_ascii_isspace(b[-1]) &&
				    g_ascii_strncasecmp(b, "boundary=", 9) == 0)
					break;
			}
		}
		if (b + 9 > stop)
			return NULL;
		{
			const char *q = b;
			GByteArray *out;

			while (q > f && g_ascii_isspace(q[-1]))
				q--;
			if (q == f || q[-1] == ';')
				return NULL;
			out = g_byte_array_sized_new((guint)len + 1);
			g_byte_array_append(out, (const guint8 *)data,
					    (guint)(q - data));
			g_byte_array_append(out, (const guint8 *)";", 1);
			g_byte_array_append(out, (const guint8 *)q,
					    (guint)(end - q));
			return g_byte_array_free_to_bytes(out);
		}
	}
	return NULL;
}

/* GMime's reading of a whole mail, or NULL. */
static GMimeMessage *
message_gmime_parse(const char *data, size_t len, GMimeParserOptions *options)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(data, len);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *gmsg;

	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	gmsg = g_mime_parser_construct_message(parser, options);
	g_object_unref(parser);
	g_object_unref(stream);
	return gmsg;
}

/* Parse from copy from now on, when there is one (a repaired copy of the
   mail): its bytes in *data, *len. */
static void
message_use_copy(GBytes *copy, const char **data, size_t *len)
{
	gsize n;

	if (copy == NULL)
		return;
	*data = g_bytes_get_data(copy, &n);
	*len = n;
}

struct message *
message_parse(const char *data, size_t len)
{
	static const char *fallback[] = {
		"utf-8", "gb18030", "big5", "windows-1252", NULL,
	};
	struct message_ctx ctx;
	struct message *msg;
	GMimeMessage *gmsg = NULL;
	GMimeObject *top = NULL;
	GBytes *bounded, *repaired = NULL, *semicolon, *blanked = NULL;

	message_library_init();
	if (data == NULL)
		len = 0;

	{
		GBytes *raw = g_bytes_new(data, len);

		msg = message_new_empty(raw);
		g_bytes_unref(raw);
	}
	if (len > 0) {
		size_t skip = message_header_repair(data, len, &repaired);

		if (repaired != NULL) {
			message_use_copy(repaired, &data, &len);
		} else {
			data += skip;
			len -= skip;
		}
	}
	semicolon = len > 0 ? message_boundary_repair(data, len) : NULL;
	message_use_copy(semicolon, &data, &len);
	bounded = len > 0 ? message_fields_bounded(data, len) : NULL;
	message_use_copy(bounded, &data, &len);
	message_pin_header_charsets(data, len, fallback);

	memset(&ctx, 0, sizeof(ctx));
	ctx.msg = msg;
	ctx.data = len > 0 ? data : "";
	ctx.len = len;
	ctx.errors = g_string_new(NULL);
	ctx.leaves = g_ptr_array_new();
	ctx.skip = g_hash_table_new(g_direct_hash, g_direct_equal);
	ctx.uu = g_ptr_array_new_with_free_func(
		(GDestroyNotify)message_attachment_free);
	ctx.texts = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
	    g_free);
	ctx.options = g_mime_parser_options_new();
	g_mime_parser_options_set_fallback_charsets(ctx.options, fallback);
	g_mime_parser_options_set_address_compliance_mode(ctx.options,
	    GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode(ctx.options,
	    GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_rfc2047_compliance_mode(ctx.options,
	    GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_allow_addresses_without_domain(ctx.options,
	    TRUE);
	g_mime_parser_options_set_warning_callback(ctx.options,
	    message_parser_warning, &ctx);
	if (bounded != NULL)
		message_ctx_error(&ctx, "header field over 65536 bytes cut");

	if (len > 0)
		gmsg = message_gmime_parse(data, len, ctx.options);
	if (len > 0 && strstr(ctx.errors->str, "invalid header line") != NULL &&
	    (blanked = message_part_headers_repair(data, len)) != NULL) {
		/* again, with the header blocks ended where they break */
		message_use_copy(blanked, &data, &len);
		ctx.data = data;
		ctx.len = len;
		if (gmsg != NULL)
			g_object_unref(gmsg);
		gmsg = message_gmime_parse(data, len, ctx.options);
	}
	if (gmsg == NULL)
		message_ctx_error(&ctx, "no MIME message could be read");

	message_ids(&ctx, gmsg);
	message_headers(&ctx, gmsg);

	if (gmsg != NULL) {
		int budget = MESSAGE_MAX_UNWRAP;
		GMimeObject *now;

		top = g_mime_message_get_mime_part(gmsg);
		now = smime_unwrap(&ctx, top, 0, &budget);
		if (now != top) {
			g_mime_message_set_mime_part(gmsg, now);
			g_object_unref(now);
			top = now;
		}
		msg->report_type = message_report_type(top);
		message_header_cap(msg->report_type, MESSAGE_MAX_HEADER);
		msg->is_dsn = msg->report_type != NULL &&
			      strcmp(msg->report_type, "delivery-status") == 0;
		message_collect(&ctx, top, 0);
		/* a report that leaves out report-type but carries the
		   delivery status is a bounce all the same */
		for (guint i = 0; msg->report_type != NULL && !msg->is_dsn &&
		     i < ctx.leaves->len; i++)
			if (part_is_type(ctx.leaves->pdata[i], "message",
					 "delivery-status") ||
			    part_is_type(ctx.leaves->pdata[i], "message",
					 "global-delivery-status"))
				msg->is_dsn = TRUE;
		message_body(&ctx, top);
		message_attachments(&ctx);
	} else {
		message_raw_body(&ctx);
	}
	if (msg->body == NULL)
		msg->body = g_strdup("");

	if (ctx.errors->len > 0)
		msg->parse_error = message_header_clean(ctx.errors->str);
	g_string_free(ctx.errors, TRUE);
	g_ptr_array_free(ctx.leaves, TRUE);
	g_hash_table_destroy(ctx.skip);
	g_hash_table_destroy(ctx.texts);
	g_ptr_array_free(ctx.uu, TRUE);
	if (gmsg != NULL)
		g_object_unref(gmsg);
	g_mime_parser_options_free(ctx.options);
	if (bounded != NULL)
		g_bytes_unref(bounded);
	if (repaired != NULL)
		g_bytes_unref(repaired);
	if (semicolon != NULL)
		g_bytes_unref(semicolon);
	if (blanked != NULL)
		g_bytes_unref(blanked);
	return msg;
}

void
message_free(struct message *msg)
{
	if (msg == NULL)
		return;
	if (msg->raw != NULL)
		g_bytes_unref(msg->raw);
	g_free(msg->message_id);
	g_free(msg->in_reply_to);
	g_ptr_array_free(msg->references, TRUE);
	g_ptr_array_free(msg->auth_results, TRUE);
	g_ptr_array_free(msg->envelope_to, TRUE);
	g_free(msg->thread_topic);
	g_free(msg->subject);
	g_free(msg->from.name);
	g_free(msg->from.addr);
	g_ptr_array_free(msg->to, TRUE);
	g_ptr_array_free(msg->cc, TRUE);
	g_free(msg->reply_to.name);
	g_free(msg->reply_to.addr);
	g_free(msg->return_path);
	g_free(msg->auto_submitted);
	g_free(msg->precedence);
	g_free(msg->list_id);
	g_free(msg->list_unsubscribe);
	g_free(msg->list_other);
	g_free(msg->sender);
	g_free(msg->report_type);
	g_free(msg->x_autoreply);
	g_free(msg->x_loop);
	g_free(msg->content_language);
	g_free(msg->thread_index);
	g_free(msg->body);
	g_ptr_array_free(msg->attachments, TRUE);
	g_free(msg->parse_error);
	g_free(msg);
}
