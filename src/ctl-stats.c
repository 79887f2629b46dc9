/* ticketctl stats: ticket counts per status and per day, first-response
   and resolution times, reopen rate and CSAT, overall, per mailbox and per
   agent. */
#include "autodefs.h"

#include <stdlib.h>
#include <string.h>

#include "ctl-stats.h"
#include "log.h"

/* At most this many days are shown (ten years). */
#define CTL_STATS_MAX_DAYS 3660

static struct ctl_stats_group *
ctl_stats_group_new(void)
{
	struct ctl_stats_group *g = g_new0(struct ctl_stats_group, 1);

	g->first_response = g_array_new(FALSE, FALSE, sizeof(gint64));
	g->resolution = g_array_new(FALSE, FALSE, sizeof(gint64));
	return g;
}

static void
ctl_stats_group_clear(struct ctl_stats_group *g)
{
	g_array_unref(g->first_response);
	g_array_unref(g->resolution);
}

static void
ctl_stats_group_free(struct ctl_stats_group *g)
{
	if (g == NULL)
		return;
	ctl_stats_group_clear(g);
	g_free(g);
}

void
ctl_stats_free(struct ctl_stats *stats)
{
	if (stats == NULL)
		return;
	ctl_stats_group_clear(&stats->all);
	g_hash_table_unref(stats->mailboxes);
	g_hash_table_unref(stats->agents);
	if (stats->by_status != NULL)
		g_hash_table_unref(stats->by_status);
	g_free(stats->created_per_day);
	g_free(stats->backlog_per_day);
	g_free(stats);
}

static struct ctl_stats_group *
ctl_stats_group(GHashTable *groups, const char *key)
{
	struct ctl_stats_group *g;

	if (key == NULL || *key == '\0')
		key = "(none)";
	g = g_hash_table_lookup(groups, key);
	if (g == NULL) {
		g = ctl_stats_group_new();
		g_hash_table_insert(groups, g_strdup(key), g);
	}
	return g;
}

static void
ctl_stats_add_ticket(struct ctl_stats_group *g,
		     const struct store_ticket_times *t)
{
	g->tickets++;
	if (t->first_response > 0 && t->first_response >= t->created) {
		gint64 d = t->first_response - t->created;

		g_array_append_val(g->first_response, d);
	}
	if (t->resolved > 0 && t->resolved >= t->created) {
		gint64 d = t->resolved - t->created;

		g_array_append_val(g->resolution, d);
	}
	if (t->resolved > 0 || t->reopened > 0)
		g->resolved++;
	if (t->reopened > 0)
		g->reopened++;
}

static void
ctl_stats_add_csat(struct ctl_csat *c, int rating)
{
	c->sent++;
	if (rating >= 1 && rating <= 5) {
		c->count++;
		c->sum += rating;
		c->dist[rating]++;
	}
}

static gint
ctl_stats_cmp64(gconstpointer a, gconstpointer b)
{
	gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

	return x < y ? -1 : x > y;
}

static void
ctl_stats_group_sort(struct ctl_stats_group *g)
{
	g_array_sort(g->first_response, ctl_stats_cmp64);
	g_array_sort(g->resolution, ctl_stats_cmp64);
}

gint64
ctl_stats_percentile(const GArray *sorted, int p)
{
	guint rank;

	if (sorted->len == 0)
		return -1;
	/* nearest rank: ceil(p / 100 * n), 1-based */
	rank = (guint)((p * (gint64)sorted->len + 99) / 100);
	if (rank < 1)
		rank = 1;
	if (rank > sorted->len)
		rank = sorted->len;
	return g_array_index(sorted, gint64, rank - 1);
}

/* Is ticket t open at time when? */
static gboolean
ctl_stats_open_at(const struct store_ticket_times *t, gint64 when)
{
	if (t->created >= when)
		return FALSE;
	if (t->resolved > 0 && t->resolved < when)
		return FALSE;
	if (t->closed > 0 && t->closed < when)
		return FALSE;
	return TRUE;
}

