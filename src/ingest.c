/* Ingest one mail: parse, recognise the sender's role, thread, store, and
   queue what it calls for (acknowledgement, notifications, relay), all in
   one transaction. */
#include "autodefs.h"

#include <string.h>

#include "agent-auth.h"
#include "autoreply.h"
#include "bounce.h"
#include "ingest.h"
#include "log.h"
#include "mailer.h"
#include "message.h"
#include "reply-text.h"
#include "rules.h"
#include "store-campaign.h"
#include "template-data.h"
#include "thread-index.h"
#include "threading.h"
#include "workflow.h"

#define INGEST_KEY_NAME "agent_token_key"
#define INGEST_KEY_BYTES 32
#define INGEST_MAX_MERGE_HOPS 10
#define INGEST_OVERSIZE_PARSE (256 * 1024)

/* Everything known about the message being ingested. */
struct ingest_msg {
	struct ingest *ingest;
	const struct config_mailbox *mb;
	const struct message *msg;
	enum autoreply_class cls;
	const char *auto_reason;
	const struct config_agent *agent; /* From is an agent's address */
	gboolean verified;		/* ... and passed agent_auth */
	gint64 token_ticket;		/* ticket of a valid reply address */
	char *thread_root;		/* Thread-Index conversation */
	gboolean oversize;		/* over max_message_bytes */
	char *safe_from;		/* From for log lines */
};

static const char ingest_too_large_text[] =
	"Hello,\n\nwe have received your message and opened a ticket for it, "
	"but it is too large for us to read it all.  Please send the text "
	"again without large attachments, replying to this mail.\n";

static const char ingest_ack_text[] =
	"Hello,\n\nwe have received your message and opened a ticket for it.\n"
	"To add to it, reply to this mail and keep the ticket tag in the "
	"subject.\n";

/* ---- key of reply addresses ---- */

int
ingest_rotate_key(struct store *store, char **error_r)
{
	guint8 key[INGEST_KEY_BYTES];

	if (agent_auth_random_key(key, sizeof key) < 0) {
		*error_r = g_strdup("cannot read random bytes for a key");
		return -1;
	}
	return store_secret_set(store, INGEST_KEY_NAME, key, sizeof key,
				error_r);
}

int
ingest_init(struct ingest *ingest, const struct config *config,
	    struct store *store, struct template_set *templates,
	    char **error_r)
{
	int rc;

	memset(ingest, 0, sizeof *ingest);
	ingest->config = config;
	ingest->store = store;
	ingest->templates = templates;
	if (config->secret_file != NULL) {
		char *data = NULL;
		gsize len = 0;
		GError *err = NULL;

		if (!g_file_get_contents(config->secret_file, &data, &len,
					 &err)) {
			*error_r = g_strdup_printf("%s: %s", config->path,
						   err->message);
			g_error_free(err);
			return -1;
		}
		if (len < 16) {
			*error_r = g_strdup_printf(
				"%s: [database] secret_file: %s holds fewer "
				"than 16 bytes", config->path,
				config->secret_file);
			g_free(data);
			return -1;
		}
		ingest->token_key = g_bytes_new_take(data, len);
		return 0;
	}
	rc = store_secret_get(store, INGEST_KEY_NAME, &ingest->token_key,
			      error_r);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		if (ingest_rotate_key(store, error_r) < 0 ||
		    store_secret_get(store, INGEST_KEY_NAME,
				     &ingest->token_key, error_r) != 1)
			return -1;
		log_info("generated the key of agents' reply addresses");
	}
	return 0;
}

void
ingest_deinit(struct ingest *ingest)
{
	if (ingest->token_key != NULL)
		g_bytes_unref(ingest->token_key);
	ingest->token_key = NULL;
}

/* Find a reply address of mb among the message's recipients. */
static void
ingest_find_token(struct ingest_msg *im, gboolean *present_r)
{
	const struct message *msg = im->msg;
	gsize key_len;
	const guint8 *key = g_bytes_get_data(im->ingest->token_key, &key_len);
	const GPtrArray *lists[] = { msg->to, msg->cc };

	*present_r = FALSE;
	for (size_t l = 0; l < G_N_ELEMENTS(lists); l++) {
		for (guint i = 0; i < lists[l]->len; i++) {
			const struct message_address *a = lists[l]->pdata[i];
			gint64 id;
			gboolean valid;

			if (agent_auth_token_parse(a->addr, im->mb->address,
						   key, key_len, &id, &valid)) {
				*present_r = TRUE;
				if (valid) {
					im->token_ticket = id;
					return;
				}
			}
		}
	}
	for (guint i = 0; i < msg->envelope_to->len; i++) {
		gint64 id;
		gboolean valid;

		if (agent_auth_token_parse(msg->envelope_to->pdata[i],
					   im->mb->address, key, key_len, &id,
					   &valid)) {
			*present_r = TRUE;
			if (valid) {
				im->token_ticket = id;
				return;
			}
		}
	}
}

/* Decide whether the mail is an agent's, and a trusted one. */
static void
ingest_identify(struct ingest_msg *im)
{
	gboolean token_present;

	im->agent = config_agent_find(im->mb, im->msg->from.addr);
	ingest_find_token(im, &token_present);
	if (im->agent == NULL)
		return;
	switch (im->mb->agent_auth) {
	case CONFIG_AGENT_AUTH_NONE:
		im->verified = TRUE;
		break;
	case CONFIG_AGENT_AUTH_TOKEN:
		im->verified = im->token_ticket > 0;
		break;
	case CONFIG_AGENT_AUTH_RESULTS:
		im->verified = agent_auth_results_pass(im->msg->auth_results,
						       im->mb->authserv_id,
						       im->msg->from.addr);
		break;
	}
	if (!im->verified)
		log_warnx("mailbox %s: mail from agent address %s failed the "
			  "%s check%s: kept as a customer message, flagged",
			  im->mb->name, im->safe_from,
			  im->mb->agent_auth == CONFIG_AGENT_AUTH_TOKEN ?
			  "reply address" : "Authentication-Results",
			  token_present ? " (wrong reply address)" : "");
}

