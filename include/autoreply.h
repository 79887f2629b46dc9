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
   Precedence bulk/junk/list, List-Id, List-Unsubscribe,
   X-Autoreply/X-Autorespond, an empty return path, MAILER-DAEMON senders
   (postmaster when the text reads like a bounce), reports
   (multipart/report: DSNs are bounces, read receipts and the rest
   automatic) and common out-of-office subjects.  *reason_r is set to a
   static string saying why (NULL for AUTOREPLY_HUMAN). */
enum autoreply_class autoreply_classify(const struct message *msg,
					const char **reason_r);

/* TRUE for an address nobody reads or that must never get an automatic
   answer though a person may write from it: noreply@, no-reply@,
   donotreply@, do_not_reply@, gmail-noreply@ … (separators and case
   ignored), postmaster@ and MAILER-DAEMON@. */
gboolean autoreply_address_unanswerable(const char *addr);

#endif
