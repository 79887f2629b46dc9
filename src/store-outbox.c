/* The outbox: outgoing mail kept until the SMTP server accepted it. */
#include "autodefs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "store-private.h"

/*
 * The sent journal.
 *
 * A mail the SMTP server accepted must be marked sent before the next one
 * goes out (a process killed in between sends at most that one mail
 * again).  Marking it is a write to the database, and SQLite has one
 * writer at a time: while ingest holds the write lock for a batch, a
 * sender waiting for it sends nothing; and a transaction per mail costs
 * more than the mail's SMTP exchange.  So the mark goes to a journal
 * instead: DATABASE-sent, fixed records appended
 * with one write(2), under flock(2) so that processes sharing the
 * database do not interleave.  A write survives the process dying, as an
 * unsynced commit does (PRAGMA synchronous = NORMAL, which the sender
 * uses for its marks anyway).
 *
 * The journal is folded into the outbox (UPDATE ... status = 'sent', then
 * the file truncated) before every read of due mail, by store_outbox_list()
 * and on store_open() and store_close(): nothing that decides what to
 * send sees a journalled mail as queued.  A record names the row by id
 * and creation time, so a record left behind by a crash can never mark a
 * different mail (a database restored from a backup reuses ids); a torn
 * or foreign record fails its check and is ignored (at worst that mail is
 * sent again: never lost).
 */
#define STORE_SENT_MAGIC G_GINT64_CONSTANT(0x746b7464734e5431)	/* "tktdsNT1" */

struct store_sent_record {
	gint64 id;
	gint64 created;
	gint64 sent;
	gint64 check;		/* STORE_SENT_MAGIC ^ id ^ created ^ sent */
};

static gint64
store_sent_check(const struct store_sent_record *r)
{
	return STORE_SENT_MAGIC ^ r->id ^ r->created ^ r->sent;
}

/* The journal's descriptor, opened (create: made) on first use; -1 when
   there is none or it cannot be opened. */
static int
store_sent_fd(struct store *store, gboolean create)
{
	if (store->sent_fd >= 0 || store->sent_path == NULL)
		return store->sent_fd;
	store->sent_fd = open(store->sent_path, O_RDWR | O_APPEND | O_CLOEXEC |
			      (create ? O_CREAT : 0), 0644);
	if (store->sent_fd < 0 && errno != ENOENT)
		log_warnx("database %s: cannot open %s: %s", store->path,
			  store->sent_path, g_strerror(errno));
	return store->sent_fd;
}

/* Append one record.  -1 if the journal cannot take it (the caller marks
   the row directly). */
static int
store_sent_append(struct store *store, const struct store_outbox_item *item,
		  gint64 now)
{
	struct store_sent_record rec = {
		.id = item->id, .created = item->created, .sent = now,
	};
	int fd = store_sent_fd(store, TRUE);
	struct stat st;
	ssize_t n;

	if (fd < 0)
		return -1;
	rec.check = store_sent_check(&rec);
	if (flock(fd, LOCK_EX) < 0)
		return -1;
	/* a record torn by a failed write: cut it off first */
	if (fstat(fd, &st) == 0 && st.st_size % sizeof rec != 0 &&
	    ftruncate(fd, st.st_size - st.st_size % sizeof rec) < 0) {
		flock(fd, LOCK_UN);
		return -1;
	}
	n = write(fd, &rec, sizeof rec);
	if (n >= 0 && (size_t)n != sizeof rec)
		(void)ftruncate(fd, st.st_size - st.st_size % sizeof rec);
	flock(fd, LOCK_UN);
	if (n < 0 || (size_t)n != sizeof rec) {
		log_warnx("database %s: cannot write %s: %s", store->path,
			  store->sent_path,
			  n < 0 ? g_strerror(errno) : "short write");
		return -1;
	}
	return 0;
}