/* ---- mail we send ---- */

static struct message_address *
ingest_address(const char *name, const char *addr)
{
	struct message_address *a = g_new0(struct message_address, 1);

	a->name = (char *)name;
	a->addr = (char *)addr;
	return a;
}

/* The address agents reply to for ticket id. */
static char *
ingest_reply_address(struct ingest *ingest, const struct config_mailbox *mb,
		     gint64 id)
{
	gsize len;
	const guint8 *key = g_bytes_get_data(ingest->token_key, &len);

	if (mb->agent_auth != CONFIG_AGENT_AUTH_TOKEN)
		return g_strdup(mb->address);
	return agent_auth_token_address(mb->address, id, key, len);
}

/* The acknowledgement of a new ticket, to its requester. */
static int
ingest_queue_ack(struct ingest_msg *im, const struct store_ticket *t,
		 char **error_r)
{
	struct mailer_mail m = { 0 };
	struct message_address to = { t->requester_name, t->requester };
	char lang[32];
	int rc;

	m.template = im->oversize ? "too_large" : "ack";
	m.language = mailer_language(im->mb, im->msg, lang);
	m.data = template_data_new(im->mb, t, im->msg);
	m.fallback_text = im->oversize ? ingest_too_large_text :
		ingest_ack_text;
	m.ticket = t;
	m.to = &to;
	m.in_reply_to = im->msg->message_id;
	m.references = im->msg->references;
	m.auto_submitted = "auto-replied";
	m.kind = "auto";
	m.event = "acknowledgement queued";
	rc = mailer_queue(im->ingest, im->mb, &m, NULL, error_r);
	json_object_unref(m.data);
	return rc;
}

/* Notify agents of a new ticket or a customer's follow-up: the assignee
   when there is one (follow-ups), else the notify list, else every
   agent. */
static int
ingest_notify_agents(struct ingest_msg *im, const struct store_ticket *t,
		     gboolean is_new, char **error_r)
{
	const struct config_mailbox *mb = im->mb;
	struct mailer_mail m = { 0 };
	GPtrArray *to = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *events = NULL;
	char *reply_address, *from_name, *fallback;
	int rc;

	if (!is_new && t->assignee != NULL && *t->assignee != '\0')
		g_ptr_array_add(to, ingest_address("", t->assignee));
	else if (mb->notify != NULL)
		g_ptr_array_add(to, ingest_address("", mb->notify));
	else
		for (guint i = 0; i < mb->agents->len; i++) {
			const struct config_agent *a = mb->agents->pdata[i];

			g_ptr_array_add(to, ingest_address(a->name, a->addr));
		}
	if (to->len == 0) {
		g_ptr_array_unref(to);
		return 0;
	}
	if (store_events(im->ingest->store, t->id, &events, error_r) < 0) {
		g_ptr_array_unref(to);
		return -1;
	}
	reply_address = ingest_reply_address(im->ingest, mb, t->id);
	from_name = g_strdup_printf("%s via %s",
				    *im->msg->from.name != '\0' ?
				    im->msg->from.name : im->msg->from.addr,
				    mb->display_name);
	fallback = g_strdup_printf("%s wrote:\n\n%s\n", im->msg->from.addr,
				   im->msg->body);
	m.template = is_new ? "agent_new" : "agent_followup";
	m.data = template_data_new(mb, t, im->msg);
	template_data_set_reply_address(m.data, reply_address);
	template_data_add_history(m.data, events);
	m.fallback_text = fallback;
	m.ticket = t;
	m.from_name = from_name;
	m.to = to->pdata[0];
	m.to_more = to;
	m.reply_to = reply_address;
	m.in_reply_to = im->msg->message_id;
	m.auto_submitted = "auto-generated";
	m.attachments = im->msg->attachments;
	m.kind = "auto";
	m.event = "agents notified";
	m.for_agents = TRUE;
	rc = mailer_queue(im->ingest, mb, &m, NULL, error_r);
	json_object_unref(m.data);
	g_ptr_array_unref(events);
	g_ptr_array_unref(to);
	g_free(reply_address);
	g_free(from_name);
	g_free(fallback);
	return rc;
}

/* ---- storing ---- */

static const char *
ingest_kind(enum autoreply_class cls)
{
	switch (cls) {
	case AUTOREPLY_AUTO:
		return "auto";
	case AUTOREPLY_BOUNCE:
		return "bounce";
	case AUTOREPLY_HUMAN:
		break;
	}
	return "customer";
}

static int
ingest_store_message(struct ingest_msg *im, gint64 ticket_id,
		     const char *kind, enum threading_reason reason,
		     const char *flagged, gint64 *row_r, char **error_r)
{
	struct store_message_meta meta = { 0 };

	meta.ticket_id = ticket_id;
	meta.mailbox = im->mb->name;
	meta.direction = "in";
	meta.kind = kind;
	meta.thread_by = threading_reason_name(reason);
	meta.flagged = flagged != NULL ? flagged :
		im->oversize ? "oversize" : NULL;
	meta.thread_root = im->thread_root;
	return store_message_insert(im->ingest->store, im->msg, &meta, row_r,
				    error_r);
}

/* Can mail be sent to addr as it was parsed: one '@', no encoded word,
   no white space, quotes or control characters, not too long?  Hostile
   senders put encoded words in local parts that decode to other
   addresses. */
static gboolean
ingest_address_usable(const char *addr)
{
	const char *at = strchr(addr, '@');

	if (at == NULL || at == addr || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL || strstr(addr, "=?") != NULL ||
	    strlen(addr) > 254)
		return FALSE;
	for (const char *p = addr; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == '"' || *p == 0x7f ||
		    *p == ',' || *p == ';' || *p == '<' || *p == '>')
			return FALSE;
	return TRUE;
}

/* Is addr someone who must never get an automatic answer or become a
   participant: one of our addresses or an agent? */
