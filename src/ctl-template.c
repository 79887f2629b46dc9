/* ticketctl template: check, preview and describe reply templates. */
#include "autodefs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "ctl-template.h"
#include "template-data.h"
#include "template-vars.h"
#include "template.h"

#ifdef TICKETD_DATADIR
#define CTL_TEMPLATE_SHIPPED TICKETD_DATADIR "/templates"
#else
#define CTL_TEMPLATE_SHIPPED NULL
#endif

/* Directory levels below the templates directory that are searched. */
#define CTL_TEMPLATE_MAX_DEPTH 8

/* ---- check ---- */

static gint
ctl_template_strcmp(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

/* Append the paths of the *.txt and *.html files under dir to files. */
static int
ctl_template_collect(const char *dir, int depth, GPtrArray *files,
		     char **error_r)
{
	GError *err = NULL;
	GDir *d = g_dir_open(dir, 0, &err);
	const char *name;

	if (d == NULL) {
		*error_r = g_strdup_printf("%s: %s", dir, err->message);
		g_error_free(err);
		return -1;
	}
	while ((name = g_dir_read_name(d)) != NULL) {
		char *path;

		if (name[0] == '.')
			continue;
		path = g_build_filename(dir, name, NULL);
		if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
			if (!g_file_test(path, G_FILE_TEST_IS_SYMLINK) &&
			    depth < CTL_TEMPLATE_MAX_DEPTH &&
			    ctl_template_collect(path, depth + 1, files,
						 error_r) < 0) {
				g_free(path);
				g_dir_close(d);
				return -1;
			}
			g_free(path);
		} else if (g_str_has_suffix(name, ".txt") ||
			   g_str_has_suffix(name, ".html")) {
			g_ptr_array_add(files, path);
		} else {
			g_free(path);
		}
	}
	g_dir_close(d);
	return 0;
}

/* The file name without directory and extension, new string. */
static char *
ctl_template_stem(const char *path)
{
	char *base = g_path_get_basename(path);
	char *dot = strrchr(base, '.');

	if (dot != NULL)
		*dot = '\0';
	return base;
}

/* Add the names of the partials path includes ({{> name}}) to names. */
static void
ctl_template_partials_used(const char *path, GRegex *re, GHashTable *names)
{
	GMatchInfo *mi = NULL;
	char *text = NULL;
	gsize len;

	if (!g_file_get_contents(path, &text, &len, NULL))
		return;
	g_regex_match_full(re, text, len, 0, 0, &mi, NULL);
	while (g_match_info_matches(mi)) {
		g_hash_table_add(names, g_match_info_fetch(mi, 1));
		g_match_info_next(mi, NULL);
	}
	g_match_info_free(mi);
	g_free(text);
}

int
ctl_template_check_dir(const char *dir, GPtrArray *errors, guint *files_r,
		       char **error_r)
{
	GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
	GHashTable *partials = g_hash_table_new_full(g_str_hash, g_str_equal,
						     g_free, NULL);
	GRegex *re;
	int count = 0;

	if (files_r != NULL)
		*files_r = 0;
	if (ctl_template_collect(dir, 0, files, error_r) < 0) {
		g_ptr_array_free(files, TRUE);
		g_hash_table_destroy(partials);
		return -1;
	}
	g_ptr_array_sort(files, ctl_template_strcmp);
	re = g_regex_new("\\{\\{\\s*>\\s*([A-Za-z0-9_-]+)\\s*\\}\\}", 0, 0,
			 NULL);
	for (guint i = 0; i < files->len; i++)
		ctl_template_partials_used(files->pdata[i], re, partials);
	g_regex_unref(re);

	for (guint i = 0; i < files->len; i++) {
		const char *path = files->pdata[i];
		char *stem = ctl_template_stem(path);
		gboolean partial = g_hash_table_contains(partials, stem) ||
				   g_str_has_prefix(stem, "signature");

		count += template_check_file_vars(path, partial,
						  template_vars,
						  template_vars_count, errors);
		if (!partial && g_str_has_suffix(path, ".html")) {
			/* An HTML part is only used beside its NAME.txt. */
			char *txt = g_strndup(path, strlen(path) - 5);
			char *full = g_strconcat(txt, ".txt", NULL);

			if (!g_file_test(full, G_FILE_TEST_IS_REGULAR)) {
				g_ptr_array_add(errors, g_strdup_printf(
					"%s:1:1: no %s.txt beside it: this "
					"HTML part is never used", path,
					stem));
				count++;
			}
			g_free(txt);
			g_free(full);
		}
		g_free(stem);
	}
	if (files_r != NULL)
		*files_r = files->len;
	g_ptr_array_free(files, TRUE);
	g_hash_table_destroy(partials);
	return count;
}

