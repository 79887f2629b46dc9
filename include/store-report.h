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

void store_csat_row_free(struct store_csat_row *row);

#endif