static gboolean
ingest_is_staff(struct ingest_msg *im, const char *addr)
{
	return config_is_own_address(im->ingest->config, addr) ||
	       config_agent_find(im->mb, addr) != NULL;
}

/* Is the subject a request for the sender's ticket status? */
static gboolean
ingest_is_status_request(struct ingest_msg *im)
{
	char *subject = g_strstrip(g_strdup(im->msg->subject));
	gboolean found = FALSE;

	for (char **k = im->mb->status_keywords; *k != NULL && !found; k++)
		found = **k != '\0' && g_ascii_strcasecmp(subject, *k) == 0;
	g_free(subject);
	return found;
}

/* Answer a status request with the sender's own tickets; no ticket. */
static int
ingest_status_reply(struct ingest_msg *im, char **error_r)
{
	struct store_ticket_filter filter = { 0 };
	struct mailer_mail m = { 0 };
	struct message_address to = { im->msg->from.name, im->msg->from.addr };
	struct store_ticket none = { 0 };
	GPtrArray *tickets;
	GString *fallback;
	char lang[32];
	int rc;

	if (ingest_store_message(im, 0, "customer", THREADING_NEW, NULL, NULL,
				 error_r) < 0)
		return -1;
	filter.requester = im->msg->from.addr;
	filter.not_closed = TRUE;
	filter.limit = 100;
	if (store_ticket_list(im->ingest->store, &filter, &tickets,
			      error_r) < 0)
		return -1;
	fallback = g_string_new("Your open tickets:\n\n");
	for (guint i = 0; i < tickets->len; i++) {
		const struct store_ticket *t = tickets->pdata[i];
		char *tag = threading_format_tag(im->mb->tag, t->id);

		g_string_append_printf(fallback, "%s %s - %s\n", tag,
				       t->subject, t->status);
		g_free(tag);
	}
	none.subject = (char *)"";
	none.requester = im->msg->from.addr;
	none.requester_name = im->msg->from.name;
	m.template = "status_reply";
	m.language = mailer_language(im->mb, im->msg, lang);
	m.data = template_data_new(im->mb, &none, im->msg);
	template_data_add_tickets(m.data, im->mb, tickets);
	m.fallback_text = fallback->str;
	m.to = &to;
	m.in_reply_to = im->msg->message_id;
	m.references = im->msg->references;
	m.auto_submitted = "auto-replied";
	m.kind = "auto";
	rc = mailer_queue(im->ingest, im->mb, &m, NULL, error_r);
	log_info("mailbox %s: status request from %s answered with %u "
		 "ticket(s)", im->mb->name, im->safe_from, tickets->len);
	json_object_unref(m.data);
	g_string_free(fallback, TRUE);
	g_ptr_array_unref(tickets);
	return rc;
}

/* Can addr get our automatic mail: a usable address that is not a
   no-reply one, ours or an agent's? */
static gboolean
ingest_address_answerable(struct ingest_msg *im, const char *addr)
{
	return ingest_address_usable(addr) &&
	       !autoreply_address_unanswerable(addr) &&
	       !ingest_is_staff(im, addr);
}

/* Who asks: the Reply-To mailbox when a person's mail names one other
   than its sender that can be answered (web forms and shared senders:
   "From: wordpress@shop.example", "Reply-To: jane@example.net"), as
   Request Tracker takes it; else the sender. */
static const struct message_address *
ingest_requester(struct ingest_msg *im)
{
	const struct message *msg = im->msg;
	const struct message_address *r = &msg->reply_to;

	if (im->cls != AUTOREPLY_HUMAN || r->addr == NULL ||
	    g_ascii_strcasecmp(r->addr, msg->from.addr) == 0 ||
	    !ingest_address_answerable(im, r->addr))
		return &msg->from;
	return r;
}

/* Open a new ticket for the message (linked_to: an older ticket). */
static int
ingest_new_ticket(struct ingest_msg *im, gint64 linked_to,
		  const char *flagged, gint64 *ticket_id_r, char **error_r)
{
	struct store *store = im->ingest->store;
	const struct message *msg = im->msg;
	struct store_ticket *t = NULL;
	const GPtrArray *lists[] = { msg->to, msg->cc };
	const struct message_address *req = ingest_requester(im);
	gint64 id, row;
	int rc;

	{
		struct store_ticket nt = { 0 };

		nt.mailbox = im->mb->name;
		nt.subject = *msg->subject != '\0' ? msg->subject :
			(char *)"(no subject)";
		nt.status = (char *)"new";
		nt.requester = req->addr;
		nt.requester_name = *req->name != '\0' || req == &msg->from ?
			req->name : msg->from.name;
		if (store_ticket_insert(store, &nt, &id, error_r) < 0)
			return -1;
	}
	if (store_ticket_get(store, id, &t, error_r) != 1)
		return -1;
	rc = ingest_store_message(im, id, ingest_kind(im->cls), THREADING_NEW,
				  flagged, &row, error_r);
	if (rc == 0 && *req->addr != '\0')
		rc = store_participant_add(store, id, t->requester,
					   t->requester_name, "requester",
					   error_r);
	/* the sender of a mail on someone's behalf takes part (not a
	   no-reply one) */
	if (rc == 0 && req != &msg->from &&
	    ingest_address_answerable(im, msg->from.addr))
		rc = store_participant_add(store, id, msg->from.addr,
					   msg->from.name, "cc", error_r);
	/* Customers CC'd on the first mail take part in the ticket. */
	for (size_t l = 0; rc == 0 && im->cls == AUTOREPLY_HUMAN &&
	     l < G_N_ELEMENTS(lists); l++)
		for (guint i = 0; rc == 0 && i < lists[l]->len; i++) {
			const struct message_address *a = lists[l]->pdata[i];

			if (ingest_is_staff(im, a->addr) ||
			    g_ascii_strcasecmp(a->addr, msg->from.addr) == 0 ||
			    g_ascii_strcasecmp(a->addr, t->requester) == 0)
				continue;
			rc = store_participant_add(store, id, a->addr, a->name,
						   "cc", error_r);
		}
	if (rc == 0)
		rc = store_event_add(store, id, msg->from.addr, "created",
				     ingest_kind(im->cls), row, error_r);
	if (rc == 0 && linked_to > 0) {
		char *detail = g_strdup_printf("to %" G_GINT64_FORMAT,
					       linked_to);

		t->linked_to = linked_to;
		rc = store_ticket_update(store, t, error_r);
		if (rc == 0)
			rc = store_event_add(store, id, "ticketd", "linked",
					     detail, row, error_r);
		g_free(detail);
		if (rc == 0) {
			detail = g_strdup_printf("new ticket %" G_GINT64_FORMAT,
						 id);
			rc = store_event_add(store, linked_to, "ticketd",
					     "linked", detail, row, error_r);
			g_free(detail);
		}
	}
	if (rc == 0) {
		if (im->cls != AUTOREPLY_HUMAN)
			log_info("mailbox %s: ticket %" G_GINT64_FORMAT
				 " from %s: not acknowledged (%s)",
				 im->mb->name, id, im->safe_from,
				 im->auto_reason);
		else if (!im->mb->ack)
			;
		else if (!ingest_address_answerable(im, t->requester))
			log_info("mailbox %s: ticket %" G_GINT64_FORMAT
				 ": not acknowledged (its requester is ours, "
				 "an agent's, a no-reply address or unusable; "
				 "sender %s)", im->mb->name, id,
				 im->safe_from);
		else
			rc = ingest_queue_ack(im, t, error_r);
	}
	if (rc == 0 && im->cls == AUTOREPLY_HUMAN)
		rc = ingest_notify_agents(im, t, TRUE, error_r);
	store_ticket_free(t);
	*ticket_id_r = id;
	return rc;
}

