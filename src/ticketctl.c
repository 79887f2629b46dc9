/* ticketctl: the admin's view of the ticket store. */
#include "autodefs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "config.h"
#include "log.h"
#include "store.h"
#include "template-data.h"

#define CTL_EXIT_OK 0
#define CTL_EXIT_FAIL 1
#define CTL_EXIT_USAGE 64
#define CTL_EXIT_NOTFOUND 2

struct ctl {
	char *config_path;
	struct config *config;
	struct store *store;
	gboolean json;
};

typedef int ctl_command_t(struct ctl *ctl, int argc, char **argv);

static void
ctl_open(struct ctl *ctl)
{
	char *error = NULL;

	ctl->config = config_load(ctl->config_path != NULL ? ctl->config_path :
				  TICKETD_SYSCONFDIR "/ticketd.conf", &error);
	if (ctl->config == NULL)
		fatalx(CONFIG_EXIT, "%s", error);
	ctl->store = store_open(ctl->config->db_path, &error);
	if (ctl->store == NULL)
		fatalx(CTL_EXIT_FAIL, "%s", error);
}

/* Parse a subcommand's options; exits on error. */
static void
ctl_parse(const char *usage, GOptionEntry *entries, int *argc, char ***argv)
{
	GOptionContext *ctx = g_option_context_new(usage);
	GError *err = NULL;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, argc, argv, &err)) {
		fprintf(stderr, "ticketctl: %s\n", err->message);
		g_error_free(err);
		g_option_context_free(ctx);
		exit(CTL_EXIT_USAGE);
	}
	g_option_context_free(ctx);
}

static void
ctl_print_json(JsonNode *node)
{
	JsonGenerator *gen = json_generator_new();
	char *text;

	json_generator_set_pretty(gen, TRUE);
	json_generator_set_root(gen, node);
	text = json_generator_to_data(gen, NULL);
	printf("%s\n", text);
	g_free(text);
	g_object_unref(gen);
}

static void
ctl_json_time(JsonBuilder *b, const char *name, gint64 when)
{
	char *s = template_data_iso8601(when);

	json_builder_set_member_name(b, name);
	json_builder_add_string_value(b, s);
	g_free(s);
}

static void
ctl_json_string(JsonBuilder *b, const char *name, const char *value)
{
	json_builder_set_member_name(b, name);
	json_builder_add_string_value(b, value != NULL ? value : "");
}

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

static int
ctl_list(struct ctl *ctl, int argc, char **argv)
{
	gchar *status = NULL, *mailbox = NULL;
	gint limit = 0;
	GOptionEntry entries[] = {
		{ "status", 's', 0, G_OPTION_ARG_STRING, &status,
		  "Only tickets with this status", "STATUS" },
		{ "mailbox", 'm', 0, G_OPTION_ARG_STRING, &mailbox,
		  "Only tickets of this mailbox", "NAME" },
		{ "limit", 'n', 0, G_OPTION_ARG_INT, &limit,
		  "At most N tickets", "N" },
		{ "json", 'j', 0, G_OPTION_ARG_NONE, &ctl->json,
		  "Print JSON", NULL },
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &ctl->config_path,
		  "Configuration file", "FILE" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL }
	};
	struct store_ticket_filter filter = { 0 };
	GPtrArray *tickets;
	char *error = NULL;

	ctl_parse("list - list tickets, newest first", entries, &argc, &argv);
	ctl_open(ctl);
	filter.status = status;
	filter.mailbox = mailbox;
	filter.limit = limit;
	if (store_ticket_list(ctl->store, &filter, &tickets, &error) < 0)
		fatalx(CTL_EXIT_FAIL, "%s", error);
	if (ctl->json) {
		JsonBuilder *b = json_builder_new();
		JsonNode *root;

		json_builder_begin_array(b);
		for (guint i = 0; i < tickets->len; i++) {
			json_builder_begin_object(b);
			ctl_json_ticket_fields(b, tickets->pdata[i]);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		root = json_builder_get_root(b);
		ctl_print_json(root);
		json_node_unref(root);
		g_object_unref(b);
	} else {
		printf("%6s  %-8s  %-10s  %-28s  %s\n", "ID", "STATUS",
		       "MAILBOX", "REQUESTER", "SUBJECT");
		for (guint i = 0; i < tickets->len; i++) {
			const struct store_ticket *t = tickets->pdata[i];

			printf("%6" G_GINT64_FORMAT "  %-8s  %-10s  %-28s  %s\n",
			       t->id, t->status, t->mailbox, t->requester,
			       t->subject);
		}
	}
	g_ptr_array_unref(tickets);
	g_free(status);
	g_free(mailbox);
	return CTL_EXIT_OK;
}

