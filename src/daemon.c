/* The daemon's main loop.
 *
 * With --once this thread fetches and ingests, one mailbox after the
 * other, while a sender thread sends what was committed (two cores: the
 * SMTP conversation overlaps the ingest); the rest goes out at the end.
 * As a daemon, each mailbox has a worker thread with its own IMAP
 * connection, database connection and template set: it waits in IMAP IDLE
 * (or polls), fetches, and ingests a batch in one transaction.  The main
 * thread sends the outbox and runs the timers, woken by the workers as
 * soon as they committed something.  A slow or lost server holds up only
 * its own mailbox.  An indexer thread adds new messages to the full-text
 * index behind ingest, whenever no batch is being stored (--once leaves
 * that to the daemon and to ticketctl search, which catch it up).
 */
#include "autodefs.h"

#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "imap-source.h"
#include "ingest.h"
#include "log.h"
#include "message.h"
#include "outbox.h"
#include "rules.h"
#include "workflow.h"

#define DAEMON_BACKOFF_MIN 5
#define DAEMON_BACKOFF_MAX 300
/* Longest IDLE before it is re-issued (servers drop it after 30 min). */
#define DAEMON_IDLE_SECONDS (25 * 60)
/* How often the main thread runs the timers. */
#define DAEMON_TICK_SECONDS 5

struct daemon;

struct daemon_mailbox {
	struct daemon *daemon;
	const struct config_mailbox *cfg;	/* borrowed */
	struct imap_source *src;
	struct ingest *ingest;	/* the one this mailbox ingests with */
	gint64 next_run;	/* monotonic seconds */
	int failures;		/* consecutive failed attempts */
	gboolean swept;		/* leftovers marked since connecting */
	/* worker thread only: */
	GThread *thread;
	struct store *store;
	struct template_set *templates;
	struct ingest own;
	gboolean own_ready;
};

struct daemon {
	const struct config *config;
	const struct daemon_options *options;
	struct ingest *ingest;	/* the main thread's */
	struct outbox *outbox;
	GPtrArray *mailboxes;	/* struct daemon_mailbox * */
	GMutex lock;
	GCond wake;
	gboolean kicked;	/* a worker committed mail: send now */
	GCond index_wake;
	gint ingesting;		/* batches in progress (atomic): the indexer
				   waits for them, SQLite has one writer */
	GThread *indexer;
	gboolean once_done;	/* --once: ingest is over, the sender stops */
};

/* Per-batch state handed to the IMAP callback. */
struct daemon_fetch {
	struct daemon *daemon;
	struct daemon_mailbox *mailbox;
	uint32_t uidvalidity;
	GArray *uids;		/* uint32_t: stored in this batch */
	guint committed;	/* uids[0 .. committed) are committed */
	uint32_t last_uid;
	char *error;		/* owned: why ingest stopped */
	char *store_error;	/* owned: a transaction that failed */
};

static gint64
daemon_now(void)
{
	return g_get_monotonic_time() / G_USEC_PER_SEC;
}

/* Wake the main thread (there is mail to send) and the indexer. */
static void
daemon_kick(struct daemon *d)
{
	g_mutex_lock(&d->lock);
	d->kicked = TRUE;
	g_cond_signal(&d->wake);
	g_cond_signal(&d->index_wake);
	g_mutex_unlock(&d->lock);
}

/* The indexer thread: full-text indexing behind ingest, in small
   transactions on a connection of its own. */
static gpointer
daemon_indexer(gpointer data)
{
	struct daemon *d = data;
	volatile int *stop = d->options->stop;
	struct store *store = NULL;
	char *error = NULL;
	gboolean failed = FALSE;

	while (!*stop) {
		gboolean pending = FALSE;

		/* Ingest first: index while no batch holds (or wants) the
		   database's one write lock. */
		while (g_atomic_int_get(&d->ingesting) > 0 && !*stop)
			g_usleep(20 * 1000);
		if (store == NULL)
			store = store_open(d->config->db_path, &error);
		if (store == NULL ||
		    store_fts_pending(store, &pending, &error) < 0 ||
		    (pending && store_fts_sync(store, 200, NULL, &error) < 0)) {
			if (!failed)
				log_warnx("search index: %s; will retry", error);
			failed = TRUE;
			g_clear_pointer(&error, g_free);
			g_usleep(G_USEC_PER_SEC);
			continue;
		}
		failed = FALSE;
		if (pending)
			continue;
		g_mutex_lock(&d->lock);
		g_cond_wait_until(&d->index_wake, &d->lock,
				  g_get_monotonic_time() + G_USEC_PER_SEC);
		g_mutex_unlock(&d->lock);
	}
	store_close(store);
	return NULL;
}

