/* ticketctl: the admin's view of the ticket store. */
#include "autodefs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "compose.h"
#include "config.h"
#include "ctl-common.h"
#include "ctl-import.h"
#include "ctl-stats.h"
#include "ctl-template.h"
#include "ingest.h"
#include "log.h"
#include "message.h"
#include "outbox.h"
#include "template.h"
#include "rules.h"
#include "store-campaign.h"
#include "store-admin.h"
#include "store-report.h"
#include "store-search.h"
#include "store.h"
#include "template-data.h"
#include "workflow.h"

/* The exit statuses, for every command's --help. */
#define CTL_EXITS "Exit status: 0 success, 1 failure, 2 no such ticket " \
	"(or mail), 64 usage,\n78 configuration error."

typedef int ctl_command_t(struct ctl *ctl, int argc, char **argv);

/* The ticket's fields; the caller has begun the object. */
static void
ctl_json_ticket_fields(JsonBuilder *b, const struct store_ticket *t)
{
	json_builder_set_member_name(b, "id");
	json_builder_add_int_value(b, t->id);
	ctl_json_string(b, "subject", t->subject);
	ctl_json_string(b, "status", t->status);
	ctl_json_string(b, "priority", t->priority);
	ctl_json_string(b, "mailbox", t->mailbox);
	ctl_json_string(b, "requester", t->requester);
	ctl_json_string(b, "requester_name", t->requester_name);
	ctl_json_time(b, "created", t->created);
	ctl_json_time(b, "updated", t->updated);
	ctl_json_string(b, "assignee", t->assignee);
	ctl_json_time(b, "first_response", t->first_response);
	ctl_json_time(b, "resolved", t->resolved);
	ctl_json_time(b, "closed", t->closed);
	json_builder_set_member_name(b, "linked_to");
	if (t->linked_to > 0)
		json_builder_add_int_value(b, t->linked_to);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "merged_into");
	if (t->merged_into > 0)
		json_builder_add_int_value(b, t->merged_into);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "escalated");
	json_builder_add_boolean_value(b, t->escalated);
	json_builder_set_member_name(b, "message_count");
	json_builder_add_int_value(b, t->message_count);
}

static void
ctl_json_message(JsonBuilder *b, const struct store_message *m)
{
	json_builder_begin_object(b);
	ctl_json_string(b, "message_id", m->message_id);
	ctl_json_string(b, "from", m->from_addr);
	ctl_json_string(b, "from_name", m->from_name);
	ctl_json_string(b, "to", m->to_addrs);
	ctl_json_string(b, "cc", m->cc_addrs);
	ctl_json_string(b, "subject", m->subject);
	ctl_json_time(b, "date", m->date);
	ctl_json_time(b, "received", m->received);
	ctl_json_string(b, "direction", m->direction);
	ctl_json_string(b, "kind", m->kind);
	ctl_json_string(b, "thread_by", m->thread_by);
	ctl_json_string(b, "body", m->body);
	json_builder_set_member_name(b, "raw_size");
	json_builder_add_int_value(b, m->raw_size);
	json_builder_set_member_name(b, "parse_error");
	if (m->parse_error != NULL)
		json_builder_add_string_value(b, m->parse_error);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "flagged");
	if (m->flagged != NULL)
		json_builder_add_string_value(b, m->flagged);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "attachments");
	json_builder_begin_array(b);
	for (guint i = 0; i < m->attachments->len; i++) {
		const struct store_attachment *a = m->attachments->pdata[i];

		json_builder_begin_object(b);
		ctl_json_string(b, "filename", a->filename);
		ctl_json_string(b, "content_type", a->content_type);
		json_builder_set_member_name(b, "size");
		json_builder_add_int_value(b, a->size);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
}

static const char *const ctl_sorts[] = {
	[STORE_QUERY_SORT_ID] = "id",
	[STORE_QUERY_SORT_CREATED] = "created",
	[STORE_QUERY_SORT_UPDATED] = "updated",
	[STORE_QUERY_SORT_PRIORITY] = "priority",
};

static void
ctl_list_csv(const GPtrArray *tickets)
{
	static const char *const head[] = {
		"id", "status", "priority", "mailbox", "requester",
		"requester_name", "assignee", "created", "updated",
		"message_count", "subject"
	};

	ctl_csv_row(stdout, head, G_N_ELEMENTS(head));
	for (guint i = 0; i < tickets->len; i++) {
		const struct store_ticket *t = tickets->pdata[i];
		char *id = g_strdup_printf("%" G_GINT64_FORMAT, t->id);
		char *created = template_data_iso8601(t->created);
		char *updated = template_data_iso8601(t->updated);
		char *count = g_strdup_printf("%" G_GINT64_FORMAT,
					      t->message_count);
		const char *row[] = {
			id, t->status, t->priority, t->mailbox, t->requester,
			t->requester_name, t->assignee, created, updated,
			count, t->subject
		};

		ctl_csv_row(stdout, row, G_N_ELEMENTS(row));
		g_free(id);
		g_free(created);
		g_free(updated);
		g_free(count);
	}
}