/* Parse a subcommand's options.  Returns FALSE (message printed) on a
   usage error. */
static gboolean
ctl_template_parse(const char *usage, const char *summary,
		   GOptionEntry *entries, int *argc, char ***argv)
{
	GOptionContext *ctx = g_option_context_new(usage);
	GError *err = NULL;
	gboolean ok;

	g_option_context_set_summary(ctx, summary);
	g_option_context_add_main_entries(ctx, entries, NULL);
	ok = g_option_context_parse(ctx, argc, argv, &err);
	if (!ok) {
		fprintf(stderr, "ticketctl: template: %s\n", err->message);
		g_error_free(err);
	}
	g_option_context_free(ctx);
	return ok;
}

static int
ctl_template_check(const struct config *config, int argc, char **argv)
{
	GOptionEntry entries[] = {
		{ NULL, 0, 0, 0, NULL, NULL, NULL }
	};
	GPtrArray *errors;
	const char *dir;
	char *error = NULL;
	guint files;
	int n;

	if (!ctl_template_parse("check [DIR]",
				"Parse every template (*.txt, *.html) under "
				"DIR (default: the [templates] dir),\n"
				"including mailbox and language "
				"subdirectories, and print each error as\n"
				"FILE:LINE:COL: MESSAGE.  Exit status 1 when "
				"there is any error.", entries, &argc, &argv))
		return CTL_TEMPLATE_EXIT_USAGE;
	if (argc > 2) {
		fprintf(stderr, "ticketctl: usage: ticketctl template check "
			"[DIR]\n");
		return CTL_TEMPLATE_EXIT_USAGE;
	}
	if (argc == 2)
		dir = argv[1];
	else if (config != NULL && config->templates_dir != NULL)
		dir = config->templates_dir;
	else {
		fprintf(stderr, "ticketctl: template check: no directory "
			"given and no configuration\n");
		return CTL_TEMPLATE_EXIT_USAGE;
	}
	errors = g_ptr_array_new_with_free_func(g_free);
	n = ctl_template_check_dir(dir, errors, &files, &error);
	if (n < 0) {
		fprintf(stderr, "ticketctl: template check: %s\n", error);
		g_free(error);
		g_ptr_array_free(errors, TRUE);
		return CTL_TEMPLATE_EXIT_FAIL;
	}
	for (guint i = 0; i < errors->len; i++)
		printf("%s\n", (const char *)errors->pdata[i]);
	printf("%s: %u file%s checked, %u error%s\n", dir, files,
	       files == 1 ? "" : "s", errors->len,
	       errors->len == 1 ? "" : "s");
	n = errors->len;
	g_ptr_array_free(errors, TRUE);
	return n > 0 ? CTL_TEMPLATE_EXIT_FAIL : CTL_TEMPLATE_EXIT_OK;
}

/* ---- preview ---- */

/* The message.* object for stored message m: what template_data_new()
   makes from a parsed mail.  New object. */
static JsonObject *
ctl_template_message_json(const struct store_message *m)
{
	JsonObject *o = json_object_new();
	JsonArray *list = json_array_new();
	char *date = template_data_iso8601(m->date);

	json_object_set_string_member(o, "subject",
				      m->subject != NULL ? m->subject : "");
	json_object_set_string_member(o, "from",
				      m->from_addr != NULL ? m->from_addr : "");
	json_object_set_string_member(o, "from_name",
				      m->from_name != NULL ? m->from_name : "");
	json_object_set_string_member(o, "date", date);
	json_object_set_string_member(o, "body",
				      m->body != NULL ? m->body : "");
	for (guint i = 0; m->attachments != NULL &&
	     i < m->attachments->len; i++) {
		const struct store_attachment *a = m->attachments->pdata[i];
		JsonObject *ao = json_object_new();

		json_object_set_string_member(ao, "filename",
					      a->filename != NULL ?
					      a->filename : "");
		json_object_set_string_member(ao, "content_type",
					      a->content_type != NULL ?
					      a->content_type : "");
		json_object_set_int_member(ao, "size", a->size);
		json_array_add_object_element(list, ao);
	}
	json_object_set_array_member(o, "attachments", list);
	g_free(date);
	return o;
}