static void
ctl_stats_days(struct ctl_stats *s, GPtrArray *times)
{
	gint64 first = -1, last, now = g_get_real_time() / G_USEC_PER_SEC;

	if (s->since > 0)
		first = s->since;
	for (guint i = 0; first < 0 && i < times->len; i++) {
		const struct store_ticket_times *t = times->pdata[i];

		if (t->created >= s->since)
			first = t->created;
	}
	if (first < 0)
		return;
	last = s->until > 0 ? s->until - 1 : now;
	first -= first % 86400;
	last -= last % 86400;
	if (last < first)
		return;
	if ((last - first) / 86400 + 1 > CTL_STATS_MAX_DAYS)
		first = last - (CTL_STATS_MAX_DAYS - 1) * (gint64)86400;
	s->first_day = first;
	s->days = (int)((last - first) / 86400 + 1);
	s->created_per_day = g_new0(int, s->days);
	s->backlog_per_day = g_new0(int, s->days);
	for (guint i = 0; i < times->len; i++) {
		const struct store_ticket_times *t = times->pdata[i];
		gint64 d = (t->created - first) / 86400;

		if (t->created >= first && d < s->days)
			s->created_per_day[d]++;
		for (int day = 0; day < s->days; day++) {
			gint64 end = first + (gint64)(day + 1) * 86400;

			if (end > now + 86400)
				break;
			if (ctl_stats_open_at(t, MIN(end, now + 1)))
				s->backlog_per_day[day]++;
		}
	}
}

int
ctl_stats_compute(struct store *store, const struct store_report_filter *f,
		  struct ctl_stats **stats_r, char **error_r)
{
	struct ctl_stats *s = g_new0(struct ctl_stats, 1);
	GPtrArray *csat = NULL, *times = NULL;
	GHashTableIter it;
	gpointer value;

	s->since = f->since;
	s->until = f->until;
	s->all.first_response = g_array_new(FALSE, FALSE, sizeof(gint64));
	s->all.resolution = g_array_new(FALSE, FALSE, sizeof(gint64));
	s->mailboxes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
		(GDestroyNotify)ctl_stats_group_free);
	s->agents = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
		(GDestroyNotify)ctl_stats_group_free);
	if (store_status_counts(store, f, &s->by_status, error_r) < 0 ||
	    store_csat_rows(store, f, &csat, error_r) < 0 ||
	    store_ticket_times(store, f, &times, error_r) < 0) {
		if (csat != NULL)
			g_ptr_array_unref(csat);
		ctl_stats_free(s);
		return -1;
	}
	for (guint i = 0; i < times->len; i++) {
		const struct store_ticket_times *t = times->pdata[i];

		if (t->created < f->since)
			continue;
		ctl_stats_add_ticket(&s->all, t);
		ctl_stats_add_ticket(ctl_stats_group(s->mailboxes, t->mailbox),
				     t);
		ctl_stats_add_ticket(ctl_stats_group(s->agents, t->agent), t);
	}
	for (guint i = 0; i < csat->len; i++) {
		const struct store_csat_row *r = csat->pdata[i];

		ctl_stats_add_csat(&s->all.csat, r->rating);
		ctl_stats_add_csat(&ctl_stats_group(s->mailboxes,
						    r->mailbox)->csat,
				   r->rating);
		ctl_stats_add_csat(&ctl_stats_group(s->agents,
						    r->agent)->csat,
				   r->rating);
	}
	ctl_stats_group_sort(&s->all);
	g_hash_table_iter_init(&it, s->mailboxes);
	while (g_hash_table_iter_next(&it, NULL, &value))
		ctl_stats_group_sort(value);
	g_hash_table_iter_init(&it, s->agents);
	while (g_hash_table_iter_next(&it, NULL, &value))
		ctl_stats_group_sort(value);
	ctl_stats_days(s, times);
	g_ptr_array_unref(csat);
	g_ptr_array_unref(times);
	*stats_r = s;
	return 0;
}

/* --- output ------------------------------------------------------------- */

static void
ctl_stats_json_csat(JsonBuilder *b, const struct ctl_csat *c)
{
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "average");
	if (c->count > 0)
		json_builder_add_double_value(b, (double)c->sum / c->count);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "count");
	json_builder_add_int_value(b, c->count);
	json_builder_set_member_name(b, "distribution");
	json_builder_begin_object(b);
	for (int r = 1; r <= 5; r++) {
		char key[2] = { (char)('0' + r), '\0' };

		json_builder_set_member_name(b, key);
		json_builder_add_int_value(b, c->dist[r]);
	}
	json_builder_end_object(b);
	json_builder_set_member_name(b, "surveys_sent");
	json_builder_add_int_value(b, c->sent);
	json_builder_set_member_name(b, "response_rate");
	if (c->sent > 0)
		json_builder_add_double_value(b, (double)c->count / c->sent);
	else
		json_builder_add_null_value(b);
	json_builder_end_object(b);
}