static int
ctl_list(struct ctl *ctl, int argc, char **argv)
{
	gchar *status = NULL, *mailbox = NULL, *requester = NULL;
	gchar *assignee = NULL, *priority = NULL, *older = NULL;
	gchar *since = NULL, *sort = NULL;
	gboolean reverse = FALSE;
	gint limit = 0, offset = 0, page = 0;
	GOptionEntry entries[] = {
		{ "status", 's', 0, G_OPTION_ARG_STRING, &status,
		  "Only tickets with this status", "STATUS" },
		{ "mailbox", 'm', 0, G_OPTION_ARG_STRING, &mailbox,
		  "Only tickets of this mailbox", "NAME" },
		{ "requester", 'r', 0, G_OPTION_ARG_STRING, &requester,
		  "Only tickets of this customer address", "ADDRESS" },
		{ "assignee", 'a', 0, G_OPTION_ARG_STRING, &assignee,
		  "Only tickets assigned to this agent address (\"\": "
		  "unassigned)", "ADDRESS" },
		{ "priority", 'p', 0, G_OPTION_ARG_STRING, &priority,
		  "Only tickets with this priority", "PRIORITY" },
		{ "older-than", 0, 0, G_OPTION_ARG_STRING, &older,
		  "Only tickets created longer ago than AGE (90s, 30m, 12h, "
		  "3d, 2w)", "AGE" },
		{ "since", 0, 0, G_OPTION_ARG_STRING, &since,
		  "Only tickets created from DATE (YYYY-MM-DD or ISO-8601)",
		  "DATE" },
		{ "sort", 0, 0, G_OPTION_ARG_STRING, &sort,
		  "Order by id (default), created, updated or priority; "
		  "highest first", "KEY" },
		{ "reverse", 'R', 0, G_OPTION_ARG_NONE, &reverse,
		  "Lowest first", NULL },
		{ "limit", 'n', 0, G_OPTION_ARG_INT, &limit,
		  "At most N tickets (the page size with --page, default 50)",
		  "N" },
		{ "offset", 0, 0, G_OPTION_ARG_INT, &offset,
		  "Skip the first N tickets", "N" },
		{ "page", 0, 0, G_OPTION_ARG_INT, &page,
		  "Show page N (from 1) of --limit tickets", "N" },
		CTL_OPTION_JSON(ctl),
		{ "csv", 0, 0, G_OPTION_ARG_NONE, &ctl->csv,
		  "Print CSV (RFC 4180, with a header line)", NULL },
		CTL_OPTION_CONFIG(ctl),
		{ NULL, 0, 0, 0, NULL, NULL, NULL }
	};
	struct store_ticket_query q = { 0 };
	GPtrArray *tickets;
	gint64 total;
	char *error = NULL;

	ctl_parse("list - list tickets, newest first", CTL_EXITS, entries,
		  &argc, &argv);
	if (argc != 1 || limit < 0 || offset < 0 || page < 0 ||
	    (ctl->json && ctl->csv)) {
		fprintf(stderr, "ticketctl: usage: ticketctl list [OPTIONS] "
			"(see --help)\n");
		return CTL_EXIT_USAGE;
	}
	q.status = status;
	q.mailbox = mailbox;
	q.requester = requester;
	q.assignee = assignee;
	q.priority = priority;
	if (older != NULL) {
		gint64 age = ctl_parse_age(older);

		if (age < 0) {
			fprintf(stderr, "ticketctl: --older-than: '%s' is not "
				"an age such as 12h or 3d\n", older);
			return CTL_EXIT_USAGE;
		}
		q.created_before = g_get_real_time() / G_USEC_PER_SEC - age;
	}
	q.created_since = ctl_parse_date(since);
	if (q.created_since < 0) {
		fprintf(stderr, "ticketctl: --since: dates are YYYY-MM-DD or "
			"ISO-8601\n");
		return CTL_EXIT_USAGE;
	}
	if (sort != NULL) {
		size_t i;

		for (i = 0; i < G_N_ELEMENTS(ctl_sorts); i++)
			if (strcmp(sort, ctl_sorts[i]) == 0)
				break;
		if (i == G_N_ELEMENTS(ctl_sorts)) {
			fprintf(stderr, "ticketctl: --sort: '%s' is not id, "
				"created, updated or priority\n", sort);
			return CTL_EXIT_USAGE;
		}
		q.sort = (enum store_query_sort)i;
	}
	q.reverse = reverse;
	q.limit = limit;
	q.offset = offset;
	if (page > 0) {
		if (q.limit == 0)
			q.limit = 50;
		q.offset += (page - 1) * q.limit;
	}
	ctl_open(ctl);
	if (store_ticket_query(ctl->store, &q, &tickets, &total, &error) < 0)
		fatalx(CTL_EXIT_FAIL, "%s", error);
	if (ctl->json) {
		JsonBuilder *b = json_builder_new();

		json_builder_begin_array(b);
		for (guint i = 0; i < tickets->len; i++) {
			json_builder_begin_object(b);
			ctl_json_ticket_fields(b, tickets->pdata[i]);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		ctl_print_builder(b);
	} else if (ctl->csv) {
		ctl_list_csv(tickets);
	} else {
		printf("%6s  %-8s  %-7s  %-10s  %-28s  %s\n", "ID", "STATUS",
		       "PRIO", "MAILBOX", "REQUESTER", "SUBJECT");
		for (guint i = 0; i < tickets->len; i++) {
			const struct store_ticket *t = tickets->pdata[i];

			printf("%6" G_GINT64_FORMAT "  %-8s  %-7s  %-10s  "
			       "%-28s  %s\n", t->id, t->status, t->priority,
			       t->mailbox, t->requester, t->subject);
		}
		if ((gint64)tickets->len < total)
			printf("(%u shown, %d-%d of %" G_GINT64_FORMAT ")\n",
			       tickets->len, tickets->len > 0 ? q.offset + 1 :
			       0, q.offset + (int)tickets->len, total);
	}
	g_ptr_array_unref(tickets);
	g_free(status);
	g_free(mailbox);
	g_free(requester);
	g_free(assignee);
	g_free(priority);
	g_free(older);
	g_free(since);
	g_free(sort);
	return CTL_EXIT_OK;
}

static int
ctl_search(struct ctl *ctl, int argc, char **argv)
{
	gchar *mailbox = NULL;
	gint limit = 0;
	GOptionEntry entries[] = {
		{ "mailbox", 'm', 0, G_OPTION_ARG_STRING, &mailbox,
		  "Only messages of this mailbox", "NAME" },
		{ "limit", 'n', 0, G_OPTION_ARG_INT, &limit,
		  "At most N hits (default 50)", "N" },
		CTL_OPTION_JSON(ctl),
		CTL_OPTION_CSV(ctl),
		CTL_OPTION_CONFIG(ctl),
		{ NULL, 0, 0, 0, NULL, NULL, NULL }
	};
	GPtrArray *hits;
	char *error = NULL, *text;

	ctl_parse("search TEXT... - messages whose subject or body holds "
		  "every word",
		  "Words of 3 or more characters are looked up in the "
		  "full-text index (any substring,\nChinese too) and ranked "
		  "by bm25; a shorter word makes a slower substring scan,\n"
		  "newest first.  \"quoted words\" may hold spaces.\n"
		  CTL_EXITS, entries, &argc, &argv);
	if (argc < 2 || limit < 0 || (ctl->json && ctl->csv)) {
		fprintf(stderr, "ticketctl: usage: ticketctl search TEXT... "
			"[--mailbox NAME] [--limit N] [--json|--csv]\n");
		return CTL_EXIT_USAGE;
	}
	text = g_strjoinv(" ", argv + 1);
	if (!g_utf8_validate(text, -1, NULL)) {
		fprintf(stderr, "ticketctl: the search text is not UTF-8\n");
		g_free(text);
		return CTL_EXIT_USAGE;
	}
	ctl_open(ctl);
	if (store_search(ctl->store, text, mailbox, limit, &hits,
			 &error) < 0)
		fatalx(CTL_EXIT_FAIL, "%s", error);
	if (ctl->json) {
		JsonBuilder *b = json_builder_new();

		json_builder_begin_array(b);
		for (guint i = 0; i < hits->len; i++) {
			const struct store_search_hit *h = hits->pdata[i];

			json_builder_begin_object(b);
			json_builder_set_member_name(b, "ticket_id");
			json_builder_add_int_value(b, h->ticket_id);
			ctl_json_string(b, "message_id", h->message_id);
			ctl_json_string(b, "subject", h->subject);
			ctl_json_string(b, "snippet", h->snippet);
			json_builder_set_member_name(b, "rank");
			json_builder_add_double_value(b, h->rank);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		ctl_print_builder(b);
	} else if (ctl->csv) {
		static const char *const head[] = {
			"ticket_id", "message_id", "subject", "snippet", "rank"
		};

		ctl_csv_row(stdout, head, G_N_ELEMENTS(head));
		for (guint i = 0; i < hits->len; i++) {
			const struct store_search_hit *h = hits->pdata[i];
			char *id = g_strdup_printf("%" G_GINT64_FORMAT,
						   h->ticket_id);
			char *rank = g_strdup_printf("%.6f", h->rank);
			const char *row[] = {
				id, h->message_id, h->subject, h->snippet, rank
			};

			ctl_csv_row(stdout, row, G_N_ELEMENTS(row));
			g_free(id);
			g_free(rank);
		}
	} else {
		for (guint i = 0; i < hits->len; i++) {
			const struct store_search_hit *h = hits->pdata[i];

			printf("%6" G_GINT64_FORMAT "  %s\n        %s\n",
			       h->ticket_id, h->subject, h->snippet);
		}
		if (hits->len == 0)
			printf("no match\n");
	}
	g_ptr_array_unref(hits);
	g_free(text);
	g_free(mailbox);
	return CTL_EXIT_OK;
}

static int
ctl_show(struct ctl *ctl, int argc, char **argv)
{
	GOptionEntry entries[] = {
		CTL_OPTION_JSON(ctl),
		CTL_OPTION_CONFIG(ctl),
		{ NULL, 0, 0, 0, NULL, NULL, NULL }
	};
	struct store_ticket *t = NULL;
	struct store_survey *survey = NULL;
	GPtrArray *messages, *participants, *events;
	char *error = NULL, *end;
	gint64 id;
	int rc;

	ctl_parse("show ID - a ticket with its whole thread", CTL_EXITS,
		  entries, &argc, &argv);
	if (argc != 2) {
		fprintf(stderr, "ticketctl: usage: ticketctl show ID [--json]\n");
		return CTL_EXIT_USAGE;
	}
	id = g_ascii_strtoll(argv[1], &end, 10);
	if (*argv[1] == '\0' || *end != '\0' || id <= 0) {
		fprintf(stderr, "ticketctl: '%s' is not a ticket number\n",
			argv[1]);
		return CTL_EXIT_USAGE;
	}
	ctl_open(ctl);
	rc = store_ticket_get(ctl->store, id, &t, &error);
	if (rc < 0)
		fatalx(CTL_EXIT_FAIL, "%s", error);
	if (rc == 0) {
		fprintf(stderr, "ticketctl: no ticket %" G_GINT64_FORMAT "\n",
			id);
		return CTL_EXIT_NOTFOUND;
	}
	if (store_ticket_messages(ctl->store, id, &messages, &error) < 0 ||
	    store_participants(ctl->store, id, &participants, &error) < 0 ||
	    store_events(ctl->store, id, &events, &error) < 0 ||
	    store_survey_of_ticket(ctl->store, id, &survey, &error) < 0)
		fatalx(CTL_EXIT_FAIL, "%s", error);
	if (ctl->json) {
		JsonBuilder *b = json_builder_new();
		JsonNode *root;

		json_builder_begin_object(b);
		ctl_json_ticket_fields(b, t);
		json_builder_set_member_name(b, "rating");
		if (survey != NULL && survey->rating > 0)
			json_builder_add_int_value(b, survey->rating);
		else
			json_builder_add_null_value(b);
		json_builder_set_member_name(b, "rating_comment");
		if (survey != NULL && survey->rating > 0 &&
		    survey->comment != NULL)
			json_builder_add_string_value(b, survey->comment);
		else
			json_builder_add_null_value(b);
		json_builder_set_member_name(b, "messages");
		json_builder_begin_array(b);
		for (guint i = 0; i < messages->len; i++)
			ctl_json_message(b, messages->pdata[i]);
		json_builder_end_array(b);
		json_builder_set_member_name(b, "participants");
		json_builder_begin_array(b);
		for (guint i = 0; i < participants->len; i++) {
			const struct store_participant *p =
				participants->pdata[i];

			json_builder_begin_object(b);
			ctl_json_string(b, "address", p->address);
			ctl_json_string(b, "name", p->name);
			ctl_json_string(b, "role", p->role);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		json_builder_set_member_name(b, "events");
		json_builder_begin_array(b);
		for (guint i = 0; i < events->len; i++) {
			const struct store_event *e = events->pdata[i];

			json_builder_begin_object(b);
			ctl_json_time(b, "created", e->created);
			ctl_json_string(b, "actor", e->actor);
			ctl_json_string(b, "what", e->what);
			ctl_json_string(b, "detail", e->detail);
			ctl_json_string(b, "message_id", e->message_id);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		json_builder_end_object(b);
		root = json_builder_get_root(b);
		ctl_print_json(root);
		json_node_unref(root);
		g_object_unref(b);
	} else {
		char *created = template_data_iso8601(t->created);
		char *updated = template_data_iso8601(t->updated);

		printf("Ticket %" G_GINT64_FORMAT ": %s\n", t->id, t->subject);
		printf("Status: %s  Priority: %s  Mailbox: %s\n", t->status,
		       t->priority, t->mailbox);
		printf("Requester: %s%s%s%s\n", t->requester_name,
		       *t->requester_name ? " <" : "", t->requester,
		       *t->requester_name ? ">" : "");
		printf("Created: %s  Updated: %s\n", created, updated);
		if (t->assignee != NULL && *t->assignee != '\0')
			printf("Assigned: %s\n", t->assignee);
		if (survey != NULL && survey->rating > 0)
			printf("Rating: %d%s%s\n", survey->rating,
			       survey->comment != NULL ? "  " : "",
			       survey->comment != NULL ? survey->comment : "");
		if (t->linked_to > 0)
			printf("Follows ticket %" G_GINT64_FORMAT "\n",
			       t->linked_to);
		if (t->merged_into > 0)
			printf("Merged into ticket %" G_GINT64_FORMAT "\n",
			       t->merged_into);
		for (guint i = 0; i < participants->len; i++) {
			const struct store_participant *p =
				participants->pdata[i];

			if (strcmp(p->role, "cc") == 0)
				printf("Cc: %s\n", p->address);
		}
		g_free(created);
		g_free(updated);
		if (events->len > 0)
			printf("\nHistory:\n");
		for (guint i = 0; i < events->len; i++) {
			const struct store_event *e = events->pdata[i];
			char *when = template_data_iso8601(e->created);

			printf("  %s  %-22s %s %s\n", when, e->what, e->actor,
			       e->detail);
			g_free(when);
		}
		for (guint i = 0; i < messages->len; i++) {
			const struct store_message *m = messages->pdata[i];
			char *date = template_data_iso8601(
				m->date != 0 ? m->date : m->received);

			printf("\n--- #%u %s %s (%s, threaded by %s) %s\n",
			       i + 1, m->direction, m->kind, m->from_addr,
			       m->thread_by, date);
			printf("Message-ID: <%s>\nSubject: %s\n",
			       m->message_id, m->subject);
			for (guint j = 0; j < m->attachments->len; j++) {
				const struct store_attachment *a =
					m->attachments->pdata[j];

				printf("Attachment: %s (%s, %" G_GINT64_FORMAT
				       " bytes)\n", a->filename,
				       a->content_type, a->size);
			}
			if (m->parse_error != NULL)
				printf("Parse error: %s\n", m->parse_error);
			if (m->flagged != NULL)
				printf("Flagged: %s\n", m->flagged);
			printf("\n%s\n", m->body);
			g_free(date);
		}
	}
	g_ptr_array_unref(messages);
	g_ptr_array_unref(participants);
	g_ptr_array_unref(events);
	store_survey_free(survey);
	store_ticket_free(t);
	return CTL_EXIT_OK;
}

static void
ctl_outbox_csv(const GPtrArray *items)
{
	static const char *const head[] = {
		"id", "ticket_id", "status", "attempts", "created",
		"next_attempt", "mail_from", "rcpt_to", "last_error"
	};

	ctl_csv_row(stdout, head, G_N_ELEMENTS(head));
	for (guint i = 0; i < items->len; i++) {
		const struct store_outbox_item *o = items->pdata[i];
		char *id = g_strdup_printf("%" G_GINT64_FORMAT, o->id);
		char *tid = g_strdup_printf("%" G_GINT64_FORMAT, o->ticket_id);
		char *tries = g_strdup_printf("%d", o->attempts);
		char *created = template_data_iso8601(o->created);
		char *next = template_data_iso8601(o->next_attempt);
		char *rcpt = g_strjoinv(" ", o->rcpt_to);
		const char *row[] = {
			id, tid, o->status, tries, created, next, o->mail_from,
			rcpt, o->last_error
		};

		ctl_csv_row(stdout, row, G_N_ELEMENTS(row));
		g_free(id);
		g_free(tid);
		g_free(tries);
		g_free(created);
		g_free(next);
		g_free(rcpt);
	}
}

/* outbox retry ID: back in the queue, due now. */
static int
ctl_outbox_retry(struct ctl *ctl, const char *arg)
{
	char *end, *error = NULL;
	gint64 id = g_ascii_strtoll(arg, &end, 10);
	int rc;

	if (*arg == '\0' || *end != '\0' || id <= 0) {
		fprintf(stderr, "ticketctl: '%s' is not an outbox mail "
			"number\n", arg);
		return CTL_EXIT_USAGE;
	}
	ctl_open(ctl);
	rc = store_outbox_requeue(ctl->store, id,
				  g_get_real_time() / G_USEC_PER_SEC, &error);
	if (rc < 0)
		fatalx(CTL_EXIT_FAIL, "%s", error);
	if (rc == 0) {
		fprintf(stderr, "ticketctl: no outbox mail %" G_GINT64_FORMAT
			"\n", id);
		return CTL_EXIT_NOTFOUND;
	}
	printf("outbox mail %" G_GINT64_FORMAT " queued: ticketd sends it "
	       "at its next run\n", id);
	return CTL_EXIT_OK;
}

static int
ctl_outbox(struct ctl *ctl, int argc, char **argv)
{
	gchar *status = NULL;
	GOptionEntry entries[] = {
		{ "status", 's', 0, G_OPTION_ARG_STRING, &status,
		  "queued, sent, failed or bounced", "STATUS" },
		CTL_OPTION_JSON(ctl),
		CTL_OPTION_CSV(ctl),
		CTL_OPTION_CONFIG(ctl),
		{ NULL, 0, 0, 0, NULL, NULL, NULL }
	};
	GPtrArray *items;
	char *error = NULL;

	ctl_parse("outbox [retry ID] - outgoing mail and its state",
		  "\"outbox retry ID\" puts a failed or bounced mail back in "
		  "the queue, due now.\n" CTL_EXITS, entries, &argc, &argv);
	if (argc == 3 && strcmp(argv[1], "retry") == 0) {
		g_free(status);
		return ctl_outbox_retry(ctl, argv[2]);
	}
	if (argc != 1 || (ctl->json && ctl->csv)) {
		fprintf(stderr, "ticketctl: usage: ticketctl outbox [--status "
			"S] [--json|--csv] | outbox retry ID\n");
		return CTL_EXIT_USAGE;
	}
	ctl_open(ctl);
	if (store_outbox_list(ctl->store, status, &items, &error) < 0)
		fatalx(CTL_EXIT_FAIL, "%s", error);
	if (ctl->json) {
		JsonBuilder *b = json_builder_new();

		json_builder_begin_array(b);
		for (guint i = 0; i < items->len; i++) {
			const struct store_outbox_item *o = items->pdata[i];

			json_builder_begin_object(b);
			json_builder_set_member_name(b, "id");
			json_builder_add_int_value(b, o->id);
			json_builder_set_member_name(b, "ticket_id");
			json_builder_add_int_value(b, o->ticket_id);
			ctl_json_string(b, "status", o->status);
			ctl_json_string(b, "mail_from", o->mail_from);
			json_builder_set_member_name(b, "rcpt_to");
			json_builder_begin_array(b);
			for (char **r = o->rcpt_to; *r != NULL; r++)
				json_builder_add_string_value(b, *r);
			json_builder_end_array(b);
			json_builder_set_member_name(b, "attempts");
			json_builder_add_int_value(b, o->attempts);
			ctl_json_time(b, "created", o->created);
			ctl_json_time(b, "next_attempt", o->next_attempt);
			ctl_json_string(b, "last_error", o->last_error);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		ctl_print_builder(b);
	} else if (ctl->csv) {
		ctl_outbox_csv(items);
	} else {
		printf("%6s  %6s  %-7s  %3s  %-28s  %s\n", "ID", "TICKET",
		       "STATUS", "TRY", "TO", "LAST ERROR");
		for (guint i = 0; i < items->len; i++) {
			const struct store_outbox_item *o = items->pdata[i];

			printf("%6" G_GINT64_FORMAT "  %6" G_GINT64_FORMAT
			       "  %-7s  %3d  %-28s  %s\n", o->id, o->ticket_id,
			       o->status, o->attempts, o->rcpt_to[0],
			       o->last_error != NULL ? o->last_error : "");
		}
	}
	g_ptr_array_unref(items);
	g_free(status);
	return CTL_EXIT_OK;
}

/* db check | db version */
static int
ctl_db(struct ctl *ctl, int argc, char **argv)
{
	GOptionEntry entries[] = {
		CTL_OPTION_JSON(ctl),
		CTL_OPTION_CONFIG(ctl),
		{ NULL, 0, 0, 0, NULL, NULL, NULL }
	};
	char *error = NULL;

	ctl_parse("db check|version - the database's health and schema",
		  "check: PRAGMA integrity_check, foreign_key_check and the "
		  "full-text index;\nexit status 1 when a problem is found.\n"
		  "version: the schema version (migrations run when any "
		  "ticketd program opens\nthe database).\n" CTL_EXITS,
		  entries, &argc, &argv);
	if (argc != 2 || (strcmp(argv[1], "check") != 0 &&
			  strcmp(argv[1], "version") != 0)) {
		fprintf(stderr, "ticketctl: usage: ticketctl db "
			"check|version [--json]\n");
		return CTL_EXIT_USAGE;
	}
	ctl_open(ctl);
	if (strcmp(argv[1], "version") == 0) {
		int version;

		if (store_schema_version(ctl->store, &version, &error) < 0)
			fatalx(CTL_EXIT_FAIL, "%s", error);
		if (ctl->json) {
			JsonBuilder *b = json_builder_new();

			json_builder_begin_object(b);
			json_builder_set_member_name(b, "schema_version");
			json_builder_add_int_value(b, version);
			ctl_json_string(b, "path", ctl->config->db_path);
			json_builder_end_object(b);
			ctl_print_builder(b);
		} else {
			printf("%d\n", version);
		}
		return CTL_EXIT_OK;
	} else {
		GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
		int n = store_check(ctl->store, problems, &error);

		if (n < 0)
			fatalx(CTL_EXIT_FAIL, "%s", error);
		if (ctl->json) {
			JsonBuilder *b = json_builder_new();

			json_builder_begin_object(b);
			json_builder_set_member_name(b, "ok");
			json_builder_add_boolean_value(b, n == 0);
			json_builder_set_member_name(b, "problems");
			json_builder_begin_array(b);
			for (guint i = 0; i < problems->len; i++)
				json_builder_add_string_value(
					b, problems->pdata[i]);
			json_builder_end_array(b);
			json_builder_end_object(b);
			ctl_print_builder(b);
		} else {
			for (guint i = 0; i < problems->len; i++)
				printf("%s\n", (char *)problems->pdata[i]);
			if (n == 0)
				printf("ok\n");
		}
		g_ptr_array_unref(problems);
		return n == 0 ? CTL_EXIT_OK : CTL_EXIT_FAIL;
	}
}

/* Parse a ticket number argument; exits on a bad one. */
static gint64
ctl_ticket_id(const char *arg)
{
	char *end;
	gint64 id = g_ascii_strtoll(arg, &end, 10);

	if (*arg == '\0' || *end != '\0' || id <= 0) {
		fprintf(stderr, "ticketctl: '%s' is not a ticket number\n",
			arg);
		exit(CTL_EXIT_USAGE);
	}
	return id;
}

/* Load ticket id inside a transaction; exits when there is none. */
static struct store_ticket *
ctl_begin_ticket(struct ctl *ctl, gint64 id, struct ingest *ingest)
{
	struct store_ticket *t = NULL;
	char *error = NULL;
	int rc;

	if (ingest_init(ingest, ctl->config, ctl->store, NULL, &error) < 0 ||
	    store_begin(ctl->store, &error) < 0)
		fatalx(CTL_EXIT_FAIL, "%s", error);
	rc = store_ticket_get(ctl->store, id, &t, &error);
	if (rc < 0)
		fatalx(CTL_EXIT_FAIL, "%s", error);
	if (rc == 0) {
		store_rollback(ctl->store);
		fprintf(stderr, "ticketctl: no ticket %" G_GINT64_FORMAT "\n",
			id);
		exit(CTL_EXIT_NOTFOUND);
	}
	return t;
}

static int
ctl_commit(struct ctl *ctl, struct ingest *ingest, struct store_ticket *t,
	   int rc, char *error)
{
	if (rc == 0)
		rc = store_commit(ctl->store, &error);
	if (rc < 0) {
		store_rollback(ctl->store);
		fprintf(stderr, "ticketctl: %s\n", error);
		g_free(error);
	}
	store_ticket_free(t);
	ingest_deinit(ingest);
	return rc < 0 ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

/* Who is acting: --by, else $USER. */
static const char *
ctl_actor(const char *by)
{
	const char *user = g_get_user_name();

	return by != NULL ? by : user != NULL ? user : "ticketctl";
}

static int
ctl_status(struct ctl *ctl, int argc, char **argv)
{
	gchar *by = NULL;
	GOptionEntry entries[] = {
		{ "by", 0, 0, G_OPTION_ARG_STRING, &by,
		  "Who made the change (default: your user name)", "WHO" },
		CTL_OPTION_CONFIG(ctl),
		{ NULL, 0, 0, 0, NULL, NULL, NULL }
	};
	struct store_ticket *t;
	struct ingest ingest;
	char *error = NULL;
	gboolean reopen;
	int rc;

	ctl_parse("status ID new|open|pending|resolved|closed - set a "
		  "ticket's status", CTL_EXITS, entries, &argc, &argv);
	if (argc != 3 || !workflow_status_valid(argv[2])) {
		fprintf(stderr, "ticketctl: usage: ticketctl status ID "
			"new|open|pending|resolved|closed\n");
		return CTL_EXIT_USAGE;
	}
	ctl_open(ctl);
	t = ctl_begin_ticket(ctl, ctl_ticket_id(argv[1]), &ingest);
	reopen = (strcmp(t->status, "resolved") == 0 ||
		  strcmp(t->status, "closed") == 0) &&
		 strcmp(argv[2], "resolved") != 0 &&
		 strcmp(argv[2], "closed") != 0;
	rc = workflow_set_status(&ingest, t, argv[2],
				 reopen ? "reopened" : "status",
				 ctl_actor(by), 0, &error);
	g_free(by);
	return ctl_commit(ctl, &ingest, t, rc, error);
}

static int
ctl_assign(struct ctl *ctl, int argc, char **argv)
{
	gchar *by = NULL;
	GOptionEntry entries[] = {
		{ "by", 0, 0, G_OPTION_ARG_STRING, &by,
		  "Who made the change (default: your user name)", "WHO" },
		CTL_OPTION_CONFIG(ctl),
		{ NULL, 0, 0, 0, NULL, NULL, NULL }
	};
	const struct config_mailbox *mb;
	struct store_ticket *t;
	struct ingest ingest;
	const char *who;
	char *error = NULL;
	int rc;

	ctl_parse("assign ID AGENT - assign a ticket to an agent", CTL_EXITS,
		  entries, &argc, &argv);
	if (argc != 3) {
		fprintf(stderr, "ticketctl: usage: ticketctl assign ID AGENT\n");
		return CTL_EXIT_USAGE;
	}
	ctl_open(ctl);
	t = ctl_begin_ticket(ctl, ctl_ticket_id(argv[1]), &ingest);
	mb = config_mailbox_find(ctl->config, t->mailbox);
	who = mb != NULL ? workflow_find_agent(mb, argv[2]) : NULL;
	if (who == NULL && strchr(argv[2], '@') != NULL)
		who = argv[2];
	if (who == NULL) {
		fprintf(stderr, "ticketctl: '%s' is not an agent of mailbox "
			"%s\n", argv[2], t->mailbox);
		store_rollback(ctl->store);
		return CTL_EXIT_USAGE;
	}
	rc = workflow_assign(&ingest, t, who, ctl_actor(by), 0, &error);
	g_free(by);
	return ctl_commit(ctl, &ingest, t, rc, error);
}

static int
ctl_note(struct ctl *ctl, int argc, char **argv)
{
	gchar *by = NULL;
	GOptionEntry entries[] = {
		{ "by", 0, 0, G_OPTION_ARG_STRING, &by,
		  "Who wrote it (default: your user name)", "WHO" },
		CTL_OPTION_CONFIG(ctl),
		{ NULL, 0, 0, 0, NULL, NULL, NULL }
	};
	struct store_message_meta meta = { 0 };
	struct compose_mail c = { 0 };
	struct store_ticket *t;
	struct ingest ingest;
	struct message *msg;
	char *error = NULL, *text, *message_id, *from, *subject;
	const char *actor;
	GBytes *raw;
	gint64 row, now;
	int rc;

	ctl_parse("note ID TEXT... - add an internal note (TEXT '-': read "
		  "standard input)", CTL_EXITS, entries, &argc, &argv);
	if (argc < 3) {
		fprintf(stderr, "ticketctl: usage: ticketctl note ID TEXT...\n");
		return CTL_EXIT_USAGE;
	}
	if (argc == 3 && strcmp(argv[2], "-") == 0) {
		GString *in = g_string_new(NULL);
		char buf[4096];
		size_t n;

		while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
			g_string_append_len(in, buf, (gssize)n);
		text = g_string_free(in, FALSE);
	} else {
		text = g_strjoinv(" ", argv + 2);
	}
	if (!g_utf8_validate(text, -1, NULL)) {
		fprintf(stderr, "ticketctl: the note is not UTF-8 text\n");
		g_free(text);
		return CTL_EXIT_USAGE;
	}
	ctl_open(ctl);
	t = ctl_begin_ticket(ctl, ctl_ticket_id(argv[1]), &ingest);
	actor = ctl_actor(by);
	from = strchr(actor, '@') != NULL ? g_strdup(actor) :
		g_strdup_printf("%s@localhost", actor);
	subject = g_strdup_printf("Note on ticket %" G_GINT64_FORMAT, t->id);
	message_id = compose_message_id("ticketctl.invalid");
	c.from_name = actor;
	c.from_addr = from;
	c.to_addr = from;
	c.subject = subject;
	c.text = text;
	now = g_get_real_time() / G_USEC_PER_SEC;
	raw = compose_build(&c, message_id, now);
	msg = compose_message(&c, message_id, raw, now);
	meta.ticket_id = t->id;
	meta.mailbox = t->mailbox;
	meta.direction = "in";
	meta.kind = "note";
	meta.thread_by = "new";
	rc = store_message_insert(ctl->store, msg, &meta, &row, &error);
	if (rc == 0)
		rc = store_event_add(ctl->store, t->id, actor, "note", "", row,
				     &error);
	if (rc == 0)
		rc = store_ticket_touch(ctl->store, t->id,
					g_get_real_time() / G_USEC_PER_SEC,
					&error);
	message_free(msg);
	g_bytes_unref(raw);
	g_free(message_id);
	g_free(subject);
	g_free(from);
	g_free(text);
	g_free(by);
	return ctl_commit(ctl, &ingest, t, rc, error);
}

static int
ctl_secret(struct ctl *ctl, int argc, char **argv)
{
	GOptionEntry entries[] = {
		CTL_OPTION_CONFIG(ctl),
		{ NULL, 0, 0, 0, NULL, NULL, NULL }
	};
	char *error = NULL;

	ctl_parse("secret rotate - replace the key of agents' reply addresses",
		  CTL_EXITS, entries, &argc, &argv);
	if (argc != 2 || strcmp(argv[1], "rotate") != 0) {
		fprintf(stderr, "ticketctl: usage: ticketctl secret rotate\n");
		return CTL_EXIT_USAGE;
	}
	ctl_open(ctl);
	if (ctl->config->secret_file != NULL)
		fprintf(stderr, "ticketctl: note: [database] secret_file is "
			"set, so ticketd uses that key, not the rotated one\n");
	if (ingest_rotate_key(ctl->store, &error) < 0)
		fatalx(CTL_EXIT_FAIL, "%s", error);
	printf("New key stored: reply addresses in earlier notifications no "
	       "longer work.\n");
	return CTL_EXIT_OK;
}

static int
ctl_campaign(struct ctl *ctl, int argc, char **argv)
{
	gboolean dry_run = FALSE;
	GOptionEntry entries[] = {
		{ "dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run,
		  "With run: list what would be sent, send nothing", NULL },
		CTL_OPTION_JSON(ctl),
		CTL_OPTION_CONFIG(ctl),
		{ NULL, 0, 0, 0, NULL, NULL, NULL }
	};
	const struct config_campaign *c;
	struct ingest ingest;
	GPtrArray *report;
	gboolean preview;
	char *error = NULL;
	int rc;

	ctl_parse("campaign preview|run NAME - who a campaign mails and why",
		  CTL_EXITS, entries, &argc, &argv);
	if (argc != 3 || (strcmp(argv[1], "preview") != 0 &&
			  strcmp(argv[1], "run") != 0)) {
		fprintf(stderr, "ticketctl: usage: ticketctl campaign "
			"preview|run NAME [--dry-run] [--json]\n");
		return CTL_EXIT_USAGE;
	}
	preview = strcmp(argv[1], "preview") == 0;
	ctl_open(ctl);
	c = config_campaign_find(ctl->config, argv[2]);
	if (c == NULL) {
		fprintf(stderr, "ticketctl: no [campaign %s] in %s\n", argv[2],
			ctl->config->path);
		return CTL_EXIT_NOTFOUND;
	}
	if (ingest_init(&ingest, ctl->config, ctl->store, NULL, &error) < 0)
		fatalx(CTL_EXIT_FAIL, "%s", error);
	ingest.templates = template_set_new(ctl->config->templates_dir,
					    TICKETD_DATADIR "/templates");
	report = g_ptr_array_new_with_free_func(
		(GDestroyNotify)rules_campaign_item_free);
	rc = store_begin(ctl->store, &error);
	if (rc == 0)
		rc = rules_campaign_run(&ingest, c,
					g_get_real_time() / G_USEC_PER_SEC,
					preview || dry_run, report, &error);
	if (rc == 0 && !preview && !dry_run)
		rc = store_commit(ctl->store, &error);
	else
		store_rollback(ctl->store);
	if (rc < 0)
		fatalx(CTL_EXIT_FAIL, "%s", error);
	if (ctl->json) {
		JsonBuilder *b = json_builder_new();
		JsonNode *root;

		json_builder_begin_array(b);
		for (guint i = 0; i < report->len; i++) {
			const struct rules_campaign_item *it =
				report->pdata[i];

			json_builder_begin_object(b);
			ctl_json_string(b, "address", it->address);
			json_builder_set_member_name(b, "ticket_id");
			json_builder_add_int_value(b, it->ticket_id);
			ctl_json_time(b, "due", it->due);
			ctl_json_string(b, "verdict", it->verdict);
			ctl_json_string(b, "reason", it->reason);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		root = json_builder_get_root(b);
		ctl_print_json(root);
		json_node_unref(root);
		g_object_unref(b);
	} else {
		if (report->len == 0)
			printf("campaign %s: nobody is scheduled\n", c->name);
		for (guint i = 0; i < report->len; i++) {
			const struct rules_campaign_item *it =
				report->pdata[i];
			char *due = template_data_iso8601(it->due);

			printf("%-8s %-30s ticket %-6" G_GINT64_FORMAT
			       " due %s  %s\n", it->verdict, it->address,
			       it->ticket_id, due, it->reason);
			g_free(due);
		}
	}
	if (!preview && !dry_run) {
		/* Send what was queued now rather than at the next loop. */
		struct outbox *outbox = outbox_new(&ctl->config->smtp,
						   ctl->store);

		outbox_flush(outbox, FALSE, NULL);
		outbox_free(outbox);
	}
	g_ptr_array_unref(report);
	template_set_free(ingest.templates);
	ingest_deinit(&ingest);
	return CTL_EXIT_OK;
}

/* template check|preview|vars, in ctl-template.c.  "vars", "check DIR"
   and --help need no configuration. */
static int
ctl_template(struct ctl *ctl, int argc, char **argv)
{
	gboolean need = argc >= 2 &&
			(strcmp(argv[1], "preview") == 0 ||
			 (strcmp(argv[1], "check") == 0 && argc == 2));

	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], "-h") == 0 ||
		    g_str_has_prefix(argv[i], "--help"))
			need = FALSE;
	if (need)
		ctl_open(ctl);
	return ctl_template_main(ctl->config, ctl->store, argc, argv);
}

/* Every command; man/ticketctl.1 describes each (tests/check-man). */
static const struct {
	const char *name;
	ctl_command_t *run;
	const char *help;
} ctl_commands[] = {
	{ "list", ctl_list, "list tickets (filters, --sort, --page, --json, "
	  "--csv)" },
	{ "show", ctl_show, "show a ticket and its thread (--json)" },
	{ "search", ctl_search, "full-text search of subjects and bodies" },
	{ "status", ctl_status, "set a ticket's status" },
	{ "assign", ctl_assign, "assign a ticket to an agent" },
	{ "note", ctl_note, "add an internal note to a ticket" },
	{ "outbox", ctl_outbox, "outgoing mail and its state; retry ID" },
	{ "stats", ctl_stats_main, "counts, response times, reopen rate, "
	  "CSAT (--json)" },
	{ "report", ctl_report_main, "report --html FILE: a page of charts" },
	{ "import", ctl_import_main,
	  "import mbox|maildir PATH --mailbox NAME" },
	{ "db", ctl_db, "db check | db version" },
	{ "secret", ctl_secret, "secret rotate: new key for reply addresses" },
	{ "campaign", ctl_campaign, "campaign preview|run NAME [--dry-run]" },
	{ "template", ctl_template,
	  "template check [DIR] | preview NAME --ticket ID | vars" },
};

static void
ctl_usage(FILE *out)
{
	fprintf(out, "usage: ticketctl [-c FILE] COMMAND [OPTIONS]\n\n"
		"Commands:\n");
	for (size_t i = 0; i < G_N_ELEMENTS(ctl_commands); i++)
		fprintf(out, "  %-9s %s\n", ctl_commands[i].name,
			ctl_commands[i].help);
	fprintf(out, "\n'ticketctl COMMAND --help' describes a command.\n"
		"Exit status: 0 success, 1 failure, 2 not found, 64 usage, "
		"78 configuration error.\n");
}

int
main(int argc, char **argv)
{
	struct ctl ctl = { 0 };
	int i, status = CTL_EXIT_USAGE;

	log_init("ticketctl", FALSE);
	log_set_level(LOG_LEVEL_WARN);
	/* Global options come before the command. */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if ((strcmp(argv[i], "-c") == 0 ||
		     strcmp(argv[i], "--config") == 0) && i + 1 < argc) {
			g_free(ctl.config_path);
			ctl.config_path = g_strdup(argv[++i]);
		} else if (g_str_has_prefix(argv[i], "--config=")) {
			g_free(ctl.config_path);
			ctl.config_path = g_strdup(argv[i] + 9);
		} else if (strcmp(argv[i], "-h") == 0 ||
			   strcmp(argv[i], "--help") == 0) {
			ctl_usage(stdout);
			status = CTL_EXIT_OK;
			goto out;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("ticketctl %s\n", PACKAGE_VERSION);
			status = CTL_EXIT_OK;
			goto out;
		} else {
			fprintf(stderr, "ticketctl: unknown option %s\n",
				argv[i]);
			ctl_usage(stderr);
			goto out;
		}
	}
	if (i >= argc) {
		ctl_usage(stderr);
		goto out;
	}
	for (size_t c = 0; c < G_N_ELEMENTS(ctl_commands); c++) {
		if (strcmp(argv[i], ctl_commands[c].name) == 0) {
			status = ctl_commands[c].run(&ctl, argc - i, argv + i);
			goto out;
		}
	}
	fprintf(stderr, "ticketctl: unknown command '%s'\n", argv[i]);
	ctl_usage(stderr);
out:
	store_close(ctl.store);
	config_free(ctl.config);
	g_free(ctl.config_path);
	return status;
}
