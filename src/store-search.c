/* Finding tickets and messages: filtered, sorted, paged ticket lists and
   full-text search (FTS5, trigram tokenizer, with a LIKE fallback). */
#include "autodefs.h"

#include <string.h>

#include "store-private.h"
#include "store-search.h"

#define STORE_SEARCH_TICKET_WHERE \
	"WHERE (?1 IS NULL OR t.status = ?1) " \
	"AND (?2 IS NULL OR t.mailbox = ?2) " \
	"AND (?3 IS NULL OR lower(t.requester) = lower(?3)) " \
	"AND (?4 IS NULL OR lower(t.assignee) = lower(?4)) " \
	"AND (?5 IS NULL OR t.priority = ?5) " \
	"AND (?6 = 0 OR t.created < ?6) " \
	"AND (?7 = 0 OR t.created >= ?7) "

#define STORE_SEARCH_PRIORITY \
	"CASE t.priority WHEN 'urgent' THEN 3 WHEN 'high' THEN 2 " \
	"WHEN 'normal' THEN 1 ELSE 0 END"

/* ORDER BY clauses: [sort][reverse]. */
static const char *const store_search_order[][2] = {
	[STORE_QUERY_SORT_ID] = { "t.id DESC", "t.id ASC" },
	[STORE_QUERY_SORT_CREATED] = { "t.created DESC, t.id DESC",
				       "t.created ASC, t.id ASC" },
	[STORE_QUERY_SORT_UPDATED] = { "t.updated DESC, t.id DESC",
				       "t.updated ASC, t.id ASC" },
	[STORE_QUERY_SORT_PRIORITY] = {
		STORE_SEARCH_PRIORITY " DESC, t.id DESC",
		STORE_SEARCH_PRIORITY " ASC, t.id ASC" },
};

void
store_search_hit_free(struct store_search_hit *hit)
{
	if (hit == NULL)
		return;
	g_free(hit->message_id);
	g_free(hit->subject);
	g_free(hit->snippet);
	g_free(hit);
}

static void
store_search_bind_query(sqlite3_stmt *stmt, const struct store_ticket_query *q)
{
	store_bind_text(stmt, 1, q->status);
	store_bind_text(stmt, 2, q->mailbox);
	store_bind_text(stmt, 3, q->requester);
	store_bind_text(stmt, 4, q->assignee);
	store_bind_text(stmt, 5, q->priority);
	sqlite3_bind_int64(stmt, 6, q->created_before);
	sqlite3_bind_int64(stmt, 7, q->created_since);
}

int
store_ticket_query(struct store *store, const struct store_ticket_query *q,
		   GPtrArray **tickets_r, gint64 *total_r, char **error_r)
{
	sqlite3_stmt *stmt;
	char *sql;
	int rc;

	if (total_r != NULL) {
		if (sqlite3_prepare_v2(store->db,
			"SELECT count(*) FROM tickets t "
			STORE_SEARCH_TICKET_WHERE, -1, &stmt,
			NULL) != SQLITE_OK)
			return store_error(store, "count tickets", error_r);
		store_search_bind_query(stmt, q);
		rc = sqlite3_step(stmt);
		*total_r = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
		sqlite3_finalize(stmt);
		if (rc != SQLITE_ROW)
			return store_error(store, "count tickets", error_r);
	}
	/* Only our own constant text goes into the statement. */
	sql = g_strdup_printf("SELECT " STORE_TICKET_COLUMNS
			      " FROM tickets t " STORE_SEARCH_TICKET_WHERE
			      "ORDER BY %s LIMIT ?8 OFFSET ?9",
			      store_search_order[q->sort][q->reverse ? 1 : 0]);
	rc = sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL);
	g_free(sql);
	if (rc != SQLITE_OK)
		return store_error(store, "list tickets", error_r);
	store_search_bind_query(stmt, q);
	sqlite3_bind_int64(stmt, 8, q->limit > 0 ? q->limit : -1);
	sqlite3_bind_int64(stmt, 9, q->offset > 0 ? q->offset : 0);
	rc = store_ticket_collect(store, stmt, tickets_r, error_r);
	sqlite3_finalize(stmt);
	return rc;
}

