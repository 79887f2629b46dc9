/* Surveys and campaigns: scheduling, caps, opt-outs, signed addresses. */
#include "autodefs.h"

#include <string.h>

#include "agent-auth.h"
#include "autoreply.h"
#include "log.h"
#include "mailer.h"
#include "reply-text.h"
#include "rules.h"
#include "store-campaign.h"
#include "template-data.h"
#include "threading.h"

#define RULES_RATE "rate"
#define RULES_STOP "stop"

static gint64
rules_now(void)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

static char *
rules_address_of(struct ingest *ingest, const struct config_mailbox *mb,
		 const char *purpose, gint64 ticket_id)
{
	gsize len;
	const guint8 *key = g_bytes_get_data(ingest->token_key, &len);

	return agent_auth_purpose_address(mb->address, purpose, ticket_id, key,
					  len);
}

static const struct config_mailbox *
rules_mailbox(struct ingest *ingest, const struct store_ticket *t)
{
	return config_mailbox_find(ingest->config, t->mailbox);
}

/* ---- triggers ---- */

/* Does campaign c apply to ticket t (keywords, domains)? */
static int
rules_campaign_matches(struct ingest *ingest, const struct config_campaign *c,
		       const struct store_ticket *t, gboolean *match_r,
		       char **error_r)
{
	*match_r = TRUE;
	if (c->domains != NULL) {
		const char *at = strrchr(t->requester, '@');
		char *domain = g_ascii_strdown(at != NULL ? at + 1 : "", -1);
		gboolean found = FALSE;

		for (char **d = c->domains; *d != NULL && !found; d++) {
			gsize dl = strlen(*d), l = strlen(domain);

			found = strcmp(domain, *d) == 0 ||
				(l > dl && domain[l - dl - 1] == '.' &&
				 strcmp(domain + l - dl, *d) == 0);
		}
		g_free(domain);
		if (!found) {
			*match_r = FALSE;
			return 0;
		}
	}
	if (c->keywords != NULL) {
		GPtrArray *messages;
		GString *text;
		char *lower;
		gboolean found = FALSE;

		if (store_ticket_messages(ingest->store, t->id, &messages,
					  error_r) < 0)
			return -1;
		text = g_string_new(t->subject);
		for (guint i = 0; i < messages->len; i++) {
			const struct store_message *m = messages->pdata[i];

			if (strcmp(m->direction, "in") == 0 &&
			    strcmp(m->kind, "customer") == 0) {
				g_string_append_c(text, '\n');
				g_string_append(text, m->body);
			}
		}
		lower = g_utf8_strdown(text->str, -1);
		for (char **k = c->keywords; *k != NULL && !found; k++)
			found = strstr(lower, *k) != NULL;
		g_free(lower);
		g_string_free(text, TRUE);
		g_ptr_array_unref(messages);
		*match_r = found;
	}
	return 0;
}

/* Schedule every campaign of t's mailbox whose trigger is rating (> 0:
   rated so) or resolution (0). */
static int
rules_schedule_campaigns(struct ingest *ingest, const struct store_ticket *t,
			 int rating, char **error_r)
{
	for (guint i = 0; i < ingest->config->campaigns->len; i++) {
		const struct config_campaign *c =
			ingest->config->campaigns->pdata[i];
		gboolean match;

		if (strcmp(c->mailbox, t->mailbox) != 0)
			continue;
		if (rating == 0 ? c->min_rating != 0 :
		    (c->min_rating == 0 || rating < c->min_rating))
			continue;
		if (rules_campaign_matches(ingest, c, t, &match, error_r) < 0)
			return -1;
		if (!match)
			continue;
		if (store_campaign_schedule(ingest->store, c->name,
					    t->requester, t->id,
					    rules_now() + c->delay,
					    error_r) < 0)
			return -1;
		log_info("ticket %" G_GINT64_FORMAT ": campaign %s scheduled "
			 "in %d s", t->id, c->name, c->delay);
	}
	return 0;
}

