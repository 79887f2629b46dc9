/* Outbox: queue, retry with back-off, hand to SMTP. */
#include "autodefs.h"

#include "log.h"
#include "outbox.h"
#include "smtp.h"

#define OUTBOX_BATCH 100
#define OUTBOX_BACKOFF_MIN 60
#define OUTBOX_BACKOFF_MAX 3600

struct outbox {
	const struct config_smtp *cfg;	/* borrowed */
	struct store *store;		/* borrowed */
	struct smtp_client *smtp;
	gint64 server_down_until;	/* no attempts before this */
	int server_failures;		/* consecutive connection failures */
};

struct outbox *
outbox_new(const struct config_smtp *cfg, struct store *store)
{
	struct outbox *outbox = g_new0(struct outbox, 1);

	outbox->cfg = cfg;
	outbox->store = store;
	outbox->smtp = smtp_client_new(cfg);
	return outbox;
}

void
outbox_free(struct outbox *outbox)
{
	if (outbox == NULL)
		return;
	smtp_client_free(outbox->smtp);
	g_free(outbox);
}

int
outbox_backoff_seconds(int attempts)
{
	int delay = OUTBOX_BACKOFF_MIN;

	for (int i = 1; i < attempts && delay < OUTBOX_BACKOFF_MAX; i++)
		delay *= 2;
	return MIN(delay, OUTBOX_BACKOFF_MAX);
}

/* Back-off with +-25 % jitter so that many mails do not retry at once. */
static int
outbox_jittered(int attempts)
{
	int delay = outbox_backoff_seconds(attempts);

	return delay - delay / 4 + g_random_int_range(0, delay / 2 + 1);
}

static gint64
outbox_now(void)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

/* Has item been queued longer than max_retry_hours? */
static gboolean
outbox_expired(const struct outbox *outbox,
	       const struct store_outbox_item *item)
{
	return outbox_now() - item->created >
	       (gint64)outbox->cfg->max_retry_hours * 3600;
}

/* Record the outcome of one attempt.  Returns -1 if the store failed. */
static int
outbox_record(struct outbox *outbox, const struct store_outbox_item *item,
	      int status, const char *error)
{
	gint64 now = outbox_now();
	char *err = NULL;
	int rc;

	if (status == SMTP_OK) {
		rc = store_outbox_mark_sent(outbox->store, item, now, &err);
		if (rc == 0)
			log_info("ticket %" G_GINT64_FORMAT ": mail %"
				 G_GINT64_FORMAT " sent to %s",
				 item->ticket_id, item->id, item->rcpt_to[0]);
	} else if (status == SMTP_PERM || outbox_expired(outbox, item)) {
		rc = store_outbox_mark_failed(outbox->store, item->id, error,
					      &err);
		log_error("ticket %" G_GINT64_FORMAT ": mail %" G_GINT64_FORMAT
			  " to %s failed for good: %s", item->ticket_id,
			  item->id, item->rcpt_to[0], error);
	} else {
		int delay = outbox_jittered(item->attempts + 1);

		rc = store_outbox_mark_retry(outbox->store, item->id,
					     item->attempts + 1, now + delay,
					     error, &err);
		log_debug("mail %" G_GINT64_FORMAT ": retry in %d s", item->id,
			  delay);
	}
	if (rc < 0) {
		log_error("outbox: %s", err);
		g_free(err);
	}
	return rc;
}

/* One round of outbox_flush(): the items being sent. */
struct outbox_round {
	struct outbox *outbox;
	guint total;		/* items in the round */
	guint ended;		/* items reported so far */
	unsigned sent;
	gboolean stop;		/* the server is away, or the store failed */
};

/* A mail's SMTP transaction ended: record it at once. */
static int
outbox_done(struct smtp_job *job, void *ctx)
{
	struct outbox_round *r = ctx;
	struct outbox *outbox = r->outbox;
	const struct store_outbox_item *item = job->user;

	r->ended++;
	if (outbox_record(outbox, item, job->status, job->error) < 0)
		r->stop = TRUE;
	if (job->status == SMTP_OK) {
		r->sent++;
		outbox->server_failures = 0;
	} else if (job->status == SMTP_TEMP && outbox_expired(outbox, item)) {
		/* marked failed for good by outbox_record(): the next one
		   may be expired too */
	} else if (job->status == SMTP_TEMP && !r->stop) {
		/* Most likely the server is away: one log line, then wait
		   for the back-off (mails still in flight end quietly). */
		outbox->server_failures++;
		outbox->server_down_until = outbox_now() +
			outbox_jittered(outbox->server_failures);
		log_warnx("outbox: %s; %u mail(s) wait for the next attempt",
			  job->error, r->total - r->ended + 1);
		r->stop = TRUE;
	}
	g_clear_pointer(&job->error, g_free);
	return r->stop ? -1 : 0;
}

int
outbox_flush(struct outbox *outbox, gboolean force, unsigned *sent_r)
{
	unsigned sent = 0;
	int result = 0;
	gint64 now = outbox_now();

	if (sent_r != NULL)
		*sent_r = 0;
	if (!force && now < outbox->server_down_until)
		return -1;
	/* A "sent" mark need not wait for the disk: if the process dies it
	   is kept; a power cut may lose the last marks, and those mails are
	   sent again (never lost).  The next synced commit makes them
	   durable. */
	store_set_synced(outbox->store, FALSE, NULL);
	for (;;) {
		struct outbox_round r = { .outbox = outbox };
		struct smtp_job *jobs, **ptrs;
		GPtrArray *items;
		char *err = NULL;

		/* force: everything queued, whatever its schedule */
		if (store_outbox_due(outbox->store,
				     force ? G_MAXINT64 : outbox_now(),
				     OUTBOX_BATCH, &items, &err) < 0) {
			log_error("outbox: %s", err);
			g_free(err);
			result = -1;
			break;
		}
		if (items->len == 0) {
			g_ptr_array_unref(items);
			break;
		}
		jobs = g_new0(struct smtp_job, items->len);
		ptrs = g_new(struct smtp_job *, items->len);
		for (guint i = 0; i < items->len; i++) {
			struct store_outbox_item *item = items->pdata[i];

			jobs[i].mail_from = item->mail_from;
			jobs[i].rcpt_to = (const char *const *)item->rcpt_to;
			jobs[i].data = item->data;
			jobs[i].user = item;
			ptrs[i] = &jobs[i];
		}
		r.total = items->len;
		smtp_client_send_many(outbox->smtp, ptrs, items->len,
				      outbox_done, &r);
		sent += r.sent;
		g_free(ptrs);
		g_free(jobs);
		g_ptr_array_unref(items);
		if (r.stop) {
			result = -1;
			break;
		}
	}
	store_set_synced(outbox->store, TRUE, NULL);
	if (sent_r != NULL)
		*sent_r = sent;
	return result;
}

int
outbox_next_due(struct outbox *outbox)
{
	gint64 when, now = outbox_now();
	char *err = NULL;

	if (store_outbox_next_time(outbox->store, &when, &err) < 0) {
		log_error("outbox: %s", err);
		g_free(err);
		return -1;
	}
	if (when == 0)
		return -1;
	when = MAX(when, outbox->server_down_until);
	return when <= now ? 0 : (int)MIN(when - now, G_MAXINT);
}