/* An example signed address of mb for ticket id: LOCAL+PURPOSE-ID-MAC@DOM
   with a placeholder MAC.  New string. */
static char *
ctl_template_example_address(const struct config_mailbox *mb,
			     const char *purpose, gint64 id)
{
	const char *at = strrchr(mb->address, '@');

	if (at == NULL)
		return g_strdup_printf("%s+%s-%" G_GINT64_FORMAT
				       "-MAC", mb->address, purpose, id);
	return g_strdup_printf("%.*s+%s-%" G_GINT64_FORMAT
			       "-0123456789abcdef%s", (int)(at - mb->address),
			       mb->address, purpose, id, at);
}

static JsonObject *
ctl_template_object(JsonObject *data, const char *name)
{
	JsonObject *o;

	if (json_object_has_member(data, name))
		return json_object_get_object_member(data, name);
	o = json_object_new();
	json_object_set_object_member(data, name, o);
	return o;
}

/* Add example values for the variables of the table that real data does
   not give; the names set are appended to examples. */
static void
ctl_template_examples(JsonObject *data, const struct config_mailbox *mb,
		      const struct store_ticket *t, const char *campaign,
		      GPtrArray *examples)
{
	char *rate = ctl_template_example_address(mb, "rate", t->id);
	char *stop = ctl_template_example_address(mb, "stop", t->id);
	char *tag = NULL;
	JsonObject *o;
	JsonArray *links;

	if (!json_object_has_member(data, "survey")) {
		o = ctl_template_object(data, "survey");
		json_object_set_string_member(o, "address", rate);
		links = json_array_new();
		tag = g_uri_escape_string(json_object_get_string_member(
			json_object_get_object_member(data, "ticket"),
			"tag"), "[]", FALSE);
		for (int i = 1; i <= 5; i++) {
			JsonObject *l = json_object_new();
			char *mailto = g_strdup_printf("mailto:%s?subject="
						       "Rating%%20%d%%20%s",
						       rate, i, tag);

			json_object_set_int_member(l, "rating", i);
			json_object_set_string_member(l, "mailto", mailto);
			json_array_add_object_element(links, l);
			g_free(mailto);
		}
		json_object_set_array_member(o, "links", links);
		g_ptr_array_add(examples, "survey.*");
	}
	if (!json_object_has_member(data, "rating")) {
		o = ctl_template_object(data, "rating");
		json_object_set_int_member(o, "value", 5);
		json_object_set_string_member(o, "comment",
					      "quick and friendly");
		g_ptr_array_add(examples, "rating.*");
	}
	if (!json_object_has_member(data, "unsubscribe")) {
		char *mailto = g_strdup_printf("mailto:%s?subject=unsubscribe",
					       stop);

		o = ctl_template_object(data, "unsubscribe");
		json_object_set_string_member(o, "address", stop);
		json_object_set_string_member(o, "mailto", mailto);
		json_object_set_string_member(o, "url", "");
		g_ptr_array_add(examples, "unsubscribe.*");
		g_free(mailto);
	}
	if (!json_object_has_member(data, "campaign")) {
		o = ctl_template_object(data, "campaign");
		json_object_set_string_member(o, "name", campaign != NULL ?
					      campaign : "example");
		g_ptr_array_add(examples, "campaign.name");
	}
	if (!json_object_has_member(data, "escalation")) {
		template_data_add_escalation(data, "example reason");
		g_ptr_array_add(examples, "escalation.reason");
	}
	if (!json_object_has_member(data, "errors")) {
		JsonArray *list = json_array_new();

		o = json_object_new();
		json_object_set_int_member(o, "line", 1);
		json_object_set_string_member(o, "text", "#stauts resolved");
		json_object_set_string_member(o, "reason",
					      "unknown command #stauts");
		json_array_add_object_element(list, o);
		json_object_set_array_member(data, "errors", list);
		g_ptr_array_add(examples, "errors");
	}
	g_free(tag);
	g_free(rate);
	g_free(stop);
}

