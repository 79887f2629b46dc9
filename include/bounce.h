#ifndef TICKETD_BOUNCE_H
#define TICKETD_BOUNCE_H

#include <glib.h>

#include "message.h"

/*
 * Reading bounces: delivery status notifications (RFC 3464,
 * multipart/report; report-type=delivery-status) and the common
 * non-standard ones that only quote the original mail.
 */

/* Return a new array (char *, owned) of the Message-IDs (without <>) the
   bounce msg may be about, most likely first: those of an attached
   message/rfc822 or text/rfc822-headers part, then any "Message-ID:" line
   quoted in its text.  *reason_r gets a new one-line reason ("5.1.1
   smtp; 550 5.1.1 <x@y>: user unknown"), never NULL. */
GPtrArray *bounce_original_ids(const struct message *msg, char **reason_r);

#endif
