/* Unit tests: Outlook Thread-Index generation and conversation roots. */
#include "autodefs.h"

#include <string.h>

#include "thread-index.h"

/* 2024-01-08 10:15:00 UTC */
#define T_CREATED G_GINT64_CONSTANT(1704708900)
#define T_SEED "support/42"

/* Expected values computed independently (Python: FILETIME >> 24 after a
   0x01 byte, SHA-256 of the seed, one-minute response levels). */
static const struct {
	gint64 created;
	const char *seed;
	guint n_replies;
	const char *expect;
} new_cases[] = {
	{ T_CREATED, T_SEED, 0, "AQHaQhuJZVOBtf/5vWY2ZOMI16K8UA==" },
	{ T_CREATED, T_SEED, 1, "AQHaQhuJZVOBtf/5vWY2ZOMI16K8UAAACPAO" },
	{ T_CREATED, T_SEED, 2,
	  "AQHaQhuJZVOBtf/5vWY2ZOMI16K8UAAACPAOAAAR4X0=" },
	{ T_CREATED, "support/43", 0, "AQHaQhuJcLAF8LZxIawFYWZP7yMhFg==" },
	{ 0, "", 0, "AQGdsd7V47DEQpj8HBSa+/TImW+5JA==" },
};

static void
test_thread_index_new(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(new_cases); i++) {
		char *v = thread_index_new(new_cases[i].created,
					   new_cases[i].seed,
					   strlen(new_cases[i].seed),
					   new_cases[i].n_replies);

		g_test_message("case %" G_GSIZE_FORMAT, i);
		g_assert_cmpstr(v, ==, new_cases[i].expect);
		g_free(v);
	}
}

static void
test_thread_index_lengths(void)
{
	for (guint n = 0; n < 40; n++) {
		char *v = thread_index_new(T_CREATED, T_SEED,
					   strlen(T_SEED), n);
		guchar *raw;
		gsize len;

		raw = g_base64_decode(v, &len);
		g_assert_cmpuint(len, ==, 22 + 5 * n);
		g_assert_cmpuint(raw[0], ==, 0x01);
		/* Response levels: DC bit clear, increasing time deltas. */
		for (guint i = 1; i < n; i++) {
			const guchar *a = raw + 22 + 5 * (i - 1);
			const guchar *b = raw + 22 + 5 * i;

			g_assert_cmpuint(b[0] & 0x80, ==, 0);
			g_assert_cmpint(memcmp(a, b, 4), <, 0);
		}
		g_free(raw);
		g_free(v);
	}
}

static void
test_thread_index_round_trip(void)
{
	char *a = thread_index_new(T_CREATED, T_SEED, strlen(T_SEED), 0);
	char *b = thread_index_new(T_CREATED, T_SEED, strlen(T_SEED), 3);
	char *c = thread_index_new(T_CREATED, "support/43", 10, 3);
	char *ra = thread_index_root(a);
	char *rb = thread_index_root(b);
	char *rc = thread_index_root(c);

	g_assert_cmpstr(a, !=, b);
	g_assert_cmpstr(ra, ==, a);
	g_assert_cmpstr(rb, ==, ra);
	g_assert_nonnull(rc);
	g_assert_cmpstr(rc, !=, ra);
	g_free(a);
	g_free(b);
	g_free(c);
	g_free(ra);
	g_free(rb);
	g_free(rc);
}

static const struct {
	const char *value;
	const char *root;	/* NULL: rejected */
} root_cases[] = {
	/* Exchange Online, one reply (27 bytes). */
	{ "AQHZ0TcK8+zbM3G8w0SiHKVQvJ2BnrAA4s3g",
	  "AQHZ0TcK8+zbM3G8w0SiHKVQvJ2Bng==" },
	/* Two replies, padded. */
	{ "AQHaC2Hj1xk5Pt5wG0q3rRRmsJwQ0bCwLXsAgAAHJZA=",
	  "AQHaC2Hj1xk5Pt5wG0q3rRRmsJwQ0Q==" },
	/* A new conversation: the header alone. */
	{ "AQHXjlsLBVTf8t9cKk+8tPGzdzR6YQ==",
	  "AQHXjlsLBVTf8t9cKk+8tPGzdzR6YQ==" },
	/* Surrounding white space from header unfolding. */
	{ "  AQHXjlsLBVTf8t9cKk+8tPGzdzR6YQ==\t",
	  "AQHXjlsLBVTf8t9cKk+8tPGzdzR6YQ==" },
	/* Too short: 17 bytes. */
	{ "AQHaZ1k2b3V0b2ZvZmZpY2U=", NULL },
	/* 21 bytes. */
	{ "AQHXjlsLBVTf8t9cKk+8tPGzdzR6", NULL },
	/* Not base64 (g_base64_decode would skip the bad characters). */
	{ "AQHZ0TcK8+zbM3G8w0Si!KVQvJ2BnrAA4s3g", NULL },
	{ "AQHZ0TcK8+zbM3G8 w0SiHKVQvJ2BnrAA4s3g", NULL },
	{ "AQHZ0TcK8+zbM3G8w0SiHKVQvJ2BnrAA4s3g=", NULL },
	{ "AQHXjlsLBVTf8t9cKk+8tPGzdzR6YQ=A", NULL },
	{ "AQHXjlsLBVTf8t9cKk+8tPGzdzR6Y===", NULL },
	{ "AQHXjlsLBVTf8t9cKk-8tPGzdzR6YQ==", NULL },
	/* Well-formed base64 of 22 bytes without the reserved 0x01. */
	{ "AAHXjlsLBVTf8t9cKk+8tPGzdzR6YQ==", NULL },
	{ "hello world", NULL },
	{ "", NULL },
	{ "====", NULL },
};

static void
test_thread_index_root(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(root_cases); i++) {
		char *r = thread_index_root(root_cases[i].value);

		g_test_message("case %" G_GSIZE_FORMAT ": %s", i,
			       root_cases[i].value);
		g_assert_cmpstr(r, ==, root_cases[i].root);
		g_free(r);
	}
	g_assert_null(thread_index_root(NULL));
}

static void
test_thread_index_root_long(void)
{
	GString *s = g_string_new("AQHXjlsLBVTf8t9cKk+8tPGzdzR6YQAA");
	char *r;

	/* A header and a few hundred replies is fine... */
	while (s->len < 2000)
		g_string_append(s, "AAAA");
	r = thread_index_root(s->str);
	g_assert_cmpstr(r, ==, "AQHXjlsLBVTf8t9cKk+8tPGzdzR6YQ==");
	g_free(r);
	/* ...but far longer than any mail client makes is not. */
	while (s->len < 20000)
		g_string_append(s, "AAAA");
	r = thread_index_root(s->str);
	g_assert_null(r);
	g_string_free(s, TRUE);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/thread-index/new", test_thread_index_new);
	g_test_add_func("/thread-index/lengths", test_thread_index_lengths);
	g_test_add_func("/thread-index/round-trip",
			test_thread_index_round_trip);
	g_test_add_func("/thread-index/root", test_thread_index_root);
	g_test_add_func("/thread-index/root-long",
			test_thread_index_root_long);
	return g_test_run();
}