/* Template data for ticket t from the store: the latest inbound message
   as message.*, the latest agent mail as reply.text and agent.*, the
   events as history, the requester's open tickets as tickets.  New object;
   the names of example values are appended to examples. */
static JsonObject *
ctl_template_data(struct store *store, const struct config_mailbox *mb,
		  const struct store_ticket *t, GPtrArray *examples,
		  char **error_r)
{
	const struct store_message *in = NULL, *out = NULL;
	struct store_ticket_filter filter = { 0 };
	GPtrArray *messages = NULL, *events = NULL, *tickets = NULL;
	JsonObject *data;

	if (store_ticket_messages(store, t->id, &messages, error_r) < 0)
		return NULL;
	if (store_events(store, t->id, &events, error_r) < 0) {
		g_ptr_array_unref(messages);
		return NULL;
	}
	filter.requester = t->requester;
	filter.not_closed = TRUE;
	if (store_ticket_list(store, &filter, &tickets, error_r) < 0) {
		g_ptr_array_unref(messages);
		g_ptr_array_unref(events);
		return NULL;
	}
	for (guint i = messages->len; i > 0; i--) {
		const struct store_message *m = messages->pdata[i - 1];

		if (in == NULL && g_strcmp0(m->direction, "in") == 0 &&
		    g_strcmp0(m->kind, "note") != 0)
			in = m;
		if (out == NULL && g_strcmp0(m->kind, "agent") == 0)
			out = m;
	}
	data = template_data_new(mb, t, NULL);
	if (in != NULL)
		json_object_set_object_member(data, "message",
					      ctl_template_message_json(in));
	template_data_add_history(data, events);
	template_data_add_tickets(data, mb, tickets);
	if (out != NULL)
		template_data_add_reply(data, out->from_name, out->from_addr,
					out->body != NULL ? out->body : "");
	else {
		template_data_add_reply(data, "Example Agent",
					"agent@example.com",
					"(an agent's reply goes here)");
		g_ptr_array_add(examples, "reply.text");
		g_ptr_array_add(examples, "agent.*");
	}
	g_ptr_array_unref(messages);
	g_ptr_array_unref(events);
	g_ptr_array_unref(tickets);
	return data;
}

static void
ctl_template_print_mail(const struct template_mail *mail)
{
	printf("Subject: %s\n", mail->subject);
	for (guint i = 0; i < mail->headers->len; i++)
		printf("%s\n", (const char *)mail->headers->pdata[i]);
	printf("\n%s", mail->text);
	if (*mail->text != '\0' &&
	    mail->text[strlen(mail->text) - 1] != '\n')
		printf("\n");
	if (mail->html != NULL) {
		printf("\n---- HTML part ----\n%s", mail->html);
		if (*mail->html != '\0' &&
		    mail->html[strlen(mail->html) - 1] != '\n')
			printf("\n");
	}
}

