/* Tickets, messages, attachments and events in the SQLite store. */
#include "autodefs.h"

#include <string.h>

#include "store-private.h"

/* Run a statement expected to finish without rows. */
static int
store_ticket_step(struct store *store, sqlite3_stmt *stmt, const char *what,
		  char **error_r)
{
	int rc = sqlite3_step(stmt);

	if (rc != SQLITE_DONE) {
		store_error(store, what, error_r);
		sqlite3_reset(stmt);
		return -1;
	}
	sqlite3_reset(stmt);
	return 0;
}

int
store_message_find(struct store *store, const char *message_id,
		   gint64 *ticket_id_r, char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_MESSAGE_FIND,
		"SELECT ticket_id FROM messages WHERE message_id = ?1",
		error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, message_id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*ticket_id_r = sqlite3_column_int64(stmt, 0);
		sqlite3_reset(stmt);
		return 1;
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		return store_error(store, "find message", error_r);
	return 0;
}

int
store_ticket_exists(struct store *store, gint64 id, char **mailbox_r,
		    char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_TICKET_EXISTS,
		"SELECT mailbox FROM tickets WHERE id = ?1", error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		if (mailbox_r != NULL)
			*mailbox_r = store_column_text(stmt, 0);
		sqlite3_reset(stmt);
		return 1;
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		return store_error(store, "find ticket", error_r);
	return 0;
}

int
store_ticket_insert(struct store *store, const struct store_ticket *t,
		    gint64 *id_r, char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_TICKET_INSERT,
		"INSERT INTO tickets (mailbox, subject, status, priority, "
		"requester, requester_name, created, updated) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)", error_r);
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, t->mailbox);
	store_bind_text(stmt, 2, t->subject);
	store_bind_text(stmt, 3, t->status != NULL ? t->status : "new");
	store_bind_text(stmt, 4, t->priority != NULL ? t->priority : "normal");
	store_bind_text(stmt, 5, t->requester);
	store_bind_text(stmt, 6, t->requester_name != NULL ?
			t->requester_name : "");
	sqlite3_bind_int64(stmt, 7, now);
	if (store_ticket_step(store, stmt, "insert ticket", error_r) < 0)
		return -1;
	*id_r = sqlite3_last_insert_rowid(store->db);
	return 0;
}

int
store_ticket_touch(struct store *store, gint64 id, gint64 when,
		   char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_TICKET_TOUCH,
		"UPDATE tickets SET updated = max(updated, ?2) WHERE id = ?1",
		error_r);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, when);
	return store_ticket_step(store, stmt, "update ticket", error_r);
}

/* Join the addr-specs of an address list with ", ". */
static char *
store_join_addresses(const GPtrArray *list)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < list->len; i++) {
		const struct message_address *a = list->pdata[i];

		if (s->len > 0)
			g_string_append(s, ", ");
		g_string_append(s, a->addr);
	}
	return g_string_free(s, FALSE);
}

static char *
store_join_references(const GPtrArray *refs)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < refs->len; i++) {
		if (s->len > 0)
			g_string_append_c(s, ' ');
		g_string_append_printf(s, "<%s>", (const char *)refs->pdata[i]);
	}
	return g_string_free(s, FALSE);
}

static int
store_attachment_insert(struct store *store, gint64 row,
			const struct message_attachment *a, char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_ATTACHMENT_INSERT,
		"INSERT INTO attachments (message_row, filename, "
		"content_type, size, content) VALUES (?1, ?2, ?3, ?4, ?5)",
		error_r);
	gsize len = 0;
	gconstpointer data = NULL;

	if (stmt == NULL)
		return -1;
	if (a->content != NULL)
		data = g_bytes_get_data(a->content, &len);
	sqlite3_bind_int64(stmt, 1, row);
	store_bind_text(stmt, 2, a->filename != NULL ? a->filename : "");
	store_bind_text(stmt, 3, a->content_type != NULL ?
			a->content_type : "application/octet-stream");
	sqlite3_bind_int64(stmt, 4, (sqlite3_int64)a->size);
	sqlite3_bind_blob64(stmt, 5, data != NULL ? data : "", len,
			    SQLITE_STATIC);
	return store_ticket_step(store, stmt, "insert attachment", error_r);
}