/* A customer's (or an unverified agent's) mail on an existing ticket. */
static int
ingest_customer_followup(struct ingest_msg *im, struct store_ticket *t,
			 enum threading_reason reason, const char *flagged,
			 char **error_r)
{
	gint64 row;
	int rc;

	rc = ingest_store_message(im, t->id, ingest_kind(im->cls), reason,
				  flagged, &row, error_r);
	if (rc == 0)
		rc = store_event_add(im->ingest->store, t->id, im->msg->from.addr,
				     flagged != NULL ? flagged : "message",
				     threading_reason_name(reason), row,
				     error_r);
	if (rc == 0)
		rc = store_ticket_touch(im->ingest->store, t->id,
					g_get_real_time() / G_USEC_PER_SEC,
					error_r);
	if (rc < 0 || im->cls != AUTOREPLY_HUMAN)
		return rc;
	/* A customer answered: the ball is in our court again (not when a
	   stranger wrote: see ingest_store()). */
	if (flagged != NULL && strcmp(flagged, "not-a-participant") == 0)
		;
	else if (strcmp(t->status, "pending") == 0)
		rc = workflow_set_status(im->ingest, t, "open", "status",
					 im->msg->from.addr, row, error_r);
	else if (strcmp(t->status, "resolved") == 0 ||
		 strcmp(t->status, "closed") == 0)
		rc = workflow_set_status(im->ingest, t, "open", "reopened",
					 im->msg->from.addr, row, error_r);
	if (rc == 0)
		rc = ingest_notify_agents(im, t, FALSE, error_r);
	return rc;
}

/* Check every command of an agent's reply against the configuration and
   the store; bad ones join rt->errors. */
static int
ingest_check_commands(struct ingest_msg *im, const struct store_ticket *t,
		      struct reply_text *rt, char **error_r)
{
	for (guint i = 0; i < rt->commands->len; i++) {
		const struct reply_command *c = rt->commands->pdata[i];
		struct reply_command_error *e;
		char *reason = NULL;

		if (c->kind == REPLY_COMMAND_ASSIGN &&
		    workflow_find_agent(im->mb, c->arg) == NULL)
			reason = g_strdup_printf("'%s' is not an agent of "
						 "mailbox %s", c->arg,
						 im->mb->name);
		if (c->kind == REPLY_COMMAND_MERGE) {
			gint64 into = g_ascii_strtoll(c->arg, NULL, 10);
			int rc;

			if (into == t->id)
				reason = g_strdup("a ticket cannot be merged "
						  "into itself");
			else {
				rc = store_ticket_exists(im->ingest->store,
							 into, NULL, error_r);
				if (rc < 0)
					return -1;
				if (rc == 0)
					reason = g_strdup_printf(
						"there is no ticket %s",
						c->arg);
			}
		}
		if (reason == NULL)
			continue;
		e = g_new0(struct reply_command_error, 1);
		e->line = c->line;
		e->text = g_strdup_printf("#%s %s", reply_command_name(c->kind),
					  c->arg);
		e->reason = reason;
		g_ptr_array_add(rt->errors, e);
	}
	return 0;
}

/* Tell the agent which command lines failed. */
static int
ingest_command_error(struct ingest_msg *im, const struct store_ticket *t,
		     const struct reply_text *rt, gint64 row, char **error_r)
{
	struct mailer_mail m = { 0 };
	struct message_address to = { im->msg->from.name, im->msg->from.addr };
	GString *fallback = g_string_new("Your mail was not sent to the "
					 "customer; nothing was changed:\n\n");
	int rc;

	for (guint i = 0; i < rt->errors->len; i++) {
		const struct reply_command_error *e = rt->errors->pdata[i];

		g_string_append_printf(fallback, "line %d: %s: %s\n", e->line,
				       e->text, e->reason);
	}
	m.for_agents = TRUE;
	m.template = "command_error";
	m.data = template_data_new(im->mb, t, im->msg);
	template_data_add_errors(m.data, rt->errors);
	m.fallback_text = fallback->str;
	m.ticket = t;
	m.to = &to;
	m.in_reply_to = im->msg->message_id;
	m.auto_submitted = "auto-replied";
	m.kind = "auto";
	rc = store_event_add(im->ingest->store, t->id, im->msg->from.addr,
			     "command-error", ((struct reply_command_error *)
					       rt->errors->pdata[0])->reason,
			     row, error_r);
	if (rc == 0)
		rc = mailer_queue(im->ingest, im->mb, &m, NULL,
				  error_r);
	log_warnx("ticket %" G_GINT64_FORMAT ": %u bad command line(s) from "
		  "%s: not relayed", t->id, rt->errors->len, im->safe_from);
	json_object_unref(m.data);
	g_string_free(fallback, TRUE);
	return rc;
}

