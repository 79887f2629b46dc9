#ifndef TICKETD_INGEST_H
#define TICKETD_INGEST_H

#include <stdint.h>
#include <glib.h>

#include "config.h"
#include "store.h"
#include "template.h"

/*
 * Ingest: one raw mail → parsed → threaded → stored on its ticket, with
 * the acknowledgement queued in the outbox, all in one transaction.
 */
struct ingest {
	const struct config *config;	/* borrowed */
	struct store *store;		/* borrowed */
	struct template_set *templates;	/* borrowed */
	GBytes *token_key;		/* owned: HMAC key of reply addresses */
	gboolean quiet;			/* queue no mail at all (imports) */
};

enum ingest_result {
	INGEST_STORED = 0,	/* a new message on a new or existing ticket */
	INGEST_DUPLICATE,	/* its Message-ID was already stored */
};

/* Where the mail came from on the IMAP server; its mailbox state is
   advanced in the same transaction.  NULL for mail from stdin. */
struct ingest_position {
	uint32_t uidvalidity;
	uint32_t uid;
};

/* Fill ingest for config, store and templates (all borrowed) and load the
   HMAC key of agents' reply addresses: [database] secret_file, else the
   key kept in the database, generated on first use.  Returns 0, or -1
   with *error_r set. */
int ingest_init(struct ingest *ingest, const struct config *config,
		struct store *store, struct template_set *templates,
		char **error_r);

/* Free what ingest owns. */
void ingest_deinit(struct ingest *ingest);

/* Replace the key kept in the database by a new random one. */
int ingest_rotate_key(struct store *store, char **error_r);

/* Store the mail of len bytes that arrived in mailbox mb, in a
   transaction of its own, or in a savepoint when the caller has one open
   (then nothing is durable before the caller commits).  Returns 0 with
   *result_r and *ticket_id_r set, or -1 (nothing stored: the store
   failed; retry later) with *error_r set. */
int ingest_message(struct ingest *ingest, const struct config_mailbox *mb,
		   const char *data, size_t len,
		   const struct ingest_position *pos,
		   enum ingest_result *result_r, gint64 *ticket_id_r,
		   char **error_r);

/* Parse mail of len bytes that arrived in mailbox mb for
   ingest_message_parsed(): over max_message_bytes only its beginning is
   read (logged) and the whole mail kept raw.  Needs no ingest context, so
   it may run in another thread (the IMAP fetch thread parses the next
   group while this one is stored). */
struct message *ingest_parse(const struct config_mailbox *mb,
			     const char *data, size_t len);

/* ingest_message() of a mail ingest_parse() made; takes msg. */
int ingest_message_parsed(struct ingest *ingest,
			  const struct config_mailbox *mb,
			  struct message *msg,
			  const struct ingest_position *pos,
			  enum ingest_result *result_r, gint64 *ticket_id_r,
			  char **error_r);

#endif