static int
daemon_on_message(uint32_t uid, const char *data, size_t len,
		  void *prepared, void *ctx)
{
	struct daemon_fetch *f = ctx;
	struct ingest_position pos = { f->uidvalidity, uid };
	enum ingest_result result;
	gint64 ticket_id;

	struct message *msg = prepared;

	(void)data;
	(void)len;
	if (*f->daemon->options->stop) {
		message_free(msg);
		return -1;
	}
	/* The transaction starts with the group's first message and ends in
	   daemon_on_group(), before the network is used again. */
	if (!store_in_transaction(f->mailbox->ingest->store) &&
	    store_begin(f->mailbox->ingest->store, &f->store_error) < 0) {
		message_free(msg);
		return -1;
	}
	if (ingest_message_parsed(f->mailbox->ingest, f->mailbox->cfg, msg,
			   &pos, &result, &ticket_id, &f->error) < 0)
		return -1;
	g_array_append_val(f->uids, uid);
	f->last_uid = uid;
	return 0;
}

/* Parse in the fetch thread: the next group is parsed while this one is
   stored. */
static void *
daemon_prepare(const char *data, size_t len, void *ctx)
{
	struct daemon_fetch *f = ctx;

	return ingest_parse(f->mailbox->cfg, data, len);
}

static void
daemon_free_prepared(void *prepared)
{
	message_free(prepared);
}

/* The end of a fetched group: commit what it stored (a savepoint per
   message inside), so that no write lock is held while the next group
   comes over the network. */
static int
daemon_on_group(void *ctx)
{
	struct daemon_fetch *f = ctx;
	struct store *store = f->mailbox->ingest->store;

	if (!store_in_transaction(store))
		return 0;
	if (store_commit(store, &f->store_error) < 0) {
		store_rollback(store);
		g_array_set_size(f->uids, f->committed);
		return -1;
	}
	f->committed = f->uids->len;
	return 0;
}

/* A failure: close, log once per incident, schedule the retry. */
static void
daemon_mailbox_failed(struct daemon_mailbox *m, int status,
		      const char *what, const char *error)
{
	int delay = DAEMON_BACKOFF_MIN;

	for (int i = 0; i < m->failures && delay < DAEMON_BACKOFF_MAX; i++)
		delay *= 2;
	delay = MIN(delay, DAEMON_BACKOFF_MAX);
	if (m->failures == 0 || status == IMAP_SOURCE_PERM)
		log_error("mailbox %s: %s: %s; retrying in %d s%s",
			  m->cfg->name, what, error, delay,
			  status == IMAP_SOURCE_PERM ?
			  " (check the configuration)" : "");
	else
		log_debug("mailbox %s: %s: %s; retrying in %d s",
			  m->cfg->name, what, error, delay);
	m->failures++;
	m->next_run = daemon_now() + delay;
	imap_source_disconnect(m->src);
}

/* Mark processed what was stored but not marked when ticketd last
   stopped between a commit and the marking (kill -9, lost connection). */
static void
daemon_mailbox_sweep(struct daemon_mailbox *m, uint32_t last_uid)
{
	GArray *uids = NULL;
	const char *error;

	if (imap_source_unmarked(m->src, last_uid, &uids, &error) !=
	    IMAP_SOURCE_OK) {
		log_warnx("mailbox %s: looking for stored but unmarked "
			  "messages: %s", m->cfg->name, error);
		return;
	}
	if (uids->len > 0) {
		if (imap_source_mark_processed(m->src,
					       (uint32_t *)(void *)uids->data,
					       uids->len, &error) ==
		    IMAP_SOURCE_OK)
			log_info("mailbox %s: %u message(s) stored earlier "
				 "are now marked processed", m->cfg->name,
				 uids->len);
		else
			log_warnx("mailbox %s: marking %u stored message(s) "
				  "processed: %s", m->cfg->name, uids->len,
				  error);
	}
	g_array_free(uids, TRUE);
	m->swept = TRUE;
}

/* Connect if needed and check UIDVALIDITY; returns the last processed UID
   in *last_uid_r, or -1 after logging. */
