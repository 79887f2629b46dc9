#ifndef TICKETD_THREADING_H
#define TICKETD_THREADING_H

#include <glib.h>

#include "message.h"
#include "store.h"

/* Why a message joined its ticket. */
enum threading_reason {
	THREADING_NEW = 0,	/* no match: opens a new ticket */
	THREADING_IN_REPLY_TO,
	THREADING_REFERENCES,
	THREADING_SUBJECT_TAG,
	THREADING_REPLY_ADDRESS, /* an agent's signed reply address */
	THREADING_THREAD_INDEX,	/* Outlook's Thread-Index conversation */
};

/* "new", "in-reply-to", "references", "subject-tag", "reply-address" or
   "thread-index" (static). */
const char *threading_reason_name(enum threading_reason reason);

/* Find the ticket msg belongs to: In-Reply-To first, then References
   newest first, then the subject tag of the mailbox (tag may be NULL).
   Sets *ticket_id_r (0 for a new ticket) and *reason_r.  Returns 0, or -1
   on a store error with *error_r set. */
int threading_find(struct store *store, const struct message *msg,
		   const char *tag, gint64 *ticket_id_r,
		   enum threading_reason *reason_r, char **error_r);

/* Find a ticket number tag in subject: "[TAG #123]" when tag is set, and
   "[#123]" always (case-insensitive, spaces tolerated); another tag such
   as "[OTHER #5]" never matches.  Returns TRUE and sets
   *id_r when found. */
gboolean threading_parse_tag(const char *subject, const char *tag,
			     gint64 *id_r);

/* Return a new string "[TAG #id]" or "[#id]". */
char *threading_format_tag(const char *tag, gint64 id);

/* Return a new subject for mail about ticket id: subject with the tag
   added in front unless it is already there.  Leading "Re:" and friends
   are kept. */
char *threading_tag_subject(const char *subject, const char *tag, gint64 id);

#endif
