#ifndef TICKETD_MAILER_H
#define TICKETD_MAILER_H

#include <glib.h>
#include <json-glib/json-glib.h>

#include "config.h"
#include "ingest.h"
#include "message.h"
#include "store.h"
#include "template.h"

/*
 * Mailer: render a template, build the mail, store it as an outbound
 * message of its ticket and queue it in the outbox, all inside the
 * caller's transaction.  Outgoing mail about a ticket always carries the
 * subject tag, References/In-Reply-To, Thread-Topic and Thread-Index.
 */
struct mailer_mail {
	const char *template;		/* "ack", "agent_new", ... */
	JsonObject *data;		/* template data, borrowed */
	const char *fallback_text;	/* body when no template renders */
	const struct store_ticket *ticket; /* NULL: mail about no ticket */
	const char *from_name;		/* NULL: the mailbox's display name */
	const struct message_address *to;
	const GPtrArray *to_more;	/* struct message_address *, or NULL */
	const GPtrArray *cc;		/* struct message_address *, or NULL */
	const char *reply_to;		/* NULL: none */
	const char *in_reply_to;	/* NULL: none */
	const GPtrArray *references;	/* char *, oldest first, or NULL */
	const char *auto_submitted;	/* NULL: a human's mail (relay) */
	const GPtrArray *headers;	/* more "Name: value" lines, or NULL */
	const GPtrArray *attachments;	/* struct message_attachment * */
	const char *kind;		/* stored kind: "auto", "agent" */
	const char *event;		/* event recorded on the ticket, or
					   NULL */
	const char *language;		/* template language, or NULL */
	gboolean for_agents;		/* References may name every message
					   of the ticket; else only those the
					   customer saw */
};

/* The template language for mail of mb in answer to msg (may be NULL):
   the mailbox's language key, or with "auto" the first tag of msg's
   Content-Language (lower case); NULL for the default templates.
   Borrowed or static. */
const char *mailer_language(const struct config_mailbox *mb,
			    const struct message *msg, char buf[32]);

/* Queue m from mailbox mb (nothing at all when ingest->quiet).  The stored outbound row goes to *row_r (may be
   NULL).  Returns 0, or -1 with *error_r set when the store failed (a
   broken template is logged and replaced, never an error). */
int mailer_queue(struct ingest *ingest, const struct config_mailbox *mb,
		 const struct mailer_mail *m, gint64 *row_r, char **error_r);

#endif
