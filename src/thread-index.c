/* Outlook's Thread-Index header ([MS-OXOMSG] 2.2.1.3). */
#include "autodefs.h"

#include <string.h>

#include "thread-index.h"

/* Sizes of the conversation header and of a response level (child). */
#define THREAD_INDEX_HEADER 22
#define THREAD_INDEX_CHILD 5

/* 100-ns intervals between 1601-01-01 and 1970-01-01. */
#define THREAD_INDEX_EPOCH_DIFF G_GINT64_CONSTANT(116444736000000000)

/* Time between two generated replies, in 100-ns intervals: one minute. */
#define THREAD_INDEX_REPLY_STEP G_GINT64_CONSTANT(600000000)

/* Longest decoded value accepted by thread_index_root(): the header and
   a few thousand replies; anything longer is not from a mail client. */
#define THREAD_INDEX_MAX_B64 16384

/* Fill digest (32 bytes) with SHA-256 of seed. */
static void
thread_index_hash(const void *seed, gsize seed_len, guint8 *digest)
{
	GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
	gsize len = 32;

	if (seed_len > 0)
		g_checksum_update(sum, seed, (gssize)seed_len);
	g_checksum_get_digest(sum, digest, &len);
	g_assert(len == 32);
	g_checksum_free(sum);
}

char *
thread_index_new(gint64 created, const void *seed, gsize seed_len,
		 guint n_replies)
{
	guint8 digest[32];
	guint8 *buf;
	gsize len = THREAD_INDEX_HEADER + (gsize)n_replies * THREAD_INDEX_CHILD;
	guint64 filetime, delta;
	char *out;

	/* FILETIME of created; times before 1601 or absurdly far in the
	   future are clamped (only the look of the header depends on it). */
	if (created < -(THREAD_INDEX_EPOCH_DIFF / 10000000))
		created = -(THREAD_INDEX_EPOCH_DIFF / 10000000);
	if (created > G_GINT64_CONSTANT(900000000000))
		created = G_GINT64_CONSTANT(900000000000);
	filetime = (guint64)(created * 10000000 + THREAD_INDEX_EPOCH_DIFF);

	thread_index_hash(seed, seed_len, digest);
	buf = g_malloc(len);

	/* Header: reserved 0x01, bits 63..24 of the FILETIME big-endian, then
	   the conversation GUID: the first 16 bytes of SHA-256(seed). */
	buf[0] = 0x01;
	for (int i = 0; i < 5; i++)
		buf[1 + i] = (guint8)(filetime >> (56 - 8 * i));
	memcpy(buf + 6, digest, 16);

	/* Response levels: DC bit 0 (delta is bits 48..18 of the time
	   difference), 31-bit time delta, 8 random bits.  Reply i (1-based)
	   claims to be i minutes after the start; the "random" byte comes
	   from the seed's hash so that the value is reproducible. */
	for (guint i = 0; i < n_replies; i++) {
		guint8 *b = buf + THREAD_INDEX_HEADER + i * THREAD_INDEX_CHILD;
		guint32 code;

		delta = (guint64)(i + 1) * (guint64)THREAD_INDEX_REPLY_STEP;
		code = (guint32)((delta >> 18) & 0x7fffffffU);
		b[0] = (guint8)(code >> 24);
		b[1] = (guint8)(code >> 16);
		b[2] = (guint8)(code >> 8);
		b[3] = (guint8)code;
		b[4] = digest[16 + i % 16];
	}

	out = g_base64_encode(buf, len);
	g_free(buf);
	return out;
}

/* Is s (len bytes) strict base64: the alphabet A-Z a-z 0-9 + /, then at
   most two '=' at the end, and a length that is a multiple of four? */
static gboolean
thread_index_is_base64(const char *s, gsize len)
{
	gsize i, pad = 0;

	if (len == 0 || len % 4 != 0)
		return FALSE;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '=') {
			pad++;
			continue;
		}
		if (pad > 0)
			return FALSE;
		if (!g_ascii_isalnum(c) && c != '+' && c != '/')
			return FALSE;
	}
	return pad <= 2;
}

char *
thread_index_root(const char *value)
{
	const char *start, *end;
	char *copy, *out;
	guint8 *raw;
	gsize len, raw_len;

	if (value == NULL)
		return NULL;
	start = value;
	while (g_ascii_isspace(*start))
		start++;
	end = start + strlen(start);
	while (end > start && g_ascii_isspace(end[-1]))
		end--;
	len = (gsize)(end - start);
	if (len > THREAD_INDEX_MAX_B64 || !thread_index_is_base64(start, len))
		return NULL;

	copy = g_strndup(start, len);
	raw = g_base64_decode(copy, &raw_len);
	g_free(copy);
	if (raw_len < THREAD_INDEX_HEADER || raw[0] != 0x01) {
		g_free(raw);
		return NULL;
	}
	out = g_base64_encode(raw, THREAD_INDEX_HEADER);
	g_free(raw);
	return out;
}