int
rules_on_resolved(struct ingest *ingest, const struct store_ticket *t,
		  char **error_r)
{
	const struct config_mailbox *mb = rules_mailbox(ingest, t);
	int rc;

	if (mb == NULL || t->requester == NULL || *t->requester == '\0' ||
	    autoreply_address_unanswerable(t->requester))
		return 0;
	if (mb->survey && config_agent_find(mb, t->requester) == NULL &&
	    !config_is_own_address(ingest->config, t->requester)) {
		rc = store_survey_scheduled(ingest->store, t->id, error_r);
		if (rc == 0)
			rc = store_optout_has(ingest->store, t->requester,
					      "surveys", error_r);
		if (rc == 0 && mb->survey_cooldown_days > 0)
			rc = store_survey_sent_since(
				ingest->store, t->requester, rules_now() -
				(gint64)mb->survey_cooldown_days * 86400,
				error_r);
		if (rc < 0)
			return -1;
		if (rc == 0 &&
		    store_survey_schedule(ingest->store, t->id, t->requester,
					  rules_now() + mb->survey_delay,
					  error_r) < 0)
			return -1;
	}
	return rules_schedule_campaigns(ingest, t, 0, error_r);
}

/* ---- incoming ---- */

enum rules_address
rules_find_address(struct ingest *ingest, const struct config_mailbox *mb,
		   const struct message *msg, gint64 *ticket_id_r)
{
	const GPtrArray *lists[] = { msg->to, msg->cc };
	static const char *const purposes[] = { RULES_RATE, RULES_STOP };
	enum rules_address found = RULES_ADDRESS_NONE;
	gsize len;
	const guint8 *key = g_bytes_get_data(ingest->token_key, &len);

	for (size_t l = 0; l < G_N_ELEMENTS(lists) + 1; l++) {
		guint n = l < G_N_ELEMENTS(lists) ? lists[l]->len :
			msg->envelope_to->len;

		for (guint i = 0; i < n; i++) {
			const char *addr = l < G_N_ELEMENTS(lists) ?
				((struct message_address *)
				 lists[l]->pdata[i])->addr :
				(const char *)msg->envelope_to->pdata[i];

			for (size_t p = 0; p < G_N_ELEMENTS(purposes); p++) {
				gint64 id;
				gboolean valid;

				if (!agent_auth_purpose_parse(addr, mb->address,
							      purposes[p], key,
							      len, &id, &valid))
					continue;
				if (!valid) {
					found = RULES_ADDRESS_FORGED;
					continue;
				}
				*ticket_id_r = id;
				return p == 0 ? RULES_ADDRESS_RATE :
					RULES_ADDRESS_STOP;
			}
		}
	}
	return found;
}

/* Skip "Re:", "AW:", "回复：" and friends at the start of a subject. */
static const char *
rules_skip_prefixes(const char *s)
{
	static const char *const prefixes[] = {
		"re:", "aw:", "sv:", "vs:", "antw:", "fw:", "fwd:", "wg:",
		"tr:", "回复:", "回复：", "答复:", "答复：", NULL
	};
	gboolean again = TRUE;

	while (again) {
		again = FALSE;
		while (*s == ' ' || *s == '\t')
			s++;
		for (int i = 0; prefixes[i] != NULL; i++) {
			gsize n = strlen(prefixes[i]);

			if (g_ascii_strncasecmp(s, prefixes[i], n) == 0) {
				s += n;
				again = TRUE;
				break;
			}
		}
	}
	return s;
}

gboolean
rules_is_unsubscribe(const char *text)
{
	static const char *const words[] = {
		"unsubscribe", "stop", "退订", "取消订阅", NULL
	};
	char *t, *lower;
	gboolean found = FALSE;

	if (text == NULL)
		return FALSE;
	t = g_strdup(rules_skip_prefixes(text));
	/* Drop the subject tag and trailing punctuation. */
	for (char *b = strchr(t, '['); b != NULL; b = strchr(t, '[')) {
		char *e = strchr(b, ']');

		if (e == NULL)
			break;
		memmove(b, e + 1, strlen(e + 1) + 1);
	}
	g_strstrip(t);
	while (*t != '\0' && strchr(".!。！", t[strlen(t) - 1]) != NULL)
		t[strlen(t) - 1] = '\0';
	lower = g_utf8_strdown(t, -1);
	g_strstrip(lower);
	for (int i = 0; words[i] != NULL && !found; i++)
		found = strcmp(lower, words[i]) == 0;
	g_free(lower);
	g_free(t);
	return found;
}

