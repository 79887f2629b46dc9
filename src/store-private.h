#ifndef TICKETD_STORE_PRIVATE_H
#define TICKETD_STORE_PRIVATE_H

#include <sqlite3.h>

#include "store.h"

/* One cached prepared statement per use; prepared on first use and
   finalised in store_close(). */
enum store_stmt {
	STORE_STMT_BEGIN,
	STORE_STMT_COMMIT,
	STORE_STMT_ROLLBACK,
	STORE_STMT_SAVEPOINT,
	STORE_STMT_RELEASE,
	STORE_STMT_ROLLBACK_TO,
	STORE_STMT_FTS_SYNC,
	STORE_STMT_FTS_STATE,
	STORE_STMT_FTS_PENDING,
	STORE_STMT_STATE_GET,
	STORE_STMT_STATE_SET,
	STORE_STMT_MESSAGE_FIND,
	STORE_STMT_TICKET_EXISTS,
	STORE_STMT_TICKET_INSERT,
	STORE_STMT_TICKET_TOUCH,
	STORE_STMT_MESSAGE_INSERT,
	STORE_STMT_ATTACHMENT_INSERT,
	STORE_STMT_EVENT_INSERT,
	STORE_STMT_TICKET_GET,
	STORE_STMT_TICKET_MESSAGES,
	STORE_STMT_MESSAGE_ATTACHMENTS,
	STORE_STMT_OUTBOX_INSERT,
	STORE_STMT_OUTBOX_DUE,
	STORE_STMT_OUTBOX_SENT,
	STORE_STMT_OUTBOX_RETRY,
	STORE_STMT_OUTBOX_FAILED,
	STORE_STMT_OUTBOX_NEXT,
	STORE_STMT_TICKET_UPDATE,
	STORE_STMT_MOVE_MESSAGES,
	STORE_STMT_MOVE_PARTICIPANTS,
	STORE_STMT_PARTICIPANT_ADD,
	STORE_STMT_PARTICIPANTS,
	STORE_STMT_EVENTS,
	STORE_STMT_MESSAGE_REFS,
	STORE_STMT_THREAD_ROOT,
	STORE_STMT_SLA_DUE,
	STORE_STMT_AUTOCLOSE_DUE,
	STORE_STMT_SECRET_GET,
	STORE_STMT_SECRET_SET,
	STORE_STMT_SURVEY_SCHEDULE,
	STORE_STMT_SURVEY_SCHEDULED,
	STORE_STMT_SURVEY_SENT_SINCE,
	STORE_STMT_SURVEY_DUE,
	STORE_STMT_SURVEY_MARK,
	STORE_STMT_SURVEY_OF_TICKET,
	STORE_STMT_SURVEY_RATE,
	STORE_STMT_OPTOUT_ADD,
	STORE_STMT_OPTOUT_HAS,
	STORE_STMT_CAMPAIGN_SCHEDULE,
	STORE_STMT_CAMPAIGN_DUE,
	STORE_STMT_CAMPAIGN_MARK,
	STORE_STMT_CAMPAIGN_LAST,
	STORE_STMT_MESSAGE_KIND,
	STORE_STMT_AUTO_COUNT,
	STORE_STMT_OUTBOX_BOUNCED,
	STORE_STMT_OUTBOX_FOLD,
	STORE_STMT_COUNT
};

struct store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmts[STORE_STMT_COUNT];
	gboolean writer;	/* holds the process's writer mutex */
	char *sent_path;	/* the sent journal (store-outbox.c), or NULL
				   for a database that is not a plain file */
	int sent_fd;		/* open on sent_path, or -1 */
	int ckpt_asked;		/* WAL pages when a checkpoint was last asked
				   for (store.c) */
};

/* Fold the sent journal into the outbox (store-outbox.c); called on open
   and close.  Quiet when there is no journal. */
int store_outbox_fold(struct store *store, char **error_r);

/* Take the process's writer mutex for store (once; recursive across the
   connections of one thread). */
void store_writer_enter(struct store *store);

/* Give the writer mutex back once store is out of its transaction. */
void store_writer_leave(struct store *store);

/* Return the cached statement id, preparing sql the first time; reset and
   with bindings cleared.  NULL with *error_r set on failure. */
sqlite3_stmt *store_stmt(struct store *store, enum store_stmt id,
			 const char *sql, char **error_r);

/* Step stmt, expecting no rows, and reset it; 0, or -1 with *error_r set
   to "what: sqlite's message". */
int store_step(struct store *store, sqlite3_stmt *stmt, const char *what,
	       char **error_r);

/* Set *error_r to "what: sqlite's message" and return -1. */
int store_error(struct store *store, const char *what, char **error_r);

/* The columns of a ticket row, as store_ticket_from_row() reads them
   (tickets aliased t). */
#define STORE_TICKET_COLUMNS \
	"t.id, t.mailbox, t.subject, t.status, t.priority, t.requester, " \
	"t.requester_name, t.created, t.updated, " \
	"(SELECT count(*) FROM messages m WHERE m.ticket_id = t.id), " \
	"t.assignee, t.first_response, t.resolved, t.closed, t.linked_to, " \
	"t.merged_into, t.escalated, t.sla_first_fired, " \
	"t.sla_resolution_fired"

/* A new struct store_ticket from a row of STORE_TICKET_COLUMNS. */
struct store_ticket *store_ticket_from_row(sqlite3_stmt *stmt);

/* Step stmt (selecting STORE_TICKET_COLUMNS) to its end and reset it:
   *tickets_r gets a new array of struct store_ticket *.  -1 with
   *error_r set when a step fails. */
int store_ticket_collect(struct store *store, sqlite3_stmt *stmt,
			 GPtrArray **tickets_r, char **error_r);

/* Bind helpers: NULL binds SQL NULL. */
void store_bind_text(sqlite3_stmt *stmt, int col, const char *text);

/* Column helpers: a new copy of the text, NULL for SQL NULL. */
char *store_column_text(sqlite3_stmt *stmt, int col);

#endif
