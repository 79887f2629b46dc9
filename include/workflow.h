#ifndef TICKETD_WORKFLOW_H
#define TICKETD_WORKFLOW_H

#include <glib.h>

#include "config.h"
#include "ingest.h"
#include "store.h"

/*
 * The ticket lifecycle: new -> open -> pending -> open ... -> resolved ->
 * closed.  Every change is written to the ticket and recorded as an event
 * (who, what, when, from which message).  These run inside the caller's
 * transaction, except workflow_tick(), which makes its own.
 */

/* TRUE for new, open, pending, resolved and closed. */
gboolean workflow_status_valid(const char *status);

/* TRUE for low, normal, high and urgent. */
gboolean workflow_priority_valid(const char *priority);

/* Set t's status (t is updated in memory and in the store); resolving
   records the resolution time, closing the closing time, reopening clears
   both.  what is the event ("status", "reopened", "autoclosed"). */
int workflow_set_status(struct ingest *ingest, struct store_ticket *t,
			const char *status, const char *what,
			const char *actor, gint64 row, char **error_r);

/* Assign t to the agent address who. */
int workflow_assign(struct ingest *ingest, struct store_ticket *t,
		    const char *who, const char *actor, gint64 row,
		    char **error_r);

/* Set t's priority. */
int workflow_set_priority(struct ingest *ingest, struct store_ticket *t,
			  const char *priority, const char *actor, gint64 row,
			  char **error_r);

/* Escalate t to tier 2: a mail to the mailbox's tier2 group (or its agents
   when it has none), an event what ("escalated", "sla-first-response",
   "sla-resolution") with reason, the priority raised one step. */
int workflow_escalate(struct ingest *ingest, const struct config_mailbox *mb,
		      struct store_ticket *t, const char *what,
		      const char *reason, const char *actor, gint64 row,
		      char **error_r);

/* Merge t into ticket into: its messages and participants move there, t
   is closed with merged_into set. */
int workflow_merge(struct ingest *ingest, struct store_ticket *t,
		   gint64 into, const char *actor, gint64 row,
		   char **error_r);

/* The agent address an "#assign WHO" means in mb: an agent's address, or
   the agent whose local part is WHO; NULL when none.  Borrowed. */
const char *workflow_find_agent(const struct config_mailbox *mb,
				const char *who);

/* Fire due SLA timers and close resolved tickets past autoclose_days, in
   every mailbox.  Returns 0, or -1 after logging a store error. */
int workflow_tick(struct ingest *ingest, gint64 now);

#endif