/* The first non-empty line of body's own text (quote cut), new. */
static char *
rules_own_text(const char *body)
{
	gsize cut = reply_text_quote_start(body);
	char *text = g_strndup(body, cut);

	return g_strstrip(text);
}

int
rules_parse_rating(const char *subject, const char *body, char **comment_r)
{
	char *text = rules_own_text(body != NULL ? body : "");
	const char *s = rules_skip_prefixes(subject != NULL ? subject : "");
	int rating = 0;
	char *p;

	*comment_r = NULL;
	/* "Rating 4" from the mailto: links */
	if (g_ascii_strncasecmp(s, "rating", 6) == 0) {
		s += 6;
		while (*s == ' ' || *s == ':')
			s++;
		if (*s >= '1' && *s <= '5' && !g_ascii_isdigit(s[1]))
			rating = *s - '0';
	}
	/* A digit leading the text: "4", "4, quick", "4/5", "5 stars" */
	p = text;
	if (*p >= '1' && *p <= '5' && !g_ascii_isdigit(p[1]) &&
	    (p[1] == '\0' || !g_ascii_isalpha(p[1]))) {
		if (rating == 0)
			rating = *p - '0';
		p++;
		if (*p == '/' && p[1] == '5')
			p += 2;
		while (*p != '\0' && strchr(" \t,.;:-!/\n", *p) != NULL)
			p++;
		if (g_ascii_strncasecmp(p, "stars", 5) == 0)
			p += 5;
		else if (g_ascii_strncasecmp(p, "star", 4) == 0)
			p += 4;
		while (*p != '\0' && strchr(" \t,.;:-!\n", *p) != NULL)
			p++;
	}
	if (rating != 0)
		*comment_r = g_strstrip(g_strdup(p));
	g_free(text);
	return rating;
}

static int
rules_thank(struct ingest *ingest, const struct config_mailbox *mb,
	    const struct store_ticket *t, const struct message *msg,
	    int rating, const char *comment, char **error_r)
{
	struct mailer_mail m = { 0 };
	struct message_address to = { msg->from.name, msg->from.addr };
	JsonObject *r = json_object_new();
	char lang[32];
	int rc;

	json_object_set_int_member(r, "value", rating);
	json_object_set_string_member(r, "comment",
				      comment != NULL ? comment : "");
	m.template = "survey_thanks";
	m.data = template_data_new(mb, t, msg);
	json_object_set_object_member(m.data, "rating", r);
	m.fallback_text = "Thank you for your feedback.\n";
	m.ticket = t;
	m.to = &to;
	m.in_reply_to = msg->message_id;
	m.auto_submitted = "auto-replied";
	m.kind = "auto";
	m.event = "thanks sent";
	m.language = mailer_language(mb, msg, lang);
	rc = mailer_queue(ingest, mb,
			  &m, NULL, error_r);
	json_object_unref(m.data);
	return rc;
}

int
rules_record_rating(struct ingest *ingest, const struct config_mailbox *mb,
		    struct store_ticket *t, const struct message *msg,
		    int rating, const char *comment, gint64 row,
		    char **error_r)
{
	struct store_survey *s = NULL;
	char detail[8];
	int rc;

	rc = store_survey_of_ticket(ingest->store, t->id, &s, error_r);
	if (rc <= 0)
		return rc;
	g_snprintf(detail, sizeof detail, "%d", rating);
	rc = store_survey_rate(ingest->store, s->id, rating, comment,
			       rules_now(), error_r);
	if (rc == 0)
		rc = store_event_add(ingest->store, t->id, msg->from.addr,
				     "rated", detail, row, error_r);
	if (rc == 0)
		rc = rules_thank(ingest, mb, t, msg, rating, comment, error_r);
	if (rc == 0)
		rc = rules_schedule_campaigns(ingest, t, rating, error_r);
	store_survey_free(s);
	if (rc == 0)
		log_info("ticket %" G_GINT64_FORMAT ": rated %d", t->id,
			 rating);
	return rc < 0 ? -1 : 1;
}

