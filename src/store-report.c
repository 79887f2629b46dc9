/* Read-only report queries. */
#include "autodefs.h"

#include "store-private.h"
#include "store-report.h"

void
store_csat_row_free(struct store_csat_row *row)
{
	if (row == NULL)
		return;
	g_free(row->mailbox);
	g_free(row->agent);
	g_free(row);
}

static void
store_report_bind(sqlite3_stmt *stmt, const struct store_report_filter *f)
{
	store_bind_text(stmt, 1, f->mailbox);
	sqlite3_bind_int64(stmt, 2, f->since);
	sqlite3_bind_int64(stmt, 3, f->until > 0 ? f->until : G_MAXINT64);
}

int
store_csat_rows(struct store *store, const struct store_report_filter *f,
		GPtrArray **rows_r, char **error_r)
{
	sqlite3_stmt *stmt;
	GPtrArray *rows;
	int rc;

	if (sqlite3_prepare_v2(store->db,
		"SELECT t.mailbox, coalesce(nullif(t.assignee, ''), "
		"(SELECT m.from_addr FROM messages m WHERE m.ticket_id = t.id "
		"AND m.direction = 'in' AND m.kind IN ('agent', 'note') "
		"ORDER BY m.id LIMIT 1), ''), coalesce(s.rating, 0) "
		"FROM surveys s JOIN tickets t ON t.id = s.ticket_id "
		"WHERE s.status = 'sent' AND (?1 IS NULL OR t.mailbox = ?1) "
		"AND s.sent >= ?2 AND s.sent < ?3 ORDER BY s.id", -1, &stmt,
		NULL) != SQLITE_OK)
		return store_error(store, "read surveys", error_r);
	store_report_bind(stmt, f);
	rows = g_ptr_array_new_with_free_func(
		(GDestroyNotify)store_csat_row_free);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_csat_row *row = g_new0(struct store_csat_row, 1);

		row->mailbox = store_column_text(stmt, 0);
		row->agent = store_column_text(stmt, 1);
		row->rating = sqlite3_column_int(stmt, 2);
		g_ptr_array_add(rows, row);
	}
	if (rc != SQLITE_DONE) {
		store_error(store, "read surveys", error_r);
		sqlite3_finalize(stmt);
		g_ptr_array_unref(rows);
		return -1;
	}
	sqlite3_finalize(stmt);
	*rows_r = rows;
	return 0;
}

int
store_status_counts(struct store *store, const struct store_report_filter *f,
		    GHashTable **counts_r, char **error_r)
{
	sqlite3_stmt *stmt;
	GHashTable *counts;
	int rc;

	if (sqlite3_prepare_v2(store->db,
		"SELECT status, count(*) FROM tickets "
		"WHERE (?1 IS NULL OR mailbox = ?1) AND created >= ?2 "
		"AND created < ?3 GROUP BY status", -1, &stmt,
		NULL) != SQLITE_OK)
		return store_error(store, "count tickets", error_r);
	store_report_bind(stmt, f);
	counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_hash_table_insert(counts, store_column_text(stmt, 0),
				    GINT_TO_POINTER(sqlite3_column_int(stmt,
								       1)));
	if (rc != SQLITE_DONE) {
		store_error(store, "count tickets", error_r);
		sqlite3_finalize(stmt);
		g_hash_table_unref(counts);
		return -1;
	}
	sqlite3_finalize(stmt);
	*counts_r = counts;
	return 0;
}

void
store_ticket_times_free(struct store_ticket_times *row)
{
	if (row == NULL)
		return;
	g_free(row->mailbox);
	g_free(row->agent);
	g_free(row->status);
	g_free(row);
}

int
store_ticket_times(struct store *store, const struct store_report_filter *f,
		   GPtrArray **rows_r, char **error_r)
{
	sqlite3_stmt *stmt;
	GPtrArray *rows;
	int rc;

	if (sqlite3_prepare_v2(store->db,
		"SELECT t.id, t.mailbox, coalesce(nullif(t.assignee, ''), "
		"(SELECT m.from_addr FROM messages m WHERE m.ticket_id = t.id "
		"AND m.direction = 'in' AND m.kind IN ('agent', 'note') "
		"ORDER BY m.id LIMIT 1), ''), t.status, t.created, "
		"coalesce(t.first_response, 0), coalesce(t.resolved, 0), "
		"coalesce(t.closed, 0), (SELECT count(*) FROM events e "
		"WHERE e.ticket_id = t.id AND e.what = 'reopened') "
		"FROM tickets t WHERE (?1 IS NULL OR t.mailbox = ?1) "
		"AND t.created < ?3 AND ?2 >= 0 ORDER BY t.created, t.id", -1,
		&stmt, NULL) != SQLITE_OK)
		return store_error(store, "read ticket times", error_r);
	store_report_bind(stmt, f);
	rows = g_ptr_array_new_with_free_func(
		(GDestroyNotify)store_ticket_times_free);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_ticket_times *row =
			g_new0(struct store_ticket_times, 1);

		row->id = sqlite3_column_int64(stmt, 0);
		row->mailbox = store_column_text(stmt, 1);
		row->agent = store_column_text(stmt, 2);
		row->status = store_column_text(stmt, 3);
		row->created = sqlite3_column_int64(stmt, 4);
		row->first_response = sqlite3_column_int64(stmt, 5);
		row->resolved = sqlite3_column_int64(stmt, 6);
		row->closed = sqlite3_column_int64(stmt, 7);
		row->reopened = sqlite3_column_int(stmt, 8);
		g_ptr_array_add(rows, row);
	}
	if (rc != SQLITE_DONE) {
		store_error(store, "read ticket times", error_r);
		sqlite3_finalize(stmt);
		g_ptr_array_unref(rows);
		return -1;
	}
	sqlite3_finalize(stmt);
	*rows_r = rows;
	return 0;
}