/* {"count": n, "median": s, "p90": s} (null when none). */
static void
ctl_stats_json_times(JsonBuilder *b, const char *name, const GArray *sorted)
{
	json_builder_set_member_name(b, name);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "count");
	json_builder_add_int_value(b, sorted->len);
	json_builder_set_member_name(b, "median");
	if (sorted->len > 0)
		json_builder_add_int_value(b,
					   ctl_stats_percentile(sorted, 50));
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "p90");
	if (sorted->len > 0)
		json_builder_add_int_value(b,
					   ctl_stats_percentile(sorted, 90));
	else
		json_builder_add_null_value(b);
	json_builder_end_object(b);
}

static void
ctl_stats_json_group(JsonBuilder *b, const struct ctl_stats_group *g)
{
	json_builder_set_member_name(b, "csat");
	ctl_stats_json_csat(b, &g->csat);
	json_builder_set_member_name(b, "tickets");
	json_builder_add_int_value(b, g->tickets);
	ctl_stats_json_times(b, "first_response", g->first_response);
	ctl_stats_json_times(b, "resolution", g->resolution);
	json_builder_set_member_name(b, "resolved");
	json_builder_add_int_value(b, g->resolved);
	json_builder_set_member_name(b, "reopened");
	json_builder_add_int_value(b, g->reopened);
	json_builder_set_member_name(b, "reopen_rate");
	if (g->resolved > 0)
		json_builder_add_double_value(b, (double)g->reopened /
					      g->resolved);
	else
		json_builder_add_null_value(b);
}

static gint
ctl_stats_cmp_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The keys of a table of groups, sorted; new array (keys borrowed). */
static GPtrArray *
ctl_stats_keys(GHashTable *table)
{
	GPtrArray *keys = g_ptr_array_new();
	GHashTableIter it;
	gpointer key;

	g_hash_table_iter_init(&it, table);
	while (g_hash_table_iter_next(&it, &key, NULL))
		g_ptr_array_add(keys, key);
	g_ptr_array_sort(keys, ctl_stats_cmp_str);
	return keys;
}

static void
ctl_stats_json_groups(JsonBuilder *b, const char *name, GHashTable *groups)
{
	GPtrArray *keys = ctl_stats_keys(groups);

	json_builder_set_member_name(b, name);
	json_builder_begin_object(b);
	for (guint i = 0; i < keys->len; i++) {
		json_builder_set_member_name(b, keys->pdata[i]);
		json_builder_begin_object(b);
		ctl_stats_json_group(b, g_hash_table_lookup(groups,
							    keys->pdata[i]));
		json_builder_end_object(b);
	}
	json_builder_end_object(b);
	g_ptr_array_unref(keys);
}

/* name: [{"date": "YYYY-MM-DD", key: per_day[d]}, ...] over s's days. */
static void
ctl_stats_json_days(JsonBuilder *b, const char *name, const char *key,
		    const struct ctl_stats *s, const int *per_day)
{
	json_builder_set_member_name(b, name);
	json_builder_begin_array(b);
	for (int d = 0; d < s->days; d++) {
		char *day = ctl_day(s->first_day + (gint64)d * 86400);

		json_builder_begin_object(b);
		ctl_json_string(b, "date", day);
		json_builder_set_member_name(b, key);
		json_builder_add_int_value(b, per_day[d]);
		json_builder_end_object(b);
		g_free(day);
	}
	json_builder_end_array(b);
}

static void
ctl_stats_print_json(const struct ctl_stats *s)
{
	JsonBuilder *b = json_builder_new();
	GPtrArray *keys = ctl_stats_keys(s->by_status);

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "tickets_by_status");
	json_builder_begin_object(b);
	for (guint i = 0; i < keys->len; i++) {
		json_builder_set_member_name(b, keys->pdata[i]);
		json_builder_add_int_value(b, GPOINTER_TO_INT(
			g_hash_table_lookup(s->by_status, keys->pdata[i])));
	}
	json_builder_end_object(b);
	g_ptr_array_unref(keys);
	ctl_json_time(b, "since", s->since);
	ctl_json_time(b, "until", s->until);
	ctl_stats_json_group(b, &s->all);
	ctl_stats_json_days(b, "created_per_day", "count", s,
			    s->created_per_day);
	ctl_stats_json_days(b, "backlog_per_day", "open", s,
			    s->backlog_per_day);
	ctl_stats_json_groups(b, "mailboxes", s->mailboxes);
	ctl_stats_json_groups(b, "agents", s->agents);
	json_builder_end_object(b);
	ctl_print_builder(b);
}

