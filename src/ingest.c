/* Ingest one mail: parse, thread, store, queue the acknowledgement. */
#include "autodefs.h"

#include <string.h>

#include "autoreply.h"
#include "compose.h"
#include "ingest.h"
#include "log.h"
#include "message.h"
#include "template-data.h"
#include "threading.h"

/* References kept in our replies: the newest ones. */
#define INGEST_MAX_REFERENCES 20

static const char ingest_builtin_ack[] =
	"Hello,\n\n"
	"we have received your message and opened ticket %s for it.\n"
	"To add to it, reply to this mail and keep %s in the subject.\n";

/* Is addr one of ours (a mailbox address or the SMTP sender)? */
static gboolean
ingest_is_own_address(const struct config *config, const char *addr)
{
	if (g_ascii_strcasecmp(addr, config->smtp.from_addr) == 0)
		return TRUE;
	for (guint i = 0; i < config->mailboxes->len; i++) {
		const struct config_mailbox *mb = config->mailboxes->pdata[i];

		if (g_ascii_strcasecmp(addr, mb->address) == 0)
			return TRUE;
	}
	return FALSE;
}

static const char *
ingest_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at != NULL ? at + 1 : addr;
}

/* Render the acknowledgement for ticket t; never fails: a broken template
   falls back to the shipped default, then to a built-in text. */
static struct template_mail *
ingest_render_ack(struct ingest *ingest, const struct config_mailbox *mb,
		  const struct store_ticket *t, const struct message *msg)
{
	JsonObject *data = template_data_new(mb, t, msg);
	struct template_mail *mail;
	char *error = NULL;

	mail = template_set_render(ingest->templates, "ack", mb->name, NULL,
				   data, &error);
	json_object_unref(data);
	if (error != NULL) {
		log_error("ticket %" G_GINT64_FORMAT ": template ack: %s%s",
			  t->id, error, mail != NULL ?
			  " (sent the shipped default instead)" :
			  " (sent the built-in text instead)");
		g_free(error);
	}
	if (mail == NULL) {
		char *tag = threading_format_tag(mb->tag, t->id);

		mail = g_new0(struct template_mail, 1);
		mail->subject = g_strdup(t->subject);
		mail->headers = g_ptr_array_new_with_free_func(g_free);
		mail->text = g_strdup_printf(ingest_builtin_ack, tag, tag);
		g_free(tag);
	}
	return mail;
}

/* Queue the acknowledgement of new ticket t opened by msg. */
static int
ingest_queue_ack(struct ingest *ingest, const struct config_mailbox *mb,
		 const struct store_ticket *t, const struct message *msg,
		 char **error_r)
{
	struct template_mail *mail = ingest_render_ack(ingest, mb, t, msg);
	GPtrArray *refs = g_ptr_array_new();
	struct compose_mail c = { 0 };
	struct store_message_meta meta = { 0 };
	const char *rcpt[2] = { msg->from.addr, NULL };
	struct message *out;
	char *subject, *message_id;
	GBytes *raw;
	gint64 row;
	gconstpointer raw_data;
	gsize raw_len;
	int rc;

	subject = threading_tag_subject(mail->subject, mb->tag, t->id);
	for (guint i = msg->references->len > INGEST_MAX_REFERENCES - 1 ?
		     msg->references->len - (INGEST_MAX_REFERENCES - 1) : 0;
	     i < msg->references->len; i++)
		g_ptr_array_add(refs, msg->references->pdata[i]);
	g_ptr_array_add(refs, msg->message_id);

	message_id = compose_message_id(ingest_domain(mb->address));
	c.from_name = mb->display_name;
	c.from_addr = mb->address;
	c.to_name = msg->from.name;
	c.to_addr = msg->from.addr;
	c.subject = subject;
	c.in_reply_to = msg->message_id;
	c.references = refs;
	c.headers = mail->headers;
	c.auto_submitted = "auto-replied";
	c.text = mail->text;
	c.html = mail->html;
	raw = compose_build(&c, message_id);

	/* Store what is sent exactly as sent: a reply to it threads by its
	   Message-ID. */
	raw_data = g_bytes_get_data(raw, &raw_len);
	out = message_parse(raw_data, raw_len);
	meta.ticket_id = t->id;
	meta.mailbox = mb->name;
	meta.direction = "out";
	meta.kind = "auto";
	meta.thread_by = threading_reason_name(THREADING_IN_REPLY_TO);
	rc = store_message_insert(ingest->store, out, &meta, &row, error_r);
	if (rc == 0)
		rc = store_outbox_insert(ingest->store, t->id, row,
					 ingest->config->smtp.from_addr, rcpt,
					 error_r);
	if (rc == 0)
		rc = store_event_add(ingest->store, t->id, "ticketd",
				     "acknowledgement queued", msg->from.addr,
				     row, error_r);
	message_free(out);
	g_bytes_unref(raw);
	g_free(message_id);
	g_free(subject);
	g_ptr_array_unref(refs);
	template_mail_free(mail);
	return rc;
}

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

