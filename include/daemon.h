#ifndef TICKETD_DAEMON_H
#define TICKETD_DAEMON_H

#include <glib.h>

#include "config.h"
#include "ingest.h"

/* Exit statuses (sysexits.h). */
#define DAEMON_EXIT_OK 0
#define DAEMON_EXIT_TEMPFAIL 75

/*
 * The main loop: for each mailbox, connect, fetch what is new, ingest it,
 * mark it processed on the server after the commit; then send the outbox;
 * then wait (IMAP IDLE where the server has it, else poll).  A lost server
 * is logged once and retried with back-off; it never ends the loop.
 */
struct daemon_options {
	gboolean once;		/* process what is waiting, send, return */
	volatile int *stop;	/* set by SIGTERM: finish the message, return */
};

/* Run until *stop (or, with once, until the mailboxes are drained, the
   timers run and the outbox tried).  All arguments borrowed.  Returns
   DAEMON_EXIT_OK, or with once DAEMON_EXIT_TEMPFAIL when a mailbox could
   not be processed. */
int daemon_run(struct ingest *ingest, const struct daemon_options *options);

#endif