static int
ctl_template_preview(const struct config *config, struct store *store,
		     int argc, char **argv)
{
	gint64 id = 0;
	gchar *mailbox = NULL, *lang = NULL, *dir = NULL, *campaign = NULL;
	GOptionEntry entries[] = {
		{ "ticket", 't', 0, G_OPTION_ARG_INT64, &id,
		  "Render with the data of ticket ID (required)", "ID" },
		{ "mailbox", 'm', 0, G_OPTION_ARG_STRING, &mailbox,
		  "As for this mailbox (default: the ticket's)", "NAME" },
		{ "lang", 'l', 0, G_OPTION_ARG_STRING, &lang,
		  "In this language, e.g. zh (default: the mailbox's "
		  "language key unless auto)", "LANG" },
		{ "dir", 'd', 0, G_OPTION_ARG_FILENAME, &dir,
		  "Templates directory (default: the [templates] dir)",
		  "DIR" },
		{ "campaign", 0, 0, G_OPTION_ARG_STRING, &campaign,
		  "Campaign name for campaign.name", "NAME" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL }
	};
	const struct config_mailbox *mb;
	struct store_ticket *t = NULL;
	struct template_set *set = NULL;
	struct template_mail *mail = NULL;
	GPtrArray *examples = g_ptr_array_new();
	JsonObject *data = NULL;
	char *error = NULL;
	int rc, status = CTL_TEMPLATE_EXIT_FAIL;

	if (!ctl_template_parse("preview NAME --ticket ID",
				"Render template NAME (e.g. ack, survey) "
				"with the data of a real ticket, as ticketd\n"
				"would send it: Subject, other headers, a "
				"blank line, the text and the HTML part.\n"
				"Values the ticket cannot give (survey, "
				"unsubscribe, campaign, ...) are examples.",
				entries, &argc, &argv)) {
		status = CTL_TEMPLATE_EXIT_USAGE;
		goto out;
	}
	if (argc != 2 || id <= 0) {
		fprintf(stderr, "ticketctl: usage: ticketctl template preview "
			"NAME --ticket ID [--mailbox M] [--lang L]\n");
		status = CTL_TEMPLATE_EXIT_USAGE;
		goto out;
	}
	if (config == NULL || store == NULL) {
		fprintf(stderr, "ticketctl: template preview: no "
			"configuration or database\n");
		goto out;
	}
	rc = store_ticket_get(store, id, &t, &error);
	if (rc < 0) {
		fprintf(stderr, "ticketctl: %s\n", error);
		goto out;
	}
	if (rc == 0) {
		fprintf(stderr, "ticketctl: no ticket %" G_GINT64_FORMAT "\n",
			id);
		status = CTL_TEMPLATE_EXIT_NOTFOUND;
		goto out;
	}
	mb = config_mailbox_find(config, mailbox != NULL ? mailbox :
				 t->mailbox);
	if (mb == NULL) {
		fprintf(stderr, "ticketctl: no mailbox '%s' in %s\n",
			mailbox != NULL ? mailbox : t->mailbox,
			config->path);
		goto out;
	}
	data = ctl_template_data(store, mb, t, examples, &error);
	if (data == NULL) {
		fprintf(stderr, "ticketctl: %s\n", error);
		goto out;
	}
	ctl_template_examples(data, mb, t, campaign, examples);
	set = template_set_new(dir != NULL ? dir : config->templates_dir,
			       CTL_TEMPLATE_SHIPPED);
	if (lang == NULL && mb->language != NULL &&
	    strcmp(mb->language, "auto") != 0)
		lang = g_strdup(mb->language);
	mail = template_set_render(set, argv[1], mb->name, lang, data, &error);
	if (mail == NULL) {
		fprintf(stderr, "ticketctl: template preview: %s\n", error);
		goto out;
	}
	if (error != NULL)
		fprintf(stderr, "ticketctl: warning: %s\n"
			"ticketctl: the shipped default is shown instead, as "
			"ticketd would send it\n", error);
	ctl_template_print_mail(mail);
	if (examples->len > 0) {
		g_ptr_array_add(examples, NULL);
		fprintf(stderr, "ticketctl: example values for: ");
		for (guint i = 0; examples->pdata[i] != NULL; i++)
			fprintf(stderr, "%s%s", i > 0 ? ", " : "",
				(const char *)examples->pdata[i]);
		fprintf(stderr, "\n");
	}
	status = CTL_TEMPLATE_EXIT_OK;
out:
	template_mail_free(mail);
	template_set_free(set);
	if (data != NULL)
		json_object_unref(data);
	store_ticket_free(t);
	g_ptr_array_free(examples, TRUE);
	g_free(error);
	g_free(mailbox);
	g_free(lang);
	g_free(dir);
	g_free(campaign);
	return status;
}

/* ---- vars ---- */

