#ifndef TICKETD_STORE_REPORT_H
#define TICKETD_STORE_REPORT_H

#include <glib.h>

#include "store.h"

/*
 * Read-only queries for reports and statistics (store-report.c).  Same
 * conventions as store.h.
 */

/* One sent survey, for CSAT figures. */
struct store_csat_row {
	char *mailbox;
	char *agent;		/* assignee, else the first agent who
				   replied, else "" */
	int rating;		/* 0: not rated */
};

struct store_report_filter {
	const char *mailbox;	/* NULL: all */
	gint64 since;		/* 0: no lower bound */
	gint64 until;		/* 0: no upper bound */
};

/* Every survey sent in the filter's span, into a new array of struct
   store_csat_row *. */
int store_csat_rows(struct store *store, const struct store_report_filter *f,
		    GPtrArray **rows_r, char **error_r);

/* Tickets created in the span by status: fills a new hash table of
   status (char *, owned) -> count (GINT_TO_POINTER). */
int store_status_counts(struct store *store,
			const struct store_report_filter *f,
			GHashTable **counts_r, char **error_r);

/* One ticket's times, for response-time, resolution and backlog
   figures.  Strings owned. */
struct store_ticket_times {
	gint64 id;
	char *mailbox;
	char *agent;		/* as in struct store_csat_row */
	char *status;
	gint64 created;
	gint64 first_response;	/* 0: none */
	gint64 resolved;	/* 0: not resolved */
	gint64 closed;		/* 0: not closed */
	int reopened;		/* number of "reopened" events */
};

/* Tickets created before the filter's until (since is not applied: the
   caller needs older tickets for the backlog), only of its mailbox,
   oldest first, into a new array of struct store_ticket_times *. */
int store_ticket_times(struct store *store,
		       const struct store_report_filter *f,
		       GPtrArray **rows_r, char **error_r);

void store_csat_row_free(struct store_csat_row *row);
void store_ticket_times_free(struct store_ticket_times *row);

#endif
