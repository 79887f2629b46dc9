/* ticketctl report --html: one self-contained page (inline CSS and SVG, no
   scripts, nothing fetched) of charts made from ctl_stats. */
#include "autodefs.h"

#include <errno.h>
#include <string.h>

#include "ctl-stats.h"

#define CTL_REPORT_W 960	/* chart width, px */
#define CTL_REPORT_H 240	/* chart height */
#define CTL_REPORT_PAD 40	/* room for the axis labels */

static const char ctl_report_css[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;"
	"max-width:1000px;color:#222;background:#fff}"
	"h1{font-size:1.6em}h2{font-size:1.2em;margin-top:2em}"
	"table{border-collapse:collapse}td,th{padding:.2em .8em;"
	"border-bottom:1px solid #ddd;text-align:right}"
	"th:first-child,td:first-child{text-align:left}"
	"svg{display:block;margin:.5em 0}"
	"svg text{font:11px system-ui,sans-serif;fill:#444}"
	".bar{fill:#3b7dd8}.bar2{fill:#e08a2e}.csat{fill:#2e9e5b}"
	".line{fill:none;stroke:#c0392b;stroke-width:2}"
	".area{fill:#c0392b;fill-opacity:.15}.axis{stroke:#888}"
	".muted{color:#777}";

/* Append text, HTML-escaped. */
static void
ctl_report_text(GString *out, const char *text)
{
	char *e = g_markup_escape_text(text, -1);

	g_string_append(out, e);
	g_free(e);
}

static void
ctl_report_svg_begin(GString *out, const char *id, const char *label)
{
	g_string_append_printf(out, "<svg id=\"%s\" class=\"chart\" "
			       "xmlns=\"http://www.w3.org/2000/svg\" "
			       "width=\"%d\" height=\"%d\" "
			       "viewBox=\"0 0 %d %d\" "
			       "role=\"img\" aria-label=\"", id, CTL_REPORT_W,
			       CTL_REPORT_H, CTL_REPORT_W, CTL_REPORT_H);
	ctl_report_text(out, label);
	g_string_append(out, "\"><title>");
	ctl_report_text(out, label);
	g_string_append(out, "</title>");
	/* axes */
	g_string_append_printf(out, "<line class=\"axis\" x1=\"%d\" y1=\"10\" "
			       "x2=\"%d\" y2=\"%d\"/><line class=\"axis\" "
			       "x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>",
			       CTL_REPORT_PAD, CTL_REPORT_PAD,
			       CTL_REPORT_H - CTL_REPORT_PAD, CTL_REPORT_PAD,
			       CTL_REPORT_H - CTL_REPORT_PAD,
			       CTL_REPORT_W - 10,
			       CTL_REPORT_H - CTL_REPORT_PAD);
}

/* The y axis' top label (the largest value). */
static void
ctl_report_ymax(GString *out, int max)
{
	g_string_append_printf(out, "<text x=\"%d\" y=\"16\" "
			       "text-anchor=\"end\">%d</text><text x=\"%d\" "
			       "y=\"%d\" text-anchor=\"end\">0</text>",
			       CTL_REPORT_PAD - 4, max, CTL_REPORT_PAD - 4,
			       CTL_REPORT_H - CTL_REPORT_PAD);
}

/* A bar chart of n values with labels (label[i] may be NULL: none) and
   class cls; an optional per-bar title. */
static void
ctl_report_bars(GString *out, const char *id, const char *label,
		const int *values, const char *const *labels, int n,
		const char *cls)
{
	double plot_w = CTL_REPORT_W - CTL_REPORT_PAD - 20;
	double plot_h = CTL_REPORT_H - CTL_REPORT_PAD - 20;
	double slot, bar;
	int max = 1, every;

	for (int i = 0; i < n; i++)
		max = MAX(max, values[i]);
	ctl_report_svg_begin(out, id, label);
	ctl_report_ymax(out, max);
	slot = n > 0 ? plot_w / n : plot_w;
	bar = MAX(slot * 0.8, 1.0);
	every = n > 12 ? (n + 11) / 12 : 1;
	for (int i = 0; i < n; i++) {
		double h = values[i] * plot_h / max;
		double x = CTL_REPORT_PAD + 5 + i * slot;
		double y = CTL_REPORT_H - CTL_REPORT_PAD - h;

		g_string_append_printf(out, "<rect class=\"%s\" x=\"%.1f\" "
				       "y=\"%.1f\" width=\"%.1f\" "
				       "height=\"%.1f\"><title>", cls, x, y,
				       bar, h);
		if (labels != NULL && labels[i] != NULL)
			ctl_report_text(out, labels[i]);
		g_string_append_printf(out, ": %d</title></rect>", values[i]);
		if (labels != NULL && labels[i] != NULL && i % every == 0) {
			g_string_append_printf(out, "<text x=\"%.1f\" "
					       "y=\"%d\" "
					       "text-anchor=\"middle\">",
					       x + bar / 2, CTL_REPORT_H -
					       CTL_REPORT_PAD + 16);
			ctl_report_text(out, labels[i]);
			g_string_append(out, "</text>");
		}
	}
	g_string_append(out, "</svg>\n");
}

/* The backlog: a line with the area under it. */
static void
ctl_report_line(GString *out, const char *id, const char *label,
		const int *values, char **labels, int n)
{
	double plot_w = CTL_REPORT_W - CTL_REPORT_PAD - 20;
	double plot_h = CTL_REPORT_H - CTL_REPORT_PAD - 20;
	double base = CTL_REPORT_H - CTL_REPORT_PAD;
	GString *pts = g_string_new(NULL);
	int max = 1, every = n > 12 ? (n + 11) / 12 : 1;

	for (int i = 0; i < n; i++)
		max = MAX(max, values[i]);
	ctl_report_svg_begin(out, id, label);
	ctl_report_ymax(out, max);
	for (int i = 0; i < n; i++) {
		double x = CTL_REPORT_PAD + 5 +
			   (n > 1 ? i * plot_w / (n - 1) : plot_w / 2);
		double y = base - values[i] * plot_h / max;

		g_string_append_printf(pts, "%s%.1f %.1f", i == 0 ? "M" : " L",
				       x, y);
		if (i % every == 0) {
			g_string_append_printf(out, "<text x=\"%.1f\" y=\"%d\" "
					       "text-anchor=\"%s\">", x,
					       CTL_REPORT_H -
					       CTL_REPORT_PAD + 16,
					       x > CTL_REPORT_W - 60 ? "end" :
					       "middle");
			ctl_report_text(out, labels[i]);
			g_string_append(out, "</text>");
		}
	}
	if (n == 1) {
		/* one day: a short flat line so that it shows */
		g_string_append_printf(pts, " L%.1f %.1f",
				       CTL_REPORT_PAD + 5 + plot_w / 2 + 8,
				       base - values[0] * plot_h / max);
	}
	if (n > 0) {
		g_string_append_printf(out, "<path class=\"area\" d=\"%s L%.1f "
				       "%.1f L%.1f %.1f Z\"/>", pts->str,
				       n > 1 ? CTL_REPORT_PAD + 5 + plot_w :
				       CTL_REPORT_PAD + 5 + plot_w / 2 + 8,
				       base, n > 1 ? CTL_REPORT_PAD + 5.0 :
				       CTL_REPORT_PAD + 5 + plot_w / 2, base);
		g_string_append_printf(out, "<path class=\"line\" d=\"%s\"/>",
				       pts->str);
	}
	g_string_append(out, "</svg>\n");
	g_string_free(pts, TRUE);
}

/* First-response histogram buckets: upper bounds in seconds. */
static const struct {
	gint64 below;
	const char *label;
} ctl_report_buckets[] = {
	{ 3600, "< 1 h" },
	{ 4 * 3600, "1-4 h" },
	{ 8 * 3600, "4-8 h" },
	{ 24 * 3600, "8-24 h" },
	{ 48 * 3600, "1-2 d" },
	{ 7 * 86400, "2-7 d" },
	{ G_MAXINT64, "> 7 d" },
};

static void
ctl_report_summary(GString *out, const struct ctl_stats *s)
{
	char *fr50 = ctl_human_duration(ctl_stats_percentile(
		s->all.first_response, 50));
	char *fr90 = ctl_human_duration(ctl_stats_percentile(
		s->all.first_response, 90));
	char *rs50 = ctl_human_duration(ctl_stats_percentile(
		s->all.resolution, 50));
	char *rs90 = ctl_human_duration(ctl_stats_percentile(
		s->all.resolution, 90));

	g_string_append_printf(out, "<table id=\"summary\"><tr><th>Tickets "
			       "created</th><td>%d</td></tr>"
			       "<tr><th>First response, median / p90</th>"
			       "<td>%s / %s</td></tr>"
			       "<tr><th>Resolution, median / p90</th>"
			       "<td>%s / %s</td></tr>"
			       "<tr><th>Reopen rate</th><td>", s->all.tickets,
			       fr50, fr90, rs50, rs90);
	if (s->all.resolved > 0)
		g_string_append_printf(out, "%.0f %% (%d of %d resolved)",
				       100.0 * s->all.reopened /
				       s->all.resolved,
				       s->all.reopened, s->all.resolved);
	else
		g_string_append(out, "-");
	g_string_append(out, "</td></tr><tr><th>CSAT average</th><td>");
	if (s->all.csat.count > 0)
		g_string_append_printf(out, "%.2f (%d ratings)",
				       (double)s->all.csat.sum /
				       s->all.csat.count, s->all.csat.count);
	else
		g_string_append(out, "-");
	g_string_append(out, "</td></tr></table>\n");
	g_free(fr50);
	g_free(fr90);
	g_free(rs50);
	g_free(rs90);
}

int
ctl_report_write(const struct ctl_stats *s, const char *title,
		 const char *path, char **error_r)
{
	GString *out = g_string_new(NULL);
	char **days = g_new0(char *, s->days + 1);
	int hist[G_N_ELEMENTS(ctl_report_buckets)] = { 0 };
	const char *hist_labels[G_N_ELEMENTS(ctl_report_buckets)];
	const char *csat_labels[5] = { "1", "2", "3", "4", "5" };
	GError *err = NULL;
	char *stamp;
	GDateTime *now = g_date_time_new_now_utc();
	int rc;

	for (int d = 0; d < s->days; d++)
		days[d] = ctl_day(s->first_day + (gint64)d * 86400);
	for (guint i = 0; i < s->all.first_response->len; i++) {
		gint64 v = g_array_index(s->all.first_response, gint64, i);

		for (guint b = 0; b < G_N_ELEMENTS(ctl_report_buckets); b++)
			if (v < ctl_report_buckets[b].below) {
				hist[b]++;
				break;
			}
	}
	for (guint b = 0; b < G_N_ELEMENTS(ctl_report_buckets); b++)
		hist_labels[b] = ctl_report_buckets[b].label;
	stamp = g_date_time_format(now, "%Y-%m-%d %H:%M UTC");
	g_date_time_unref(now);

	g_string_append(out, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
			"<meta charset=\"utf-8\"><meta name=\"viewport\" "
			"content=\"width=device-width\"><title>");
	ctl_report_text(out, title);
	g_string_append_printf(out, "</title><style>%s</style></head>\n"
			       "<body><h1>", ctl_report_css);
	ctl_report_text(out, title);
	g_string_append_printf(out, "</h1><p class=\"muted\">Made %s by "
			       "ticketctl %s.</p>\n", stamp, PACKAGE_VERSION);
	ctl_report_summary(out, s);

	g_string_append(out, "<h2>Tickets created per day</h2>\n");
	if (s->days > 0)
		ctl_report_bars(out, "daily-volume", "Tickets created per day",
				s->created_per_day, (const char *const *)days,
				s->days, "bar");
	else
		g_string_append(out, "<p class=\"muted\">No tickets.</p>\n");

	g_string_append(out, "<h2>First-response time</h2>\n");
	ctl_report_bars(out, "response-times",
			"Tickets by first-response time", hist, hist_labels,
			G_N_ELEMENTS(ctl_report_buckets), "bar2");

	g_string_append(out, "<h2>Backlog (open tickets at the end of each "
			"day)</h2>\n");
	if (s->days > 0)
		ctl_report_line(out, "backlog", "Open tickets per day",
				s->backlog_per_day, days, s->days);
	else
		g_string_append(out, "<p class=\"muted\">No tickets.</p>\n");

	g_string_append(out, "<h2>Satisfaction (CSAT)</h2>\n<p>");
	if (s->all.csat.count > 0)
		g_string_append_printf(out, "Average <strong id=\"csat-average"
				       "\">%.2f</strong> of 5 from %d ratings "
				       "(%d surveys sent).",
				       (double)s->all.csat.sum /
				       s->all.csat.count, s->all.csat.count,
				       s->all.csat.sent);
	else
		g_string_append_printf(out, "No ratings yet (%d surveys "
				       "sent).", s->all.csat.sent);
	g_string_append(out, "</p>\n");
	ctl_report_bars(out, "csat", "Ratings 1 to 5", s->all.csat.dist + 1,
			csat_labels, 5, "csat");
	g_string_append(out, "</body></html>\n");

	rc = g_file_set_contents(path, out->str, (gssize)out->len, &err) ?
	     0 : -1;
	if (rc < 0) {
		*error_r = g_strdup(err->message);
		g_error_free(err);
	}
	g_strfreev(days);
	g_free(stamp);
	g_string_free(out, TRUE);
	return rc;
}
