/* Unit tests: configuration loading and its error messages. */
#include "autodefs.h"

#include <string.h>

#include <glib/gstdio.h>

#include "config.h"

static char *test_dir;

static char *
write_config(const char *text)
{
	char *path = g_build_filename(test_dir, "ticketd.conf", NULL);

	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	return path;
}

#define GOOD_HEAD \
	"[database]\npath = /tmp/x.db\n" \
	"[smtp]\nurl = smtp://127.0.0.1:2525\n" \
	"from = Support Team <support@example.com>\n" \
	"[templates]\ndir = /tmp\n"

#define GOOD_MAILBOX \
	"[mailbox support]\nimap = imap://127.0.0.1:1143/INBOX\n" \
	"user = support\npassword = secret\ntls = none\n" \
	"address = support@example.com\n"

static void
test_config_good(void)
{
	char *path = write_config(GOOD_HEAD GOOD_MAILBOX
		"tag = ACME   # the tag\npoll_seconds = 5\n"
		"[mailbox sales]\nimap = imaps://mail.example.com/Sales%20In\n"
		"user = s\npassword = pw # with hash\n"
		"address = Sales <sales@example.com>\n");
	char *error = NULL;
	struct config *c = config_load(path, &error);
	struct config_mailbox *mb;

	g_assert_null(error);
	g_assert_nonnull(c);
	g_assert_cmpstr(c->db_path, ==, "/tmp/x.db");
	g_assert_cmpstr(c->smtp.from_addr, ==, "support@example.com");
	g_assert_cmpstr(c->smtp.from_name, ==, "Support Team");
	g_assert_cmpuint(c->mailboxes->len, ==, 2);
	mb = config_mailbox_find(c, "support");
	g_assert_nonnull(mb);
	g_assert_cmpstr(mb->host, ==, "127.0.0.1");
	g_assert_cmpint(mb->port, ==, 1143);
	g_assert_cmpstr(mb->folder, ==, "INBOX");
	g_assert_cmpint(mb->tls, ==, CONFIG_TLS_NONE);
	g_assert_cmpstr(mb->tag, ==, "ACME");
	g_assert_cmpint(mb->poll_seconds, ==, 5);
	g_assert_cmpint(mb->batch_size, ==, 500);
	g_assert_true(mb->verify);
	g_assert_cmpstr(mb->display_name, ==, "Support Team");
	mb = config_mailbox_find(c, "sales");
	g_assert_nonnull(mb);
	g_assert_cmpint(mb->tls, ==, CONFIG_TLS_TLS);
	g_assert_cmpint(mb->port, ==, 993);
	g_assert_cmpstr(mb->folder, ==, "Sales In");
	g_assert_cmpstr(mb->password, ==, "pw # with hash");
	g_assert_cmpstr(mb->display_name, ==, "Sales");
	g_assert_null(mb->tag);
	g_assert_null(config_mailbox_find(c, "nope"));
	config_free(c);
	g_free(path);
}

/* A mailbox without imap takes mail through --stdin only: no login. */
static void
test_config_pipe_only(void)
{
	char *path = write_config(GOOD_HEAD "[mailbox filter]\n"
		"address = Help <help@example.com>\ntag = HELP\n");
	char *error = NULL;
	struct config *c = config_load(path, &error);
	struct config_mailbox *mb;

	g_assert_null(error);
	g_assert_nonnull(c);
	mb = config_mailbox_find(c, "filter");
	g_assert_nonnull(mb);
	g_assert_null(mb->imap_url);
	g_assert_null(mb->host);
	g_assert_null(mb->user);
	g_assert_null(mb->password);
	g_assert_cmpstr(mb->address, ==, "help@example.com");
	g_assert_cmpstr(mb->tag, ==, "HELP");
	config_free(c);
	g_unlink(path);
	g_free(path);
}

static void
test_config_password_file(void)
{
	char *pwfile = g_build_filename(test_dir, "pw", NULL);
	char *text, *path, *error = NULL;
	struct config *c;

	g_assert_true(g_file_set_contents(pwfile, "s3cret\nignored\n", -1,
					  NULL));
	text = g_strdup_printf(GOOD_HEAD "[mailbox support]\n"
		"imap = imap://127.0.0.1/INBOX\nuser = u\n"
		"password_file = %s\naddress = a@example.com\n", pwfile);
	path = write_config(text);
	c = config_load(path, &error);
	g_assert_null(error);
	g_assert_cmpstr(((struct config_mailbox *)
			 c->mailboxes->pdata[0])->password, ==, "s3cret");
	g_assert_cmpint(((struct config_mailbox *)
			 c->mailboxes->pdata[0])->tls, ==,
			CONFIG_TLS_STARTTLS);
	config_free(c);
	g_free(text);
	g_free(path);
	g_free(pwfile);
}