/* Relay an agent's text to the customer and the CC'd participants. */
static int
ingest_relay(struct ingest_msg *im, struct store_ticket *t, const char *text,
	     char **error_r)
{
	struct mailer_mail m = { 0 };
	struct message_address to = { t->requester_name, t->requester };
	GPtrArray *participants = NULL, *cc, *refs = NULL;
	const char *in_reply_to = NULL;
	char *from_name;
	const char *agent_name;
	int rc;

	if (store_participants(im->ingest->store, t->id, &participants,
			       error_r) < 0 ||
	    store_ticket_message_refs(im->ingest->store, t->id, &refs,
				      error_r) < 0) {
		if (participants != NULL)
			g_ptr_array_unref(participants);
		return -1;
	}
	cc = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < participants->len; i++) {
		const struct store_participant *p = participants->pdata[i];

		if (strcmp(p->role, "cc") == 0 &&
		    g_ascii_strcasecmp(p->address, t->requester) != 0)
			g_ptr_array_add(cc, ingest_address(p->name,
							   p->address));
	}
	/* In reply to the customer's latest mail. */
	for (guint i = refs->len; i > 0 && in_reply_to == NULL; i--) {
		const struct store_message_ref *r = refs->pdata[i - 1];

		if (strcmp(r->direction, "in") == 0 &&
		    strcmp(r->kind, "customer") == 0)
			in_reply_to = r->message_id;
	}
	agent_name = *im->msg->from.name != '\0' ? im->msg->from.name :
		*im->agent->name != '\0' ? im->agent->name : im->agent->addr;
	from_name = g_strdup_printf("%s via %s", agent_name,
				    im->mb->display_name);
	m.template = "relay";
	m.data = template_data_new(im->mb, t, im->msg);
	template_data_add_reply(m.data, agent_name, im->agent->addr, text);
	m.fallback_text = text;
	m.ticket = t;
	m.from_name = from_name;
	m.to = &to;
	m.cc = cc;
	m.reply_to = im->mb->address;
	m.in_reply_to = in_reply_to;
	m.attachments = im->msg->attachments;
	m.kind = "agent";
	m.event = "relayed";
	rc = mailer_queue(im->ingest, im->mb, &m, NULL, error_r);
	json_object_unref(m.data);
	g_free(from_name);
	g_ptr_array_unref(cc);
	g_ptr_array_unref(refs);
	g_ptr_array_unref(participants);
	return rc;
}

/* Run one checked command. */
static int
ingest_run_command(struct ingest_msg *im, struct store_ticket *t,
		   const struct reply_command *c, gint64 row, char **error_r)
{
	const char *actor = im->agent->addr;

	switch (c->kind) {
	case REPLY_COMMAND_STATUS:
		return workflow_set_status(im->ingest, t, c->arg, "status",
					   actor, row, error_r);
	case REPLY_COMMAND_ASSIGN:
		return workflow_assign(im->ingest, t,
				       workflow_find_agent(im->mb, c->arg),
				       actor, row, error_r);
	case REPLY_COMMAND_PRIORITY:
		return workflow_set_priority(im->ingest, t, c->arg, actor, row,
					     error_r);
	case REPLY_COMMAND_ESCALATE:
		return workflow_escalate(im->ingest, im->mb, t, "escalated",
					 "escalated by an agent", actor, row,
					 error_r);
	case REPLY_COMMAND_MERGE:
		return workflow_merge(im->ingest, t,
				      g_ascii_strtoll(c->arg, NULL, 10), actor,
				      row, error_r);
	case REPLY_COMMAND_NOTE:
		break;
	}
	return 0;
}

/* Does text hold more than a signature ("-- " and what follows)? */
static gboolean
ingest_has_text(const char *text)
{
	const char *p = text;

	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return *p != '\0' && !g_str_has_prefix(p, "-- \n") &&
	       strcmp(p, "--") != 0 && strcmp(p, "-- ") != 0 &&
	       !g_str_has_prefix(p, "--\n");
}

/* A trusted agent's mail on ticket t. */
static int
ingest_agent_reply(struct ingest_msg *im, struct store_ticket *t,
		   enum threading_reason reason, char **error_r)
{
	struct reply_text *rt = reply_text_parse(im->msg->body);
	gboolean note = FALSE, status_set = FALSE;
	gint64 row;
	int rc;

	for (guint i = 0; i < rt->commands->len; i++) {
		const struct reply_command *c = rt->commands->pdata[i];

		note |= c->kind == REPLY_COMMAND_NOTE;
		status_set |= c->kind == REPLY_COMMAND_STATUS ||
			      c->kind == REPLY_COMMAND_MERGE;
	}
	rc = ingest_check_commands(im, t, rt, error_r);
	if (rc == 0)
		rc = ingest_store_message(im, t->id, note ? "note" : "agent",
					  reason, NULL, &row, error_r);
	if (rc == 0)
		rc = store_ticket_touch(im->ingest->store, t->id,
					g_get_real_time() / G_USEC_PER_SEC,
					error_r);
	if (rc == 0 && rt->errors->len > 0) {
		rc = ingest_command_error(im, t, rt, row, error_r);
		reply_text_free(rt);
		return rc;
	}
	if (rc == 0 && note)
		rc = store_event_add(im->ingest->store, t->id, im->agent->addr,
				     "note", "", row, error_r);
	for (guint i = 0; rc == 0 && i < rt->commands->len; i++)
		rc = ingest_run_command(im, t, rt->commands->pdata[i], row,
					error_r);
	if (rc == 0 && !note && ingest_has_text(rt->text) &&
	    t->merged_into == 0) {
		rc = ingest_relay(im, t, rt->text, error_r);
		if (rc == 0 && t->first_response == 0) {
			t->first_response = g_get_real_time() / G_USEC_PER_SEC;
			rc = store_ticket_update(im->ingest->store, t, error_r);
		}
		/* Waiting on the customer now, unless the agent said
		   otherwise. */
		if (rc == 0 && !status_set)
			rc = workflow_set_status(im->ingest, t, "pending",
						 "status", im->agent->addr, row,
						 error_r);
	}
	reply_text_free(rt);
	return rc;
}

