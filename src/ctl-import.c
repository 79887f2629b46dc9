/* ticketctl import: backfill history from an mbox or a maildir through
   ingest_message() with ingest.quiet set (no acknowledgement, notification
   or any other mail is queued), resumable after an interruption. */
#include "autodefs.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl-import.h"
#include "ingest.h"
#include "log.h"
#include "store-admin.h"
#include "store-search.h"
#include "template.h"

/* Commit a batch (and the progress) after this many messages or seconds;
   the daemon waits for the database meanwhile. */
#define CTL_IMPORT_SAVE_EVERY	200
#define CTL_IMPORT_SAVE_SECONDS	1
/* Plain progress lines (not a terminal): every N messages or seconds. */
#define CTL_IMPORT_LINE_EVERY	1000
#define CTL_IMPORT_LINE_SECONDS	5

/* --- mbox ------------------------------------------------------------- */

struct ctl_mbox {
	FILE *f;
	char *path;
	gint64 size;
	gint64 offset;		/* of the next line to read */
	char *line;		/* getline() buffer */
	size_t line_cap;
	gboolean pending;	/* a "From " line was read: at from_offset */
	gint64 from_offset;
};

gint64
ctl_mbox_size(const struct ctl_mbox *mbox)
{
	return mbox->size;
}

void
ctl_mbox_close(struct ctl_mbox *mbox)
{
	if (mbox == NULL)
		return;
	if (mbox->f != NULL)
		fclose(mbox->f);
	free(mbox->line);
	g_free(mbox->path);
	g_free(mbox);
}

/* Read one line; its length (with the line end), 0 at end, -1 error. */
static gssize
ctl_mbox_line(struct ctl_mbox *mbox, char **error_r)
{
	ssize_t n;

	errno = 0;
	n = getline(&mbox->line, &mbox->line_cap, mbox->f);
	if (n < 0) {
		if (ferror(mbox->f)) {
			*error_r = g_strdup_printf("%s: %s", mbox->path,
						   g_strerror(errno));
			return -1;
		}
		return 0;
	}
	mbox->offset += n;
	return n;
}

static gboolean
ctl_mbox_is_blank(const char *line, gssize n)
{
	return (n == 1 && line[0] == '\n') ||
	       (n == 2 && line[0] == '\r' && line[1] == '\n');
}

struct ctl_mbox *
ctl_mbox_open(const char *path, gint64 offset, char **error_r)
{
	struct ctl_mbox *mbox = g_new0(struct ctl_mbox, 1);
	struct stat st;
	gssize n;

	mbox->path = g_strdup(path);
	mbox->f = fopen(path, "rb");
	if (mbox->f == NULL || fstat(fileno(mbox->f), &st) < 0) {
		*error_r = g_strdup_printf("%s: %s", path, g_strerror(errno));
		ctl_mbox_close(mbox);
		return NULL;
	}
	mbox->size = st.st_size;
	if (offset > 0 && fseeko(mbox->f, (off_t)offset, SEEK_SET) < 0) {
		*error_r = g_strdup_printf("%s: %s", path, g_strerror(errno));
		ctl_mbox_close(mbox);
		return NULL;
	}
	mbox->offset = offset;
	n = ctl_mbox_line(mbox, error_r);
	if (n < 0) {
		ctl_mbox_close(mbox);
		return NULL;
	}
	if (n == 0)
		return mbox;	/* empty, or nothing after offset */
	if (strncmp(mbox->line, "From ", 5) != 0) {
		*error_r = g_strdup_printf("%s: no \"From \" line at byte %"
					   G_GINT64_FORMAT ": not an mbox",
					   path, offset);
		ctl_mbox_close(mbox);
		return NULL;
	}
	mbox->pending = TRUE;
	mbox->from_offset = offset;
	return mbox;
}