int
rules_opt_out(struct ingest *ingest, const struct config_mailbox *mb,
	      const struct message *msg, const char *what, gint64 row,
	      char **error_r)
{
	struct mailer_mail m = { 0 };
	struct message_address to = { msg->from.name, msg->from.addr };
	struct store_ticket none = { 0 };
	char lang[32];
	int rc;

	if (*msg->from.addr == '\0')
		return 0;
	rc = store_optout_has(ingest->store, msg->from.addr, what, error_r);
	if (rc < 0)
		return -1;
	if (store_optout_add(ingest->store, msg->from.addr, what, row,
			     error_r) < 0)
		return -1;
	log_info("mailbox %s: %s opted out of %s", mb->name, msg->from.addr,
		 what);
	none.subject = (char *)"";
	none.requester = msg->from.addr;
	none.requester_name = msg->from.name;
	m.template = "unsubscribe_confirm";
	m.data = template_data_new(mb, &none, msg);
	json_object_set_string_member(m.data, "optout", what);
	m.fallback_text = "You are unsubscribed: you will get no more such "
			  "mail from us.\n";
	m.to = &to;
	m.in_reply_to = msg->message_id;
	m.auto_submitted = "auto-replied";
	m.kind = "auto";
	m.language = mailer_language(mb, msg, lang);
	rc = mailer_queue(ingest, mb,
			  &m, NULL, error_r);
	json_object_unref(m.data);
	return rc;
}

/* ---- sending ---- */

static int
rules_send_survey(struct ingest *ingest, const struct store_survey *s,
		  char **error_r)
{
	struct store_ticket *t = NULL;
	const struct config_mailbox *mb;
	struct mailer_mail m = { 0 };
	struct message_address to = { NULL, s->address };
	JsonObject *survey;
	JsonArray *links;
	char *address, *tag;
	int rc;

	rc = store_ticket_get(ingest->store, s->ticket_id, &t, error_r);
	if (rc <= 0)
		return rc < 0 ? -1 : store_survey_mark(ingest->store, s->id,
						       "cancelled", 0, error_r);
	mb = rules_mailbox(ingest, t);
	rc = store_optout_has(ingest->store, s->address, "surveys", error_r);
	if (rc < 0) {
		store_ticket_free(t);
		return -1;
	}
	if (mb == NULL || rc > 0 || !mb->survey ||
	    (strcmp(t->status, "resolved") != 0 &&
	     strcmp(t->status, "closed") != 0)) {
		/* reopened, opted out or switched off meanwhile */
		rc = store_survey_mark(ingest->store, s->id, "cancelled", 0,
				       error_r);
		store_ticket_free(t);
		return rc;
	}
	address = rules_address_of(ingest, mb, RULES_RATE, t->id);
	tag = threading_format_tag(mb->tag, t->id);
	survey = json_object_new();
	links = json_array_new();
	for (int r = 1; r <= 5; r++) {
		JsonObject *o = json_object_new();
		char *subject = g_strdup_printf("Rating %d %s", r, tag);
		char *esc = g_uri_escape_string(subject, NULL, FALSE);
		char *mailto = g_strdup_printf("mailto:%s?subject=%s", address,
					       esc);

		json_object_set_int_member(o, "rating", r);
		json_object_set_string_member(o, "mailto", mailto);
		json_array_add_object_element(links, o);
		g_free(mailto);
		g_free(esc);
		g_free(subject);
	}
	json_object_set_string_member(survey, "address", address);
	json_object_set_array_member(survey, "links", links);
	to.name = t->requester_name;
	m.template = "survey";
	m.data = template_data_new(mb, t, NULL);
	json_object_set_object_member(m.data, "survey", survey);
	m.fallback_text = "How did we do?  Reply with a number from 1 (bad) "
			  "to 5 (excellent), and any comment.\n";
	m.ticket = t;
	m.to = &to;
	m.reply_to = address;
	m.auto_submitted = "auto-generated";
	m.kind = "auto";
	m.event = "survey sent";
	m.language = mb->language != NULL &&
		     strcmp(mb->language, "auto") != 0 ? mb->language : NULL;
	rc = mailer_queue(ingest, mb,
			  &m, NULL, error_r);
	if (rc == 0)
		rc = store_survey_mark(ingest->store, s->id, "sent",
				       rules_now(), error_r);
	json_object_unref(m.data);
	g_free(address);
	g_free(tag);
	store_ticket_free(t);
	return rc;
}