/* Each bad file must fail with a message naming group and key. */
static const struct {
	const char *text;
	const char *expect;
} config_bad_cases[] = {
	{ GOOD_HEAD GOOD_MAILBOX "colour = blue\n",
	  "[mailbox support] colour: unknown key" },
	{ GOOD_HEAD GOOD_MAILBOX "tls = maybe\n",
	  "[mailbox support] tls: 'maybe' is not none, starttls or tls" },
	{ GOOD_HEAD GOOD_MAILBOX "poll_seconds = soon\n",
	  "[mailbox support] poll_seconds: 'soon' is not a whole number" },
	{ GOOD_HEAD GOOD_MAILBOX "poll_seconds = 0\n",
	  "[mailbox support] poll_seconds:" },
	{ GOOD_HEAD GOOD_MAILBOX "verify = perhaps\n",
	  "[mailbox support] verify: 'perhaps' is not yes or no" },
	{ GOOD_HEAD "[mailbox support]\nimap = http://x/\nuser = u\n"
	  "password = p\naddress = a@b.c\n",
	  "[mailbox support] imap: 'http://x/' is not an imap://" },
	{ GOOD_HEAD "[mailbox support]\nimap = imap://x/\nuser = u\n"
	  "password = p\n", "[mailbox support] address: missing value" },
	{ GOOD_HEAD "[mailbox support]\nimap = imap://x/\nuser = u\n"
	  "address = a@b.c\n", "[mailbox support] password: missing" },
	{ GOOD_HEAD "[mailbox support]\nimap = imap://x/\npassword = p\n"
	  "address = a@b.c\n", "[mailbox support] user: missing" },
	{ GOOD_HEAD "[mailbox support]\nimap = imap://x/\nuser = u\n"
	  "password_file = /nonexistent/pw\naddress = a@b.c\n",
	  "[mailbox support] password_file:" },
	{ GOOD_HEAD "[mailbox support]\nimap = imap://x/\nuser = u\n"
	  "password = p\naddress = not an address\n",
	  "[mailbox support] address: 'not an address' is not a mail" },
	{ GOOD_HEAD GOOD_MAILBOX "tag = [X]\n",
	  "[mailbox support] tag:" },
	{ "[smtp]\nurl = smtp://x\nfrom = a@b.c\n[templates]\ndir = /tmp\n"
	  GOOD_MAILBOX, "[database]: missing group" },
	{ "[database]\npath = /tmp/x.db\n[smtp]\nurl = ftp://x\n"
	  "from = a@b.c\n[templates]\ndir = /tmp\n" GOOD_MAILBOX,
	  "[smtp] url: 'ftp://x' is not an smtp://" },
	{ "[database]\npath = /tmp/x.db\n[smtp]\nurl = smtp://x\n"
	  "from = a@b.c\n[templates]\ndir = /nonexistent-dir\n" GOOD_MAILBOX,
	  "[templates] dir: /nonexistent-dir: not a directory" },
	{ GOOD_HEAD GOOD_MAILBOX "[extra]\nx = 1\n", "[extra]: unknown group" },
	{ GOOD_HEAD, "no [mailbox NAME] group" },
	{ GOOD_HEAD "[mailbox]\nimap = imap://x/\n",
	  "[mailbox]: name the mailbox" },
	{ "this is not an ini file\n", "ticketd.conf:" },
};

static void
test_config_bad(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(config_bad_cases); i++) {
		char *path = write_config(config_bad_cases[i].text);
		char *error = NULL;
		struct config *c = config_load(path, &error);

		if (c != NULL || error == NULL ||
		    strstr(error, config_bad_cases[i].expect) == NULL)
			g_error("case %zu: expected '%s', got '%s'", i,
				config_bad_cases[i].expect,
				error != NULL ? error : "(success)");
		/* one line, naming the file */
		g_assert_null(strchr(error, '\n'));
		g_assert_true(g_str_has_prefix(error, path));
		g_free(error);
		g_free(path);
	}
}

static void
test_config_missing_file(void)
{
	char *error = NULL;

	g_assert_null(config_load("/nonexistent/ticketd.conf", &error));
	g_assert_nonnull(strstr(error, "/nonexistent/ticketd.conf"));
	g_free(error);
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	test_dir = g_dir_make_tmp("test-config-XXXXXX", NULL);
	g_test_add_func("/config/good", test_config_good);
	g_test_add_func("/config/password-file", test_config_password_file);
	g_test_add_func("/config/pipe-only", test_config_pipe_only);
	g_test_add_func("/config/bad", test_config_bad);
	g_test_add_func("/config/missing-file", test_config_missing_file);
	rc = g_test_run();
	g_free(test_dir);
	return rc;
}