int
ctl_mbox_next(struct ctl_mbox *mbox, GString **msg_r, gint64 *start_r,
	      gint64 *next_r, char **error_r)
{
	GString *msg;
	gboolean prev_blank = FALSE;
	gsize blank_len = 0;
	gssize n;

	if (!mbox->pending)
		return 0;
	*start_r = mbox->from_offset;
	mbox->pending = FALSE;
	msg = g_string_new(NULL);
	for (;;) {
		gint64 line_start = mbox->offset;
		const char *l;

		n = ctl_mbox_line(mbox, error_r);
		if (n < 0) {
			g_string_free(msg, TRUE);
			return -1;
		}
		if (n == 0)
			break;
		l = mbox->line;
		if (prev_blank && strncmp(l, "From ", 5) == 0) {
			mbox->pending = TRUE;
			mbox->from_offset = line_start;
			break;
		}
		/* mboxrd: ">From ", ">>From " ... lose one '>' */
		if (l[0] == '>') {
			const char *p = l;

			while (*p == '>')
				p++;
			if (strncmp(p, "From ", 5) == 0) {
				l++;
				n--;
			}
		}
		prev_blank = ctl_mbox_is_blank(l, n);
		blank_len = prev_blank ? (gsize)n : 0;
		g_string_append_len(msg, l, n);
	}
	/* The empty line before the next "From " separates, it is not part
	   of the message. */
	if (prev_blank && msg->len >= blank_len)
		g_string_truncate(msg, msg->len - blank_len);
	*next_r = mbox->pending ? mbox->from_offset : mbox->offset;
	*msg_r = msg;
	return 1;
}

/* --- maildir ----------------------------------------------------------- */

/* The unique part of a maildir file name: before the ":2,FLAGS" info. */
static char *
ctl_maildir_unique(const char *entry)
{
	const char *base = strrchr(entry, '/');
	const char *colon;

	base = base != NULL ? base + 1 : entry;
	colon = strchr(base, ':');
	return colon != NULL ? g_strndup(base, colon - base) : g_strdup(base);
}

static gint
ctl_maildir_cmp(gconstpointer a, gconstpointer b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	const char *bx = strchr(x, '/'), *by = strchr(y, '/');
	int c = strcmp(bx != NULL ? bx + 1 : x, by != NULL ? by + 1 : y);

	return c != 0 ? c : strcmp(x, y);
}

char **
ctl_maildir_list(const char *path, char **error_r)
{
	static const char *const subdirs[] = { "cur", "new" };
	GPtrArray *names = g_ptr_array_new();
	int opened = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(subdirs); i++) {
		char *dir = g_build_filename(path, subdirs[i], NULL);
		GDir *d = g_dir_open(dir, 0, NULL);
		const char *name;

		g_free(dir);
		if (d == NULL)
			continue;
		opened++;
		while ((name = g_dir_read_name(d)) != NULL)
			if (name[0] != '.')
				g_ptr_array_add(names, g_strdup_printf(
					"%s/%s", subdirs[i], name));
		g_dir_close(d);
	}
	if (opened == 0) {
		*error_r = g_strdup_printf("%s: no cur/ or new/ directory: "
					   "not a maildir", path);
		g_ptr_array_free(names, TRUE);
		return NULL;
	}
	g_ptr_array_sort(names, ctl_maildir_cmp);
	g_ptr_array_add(names, NULL);
	return (char **)g_ptr_array_free(names, FALSE);
}

/* --- the import ---------------------------------------------------------- */

static volatile sig_atomic_t ctl_import_stop;

static void
ctl_import_signal(int sig)
{
	(void)sig;
	ctl_import_stop = 1;
}

struct ctl_import {
	struct ctl *ctl;
	struct ingest ingest;
	const struct config_mailbox *mb;
	struct store_import_progress progress;
	gint64 first_new_ticket;	/* tickets above this are new */
	GHashTable *touched;		/* new tickets since the save */
	gboolean tty, quiet;
	gint64 total;			/* bytes (mbox), files (maildir) */
	gint64 done_units;		/* of total */
	gint64 t_start, t_saved, t_line;	/* monotonic, µs */
	gint64 at_start;		/* progress.count at the start */
	guint since_save;
	/* counts of this run */
	gint64 messages, stored, duplicates;
};

/* Settle the new tickets touched and save the progress, in one
   transaction. */
static int
ctl_import_save(struct ctl_import *im, char **error_r)
{
	struct store *store = im->ctl->store;
	GHashTableIter it;
	gpointer key;
	int rc;

	rc = store_in_transaction(store) ? 0 : store_begin(store, error_r);
	g_hash_table_iter_init(&it, im->touched);
	while (rc == 0 && g_hash_table_iter_next(&it, &key, NULL))
		rc = store_import_settle_ticket(store, *(gint64 *)key,
						error_r);
	if (rc == 0)
		rc = store_import_progress_set(store, &im->progress, error_r);
	if (rc == 0)
		rc = store_commit(store, error_r);
	if (rc < 0) {
		store_rollback(store);
		return -1;
	}
	g_hash_table_remove_all(im->touched);
	im->since_save = 0;
	im->t_saved = g_get_monotonic_time();
	return 0;
}

