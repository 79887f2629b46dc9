#ifndef TICKETD_OUTBOX_H
#define TICKETD_OUTBOX_H

#include <glib.h>

#include "config.h"
#include "store.h"

/*
 * Sending the outbox.  Each queued mail stays in the store until the SMTP
 * server accepted it; a temporary failure reschedules it with exponential
 * back-off and jitter (1 minute doubling to 1 hour), a permanent one (5xx)
 * or one older than max_retry_hours marks it failed.  The at-least-once
 * window is one mail: the SMTP server accepted it but ticketd died before
 * it recorded that.
 */
struct outbox;

/* An outbox sender for cfg (borrowed) and store (borrowed). */
struct outbox *outbox_new(const struct config_smtp *cfg, struct store *store);

/* Free; outbox_free(NULL) is a no-op. */
void outbox_free(struct outbox *outbox);

/* Send what is due.  force: ignore back-off times and send everything
   queued (ticketd --once).  *sent_r (may be NULL) gets the number sent.
   Returns 0 when the outbox was worked through, -1 when sending stopped
   early (server down: the rest waits for the back-off). */
int outbox_flush(struct outbox *outbox, gboolean force, unsigned *sent_r);

/* Seconds until the next queued mail is due (0: now), or -1 when none. */
int outbox_next_due(struct outbox *outbox);

/* Back-off in seconds before attempt number attempts + 1 (no jitter). */
int outbox_backoff_seconds(int attempts);

#endif