static int
ctl_show(struct ctl *ctl, int argc, char **argv)
{
	GOptionEntry entries[] = {
		{ "json", 'j', 0, G_OPTION_ARG_NONE, &ctl->json,
		  "Print JSON", NULL },
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &ctl->config_path,
		  "Configuration file", "FILE" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL }
	};
	struct store_ticket *t = NULL;
	GPtrArray *messages;
	char *error = NULL, *end;
	gint64 id;
	int rc;

	ctl_parse("show ID - a ticket with its whole thread", entries, &argc,
		  &argv);
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
	if (store_ticket_messages(ctl->store, id, &messages, &error) < 0)
		fatalx(CTL_EXIT_FAIL, "%s", error);
	if (ctl->json) {
		JsonBuilder *b = json_builder_new();
		JsonNode *root;

		json_builder_begin_object(b);
		ctl_json_ticket_fields(b, t);
		json_builder_set_member_name(b, "messages");
		json_builder_begin_array(b);
		for (guint i = 0; i < messages->len; i++)
			ctl_json_message(b, messages->pdata[i]);
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
		g_free(created);
		g_free(updated);
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
			printf("\n%s\n", m->body);
			g_free(date);
		}
	}
	g_ptr_array_unref(messages);
	store_ticket_free(t);
	return CTL_EXIT_OK;
}

static int
ctl_outbox(struct ctl *ctl, int argc, char **argv)
{
	gchar *status = NULL;
	GOptionEntry entries[] = {
		{ "status", 's', 0, G_OPTION_ARG_STRING, &status,
		  "queued, sent, failed or bounced", "STATUS" },
		{ "json", 'j', 0, G_OPTION_ARG_NONE, &ctl->json,
		  "Print JSON", NULL },
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &ctl->config_path,
		  "Configuration file", "FILE" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL }
	};
	GPtrArray *items;
	char *error = NULL;

	ctl_parse("outbox - outgoing mail and its state", entries, &argc,
		  &argv);
	ctl_open(ctl);
	if (store_outbox_list(ctl->store, status, &items, &error) < 0)
		fatalx(CTL_EXIT_FAIL, "%s", error);
	if (ctl->json) {
		JsonBuilder *b = json_builder_new();
		JsonNode *root;

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
		root = json_builder_get_root(b);
		ctl_print_json(root);
		json_node_unref(root);
		g_object_unref(b);
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

static const struct {
	const char *name;
	ctl_command_t *run;
	const char *help;
} ctl_commands[] = {
	{ "list", ctl_list, "list tickets (--status, --mailbox, --json)" },
	{ "show", ctl_show, "show a ticket and its thread (--json)" },
	{ "outbox", ctl_outbox, "outgoing mail and its state (--json)" },
};

static void
ctl_usage(FILE *out)
{
	fprintf(out, "usage: ticketctl [-c FILE] COMMAND [OPTIONS]\n\n"
		"Commands:\n");
	for (size_t i = 0; i < G_N_ELEMENTS(ctl_commands); i++)
		fprintf(out, "  %-8s %s\n", ctl_commands[i].name,
			ctl_commands[i].help);
	fprintf(out, "\n'ticketctl COMMAND --help' describes a command.\n"
		"Exit status: 0 success, 1 failure, 2 not found, 64 usage, "
		"78 configuration error.\n");
}

int
main(int argc, char **argv)
{
	struct ctl ctl = { 0 };
	int i, status;

	log_init("ticketctl", FALSE);
	log_set_level(LOG_LEVEL_WARN);
	/* Global options come before the command. */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if ((strcmp(argv[i], "-c") == 0 ||
		     strcmp(argv[i], "--config") == 0) && i + 1 < argc)
			ctl.config_path = g_strdup(argv[++i]);
		else if (g_str_has_prefix(argv[i], "--config="))
			ctl.config_path = g_strdup(argv[i] + 9);
		else if (strcmp(argv[i], "-h") == 0 ||
			 strcmp(argv[i], "--help") == 0) {
			ctl_usage(stdout);
			return CTL_EXIT_OK;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("ticketctl %s\n", PACKAGE_VERSION);
			return CTL_EXIT_OK;
		} else {
			fprintf(stderr, "ticketctl: unknown option %s\n",
				argv[i]);
			ctl_usage(stderr);
			return CTL_EXIT_USAGE;
		}
	}
	if (i >= argc) {
		ctl_usage(stderr);
		return CTL_EXIT_USAGE;
	}
	for (size_t c = 0; c < G_N_ELEMENTS(ctl_commands); c++) {
		if (strcmp(argv[i], ctl_commands[c].name) == 0) {
			status = ctl_commands[c].run(&ctl, argc - i, argv + i);
			store_close(ctl.store);
			config_free(ctl.config);
			g_free(ctl.config_path);
			return status;
		}
	}
	fprintf(stderr, "ticketctl: unknown command '%s'\n", argv[i]);
	ctl_usage(stderr);
	return CTL_EXIT_USAGE;
}