/* The first non-empty line of the message's own text (new string). */
static char *
ingest_first_line(const struct message *msg)
{
	const char *p = msg->body;

	while (*p != '\0') {
		const char *e = strchr(p, '\n');
		gsize n = e != NULL ? (gsize)(e - p) : strlen(p);
		char *line = g_strstrip(g_strndup(p, MIN(n, 1000)));

		if (*line != '\0' && *line != '>')
			return line;
		g_free(line);
		if (e == NULL)
			break;
		p = e + 1;
	}
	return g_strdup("");
}

/* Does the mail answer one of our campaign mails? */
static int
ingest_answers_campaign(struct ingest_msg *im, gint64 *ticket_id_r,
			char **error_r)
{
	const struct message *msg = im->msg;
	char *kind = NULL;
	int rc = 0;

	if (msg->in_reply_to != NULL)
		rc = store_message_kind(im->ingest->store, msg->in_reply_to,
					&kind, ticket_id_r, error_r);
	for (guint i = msg->references->len; rc == 0 && i > 0; i--)
		rc = store_message_kind(im->ingest->store,
					msg->references->pdata[i - 1], &kind,
					ticket_id_r, error_r);
	if (rc <= 0)
		return rc;
	rc = strcmp(kind, "campaign") == 0 ? 1 : 0;
	g_free(kind);
	return rc;
}

/* Survey replies and unsubscribe requests: handled here and not as
   follow-ups (they never reopen a ticket).  Returns 1 when handled, 0 when
   the mail is an ordinary one, -1 on a store error. */
static int
ingest_rules(struct ingest_msg *im, gint64 *ticket_id_r, char **error_r)
{
	struct store_ticket *t = NULL;
	enum rules_address kind;
	gint64 id = 0, row;
	char *first, *comment = NULL;
	gboolean unsubscribe;
	int rating = 0, rc;

	if (im->cls != AUTOREPLY_HUMAN || im->agent != NULL)
		return 0;
	kind = rules_find_address(im->ingest, im->mb, im->msg, &id);
	if (kind == RULES_ADDRESS_FORGED)
		log_warnx("mailbox %s: mail from %s to a survey or unsubscribe "
			  "address with a bad signature: handled as an "
			  "ordinary mail", im->mb->name, im->safe_from);
	/* Only replies to us and mail to our signed addresses can be
	   unsubscribe requests: don't read every body for it. */
	if (kind != RULES_ADDRESS_RATE && kind != RULES_ADDRESS_STOP &&
	    im->msg->in_reply_to == NULL && im->msg->references->len == 0)
		return 0;
	first = ingest_first_line(im->msg);
	unsubscribe = rules_is_unsubscribe(im->msg->subject) ||
		      rules_is_unsubscribe(first);
	g_free(first);
	if (kind != RULES_ADDRESS_RATE && kind != RULES_ADDRESS_STOP) {
		if (!unsubscribe)
			return 0;
		rc = ingest_answers_campaign(im, &id, error_r);
		if (rc <= 0)
			return rc;
		kind = RULES_ADDRESS_STOP;
	}
	if (kind == RULES_ADDRESS_RATE && !unsubscribe) {
		rating = rules_parse_rating(im->msg->subject, im->msg->body,
					    &comment);
		if (rating == 0)
			return 0;	/* words only: a follow-up */
	}
	rc = store_ticket_get(im->ingest->store, id, &t, error_r);
	if (rc <= 0) {
		g_free(comment);
		return rc;
	}
	rc = ingest_store_message(im, t->id, "customer",
				  THREADING_REPLY_ADDRESS, NULL, &row,
				  error_r);
	/* Anything sent to the unsubscribe address opts out. */
	if (rc == 0 && (unsubscribe || kind == RULES_ADDRESS_STOP))
		rc = rules_opt_out(im->ingest, im->mb, im->msg,
				   kind == RULES_ADDRESS_RATE ? "surveys" :
				   "campaigns", row, error_r);
	else if (rc == 0) {
		rc = rules_record_rating(im->ingest, im->mb, t, im->msg, rating,
					 comment, row, error_r);
		if (rc == 0) {
			log_warnx("ticket %" G_GINT64_FORMAT ": rating from %s "
				  "but no survey was sent: ignored", t->id,
				  im->safe_from);
			rc = store_event_add(im->ingest->store, t->id,
					     im->msg->from.addr,
					     "stale rating", "", row, error_r);
		}
		if (rc > 0)
			rc = 0;
	}
	*ticket_id_r = t->id;
	store_ticket_free(t);
	g_free(comment);
	return rc < 0 ? -1 : 1;
}

/* The requester of each mailbox's one ticket for bounces that match no
   mail of ours: not an address, so nothing is ever sent to it. */
#define INGEST_BOUNCES_REQUESTER "(unmatched bounces)"

