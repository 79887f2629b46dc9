/* The table of template variables: names, meanings, where they are set. */
#include "autodefs.h"

#include <string.h>

#include "template-vars.h"

#define V TEMPLATE_VAR_VALUE
#define L TEMPLATE_VAR_LIST

/* message.* is set in every mail that answers one (empty in the others:
   escalations, surveys, campaign mails). */
#define TV_ANSWERS NULL
#define TV_AGENTS "agent_new agent_followup"
#define TV_CAMPAIGN "upsell"

const struct template_var template_vars[] = {
	{ "ticket.id", V, "the ticket number, e.g. 42", NULL },
	{ "ticket.tag", V, "the subject tag, e.g. [ACME #42] (or [#42])",
	  NULL },
	{ "ticket.subject", V, "the ticket's subject (the first mail's)",
	  NULL },
	{ "ticket.status", V, "new, open, pending, resolved or closed", NULL },
	{ "ticket.priority", V, "low, normal, high or urgent", NULL },
	{ "ticket.mailbox", V, "the mailbox (queue) name", NULL },
	{ "ticket.created", V, "when the ticket was opened (ISO-8601 UTC)",
	  NULL },
	{ "ticket.assignee", V, "the assigned agent, or empty", NULL },
	{ "ticket.reply_address", V,
	  "the address agents reply to (signed, per ticket, in agent "
	  "notifications; else the mailbox address)", NULL },
	{ "customer.name", V, "the customer's display name (may be empty)",
	  NULL },
	{ "customer.email", V, "the customer's address", NULL },
	{ "mailbox.name", V, "the mailbox name ([mailbox NAME])", NULL },
	{ "mailbox.address", V, "the mailbox's support address", NULL },
	{ "mailbox.display_name", V, "the mailbox's display name", NULL },
	{ "message.subject", V,
	  "the subject of the mail being answered (message.* are empty in "
	  "mails that answer none)",
	  TV_ANSWERS },
	{ "message.date", V, "its Date: (ISO-8601 UTC), empty when unknown",
	  TV_ANSWERS },
	{ "message.from", V, "its sender's address", TV_ANSWERS },
	{ "message.from_name", V, "its sender's display name (may be empty)",
	  TV_ANSWERS },
	{ "message.body", V, "its text", TV_ANSWERS },
	{ "message.attachments", L, "its attachments", TV_ANSWERS },
	{ "message.attachments.filename", V, "an attachment's file name",
	  TV_ANSWERS },
	{ "message.attachments.content_type", V,
	  "an attachment's type, e.g. application/pdf", TV_ANSWERS },
	{ "message.attachments.size", V, "an attachment's size in bytes",
	  TV_ANSWERS },
	{ "history", L, "the ticket's events, oldest first", TV_AGENTS },
	{ "history.date", V, "when the event happened (ISO-8601 UTC)",
	  TV_AGENTS },
	{ "history.actor", V, "who did it: an address, or ticketd",
	  TV_AGENTS },
	{ "history.what", V, "what happened: created, linked, note, ...",
	  TV_AGENTS },
	{ "history.detail", V, "details, e.g. the new status", TV_AGENTS },
	{ "reply.text", V, "the agent's text relayed to the customer",
	  "relay" },
	{ "agent.name", V, "the replying agent's name (may be empty)",
	  "relay" },
	{ "agent.email", V, "the replying agent's address", "relay" },
	{ "errors", L, "the bad command lines of an agent's reply",
	  "command_error" },
	{ "errors.line", V, "the line number in the agent's mail",
	  "command_error" },
	{ "errors.text", V, "the line as written", "command_error" },
	{ "errors.reason", V, "why it was refused", "command_error" },
	{ "tickets", L, "the customer's tickets that are not closed",
	  "status_reply" },
	{ "tickets.id", V, "a ticket's number", "status_reply" },
	{ "tickets.tag", V, "a ticket's subject tag", "status_reply" },
	{ "tickets.subject", V, "a ticket's subject", "status_reply" },
	{ "tickets.status", V, "a ticket's status", "status_reply" },
	{ "tickets.updated", V, "a ticket's last change (ISO-8601 UTC)",
	  "status_reply" },
	{ "escalation.reason", V, "why the ticket was escalated",
	  "agent_escalation" },
	{ "survey.address", V,
	  "the survey reply address (LOCAL+rate-N-MAC@DOMAIN)", "survey" },
	{ "survey.links", L, "five rating links, for ratings 1 to 5",
	  "survey" },
	{ "survey.links.rating", V, "the rating of a link, 1 to 5",
	  "survey" },
	{ "survey.links.mailto", V,
	  "a mailto: URL that sends that rating to the survey address",
	  "survey" },
	{ "rating.value", V, "the customer's rating, 1 to 5",
	  "survey_thanks" },
	{ "rating.comment", V, "the customer's comment (may be empty)",
	  "survey_thanks" },
	{ "unsubscribe.address", V,
	  "the unsubscribe address (LOCAL+stop-N-MAC@DOMAIN), in campaign "
	  "templates",
	  TV_CAMPAIGN " unsubscribe_confirm" },
	{ "unsubscribe.mailto", V,
	  "a mailto: URL for the unsubscribe address",
	  TV_CAMPAIGN " unsubscribe_confirm" },
	{ "unsubscribe.url", V,
	  "the campaign's one-click unsubscribe URL (may be empty)",
	  TV_CAMPAIGN " unsubscribe_confirm" },
	{ "campaign.name", V,
	  "the campaign's name ([campaign NAME]), in campaign templates",
	  TV_CAMPAIGN },
};

const size_t template_vars_count = G_N_ELEMENTS(template_vars);

const struct template_var *
template_vars_find(const char *name)
{
	for (size_t i = 0; i < template_vars_count; i++)
		if (strcmp(template_vars[i].name, name) == 0)
			return &template_vars[i];
	return NULL;
}