/* Split text into words: white space separates, double quotes group.  New
   NULL-terminated vector of non-empty words. */
static char **
store_search_words(const char *text)
{
	GPtrArray *words = g_ptr_array_new();
	GString *w = g_string_new(NULL);
	gboolean quoted = FALSE;

	for (const char *p = text; ; p++) {
		if (*p == '"') {
			quoted = !quoted;
			continue;
		}
		if (*p == '\0' || (!quoted && g_ascii_isspace(*p))) {
			if (w->len > 0)
				g_ptr_array_add(words, g_strdup(w->str));
			g_string_truncate(w, 0);
			if (*p == '\0')
				break;
			continue;
		}
		g_string_append_c(w, *p);
	}
	g_string_free(w, TRUE);
	g_ptr_array_add(words, NULL);
	return (char **)g_ptr_array_free(words, FALSE);
}

/* The FTS5 query "w1" "w2" ... (every word a string, so that no word is
   read as an operator). */
static char *
store_search_fts_query(char **words)
{
	GString *q = g_string_new(NULL);

	for (char **w = words; *w != NULL; w++) {
		if (q->len > 0)
			g_string_append_c(q, ' ');
		g_string_append_c(q, '"');
		for (const char *p = *w; *p != '\0'; p++) {
			if (*p == '"')
				g_string_append_c(q, '"');
			g_string_append_c(q, *p);
		}
		g_string_append_c(q, '"');
	}
	return g_string_free(q, FALSE);
}

/* A LIKE pattern matching word anywhere ('\' escapes). */
static char *
store_search_like(const char *word)
{
	GString *p = g_string_new("%");

	for (const char *c = word; *c != '\0'; c++) {
		if (*c == '%' || *c == '_' || *c == '\\')
			g_string_append_c(p, '\\');
		g_string_append_c(p, *c);
	}
	g_string_append_c(p, '%');
	return g_string_free(p, FALSE);
}

/* Snippet for a LIKE hit: about 60 characters of text around the first
   occurrence of word (ASCII case folded), the match in brackets. */
static char *
store_search_snippet(const char *text, const char *word)
{
	char *lt = g_ascii_strdown(text, -1), *lw = g_ascii_strdown(word, -1);
	const char *hit = strstr(lt, lw);
	const char *start, *end, *m;
	GString *s;
	size_t wlen = strlen(word);
	int n;

	if (hit == NULL) {
		g_free(lt);
		g_free(lw);
		return g_utf8_substring(text, 0, MIN(g_utf8_strlen(text, -1),
						     60));
	}
	m = text + (hit - lt);
	start = m;
	for (n = 0; n < 25 && start > text; n++)
		start = g_utf8_find_prev_char(text, start);
	end = m + wlen;
	for (n = 0; n < 25 && *end != '\0'; n++)
		end = g_utf8_next_char(end);
	s = g_string_new(start > text ? "\xe2\x80\xa6" : "");
	g_string_append_len(s, start, m - start);
	g_string_append_c(s, '[');
	g_string_append_len(s, m, (gssize)wlen);
	g_string_append_c(s, ']');
	g_string_append_len(s, m + wlen, end - (m + wlen));
	if (*end != '\0')
		g_string_append(s, "\xe2\x80\xa6");
	for (gsize i = 0; i < s->len; i++)
		if (s->str[i] == '\n' || s->str[i] == '\r' ||
		    s->str[i] == '\t')
			s->str[i] = ' ';
	g_free(lt);
	g_free(lw);
	return g_string_free(s, FALSE);
}

static int
store_search_run(struct store *store, sqlite3_stmt *stmt, gboolean like,
		 const char *first_word, GPtrArray *hits, char **error_r)
{
	int rc;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_search_hit *h = g_new0(struct store_search_hit, 1);

		h->ticket_id = sqlite3_column_int64(stmt, 0);
		h->message_id = store_column_text(stmt, 1);
		h->subject = store_column_text(stmt, 2);
		if (like) {
			char *subject = store_column_text(stmt, 2);
			char *body = store_column_text(stmt, 3);
			char *ls = g_ascii_strdown(subject, -1);
			char *lw = g_ascii_strdown(first_word, -1);

			h->snippet = store_search_snippet(
				strstr(ls, lw) != NULL ? subject : body,
				first_word);
			g_free(ls);
			g_free(lw);
			g_free(subject);
			g_free(body);
		} else {
			h->snippet = store_column_text(stmt, 3);
			h->rank = sqlite3_column_double(stmt, 4);
		}
		if (h->snippet != NULL)
			for (char *p = h->snippet; *p != '\0'; p++)
				if (*p == '\n' || *p == '\r' || *p == '\t')
					*p = ' ';
		g_ptr_array_add(hits, h);
	}
	if (rc != SQLITE_DONE)
		return store_error(store, "search", error_r);
	return 0;
}

