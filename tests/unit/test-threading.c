/* Unit tests: subject tags and threading against a real SQLite store. */
#include "autodefs.h"

#include <string.h>

#include <glib/gstdio.h>

#include "message.h"
#include "store.h"
#include "threading.h"

static const struct {
	const char *subject;
	const char *tag;
	gboolean found;
	gint64 id;
} tag_cases[] = {
	{ "Re: [ACME #123] printer", "ACME", TRUE, 123 },
	{ "Re: [acme #7] lower case", "ACME", TRUE, 7 },
	{ "[ ACME  # 42 ] spaces", "ACME", TRUE, 42 },
	{ "[ACME#9] no space", "ACME", TRUE, 9 },
	{ "[#123] untagged form", "ACME", TRUE, 123 },
	{ "[OTHER #5] other tag", "ACME", FALSE, 0 },
	{ "[#123] plain", NULL, TRUE, 123 },
	{ "AW: Re: [#5] German client", NULL, TRUE, 5 },
	{ "[ACME #5] tagged, none configured", NULL, FALSE, 0 },
	{ "[#0] zero", NULL, FALSE, 0 },
	{ "[#abc] letters", NULL, FALSE, 0 },
	{ "no tag at all", NULL, FALSE, 0 },
	{ "", NULL, FALSE, 0 },
	{ "[A.B #3] regex chars in tag", "A.B", TRUE, 3 },
	{ "[AxB #3] regex chars must not match", "A.B", FALSE, 0 },
	{ "回复: [ACME #88] 打印机", "ACME", TRUE, 88 },
};

static void
test_threading_tags(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(tag_cases); i++) {
		gint64 id = 0;
		gboolean found = threading_parse_tag(tag_cases[i].subject,
						     tag_cases[i].tag, &id);

		if (found != tag_cases[i].found ||
		    (found && id != tag_cases[i].id))
			g_error("case %zu '%s': found=%d id=%" G_GINT64_FORMAT,
				i, tag_cases[i].subject, found, id);
	}
}

static void
test_threading_tag_subject(void)
{
	char *s;

	s = threading_tag_subject("Printer broken", "ACME", 12);
	g_assert_cmpstr(s, ==, "[ACME #12] Printer broken");
	g_free(s);
	s = threading_tag_subject("Re: [ACME #12] Printer", "ACME", 12);
	g_assert_cmpstr(s, ==, "Re: [ACME #12] Printer");
	g_free(s);
	s = threading_tag_subject("Re: [ACME #11] Printer", "ACME", 12);
	g_assert_cmpstr(s, ==, "[ACME #12] Re: [ACME #11] Printer");
	g_free(s);
	s = threading_tag_subject("", NULL, 3);
	g_assert_cmpstr(s, ==, "[#3]");
	g_free(s);
}

static struct message *
parse(const char *text)
{
	return message_parse(text, strlen(text));
}

/* Store msg on a new ticket (0) or on ticket_id; returns the ticket. */
static gint64
store_on(struct store *store, struct message *msg, gint64 ticket_id)
{
	struct store_ticket t = { .mailbox = (char *)"support",
				  .subject = msg->subject,
				  .requester = msg->from.addr };
	struct store_message_meta meta = { .mailbox = "support",
					   .direction = "in",
					   .kind = "customer",
					   .thread_by = "new" };
	char *error = NULL;

	g_assert_cmpint(store_begin(store, &error), ==, 0);
	if (ticket_id == 0)
		g_assert_cmpint(store_ticket_insert(store, &t, &ticket_id,
						    &error), ==, 0);
	meta.ticket_id = ticket_id;
	g_assert_cmpint(store_message_insert(store, msg, &meta, NULL, &error),
			==, 0);
	g_assert_cmpint(store_commit(store, &error), ==, 0);
	return ticket_id;
}

static void
test_threading_find(void)
{
	char *dir = g_dir_make_tmp("test-threading-XXXXXX", NULL);
	char *path = g_build_filename(dir, "t.db", NULL);
	char *error = NULL;
	struct store *store = store_open(path, &error);
	struct message *first, *other, *m;
	enum threading_reason reason;
	gint64 t1, t2, found;

	g_assert_nonnull(store);
	first = parse("From: a@example.net\r\nMessage-ID: <first@x>\r\n"
		      "Subject: printer\r\n\r\nhello\r\n");
	other = parse("From: b@example.net\r\nMessage-ID: <other@x>\r\n"
		      "Subject: other\r\n\r\nhello\r\n");
	t1 = store_on(store, first, 0);
	t2 = store_on(store, other, 0);
	g_assert_cmpint(t1, !=, t2);

	/* In-Reply-To wins over References and subject tag. */
	m = parse("From: a@example.net\r\nMessage-ID: <r1@x>\r\n"
		  "In-Reply-To: <first@x>\r\nReferences: <other@x>\r\n"
		  "Subject: Re: [#2] printer\r\n\r\nthanks\r\n");
	g_assert_cmpint(threading_find(store, m, NULL, &found, &reason,
				       &error), ==, 0);
	g_assert_cmpint(found, ==, t1);
	g_assert_cmpint(reason, ==, THREADING_IN_REPLY_TO);
	message_free(m);

	/* References newest first: the last known one decides. */
	m = parse("From: a@example.net\r\nMessage-ID: <r2@x>\r\n"
		  "In-Reply-To: <unknown@x>\r\n"
		  "References: <first@x> <other@x> <unknown@x>\r\n"
		  "Subject: Re: printer\r\n\r\nthanks\r\n");
	g_assert_cmpint(threading_find(store, m, NULL, &found, &reason,
				       &error), ==, 0);
	g_assert_cmpint(found, ==, t2);
	g_assert_cmpint(reason, ==, THREADING_REFERENCES);
	message_free(m);

	/* Subject tag alone. */
	m = parse("From: a@example.net\r\nMessage-ID: <r3@x>\r\n"
		  "Subject: Re: [ACME #1] printer\r\n\r\nthanks\r\n");
	g_assert_cmpint(threading_find(store, m, "ACME", &found, &reason,
				       &error), ==, 0);
	g_assert_cmpint(found, ==, t1);
	g_assert_cmpint(reason, ==, THREADING_SUBJECT_TAG);
	g_assert_cmpstr(threading_reason_name(reason), ==, "subject-tag");
	message_free(m);

	/* A tag naming a ticket that does not exist opens a new one. */
	m = parse("From: a@example.net\r\nMessage-ID: <r4@x>\r\n"
		  "Subject: Re: [ACME #999] printer\r\n\r\nthanks\r\n");
	g_assert_cmpint(threading_find(store, m, "ACME", &found, &reason,
				       &error), ==, 0);
	g_assert_cmpint(found, ==, 0);
	g_assert_cmpint(reason, ==, THREADING_NEW);
	message_free(m);

	message_free(first);
	message_free(other);
	store_close(store);
	g_unlink(path);
	g_free(path);
	g_free(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	message_library_init();
	g_test_add_func("/threading/tags", test_threading_tags);
	g_test_add_func("/threading/tag-subject", test_threading_tag_subject);
	g_test_add_func("/threading/find", test_threading_find);
	return g_test_run();
}
