/* Tickets, messages, attachments and events in the SQLite store. */
#include "autodefs.h"

#include <string.h>

#include "store-private.h"

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
	if (store_step(store, stmt, "insert ticket", error_r) < 0)
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
	return store_step(store, stmt, "update ticket", error_r);
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
	return store_step(store, stmt, "insert attachment", error_r);
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
		"refs, body, parse_error, raw_size, raw, flagged, thread_root) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
		"?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)", error_r);
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
	if (meta->ticket_id > 0)
		sqlite3_bind_int64(stmt, 1, meta->ticket_id);
	else
		sqlite3_bind_null(stmt, 1);
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
	store_bind_text(stmt, 21, meta->flagged);
	store_bind_text(stmt, 22, meta->thread_root);
	rc = store_step(store, stmt, "insert message", error_r);
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
	return store_step(store, stmt, "insert event", error_r);
}

struct store_ticket *
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
	t->assignee = store_column_text(stmt, 10);
	t->first_response = sqlite3_column_int64(stmt, 11);
	t->resolved = sqlite3_column_int64(stmt, 12);
	t->closed = sqlite3_column_int64(stmt, 13);
	t->linked_to = sqlite3_column_int64(stmt, 14);
	t->merged_into = sqlite3_column_int64(stmt, 15);
	t->escalated = sqlite3_column_int(stmt, 16) != 0;
	t->sla_first_fired = sqlite3_column_int(stmt, 17) != 0;
	t->sla_resolution_fired = sqlite3_column_int(stmt, 18) != 0;
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
	g_free(t->assignee);
	g_free(t);
}

int
store_ticket_list(struct store *store,
		  const struct store_ticket_filter *filter,
		  GPtrArray **tickets_r, char **error_r)
{
	/* Not cached: the admin CLI runs it once per process. */
	sqlite3_stmt *stmt;
	int rc;

	if (sqlite3_prepare_v2(store->db,
		"SELECT " STORE_TICKET_COLUMNS " FROM tickets t "
		"WHERE (?1 IS NULL OR t.status = ?1) "
		"AND (?2 IS NULL OR t.mailbox = ?2) "
		"AND (?4 IS NULL OR t.requester = ?4) "
		"AND (?5 = 0 OR t.status <> 'closed') "
		"ORDER BY t.id DESC LIMIT ?3", -1, &stmt, NULL) != SQLITE_OK)
		return store_error(store, "list tickets", error_r);
	store_bind_text(stmt, 1, filter->status);
	store_bind_text(stmt, 2, filter->mailbox);
	sqlite3_bind_int64(stmt, 3, filter->limit > 0 ? filter->limit : -1);
	store_bind_text(stmt, 4, filter->requester);
	sqlite3_bind_int(stmt, 5, filter->not_closed ? 1 : 0);
	rc = store_ticket_collect(store, stmt, tickets_r, error_r);
	sqlite3_finalize(stmt);
	return rc;
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
	g_free(m->flagged);
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
		"thread_by, body, parse_error, raw_size, flagged FROM messages "
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
		m->flagged = store_column_text(stmt, 16);
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

/* Bind a time or id that is 0 when unset as NULL. */
static void
store_bind_optional(sqlite3_stmt *stmt, int col, gint64 v)
{
	if (v > 0)
		sqlite3_bind_int64(stmt, col, v);
	else
		sqlite3_bind_null(stmt, col);
}

int
store_ticket_update(struct store *store, const struct store_ticket *t,
		    char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_TICKET_UPDATE,
		"UPDATE tickets SET status = ?2, priority = ?3, assignee = ?4, "
		"updated = max(updated, ?5), first_response = ?6, "
		"resolved = ?7, closed = ?8, linked_to = ?9, merged_into = ?10, "
		"escalated = ?11, sla_first_fired = ?12, "
		"sla_resolution_fired = ?13 WHERE id = ?1", error_r);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, t->id);
	store_bind_text(stmt, 2, t->status);
	store_bind_text(stmt, 3, t->priority != NULL ? t->priority : "normal");
	store_bind_text(stmt, 4, t->assignee != NULL ? t->assignee : "");
	sqlite3_bind_int64(stmt, 5, t->updated);
	store_bind_optional(stmt, 6, t->first_response);
	store_bind_optional(stmt, 7, t->resolved);
	store_bind_optional(stmt, 8, t->closed);
	store_bind_optional(stmt, 9, t->linked_to);
	store_bind_optional(stmt, 10, t->merged_into);
	sqlite3_bind_int(stmt, 11, t->escalated ? 1 : 0);
	sqlite3_bind_int(stmt, 12, t->sla_first_fired ? 1 : 0);
	sqlite3_bind_int(stmt, 13, t->sla_resolution_fired ? 1 : 0);
	return store_step(store, stmt, "update ticket", error_r);
}

