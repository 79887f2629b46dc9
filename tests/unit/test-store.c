/* Unit tests: the SQLite store and ingest on top of it. */
#include "autodefs.h"

#include <string.h>

#include <glib/gstdio.h>

#include "config.h"
#include "ingest.h"
#include "message.h"
#include "store.h"
#include "template.h"

static char *
tmp_db(char **dir_r)
{
	*dir_r = g_dir_make_tmp("test-store-XXXXXX", NULL);
	return g_build_filename(*dir_r, "t.db", NULL);
}

static void
test_store_reopen(void)
{
	char *dir, *path = tmp_db(&dir), *error = NULL;
	struct store *s;
	uint32_t v, u;

	s = store_open(path, &error);
	g_assert_nonnull(s);
	g_assert_cmpint(store_mailbox_state_get(s, "support", &v, &u, &error),
			==, 0);
	g_assert_cmpuint(v, ==, 0);
	g_assert_cmpuint(u, ==, 0);
	g_assert_cmpint(store_mailbox_state_set(s, "support", 77, 12, &error),
			==, 0);
	store_close(s);
	/* migrations run once; state survives */
	s = store_open(path, &error);
	g_assert_nonnull(s);
	g_assert_cmpint(store_mailbox_state_get(s, "support", &v, &u, &error),
			==, 0);
	g_assert_cmpuint(v, ==, 77);
	g_assert_cmpuint(u, ==, 12);
	store_close(s);
	g_free(path);
	g_free(dir);
}

static void
test_store_outbox(void)
{
	char *dir, *path = tmp_db(&dir), *error = NULL;
	struct store *s = store_open(path, &error);
	const char *mail = "From: support@example.com\r\nTo: a@example.net\r\n"
			   "Message-ID: <out1@example.com>\r\nSubject: hi\r\n"
			   "\r\nbody\r\n";
	struct message *msg = message_parse(mail, strlen(mail));
	struct store_ticket t = { .mailbox = (char *)"support",
				  .subject = (char *)"hi",
				  .requester = (char *)"a@example.net" };
	struct store_message_meta meta = { .mailbox = "support",
					   .direction = "out", .kind = "auto",
					   .thread_by = "new" };
	const char *rcpt[] = { "a@example.net", NULL };
	struct store_outbox_item *item;
	GPtrArray *items;
	gint64 tid, row, now = g_get_real_time() / G_USEC_PER_SEC, when;

	g_assert_nonnull(s);
	g_assert_cmpint(store_begin(s, &error), ==, 0);
	g_assert_cmpint(store_ticket_insert(s, &t, &tid, &error), ==, 0);
	meta.ticket_id = tid;
	g_assert_cmpint(store_message_insert(s, msg, &meta, &row, &error), ==,
			0);
	g_assert_cmpint(store_outbox_insert(s, tid, row, "support@example.com",
					    rcpt, &error), ==, 0);
	g_assert_cmpint(store_commit(s, &error), ==, 0);

	g_assert_cmpint(store_outbox_due(s, now, 10, &items, &error), ==, 0);
	g_assert_cmpuint(items->len, ==, 1);
	item = items->pdata[0];
	g_assert_cmpstr(item->rcpt_to[0], ==, "a@example.net");
	g_assert_null(item->rcpt_to[1]);
	g_assert_cmpuint(g_bytes_get_size(item->data), ==, strlen(mail));
	g_assert_cmpint(store_outbox_mark_retry(s, item->id, 1, now + 60,
						"down", &error), ==, 0);
	g_ptr_array_unref(items);

	/* not due before its time, due after */
	g_assert_cmpint(store_outbox_due(s, now, 10, &items, &error), ==, 0);
	g_assert_cmpuint(items->len, ==, 0);
	g_ptr_array_unref(items);
	g_assert_cmpint(store_outbox_next_time(s, &when, &error), ==, 0);
	g_assert_cmpint(when, ==, now + 60);
	g_assert_cmpint(store_outbox_due(s, now + 60, 10, &items, &error), ==,
			0);
	g_assert_cmpuint(items->len, ==, 1);
	item = items->pdata[0];
	g_assert_cmpint(item->attempts, ==, 1);
	g_assert_cmpstr(item->last_error, ==, "down");
	g_assert_cmpint(store_outbox_mark_sent(s, item->id, now, &error), ==,
			0);
	g_ptr_array_unref(items);
	g_assert_cmpint(store_outbox_due(s, G_MAXINT64, 10, &items, &error),
			==, 0);
	g_assert_cmpuint(items->len, ==, 0);
	g_ptr_array_unref(items);
	g_assert_cmpint(store_outbox_list(s, "sent", &items, &error), ==, 0);
	g_assert_cmpuint(items->len, ==, 1);
	g_ptr_array_unref(items);

	/* the same Message-ID cannot be stored twice */
	g_assert_cmpint(store_message_insert(s, msg, &meta, &row, &error), ==,
			-1);
	g_assert_nonnull(error);
	g_free(error);
	message_free(msg);
	store_close(s);
	g_free(path);
	g_free(dir);
}

