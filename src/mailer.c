/* Render, build, store and queue outgoing mail. */
#include "autodefs.h"

#include <string.h>

#include "compose.h"
#include "log.h"
#include "mailer.h"
#include "thread-index.h"
#include "threading.h"

/* References kept in our mail: the first and the newest ones. */
#define MAILER_MAX_REFERENCES 20

static const char *
mailer_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at != NULL ? at + 1 : addr;
}

/* Render m's template; never NULL: a broken template falls back to the
   shipped default, then to m->fallback_text. */
static struct template_mail *
mailer_render(struct template_set *templates,
	      const struct config_mailbox *mb, const struct mailer_mail *m)
{
	struct template_mail *mail;
	char *error = NULL;

	mail = template_set_render(templates, m->template, mb->name,
				   m->language, m->data, &error);
	if (error != NULL) {
		if (m->ticket != NULL)
			log_error("ticket %" G_GINT64_FORMAT ": template %s: "
				  "%s (%s)", m->ticket->id, m->template, error,
				  mail != NULL ? "sent the shipped default" :
				  "sent the built-in text");
		else
			log_error("mailbox %s: template %s: %s (%s)", mb->name,
				  m->template, error, mail != NULL ?
				  "sent the shipped default" :
				  "sent the built-in text");
		g_free(error);
	}
	if (mail == NULL) {
		mail = g_new0(struct template_mail, 1);
		mail->subject = g_strdup(m->ticket != NULL ?
					 m->ticket->subject : "");
		mail->headers = g_ptr_array_new_with_free_func(g_free);
		mail->text = g_strdup(m->fallback_text != NULL ?
				      m->fallback_text : "");
	}
	return mail;
}

/* Envelope recipients: To, more To and Cc, without duplicates. */
static GPtrArray *
mailer_rcpts(const struct mailer_mail *m)
{
	GPtrArray *rcpts = g_ptr_array_new();
	const GPtrArray *lists[] = { m->to_more, m->cc };

	g_ptr_array_add(rcpts, m->to->addr);
	for (size_t l = 0; l < G_N_ELEMENTS(lists); l++) {
		for (guint i = 0; lists[l] != NULL && i < lists[l]->len; i++) {
			const struct message_address *a = lists[l]->pdata[i];
			gboolean dup = FALSE;

			for (guint j = 0; j < rcpts->len && !dup; j++)
				dup = g_ascii_strcasecmp(rcpts->pdata[j],
							 a->addr) == 0;
			if (!dup && a->addr != NULL && *a->addr != '\0')
				g_ptr_array_add(rcpts, a->addr);
		}
	}
	g_ptr_array_add(rcpts, NULL);
	return rcpts;
}

/* Did the customer (requester) see this message of their ticket? */
static gboolean
mailer_customer_saw(const struct store_message_ref *r,
		    const struct store_ticket *t)
{
	if (strcmp(r->direction, "in") == 0)
		return strcmp(r->kind, "customer") == 0;
	return r->to_addrs != NULL && t->requester != NULL &&
	       strstr(r->to_addrs, t->requester) != NULL;
}

/* The References of mail about a ticket: the caller's, else the ticket's
   message ids (the first and the newest) that the recipients saw. */
static GPtrArray *
mailer_references(struct store *store, const struct mailer_mail *m,
		  guint *count_r, char **error_r)
{
	GPtrArray *refs = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *ids, *seen;

	*count_r = 0;
	if (m->references != NULL) {
		guint start = m->references->len > MAILER_MAX_REFERENCES ?
			m->references->len - MAILER_MAX_REFERENCES : 0;

		for (guint i = start; i < m->references->len; i++)
			g_ptr_array_add(refs,
					g_strdup(m->references->pdata[i]));
	}
	if (m->ticket == NULL)
		return refs;
	if (store_ticket_message_refs(store, m->ticket->id, &ids, error_r) < 0) {
		g_ptr_array_unref(refs);
		return NULL;
	}
	*count_r = ids->len;
	if (m->references == NULL) {
		seen = g_ptr_array_new();
		for (guint i = 0; i < ids->len; i++)
			if (m->for_agents ||
			    mailer_customer_saw(ids->pdata[i], m->ticket))
				g_ptr_array_add(seen, ids->pdata[i]);
		for (guint i = 0; i < seen->len; i++) {
			const struct store_message_ref *r = seen->pdata[i];

			if (i != 0 && seen->len - i > MAILER_MAX_REFERENCES - 1)
				continue;
			g_ptr_array_add(refs, g_strdup(r->message_id));
		}
		g_ptr_array_unref(seen);
	}
	g_ptr_array_unref(ids);
	return refs;
}

