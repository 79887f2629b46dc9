#ifndef TICKETD_STORE_H
#define TICKETD_STORE_H

#include <stdint.h>
#include <glib.h>

#include "message.h"

/*
 * The store: every SQL statement of ticketd lives behind this interface
 * (store.c, store-ticket.c, store-outbox.c), so that another backend can
 * replace SQLite.  Functions return 0 on success and -1 on error, with
 * *error_r set to a newly allocated message; lookups return 1 (found),
 * 0 (not found) or -1.  Times are Unix seconds (UTC).
 *
 * Writes happen inside store_begin()/store_commit(); a failed step is
 * followed by store_rollback().  Durability: WAL with synchronous=FULL, so
 * a transaction that store_commit() reported committed survives power
 * loss.
 */

struct store;

/* A ticket row.  Strings owned. */
struct store_ticket {
	gint64 id;
	char *mailbox;
	char *subject;
	char *status;		/* new, open, pending, resolved, closed */
	char *requester;	/* addr-spec */
	char *requester_name;
	char *priority;		/* low, normal, high, urgent */
	char *assignee;		/* agent address, "" when none */
	gint64 created;
	gint64 updated;
	gint64 first_response;	/* 0: no agent reply yet */
	gint64 resolved;	/* 0: not resolved */
	gint64 closed;		/* 0: not closed */
	gint64 linked_to;	/* 0: none; else the older ticket */
	gint64 merged_into;	/* 0: none */
	gboolean escalated;
	gboolean sla_first_fired;
	gboolean sla_resolution_fired;
	gint64 message_count;	/* read only */
};

struct store_participant {
	char *address;
	char *name;
	char *role;		/* requester, cc */
};

struct store_event {
	gint64 created;
	char *actor;
	char *what;
	char *detail;
	char *message_id;	/* "" when the event has no message */
};

struct store_attachment {
	char *filename;
	char *content_type;
	gint64 size;
};

/* A stored message as shown to admins.  Strings owned. */
struct store_message {
	gint64 id;		/* row id */
	gint64 ticket_id;
	char *message_id;
	char *from_addr;
	char *from_name;
	char *to_addrs;		/* comma-separated */
	char *cc_addrs;
	char *subject;
	gint64 date;
	gint64 received;
	char *direction;	/* in, out */
	char *kind;		/* customer, agent, auto, bounce, note */
	char *thread_by;	/* in-reply-to, references, subject-tag, new */
	char *body;
	char *parse_error;	/* NULL when parsed cleanly */
	char *flagged;		/* NULL, or why the message is suspect */
	gint64 raw_size;
	GPtrArray *attachments;	/* struct store_attachment * */
};

/* What a new message row records besides the parsed mail. */
struct store_message_meta {
	gint64 ticket_id;	/* 0: a message that belongs to no ticket */
	const char *mailbox;
	const char *direction;
	const char *kind;
	const char *thread_by;
	const char *flagged;	/* NULL, or why the message is suspect */
	const char *thread_root; /* Thread-Index conversation, or NULL */
};

/* A message id of a ticket, light: for References chains. */
struct store_message_ref {
	char *message_id;
	char *direction;
	char *kind;
	char *to_addrs;		/* comma-separated */
};

/* A queued outgoing mail.  Strings and data owned. */
struct store_outbox_item {
	gint64 id;
	gint64 ticket_id;
	gint64 message_row;	/* the outbound message it sends */
	char *mail_from;
	char **rcpt_to;		/* NULL-terminated */
	GBytes *data;		/* the whole mail, CRLF line ends */
	char *status;		/* queued, sent, failed, bounced */
	int attempts;
	gint64 next_attempt;
	gint64 created;
	char *last_error;
};

struct store_ticket_filter {
	const char *status;	/* NULL: any */
	const char *mailbox;	/* NULL: any */
	const char *requester;	/* NULL: any */
	gboolean not_closed;	/* only tickets whose status is not closed */
	int limit;		/* 0: no limit */
};

/* Open (creating and migrating as needed) the database at path.  Returns
   the store or NULL with *error_r set. */
struct store *store_open(const char *path, char **error_r);

