/* Unit tests for ctl-template.c and template-vars.c: `ticketctl template
   check` over a directory, the variable table, and the shipped templates
   (en and zh) checking clean and rendering. */
#include "autodefs.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "ctl-template.h"
#include "template-vars.h"
#include "template.h"

static char *
templates_dir(void)
{
	const char *src = g_getenv("TICKETD_SRCDIR");

	return g_build_filename(src != NULL ? src : ".", "templates", NULL);
}

static void
write_file(const char *dir, const char *rel, const char *content)
{
	char *path = g_build_filename(dir, rel, NULL);
	char *parent = g_path_get_dirname(path);

	g_assert_cmpint(g_mkdir_with_parents(parent, 0700), ==, 0);
	g_assert_true(g_file_set_contents(path, content, -1, NULL));
	g_free(parent);
	g_free(path);
}

static void
remove_tree(const char *path)
{
	GDir *dir = g_dir_open(path, 0, NULL);
	const char *name;

	if (dir != NULL) {
		while ((name = g_dir_read_name(dir)) != NULL) {
			char *sub = g_build_filename(path, name, NULL);

			remove_tree(sub);
			g_free(sub);
		}
		g_dir_close(dir);
		g_rmdir(path);
	} else {
		g_unlink(path);
	}
}

/* The shipped templates, every file of them, check clean. */
static void
test_shipped_clean(void)
{
	char *dir = templates_dir(), *err = NULL;
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	guint files = 0;
	int n;

	n = ctl_template_check_dir(dir, errors, &files, &err);
	for (guint i = 0; i < errors->len; i++)
		g_test_message("%s", (char *)errors->pdata[i]);
	g_assert_null(err);
	g_assert_cmpint(n, ==, 0);
	g_assert_cmpuint(errors->len, ==, 0);
	g_assert_cmpuint(files, >=, 26);
	g_ptr_array_free(errors, TRUE);
	g_free(dir);
}

/* Every shipped template exists in en and zh. */
static void
test_shipped_languages(void)
{
	static const char *const names[] = {
		"ack.txt", "status_reply.txt", "relay.txt", "survey.txt",
		"survey.html", "survey_thanks.txt", "upsell.txt",
		"unsubscribe_confirm.txt", "agent_new.txt",
		"agent_followup.txt", "agent_escalation.txt",
		"command_error.txt",
	};
	char *dir = templates_dir();

	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		char *en = g_build_filename(dir, names[i], NULL);
		char *zh = g_build_filename(dir, "zh", names[i], NULL);

		g_assert_true(g_file_test(en, G_FILE_TEST_IS_REGULAR));
		g_assert_true(g_file_test(zh, G_FILE_TEST_IS_REGULAR));
		g_free(en);
		g_free(zh);
	}
	g_free(dir);
}

static const char survey_json[] =
	"{\"ticket\":{\"id\":42,\"tag\":\"[ACME #42]\",\"subject\":\"Printer "
	"on fire\",\"status\":\"resolved\",\"priority\":\"normal\","
	"\"mailbox\":\"support\",\"created\":\"2026-11-25T15:20:55Z\","
	"\"assignee\":\"\",\"reply_address\":\"support@acme.example\"},"
	"\"customer\":{\"name\":\"Ann <Smith>\",\"email\":\"ann@example.net\"},"
	"\"mailbox\":{\"name\":\"support\","
	"\"address\":\"support@acme.example\","
	"\"display_name\":\"ACME Support\"},"
	"\"survey\":{\"address\":\"support+rate-42-abc@acme.example\","
	"\"links\":["
	"{\"rating\":1,\"mailto\":\"mailto:r@x?subject=Rating%201\"},"
	"{\"rating\":2,\"mailto\":\"mailto:r@x?subject=Rating%202\"},"
	"{\"rating\":3,\"mailto\":\"mailto:r@x?subject=Rating%203\"},"
	"{\"rating\":4,\"mailto\":\"mailto:r@x?subject=Rating%204\"},"
	"{\"rating\":5,\"mailto\":\"mailto:r@x?subject=Rating%205&x=\\\"\"}]},"
	"\"rating\":{\"value\":4,\"comment\":\"quick and friendly\"},"
	"\"unsubscribe\":{\"address\":\"support+stop-42-abc@acme.example\","
	"\"mailto\":\"mailto:support+stop-42-abc@acme.example?subject="
	"unsubscribe\",\"url\":\"\"},"
	"\"campaign\":{\"name\":\"printers\"}}";