static int
daemon_mailbox_open(struct daemon_mailbox *m, uint32_t *uidvalidity_r,
		    uint32_t *last_uid_r)
{
	uint32_t stored_validity, validity;
	const char *error;
	char *serr = NULL;
	int rc;

	if (!imap_source_is_connected(m->src)) {
		rc = imap_source_connect(m->src, &error);
		if (rc != IMAP_SOURCE_OK) {
			daemon_mailbox_failed(m, rc, "connect", error);
			return -1;
		}
		if (m->failures > 0)
			log_info("mailbox %s: connected again after %d "
				 "failed attempt(s)", m->cfg->name,
				 m->failures);
		m->failures = 0;
		m->swept = FALSE;
	}
	if (store_mailbox_state_get(m->ingest->store, m->cfg->name,
				    &stored_validity, last_uid_r, &serr) < 0) {
		log_error("mailbox %s: %s", m->cfg->name, serr);
		g_free(serr);
		m->failures++;
		m->next_run = daemon_now() + DAEMON_BACKOFF_MIN;
		return -1;
	}
	validity = imap_source_uidvalidity(m->src);
	if (stored_validity != validity) {
		if (stored_validity != 0)
			log_warnx("mailbox %s: UIDVALIDITY changed from %u to "
				  "%u: scanning the folder again (stored "
				  "messages are recognised by Message-ID)",
				  m->cfg->name, stored_validity, validity);
		*last_uid_r = 0;
	}
	*uidvalidity_r = validity;
	if (!m->swept)
		daemon_mailbox_sweep(m, *last_uid_r);
	return 0;
}

static int daemon_batch_store(struct daemon_mailbox *m,
			      struct daemon_fetch *f, unsigned *fetched_r);

/* One batch: fetch up to batch_size messages, ingest them in one
   transaction (a savepoint each), commit, then mark them processed on the
   server.  *fetched_r gets the number fetched.  Returns 0, or -1 when the
   mailbox could not be worked through (logged, retry scheduled). */
static int
daemon_batch(struct daemon_mailbox *m, struct daemon_fetch *f,
	     unsigned *fetched_r)
{
	int rc;

	g_array_set_size(f->uids, 0);
	g_atomic_int_inc(&m->daemon->ingesting);
	rc = daemon_batch_store(m, f, fetched_r);
	if (g_atomic_int_dec_and_test(&m->daemon->ingesting))
		daemon_kick(m->daemon);
	return rc;
}

/* daemon_batch() with the indexer held off. */
static int
daemon_batch_store(struct daemon_mailbox *m, struct daemon_fetch *f,
		   unsigned *fetched_r)
{
	struct imap_source_callbacks cbs = {
		.message = daemon_on_message,
		.group = daemon_on_group,
		.prepare = daemon_prepare,
		.free_prepared = daemon_free_prepared,
		.ctx = f,
	};
	const char *error;
	int rc;

	f->committed = 0;
	rc = imap_source_fetch(m->src, f->last_uid,
			       (unsigned)m->cfg->batch_size, &cbs, fetched_r,
			       &error);
	/* A stop between the messages of a group leaves its transaction
	   open: what was stored is committed all the same. */
	daemon_on_group(f);
	if (f->uids->len > 0) {
		uint32_t *uids = (uint32_t *)(void *)f->uids->data;
		const char *merr;

		f->last_uid = uids[f->uids->len - 1];
		daemon_kick(m->daemon);
		if (imap_source_is_connected(m->src) &&
		    imap_source_mark_processed(m->src, uids, f->uids->len,
					       &merr) != IMAP_SOURCE_OK)
			log_warnx("mailbox %s: %u message(s) stored but not "
				  "marked processed on the server: %s",
				  m->cfg->name, f->uids->len, merr);
	}
	if (f->store_error != NULL || f->error != NULL) {
		/* The database or the store refused a message: it stays
		   unprocessed on the server and is tried again later. */
		log_error("mailbox %s: message(s) not stored, will retry: %s",
			  m->cfg->name, f->store_error != NULL ?
			  f->store_error : f->error);
		g_clear_pointer(&f->store_error, g_free);
		g_clear_pointer(&f->error, g_free);
		if (rc == IMAP_SOURCE_OK) {
			m->failures++;
			m->next_run = daemon_now() + DAEMON_BACKOFF_MIN;
			return -1;
		}
	}
	if (rc != IMAP_SOURCE_OK) {
		daemon_mailbox_failed(m, rc, "fetch", error);
		return -1;
	}
	return 0;
}

/* Process everything new in one mailbox.  Returns 0, or -1 when the
   mailbox could not be worked through. */