static char *
ctl_import_eta(double seconds)
{
	gint64 s = seconds < 0 || seconds > 359999 ? -1 : (gint64)seconds;

	if (s < 0)
		return g_strdup("--:--");
	if (s >= 3600)
		return g_strdup_printf("%" G_GINT64_FORMAT ":%02d:%02d",
				       s / 3600, (int)(s % 3600 / 60),
				       (int)(s % 60));
	return g_strdup_printf("%d:%02d", (int)(s / 60), (int)(s % 60));
}

/* Show progress: a bar redrawn in place on a terminal, otherwise a line
   every CTL_IMPORT_LINE_EVERY messages or CTL_IMPORT_LINE_SECONDS. */
static void
ctl_import_show(struct ctl_import *im, gboolean final)
{
	gint64 now = g_get_monotonic_time();
	double secs = (now - im->t_start) / 1e6;
	double rate = secs > 0 ? im->messages / secs : 0;
	double frac = im->total > 0 ? (double)im->done_units / im->total : 1;
	double eta = frac > 0 && frac < 1 ? secs * (1 - frac) / frac : 0;
	char *etas;

	if (im->quiet)
		return;
	if (im->tty) {
		if (!final && now - im->t_line < 200000)
			return;
	} else if (!final && im->messages % CTL_IMPORT_LINE_EVERY != 0 &&
		   now - im->t_line <
		   CTL_IMPORT_LINE_SECONDS * G_USEC_PER_SEC) {
		return;
	}
	im->t_line = now;
	etas = ctl_import_eta(eta);
	if (im->tty) {
		int width = 30, fill = (int)(frac * width + 0.5);
		char bar[31];

		memset(bar, '#', fill);
		memset(bar + fill, '.', width - fill);
		bar[width] = '\0';
		fprintf(stderr, "\r[%s] %3.0f%%  %" G_GINT64_FORMAT
			" messages  %.0f/s  ETA %s ", bar, frac * 100,
			im->progress.count, rate, etas);
		if (final)
			fputc('\n', stderr);
	} else {
		fprintf(stderr, "ticketctl: import: %" G_GINT64_FORMAT
			" messages, %.0f%%, %.0f/s, ETA %s\n",
			im->progress.count, frac * 100, rate, etas);
	}
	fflush(stderr);
	g_free(etas);
}

/* Ingest one message; -1 when the store failed (stop). */
static int
ctl_import_one(struct ctl_import *im, const char *data, size_t len,
	       char **error_r)
{
	enum ingest_result result;
	gint64 ticket_id = 0;

	/* One transaction per batch, a savepoint per message (ingest), the
	   progress saved in the same transaction: what is committed and
	   where to resume always agree. */
	if (!store_in_transaction(im->ctl->store) &&
	    store_begin(im->ctl->store, error_r) < 0)
		return -1;
	if (ingest_message(&im->ingest, im->mb, data, len, NULL, &result,
			   &ticket_id, error_r) < 0)
		return -1;
	im->messages++;
	im->progress.count++;
	im->since_save++;
	if (result == INGEST_DUPLICATE) {
		im->duplicates++;
	} else {
		im->stored++;
		if (ticket_id > im->first_new_ticket) {
			gint64 *key = g_new(gint64, 1);

			*key = ticket_id;
			g_hash_table_add(im->touched, key);
		}
	}
	return 0;
}

static gboolean
ctl_import_save_due(const struct ctl_import *im)
{
	return im->since_save >= CTL_IMPORT_SAVE_EVERY ||
	       g_get_monotonic_time() - im->t_saved >=
	       CTL_IMPORT_SAVE_SECONDS * G_USEC_PER_SEC;
}

static int
ctl_import_mbox(struct ctl_import *im, const char *path, char **error_r)
{
	struct ctl_mbox *mbox;
	gint64 start, next;
	GString *msg;
	int rc = 0;

	mbox = ctl_mbox_open(path, im->progress.position, error_r);
	if (mbox == NULL && im->progress.position > 0) {
		/* The file changed under us: start over (Message-IDs keep
		   what is stored already from being stored twice). */
		fprintf(stderr, "ticketctl: %s; importing from the start\n",
			*error_r);
		g_free(*error_r);
		*error_r = NULL;
		im->progress.position = 0;
		mbox = ctl_mbox_open(path, 0, error_r);
	}
	if (mbox == NULL)
		return -1;
	im->total = ctl_mbox_size(mbox);
	im->done_units = im->progress.position;
	while (!ctl_import_stop &&
	       (rc = ctl_mbox_next(mbox, &msg, &start, &next, error_r)) > 0) {
		rc = ctl_import_one(im, msg->str, msg->len, error_r);
		g_string_free(msg, TRUE);
		if (rc < 0)
			break;
		im->progress.position = next;
		im->done_units = next;
		if (ctl_import_save_due(im) &&
		    (rc = ctl_import_save(im, error_r)) < 0)
			break;
		ctl_import_show(im, FALSE);
	}
	ctl_mbox_close(mbox);
	if (rc == 0 && !ctl_import_stop)
		im->progress.done = TRUE;
	return rc;
}