/* Why campaign mail cm must not go out now (static), or NULL. */
static int
rules_campaign_verdict(struct ingest *ingest, const struct config_campaign *c,
		       const struct config_mailbox *mb,
		       const struct store_campaign_mail *cm,
		       const char **reason_r, char **error_r)
{
	gint64 when, now = rules_now();
	int rc;

	*reason_r = NULL;
	rc = store_optout_has(ingest->store, cm->address, "campaigns",
			      error_r);
	if (rc != 0) {
		*reason_r = "opted out";
		return rc < 0 ? -1 : 0;
	}
	rc = store_campaign_last_sent(ingest->store, cm->address, c->name,
				      &when, error_r);
	if (rc < 0)
		return -1;
	if (rc > 0 && c->cap_days > 0 &&
	    when > now - (gint64)c->cap_days * 86400) {
		*reason_r = "cap_days: this campaign mailed them recently";
		return 0;
	}
	rc = store_campaign_last_sent(ingest->store, cm->address, NULL, &when,
				      error_r);
	if (rc < 0)
		return -1;
	if (rc > 0 && mb->campaign_cap_days > 0 &&
	    when > now - (gint64)mb->campaign_cap_days * 86400) {
		*reason_r = "campaign_cap_days: a campaign mailed them "
			    "recently";
		return 0;
	}
	return 0;
}