int
store_outbox_fold(struct store *store, char **error_r)
{
	struct store_sent_record recs[256];
	sqlite3_stmt *stmt;
	struct stat st;
	off_t off = 0;
	int fd = store_sent_fd(store, FALSE);
	int applied = 0, ignored = 0;

	/* inside a transaction the marks would be committed by someone
	   else's COMMIT, after the journal was emptied */
	if (fd < 0 || store_in_transaction(store))
		return 0;
	if (fstat(fd, &st) < 0 || st.st_size < (off_t)sizeof recs[0])
		return 0;
	stmt = store_stmt(store, STORE_STMT_OUTBOX_FOLD,
		"UPDATE outbox SET status = 'sent', sent = ?3, "
		"attempts = attempts + 1, last_error = NULL "
		"WHERE id = ?1 AND created = ?2 AND status = 'queued'", error_r);
	if (stmt == NULL || store_begin(store, error_r) < 0)
		return -1;
	if (flock(fd, LOCK_EX) < 0) {
		*error_r = g_strdup_printf("database %s: cannot lock %s: %s",
					   store->path, store->sent_path,
					   g_strerror(errno));
		store_rollback(store);
		return -1;
	}
	for (;;) {
		ssize_t n = pread(fd, recs, sizeof recs, off);

		if (n < 0) {
			*error_r = g_strdup_printf("database %s: cannot read "
						   "%s: %s", store->path,
						   store->sent_path,
						   g_strerror(errno));
			goto fail;
		}
		n -= n % (ssize_t)sizeof recs[0];
		if (n == 0)
			break;
		off += n;
		for (size_t i = 0; i < (size_t)n / sizeof recs[0]; i++) {
			if (recs[i].check != store_sent_check(&recs[i])) {
				ignored++;
				continue;
			}
			sqlite3_bind_int64(stmt, 1, recs[i].id);
			sqlite3_bind_int64(stmt, 2, recs[i].created);
			sqlite3_bind_int64(stmt, 3, recs[i].sent);
			if (store_step(store, stmt, "mark mail sent",
				       error_r) < 0)
				goto fail;
			applied += sqlite3_changes(store->db);
		}
	}
	if (store_commit(store, error_r) < 0) {
		flock(fd, LOCK_UN);
		return -1;
	}
	/* a crash before this folds the same records again: they match
	   no queued row any more */
	if (ftruncate(fd, 0) < 0)
		log_warnx("database %s: cannot empty %s: %s", store->path,
			  store->sent_path, g_strerror(errno));
	flock(fd, LOCK_UN);
	if (ignored > 0)
		log_warnx("database %s: %d damaged record(s) in %s ignored",
			  store->path, ignored, store->sent_path);
	log_debug("database %s: %d sent mark(s) folded from %s", store->path,
		  applied, store->sent_path);
	return 0;
fail:
	flock(fd, LOCK_UN);
	store_rollback(store);
	return -1;
}

void
store_outbox_item_free(struct store_outbox_item *item)
{
	if (item == NULL)
		return;
	g_free(item->mail_from);
	g_strfreev(item->rcpt_to);
	if (item->data != NULL)
		g_bytes_unref(item->data);
	g_free(item->status);
	g_free(item->last_error);
	g_free(item);
}

int
store_outbox_insert(struct store *store, gint64 ticket_id, gint64 message_row,
		    const char *mail_from, const char *const *rcpt_to,
		    char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_OUTBOX_INSERT,
		"INSERT INTO outbox (ticket_id, message_row, mail_from, "
		"rcpt_to, next_attempt, created) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
		error_r);
	char *rcpts;
	int rc;

	if (stmt == NULL)
		return -1;
	rcpts = g_strjoinv("\n", (char **)rcpt_to);
	if (ticket_id > 0)
		sqlite3_bind_int64(stmt, 1, ticket_id);
	else
		sqlite3_bind_null(stmt, 1);
	sqlite3_bind_int64(stmt, 2, message_row);
	store_bind_text(stmt, 3, mail_from);
	store_bind_text(stmt, 4, rcpts);
	sqlite3_bind_int64(stmt, 5, g_get_real_time() / G_USEC_PER_SEC);
	rc = store_step(store, stmt, "queue mail", error_r);
	g_free(rcpts);
	return rc;
}