int
store_message_insert(struct store *store, const struct message *msg,
		     const struct store_message_meta *meta, gint64 *row_r,
		     char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_MESSAGE_INSERT,
		"INSERT INTO messages (ticket_id, message_id, synthetic_id, "
		"mailbox, direction, kind, thread_by, from_addr, from_name, "
		"to_addrs, cc_addrs, subject, date, received, in_reply_to, "
		"refs, body, parse_error, raw_size, raw) VALUES (?1, ?2, ?3, "
		"?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
		"?17, ?18, ?19, ?20)", error_r);
	char *to, *cc, *refs;
	gsize raw_len;
	gconstpointer raw;
	gint64 row;
	int rc;

	if (stmt == NULL)
		return -1;
	raw = g_bytes_get_data(msg->raw, &raw_len);
	to = store_join_addresses(msg->to);
	cc = store_join_addresses(msg->cc);
	refs = store_join_references(msg->references);
	sqlite3_bind_int64(stmt, 1, meta->ticket_id);
	store_bind_text(stmt, 2, msg->message_id);
	sqlite3_bind_int(stmt, 3, msg->message_id_synthetic ? 1 : 0);
	store_bind_text(stmt, 4, meta->mailbox);
	store_bind_text(stmt, 5, meta->direction);
	store_bind_text(stmt, 6, meta->kind);
	store_bind_text(stmt, 7, meta->thread_by);
	store_bind_text(stmt, 8, msg->from.addr != NULL ? msg->from.addr : "");
	store_bind_text(stmt, 9, msg->from.name != NULL ? msg->from.name : "");
	store_bind_text(stmt, 10, to);
	store_bind_text(stmt, 11, cc);
	store_bind_text(stmt, 12, msg->subject);
	sqlite3_bind_int64(stmt, 13, msg->date);
	sqlite3_bind_int64(stmt, 14, g_get_real_time() / G_USEC_PER_SEC);
	store_bind_text(stmt, 15, msg->in_reply_to);
	store_bind_text(stmt, 16, refs);
	store_bind_text(stmt, 17, msg->body);
	store_bind_text(stmt, 18, msg->parse_error);
	sqlite3_bind_int64(stmt, 19, (sqlite3_int64)raw_len);
	sqlite3_bind_blob64(stmt, 20, raw != NULL ? raw : "", raw_len,
			    SQLITE_STATIC);
	rc = store_ticket_step(store, stmt, "insert message", error_r);
	g_free(to);
	g_free(cc);
	g_free(refs);
	if (rc < 0)
		return -1;
	row = sqlite3_last_insert_rowid(store->db);
	for (guint i = 0; i < msg->attachments->len; i++)
		if (store_attachment_insert(store, row,
					    msg->attachments->pdata[i],
					    error_r) < 0)
			return -1;
	if (row_r != NULL)
		*row_r = row;
	return 0;
}

int
store_event_add(struct store *store, gint64 ticket_id, const char *actor,
		const char *what, const char *detail, gint64 message_row,
		char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_EVENT_INSERT,
		"INSERT INTO events (ticket_id, created, actor, what, detail, "
		"message_row) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", error_r);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, ticket_id);
	sqlite3_bind_int64(stmt, 2, g_get_real_time() / G_USEC_PER_SEC);
	store_bind_text(stmt, 3, actor);
	store_bind_text(stmt, 4, what);
	store_bind_text(stmt, 5, detail != NULL ? detail : "");
	if (message_row > 0)
		sqlite3_bind_int64(stmt, 6, message_row);
	else
		sqlite3_bind_null(stmt, 6);
	return store_ticket_step(store, stmt, "insert event", error_r);
}

#define STORE_TICKET_COLUMNS \
	"t.id, t.mailbox, t.subject, t.status, t.priority, t.requester, " \
	"t.requester_name, t.created, t.updated, " \
	"(SELECT count(*) FROM messages m WHERE m.ticket_id = t.id)"

static struct store_ticket *
store_ticket_from_row(sqlite3_stmt *stmt)
{
	struct store_ticket *t = g_new0(struct store_ticket, 1);

	t->id = sqlite3_column_int64(stmt, 0);
	t->mailbox = store_column_text(stmt, 1);
	t->subject = store_column_text(stmt, 2);
	t->status = store_column_text(stmt, 3);
	t->priority = store_column_text(stmt, 4);
	t->requester = store_column_text(stmt, 5);
	t->requester_name = store_column_text(stmt, 6);
	t->created = sqlite3_column_int64(stmt, 7);
	t->updated = sqlite3_column_int64(stmt, 8);
	t->message_count = sqlite3_column_int64(stmt, 9);
	return t;
}

void
store_ticket_free(struct store_ticket *t)
{
	if (t == NULL)
		return;
	g_free(t->mailbox);
	g_free(t->subject);
	g_free(t->status);
	g_free(t->priority);
	g_free(t->requester);
	g_free(t->requester_name);
	g_free(t);
}

