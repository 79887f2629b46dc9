/* Maintenance queries of ticketctl: integrity checks, outbox retries and
   import progress (the schema version is store.c's, which migrates). */
#include "autodefs.h"

#include "store-admin.h"
#include "store-private.h"

void
store_import_progress_free(struct store_import_progress *p)
{
	if (p == NULL)
		return;
	g_free(p->path);
	g_free(p->last_name);
	g_free(p);
}

/* Run sql and add a line per row (columns joined by ": ") to problems,
   except a single row "ok" when skip_ok. */
static int
store_check_rows(struct store *store, const char *sql, const char *what,
		 gboolean skip_ok, GPtrArray *problems, char **error_r)
{
	sqlite3_stmt *stmt;
	int rc, n = 0;

	if (sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return store_error(store, what, error_r);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		GString *line = g_string_new(what);
		int cols = sqlite3_column_count(stmt);

		if (skip_ok && cols == 1 &&
		    g_strcmp0((const char *)sqlite3_column_text(stmt, 0),
			      "ok") == 0) {
			g_string_free(line, TRUE);
			continue;
		}
		for (int i = 0; i < cols; i++) {
			const char *v = (const char *)sqlite3_column_text(
				stmt, i);

			g_string_append_printf(line, "%s%s",
					       i == 0 ? ": " : " ",
					       v != NULL ? v : "NULL");
		}
		g_ptr_array_add(problems, g_string_free(line, FALSE));
		n++;
	}
	if (rc != SQLITE_DONE) {
		store_error(store, what, error_r);
		sqlite3_finalize(stmt);
		return -1;
	}
	sqlite3_finalize(stmt);
	return n;
}

int
store_check(struct store *store, GPtrArray *problems, char **error_r)
{
	char *msg = NULL;
	int n, total = 0;

	n = store_check_rows(store, "PRAGMA integrity_check",
			     "integrity_check", TRUE, problems, error_r);
	if (n < 0)
		return -1;
	total += n;
	n = store_check_rows(store, "PRAGMA foreign_key_check",
			     "foreign_key_check (table rowid parent fkid)",
			     FALSE, problems, error_r);
	if (n < 0)
		return -1;
	total += n;
	/* The full-text index's own structure (it holds only incoming
	   messages, and trails ingest: so not compared with every row of
	   its content table).  Run inside a savepoint rolled back. */
	if (sqlite3_exec(store->db, "SAVEPOINT check_fts; "
			 "INSERT INTO messages_fts (messages_fts) "
			 "VALUES ('integrity-check')", NULL, NULL,
			 &msg) != SQLITE_OK) {
		g_ptr_array_add(problems, g_strdup_printf(
			"full-text index: %s", msg != NULL ? msg : "error"));
		total++;
	}
	sqlite3_free(msg);
	sqlite3_exec(store->db, "ROLLBACK TO check_fts; RELEASE check_fts",
		     NULL, NULL, NULL);
	/* Entries for messages that are not there (or not incoming). */
	n = store_check_rows(store, "SELECT d.id FROM messages_fts_docsize d "
			     "LEFT JOIN messages m ON m.id = d.id "
			     "WHERE m.id IS NULL OR m.direction <> 'in' "
			     "LIMIT 100", "full-text index: entry without its "
			     "message (id)", FALSE, problems, error_r);
	if (n < 0)
		return -1;
	total += n;
	return total;
}

int
store_outbox_requeue(struct store *store, gint64 id, gint64 now,
		     char **error_r)
{
	sqlite3_stmt *stmt;
	int rc;

	if (sqlite3_prepare_v2(store->db,
		"UPDATE outbox SET status = 'queued', next_attempt = ?2 "
		"WHERE id = ?1", -1, &stmt, NULL) != SQLITE_OK)
		return store_error(store, "retry outbox mail", error_r);
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, now);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_error(store, "retry outbox mail", error_r);
	return sqlite3_changes(store->db) > 0 ? 1 : 0;
}