static void
ctl_stats_print_csat(const char *label, const struct ctl_csat *c)
{
	printf("  %-30s ", label);
	if (c->count > 0)
		printf("%.2f", (double)c->sum / c->count);
	else
		printf("   -");
	printf("  (%d rated of %d surveys)  1:%d 2:%d 3:%d 4:%d 5:%d\n",
	       c->count, c->sent, c->dist[1], c->dist[2], c->dist[3],
	       c->dist[4], c->dist[5]);
}

static void
ctl_stats_print_group(const char *label, const struct ctl_stats_group *g)
{
	char *fr50 = ctl_human_duration(ctl_stats_percentile(
		g->first_response, 50));
	char *fr90 = ctl_human_duration(ctl_stats_percentile(
		g->first_response, 90));
	char *rs50 = ctl_human_duration(ctl_stats_percentile(g->resolution,
							     50));
	char *rs90 = ctl_human_duration(ctl_stats_percentile(g->resolution,
							     90));
	char *rate = g->resolved > 0 ?
		g_strdup_printf("%.0f%%", 100.0 * g->reopened / g->resolved) :
		g_strdup("-");

	printf("  %-30s %7d  %9s %9s  %9s %9s  %6s\n", label, g->tickets,
	       fr50, fr90, rs50, rs90, rate);
	g_free(fr50);
	g_free(fr90);
	g_free(rs50);
	g_free(rs90);
	g_free(rate);
}

static void
ctl_stats_print_groups(const char *prefix, GHashTable *groups,
		       gboolean csat)
{
	GPtrArray *keys = ctl_stats_keys(groups);

	for (guint i = 0; i < keys->len; i++) {
		const struct ctl_stats_group *g =
			g_hash_table_lookup(groups, keys->pdata[i]);
		char *label = g_strdup_printf("%s %s", prefix,
					      (char *)keys->pdata[i]);

		if (csat)
			ctl_stats_print_csat(label, &g->csat);
		else
			ctl_stats_print_group(label, g);
		g_free(label);
	}
	g_ptr_array_unref(keys);
}

static void
ctl_stats_print_text(const struct ctl_stats *s)
{
	GPtrArray *keys = ctl_stats_keys(s->by_status);

	printf("Tickets by status:\n");
	for (guint i = 0; i < keys->len; i++)
		printf("  %-10s %d\n", (char *)keys->pdata[i],
		       GPOINTER_TO_INT(g_hash_table_lookup(s->by_status,
							   keys->pdata[i])));
	g_ptr_array_unref(keys);
	printf("\nTimes (median, 90th percentile) and reopen rate:\n");
	printf("  %-30s %7s  %9s %9s  %9s %9s  %6s\n", "", "tickets",
	       "1st resp", "p90", "resolve", "p90", "reopen");
	ctl_stats_print_group("all", &s->all);
	ctl_stats_print_groups("mailbox", s->mailboxes, FALSE);
	ctl_stats_print_groups("agent", s->agents, FALSE);
	printf("\nSatisfaction (CSAT, 1-5):\n");
	ctl_stats_print_csat("all", &s->all.csat);
	ctl_stats_print_groups("mailbox", s->mailboxes, TRUE);
	ctl_stats_print_groups("agent", s->agents, TRUE);
	if (s->days > 0) {
		printf("\nPer day:         created  open at end\n");
		for (int d = 0; d < s->days; d++) {
			char *day = ctl_day(s->first_day + (gint64)d * 86400);

			printf("  %s  %8d  %11d\n", day,
			       s->created_per_day[d], s->backlog_per_day[d]);
			g_free(day);
		}
	}
}

/* Parse --since/--until/--mailbox into f; FALSE on a bad date. */
static gboolean
ctl_stats_filter(struct store_report_filter *f, const char *mailbox,
		 const char *since, const char *until)
{
	f->mailbox = mailbox;
	f->since = ctl_parse_date(since);
	f->until = ctl_parse_date(until);
	if (f->since < 0 || f->until < 0) {
		fprintf(stderr, "ticketctl: dates are YYYY-MM-DD or "
			"ISO-8601\n");
		return FALSE;
	}
	return TRUE;
}