static int
daemon_mailbox_run(struct daemon *d, struct daemon_mailbox *m)
{
	struct daemon_fetch f = { .daemon = d, .mailbox = m };
	int result = 0;

	if (daemon_mailbox_open(m, &f.uidvalidity, &f.last_uid) < 0)
		return -1;
	f.uids = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	for (;;) {
		unsigned fetched = 0;

		if (daemon_batch(m, &f, &fetched) < 0) {
			result = -1;
			break;
		}
		if (*d->options->stop || fetched < (unsigned)m->cfg->batch_size)
			break;
	}
	g_array_free(f.uids, TRUE);
	if (result == 0) {
		if (m->failures > 0 && imap_source_is_connected(m->src))
			log_info("mailbox %s: working again", m->cfg->name);
		m->failures = 0;
		m->next_run = daemon_now() + m->cfg->poll_seconds;
	}
	return result;
}

/* ---- workers ---- */

/* Open the worker's own database connection and ingest context; logs and
   returns -1 on failure. */
static int
daemon_worker_open(struct daemon_mailbox *m)
{
	const struct config *config = m->daemon->config;
	char *error = NULL;

	if (m->own_ready)
		return 0;
	if (m->store == NULL)
		m->store = store_open(config->db_path, &error);
	if (m->store == NULL ||
	    ingest_init(&m->own, config, m->store, m->templates, &error) < 0) {
		log_error("mailbox %s: %s", m->cfg->name, error);
		g_free(error);
		return -1;
	}
	m->own_ready = TRUE;
	m->ingest = &m->own;
	return 0;
}

/* Wait until the mailbox is due again: in IDLE when connected to a
   server that has it (new mail ends the wait at once), else sleeping. */
static void
daemon_worker_wait(struct daemon_mailbox *m)
{
	volatile int *stop = m->daemon->options->stop;

	if (m->failures == 0 && imap_source_is_connected(m->src) &&
	    imap_source_has_idle(m->src)) {
		const char *error;
		int rc = imap_source_wait(m->src, DAEMON_IDLE_SECONDS, stop,
					  &error);

		if (rc != IMAP_SOURCE_OK)
			daemon_mailbox_failed(m, rc, "idle", error);
		else
			m->next_run = 0;	/* look now */
		return;
	}
	while (!*stop && daemon_now() < m->next_run)
		g_usleep(200 * 1000);
}

static gpointer
daemon_worker(gpointer data)
{
	struct daemon_mailbox *m = data;
	volatile int *stop = m->daemon->options->stop;

	while (!*stop) {
		if (daemon_worker_open(m) < 0) {
			for (int i = 0; i < DAEMON_BACKOFF_MAX * 5 && !*stop;
			     i++)
				g_usleep(200 * 1000);
			continue;
		}
		if (daemon_now() >= m->next_run)
			daemon_mailbox_run(m->daemon, m);
		if (!*stop)
			daemon_worker_wait(m);
	}
	imap_source_disconnect(m->src);
	return NULL;
}

/* ---- main thread ---- */

/* Send, run the timers, and wait to be kicked or for the next tick. */
static void
daemon_main_loop(struct daemon *d)
{
	const struct daemon_options *options = d->options;
	gint64 last_tick = 0;

	while (!*options->stop) {
		gint64 now = daemon_now(), wait_until;

		if (now - last_tick >= DAEMON_TICK_SECONDS) {
			gint64 wall = g_get_real_time() / G_USEC_PER_SEC;

			workflow_tick(d->ingest, wall);
			rules_tick(d->ingest, wall);
			last_tick = now;
		}
		outbox_flush(d->outbox, FALSE, NULL);
		wait_until = g_get_monotonic_time() + G_USEC_PER_SEC;
		g_mutex_lock(&d->lock);
		while (!d->kicked && !*options->stop &&
		       g_cond_wait_until(&d->wake, &d->lock, wait_until))
			;
		d->kicked = FALSE;
		g_mutex_unlock(&d->lock);
	}
}

/* --once: send what the batches commit while the next ones are ingested,
   on a database connection and SMTP connection of its own. */