/* Finalise every statement and close; store_close(NULL) is a no-op. */
void store_close(struct store *store);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
int store_begin(struct store *store, char **error_r);
int store_commit(struct store *store, char **error_r);
void store_rollback(struct store *store);

/* Inside a transaction: SAVEPOINT, RELEASE, ROLLBACK TO (and release) of
   the one savepoint "msg", so that one message's failure rolls back only
   its own work. */
int store_savepoint(struct store *store, char **error_r);
int store_release(struct store *store, char **error_r);
void store_rollback_savepoint(struct store *store);

/* full FALSE: commits of this connection are not synced to disk
   (PRAGMA synchronous = NORMAL: they survive the process dying, not a
   power cut, until the next synced commit); TRUE: back to FULL. */
int store_set_synced(struct store *store, gboolean full, char **error_r);

/* How many WAL checkpoints the background checkpointer ran in this
   process (store.c). */
guint store_checkpoint_count(void);

/* Add up to limit more messages (by id) to the full-text index, in a
   transaction of its own unless one is open; *count_r (may be NULL) gets
   how many were indexed.  The index trails ingest: see store.c. */
int store_fts_sync(struct store *store, int limit, int *count_r,
		   char **error_r);

/* *pending_r: are there messages the index has not seen yet? */
int store_fts_pending(struct store *store, gboolean *pending_r,
		      char **error_r);

/* TRUE inside a transaction. */
gboolean store_in_transaction(struct store *store);

/* Get the remembered UIDVALIDITY and last processed UID of mailbox (both
   0 when never seen). */
int store_mailbox_state_get(struct store *store, const char *mailbox,
			    uint32_t *uidvalidity_r, uint32_t *last_uid_r,
			    char **error_r);
/* Remember them. */
int store_mailbox_state_set(struct store *store, const char *mailbox,
			    uint32_t uidvalidity, uint32_t last_uid,
			    char **error_r);

/* Find the ticket of the message with this Message-ID (in or out). */
int store_message_find(struct store *store, const char *message_id,
		       gint64 *ticket_id_r, char **error_r);

/* Does ticket id exist?  *mailbox_r (may be NULL) gets a new copy of its
   mailbox name. */
int store_ticket_exists(struct store *store, gint64 id, char **mailbox_r,
			char **error_r);

/* Insert a new ticket from t (id, created ignored: set to now) and return
   its id in *id_r. */
int store_ticket_insert(struct store *store, const struct store_ticket *t,
			gint64 *id_r, char **error_r);

/* Write every changeable field of t (status, priority, assignee, the
   times, links and flags; updated = max(updated, t->updated)). */
int store_ticket_update(struct store *store, const struct store_ticket *t,
			char **error_r);

/* Move every message and participant of ticket from into ticket into. */
int store_ticket_move_messages(struct store *store, gint64 from, gint64 into,
			       char **error_r);

/* Add a participant (kept when already there). */
int store_participant_add(struct store *store, gint64 ticket_id,
			  const char *address, const char *name,
			  const char *role, char **error_r);

/* Participants of a ticket, requester first, into a new array of struct
   store_participant * (free with g_ptr_array_unref). */
int store_participants(struct store *store, gint64 ticket_id,
		       GPtrArray **participants_r, char **error_r);

/* Events of a ticket, oldest first, into a new array of struct
   store_event *. */
int store_events(struct store *store, gint64 ticket_id, GPtrArray **events_r,
		 char **error_r);

/* Message-IDs of a ticket, oldest first, into a new array of struct
   store_message_ref *. */
int store_ticket_message_refs(struct store *store, gint64 ticket_id,
			      GPtrArray **refs_r, char **error_r);

/* Find the ticket of a message whose Thread-Index conversation is root. */
int store_thread_root_find(struct store *store, const char *root,
			   gint64 *ticket_id_r, char **error_r);

/* Tickets of mailbox whose SLA timers ran out: not resolved or closed,
   created at or before first_before with no first response and the timer
   not fired (first_before 0: off), or created at or before
   resolution_before and never resolved with the timer not fired
   (resolution_before 0: off).  New array of struct store_ticket *. */