/* Find or open the mailbox's ticket for unmatched bounces. */
static int
ingest_bounce_ticket(struct ingest_msg *im, gint64 *ticket_id_r,
		     char **error_r)
{
	struct store_ticket_filter filter = { 0 };
	struct store_ticket t = { 0 };
	GPtrArray *found;

	filter.mailbox = im->mb->name;
	filter.requester = INGEST_BOUNCES_REQUESTER;
	filter.limit = 1;
	if (store_ticket_list(im->ingest->store, &filter, &found, error_r) < 0)
		return -1;
	if (found->len > 0) {
		*ticket_id_r = ((struct store_ticket *)found->pdata[0])->id;
		g_ptr_array_unref(found);
		return 0;
	}
	g_ptr_array_unref(found);
	t.mailbox = im->mb->name;
	t.subject = (char *)"Bounces about mail ticketd did not send";
	t.status = (char *)"closed";
	t.requester = (char *)INGEST_BOUNCES_REQUESTER;
	return store_ticket_insert(im->ingest->store, &t, ticket_id_r,
				   error_r);
}

/* A bounce: mark the outbox mail it reports bounced and keep it on that
   mail's ticket (or the mailbox's ticket for unmatched bounces); never
   open a ticket for it, never answer it. */
static int
ingest_bounce(struct ingest_msg *im, gint64 *ticket_id_r, char **error_r)
{
	char *reason = NULL;
	GPtrArray *ids = bounce_original_ids(im->msg, &reason);
	gint64 ticket_id = 0, row;
	gboolean matched;
	int rc = 0;

	for (guint i = 0; i < ids->len && rc == 0; i++)
		rc = store_outbox_bounced(im->ingest->store, ids->pdata[i],
					  reason, &ticket_id, error_r);
	matched = rc > 0 && ticket_id > 0;
	if (rc >= 0 && !matched)
		rc = ingest_bounce_ticket(im, &ticket_id, error_r);
	if (rc >= 0)
		rc = ingest_store_message(im, ticket_id, "bounce",
					  THREADING_NEW, NULL, &row, error_r);
	if (rc == 0 && matched) {
		rc = store_event_add(im->ingest->store, ticket_id, "ticketd",
				     "bounced", reason, row, error_r);
		log_warnx("ticket %" G_GINT64_FORMAT ": our mail bounced: %s",
			  ticket_id, reason);
	} else if (rc == 0) {
		log_info("mailbox %s: bounce about no mail of ours stored on "
			 "ticket %" G_GINT64_FORMAT " (%s)", im->mb->name,
			 ticket_id, reason);
	}
	*ticket_id_r = ticket_id;
	g_ptr_array_unref(ids);
	g_free(reason);
	return rc < 0 ? -1 : 0;
}

/* Is the sender a participant of t (its requester or CC'd)?  1 yes, 0 no,
   -1 error. */
static int
ingest_is_participant(struct ingest_msg *im, const struct store_ticket *t,
		      char **error_r)
{
	GPtrArray *participants;
	int found = 0;

	if (t->requester != NULL &&
	    g_ascii_strcasecmp(t->requester, im->msg->from.addr) == 0)
		return 1;
	if (store_participants(im->ingest->store, t->id, &participants,
			       error_r) < 0)
		return -1;
	for (guint i = 0; i < participants->len && !found; i++) {
		const struct store_participant *p = participants->pdata[i];

		found = g_ascii_strcasecmp(p->address, im->msg->from.addr) == 0;
	}
	g_ptr_array_unref(participants);
	return found;
}

/* Everything of ingest_message() that runs inside the transaction. */
static int
ingest_store(struct ingest_msg *im, enum ingest_result *result_r,
	     gint64 *ticket_id_r, char **error_r)
{
	struct store *store = im->ingest->store;
	const struct message *msg = im->msg;
	enum threading_reason reason;
	struct store_ticket *t = NULL;
	const char *flagged = NULL;
	gint64 ticket_id;
	int rc;

	rc = store_message_find(store, msg->message_id, &ticket_id, error_r);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		*result_r = INGEST_DUPLICATE;
		*ticket_id_r = ticket_id;
		return 0;
	}
	*result_r = INGEST_STORED;
	if (im->cls == AUTOREPLY_BOUNCE)
		return ingest_bounce(im, ticket_id_r, error_r);
	ingest_identify(im);
	rc = ingest_rules(im, ticket_id_r, error_r);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	if (threading_find(store, msg, im->mb->tag, &ticket_id, &reason,
			   error_r) < 0)
		return -1;
	/* A signed reply address names its ticket for certain. */
	if (im->verified && im->token_ticket > 0 &&
	    ticket_id != im->token_ticket) {
		ticket_id = im->token_ticket;
		reason = THREADING_REPLY_ADDRESS;
	}
	if (ticket_id == 0 && im->thread_root != NULL) {
		rc = store_thread_root_find(store, im->thread_root, &ticket_id,
					    error_r);
		if (rc < 0)
			return -1;
		if (rc > 0)
			reason = THREADING_THREAD_INDEX;
	}
	for (int hops = 0; ticket_id > 0; hops++) {
		rc = store_ticket_get(store, ticket_id, &t, error_r);
		if (rc < 0)
			return -1;
		if (rc == 0 || t->merged_into == 0 ||
		    hops >= INGEST_MAX_MERGE_HOPS)
			break;
		ticket_id = t->merged_into;
		store_ticket_free(t);
		t = NULL;
	}
	if (im->agent != NULL && !im->verified)
		flagged = "unverified-agent";
	/* Threading headers and subject tags can be forged or guessed: mail
	   from someone who is not a participant of the ticket found is kept
	   there flagged, for the agents to judge; it moves no status and
	   its sender gets nothing of the ticket (relays go to participants
	   only). */
	if (t != NULL && im->cls == AUTOREPLY_HUMAN && im->agent == NULL) {
		rc = ingest_is_participant(im, t, error_r);
		if (rc < 0) {
			store_ticket_free(t);
			return -1;
		}
		if (rc == 0) {
			log_info("mailbox %s: %s is not a participant of ticket %"
				 G_GINT64_FORMAT " (matched by %s): kept there, "
				 "flagged", im->mb->name, im->safe_from, t->id,
				 threading_reason_name(reason));
			flagged = "not-a-participant";
		}
	}

	if (t != NULL && im->agent != NULL && im->verified &&
	    im->cls == AUTOREPLY_HUMAN) {
		rc = ingest_agent_reply(im, t, reason, error_r);
	} else if (t == NULL && im->cls == AUTOREPLY_HUMAN &&
		   im->agent == NULL &&
		   !autoreply_address_unanswerable(im->msg->from.addr) &&
		   ingest_is_status_request(im)) {
		rc = ingest_status_reply(im, error_r);
		*ticket_id_r = 0;
		return rc;
	} else if (t == NULL) {
		rc = ingest_new_ticket(im, 0, flagged, &ticket_id, error_r);
	} else if (strcmp(t->status, "closed") == 0 &&
		   im->cls == AUTOREPLY_HUMAN && im->mb->reopen_days > 0 &&
		   t->closed < g_get_real_time() / G_USEC_PER_SEC -
		   (gint64)im->mb->reopen_days * 86400) {
		rc = ingest_new_ticket(im, t->id, flagged, &ticket_id, error_r);
	} else {
		rc = ingest_customer_followup(im, t, reason, flagged, error_r);
	}
	store_ticket_free(t);
	*ticket_id_r = ticket_id;
	return rc;
}

