#ifndef TICKETD_THREAD_INDEX_H
#define TICKETD_THREAD_INDEX_H

#include <glib.h>

/*
 * Outlook's Thread-Index header: base64 of a 22-byte conversation header
 * (a FILETIME-based timestamp and a GUID) followed by a 5-byte block per
 * reply.  Outgoing mail carries one so that Outlook shows a ticket as one
 * conversation; an incoming one's first 22 bytes identify its
 * conversation even when a relay rewrote Message-IDs.
 */

/* Return a new base64 Thread-Index for a conversation started at
   created (Unix seconds) and identified by seed (any bytes, e.g. the
   mailbox name and ticket number): the 22-byte header, followed by
   n_replies 5-byte child blocks (so that each outgoing mail differs).
   The header holds 0x01 and bits 63..24 of created as a FILETIME; its
   GUID is the first 16 bytes of SHA-256(seed), so the same seed always
   gives the same conversation.  Child i claims a reply i minutes after
   created.  The result is deterministic. */
char *thread_index_new(gint64 created, const void *seed, gsize seed_len,
		       guint n_replies);

/* Return a new string naming the conversation of a received Thread-Index
   value (the base64 of its first 22 bytes), or NULL when the value is not
   valid base64 of at least 22 bytes.  White space around value is
   ignored; inside it, characters outside the base64 alphabet, misplaced
   '=' padding, a first byte other than the reserved 0x01 and values over
   16384 characters are rejected. */
char *thread_index_root(const char *value);

#endif
