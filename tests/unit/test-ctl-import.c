/* Unit tests: the mbox and maildir readers of ticketctl import, and the
   small parsers and figures of ctl-common.c and ctl-stats.c. */
#include "autodefs.h"

#include <string.h>

#include <glib/gstdio.h>

#include "ctl-common.h"
#include "ctl-import.h"
#include "ctl-stats.h"

/* An mbox, what its messages must read as, and where they start. */
static const struct {
	const char *name;
	const char *mbox;
	const char *const msgs[4];	/* NULL-terminated */
} mbox_cases[] = {
	{ "two, LF",
	  "From a@b Sat Jan  1 00:00:00 2000\nSubject: one\n\nbody 1\n\n"
	  "From c@d Sat Jan  1 00:00:00 2000\nSubject: two\n\nbody 2\n",
	  { "Subject: one\n\nbody 1\n", "Subject: two\n\nbody 2\n", NULL } },
	{ "CRLF",
	  "From a@b x\r\nSubject: one\r\n\r\nbody\r\n\r\n"
	  "From c@d x\r\nSubject: two\r\n\r\nb2\r\n\r\n",
	  { "Subject: one\r\n\r\nbody\r\n", "Subject: two\r\n\r\nb2\r\n",
	    NULL } },
	{ "mboxrd unescaping",
	  "From a@b x\nS: 1\n\n>From here\n>>From there\n> From not\n\n",
	  { "S: 1\n\nFrom here\n>From there\n> From not\n", NULL } },
	{ "From inside a paragraph does not split",
	  "From a@b x\nS: 1\n\ntext\nFrom the shop\n\nFrom c@d x\nS: 2\n\n",
	  { "S: 1\n\ntext\nFrom the shop\n", "S: 2\n", NULL } },
	{ "no final newline",
	  "From a@b x\nS: 1\n\nlast line",
	  { "S: 1\n\nlast line", NULL } },
	{ "empty file", "", { NULL } },
};

static char *
write_temp(const char *text, gsize len)
{
	GError *err = NULL;
	char *path;
	int fd = g_file_open_tmp("test-mbox-XXXXXX", &path, &err);

	g_assert_no_error(err);
	close(fd);
	g_assert_true(g_file_set_contents(path, text, (gssize)len, NULL));
	return path;
}

static void
test_mbox_read(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(mbox_cases); i++) {
		const char *text = mbox_cases[i].mbox;
		char *path = write_temp(text, strlen(text)), *error = NULL;
		struct ctl_mbox *mbox = ctl_mbox_open(path, 0, &error);
		gint64 start, next, prev_next = 0;
		GString *msg;
		int n = 0, rc;

		g_test_message("case %s", mbox_cases[i].name);
		g_assert_nonnull(mbox);
		while ((rc = ctl_mbox_next(mbox, &msg, &start, &next,
					   &error)) > 0) {
			g_assert_nonnull(mbox_cases[i].msgs[n]);
			g_assert_cmpstr(msg->str, ==, mbox_cases[i].msgs[n]);
			g_assert_cmpint(start, ==, prev_next);
			g_assert_true(strncmp(text + start, "From ", 5) == 0);
			g_assert_true(next == (gint64)strlen(text) ||
				      strncmp(text + next, "From ", 5) == 0);
			prev_next = next;
			g_string_free(msg, TRUE);
			n++;
		}
		g_assert_cmpint(rc, ==, 0);
		g_assert_null(mbox_cases[i].msgs[n]);
		ctl_mbox_close(mbox);
		g_unlink(path);
		g_free(path);
	}
}

static void
test_mbox_resume(void)
{
	const char *text = mbox_cases[0].mbox;
	char *path = write_temp(text, strlen(text)), *error = NULL;
	const char *second = strstr(text, "\nFrom c@d") + 1;
	struct ctl_mbox *mbox;
	gint64 start, next;
	GString *msg;

	mbox = ctl_mbox_open(path, second - text, &error);
	g_assert_nonnull(mbox);
	g_assert_cmpint(ctl_mbox_next(mbox, &msg, &start, &next, &error), ==,
			1);
	g_assert_cmpstr(msg->str, ==, mbox_cases[0].msgs[1]);
	g_assert_cmpint(start, ==, second - text);
	g_string_free(msg, TRUE);
	g_assert_cmpint(ctl_mbox_next(mbox, &msg, &start, &next, &error), ==,
			0);
	ctl_mbox_close(mbox);
	/* not at a "From " line: refused */
	mbox = ctl_mbox_open(path, 3, &error);
	g_assert_null(mbox);
	g_assert_nonnull(strstr(error, "not an mbox"));
	g_free(error);
	g_unlink(path);
	g_free(path);
}