int
store_import_progress_get(struct store *store, const char *path,
			  struct store_import_progress **progress_r,
			  char **error_r)
{
	sqlite3_stmt *stmt;
	int rc;

	*progress_r = NULL;
	if (sqlite3_prepare_v2(store->db,
		"SELECT position, last_name, count, done FROM import_progress "
		"WHERE path = ?1", -1, &stmt, NULL) != SQLITE_OK)
		return store_error(store, "read import progress", error_r);
	store_bind_text(stmt, 1, path);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		struct store_import_progress *p =
			g_new0(struct store_import_progress, 1);

		p->path = g_strdup(path);
		p->position = sqlite3_column_int64(stmt, 0);
		p->last_name = store_column_text(stmt, 1);
		p->count = sqlite3_column_int64(stmt, 2);
		p->done = sqlite3_column_int(stmt, 3) != 0;
		*progress_r = p;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_error(store, "read import progress", error_r);
	return rc == SQLITE_ROW ? 1 : 0;
}

int
store_import_progress_set(struct store *store,
			  const struct store_import_progress *p,
			  char **error_r)
{
	sqlite3_stmt *stmt;
	int rc;

	if (sqlite3_prepare_v2(store->db,
		"INSERT INTO import_progress (path, position, last_name, "
		"count, done, updated) VALUES (?1, ?2, ?3, ?4, ?5, "
		"CAST(strftime('%s', 'now') AS INTEGER)) "
		"ON CONFLICT(path) DO UPDATE SET position = excluded.position, "
		"last_name = excluded.last_name, count = excluded.count, "
		"done = excluded.done, updated = excluded.updated", -1, &stmt,
		NULL) != SQLITE_OK)
		return store_error(store, "save import progress", error_r);
	store_bind_text(stmt, 1, p->path);
	sqlite3_bind_int64(stmt, 2, p->position);
	store_bind_text(stmt, 3, p->last_name != NULL ? p->last_name : "");
	sqlite3_bind_int64(stmt, 4, p->count);
	sqlite3_bind_int(stmt, 5, p->done ? 1 : 0);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_error(store, "save import progress", error_r);
	return 0;
}

int
store_import_progress_clear(struct store *store, const char *path,
			    char **error_r)
{
	sqlite3_stmt *stmt;
	int rc;

	if (sqlite3_prepare_v2(store->db,
		"DELETE FROM import_progress WHERE path = ?1", -1, &stmt,
		NULL) != SQLITE_OK)
		return store_error(store, "clear import progress", error_r);
	store_bind_text(stmt, 1, path);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_error(store, "clear import progress", error_r);
	return 0;
}

int
store_import_fast(struct store *store, char **error_r)
{
	if (sqlite3_exec(store->db, "PRAGMA synchronous = NORMAL", NULL, NULL,
			 NULL) != SQLITE_OK)
		return store_error(store, "set synchronous", error_r);
	return 0;
}

int
store_import_settle_ticket(struct store *store, gint64 ticket_id,
			   char **error_r)
{
	sqlite3_stmt *stmt;
	int rc;

	if (sqlite3_prepare_v2(store->db,
		"UPDATE tickets SET "
		"created = min(created, coalesce((SELECT min(m.date) FROM "
		"messages m WHERE m.ticket_id = ?1 AND m.date > 0), created)), "
		"updated = coalesce((SELECT max(m.date) FROM messages m "
		"WHERE m.ticket_id = ?1 AND m.date > 0), updated), "
		"sla_first_fired = 1, sla_resolution_fired = 1 "
		"WHERE id = ?1", -1, &stmt, NULL) != SQLITE_OK)
		return store_error(store, "settle imported ticket", error_r);
	sqlite3_bind_int64(stmt, 1, ticket_id);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return store_error(store, "settle imported ticket", error_r);
	return 0;
}
