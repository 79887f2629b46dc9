/* libFuzzer target: threading_parse_tag(), threading_tag_subject(),
   reply_text_parse(), reply_text_quote_start() and thread_index_root() on
   arbitrary text.  Built and run by tests/fuzz/run-fuzz. */
#include "autodefs.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "log.h"
#include "reply-text.h"
#include "thread-index.h"
#include "threading.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gboolean raw_utf8;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	raw_utf8 = g_strcmp0(g_getenv("TICKETD_FUZZ_RAW_UTF8"), "1") == 0;
	log_init("fuzz-threading", FALSE);
	log_set_level(LOG_LEVEL_ERROR);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reply_text *rt;
	char *text, *body, *s, *tag = NULL;
	const char *nl;
	gint64 id;
	gsize off;

	/* Text up to the first NUL, like a C string from a parsed header. */
	text = g_strndup((const char *)data, size);
	/* A first line shorter than 32 bytes doubles as the mailbox tag. */
	nl = strchr(text, '\n');
	if (nl != NULL && nl - text < 32)
		tag = g_strndup(text, (gsize)(nl - text));

	if (threading_parse_tag(text, tag, &id) && id <= 0)
		__builtin_trap();
	(void)threading_parse_tag(text, NULL, &id);
	s = threading_tag_subject(text, tag, 42);
	g_free(s);

	/* reply_text_*() get message.body, which is always valid UTF-8
	   (message.h); set TICKETD_FUZZ_RAW_UTF8=1 to feed raw bytes. */
	body = raw_utf8 ? g_strdup(text) : g_utf8_make_valid(text, -1);
	rt = reply_text_parse(body);
	if (rt->text == NULL || rt->commands == NULL || rt->errors == NULL)
		__builtin_trap();
	reply_text_free(rt);
	off = reply_text_quote_start(body);
	if (off > strlen(body))
		__builtin_trap();
	g_free(body);

	s = thread_index_root(text);
	g_free(s);

	g_free(tag);
	g_free(text);
	return 0;
}
