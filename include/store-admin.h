#ifndef TICKETD_STORE_ADMIN_H
#define TICKETD_STORE_ADMIN_H

#include <glib.h>

#include "store.h"

/*
 * Maintenance queries of ticketctl (store-admin.c): schema version,
 * integrity checks, outbox retries and the progress of imports.  Same
 * conventions as store.h.
 */

/* Where an import of one mbox or maildir stands.  Strings owned. */
struct store_import_progress {
	char *path;		/* absolute path of the mbox or maildir */
	gint64 position;	/* mbox: byte offset of the next message */
	char *last_name;	/* maildir: name of the last file imported */
	gint64 count;		/* messages imported so far */
	gboolean done;		/* the whole source was imported */
};

/* The schema version (PRAGMA user_version) into *version_r. */
int store_schema_version(struct store *store, int *version_r,
			 char **error_r);

/* Run PRAGMA integrity_check, PRAGMA foreign_key_check and the full-text
   index's integrity check; append one line (char *, owned by the array)
   per problem to problems.  Returns the number of problems, or -1 with
   *error_r set when the checks could not run. */
int store_check(struct store *store, GPtrArray *problems, char **error_r);

/* Put outbox item id back in the queue: status queued, next attempt now.
   1 done, 0 no such item, -1 error. */
int store_outbox_requeue(struct store *store, gint64 id, gint64 now,
			 char **error_r);

/* The progress of the import of path into new *progress_r (free with
   store_import_progress_free()); 1 found, 0 never imported, -1 error. */
int store_import_progress_get(struct store *store, const char *path,
			      struct store_import_progress **progress_r,
			      char **error_r);

/* Record (create or replace) the progress of an import. */
int store_import_progress_set(struct store *store,
			      const struct store_import_progress *p,
			      char **error_r);

/* Forget the progress of path (a fresh import from the start). */
int store_import_progress_clear(struct store *store, const char *path,
				char **error_r);

/* For the rest of this connection, commit without waiting for the disk
   (PRAGMA synchronous = NORMAL: in WAL mode the database stays consistent,
   only the last transactions may be lost on power failure).  Only for
   imports, which can be resumed. */
int store_import_fast(struct store *store, char **error_r);

/* An imported ticket is history: set its created and updated times from
   the Date of its first and last message (when they are earlier than the
   stored ones) and mark its SLA timers fired, so that ticketd never
   escalates it. */
int store_import_settle_ticket(struct store *store, gint64 ticket_id,
			       char **error_r);

void store_import_progress_free(struct store_import_progress *p);

#endif