static void
ctl_template_vars_json(void)
{
	JsonBuilder *b = json_builder_new();
	JsonGenerator *gen = json_generator_new();
	JsonNode *root;
	char *text;

	json_builder_begin_array(b);
	for (size_t i = 0; i < template_vars_count; i++) {
		const struct template_var *v = &template_vars[i];

		json_builder_begin_object(b);
		json_builder_set_member_name(b, "name");
		json_builder_add_string_value(b, v->name);
		json_builder_set_member_name(b, "kind");
		json_builder_add_string_value(b, v->kind == TEMPLATE_VAR_LIST ?
					      "list" : "value");
		json_builder_set_member_name(b, "meaning");
		json_builder_add_string_value(b, v->meaning);
		json_builder_set_member_name(b, "templates");
		if (v->templates == NULL) {
			json_builder_add_null_value(b);
		} else {
			char **names = g_strsplit(v->templates, " ", -1);

			json_builder_begin_array(b);
			for (char **n = names; *n != NULL; n++)
				if (**n != '\0')
					json_builder_add_string_value(b, *n);
			json_builder_end_array(b);
			g_strfreev(names);
		}
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	root = json_builder_get_root(b);
	json_generator_set_pretty(gen, TRUE);
	json_generator_set_root(gen, root);
	text = json_generator_to_data(gen, NULL);
	printf("%s\n", text);
	g_free(text);
	json_node_unref(root);
	g_object_unref(gen);
	g_object_unref(b);
}

static int
ctl_template_vars(int argc, char **argv)
{
	gboolean json = FALSE;
	GOptionEntry entries[] = {
		{ "json", 'j', 0, G_OPTION_ARG_NONE, &json,
		  "Print JSON", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL }
	};

	if (!ctl_template_parse("vars",
				"List every variable templates can use, "
				"with its meaning and the templates it is\n"
				"set for.  A list's item variables are "
				"written LIST.NAME: history.date is {{date}}"
				"\ninside {{#history}}...{{/history}}.",
				entries, &argc, &argv))
		return CTL_TEMPLATE_EXIT_USAGE;
	if (argc != 1) {
		fprintf(stderr, "ticketctl: usage: ticketctl template vars "
			"[--json]\n");
		return CTL_TEMPLATE_EXIT_USAGE;
	}
	if (json) {
		ctl_template_vars_json();
		return CTL_TEMPLATE_EXIT_OK;
	}
	for (size_t i = 0; i < template_vars_count; i++) {
		const struct template_var *v = &template_vars[i];
		const char *dot = strrchr(v->name, '.');
		char *shown = NULL;

		/* List items as they are written: {{date}} in {{#history}}. */
		if (dot != NULL) {
			char *list = g_strndup(v->name, dot - v->name);
			const struct template_var *l = template_vars_find(list);

			if (l != NULL && l->kind == TEMPLATE_VAR_LIST)
				shown = g_strdup_printf("  %s  {{%s}} in "
							"{{#%s}}", v->name,
							dot + 1, list);
			g_free(list);
		}
		if (shown == NULL)
			shown = g_strdup_printf("%s%s", v->name,
						v->kind == TEMPLATE_VAR_LIST ?
						"  (list)" : "");
		printf("%s\n    %s\n", shown, v->meaning);
		if (v->templates != NULL)
			printf("    for: %s\n", v->templates);
		g_free(shown);
	}
	return CTL_TEMPLATE_EXIT_OK;
}

/* ---- main ---- */

static void
ctl_template_usage(FILE *out)
{
	fprintf(out, "usage: ticketctl template check [DIR]\n"
		"       ticketctl template preview NAME --ticket ID "
		"[--mailbox M] [--lang L] [--dir DIR]\n"
		"       ticketctl template vars [--json]\n\n"
		"  check    parse every template, report FILE:LINE:COL: "
		"errors (exit 1 if any)\n"
		"  preview  render a template with a real ticket's data\n"
		"  vars     list the variables templates can use\n\n"
		"'ticketctl template SUBCOMMAND --help' describes a "
		"subcommand.\n");
}

int
ctl_template_main(const struct config *config, struct store *store, int argc,
		  char **argv)
{
	if (g_get_prgname() == NULL)
		g_set_prgname("ticketctl template");
	if (argc < 2) {
		ctl_template_usage(stderr);
		return CTL_TEMPLATE_EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		ctl_template_usage(stdout);
		return CTL_TEMPLATE_EXIT_OK;
	}
	if (strcmp(argv[1], "check") == 0)
		return ctl_template_check(config, argc - 1, argv + 1);
	if (strcmp(argv[1], "preview") == 0)
		return ctl_template_preview(config, store, argc - 1, argv + 1);
	if (strcmp(argv[1], "vars") == 0)
		return ctl_template_vars(argc - 1, argv + 1);
	fprintf(stderr, "ticketctl: template: unknown subcommand '%s'\n",
		argv[1]);
	ctl_template_usage(stderr);
	return CTL_TEMPLATE_EXIT_USAGE;
}
