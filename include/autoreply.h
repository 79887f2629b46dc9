#ifndef TICKETD_AUTOREPLY_H
#define TICKETD_AUTOREPLY_H

#include "message.h"

/* How an incoming message must be treated by the auto-responder. */
enum autoreply_class {
	AUTOREPLY_HUMAN = 0,	/* a person wrote it: may be answered */
	AUTOREPLY_AUTO,		/* auto-reply, list or bulk mail: never answer */
	AUTOREPLY_BOUNCE,	/* delivery status notification: never answer */
};

/* Classify msg following RFC 3834 (Auto-Submitted other than "no"),
   Precedence bulk/junk/list, List-Id, X-Autoreply/X-Autorespond, an empty
   return path, MAILER-DAEMON/postmaster senders, DSN reports and common
   out-of-office subjects.  *reason_r is set to a static string saying
   why (NULL for AUTOREPLY_HUMAN). */
enum autoreply_class autoreply_classify(const struct message *msg,
					const char **reason_r);

#endif
