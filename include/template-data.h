#ifndef TICKETD_TEMPLATE_DATA_H
#define TICKETD_TEMPLATE_DATA_H

#include <json-glib/json-glib.h>

#include "config.h"
#include "message.h"
#include "store.h"

/*
 * The one place where the data a template sees is assembled.  Every
 * variable documented in README.md ("Template variables") comes from here:
 *   ticket.id ticket.tag ticket.subject ticket.status ticket.priority
 *   ticket.mailbox ticket.created
 *   customer.name customer.email
 *   mailbox.name mailbox.address mailbox.display_name
 *   message.subject message.date message.from message.from_name
 */

/* Return a new JSON object (free with json_object_unref()) for mail about
   ticket t in mailbox mb, in answer to msg (may be NULL). */
JsonObject *template_data_new(const struct config_mailbox *mb,
			      const struct store_ticket *t,
			      const struct message *msg);

/* Format a Unix time as ISO-8601 UTC ("2026-11-25T15:20:55Z"), new
   string; "" for 0. */
char *template_data_iso8601(gint64 when);

#endif