/* Ingest end to end, without servers: ack queued once, duplicate
   skipped, reply threaded, auto-reply not answered. */
static void
test_store_ingest(void)
{
	char *dir, *path = tmp_db(&dir), *error = NULL, *conf_text, *conf;
	const char *srcdir = g_getenv("TICKETD_SRCDIR");
	char *tdir = g_build_filename(srcdir != NULL ? srcdir : ".",
				      "templates", NULL);
	struct config *config;
	struct store *s;
	struct template_set *ts;
	struct ingest ing;
	enum ingest_result result;
	gint64 t1, t2;
	GPtrArray *items, *msgs;
	const char *m1 = "From: Ann <ann@example.net>\r\n"
		"To: support@example.com\r\nMessage-ID: <m1@example.net>\r\n"
		"Subject: Printer on fire\r\n\r\nHelp!\r\n";
	const char *m2 = "From: Ann <ann@example.net>\r\n"
		"To: support@example.com\r\nMessage-ID: <m2@example.net>\r\n"
		"In-Reply-To: <m1@example.net>\r\n"
		"Subject: Re: Printer on fire\r\n\r\nStill burning\r\n";
	const char *m3 = "From: Bob <bob@example.net>\r\n"
		"To: support@example.com\r\nMessage-ID: <m3@example.net>\r\n"
		"Auto-Submitted: auto-replied\r\n"
		"Subject: Out of office\r\n\r\nAway\r\n";

	conf_text = g_strdup_printf(
		"[database]\npath = %s\n[smtp]\nurl = smtp://127.0.0.1:1\n"
		"from = Support <support@example.com>\n[templates]\ndir = %s\n"
		"[mailbox support]\nimap = imap://127.0.0.1:1/INBOX\n"
		"user = u\npassword = p\ntls = none\n"
		"address = support@example.com\ntag = ACME\n", path, tdir);
	conf = g_build_filename(dir, "ticketd.conf", NULL);
	g_assert_true(g_file_set_contents(conf, conf_text, -1, NULL));
	config = config_load(conf, &error);
	if (config == NULL)
		g_error("%s", error);
	s = store_open(path, &error);
	g_assert_nonnull(s);
	ts = template_set_new(tdir, NULL);
	g_assert_cmpint(ingest_init(&ing, config, s, ts, &error), ==, 0);

	g_assert_cmpint(ingest_message(&ing, config->mailboxes->pdata[0], m1,
				       strlen(m1), NULL, &result, &t1, &error),
			==, 0);
	g_assert_cmpint(result, ==, INGEST_STORED);
	g_assert_cmpint(ingest_message(&ing, config->mailboxes->pdata[0], m1,
				       strlen(m1), NULL, &result, &t2, &error),
			==, 0);
	g_assert_cmpint(result, ==, INGEST_DUPLICATE);
	g_assert_cmpint(t2, ==, t1);
	g_assert_cmpint(ingest_message(&ing, config->mailboxes->pdata[0], m2,
				       strlen(m2), NULL, &result, &t2, &error),
			==, 0);
	g_assert_cmpint(t2, ==, t1);
	g_assert_cmpint(ingest_message(&ing, config->mailboxes->pdata[0], m3,
				       strlen(m3), NULL, &result, &t2, &error),
			==, 0);
	g_assert_cmpint(t2, !=, t1);

	/* exactly one acknowledgement: for ticket t1, to Ann */
	g_assert_cmpint(store_outbox_due(s, G_MAXINT64, 10, &items, &error),
			==, 0);
	g_assert_cmpuint(items->len, ==, 1);
	g_assert_cmpint(((struct store_outbox_item *)items->pdata[0])->
			ticket_id, ==, t1);
	g_assert_cmpstr(((struct store_outbox_item *)items->pdata[0])->
			rcpt_to[0], ==, "ann@example.net");
	g_ptr_array_unref(items);

	/* ticket 1: customer mail, ack (out), reply by in-reply-to */
	g_assert_cmpint(store_ticket_messages(s, t1, &msgs, &error), ==, 0);
	g_assert_cmpuint(msgs->len, ==, 3);
	g_assert_cmpstr(((struct store_message *)msgs->pdata[0])->thread_by,
			==, "new");
	g_assert_cmpstr(((struct store_message *)msgs->pdata[1])->direction,
			==, "out");
	g_assert_nonnull(strstr(((struct store_message *)msgs->pdata[1])->
				subject, "[ACME #"));
	g_assert_cmpstr(((struct store_message *)msgs->pdata[2])->thread_by,
			==, "in-reply-to");
	g_ptr_array_unref(msgs);

	ingest_deinit(&ing);
	template_set_free(ts);
	store_close(s);
	config_free(config);
	g_free(conf);
	g_free(conf_text);
	g_free(tdir);
	g_free(path);
	g_free(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	message_library_init();
	g_test_add_func("/store/reopen", test_store_reopen);
	g_test_add_func("/store/outbox", test_store_outbox);
	g_test_add_func("/store/ingest", test_store_ingest);
	return g_test_run();
}