/* Everything of ingest_message() that runs inside the transaction. */
static int
ingest_store(struct ingest *ingest, const struct config_mailbox *mb,
	     const struct message *msg, enum autoreply_class cls,
	     const char *auto_reason, enum ingest_result *result_r,
	     gint64 *ticket_id_r, char **error_r)
{
	struct store_message_meta meta = { 0 };
	struct store_ticket t = { 0 };
	enum threading_reason reason;
	gint64 ticket_id, row;
	char *safe_from;
	int rc;

	rc = store_message_find(ingest->store, msg->message_id, &ticket_id,
				error_r);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		*result_r = INGEST_DUPLICATE;
		*ticket_id_r = ticket_id;
		return 0;
	}
	if (threading_find(ingest->store, msg, mb->tag, &ticket_id, &reason,
			   error_r) < 0)
		return -1;

	t.mailbox = mb->name;
	t.subject = *msg->subject != '\0' ? msg->subject : "(no subject)";
	t.status = "new";
	t.requester = msg->from.addr;
	t.requester_name = msg->from.name;
	if (ticket_id == 0) {
		if (store_ticket_insert(ingest->store, &t, &ticket_id,
					error_r) < 0)
			return -1;
	}
	t.id = ticket_id;
	t.created = g_get_real_time() / G_USEC_PER_SEC;

	meta.ticket_id = ticket_id;
	meta.mailbox = mb->name;
	meta.direction = "in";
	meta.kind = ingest_kind(cls);
	meta.thread_by = threading_reason_name(reason);
	if (store_message_insert(ingest->store, msg, &meta, &row, error_r) < 0)
		return -1;
	if (store_event_add(ingest->store, ticket_id, msg->from.addr,
			    reason == THREADING_NEW ? "created" : "message",
			    meta.thread_by, row, error_r) < 0)
		return -1;
	if (reason != THREADING_NEW &&
	    store_ticket_touch(ingest->store, ticket_id, t.created,
			       error_r) < 0)
		return -1;

	safe_from = log_sanitize(msg->from.addr);
	if (reason == THREADING_NEW) {
		if (cls != AUTOREPLY_HUMAN)
			log_info("mailbox %s: ticket %" G_GINT64_FORMAT
				 " from %s: not acknowledged (%s)", mb->name,
				 ticket_id, safe_from, auto_reason);
		else if (!mb->ack)
			;
		else if (strchr(msg->from.addr, '@') == NULL ||
			 ingest_is_own_address(ingest->config,
					       msg->from.addr))
			log_info("mailbox %s: ticket %" G_GINT64_FORMAT
				 ": not acknowledged (sender '%s' is ours or "
				 "unusable)", mb->name, ticket_id, safe_from);
		else if (ingest_queue_ack(ingest, mb, &t, msg, error_r) < 0) {
			g_free(safe_from);
			return -1;
		}
	}
	g_free(safe_from);
	*result_r = INGEST_STORED;
	*ticket_id_r = ticket_id;
	return 0;
}

int
ingest_message(struct ingest *ingest, const struct config_mailbox *mb,
	       const char *data, size_t len,
	       const struct ingest_position *pos,
	       enum ingest_result *result_r, gint64 *ticket_id_r,
	       char **error_r)
{
	struct message *msg = message_parse(data, len);
	const char *auto_reason = NULL;
	enum autoreply_class cls = autoreply_classify(msg, &auto_reason);
	char *safe_id;
	int rc;

	if (msg->parse_error != NULL) {
		char *e = log_sanitize(msg->parse_error);

		log_warnx("mailbox %s: message %s: %s (stored raw)", mb->name,
			  msg->message_id, e);
		g_free(e);
	}
	if (store_begin(ingest->store, error_r) < 0) {
		message_free(msg);
		return -1;
	}
	rc = ingest_store(ingest, mb, msg, cls, auto_reason, result_r,
			  ticket_id_r, error_r);
	if (rc == 0 && pos != NULL)
		rc = store_mailbox_state_set(ingest->store, mb->name,
					     pos->uidvalidity, pos->uid,
					     error_r);
	if (rc == 0)
		rc = store_commit(ingest->store, error_r);
	if (rc < 0)
		store_rollback(ingest->store);
	safe_id = log_sanitize(msg->message_id);
	if (rc == 0 && *result_r == INGEST_DUPLICATE)
		log_info("mailbox %s: message <%s> already stored on ticket %"
			 G_GINT64_FORMAT ", skipped", mb->name, safe_id,
			 *ticket_id_r);
	else if (rc == 0)
		log_info("mailbox %s: message <%s> stored on ticket %"
			 G_GINT64_FORMAT, mb->name, safe_id, *ticket_id_r);
	g_free(safe_id);
	message_free(msg);
	return rc;
}