static gpointer
daemon_sender(gpointer data)
{
	struct daemon *d = data;
	struct outbox *outbox;
	struct store *store;
	char *error = NULL;
	gboolean done = FALSE;

	store = store_open(d->config->db_path, &error);
	if (store == NULL) {
		/* the main thread sends it all at the end */
		log_warnx("sender: %s", error);
		g_free(error);
		return NULL;
	}
	outbox = outbox_new(&d->config->smtp, store);
	while (!done && !*d->options->stop) {
		outbox_flush(outbox, FALSE, NULL);
		g_mutex_lock(&d->lock);
		while (!d->kicked && !d->once_done && !*d->options->stop &&
		       g_cond_wait_until(&d->wake, &d->lock,
					 g_get_monotonic_time() +
					 G_USEC_PER_SEC))
			;
		d->kicked = FALSE;
		done = d->once_done;
		g_mutex_unlock(&d->lock);
	}
	outbox_free(outbox);
	store_close(store);
	return NULL;
}

/* --once: ingest every mailbox with a sender thread alongside, run the
   timers, then send everything still queued.  Returns the exit status. */
static int
daemon_once(struct daemon *d)
{
	struct ingest *ingest = d->ingest;
	int status = DAEMON_EXIT_OK;
	GThread *sender;

	sender = g_thread_new("sender", daemon_sender, d);
	for (guint i = 0; i < d->mailboxes->len && !*d->options->stop; i++)
		if (daemon_mailbox_run(d, d->mailboxes->pdata[i]) < 0)
			status = DAEMON_EXIT_TEMPFAIL;
	workflow_tick(ingest, g_get_real_time() / G_USEC_PER_SEC);
	rules_tick(ingest, g_get_real_time() / G_USEC_PER_SEC);
	g_mutex_lock(&d->lock);
	d->once_done = TRUE;
	g_cond_broadcast(&d->wake);
	g_mutex_unlock(&d->lock);
	g_thread_join(sender);
	outbox_flush(d->outbox, TRUE, NULL);
	return status;
}

static void
daemon_free_mailbox(struct daemon_mailbox *m)
{
	imap_source_free(m->src);
	if (m->own_ready)
		ingest_deinit(&m->own);
	store_close(m->store);
	template_set_free(m->templates);
	g_free(m);
}

int
daemon_run(struct ingest *ingest, const struct daemon_options *options)
{
	const struct config *config = ingest->config;
	struct daemon d = { .config = config, .options = options };
	int status = DAEMON_EXIT_OK;

	g_mutex_init(&d.lock);
	g_cond_init(&d.wake);
	g_cond_init(&d.index_wake);
	d.ingest = ingest;
	d.outbox = outbox_new(&config->smtp, ingest->store);
	d.mailboxes = g_ptr_array_new();
	for (guint i = 0; i < config->mailboxes->len; i++) {
		const struct config_mailbox *cfg = config->mailboxes->pdata[i];
		struct daemon_mailbox *m;

		if (cfg->imap_url == NULL) {
			log_info("mailbox %s: no imap URL: its mail comes "
				 "through ticketd --stdin only", cfg->name);
			continue;
		}
		m = g_new0(struct daemon_mailbox, 1);
		m->daemon = &d;
		m->cfg = cfg;
		m->src = imap_source_new(m->cfg);
		m->ingest = ingest;
		g_ptr_array_add(d.mailboxes, m);
	}

	/* --once leaves the search index to the daemon and to ticketctl
	   search, which catch it up: it is most of the cost of storing a
	   message and nothing waits for it. */
	if (!options->once)
		d.indexer = g_thread_new("indexer", daemon_indexer, &d);
	if (options->once) {
		status = daemon_once(&d);
	} else {
		for (guint i = 0; i < d.mailboxes->len; i++) {
			struct daemon_mailbox *m = d.mailboxes->pdata[i];
			char *name = g_strdup_printf("mbox-%s", m->cfg->name);

			m->templates = template_set_new(
				config->templates_dir,
				TICKETD_DATADIR "/templates");
			m->thread = g_thread_new(name, daemon_worker, m);
			g_free(name);
		}
		daemon_main_loop(&d);
		for (guint i = 0; i < d.mailboxes->len; i++) {
			struct daemon_mailbox *m = d.mailboxes->pdata[i];

			g_thread_join(m->thread);
		}
		/* What the workers stored last goes out before we stop. */
		outbox_flush(d.outbox, FALSE, NULL);
	}

	if (d.indexer != NULL)
		g_thread_join(d.indexer);
	for (guint i = 0; i < d.mailboxes->len; i++)
		daemon_free_mailbox(d.mailboxes->pdata[i]);
	g_ptr_array_free(d.mailboxes, TRUE);
	outbox_free(d.outbox);
	g_cond_clear(&d.wake);
	g_cond_clear(&d.index_wake);
	g_mutex_clear(&d.lock);
	return status;
}