/* What autoreply_classify() cannot know: our own mail coming back, and
   the mailbox's own out-of-office subjects. */
static void
ingest_classify_more(struct ingest_msg *im)
{
	const struct message *msg = im->msg;

	if (im->cls != AUTOREPLY_HUMAN)
		return;
	if (msg->x_loop != NULL) {
		char *v = g_strstrip(g_ascii_strdown(msg->x_loop, -1));

		if (config_is_own_address(im->ingest->config, v)) {
			im->cls = AUTOREPLY_AUTO;
			im->auto_reason = "loop";
		}
		g_free(v);
		if (im->cls != AUTOREPLY_HUMAN)
			return;
	}
	if (config_is_own_address(im->ingest->config, msg->from.addr)) {
		im->cls = AUTOREPLY_AUTO;
		im->auto_reason = "from-ourselves";
		return;
	}
	if (im->mb->autoreply_subjects != NULL) {
		char *subject = g_utf8_strdown(msg->subject, -1);

		for (char **s = im->mb->autoreply_subjects; *s != NULL; s++)
			if (g_str_has_prefix(g_strchug(subject), *s)) {
				im->cls = AUTOREPLY_AUTO;
				im->auto_reason = "out-of-office-subject";
				break;
			}
		g_free(subject);
	}
}

int
ingest_message(struct ingest *ingest, const struct config_mailbox *mb,
	       const char *data, size_t len,
	       const struct ingest_position *pos,
	       enum ingest_result *result_r, gint64 *ticket_id_r,
	       char **error_r)
{
	return ingest_message_parsed(ingest, mb, ingest_parse(mb, data, len),
				     pos, result_r, ticket_id_r, error_r);
}

struct message *
ingest_parse(const struct config_mailbox *mb, const char *data, size_t len)
{
	struct message *msg;

	if (len <= (size_t)mb->max_message_bytes)
		return message_parse(data, len);
	/* Over max_message_bytes: read only its beginning, keep it whole. */
	msg = message_parse(data, INGEST_OVERSIZE_PARSE);
	g_bytes_unref(msg->raw);
	msg->raw = g_bytes_new(data, len);
	log_warnx("mailbox %s: message of %zu bytes is over "
		  "max_message_bytes (%d): stored raw, only its "
		  "beginning read", mb->name, len, mb->max_message_bytes);
	return msg;
}

int
ingest_message_parsed(struct ingest *ingest, const struct config_mailbox *mb,
		      struct message *msg,
		      const struct ingest_position *pos,
		      enum ingest_result *result_r, gint64 *ticket_id_r,
		      char **error_r)
{
	struct ingest_msg im = { 0 };
	gboolean outer;
	char *safe_id;
	int rc;

	im.oversize = g_bytes_get_size(msg->raw) >
		(gsize)mb->max_message_bytes;
	im.ingest = ingest;
	im.mb = mb;
	im.msg = msg;
	im.cls = autoreply_classify(msg, &im.auto_reason);
	ingest_classify_more(&im);
	im.safe_from = log_sanitize(msg->from.addr);
	if (msg->thread_index != NULL)
		im.thread_root = thread_index_root(msg->thread_index);
	if (msg->parse_error != NULL) {
		char *e = log_sanitize(msg->parse_error);

		log_warnx("mailbox %s: message from %s: %s (stored raw)",
			  mb->name, im.safe_from, e);
		g_free(e);
	}
	*ticket_id_r = 0;
	/* In the caller's transaction (a batch): a savepoint, so that this
	   message's failure rolls back only its own work. */
	outer = store_in_transaction(ingest->store);
	if ((outer ? store_savepoint(ingest->store, error_r) :
	     store_begin(ingest->store, error_r)) < 0) {
		rc = -1;
		goto out;
	}
	rc = ingest_store(&im, result_r, ticket_id_r, error_r);
	if (rc == 0 && pos != NULL)
		rc = store_mailbox_state_set(ingest->store, mb->name,
					     pos->uidvalidity, pos->uid,
					     error_r);
	if (rc == 0)
		rc = outer ? store_release(ingest->store, error_r) :
			store_commit(ingest->store, error_r);
	if (rc < 0) {
		if (outer)
			store_rollback_savepoint(ingest->store);
		else
			store_rollback(ingest->store);
	}
	safe_id = log_sanitize(msg->message_id);
	if (rc == 0 && *result_r == INGEST_DUPLICATE)
		log_info("mailbox %s: message <%s> already stored on ticket %"
			 G_GINT64_FORMAT ", skipped", mb->name, safe_id,
			 *ticket_id_r);
	else if (rc == 0 && *ticket_id_r > 0)
		log_info("mailbox %s: message <%s> from %s stored on ticket %"
			 G_GINT64_FORMAT, mb->name, safe_id, im.safe_from,
			 *ticket_id_r);
	g_free(safe_id);
out:
	g_free(im.thread_root);
	g_free(im.safe_from);
	message_free(msg);
	return rc;
}