#define STORE_OUTBOX_COLUMNS \
	"o.id, o.ticket_id, o.message_row, o.mail_from, o.rcpt_to, " \
	"o.status, o.attempts, o.next_attempt, o.created, o.last_error"

static struct store_outbox_item *
store_outbox_from_row(sqlite3_stmt *stmt, gboolean with_data)
{
	struct store_outbox_item *item = g_new0(struct store_outbox_item, 1);
	char *rcpts;

	item->id = sqlite3_column_int64(stmt, 0);
	item->ticket_id = sqlite3_column_int64(stmt, 1);
	item->message_row = sqlite3_column_int64(stmt, 2);
	item->mail_from = store_column_text(stmt, 3);
	rcpts = store_column_text(stmt, 4);
	item->rcpt_to = g_strsplit(rcpts != NULL ? rcpts : "", "\n", -1);
	g_free(rcpts);
	item->status = store_column_text(stmt, 5);
	item->attempts = sqlite3_column_int(stmt, 6);
	item->next_attempt = sqlite3_column_int64(stmt, 7);
	item->created = sqlite3_column_int64(stmt, 8);
	item->last_error = store_column_text(stmt, 9);
	if (with_data) {
		const void *blob = sqlite3_column_blob(stmt, 10);
		int len = sqlite3_column_bytes(stmt, 10);

		item->data = g_bytes_new(blob, (gsize)len);
	}
	return item;
}

int
store_outbox_due(struct store *store, gint64 now, int limit,
		 GPtrArray **items_r, char **error_r)
{
	sqlite3_stmt *stmt;
	GPtrArray *items;
	int rc;

	/* journalled mails were sent: never hand them out again */
	if (store_outbox_fold(store, error_r) < 0)
		return -1;
	stmt = store_stmt(store, STORE_STMT_OUTBOX_DUE,
		"SELECT " STORE_OUTBOX_COLUMNS ", m.raw FROM outbox o "
		"JOIN messages m ON m.id = o.message_row "
		"WHERE o.status = 'queued' AND o.next_attempt <= ?1 "
		"ORDER BY o.next_attempt, o.id LIMIT ?2", error_r);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, now);
	sqlite3_bind_int(stmt, 2, limit);
	items = g_ptr_array_new_with_free_func(
		(GDestroyNotify)store_outbox_item_free);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_ptr_array_add(items, store_outbox_from_row(stmt, TRUE));
	if (rc != SQLITE_DONE) {
		store_error(store, "read outbox", error_r);
		sqlite3_reset(stmt);
		g_ptr_array_unref(items);
		return -1;
	}
	sqlite3_reset(stmt);
	*items_r = items;
	return 0;
}

int
store_outbox_list(struct store *store, const char *status,
		  GPtrArray **items_r, char **error_r)
{
	sqlite3_stmt *stmt;
	GPtrArray *items;
	char *err = NULL;
	int rc;

	if (store_outbox_fold(store, &err) < 0) {
		log_warnx("%s", err);
		g_free(err);
	}
	if (sqlite3_prepare_v2(store->db,
		"SELECT " STORE_OUTBOX_COLUMNS " FROM outbox o "
		"WHERE (?1 IS NULL OR o.status = ?1) ORDER BY o.id DESC",
		-1, &stmt, NULL) != SQLITE_OK)
		return store_error(store, "list outbox", error_r);
	store_bind_text(stmt, 1, status);
	items = g_ptr_array_new_with_free_func(
		(GDestroyNotify)store_outbox_item_free);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_ptr_array_add(items, store_outbox_from_row(stmt, FALSE));
	if (rc != SQLITE_DONE) {
		store_error(store, "list outbox", error_r);
		sqlite3_finalize(stmt);
		g_ptr_array_unref(items);
		return -1;
	}
	sqlite3_finalize(stmt);
	*items_r = items;
	return 0;
}