static int
rules_send_campaign(struct ingest *ingest, const struct config_campaign *c,
		    const struct config_mailbox *mb,
		    const struct store_campaign_mail *cm, char **error_r)
{
	struct store_ticket *t = NULL;
	struct mailer_mail m = { 0 };
	struct message_address to = { NULL, cm->address };
	GPtrArray *headers = g_ptr_array_new_with_free_func(g_free);
	JsonObject *unsub = json_object_new(), *camp = json_object_new();
	char *stop, *mailto;
	int rc;

	rc = store_ticket_get(ingest->store, cm->ticket_id, &t, error_r);
	if (rc <= 0) {
		g_ptr_array_unref(headers);
		json_object_unref(unsub);
		json_object_unref(camp);
		return rc < 0 ? -1 : store_campaign_mark(ingest->store, cm->id,
			"skipped", "ticket gone", 0, error_r);
	}
	stop = rules_address_of(ingest, mb, RULES_STOP, t->id);
	mailto = g_strdup_printf("mailto:%s?subject=unsubscribe", stop);
	if (c->unsubscribe_url != NULL)
		g_ptr_array_add(headers, g_strdup_printf(
			"List-Unsubscribe: <%s>, <%s>", mailto,
			c->unsubscribe_url));
	else
		g_ptr_array_add(headers, g_strdup_printf(
			"List-Unsubscribe: <%s>", mailto));
	g_ptr_array_add(headers, g_strdup(
		"List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
	g_ptr_array_add(headers, g_strdup("Precedence: bulk"));
	json_object_set_string_member(unsub, "address", stop);
	json_object_set_string_member(unsub, "mailto", mailto);
	json_object_set_string_member(unsub, "url", c->unsubscribe_url != NULL ?
				      c->unsubscribe_url : "");
	json_object_set_string_member(camp, "name", c->name);
	to.name = t->requester_name;
	m.template = c->template;
	m.data = template_data_new(mb, t, NULL);
	json_object_set_object_member(m.data, "unsubscribe", unsub);
	json_object_set_object_member(m.data, "campaign", camp);
	m.fallback_text = NULL;
	m.ticket = t;
	m.to = &to;
	m.auto_submitted = "auto-generated";
	m.headers = headers;
	m.kind = "campaign";
	m.event = "campaign sent";
	m.language = mb->language != NULL &&
		     strcmp(mb->language, "auto") != 0 ? mb->language : NULL;
	rc = mailer_queue(ingest, mb,
			  &m, NULL, error_r);
	if (rc == 0)
		rc = store_campaign_mark(ingest->store, cm->id, "sent", "",
					 rules_now(), error_r);
	if (rc == 0)
		log_info("ticket %" G_GINT64_FORMAT ": campaign %s sent to %s",
			 t->id, c->name, cm->address);
	json_object_unref(m.data);
	g_free(stop);
	g_free(mailto);
	g_ptr_array_unref(headers);
	store_ticket_free(t);
	return rc;
}

void
rules_campaign_item_free(struct rules_campaign_item *item)
{
	if (item == NULL)
		return;
	g_free(item->address);
	g_free(item->verdict);
	g_free(item->reason);
	g_free(item);
}

int
rules_campaign_run(struct ingest *ingest, const struct config_campaign *c,
		   gint64 now, gboolean dry_run, GPtrArray *report,
		   char **error_r)
{
	const struct config_mailbox *mb =
		config_mailbox_find(ingest->config, c->mailbox);
	GPtrArray *due;

	if (mb == NULL)
		return 0;
	if (store_campaign_due(ingest->store, c->name, G_MAXINT64, &due,
			       error_r) < 0)
		return -1;
	for (guint i = 0; i < due->len; i++) {
		const struct store_campaign_mail *cm = due->pdata[i];
		const char *reason = NULL;
		const char *verdict;

		if (cm->due > now) {
			verdict = "later";
		} else if (rules_campaign_verdict(ingest, c, mb, cm, &reason,
						  error_r) < 0) {
			g_ptr_array_unref(due);
			return -1;
		} else if (reason != NULL) {
			verdict = "skipped";
			if (!dry_run &&
			    store_campaign_mark(ingest->store, cm->id,
						"skipped", reason, 0,
						error_r) < 0) {
				g_ptr_array_unref(due);
				return -1;
			}
		} else if (dry_run) {
			verdict = "send";
		} else {
			verdict = "sent";
			if (rules_send_campaign(ingest, c, mb, cm,
						error_r) < 0) {
				g_ptr_array_unref(due);
				return -1;
			}
		}
		if (report != NULL) {
			struct rules_campaign_item *item =
				g_new0(struct rules_campaign_item, 1);

			item->address = g_strdup(cm->address);
			item->ticket_id = cm->ticket_id;
			item->due = cm->due;
			item->verdict = g_strdup(verdict);
			item->reason = g_strdup(reason != NULL ? reason :
				strcmp(verdict, "later") == 0 ?
				"not due yet" : c->min_rating > 0 ?
				"rated high enough" : "resolved");
			g_ptr_array_add(report, item);
		}
	}
	g_ptr_array_unref(due);
	return 0;
}

/* Due surveys and campaign mails, each batch in one transaction. */
static int
rules_tick_once(struct ingest *ingest, gint64 now, char **error_r)
{
	GPtrArray *due;

	if (store_survey_due(ingest->store, now, &due, error_r) < 0)
		return -1;
	for (guint i = 0; i < due->len; i++)
		if (rules_send_survey(ingest, due->pdata[i], error_r) < 0) {
			g_ptr_array_unref(due);
			return -1;
		}
	g_ptr_array_unref(due);
	for (guint i = 0; i < ingest->config->campaigns->len; i++)
		if (rules_campaign_run(ingest,
				       ingest->config->campaigns->pdata[i],
				       now, FALSE, NULL, error_r) < 0)
			return -1;
	return 0;
}

int
rules_tick(struct ingest *ingest, gint64 now)
{
	char *error = NULL;

	if (store_begin(ingest->store, &error) < 0 ||
	    rules_tick_once(ingest, now, &error) < 0 ||
	    store_commit(ingest->store, &error) < 0) {
		store_rollback(ingest->store);
		log_error("surveys and campaigns: %s", error);
		g_free(error);
		return -1;
	}
	return 0;
}