int
store_ticket_list(struct store *store,
		  const struct store_ticket_filter *filter,
		  GPtrArray **tickets_r, char **error_r)
{
	/* Not cached: the admin CLI runs it once per process. */
	sqlite3_stmt *stmt;
	GPtrArray *list;
	int rc;

	if (sqlite3_prepare_v2(store->db,
		"SELECT " STORE_TICKET_COLUMNS " FROM tickets t "
		"WHERE (?1 IS NULL OR t.status = ?1) "
		"AND (?2 IS NULL OR t.mailbox = ?2) "
		"ORDER BY t.id DESC LIMIT ?3", -1, &stmt, NULL) != SQLITE_OK)
		return store_error(store, "list tickets", error_r);
	store_bind_text(stmt, 1, filter->status);
	store_bind_text(stmt, 2, filter->mailbox);
	sqlite3_bind_int64(stmt, 3, filter->limit > 0 ? filter->limit : -1);
	list = g_ptr_array_new_with_free_func(
		(GDestroyNotify)store_ticket_free);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_ptr_array_add(list, store_ticket_from_row(stmt));
	if (rc != SQLITE_DONE) {
		store_error(store, "list tickets", error_r);
		sqlite3_finalize(stmt);
		g_ptr_array_unref(list);
		return -1;
	}
	sqlite3_finalize(stmt);
	*tickets_r = list;
	return 0;
}

int
store_ticket_get(struct store *store, gint64 id,
		 struct store_ticket **ticket_r, char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_TICKET_GET,
		"SELECT " STORE_TICKET_COLUMNS " FROM tickets t WHERE t.id = ?1",
		error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*ticket_r = store_ticket_from_row(stmt);
		sqlite3_reset(stmt);
		return 1;
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		return store_error(store, "read ticket", error_r);
	return 0;
}

static void
store_attachment_free(struct store_attachment *a)
{
	g_free(a->filename);
	g_free(a->content_type);
	g_free(a);
}

void
store_message_free(struct store_message *m)
{
	if (m == NULL)
		return;
	g_free(m->message_id);
	g_free(m->from_addr);
	g_free(m->from_name);
	g_free(m->to_addrs);
	g_free(m->cc_addrs);
	g_free(m->subject);
	g_free(m->direction);
	g_free(m->kind);
	g_free(m->thread_by);
	g_free(m->body);
	g_free(m->parse_error);
	if (m->attachments != NULL)
		g_ptr_array_unref(m->attachments);
	g_free(m);
}

static int
store_message_attachments(struct store *store, struct store_message *m,
			  char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_MESSAGE_ATTACHMENTS,
		"SELECT filename, content_type, size FROM attachments "
		"WHERE message_row = ?1 ORDER BY id", error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, m->id);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_attachment *a = g_new0(struct store_attachment, 1);

		a->filename = store_column_text(stmt, 0);
		a->content_type = store_column_text(stmt, 1);
		a->size = sqlite3_column_int64(stmt, 2);
		g_ptr_array_add(m->attachments, a);
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		return store_error(store, "read attachments", error_r);
	return 0;
}

int
store_ticket_messages(struct store *store, gint64 id, GPtrArray **messages_r,
		      char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_TICKET_MESSAGES,
		"SELECT id, ticket_id, message_id, from_addr, from_name, "
		"to_addrs, cc_addrs, subject, date, received, direction, kind, "
		"thread_by, body, parse_error, raw_size FROM messages "
		"WHERE ticket_id = ?1 ORDER BY id", error_r);
	GPtrArray *list;
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	list = g_ptr_array_new_with_free_func(
		(GDestroyNotify)store_message_free);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_message *m = g_new0(struct store_message, 1);

		m->id = sqlite3_column_int64(stmt, 0);
		m->ticket_id = sqlite3_column_int64(stmt, 1);
		m->message_id = store_column_text(stmt, 2);
		m->from_addr = store_column_text(stmt, 3);
		m->from_name = store_column_text(stmt, 4);
		m->to_addrs = store_column_text(stmt, 5);
		m->cc_addrs = store_column_text(stmt, 6);
		m->subject = store_column_text(stmt, 7);
		m->date = sqlite3_column_int64(stmt, 8);
		m->received = sqlite3_column_int64(stmt, 9);
		m->direction = store_column_text(stmt, 10);
		m->kind = store_column_text(stmt, 11);
		m->thread_by = store_column_text(stmt, 12);
		m->body = store_column_text(stmt, 13);
		m->parse_error = store_column_text(stmt, 14);
		m->raw_size = sqlite3_column_int64(stmt, 15);
		m->attachments = g_ptr_array_new_with_free_func(
			(GDestroyNotify)store_attachment_free);
		g_ptr_array_add(list, m);
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		g_ptr_array_unref(list);
		return store_error(store, "read messages", error_r);
	}
	for (guint i = 0; i < list->len; i++) {
		if (store_message_attachments(store, list->pdata[i],
					      error_r) < 0) {
			g_ptr_array_unref(list);
			return -1;
		}
	}
	*messages_r = list;
	return 0;
}