int
store_ticket_move_messages(struct store *store, gint64 from, gint64 into,
			   char **error_r)
{
	sqlite3_stmt *stmt;

	stmt = store_stmt(store, STORE_STMT_MOVE_MESSAGES,
		"UPDATE messages SET ticket_id = ?2 WHERE ticket_id = ?1",
		error_r);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, from);
	sqlite3_bind_int64(stmt, 2, into);
	if (store_step(store, stmt, "move messages", error_r) < 0)
		return -1;
	stmt = store_stmt(store, STORE_STMT_MOVE_PARTICIPANTS,
		"INSERT OR IGNORE INTO participants (ticket_id, address, name, "
		"role) SELECT ?2, address, name, 'cc' FROM participants "
		"WHERE ticket_id = ?1", error_r);
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, from);
	sqlite3_bind_int64(stmt, 2, into);
	return store_step(store, stmt, "move participants", error_r);
}

int
store_participant_add(struct store *store, gint64 ticket_id,
		      const char *address, const char *name, const char *role,
		      char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_PARTICIPANT_ADD,
		"INSERT OR IGNORE INTO participants (ticket_id, address, name, "
		"role) VALUES (?1, lower(?2), ?3, ?4)", error_r);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, ticket_id);
	store_bind_text(stmt, 2, address);
	store_bind_text(stmt, 3, name != NULL ? name : "");
	store_bind_text(stmt, 4, role);
	return store_step(store, stmt, "add participant", error_r);
}

void
store_participant_free(struct store_participant *p)
{
	if (p == NULL)
		return;
	g_free(p->address);
	g_free(p->name);
	g_free(p->role);
	g_free(p);
}

int
store_participants(struct store *store, gint64 ticket_id,
		   GPtrArray **participants_r, char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_PARTICIPANTS,
		"SELECT address, name, role FROM participants WHERE "
		"ticket_id = ?1 ORDER BY role <> 'requester', rowid", error_r);
	GPtrArray *list;
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, ticket_id);
	list = g_ptr_array_new_with_free_func(
		(GDestroyNotify)store_participant_free);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_participant *p = g_new0(struct store_participant,
						     1);

		p->address = store_column_text(stmt, 0);
		p->name = store_column_text(stmt, 1);
		p->role = store_column_text(stmt, 2);
		g_ptr_array_add(list, p);
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		g_ptr_array_unref(list);
		return store_error(store, "read participants", error_r);
	}
	*participants_r = list;
	return 0;
}

void
store_event_free(struct store_event *e)
{
	if (e == NULL)
		return;
	g_free(e->actor);
	g_free(e->what);
	g_free(e->detail);
	g_free(e->message_id);
	g_free(e);
}

int
store_events(struct store *store, gint64 ticket_id, GPtrArray **events_r,
	     char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_EVENTS,
		"SELECT e.created, e.actor, e.what, e.detail, "
		"coalesce(m.message_id, '') FROM events e LEFT JOIN messages m "
		"ON m.id = e.message_row WHERE e.ticket_id = ?1 ORDER BY e.id",
		error_r);
	GPtrArray *list;
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, ticket_id);
	list = g_ptr_array_new_with_free_func(
		(GDestroyNotify)store_event_free);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_event *e = g_new0(struct store_event, 1);

		e->created = sqlite3_column_int64(stmt, 0);
		e->actor = store_column_text(stmt, 1);
		e->what = store_column_text(stmt, 2);
		e->detail = store_column_text(stmt, 3);
		e->message_id = store_column_text(stmt, 4);
		g_ptr_array_add(list, e);
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		g_ptr_array_unref(list);
		return store_error(store, "read events", error_r);
	}
	*events_r = list;
	return 0;
}

void
store_message_ref_free(struct store_message_ref *r)
{
	if (r == NULL)
		return;
	g_free(r->message_id);
	g_free(r->direction);
	g_free(r->kind);
	g_free(r->to_addrs);
	g_free(r);
}