/* One rendering of a shipped template: the subject expected, and text that
   must be in the body. */
struct shipped_case {
	const char *name;
	const char *lang;
	const char *subject;
	const char *text_has;
	const char *html_has;	/* NULL: no HTML part */
};

static const struct shipped_case shipped_cases[] = {
	{ "survey", NULL, "[ACME #42] How did we do?", "from 1 to 5",
	  "<a href=\"mailto:r@x?subject=Rating%204\">4</a>" },
	{ "survey", "zh-CN", "[ACME #42] 您对我们的服务满意吗？", "1 到 5",
	  "<a href=\"mailto:r@x?subject=Rating%201\">1</a>" },
	{ "survey_thanks", NULL, "[ACME #42] Thank you for your feedback",
	  "  quick and friendly\n", NULL },
	{ "survey_thanks", "zh", "[ACME #42] 感谢您的反馈", "4 分", NULL },
	{ "upsell", NULL, "ACME Support: more help when you need it",
	  "send any mail to support+stop-42-abc@acme.example.\n", NULL },
	{ "upsell", "zh", "ACME Support：需要时，更快的帮助",
	  "support+stop-42-abc@acme.example。", NULL },
	{ "unsubscribe_confirm", NULL, "You are unsubscribed",
	  "ann@example.net is unsubscribed", NULL },
	{ "unsubscribe_confirm", "zh", "您已退订", "ann@example.net 已退订",
	  NULL },
};

static void
test_shipped_render(void)
{
	char *dir = templates_dir(), *err = NULL;
	struct template_set *set = template_set_new(dir, NULL);
	JsonNode *node = json_from_string(survey_json, NULL);
	JsonObject *data = json_node_get_object(node);

	for (size_t i = 0; i < G_N_ELEMENTS(shipped_cases); i++) {
		const struct shipped_case *c = &shipped_cases[i];
		struct template_mail *mail;

		mail = template_set_render(set, c->name, "support", c->lang,
					   data, &err);
		if (err != NULL)
			g_test_message("%s: %s", c->name, err);
		g_assert_null(err);
		g_assert_cmpstr(mail->subject, ==, c->subject);
		if (strstr(mail->text, c->text_has) == NULL)
			g_test_message("%s", mail->text);
		g_assert_nonnull(strstr(mail->text, c->text_has));
		if (c->html_has == NULL) {
			g_assert_null(mail->html);
		} else {
			const char *p = mail->html;
			int links = 0;

			g_assert_nonnull(strstr(mail->html, c->html_has));
			while ((p = strstr(p, "<a href=\"mailto:")) != NULL) {
				links++;
				p++;
			}
			g_assert_cmpint(links, ==, 5);
			/* values are escaped in HTML */
			g_assert_nonnull(strstr(mail->html,
						"Ann &lt;Smith&gt;"));
			g_assert_nonnull(strstr(mail->html,
						"Rating%205&amp;x=&quot;"));
		}
		if (strcmp(c->name, "survey") == 0) {
			g_assert_cmpuint(mail->headers->len, ==, 1);
			g_assert_cmpstr(mail->headers->pdata[0], ==,
					"Reply-To: support+rate-42-abc@acme."
					"example");
		}
		template_mail_free(mail);
	}
	template_set_free(set);
	json_node_unref(node);
	g_free(dir);
}

/* check over a directory: partials found by use and by name, mailbox and
   language subdirectories, exact file:line:col. */