static int
ctl_import_maildir(struct ctl_import *im, const char *path, char **error_r)
{
	char **names = ctl_maildir_list(path, error_r);
	int rc = 0;

	if (names == NULL)
		return -1;
	im->total = g_strv_length(names);
	for (char **n = names; *n != NULL && !ctl_import_stop; n++) {
		char *unique = ctl_maildir_unique(*n);
		char *file, *data;
		gsize len;
		GError *err = NULL;

		im->done_units++;
		if (*im->progress.last_name != '\0' &&
		    strcmp(unique, im->progress.last_name) <= 0) {
			g_free(unique);
			continue;
		}
		file = g_build_filename(path, *n, NULL);
		if (!g_file_get_contents(file, &data, &len, &err)) {
			/* Moved by a mail client (new/ to cur/) or gone:
			   skip it, say so. */
			fprintf(stderr, "ticketctl: %s\n", err->message);
			g_error_free(err);
			g_free(file);
			g_free(unique);
			continue;
		}
		g_free(file);
		rc = ctl_import_one(im, data, len, error_r);
		g_free(data);
		if (rc < 0) {
			g_free(unique);
			break;
		}
		g_free(im->progress.last_name);
		im->progress.last_name = unique;
		if (ctl_import_save_due(im) &&
		    (rc = ctl_import_save(im, error_r)) < 0)
			break;
		ctl_import_show(im, FALSE);
	}
	g_strfreev(names);
	if (rc == 0 && !ctl_import_stop)
		im->progress.done = TRUE;
	return rc;
}

/* The highest ticket number so far (0: none). */
static int
ctl_import_max_ticket(struct store *store, gint64 *max_r, char **error_r)
{
	struct store_ticket_query q = { 0 };
	GPtrArray *list;

	q.sort = STORE_QUERY_SORT_ID;
	q.limit = 1;
	if (store_ticket_query(store, &q, &list, NULL, error_r) < 0)
		return -1;
	*max_r = list->len > 0 ?
		 ((struct store_ticket *)list->pdata[0])->id : 0;
	g_ptr_array_unref(list);
	return 0;
}

