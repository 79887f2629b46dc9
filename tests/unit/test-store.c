/* Unit tests: the SQLite store and ingest on top of it. */
#include "autodefs.h"

#include <string.h>

#include <glib/gstdio.h>

#include "config.h"
#include "ingest.h"
#include "message.h"
#include "store.h"
#include "template.h"
/* the cached statements, whose query plans one test reads */
#include "../../src/store-private.h"

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
	g_assert_cmpint(store_outbox_mark_sent(s, item, now, &error), ==,
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

/* Queue n outgoing mails (each on a ticket of its own) in s. */
static void
queue_mails(struct store *s, int n)
{
	char *error = NULL;

	g_assert_cmpint(store_begin(s, &error), ==, 0);
	for (int i = 0; i < n; i++) {
		char *mail = g_strdup_printf(
			"From: support@example.com\r\nTo: a%d@example.net\r\n"
			"Message-ID: <q%d.%p@example.com>\r\nSubject: hi\r\n"
			"\r\nbody\r\n", i, i, (void *)s);
		struct message *msg = message_parse(mail, strlen(mail));
		struct store_ticket t = { .mailbox = (char *)"support",
					  .subject = (char *)"hi",
					  .requester = (char *)"a@example.net" };
		struct store_message_meta meta = { .mailbox = "support",
						   .direction = "out",
						   .kind = "auto",
						   .thread_by = "new" };
		const char *rcpt[] = { "a@example.net", NULL };
		gint64 tid, row;

		g_assert_cmpint(store_ticket_insert(s, &t, &tid, &error), ==,
				0);
		meta.ticket_id = tid;
		g_assert_cmpint(store_message_insert(s, msg, &meta, &row,
						     &error), ==, 0);
		g_assert_cmpint(store_outbox_insert(s, tid, row,
						    "support@example.com",
						    rcpt, &error), ==, 0);
		message_free(msg);
		g_free(mail);
	}
	g_assert_cmpint(store_commit(s, &error), ==, 0);
}

static guint
outbox_count(struct store *s, const char *status)
{
	GPtrArray *items;
	char *error = NULL;
	guint n;

	g_assert_cmpint(store_outbox_list(s, status, &items, &error), ==, 0);
	n = items->len;
	g_ptr_array_unref(items);
	return n;
}

static goffset
file_size(const char *path)
{
	GStatBuf st;

	return g_stat(path, &st) == 0 ? (goffset)st.st_size : -1;
}

/* Holds another connection's write transaction open until told. */
struct holder {
	const char *path;
	GMutex lock;
	GCond cond;
	int state;		/* 0 start, 1 holding, 2 release, 3 done */
};

static gpointer
holder_run(gpointer data)
{
	struct holder *h = data;
	char *error = NULL;
	struct store *s = store_open(h->path, &error);

	g_assert_nonnull(s);
	g_assert_cmpint(store_begin(s, &error), ==, 0);
	g_mutex_lock(&h->lock);
	h->state = 1;
	g_cond_broadcast(&h->cond);
	while (h->state != 2)
		g_cond_wait(&h->cond, &h->lock);
	g_mutex_unlock(&h->lock);
	g_assert_cmpint(store_commit(s, &error), ==, 0);
	store_close(s);
	return NULL;
}

/* A sent mark is journalled (one write, and no wait while another thread
   holds the write lock), and the journal is folded in before the outbox
   is read again, so the mail is never handed out twice. */
static void
test_store_sent_journal(void)
{
	char *dir, *path = tmp_db(&dir), *error = NULL;
	char *jpath = g_strconcat(path, "-sent", NULL);
	struct store *s = store_open(path, &error);
	struct holder h = { .path = path };
	GPtrArray *items;
	GThread *thread;

	g_assert_nonnull(s);
	queue_mails(s, 3);
	g_assert_cmpint(store_outbox_due(s, G_MAXINT64, 10, &items, &error),
			==, 0);
	g_assert_cmpuint(items->len, ==, 3);

	/* uncontended: journalled too; listing the outbox folds it in */
	g_assert_cmpint(store_outbox_mark_sent(s, items->pdata[0], 100,
					       &error), ==, 0);
	g_assert_cmpint(file_size(jpath), ==, 32);
	g_assert_cmpuint(outbox_count(s, "sent"), ==, 1);
	g_assert_cmpint(file_size(jpath), ==, 0);

	g_mutex_init(&h.lock);
	g_cond_init(&h.cond);
	thread = g_thread_new("holder", holder_run, &h);
	g_mutex_lock(&h.lock);
	while (h.state != 1)
		g_cond_wait(&h.cond, &h.lock);
	g_mutex_unlock(&h.lock);
	/* contended: journalled at once, the row still queued */
	g_assert_cmpint(store_outbox_mark_sent(s, items->pdata[1], 101,
					       &error), ==, 0);
	g_assert_cmpint(file_size(jpath), ==, 32);
	g_mutex_lock(&h.lock);
	h.state = 2;
	g_cond_broadcast(&h.cond);
	g_mutex_unlock(&h.lock);
	g_thread_join(thread);
	g_ptr_array_unref(items);

	/* folded before the next read: only the third is due */
	g_assert_cmpint(store_outbox_due(s, G_MAXINT64, 10, &items, &error),
			==, 0);
	g_assert_cmpuint(items->len, ==, 1);
	g_assert_cmpint(file_size(jpath), ==, 0);
	g_assert_cmpuint(outbox_count(s, "sent"), ==, 2);
	g_ptr_array_unref(items);
	g_assert_cmpint(store_outbox_list(s, "sent", &items, &error), ==, 0);
	g_assert_cmpint(((struct store_outbox_item *)items->pdata[0])->attempts,
			==, 1);
	g_ptr_array_unref(items);
	store_close(s);
	g_mutex_clear(&h.lock);
	g_cond_clear(&h.cond);
	g_free(jpath);
	g_free(path);
	g_free(dir);
}

/* A journal left by a process that died is folded in on open; records
   that do not match their row, or are damaged, are ignored. */
static void
test_store_sent_journal_recovery(void)
{
	char *dir, *path = tmp_db(&dir), *error = NULL;
	char *jpath = g_strconcat(path, "-sent", NULL);
	struct store *s = store_open(path, &error);
	struct store_outbox_item *a, *b, *c;
	GPtrArray *items;
	GString *j = g_string_new(NULL);
	gint64 rec[4], a_id;

	g_assert_nonnull(s);
	queue_mails(s, 3);
	g_assert_cmpint(store_outbox_due(s, G_MAXINT64, 10, &items, &error),
			==, 0);
	g_assert_cmpuint(items->len, ==, 3);
	a = items->pdata[0];
	b = items->pdata[1];
	c = items->pdata[2];
	a_id = a->id;
	store_close(s);

	/* the record format of store-outbox.c: id, created, sent, check */
#define SENT_MAGIC G_GINT64_CONSTANT(0x746b7464734e5431)
	rec[0] = a->id; rec[1] = a->created; rec[2] = 1234;
	rec[3] = SENT_MAGIC ^ rec[0] ^ rec[1] ^ rec[2];
	g_string_append_len(j, (const char *)rec, sizeof rec);
	/* b: another row's creation time (a restored database) */
	rec[0] = b->id; rec[1] = b->created + 1; rec[2] = 1234;
	rec[3] = SENT_MAGIC ^ rec[0] ^ rec[1] ^ rec[2];
	g_string_append_len(j, (const char *)rec, sizeof rec);
	/* c: damaged check, then a torn record */
	rec[0] = c->id; rec[1] = c->created; rec[2] = 1234; rec[3] = 0;
	g_string_append_len(j, (const char *)rec, sizeof rec);
	g_string_append_len(j, (const char *)rec, 11);
	g_assert_true(g_file_set_contents(jpath, j->str, (gssize)j->len,
					  NULL));
	g_ptr_array_unref(items);

	s = store_open(path, &error);
	g_assert_nonnull(s);
	g_assert_cmpint(file_size(jpath), ==, 0);
	g_assert_cmpuint(outbox_count(s, "sent"), ==, 1);
	g_assert_cmpuint(outbox_count(s, "queued"), ==, 2);
	g_assert_cmpint(store_outbox_list(s, "sent", &items, &error), ==, 0);
	g_assert_cmpint(((struct store_outbox_item *)items->pdata[0])->id, ==,
			a_id);
	g_ptr_array_unref(items);
	store_close(s);
	g_string_free(j, TRUE);
	g_free(jpath);
	g_free(path);
	g_free(dir);
}

/* Commits that grow the WAL past 1,000 pages hand the checkpoint to the
   background thread. */
static void
test_store_checkpointer(void)
{
	char *dir, *path = tmp_db(&dir), *error = NULL;
	struct store *s = store_open(path, &error);
	GString *body = g_string_new(NULL);
	guint before = store_checkpoint_count();

	g_assert_nonnull(s);
	for (int i = 0; i < 1500; i++)
		g_string_append_printf(body, "line %d of a long body, padded "
				       "out to about seventy characters\r\n",
				       i);
	for (int i = 0; i < 60; i++) {
		char *mail = g_strdup_printf(
			"From: a@example.net\r\nTo: support@example.com\r\n"
			"Message-ID: <big%d@example.net>\r\nSubject: big\r\n"
			"\r\n%s", i, body->str);
		struct message *msg = message_parse(mail, strlen(mail));
		struct store_message_meta meta = { .mailbox = "support",
						   .direction = "in",
						   .kind = "customer",
						   .thread_by = "new" };
		gint64 row;

		g_assert_cmpint(store_begin(s, &error), ==, 0);
		g_assert_cmpint(store_message_insert(s, msg, &meta, &row,
						     &error), ==, 0);
		g_assert_cmpint(store_commit(s, &error), ==, 0);
		message_free(msg);
		g_free(mail);
	}
	for (int i = 0; i < 1000 && store_checkpoint_count() == before; i++)
		g_usleep(10000);
	g_assert_cmpuint(store_checkpoint_count(), >, before);
	store_close(s);
	g_string_free(body, TRUE);
	g_free(path);
	g_free(dir);
}

/* Ingest end to end, without servers: ack queued once, duplicate
   skipped, reply threaded, auto-reply not answered. */
/* The tickets in due are exactly a and b, in that order; frees due. */
static void
assert_two_tickets(GPtrArray *due, gint64 a, gint64 b)
{
	GString *got = g_string_new(NULL);
	char *want = g_strdup_printf("%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT,
				     a, b);

	for (guint i = 0; i < due->len; i++) {
		const struct store_ticket *t = due->pdata[i];

		g_string_append_printf(got, "%s%" G_GINT64_FORMAT,
				       i > 0 ? "," : "", t->id);
	}
	g_assert_cmpstr(got->str, ==, want);
	g_string_free(got, TRUE);
	g_free(want);
	g_ptr_array_unref(due);
}

/* The plan SQLite chose for a cached statement, its lines joined by
   "; ". */
static char *
stmt_plan(struct store *s, enum store_stmt id)
{
	char *sql = g_strconcat("EXPLAIN QUERY PLAN ",
				sqlite3_sql(s->stmts[id]), NULL);
	GString *plan = g_string_new(NULL);
	sqlite3_stmt *q;

	g_assert_cmpint(sqlite3_prepare_v2(s->db, sql, -1, &q, NULL), ==,
			SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW)
		g_string_append_printf(plan, "%s; ",
				       (const char *)sqlite3_column_text(q, 3));
	sqlite3_finalize(q);
	g_free(sql);
	return g_string_free(plan, FALSE);
}

/* Autoclose, the SLA timers and a bounce find exactly the rows they act
   on, through an index: with a million tickets a scan took 0.2 s a tick. */
static void
test_store_timer_queries(void)
{
	char *dir, *path = tmp_db(&dir), *error = NULL, *plan;
	struct store *s = store_open(path, &error);
	gint64 now = g_get_real_time() / G_USEC_PER_SEC, id[8] = { 0 };
	/* mailbox, status, resolved ago, merged into id[0], first fired */
	static const struct {
		const char *mailbox, *status;
		gint64 resolved_ago;
		gboolean merged, fired;
	} rows[8] = {
		{ "support", "open", 0, FALSE, FALSE },		/* 1 */
		{ "support", "resolved", 100, FALSE, FALSE },	/* 2 */
		{ "support", "resolved", 10, FALSE, FALSE },	/* 3 */
		{ "support", "closed", 0, FALSE, FALSE },	/* 4 */
		{ "sales", "resolved", 100, FALSE, FALSE },	/* 5 */
		{ "support", "open", 0, TRUE, FALSE },		/* 6 */
		{ "support", "new", 0, FALSE, TRUE },		/* 7 */
		{ "support", "pending", 200, FALSE, FALSE },	/* 8 */
	};
	GPtrArray *due;
	gint64 tid;

	g_assert_nonnull(s);
	g_assert_cmpint(store_begin(s, &error), ==, 0);
	for (guint i = 0; i < G_N_ELEMENTS(rows); i++) {
		struct store_ticket t = {
			.mailbox = (char *)rows[i].mailbox,
			.subject = (char *)"printer",
			.requester = (char *)"ann@example.net",
		};

		g_assert_cmpint(store_ticket_insert(s, &t, &id[i], &error),
				==, 0);
		t.id = id[i];
		t.status = (char *)rows[i].status;
		t.updated = now;
		/* a reopened ticket keeps its old resolved time: status
		   decides, not the column */
		if (rows[i].resolved_ago > 0)
			t.resolved = now - rows[i].resolved_ago;
		t.merged_into = rows[i].merged ? id[0] : 0;
		if (rows[i].fired) {
			t.sla_first_fired = TRUE;
			t.first_response = now;
		}
		g_assert_cmpint(store_ticket_update(s, &t, &error), ==, 0);
	}
	g_assert_cmpint(store_commit(s, &error), ==, 0);

	g_assert_cmpint(store_ticket_autoclose_due(s, "support", now - 50,
						   &due, &error), ==, 0);
	g_assert_cmpuint(due->len, ==, 1);
	g_assert_cmpint(((struct store_ticket *)due->pdata[0])->id, ==, id[1]);
	g_ptr_array_unref(due);
	/* not 5 (other mailbox), not 8 (pending again) */
	g_assert_cmpint(store_ticket_autoclose_due(s, "support", now, &due,
						   &error), ==, 0);
	assert_two_tickets(due, id[1], id[2]);

	/* first response: the open, unmerged, unfired ones */
	g_assert_cmpint(store_ticket_sla_due(s, "support", now + 10, 0, &due,
					     &error), ==, 0);
	assert_two_tickets(due, id[0], id[7]);
	/* resolution: the fired first-response timer does not matter; 8
	   was resolved once */
	g_assert_cmpint(store_ticket_sla_due(s, "support", 0, now + 10, &due,
					     &error), ==, 0);
	assert_two_tickets(due, id[0], id[6]);
	/* created after the cutoff: nothing yet */
	g_assert_cmpint(store_ticket_sla_due(s, "support", now - 1000,
					     now - 1000, &due, &error), ==, 0);
	g_assert_cmpuint(due->len, ==, 0);
	g_ptr_array_unref(due);
	g_assert_cmpint(store_outbox_bounced(s, "<none@example.com>", "gone",
					     &tid, &error), ==, 0);

	plan = stmt_plan(s, STORE_STMT_AUTOCLOSE_DUE);
	g_assert_nonnull(strstr(plan, "INDEX tickets_autoclose"));
	g_free(plan);
	plan = stmt_plan(s, STORE_STMT_SLA_DUE);
	g_assert_nonnull(strstr(plan, "INDEX tickets_sla"));
	g_assert_null(strstr(plan, "SCAN"));
	g_free(plan);
	plan = stmt_plan(s, STORE_STMT_OUTBOX_BOUNCED);
	g_assert_nonnull(strstr(plan, "INDEX outbox_message"));
	g_assert_null(strstr(plan, "SCAN"));
	g_free(plan);
	store_close(s);
	g_free(path);
	g_free(dir);
}

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
	/* a ticket each, none answered: a web form's no-reply sender, a
	   read receipt, a newsletter */
	const char *const silent[] = {
		"From: Web Shop <noreply@shop.example>\r\n"
		"To: support@example.com\r\nMessage-ID: <m4@shop.example>\r\n"
		"Subject: Contact form: order 17\r\n\r\nWhere is it?\r\n",
		"From: carl@example.net\r\nTo: support@example.com\r\n"
		"Message-ID: <m5@example.net>\r\nSubject: Read: hello\r\n"
		"MIME-Version: 1.0\r\nContent-Type: multipart/report; "
		"report-type=disposition-notification; boundary=b\r\n\r\n"
		"--b\r\n\r\nDisplayed.\r\n--b\r\nContent-Type: "
		"message/disposition-notification\r\n\r\nDisposition: "
		"manual-action/MDN-sent-manually; displayed\r\n--b--\r\n",
		"From: news@shop.example\r\nTo: support@example.com\r\n"
		"Message-ID: <m6@shop.example>\r\nSubject: Sale\r\n"
		"List-Unsubscribe: <mailto:u@shop.example>\r\n\r\n50 %\r\n",
	};

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
	for (guint i = 0; i < G_N_ELEMENTS(silent); i++) {
		gint64 t3;

		g_assert_cmpint(ingest_message(&ing,
					       config->mailboxes->pdata[0],
					       silent[i], strlen(silent[i]),
					       NULL, &result, &t3, &error),
				==, 0);
		g_assert_cmpint(result, ==, INGEST_STORED);
		g_assert_cmpint(t3, >, t2);
		t2 = t3;
	}

	/* exactly one acknowledgement: for ticket t1, to Ann */
	g_assert_cmpint(store_outbox_due(s, G_MAXINT64, 10, &items, &error),
			==, 0);
	g_assert_cmpuint(items->len, ==, 1);
	g_assert_cmpint(((struct store_outbox_item *)items->pdata[0])->
			ticket_id, ==, t1);
	g_assert_cmpstr(((struct store_outbox_item *)items->pdata[0])->
			rcpt_to[0], ==, "ann@example.net");
	g_ptr_array_unref(items);

	/* a web form: the requester is who the form says, in Reply-To;
	   the form's sender takes part */
	{
		const char *form = "From: Shop <wordpress@shop.example>\r\n"
			"Reply-To: Jane Roe <jane@example.net>\r\n"
			"To: support@example.com\r\n"
			"Message-ID: <m7@shop.example>\r\n"
			"Subject: Contact form\r\n\r\nMy order?\r\n";
		struct store_ticket *t;
		GPtrArray *parts;
		gint64 t7;

		g_assert_cmpint(ingest_message(&ing,
					       config->mailboxes->pdata[0],
					       form, strlen(form), NULL,
					       &result, &t7, &error), ==, 0);
		g_assert_cmpint(store_ticket_get(s, t7, &t, &error), ==, 1);
		g_assert_cmpstr(t->requester, ==, "jane@example.net");
		g_assert_cmpstr(t->requester_name, ==, "Jane Roe");
		store_ticket_free(t);
		g_assert_cmpint(store_participants(s, t7, &parts, &error), ==,
				0);
		g_assert_cmpuint(parts->len, ==, 2);
		g_assert_cmpstr(((struct store_participant *)parts->pdata[0])->
				address, ==, "jane@example.net");
		g_assert_cmpstr(((struct store_participant *)parts->pdata[1])->
				address, ==, "wordpress@shop.example");
		g_assert_cmpstr(((struct store_participant *)parts->pdata[1])->
				role, ==, "cc");
		g_ptr_array_unref(parts);
		g_assert_cmpint(store_outbox_due(s, G_MAXINT64, 10, &items,
						 &error), ==, 0);
		g_assert_cmpuint(items->len, ==, 2);
		g_assert_cmpint(((struct store_outbox_item *)items->pdata[1])->
				ticket_id, ==, t7);
		g_assert_cmpstr(((struct store_outbox_item *)items->pdata[1])->
				rcpt_to[0], ==, "jane@example.net");
		g_ptr_array_unref(items);
	}

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
	g_test_add_func("/store/sent-journal", test_store_sent_journal);
	g_test_add_func("/store/sent-journal-recovery",
			test_store_sent_journal_recovery);
	g_test_add_func("/store/checkpointer", test_store_checkpointer);
	g_test_add_func("/store/timer-queries", test_store_timer_queries);
	g_test_add_func("/store/ingest", test_store_ingest);
	return g_test_run();
}
