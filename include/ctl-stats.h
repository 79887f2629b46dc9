#ifndef TICKETD_CTL_STATS_H
#define TICKETD_CTL_STATS_H

#include <glib.h>

#include "ctl-common.h"
#include "store-report.h"

/*
 * ticketctl stats and report (ctl-stats.c, ctl-report.c): figures over a
 * span of days, and an HTML page of charts made from them.
 *
 *   ticketctl stats [--since DATE] [--until DATE] [--mailbox NAME] [--json]
 *   ticketctl report --html FILE [--since DATE] [--until DATE] [--mailbox]
 */

/* CSAT figures of a group of surveys. */
struct ctl_csat {
	int sent;
	int count;		/* rated */
	int sum;
	int dist[6];		/* [1..5]: how many gave that rating */
};

/* The figures of all tickets, of one mailbox or of one agent. */
struct ctl_stats_group {
	int tickets;		/* created in the span */
	GArray *first_response;	/* gint64 seconds, sorted */
	GArray *resolution;	/* gint64 seconds, sorted */
	int resolved;		/* resolved (now or before a reopen) */
	int reopened;		/* with a "reopened" event */
	struct ctl_csat csat;
};

struct ctl_stats {
	gint64 since, until;	/* the span asked for (0: open) */
	struct ctl_stats_group all;
	GHashTable *mailboxes;	/* name -> struct ctl_stats_group * */
	GHashTable *agents;	/* address or "(none)" -> group */
	GHashTable *by_status;	/* status -> count (GINT_TO_POINTER) */
	gint64 first_day;	/* UTC midnight of the first day shown */
	int days;		/* number of days shown (0: none) */
	int *created_per_day;	/* [days] tickets created that day */
	int *backlog_per_day;	/* [days] tickets open at the day's end */
};

/* Compute the figures of filter f from the store into a new *stats_r
   (free with ctl_stats_free()). */
int ctl_stats_compute(struct store *store, const struct store_report_filter *f,
		      struct ctl_stats **stats_r, char **error_r);

void ctl_stats_free(struct ctl_stats *stats);

/* The nearest-rank percentile p (0..100) of a sorted GArray of gint64;
   -1 when empty. */
gint64 ctl_stats_percentile(const GArray *sorted, int p);

/* Run "stats"; returns the exit status. */
int ctl_stats_main(struct ctl *ctl, int argc, char **argv);

/* Run "report"; returns the exit status. */
int ctl_report_main(struct ctl *ctl, int argc, char **argv);

/* Write the self-contained HTML report of stats (title names the span and
   mailbox) to path.  Returns 0, or -1 with *error_r set. */
int ctl_report_write(const struct ctl_stats *stats, const char *title,
		     const char *path, char **error_r);

#endif