int
ctl_import_main(struct ctl *ctl, int argc, char **argv)
{
	gchar *mailbox = NULL;
	gboolean restart = FALSE, quiet = FALSE;
	GOptionEntry entries[] = {
		{ "mailbox", 'm', 0, G_OPTION_ARG_STRING, &mailbox,
		  "The mailbox (queue) the mail belongs to (required)",
		  "NAME" },
		{ "restart", 0, 0, G_OPTION_ARG_NONE, &restart,
		  "Forget the saved position and read from the start", NULL },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet,
		  "No progress display", NULL },
		{ "json", 'j', 0, G_OPTION_ARG_NONE, &ctl->json,
		  "Print the summary as JSON", NULL },
		CTL_OPTION_CONFIG(ctl),
		{ NULL, 0, 0, 0, NULL, NULL, NULL }
	};
	struct ctl_import im = { 0 };
	struct store_import_progress *saved = NULL;
	struct sigaction sa = { 0 };
	char *error = NULL, real[PATH_MAX];
	gboolean is_mbox;
	double secs;
	int rc;

	ctl_parse("import mbox|maildir PATH --mailbox NAME - backfill "
		  "history, sending nothing",
		  "Each message goes through the normal ingest path "
		  "(threading, duplicates by Message-ID) but no mail is\n"
		  "queued.  Imported tickets keep the dates of their mail "
		  "and never fire SLA escalations.\nAn interrupted import "
		  "continues where it stopped when run again; a finished "
		  "mbox\nimport run again reads only what was appended.\n"
		  "Exit status: 0 success, 1 failure or interrupted, 2 no "
		  "such mailbox, 64 usage,\n78 configuration error.",
		  entries, &argc, &argv);
	if (argc != 3 || mailbox == NULL ||
	    (strcmp(argv[1], "mbox") != 0 && strcmp(argv[1], "maildir") != 0)) {
		fprintf(stderr, "ticketctl: usage: ticketctl import "
			"mbox|maildir PATH --mailbox NAME [--restart]\n");
		return CTL_EXIT_USAGE;
	}
	is_mbox = strcmp(argv[1], "mbox") == 0;
	if (realpath(argv[2], real) == NULL) {
		fprintf(stderr, "ticketctl: %s: %s\n", argv[2],
			g_strerror(errno));
		return CTL_EXIT_FAIL;
	}
	ctl_open(ctl);
	im.ctl = ctl;
	im.mb = config_mailbox_find(ctl->config, mailbox);
	if (im.mb == NULL) {
		fprintf(stderr, "ticketctl: no [mailbox %s] in %s\n", mailbox,
			ctl->config->path);
		return CTL_EXIT_NOTFOUND;
	}
	if (store_import_fast(ctl->store, &error) < 0 ||
	    (restart &&
	     store_import_progress_clear(ctl->store, real, &error) < 0) ||
	    store_import_progress_get(ctl->store, real, &saved, &error) < 0 ||
	    ctl_import_max_ticket(ctl->store, &im.first_new_ticket,
				  &error) < 0 ||
	    ingest_init(&im.ingest, ctl->config, ctl->store, NULL,
			&error) < 0)
		fatalx(CTL_EXIT_FAIL, "%s", error);
	im.ingest.quiet = TRUE;
	im.ingest.templates = template_set_new(ctl->config->templates_dir,
					       TICKETD_DATADIR "/templates");
	im.progress.path = g_strdup(real);
	im.progress.last_name = g_strdup("");
	if (saved != NULL) {
		im.progress.position = saved->position;
		g_free(im.progress.last_name);
		im.progress.last_name = g_strdup(saved->last_name);
		im.progress.count = saved->count;
		if (!quiet && saved->count > 0)
			fprintf(stderr, "ticketctl: %s: resuming after %"
				G_GINT64_FORMAT " messages\n", real,
				saved->count);
	}
	im.at_start = im.progress.count;
	im.touched = g_hash_table_new_full(g_int64_hash, g_int64_equal,
					   g_free, NULL);
	im.tty = isatty(STDERR_FILENO);
	im.quiet = quiet;
	im.t_start = im.t_saved = im.t_line = g_get_monotonic_time();
	sa.sa_handler = ctl_import_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	rc = is_mbox ? ctl_import_mbox(&im, real, &error) :
		ctl_import_maildir(&im, real, &error);
	if (ctl_import_save(&im, rc < 0 ? NULL : &error) < 0 && rc == 0)
		rc = -1;
	ctl_import_show(&im, TRUE);
	secs = (g_get_monotonic_time() - im.t_start) / 1e6;
	if (ctl->json) {
		JsonBuilder *b = json_builder_new();

		json_builder_begin_object(b);
		ctl_json_string(b, "path", real);
		json_builder_set_member_name(b, "messages");
		json_builder_add_int_value(b, im.messages);
		json_builder_set_member_name(b, "stored");
		json_builder_add_int_value(b, im.stored);
		json_builder_set_member_name(b, "duplicates");
		json_builder_add_int_value(b, im.duplicates);
		json_builder_set_member_name(b, "total_imported");
		json_builder_add_int_value(b, im.progress.count);
		json_builder_set_member_name(b, "complete");
		json_builder_add_boolean_value(b, im.progress.done);
		json_builder_set_member_name(b, "seconds");
		json_builder_add_double_value(b, secs);
		json_builder_end_object(b);
		ctl_print_builder(b);
	} else {
		printf("%s: %" G_GINT64_FORMAT " messages read (%"
		       G_GINT64_FORMAT " stored, %" G_GINT64_FORMAT
		       " already there) in %.1f s%s\n", real, im.messages,
		       im.stored, im.duplicates, secs,
		       im.progress.done ? "" : "; not finished: run again "
		       "to resume");
	}
	if (rc < 0) {
		fprintf(stderr, "ticketctl: import: %s\n", error);
		g_free(error);
	} else if (ctl_import_stop) {
		fprintf(stderr, "ticketctl: import interrupted; run the same "
			"command again to resume\n");
		rc = -1;
	}
	store_import_progress_free(saved);
	g_hash_table_unref(im.touched);
	g_free(im.progress.path);
	g_free(im.progress.last_name);
	template_set_free(im.ingest.templates);
	ingest_deinit(&im.ingest);
	g_free(mailbox);
	return rc < 0 ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}