const char *
mailer_language(const struct config_mailbox *mb, const struct message *msg,
		char buf[32])
{
	const char *cl;
	gsize n = 0;

	if (mb->language == NULL)
		return NULL;
	if (strcmp(mb->language, "auto") != 0)
		return mb->language;
	cl = msg != NULL ? msg->content_language : NULL;
	if (cl == NULL)
		return NULL;
	while (*cl == ' ')
		cl++;
	while (n < 31 && (g_ascii_isalpha(cl[n]) || cl[n] == '-')) {
		buf[n] = g_ascii_tolower(cl[n]);
		n++;
	}
	buf[n] = '\0';
	return n > 0 ? buf : NULL;
}

/* Has m->to had max_auto_per_hour automatic answers in the last hour? */
static int
mailer_capped(struct store *store, const struct config_mailbox *mb,
	      const struct mailer_mail *m, char **error_r)
{
	int count;

	if (m->auto_submitted == NULL ||
	    strcmp(m->auto_submitted, "auto-replied") != 0 ||
	    m->to_more != NULL || m->cc != NULL)
		return 0;
	if (store_auto_count(store, m->to->addr,
			     g_get_real_time() / G_USEC_PER_SEC - 3600, &count,
			     error_r) < 0)
		return -1;
	return count >= mb->max_auto_per_hour ? 1 : 0;
}

