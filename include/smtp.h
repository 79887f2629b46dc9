#ifndef TICKETD_SMTP_H
#define TICKETD_SMTP_H

#include <glib.h>

#include "config.h"

/*
 * SMTP submission: smtp://, smtps://, STARTTLS and AUTH through libcurl;
 * a plain smtp:// connection without them through ticketd's own
 * pipelining client (smtp-pipe.c) unless [smtp] pipelining = no.  Up to
 * [smtp] connections mails go out at once, each on a connection that is
 * kept open and reused for the next mail.  All SMTP authentication lives
 * in smtp.c.
 */
enum smtp_status {
	SMTP_OK = 0,
	SMTP_TEMP = -1,		/* try again later: 4xx, connection trouble */
	SMTP_PERM = -2,		/* 5xx: the server refused this mail */
};

struct smtp_client;

/* A client for cfg (borrowed: must outlive the client). */
struct smtp_client *smtp_client_new(const struct config_smtp *cfg);

/* Close the connection and free; smtp_client_free(NULL) is a no-op. */
void smtp_client_free(struct smtp_client *client);

/* One mail to send: data is a whole mail with CRLF line ends, rcpt_to
   NULL-terminated; user is the caller's.  The client sets status (an
   smtp_status) and, on failure, error (new, with the server's reply or
   curl's reason; the caller frees it). */
struct smtp_job {
	const char *mail_from;
	const char *const *rcpt_to;
	GBytes *data;
	void *user;
	int status;
	char *error;
};

/* Called as each job ends, in the order they end; return -1 to start no
   more jobs (those in flight still end and are reported; the rest are
   not tried and not reported). */
typedef int smtp_done_cb_t(struct smtp_job *job, void *ctx);

/* Send the n jobs, up to cfg->connections at once, each on a connection
   of its own that stays open for the next mail (and the next call). */
void smtp_client_send_many(struct smtp_client *client, struct smtp_job **jobs,
			   guint n, smtp_done_cb_t *done, void *ctx);

#endif
