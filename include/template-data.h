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
 *   message.body message.attachments[] (filename content_type size)
 *   ticket.assignee ticket.reply_address
 * and, where the mail calls for them:
 *   history[] (date actor what detail)       agent notifications
 *   reply.text agent.name agent.email        relays
 *   errors[] (line text reason)              command errors
 *   tickets[] (id tag subject status updated) status replies
 *   escalation.reason                        escalations
 */

/* Return a new JSON object (free with json_object_unref()) for mail about
   ticket t in mailbox mb, in answer to msg (may be NULL). */
JsonObject *template_data_new(const struct config_mailbox *mb,
			      const struct store_ticket *t,
			      const struct message *msg);

/* Set ticket.reply_address (the address agents reply to). */
void template_data_set_reply_address(JsonObject *data, const char *address);

/* Add history[] from events (struct store_event *). */
void template_data_add_history(JsonObject *data, const GPtrArray *events);

/* Add reply.text, agent.name and agent.email. */
void template_data_add_reply(JsonObject *data, const char *agent_name,
			     const char *agent_email, const char *text);

/* Add errors[] from struct reply_command_error *. */
void template_data_add_errors(JsonObject *data, const GPtrArray *errors);

/* Add tickets[] from struct store_ticket * with the tags of mb. */
void template_data_add_tickets(JsonObject *data,
			       const struct config_mailbox *mb,
			       const GPtrArray *tickets);

/* Add escalation.reason. */
void template_data_add_escalation(JsonObject *data, const char *reason);

/* Format a Unix time as ISO-8601 UTC ("2026-11-25T15:20:55Z"), new
   string; "" for 0. */
char *template_data_iso8601(gint64 when);

#endif