static void
test_maildir_list(void)
{
	char *dir = g_dir_make_tmp("test-maildir-XXXXXX", NULL);
	static const char *const files[] = {
		"new/1700000003.M3.h", "cur/1700000001.M1.h:2,S",
		"cur/1700000002.M2.h:2,", "new/.hidden",
	};
	char **names, *error = NULL;

	g_assert_nonnull(dir);
	for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
		char *p = g_build_filename(dir, files[i], NULL);
		char *d = g_path_get_dirname(p);

		g_mkdir_with_parents(d, 0700);
		g_assert_true(g_file_set_contents(p, "x", 1, NULL));
		g_free(d);
		g_free(p);
	}
	names = ctl_maildir_list(dir, &error);
	g_assert_nonnull(names);
	g_assert_cmpuint(g_strv_length(names), ==, 3);
	g_assert_cmpstr(names[0], ==, "cur/1700000001.M1.h:2,S");
	g_assert_cmpstr(names[1], ==, "cur/1700000002.M2.h:2,");
	g_assert_cmpstr(names[2], ==, "new/1700000003.M3.h");
	g_strfreev(names);
	g_assert_null(ctl_maildir_list("/nonexistent-maildir", &error));
	g_free(error);
	g_free(dir);
}

static const struct {
	const char *text;
	gint64 seconds;
} age_cases[] = {
	{ "90s", 90 }, { "30m", 1800 }, { "12h", 43200 }, { "3d", 259200 },
	{ "3", 259200 }, { "2w", 1209600 }, { "0d", 0 },
	{ "", -1 }, { "d", -1 }, { "3y", -1 }, { "-1d", -1 }, { "3dd", -1 },
};

static void
test_parse_age(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(age_cases); i++) {
		g_test_message("case '%s'", age_cases[i].text);
		g_assert_cmpint(ctl_parse_age(age_cases[i].text), ==,
				age_cases[i].seconds);
	}
	g_assert_cmpint(ctl_parse_date("2026-11-25"), ==, 1795564800);
	g_assert_cmpint(ctl_parse_date("2026-11-25T01:00:00Z"), ==,
			1795564800 + 3600);
	g_assert_cmpint(ctl_parse_date("25.11.2026"), ==, -1);
	g_assert_cmpint(ctl_parse_date(NULL), ==, 0);
}

static const struct {
	gint64 seconds;
	const char *text;
} duration_cases[] = {
	{ 0, "0s" }, { 59, "59s" }, { 60, "1m 00s" }, { 3599, "59m 59s" },
	{ 3600, "1h 00m" }, { 11100, "3h 05m" }, { 86400, "1d 00h" },
	{ 190800, "2d 05h" }, { -1, "-" },
};

static void
test_durations(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(duration_cases); i++) {
		char *s = ctl_human_duration(duration_cases[i].seconds);

		g_assert_cmpstr(s, ==, duration_cases[i].text);
		g_free(s);
	}
}

static void
test_percentile(void)
{
	static const gint64 v[] = { 10, 20, 30, 40, 50, 60, 70, 80, 90, 100 };
	GArray *a = g_array_new(FALSE, FALSE, sizeof(gint64));

	g_assert_cmpint(ctl_stats_percentile(a, 50), ==, -1);
	g_array_append_vals(a, v, 1);
	g_assert_cmpint(ctl_stats_percentile(a, 50), ==, 10);
	g_assert_cmpint(ctl_stats_percentile(a, 90), ==, 10);
	g_array_append_vals(a, v + 1, G_N_ELEMENTS(v) - 1);
	/* nearest rank: ceil(p/100 * n) */
	g_assert_cmpint(ctl_stats_percentile(a, 50), ==, 50);
	g_assert_cmpint(ctl_stats_percentile(a, 90), ==, 90);
	g_assert_cmpint(ctl_stats_percentile(a, 91), ==, 100);
	g_assert_cmpint(ctl_stats_percentile(a, 100), ==, 100);
	g_array_unref(a);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ctl-import/mbox-read", test_mbox_read);
	g_test_add_func("/ctl-import/mbox-resume", test_mbox_resume);
	g_test_add_func("/ctl-import/maildir-list", test_maildir_list);
	g_test_add_func("/ctl-common/parse-age", test_parse_age);
	g_test_add_func("/ctl-common/durations", test_durations);
	g_test_add_func("/ctl-stats/percentile", test_percentile);
	return g_test_run();
}