static void
test_check_dir(void)
{
	char *dir = NULL, *err = NULL;
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	GError *gerr = NULL;
	guint files = 0;
	int n;
	static const char *const want[] = {
		"ack.txt:3:1: unknown partial 'nosuch'",
		"footer.txt:1:10: unknown variable 'bogus'",
		"orphan.html:1:1: no orphan.txt beside it: this HTML part is "
		"never used",
		"support/ack.txt:1:1: missing Subject: header",
		"support/ack.txt:3:7: unknown variable 'ticket.idd'",
		"zh/status_reply.txt:3:1: unclosed section 'tickets'",
		"zh/status_reply.txt:4:3: unknown variable 'tga'",
	};

	dir = g_dir_make_tmp("test-ctl-template-XXXXXX", &gerr);
	g_assert_no_error(gerr);
	write_file(dir, "ack.txt", "Subject: {{ticket.tag}}\n\n{{> nosuch}}\n"
		   "{{> footer}}\n{{> signature}}\n");
	/* a partial because ack.txt includes it */
	write_file(dir, "footer.txt", "{{date}} {{bogus}}\n");
	/* a partial by its name */
	write_file(dir, "signature.txt", "-- \n{{mailbox.name}}\n");
	write_file(dir, "signature-short.txt", "{{mailbox.name}}\n");
	write_file(dir, "survey.txt", "Subject: {{ticket.tag}} x\n\n"
		   "{{survey.address}}\n");
	write_file(dir, "survey.html", "{{#survey.links}}<a href=\""
		   "{{mailto}}\">{{rating}}</a>{{/survey.links}}\n");
	write_file(dir, "orphan.html", "<p>{{ticket.id}}</p>\n");
	write_file(dir, "notes.md", "{{ignored}}\n");
	write_file(dir, ".hidden.txt", "{{ignored}}\n");
	write_file(dir, "support/ack.txt", "From: x\n\nHello {{ticket.idd}}\n");
	write_file(dir, "zh/status_reply.txt", "Subject: x\n\n{{#tickets}}\n"
		   "  {{tga}} {{tag}}\n");

	n = ctl_template_check_dir(dir, errors, &files, &err);
	for (guint i = 0; i < errors->len; i++)
		g_test_message("%s", (char *)errors->pdata[i]);
	g_assert_null(err);
	g_assert_cmpuint(files, ==, 9);
	g_assert_cmpint(n, ==, G_N_ELEMENTS(want));
	g_assert_cmpuint(errors->len, ==, G_N_ELEMENTS(want));
	for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
		char *full = g_strconcat(dir, "/", want[i], NULL);

		g_assert_cmpstr(errors->pdata[i], ==, full);
		g_free(full);
	}

	/* a directory that is not there */
	g_ptr_array_set_size(errors, 0);
	{
		char *gone = g_build_filename(dir, "gone", NULL);

		g_assert_cmpint(ctl_template_check_dir(gone, errors, NULL,
						       &err), ==, -1);
		g_assert_nonnull(err);
		g_free(err);
		g_free(gone);
	}
	g_ptr_array_free(errors, TRUE);
	remove_tree(dir);
	g_free(dir);
}

/* The table: unique names, list items under a list, every name of the
   issue's contract present. */
static void
test_vars_table(void)
{
	static const char *const need[] = {
		"ticket.id", "ticket.tag", "ticket.subject", "ticket.status",
		"ticket.priority", "ticket.mailbox", "ticket.created",
		"ticket.assignee", "ticket.reply_address", "customer.name",
		"customer.email", "mailbox.name", "mailbox.address",
		"mailbox.display_name", "message.subject", "message.date",
		"message.from", "message.from_name", "message.body",
		"message.attachments", "message.attachments.filename",
		"message.attachments.content_type",
		"message.attachments.size", "history", "history.date",
		"history.actor", "history.what", "history.detail",
		"reply.text", "agent.name", "agent.email", "errors",
		"errors.line", "errors.text", "errors.reason", "tickets",
		"tickets.id", "tickets.tag", "tickets.subject",
		"tickets.status", "tickets.updated", "escalation.reason",
		"survey.address", "survey.links", "survey.links.rating",
		"survey.links.mailto", "rating.value", "rating.comment",
		"unsubscribe.address", "unsubscribe.mailto",
		"unsubscribe.url", "campaign.name",
	};

	g_assert_cmpuint(template_vars_count, ==, G_N_ELEMENTS(need));
	for (size_t i = 0; i < G_N_ELEMENTS(need); i++) {
		g_test_message("%s", need[i]);
		g_assert_nonnull(template_vars_find(need[i]));
	}
	for (size_t i = 0; i < template_vars_count; i++) {
		const struct template_var *v = &template_vars[i];

		g_assert_true(template_vars_find(v->name) == v);
		g_assert_nonnull(v->meaning);
		g_assert_cmpstr(v->meaning, !=, "");
	}
	g_assert_null(template_vars_find("ticket"));
	g_assert_null(template_vars_find("nosuch"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ctl-template/shipped-clean", test_shipped_clean);
	g_test_add_func("/ctl-template/shipped-languages",
			test_shipped_languages);
	g_test_add_func("/ctl-template/shipped-render", test_shipped_render);
	g_test_add_func("/ctl-template/check-dir", test_check_dir);
	g_test_add_func("/ctl-template/vars-table", test_vars_table);
	return g_test_run();
}