int
ctl_stats_main(struct ctl *ctl, int argc, char **argv)
{
	gchar *mailbox = NULL, *since = NULL, *until = NULL;
	GOptionEntry entries[] = {
		{ "mailbox", 'm', 0, G_OPTION_ARG_STRING, &mailbox,
		  "Only this mailbox", "NAME" },
		{ "since", 0, 0, G_OPTION_ARG_STRING, &since,
		  "Tickets created from this date (YYYY-MM-DD or ISO-8601)",
		  "DATE" },
		{ "until", 0, 0, G_OPTION_ARG_STRING, &until,
		  "Tickets created before this date", "DATE" },
		CTL_OPTION_JSON(ctl),
		CTL_OPTION_CONFIG(ctl),
		{ NULL, 0, 0, 0, NULL, NULL, NULL }
	};
	struct store_report_filter f = { 0 };
	struct ctl_stats *s;
	char *error = NULL;

	ctl_parse("stats - ticket counts, response times, reopen rate and "
		  "CSAT", "Times are in seconds in JSON (median and p90 by "
		  "nearest rank).\nExit status: 0 success, 1 failure, 64 "
		  "usage, 78 configuration error.", entries, &argc, &argv);
	if (argc != 1) {
		fprintf(stderr, "ticketctl: usage: ticketctl stats [--since "
			"DATE] [--until DATE] [--mailbox NAME] [--json]\n");
		return CTL_EXIT_USAGE;
	}
	if (!ctl_stats_filter(&f, mailbox, since, until))
		return CTL_EXIT_USAGE;
	ctl_open(ctl);
	if (ctl_stats_compute(ctl->store, &f, &s, &error) < 0)
		fatalx(CTL_EXIT_FAIL, "%s", error);
	if (ctl->json)
		ctl_stats_print_json(s);
	else
		ctl_stats_print_text(s);
	ctl_stats_free(s);
	g_free(mailbox);
	g_free(since);
	g_free(until);
	return CTL_EXIT_OK;
}

int
ctl_report_main(struct ctl *ctl, int argc, char **argv)
{
	gchar *mailbox = NULL, *since = NULL, *until = NULL, *html = NULL;
	GOptionEntry entries[] = {
		{ "html", 0, 0, G_OPTION_ARG_FILENAME, &html,
		  "Write the report to FILE (required)", "FILE" },
		{ "mailbox", 'm', 0, G_OPTION_ARG_STRING, &mailbox,
		  "Only this mailbox", "NAME" },
		{ "since", 0, 0, G_OPTION_ARG_STRING, &since,
		  "Tickets created from this date (YYYY-MM-DD or ISO-8601)",
		  "DATE" },
		{ "until", 0, 0, G_OPTION_ARG_STRING, &until,
		  "Tickets created before this date", "DATE" },
		CTL_OPTION_CONFIG(ctl),
		{ NULL, 0, 0, 0, NULL, NULL, NULL }
	};
	struct store_report_filter f = { 0 };
	struct ctl_stats *s;
	char *error = NULL, *title;
	int rc;

	ctl_parse("report --html FILE - an HTML page of charts",
		  "One self-contained page (inline CSS and SVG, nothing "
		  "loaded from the network): daily volume, first-response "
		  "times, backlog and CSAT.\nExit status: 0 success, 1 "
		  "failure, 64 usage, 78 configuration error.", entries,
		  &argc, &argv);
	if (argc != 1 || html == NULL) {
		fprintf(stderr, "ticketctl: usage: ticketctl report --html "
			"FILE [--since DATE] [--until DATE] [--mailbox "
			"NAME]\n");
		return CTL_EXIT_USAGE;
	}
	if (!ctl_stats_filter(&f, mailbox, since, until))
		return CTL_EXIT_USAGE;
	ctl_open(ctl);
	if (ctl_stats_compute(ctl->store, &f, &s, &error) < 0)
		fatalx(CTL_EXIT_FAIL, "%s", error);
	title = g_strdup_printf("ticketd report%s%s%s%s%s%s",
				mailbox != NULL ? " \xe2\x80\x94 mailbox " : "",
				mailbox != NULL ? mailbox : "",
				since != NULL ? ", from " : "",
				since != NULL ? since : "",
				until != NULL ? ", before " : "",
				until != NULL ? until : "");
	rc = ctl_report_write(s, title, html, &error);
	if (rc < 0) {
		fprintf(stderr, "ticketctl: %s\n", error);
		g_free(error);
	}
	g_free(title);
	ctl_stats_free(s);
	g_free(html);
	g_free(mailbox);
	g_free(since);
	g_free(until);
	return rc < 0 ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}
