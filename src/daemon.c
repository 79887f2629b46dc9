/* The daemon's main loop. */
#include "autodefs.h"

#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "imap-source.h"
#include "ingest.h"
#include "log.h"
#include "outbox.h"
#include "rules.h"
#include "workflow.h"

#define DAEMON_BACKOFF_MIN 5
#define DAEMON_BACKOFF_MAX 300

struct daemon_mailbox {
	const struct config_mailbox *cfg;	/* borrowed */
	struct imap_source *src;
	gint64 next_run;	/* monotonic seconds */
	int failures;		/* consecutive failed attempts */
};

struct daemon {
	const struct config *config;
	const struct daemon_options *options;
	struct ingest *ingest;
	struct outbox *outbox;
	GPtrArray *mailboxes;	/* struct daemon_mailbox * */
};

/* Per-fetch state handed to the IMAP callback. */
struct daemon_fetch {
	struct daemon *daemon;
	struct daemon_mailbox *mailbox;
	uint32_t uidvalidity;
	GArray *uids;		/* uint32_t: committed, to mark processed */
	uint32_t last_uid;
	char *error;		/* owned: why ingest stopped */
};

static gint64
daemon_now(void)
{
	return g_get_monotonic_time() / G_USEC_PER_SEC;
}

static int
daemon_on_message(uint32_t uid, const char *data, size_t len, void *ctx)
{
	struct daemon_fetch *f = ctx;
	struct ingest_position pos = { f->uidvalidity, uid };
	enum ingest_result result;
	gint64 ticket_id;

	if (*f->daemon->options->stop)
		return -1;
	if (ingest_message(f->daemon->ingest, f->mailbox->cfg, data, len,
			   &pos, &result, &ticket_id, &f->error) < 0)
		return -1;
	g_array_append_val(f->uids, uid);
	f->last_uid = uid;
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

/* Connect if needed and check UIDVALIDITY; returns the last processed UID
   in *last_uid_r, or -1 after logging. */
static int
daemon_mailbox_open(struct daemon *d, struct daemon_mailbox *m,
		    uint32_t *uidvalidity_r, uint32_t *last_uid_r)
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
	}
	if (store_mailbox_state_get(d->ingest->store, m->cfg->name,
				    &stored_validity, last_uid_r, &serr) < 0) {
		log_error("mailbox %s: %s", m->cfg->name, serr);
		g_free(serr);
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
	return 0;
}

/* Process everything new in one mailbox.  Returns 0, or -1 when the
   mailbox could not be worked through. */
static int
daemon_mailbox_run(struct daemon *d, struct daemon_mailbox *m)
{
	struct daemon_fetch f = { .daemon = d, .mailbox = m };
	const char *error;
	int result = 0;

	if (daemon_mailbox_open(d, m, &f.uidvalidity, &f.last_uid) < 0)
		return -1;
	f.uids = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	for (;;) {
		unsigned fetched = 0;
		int rc;

		g_array_set_size(f.uids, 0);
		rc = imap_source_fetch(m->src, f.last_uid,
				       (unsigned)m->cfg->batch_size,
				       daemon_on_message, &f, &fetched,
				       &error);
		/* What was committed is marked even when the fetch broke
		   off: its tickets exist. */
		if (f.uids->len > 0 && imap_source_is_connected(m->src)) {
			const char *merr;

			if (imap_source_mark_processed(
				    m->src, (uint32_t *)(void *)f.uids->data,
				    f.uids->len, &merr) != IMAP_SOURCE_OK)
				log_warnx("mailbox %s: %u message(s) stored "
					  "but not marked processed on the "
					  "server: %s", m->cfg->name,
					  f.uids->len, merr);
		}
		if (rc != IMAP_SOURCE_OK) {
			daemon_mailbox_failed(m, rc, "fetch", error);
			result = -1;
			break;
		}
		if (f.error != NULL) {
			/* The store refused: the message stays unprocessed
			   on the server and is tried again later. */
			log_error("mailbox %s: message not stored, will retry: "
				  "%s", m->cfg->name, f.error);
			g_clear_pointer(&f.error, g_free);
			m->failures++;
			m->next_run = daemon_now() + DAEMON_BACKOFF_MIN;
			result = -1;
			break;
		}
		if (*d->options->stop || fetched < (unsigned)m->cfg->batch_size)
			break;
	}
	g_array_free(f.uids, TRUE);
	if (result == 0)
		m->next_run = daemon_now() + m->cfg->poll_seconds;
	return result;
}

/* Sleep until something is due, in IDLE when there is one mailbox whose
   server has it. */
static void
daemon_wait(struct daemon *d)
{
	gint64 now = daemon_now(), until = now + 3600;
	int outbox_due = outbox_next_due(d->outbox);
	struct daemon_mailbox *idle_on = NULL;

	for (guint i = 0; i < d->mailboxes->len; i++) {
		struct daemon_mailbox *m = d->mailboxes->pdata[i];

		until = MIN(until, m->next_run);
	}
	if (outbox_due >= 0)
		until = MIN(until, now + outbox_due);
	if (d->mailboxes->len == 1) {
		struct daemon_mailbox *m = d->mailboxes->pdata[0];

		if (imap_source_is_connected(m->src) &&
		    imap_source_has_idle(m->src))
			idle_on = m;
	}
	if (idle_on != NULL && until > now) {
		const char *error;
		int rc = imap_source_wait(idle_on->src, (int)(until - now),
					  d->options->stop, &error);

		if (rc != IMAP_SOURCE_OK)
			daemon_mailbox_failed(idle_on, rc, "idle", error);
		else
			idle_on->next_run = 0;	/* look now */
		return;
	}
	while (!*d->options->stop && daemon_now() < until)
		g_usleep(200 * 1000);
}

int
daemon_run(struct ingest *ingest, const struct daemon_options *options)
{
	const struct config *config = ingest->config;
	struct daemon d = { .config = config, .options = options };
	int status = DAEMON_EXIT_OK;

	d.ingest = ingest;
	d.outbox = outbox_new(&config->smtp, ingest->store);
	d.mailboxes = g_ptr_array_new();
	for (guint i = 0; i < config->mailboxes->len; i++) {
		struct daemon_mailbox *m = g_new0(struct daemon_mailbox, 1);

		m->cfg = config->mailboxes->pdata[i];
		m->src = imap_source_new(m->cfg);
		g_ptr_array_add(d.mailboxes, m);
	}

	while (!*options->stop) {
		gint64 now = daemon_now();

		for (guint i = 0; i < d.mailboxes->len && !*options->stop;
		     i++) {
			struct daemon_mailbox *m = d.mailboxes->pdata[i];

			if (!options->once && m->next_run > now)
				continue;
			if (daemon_mailbox_run(&d, m) < 0 && options->once)
				status = DAEMON_EXIT_TEMPFAIL;
		}
		workflow_tick(ingest, g_get_real_time() / G_USEC_PER_SEC);
		rules_tick(ingest, g_get_real_time() / G_USEC_PER_SEC);
		outbox_flush(d.outbox, options->once, NULL);
		if (options->once)
			break;
		daemon_wait(&d);
	}

	for (guint i = 0; i < d.mailboxes->len; i++) {
		struct daemon_mailbox *m = d.mailboxes->pdata[i];

		imap_source_free(m->src);
		g_free(m);
	}
	g_ptr_array_free(d.mailboxes, TRUE);
	outbox_free(d.outbox);
	return status;
}
