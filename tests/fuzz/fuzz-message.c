/* libFuzzer target: message_parse() then autoreply_classify() on arbitrary
   bytes.  Built and run by tests/fuzz/run-fuzz. */
#include "autodefs.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "autoreply.h"
#include "log.h"
#include "message.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_init("fuzz-message", FALSE);
	log_set_level(LOG_LEVEL_ERROR);
	message_library_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct message *msg;
	const char *reason = NULL;
	char *text;

	msg = message_parse((const char *)data, size);
	(void)autoreply_classify(msg, &reason);
	/* Touch the invariants the header promises. */
	if (msg->message_id == NULL || msg->subject == NULL ||
	    msg->body == NULL || msg->from.addr == NULL ||
	    msg->references == NULL || msg->attachments == NULL ||
	    msg->to == NULL || msg->cc == NULL)
		__builtin_trap();
	if (!g_utf8_validate(msg->subject, -1, NULL) ||
	    !g_utf8_validate(msg->body, -1, NULL))
		__builtin_trap();
	if (strlen(msg->subject) > 998)
		__builtin_trap();
	message_free(msg);

	/* The HTML converter and charset fallback on their own as well. */
	if (size > 0 && size < 65536) {
		text = message_html_to_text((const char *)data, size);
		g_free(text);
		text = message_text_to_utf8((const char *)data + 1, size - 1,
					    (data[0] & 1) ? "gbk" : NULL);
		if (!g_utf8_validate(text, -1, NULL))
			__builtin_trap();
		g_free(text);
	}
	return 0;
}