int
store_ticket_message_refs(struct store *store, gint64 ticket_id,
			  GPtrArray **refs_r, char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_MESSAGE_REFS,
		"SELECT message_id, direction, kind, to_addrs FROM messages "
		"WHERE ticket_id = ?1 ORDER BY id", error_r);
	GPtrArray *list;
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, ticket_id);
	list = g_ptr_array_new_with_free_func(
		(GDestroyNotify)store_message_ref_free);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_message_ref *r = g_new0(struct store_message_ref,
						     1);

		r->message_id = store_column_text(stmt, 0);
		r->direction = store_column_text(stmt, 1);
		r->kind = store_column_text(stmt, 2);
		r->to_addrs = store_column_text(stmt, 3);
		g_ptr_array_add(list, r);
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		g_ptr_array_unref(list);
		return store_error(store, "read message ids", error_r);
	}
	*refs_r = list;
	return 0;
}

int
store_thread_root_find(struct store *store, const char *root,
		       gint64 *ticket_id_r, char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_THREAD_ROOT,
		"SELECT ticket_id FROM messages WHERE thread_root = ?1 "
		"AND ticket_id IS NOT NULL ORDER BY id DESC LIMIT 1", error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, root);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*ticket_id_r = sqlite3_column_int64(stmt, 0);
		sqlite3_reset(stmt);
		return 1;
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		return store_error(store, "find conversation", error_r);
	return 0;
}

int
store_ticket_collect(struct store *store, sqlite3_stmt *stmt,
		     GPtrArray **tickets_r, char **error_r)
{
	GPtrArray *list = g_ptr_array_new_with_free_func(
		(GDestroyNotify)store_ticket_free);
	int rc;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_ptr_array_add(list, store_ticket_from_row(stmt));
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		g_ptr_array_unref(list);
		return store_error(store, "read tickets", error_r);
	}
	*tickets_r = list;
	return 0;
}

int
store_ticket_sla_due(struct store *store, const char *mailbox,
		     gint64 first_before, gint64 resolution_before,
		     GPtrArray **tickets_r, char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_SLA_DUE,
		"SELECT " STORE_TICKET_COLUMNS " FROM tickets t "
		"WHERE t.mailbox = ?1 AND t.status NOT IN ('resolved', 'closed') "
		/* the terms of the partial index tickets_sla, and the
		   bound of its range, implied by the two below */
		"AND t.merged_into IS NULL AND t.created <= max(?2, ?3) AND ("
		"(?2 > 0 AND t.first_response IS NULL AND t.sla_first_fired = 0 "
		"AND t.created <= ?2) OR "
		"(?3 > 0 AND t.resolved IS NULL AND t.sla_resolution_fired = 0 "
		"AND t.created <= ?3)) ORDER BY t.id LIMIT 1000", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, mailbox);
	sqlite3_bind_int64(stmt, 2, first_before);
	sqlite3_bind_int64(stmt, 3, resolution_before);
	return store_ticket_collect(store, stmt, tickets_r, error_r);
}

int
store_ticket_autoclose_due(struct store *store, const char *mailbox,
			   gint64 before, GPtrArray **tickets_r,
			   char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_AUTOCLOSE_DUE,
		"SELECT " STORE_TICKET_COLUMNS " FROM tickets t "
		"WHERE t.mailbox = ?1 AND t.status = 'resolved' "
		"AND t.resolved <= ?2 ORDER BY t.id LIMIT 1000", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, mailbox);
	sqlite3_bind_int64(stmt, 2, before);
	return store_ticket_collect(store, stmt, tickets_r, error_r);
}

int
store_secret_get(struct store *store, const char *name, GBytes **value_r,
		 char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_SECRET_GET,
		"SELECT value FROM secrets WHERE name = ?1", error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, name);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*value_r = g_bytes_new(sqlite3_column_blob(stmt, 0),
				       (gsize)sqlite3_column_bytes(stmt, 0));
		sqlite3_reset(stmt);
		return 1;
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		return store_error(store, "read secret", error_r);
	return 0;
}

int
store_secret_set(struct store *store, const char *name, const guint8 *value,
		 gsize len, char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_SECRET_SET,
		"INSERT INTO secrets (name, value, created) VALUES (?1, ?2, ?3) "
		"ON CONFLICT(name) DO UPDATE SET value = excluded.value, "
		"created = excluded.created", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, name);
	sqlite3_bind_blob64(stmt, 2, value, len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(stmt, 3, g_get_real_time() / G_USEC_PER_SEC);
	return store_step(store, stmt, "save secret", error_r);
}