int
store_search(struct store *store, const char *text, const char *mailbox,
	     int limit, GPtrArray **hits_r, char **error_r)
{
	char **words = store_search_words(text);
	gboolean like = FALSE;
	sqlite3_stmt *stmt;
	GPtrArray *hits;
	int rc, nwords = (int)g_strv_length(words);

	if (nwords == 0) {
		g_strfreev(words);
		*error_r = g_strdup("search: nothing to search for");
		return -1;
	}
	/* The index trails ingest (store.c): catch it up first. */
	for (;;) {
		gboolean pending;

		if (store_fts_pending(store, &pending, error_r) < 0 ||
		    (pending &&
		     store_fts_sync(store, 1000, NULL, error_r) < 0)) {
			g_strfreev(words);
			return -1;
		}
		if (!pending)
			break;
	}
	for (int i = 0; i < nwords; i++)
		if (g_utf8_strlen(words[i], -1) < 3)
			like = TRUE;
	if (like) {
		/* Up to 8 words; ?3.. are their patterns. */
		GString *sql = g_string_new(
			"SELECT coalesce(m.ticket_id, 0), m.message_id, "
			"m.subject, m.body FROM messages m "
			"WHERE m.direction = 'in' "
			"AND (?1 IS NULL OR m.mailbox = ?1)");

		nwords = MIN(nwords, 8);
		for (int i = 0; i < nwords; i++)
			g_string_append_printf(sql, " AND (m.subject LIKE ?%d "
					       "ESCAPE '\\' OR m.body LIKE ?%d "
					       "ESCAPE '\\')", i + 3, i + 3);
		g_string_append(sql, " ORDER BY m.id DESC LIMIT ?2");
		rc = sqlite3_prepare_v2(store->db, sql->str, -1, &stmt, NULL);
		g_string_free(sql, TRUE);
		if (rc != SQLITE_OK) {
			g_strfreev(words);
			return store_error(store, "search", error_r);
		}
		for (int i = 0; i < nwords; i++) {
			char *pat = store_search_like(words[i]);

			sqlite3_bind_text(stmt, i + 3, pat, -1,
					  SQLITE_TRANSIENT);
			g_free(pat);
		}
	} else {
		char *q = store_search_fts_query(words);

		if (sqlite3_prepare_v2(store->db,
			"SELECT coalesce(m.ticket_id, 0), m.message_id, "
			"m.subject, snippet(messages_fts, -1, '[', ']', "
			"'\xe2\x80\xa6', 12), bm25(messages_fts) "
			"FROM messages_fts JOIN messages m "
			"ON m.id = messages_fts.rowid "
			"WHERE messages_fts MATCH ?3 AND m.direction = 'in' "
			"AND (?1 IS NULL OR m.mailbox = ?1) "
			"ORDER BY bm25(messages_fts) LIMIT ?2", -1, &stmt,
			NULL) != SQLITE_OK) {
			g_free(q);
			g_strfreev(words);
			return store_error(store, "search", error_r);
		}
		sqlite3_bind_text(stmt, 3, q, -1, SQLITE_TRANSIENT);
		g_free(q);
	}
	store_bind_text(stmt, 1, mailbox);
	sqlite3_bind_int(stmt, 2, limit > 0 ? limit : 50);
	hits = g_ptr_array_new_with_free_func(
		(GDestroyNotify)store_search_hit_free);
	rc = store_search_run(store, stmt, like, words[0], hits, error_r);
	sqlite3_finalize(stmt);
	g_strfreev(words);
	if (rc < 0) {
		g_ptr_array_unref(hits);
		return -1;
	}
	*hits_r = hits;
	return 0;
}