int
store_outbox_mark_sent(struct store *store,
		       const struct store_outbox_item *item, gint64 now,
		       char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_OUTBOX_SENT,
		"UPDATE outbox SET status = 'sent', sent = ?2, "
		"attempts = attempts + 1, last_error = NULL WHERE id = ?1",
		error_r);

	if (stmt == NULL)
		return -1;
	/* journalled: one write(2) instead of a transaction per mail, and
	   no wait for another thread's write lock (above); folded in
	   bulk before the next read of due mail */
	if (store->sent_path != NULL && store_sent_append(store, item, now) == 0)
		return 0;
	sqlite3_bind_int64(stmt, 1, item->id);
	sqlite3_bind_int64(stmt, 2, now);
	return store_step(store, stmt, "mark mail sent", error_r);
}

int
store_outbox_mark_retry(struct store *store, gint64 id, int attempts,
			gint64 next_attempt, const char *error,
			char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_OUTBOX_RETRY,
		"UPDATE outbox SET attempts = ?2, next_attempt = ?3, "
		"last_error = ?4 WHERE id = ?1", error_r);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int(stmt, 2, attempts);
	sqlite3_bind_int64(stmt, 3, next_attempt);
	store_bind_text(stmt, 4, error);
	return store_step(store, stmt, "reschedule mail", error_r);
}

int
store_outbox_mark_failed(struct store *store, gint64 id, const char *error,
			 char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_OUTBOX_FAILED,
		"UPDATE outbox SET status = 'failed', attempts = attempts + 1, "
		"last_error = ?2 WHERE id = ?1", error_r);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	store_bind_text(stmt, 2, error);
	return store_step(store, stmt, "mark mail failed", error_r);
}

int
store_outbox_next_time(struct store *store, gint64 *when_r, char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_OUTBOX_NEXT,
		"SELECT min(next_attempt) FROM outbox WHERE status = 'queued'",
		error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	*when_r = 0;
	if (rc == SQLITE_ROW)
		*when_r = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	if (rc != SQLITE_ROW)
		return store_error(store, "read outbox", error_r);
	return 0;
}

int
store_auto_count(struct store *store, const char *addr, gint64 since,
		 int *count_r, char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_AUTO_COUNT,
		"SELECT count(*) FROM messages WHERE direction = 'out' "
		"AND kind = 'auto' AND to_addrs = ?1 AND received >= ?2",
		error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, addr);
	sqlite3_bind_int64(stmt, 2, since);
	rc = sqlite3_step(stmt);
	*count_r = rc == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : 0;
	sqlite3_reset(stmt);
	if (rc != SQLITE_ROW)
		return store_error(store, "count automatic answers", error_r);
	return 0;
}

int
store_outbox_bounced(struct store *store, const char *message_id,
		     const char *reason, gint64 *ticket_id_r, char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_OUTBOX_BOUNCED,
		"UPDATE outbox SET status = 'bounced', last_error = ?2 "
		"WHERE message_row = (SELECT id FROM messages WHERE "
		"message_id = ?1 AND direction = 'out') "
		"RETURNING coalesce(ticket_id, 0)", error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, message_id);
	store_bind_text(stmt, 2, reason);
	rc = sqlite3_step(stmt);
	*ticket_id_r = 0;
	if (rc == SQLITE_ROW) {
		*ticket_id_r = sqlite3_column_int64(stmt, 0);
		while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
			;
		sqlite3_reset(stmt);
		return rc == SQLITE_DONE ? 1 :
			store_error(store, "mark mail bounced", error_r);
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		return store_error(store, "mark mail bounced", error_r);
	return 0;
}
