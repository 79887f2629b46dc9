#ifndef TICKETD_SMTP_H
#define TICKETD_SMTP_H

#include <glib.h>

#include "config.h"

/*
 * SMTP submission with libcurl: smtp://, smtps://, STARTTLS and AUTH.  One
 * connection is kept open and reused for consecutive mails.  All SMTP
 * authentication lives in smtp.c.
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

/* Send data (a whole mail with CRLF line ends) from mail_from to the
   NULL-terminated rcpt_to.  Returns an smtp_status; on failure *error_r is
   set to a new message with the server's reply or curl's reason. */
int smtp_client_send(struct smtp_client *client, const char *mail_from,
		     const char *const *rcpt_to, GBytes *data,
		     char **error_r);

#endif