int store_ticket_sla_due(struct store *store, const char *mailbox,
			 gint64 first_before, gint64 resolution_before,
			 GPtrArray **tickets_r, char **error_r);

/* Resolved tickets of mailbox resolved at or before before. */
int store_ticket_autoclose_due(struct store *store, const char *mailbox,
			       gint64 before, GPtrArray **tickets_r,
			       char **error_r);

/* A secret by name into new *value_r; 1 found, 0 not, -1 error. */
int store_secret_get(struct store *store, const char *name, GBytes **value_r,
		     char **error_r);

/* Create or replace a secret. */
int store_secret_set(struct store *store, const char *name,
		     const guint8 *value, gsize len, char **error_r);

void store_participant_free(struct store_participant *p);
void store_event_free(struct store_event *e);
void store_message_ref_free(struct store_message_ref *r);

/* Set a ticket's updated time. */
int store_ticket_touch(struct store *store, gint64 id, gint64 when,
		       char **error_r);

/* Store msg (raw, parsed fields and attachments) under meta; the row id
   goes to *row_r. */
int store_message_insert(struct store *store, const struct message *msg,
			 const struct store_message_meta *meta, gint64 *row_r,
			 char **error_r);

/* Record an event on a ticket (message_row may be 0). */
int store_event_add(struct store *store, gint64 ticket_id, const char *actor,
		    const char *what, const char *detail, gint64 message_row,
		    char **error_r);

/* List tickets matching filter, newest first, into a new array of struct
   store_ticket * (free with g_ptr_array_unref). */
int store_ticket_list(struct store *store,
		      const struct store_ticket_filter *filter,
		      GPtrArray **tickets_r, char **error_r);

/* Load ticket id into a new *ticket_r (free with store_ticket_free()). */
int store_ticket_get(struct store *store, gint64 id,
		     struct store_ticket **ticket_r, char **error_r);

/* Messages of a ticket in the order received, with attachments, into a
   new array of struct store_message * (free with g_ptr_array_unref). */
int store_ticket_messages(struct store *store, gint64 id,
			  GPtrArray **messages_r, char **error_r);

void store_ticket_free(struct store_ticket *t);
void store_message_free(struct store_message *m);

/* Queue the outbound message stored at message_row for sending. */
int store_outbox_insert(struct store *store, gint64 ticket_id,
			gint64 message_row, const char *mail_from,
			const char *const *rcpt_to, char **error_r);

/* Queued items due at now (next_attempt <= now), oldest first, at most
   limit, into a new array of struct store_outbox_item *. */
int store_outbox_due(struct store *store, gint64 now, int limit,
		     GPtrArray **items_r, char **error_r);

/* All items with the given status (NULL: any), newest first. */
int store_outbox_list(struct store *store, const char *status,
		      GPtrArray **items_r, char **error_r);

/* Mark an item sent (at now), retried later, or failed for good.  A sent
   mark never waits for another thread's transaction: it goes to a journal
   that the next store_outbox_due() folds in (see store-outbox.c). */
int store_outbox_mark_sent(struct store *store,
			   const struct store_outbox_item *item, gint64 now,
			   char **error_r);
int store_outbox_mark_retry(struct store *store, gint64 id, int attempts,
			    gint64 next_attempt, const char *error,
			    char **error_r);
int store_outbox_mark_failed(struct store *store, gint64 id,
			     const char *error, char **error_r);

/* Number of automatic answers (outbound, kind auto, addressed to addr
   alone) stored since since. */
int store_auto_count(struct store *store, const char *addr, gint64 since,
		     int *count_r, char **error_r);

/* Mark the outbox mail that sent the message with message_id bounced
   with reason; *ticket_id_r gets its ticket (0: none).  1 found, 0 not. */
int store_outbox_bounced(struct store *store, const char *message_id,
			 const char *reason, gint64 *ticket_id_r,
			 char **error_r);

/* Earliest next_attempt among queued items; 0 when none. */
int store_outbox_next_time(struct store *store, gint64 *when_r,
			   char **error_r);

void store_outbox_item_free(struct store_outbox_item *item);

#endif