int
mailer_queue(struct ingest *ingest, const struct config_mailbox *mb,
	     const struct mailer_mail *m, gint64 *row_r, char **error_r)
{
	const struct config *config = ingest->config;
	struct store *store = ingest->store;
	struct template_set *templates = ingest->templates;
	struct template_mail *mail;
	int capped;

	if (row_r != NULL)
		*row_r = 0;
	if (ingest->quiet)
		return 0;
	capped = mailer_capped(store, mb, m, error_r);

	if (capped < 0)
		return -1;
	if (capped > 0) {
		char *to = log_sanitize(m->to->addr);

		log_warnx("mailbox %s: %s had %d automatic answers in the last "
			  "hour (max_auto_per_hour): %s not sent", mb->name, to,
			  mb->max_auto_per_hour, m->template);
		g_free(to);
		if (row_r != NULL)
			*row_r = 0;
		if (m->ticket != NULL)
			return store_event_add(store, m->ticket->id, "ticketd",
					       "auto answer capped",
					       m->template, 0, error_r);
		return 0;
	}
	mail = mailer_render(templates, mb, m);
	struct compose_mail c = { 0 };
	struct store_message_meta meta = { 0 };
	GPtrArray *headers, *refs, *rcpts, *to_more;
	struct message *out;
	char *subject, *message_id, *thread_index = NULL, *root = NULL;
	char *seed = NULL;
	guint n_messages;
	GBytes *raw;
	gint64 row, date;
	int rc;

	refs = mailer_references(store, m, &n_messages, error_r);
	if (refs == NULL) {
		template_mail_free(mail);
		return -1;
	}
	/* The mail answered is always the last reference. */
	if (m->in_reply_to != NULL) {
		for (guint i = 0; i < refs->len; i++)
			if (strcmp(refs->pdata[i], m->in_reply_to) == 0)
				g_ptr_array_remove_index(refs, i--);
		g_ptr_array_add(refs, g_strdup(m->in_reply_to));
	}
	headers = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < mail->headers->len; i++)
		g_ptr_array_add(headers, g_strdup(mail->headers->pdata[i]));
	for (guint i = 0; m->headers != NULL && i < m->headers->len; i++)
		g_ptr_array_add(headers, g_strdup(m->headers->pdata[i]));
	if (m->ticket != NULL) {
		subject = threading_tag_subject(mail->subject, mb->tag,
						m->ticket->id);
		seed = g_strdup_printf("%s/%" G_GINT64_FORMAT, mb->name,
				       m->ticket->id);
		thread_index = thread_index_new(m->ticket->created, seed,
						strlen(seed), n_messages);
		root = thread_index_root(thread_index);
		g_ptr_array_add(headers, g_strdup_printf("Thread-Topic: %s",
							 m->ticket->subject));
		g_ptr_array_add(headers, g_strdup_printf("Thread-Index: %s",
							 thread_index));
		g_ptr_array_add(headers, g_strdup_printf(
			"X-Ticketd-Ticket: %" G_GINT64_FORMAT, m->ticket->id));
	} else {
		subject = g_strdup(mail->subject);
	}
	/* Recognised when it comes back: never answered (mail loops). */
	g_ptr_array_add(headers, g_strdup_printf("X-Ticketd-Loop: %s",
						 mb->address));
	message_id = compose_message_id(mailer_domain(mb->address));
	c.from_name = m->from_name != NULL ? m->from_name : mb->display_name;
	c.from_addr = mb->address;
	c.to_name = m->to->name;
	c.to_addr = m->to->addr;
	/* to_more may repeat the first recipient: name each one once */
	to_more = g_ptr_array_new();
	for (guint i = 0; m->to_more != NULL && i < m->to_more->len; i++) {
		const struct message_address *a = m->to_more->pdata[i];
		gboolean dup = g_ascii_strcasecmp(a->addr, m->to->addr) == 0;

		for (guint j = 0; j < to_more->len && !dup; j++)
			dup = g_ascii_strcasecmp(a->addr,
				((struct message_address *)
				 to_more->pdata[j])->addr) == 0;
		if (!dup)
			g_ptr_array_add(to_more, (gpointer)a);
	}
	c.to_more = to_more;
	c.cc = m->cc;
	c.reply_to = m->reply_to;
	c.subject = subject;
	c.in_reply_to = m->in_reply_to;
	c.references = refs;
	c.headers = headers;
	c.auto_submitted = m->auto_submitted;
	c.text = mail->text;
	c.html = mail->html;
	c.attachments = m->attachments;
	date = g_get_real_time() / G_USEC_PER_SEC;
	raw = compose_build(&c, message_id, date);

	/* Store what is sent exactly as sent: a reply to it threads by its
	   Message-ID.  compose_message() gives what parsing raw would. */
	out = compose_message(&c, message_id, raw, date);
	meta.ticket_id = m->ticket != NULL ? m->ticket->id : 0;
	meta.mailbox = mb->name;
	meta.direction = "out";
	meta.kind = m->kind;
	meta.thread_by = threading_reason_name(
		m->in_reply_to != NULL ? THREADING_IN_REPLY_TO : THREADING_NEW);
	meta.thread_root = root;
	rcpts = mailer_rcpts(m);
	rc = store_message_insert(store, out, &meta, &row, error_r);
	if (rc == 0)
		rc = store_outbox_insert(store, meta.ticket_id, row,
					 config->smtp.from_addr,
					 (const char *const *)rcpts->pdata,
					 error_r);
	if (rc == 0 && m->ticket != NULL && m->event != NULL)
		rc = store_event_add(store, m->ticket->id, "ticketd", m->event,
				     m->to->addr, row, error_r);
	if (rc == 0 && row_r != NULL)
		*row_r = row;
	g_ptr_array_unref(rcpts);
	g_ptr_array_unref(to_more);
	message_free(out);
	g_bytes_unref(raw);
	g_free(message_id);
	g_free(subject);
	g_free(thread_index);
	g_free(root);
	g_free(seed);
	g_ptr_array_unref(headers);
	g_ptr_array_unref(refs);
	template_mail_free(mail);
	return rc;
}
