#ifndef TICKETD_CTL_IMPORT_H
#define TICKETD_CTL_IMPORT_H

#include <stdio.h>

#include <glib.h>

#include "ctl-common.h"

/*
 * ticketctl import (ctl-import.c): backfill history from an mbox file or a
 * maildir through the normal ingest path, sending nothing.
 *
 *   ticketctl import mbox|maildir PATH --mailbox NAME [--restart]
 *                    [--quiet] [--json]
 *
 * Resumable: the position after the last committed message is kept in the
 * store (table import_progress); a second run continues there, and the
 * Message-ID check of ingest skips anything stored twice.
 */

/* An mbox reader: messages split on "From " lines that start the file or
   follow an empty line; ">From " lines unescaped (mboxrd, which also
   covers mboxo); LF or CRLF line ends; read one message at a time. */
struct ctl_mbox;

/* Open path and start reading at byte offset (the start of a "From "
   line, or 0).  NULL with *error_r set when the file cannot be read or
   offset is not at a "From " line. */
struct ctl_mbox *ctl_mbox_open(const char *path, gint64 offset,
			       char **error_r);

/* The next message into *msg_r (new, without its "From " line and the
   empty line that separates it from the next); *start_r and *next_r get
   the offsets of its "From " line and of the next message (the file size
   at the end).  1 got one, 0 end of file, -1 read error with *error_r
   set. */
int ctl_mbox_next(struct ctl_mbox *mbox, GString **msg_r, gint64 *start_r,
		  gint64 *next_r, char **error_r);

/* Size of the file in bytes when opened. */
gint64 ctl_mbox_size(const struct ctl_mbox *mbox);

/* Close; ctl_mbox_close(NULL) is a no-op. */
void ctl_mbox_close(struct ctl_mbox *mbox);

/* The message files of maildir path (cur/ and new/, no dot files) sorted
   by file name, as "cur/NAME" or "new/NAME" (new vector).  NULL with
   *error_r set when neither directory can be read. */
char **ctl_maildir_list(const char *path, char **error_r);

/* Run "import"; returns the exit status. */
int ctl_import_main(struct ctl *ctl, int argc, char **argv);

#endif
