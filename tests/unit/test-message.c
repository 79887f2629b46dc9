/* Unit tests for message.c, message-html.c, message-charset.c and
   autoreply.c. */
#include "autodefs.h"

#include <string.h>
#include <time.h>

#include "autoreply.h"
#include "message.h"

/* ---- helpers ---- */

static char *
sample_path(const char *name)
{
	char *path;

	path = g_test_build_filename(G_TEST_DIST, "data", "mail", name, NULL);
	if (!g_file_test(path, G_FILE_TEST_EXISTS) &&
	    g_getenv("TICKETD_SRCDIR") != NULL) {
		g_free(path);
		path = g_build_filename(g_getenv("TICKETD_SRCDIR"), "tests",
		    "data", "mail", name, NULL);
	}
	if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
		/* Run by hand from the source tree or from tests/unit. */
		char *dir = g_path_get_dirname(__FILE__);

		g_free(path);
		path = g_build_filename(dir, "..", "data", "mail", name, NULL);
		g_free(dir);
	}
	return path;
}

static struct message *
parse_sample(const char *name)
{
	char *path, *data;
	gsize len;
	GError *error = NULL;
	struct message *msg;

	path = sample_path(name);
	if (!g_file_get_contents(path, &data, &len, &error))
		g_error("cannot read %s: %s", path, error->message);
	msg = message_parse(data, len);
	g_free(data);
	g_free(path);
	return msg;
}

static void
check_utf8(const char *what, const char *s)
{
	if (s == NULL)
		return;
	if (!g_utf8_validate(s, -1, NULL))
		g_error("%s is not valid UTF-8", what);
}

static void
check_header_string(const char *what, const char *s)
{
	check_utf8(what, s);
	if (s != NULL && strpbrk(s, "\r\n") != NULL)
		g_error("%s holds CR or LF", what);
}

static void
check_address(const struct message_address *a, gboolean may_be_absent)
{
	if (!may_be_absent || a->addr != NULL) {
		g_assert_nonnull(a->addr);
		g_assert_nonnull(a->name);
	}
	check_header_string("address name", a->name);
	check_header_string("address", a->addr);
}

/* What message.h promises for every message, however broken. */
static void
check_invariants(const struct message *msg)
{
	guint i;

	g_assert_nonnull(msg);
	g_assert_nonnull(msg->raw);
	g_assert_nonnull(msg->message_id);
	g_assert_cmpstr(msg->message_id, !=, "");
	g_assert_null(strpbrk(msg->message_id, "<> \t\r\n"));
	check_header_string("message_id", msg->message_id);
	check_header_string("in_reply_to", msg->in_reply_to);
	g_assert_nonnull(msg->references);
	g_assert_cmpuint(msg->references->len, <=, 100);
	for (i = 0; i < msg->references->len; i++)
		check_header_string("reference",
		    g_ptr_array_index(msg->references, i));
	g_assert_nonnull(msg->subject);
	check_header_string("subject", msg->subject);
	check_address(&msg->from, FALSE);
	check_address(&msg->reply_to, TRUE);
	g_assert_nonnull(msg->to);
	g_assert_nonnull(msg->cc);
	for (i = 0; i < msg->to->len; i++)
		check_address(g_ptr_array_index(msg->to, i), FALSE);
	for (i = 0; i < msg->cc->len; i++)
		check_address(g_ptr_array_index(msg->cc, i), FALSE);
	check_header_string("return_path", msg->return_path);
	check_header_string("auto_submitted", msg->auto_submitted);
	check_header_string("precedence", msg->precedence);
	check_header_string("list_id", msg->list_id);
	check_header_string("x_autoreply", msg->x_autoreply);
	check_header_string("x_loop", msg->x_loop);
	check_header_string("content_language", msg->content_language);
	check_header_string("thread_index", msg->thread_index);
	g_assert_nonnull(msg->body);
	check_utf8("body", msg->body);
	g_assert_null(strchr(msg->body, '\r'));
	g_assert_nonnull(msg->attachments);
	for (i = 0; i < msg->attachments->len; i++) {
		const struct message_attachment *a =
		    g_ptr_array_index(msg->attachments, i);

		g_assert_nonnull(a->filename);
		check_header_string("filename", a->filename);
		g_assert_null(strpbrk(a->filename, "/\\"));
		g_assert_cmpstr(a->filename, !=, ".");
		g_assert_cmpstr(a->filename, !=, "..");
		g_assert_cmpuint(strlen(a->filename), <=, 255);
		g_assert_nonnull(a->content_type);
		check_header_string("content_type", a->content_type);
		g_assert_nonnull(a->content);
		g_assert_cmpuint(a->size, ==, g_bytes_get_size(a->content));
	}
	check_header_string("parse_error", msg->parse_error);
}

static const struct message_attachment *
attachment(const struct message *msg, guint i)
{
	g_assert_cmpuint(i, <, msg->attachments->len);
	return g_ptr_array_index(msg->attachments, i);
}

/* ---- the sample corpus ---- */

static const struct sample_case {
	const char *file;
	const char *message_id;		/* NULL: synthetic */
	const char *subject;
	const char *from_name;
	const char *from_addr;
	const char *body_part;		/* must occur in body */
	gboolean from_html;
	guint attachments;
	enum autoreply_class cls;
	const char *reason;
	gboolean parse_error;
} sample_cases[] = {
	{ "plain-ascii.eml", "plain-ascii-0001@mail.example.net",
	  "Cannot log in to my account", "Alice Customer",
	  "customer@example.net", "The page says \"invalid session\".",
	  FALSE, 0, AUTOREPLY_HUMAN, NULL, FALSE },
	{ "reply.eml", "reply-0002@mail.example.net",
	  "Re: [#1] Cannot log in to my account", "Alice Customer",
	  "customer@example.net", "> Please clear your browser cookies.",
	  FALSE, 0, AUTOREPLY_HUMAN, NULL, FALSE },
	{ "gbk.eml", "gbk-0003@mail.example.net",
	  "关于订单 #12345 的退款问题（张喆）", "张喆",
	  "zhang.zhe@example.net",
	  "还没有收到退款，请尽快处理。\n朱镕基路 88 号",
	  FALSE, 0, AUTOREPLY_HUMAN, NULL, FALSE },
	{ "gb2312.eml", "gb2312-0004@mail.example.net",
	  "发票抬头需要修改", "李娜", "li.na@example.net",
	  "北京喆信科技有限公司", FALSE, 0, AUTOREPLY_HUMAN, NULL, FALSE },
	{ "big5.eml", "big5-0005@mail.example.net",
	  "詢問產品保固期限", "許功蓋", "hsu@example.net",
	  "請問這台機器的保固期限是多久？\n許功蓋 敬上",
	  FALSE, 0, AUTOREPLY_HUMAN, NULL, FALSE },
	{ "iso-2022-jp.eml", "iso2022jp-0006@mail.example.net",
	  "請求書について", "山田太郎", "yamada@example.net",
	  "請求書の金額が違うようです。", FALSE, 0, AUTOREPLY_HUMAN, NULL,
	  FALSE },
	{ "koi8-r.eml", "koi8r-0007@mail.example.net",
	  "Проблема с доставкой", "Иван Петров", "ivan@example.net",
	  "Заказ не доставлен уже две недели.", FALSE, 0, AUTOREPLY_HUMAN,
	  NULL, FALSE },
	{ "windows-1252.eml", "cp1252-0008@mail.example.net",
	  "Réclamation – commande 4711", "François Müller",
	  "francois@example.net",
	  "49,90 € au lieu de 39,90 €.\nMerci de corriger « rapidement ».",
	  FALSE, 0, AUTOREPLY_HUMAN, NULL, FALSE },
	{ "windows-1251.eml", "cp1251-0009@mail.example.net",
	  "Вопрос по счёту", "Ольга Смирнова", "olga@example.net",
	  "Прошу выслать счёт ещё раз.", FALSE, 0, AUTOREPLY_HUMAN, NULL,
	  FALSE },
	{ "undeclared-utf8.eml", "undeclared-utf8-0010@mail.example.net",
	  "Frage zur Rechnung – Größe XL", "Jürgen Groß",
	  "juergen@example.net", "Größe XL ist zu klein. Können Sie",
	  FALSE, 0, AUTOREPLY_HUMAN, NULL, FALSE },
	{ "undeclared-gbk.eml", "undeclared-gbk-0011@mail.example.net",
	  "发票问题", "王芳", "wang.fang@example.net",
	  "你好，我需要重新开具发票，谢谢。", FALSE, 0, AUTOREPLY_HUMAN, NULL,
	  FALSE },
	{ "wrong-charset-ascii.eml", "wrong-ascii-0012@mail.example.net",
	  "Wrong charset us-ascii", "Zoe Adams", "zoe@example.net",
	  "Café crème, naïve façade — 日本語のテキスト", FALSE, 0,
	  AUTOREPLY_HUMAN, NULL, FALSE },
	{ "wrong-charset-latin1.eml", "wrong-latin1-0013@mail.example.net",
	  "Wrong charset iso-8859-1", "Zoe Adams", "zoe@example.net",
	  "Café crème, naïve façade — 日本語のテキスト", FALSE, 0,
	  AUTOREPLY_HUMAN, NULL, FALSE },
	{ "html-only.eml", "html-only-0014@mail.example.net",
	  "Order problem (HTML only)", "Kunde Beispiel", "kunde@example.net",
	  "Hello support & team,", TRUE, 0, AUTOREPLY_HUMAN, NULL, FALSE },
	{ "multipart-alternative.eml", "alternative-0015@mail.example.net",
	  "App crashes on export", "María José García", "maria@example.net",
	  "Hi,\nthe app crashes when I tap “Export”.\nMaría", FALSE, 0,
	  AUTOREPLY_HUMAN, NULL, FALSE },
	{ "attachment.eml", "attachment-0016@mail.example.net",
	  "Invoice and screenshot attached", "Sven Lindqvist",
	  "sven@example.net", "Please find the invoice", FALSE, 3,
	  AUTOREPLY_HUMAN, NULL, FALSE },
	{ "outlook-ooo.eml", "ooo-0017@EXCH01.example.net",
	  "Automatic reply: [#7] Your support request", "Peter Schmidt",
	  "peter.schmidt@example.net", "nicht im Büro.", FALSE, 0,
	  AUTOREPLY_AUTO, "auto-submitted", FALSE },
	{ "list-bulk.eml", "list-bulk-0018@lists.example.org",
	  "Our March newsletter", "Example Newsletter",
	  "news@lists.example.org", "new features", FALSE, 0,
	  AUTOREPLY_AUTO, "precedence", FALSE },
	{ "dsn-bounce.eml", "dsn-0019@mail.example.com",
	  "Undelivered Mail Returned to Sender", "Mail Delivery System",
	  "MAILER-DAEMON@mail.example.com", "550 5.1.1 User unknown", FALSE,
	  2, AUTOREPLY_BOUNCE, "dsn", FALSE },
	{ "no-message-id.eml", NULL, "Question without a Message-ID",
	  "Kenji Sato", "kenji@example.net", "does not add a Message-ID",
	  FALSE, 0, AUTOREPLY_HUMAN, NULL, FALSE },
	{ "malformed-mime.eml", "malformed-0020@mail.example.net",
	  "Malformed MIME sample", "Broken Client", "broken@example.net",
	  "Body text survives.", FALSE, 1, AUTOREPLY_HUMAN, NULL, TRUE },
	{ "header-injection.eml", "injection-0021@mail.example.net",
	  "Hello  Bcc: victim@example.org", "Eve  Bcc: victim@example.org",
	  "eve@example.net", "Header injection attempt.", FALSE, 0,
	  AUTOREPLY_HUMAN, NULL, FALSE },
	{ "forward-attached.eml", "forward-0022@mail.example.net",
	  "Fwd: Your order confirmation", "Alice Customer",
	  "customer@example.net", "See the forwarded confirmation.", FALSE, 1,
	  AUTOREPLY_HUMAN, NULL, FALSE },
	{ "apple-inline-images.eml", "apple-inline-0023@mail.example.net",
	  "Scratches on the delivered table", "Lena Berg",
	  "lena@example.net", "the top:\n\nAnd here is the leg", FALSE, 2,
	  AUTOREPLY_HUMAN, NULL, FALSE },
	{ "outlook-invite.eml", "invite-0024@EXCH01.example.net",
	  "Onboarding call", "Peter Schmidt", "peter.schmidt@example.net",
	  "Let us walk through the setup together.", FALSE, 1,
	  AUTOREPLY_HUMAN, NULL, FALSE },
	{ "thunderbird-flowed.eml", "flowed-0025@mail.example.net",
	  "Re: PDF export fails", "Jan Novak", "jan.novak@example.net",
	  "export to PDF fails", FALSE, 0, AUTOREPLY_HUMAN, NULL, FALSE },
	{ "pgp-signed.eml", "pgp-signed-0026@mail.example.net",
	  "Signed request to close my account", "Jan Novak",
	  "jan.novak@example.net", "signed with my OpenPGP key.", FALSE, 1,
	  AUTOREPLY_HUMAN, NULL, FALSE },
	{ "smime-signed.eml", "smime-signed-0027@EXCH01.example.net",
	  "Signed: contract renewal", "Peter Schmidt",
	  "peter.schmidt@example.net", "Grüße, Peter", FALSE, 1,
	  AUTOREPLY_HUMAN, NULL, FALSE },
	{ "smime-encrypted.eml", "smime-encrypted-0028@EXCH01.example.net",
	  "Encrypted: salary data", "Peter Schmidt",
	  "peter.schmidt@example.net", "", FALSE, 1, AUTOREPLY_HUMAN, NULL,
	  FALSE },
};

/* Exact bodies and attachments of the samples that exercise the MIME
   structure rules. */
static const struct structure_case {
	const char *file;
	const char *body;		/* exact */
	gboolean from_html;
	const char *attachments;	/* "name content/type size" joined
					   by '|' */
} structure_cases[] = {
	{ "apple-inline-images.eml",
	  "Hello,\n\nthe table arrived today. Here is the top:\n\n"
	  "And here is the leg, also scratched:\n\n"
	  "I would like a replacement.\n\nLena\n\nSent from my iPhone",
	  FALSE, "IMG_0412.jpeg image/jpeg 22|IMG_0413.jpeg image/jpeg 22" },
	{ "outlook-invite.eml", "Let us walk through the setup together.\n",
	  FALSE, "invite.ics text/calendar 300" },
	{ "thunderbird-flowed.eml",
	  "Hello support team,\n\n"
	  "I updated the app to version 4.2 yesterday and since then the "
	  "export to PDF fails with an error message saying that the file "
	  "could not be written.\n\n"
	  "From what I can see, the folder is writable – über-writable.\n\n"
	  "On 05.03.24 09:00, Support wrote:\n"
	  "> Thank you for your report. Could you tell us which version of "
	  "the app you are using?\n>\n"
	  ">> Original question: the export does not work on my laptop.\n\n"
	  "Regards,\nJan\n-- \nJan Novak\n", FALSE, "" },
	{ "pgp-signed.eml",
	  "Please close my account. This request is signed with my OpenPGP "
	  "key.\n\nJan\n", FALSE,
	  "OpenPGP_signature.asc application/pgp-signature 134" },
	{ "smime-signed.eml",
	  "Please renew the contract for another year.\nGrüße, Peter\n",
	  FALSE, "smime.p7s application/x-pkcs7-signature 128" },
	{ "smime-encrypted.eml", "", FALSE,
	  "smime.p7m application/pkcs7-mime 256" },
	{ "multipart-alternative.eml",
	  "Hi,\nthe app crashes when I tap “Export”.\nMaría\n", FALSE, "" },
	{ "reply.eml", "Thanks, it works again after clearing cookies.\n\n"
	  "Alice\n\n> Please clear your browser cookies.\n", FALSE, "" },
};

/* "name type size|..." for the attachments of msg; free with g_free(). */
static char *
attachment_summary(const struct message *msg)
{
	GString *s = g_string_new(NULL);
	guint i;

	for (i = 0; i < msg->attachments->len; i++) {
		const struct message_attachment *a =
		    g_ptr_array_index(msg->attachments, i);

		if (i > 0)
			g_string_append_c(s, '|');
		g_string_append_printf(s, "%s %s %" G_GSIZE_FORMAT,
		    a->filename, a->content_type, a->size);
	}
	return g_string_free(s, FALSE);
}

static void
test_structure_samples(void)
{
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(structure_cases); i++) {
		const struct structure_case *c = &structure_cases[i];
		struct message *msg;
		char *summary;

		g_test_message("structure sample %s", c->file);
		msg = parse_sample(c->file);
		check_invariants(msg);
		g_assert_cmpstr(msg->body, ==, c->body);
		g_assert_cmpint(msg->body_from_html, ==, c->from_html);
		g_assert_null(msg->parse_error);
		summary = attachment_summary(msg);
		g_assert_cmpstr(summary, ==, c->attachments);
		g_free(summary);
		message_free(msg);
	}
}

static void
test_samples(void)
{
	GHashTable *ids = g_hash_table_new_full(g_str_hash, g_str_equal,
	    g_free, NULL);
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(sample_cases); i++) {
		const struct sample_case *c = &sample_cases[i];
		struct message *msg;
		const char *reason = "unset";
		enum autoreply_class cls;

		g_test_message("sample %s", c->file);
		msg = parse_sample(c->file);
		check_invariants(msg);
		if (c->message_id != NULL) {
			g_assert_cmpstr(msg->message_id, ==, c->message_id);
			g_assert_false(msg->message_id_synthetic);
		} else {
			g_assert_true(msg->message_id_synthetic);
			g_assert_true(g_str_has_suffix(msg->message_id,
			    "@ticketd.invalid"));
		}
		/* distinct Message-IDs across the corpus */
		g_assert_false(g_hash_table_contains(ids, msg->message_id));
		g_hash_table_add(ids, g_strdup(msg->message_id));
		g_assert_cmpstr(msg->subject, ==, c->subject);
		g_assert_cmpstr(msg->from.name, ==, c->from_name);
		g_assert_cmpstr(msg->from.addr, ==, c->from_addr);
		if (strstr(msg->body, c->body_part) == NULL)
			g_error("%s: body lacks \"%s\":\n%s", c->file,
			    c->body_part, msg->body);
		g_assert_cmpint(msg->body_from_html, ==, c->from_html);
		g_assert_cmpuint(msg->attachments->len, ==, c->attachments);
		g_assert_cmpint(msg->parse_error != NULL, ==, c->parse_error);
		g_assert_cmpint(msg->date, ==, strcmp(c->file, "reply.eml") == 0 ?
		    1709636400 : 1709601300);
		g_assert_cmpuint(msg->to->len, ==, 1);
		g_assert_cmpstr(((struct message_address *)
		    g_ptr_array_index(msg->to, 0))->addr, ==,
		    "support@example.com");
		cls = autoreply_classify(msg, &reason);
		g_assert_cmpint(cls, ==, c->cls);
		g_assert_cmpstr(reason, ==, c->reason);
		message_free(msg);
	}
	g_hash_table_destroy(ids);
}

static void
test_sample_details(void)
{
	struct message *msg;
	const struct message_attachment *a;
	const struct message_address *ad;

	msg = parse_sample("reply.eml");
	g_assert_cmpstr(msg->in_reply_to, ==,
	    "ticket-1-ack@support.example.com");
	g_assert_cmpuint(msg->references->len, ==, 2);
	g_assert_cmpstr(g_ptr_array_index(msg->references, 0), ==,
	    "plain-ascii-0001@mail.example.net");
	g_assert_cmpstr(g_ptr_array_index(msg->references, 1), ==,
	    "ticket-1-ack@support.example.com");
	g_assert_cmpuint(msg->cc->len, ==, 2);
	ad = g_ptr_array_index(msg->cc, 0);
	g_assert_cmpstr(ad->name, ==, "Bob Colleague");
	g_assert_cmpstr(ad->addr, ==, "bob@example.net");	/* domain lowered */
	ad = g_ptr_array_index(msg->cc, 1);
	g_assert_cmpstr(ad->name, ==, "");
	g_assert_cmpstr(ad->addr, ==, "carol@example.net");
	g_assert_cmpstr(msg->return_path, ==, "customer@example.net");
	g_assert_null(msg->reply_to.addr);
	message_free(msg);

	msg = parse_sample("attachment.eml");
	g_assert_cmpstr(msg->body, ==,
	    "Please find the invoice and a screenshot attached.\nSven");
	a = attachment(msg, 0);
	g_assert_cmpstr(a->filename, ==, "发票 invoice 2024.pdf");
	g_assert_cmpstr(a->content_type, ==, "application/pdf");
	g_assert_cmpuint(a->size, ==, 193);
	g_assert_true(memcmp(g_bytes_get_data(a->content, NULL), "%PDF-1.4",
	    8) == 0);
	a = attachment(msg, 1);
	g_assert_cmpstr(a->filename, ==, "skärmbild.png");
	g_assert_cmpstr(a->content_type, ==, "image/png");
	g_assert_cmpuint(a->size, ==, 70);
	g_assert_true(memcmp(g_bytes_get_data(a->content, NULL),
	    "\x89PNG\r\n\x1a\n", 8) == 0);
	a = attachment(msg, 2);
	g_assert_cmpstr(a->filename, ==, "notes.txt");	/* C:\...\ dropped */
	g_assert_cmpstr(a->content_type, ==, "text/plain");
	g_assert_cmpuint(a->size, ==, 19);	/* "serial number: 0815" */
	message_free(msg);

	msg = parse_sample("dsn-bounce.eml");
	g_assert_true(msg->is_dsn);
	g_assert_cmpstr(msg->return_path, ==, "");
	g_assert_cmpstr(attachment(msg, 0)->content_type, ==,
	    "message/delivery-status");
	g_assert_cmpstr(attachment(msg, 1)->content_type, ==,
	    "message/rfc822");
	message_free(msg);

	msg = parse_sample("forward-attached.eml");
	a = attachment(msg, 0);
	g_assert_cmpstr(a->filename, ==, "order.eml");
	g_assert_cmpstr(a->content_type, ==, "message/rfc822");
	g_assert_nonnull(g_strstr_len(g_bytes_get_data(a->content, NULL),
	    (gssize)a->size, "Order 4711 confirmed."));
	message_free(msg);

	msg = parse_sample("outlook-ooo.eml");
	g_assert_cmpstr(msg->auto_submitted, ==, "auto-replied");
	g_assert_cmpstr(msg->x_autoreply, ==, "yes");
	g_assert_cmpstr(msg->thread_index, ==, "AQHaZ1k2b3V0b2ZvZmZpY2U=");
	g_assert_cmpstr(msg->content_language, ==, "de-DE");
	g_assert_cmpstr(msg->in_reply_to, ==,
	    "ticket-7-ack@support.example.com");
	message_free(msg);

	msg = parse_sample("list-bulk.eml");
	g_assert_cmpstr(msg->precedence, ==, "bulk");
	g_assert_cmpstr(msg->list_id, ==,
	    "Example News <news.lists.example.org>");
	message_free(msg);

	msg = parse_sample("multipart-alternative.eml");
	g_assert_cmpstr(msg->reply_to.addr, ==, "maria.garcia@example.org");
	g_assert_cmpstr(msg->content_language, ==, "es-ES");
	message_free(msg);

	msg = parse_sample("html-only.eml");
	g_assert_null(strstr(msg->body, "alert"));
	g_assert_null(strstr(msg->body, "color: red"));
	g_assert_null(strstr(msg->body, "<b>"));
	g_assert_nonnull(strstr(msg->body,
	    "my order page <https://shop.example.org/orders/4711>"));
	g_assert_nonnull(strstr(msg->body, "- Box was open\n- Item scratched"));
	g_assert_nonnull(strstr(msg->body, "39€ <incl. VAT> —"));
	g_assert_nonnull(strstr(msg->body, "Grüßen\nKunde"));
	g_assert_true(g_str_has_prefix(msg->body, "Order problem\n\n"));
	message_free(msg);
}

static void
test_synthetic_id(void)
{
	char *path, *data, *hex, *want;
	gsize len;
	struct message *a, *b;

	path = sample_path("no-message-id.eml");
	g_assert_true(g_file_get_contents(path, &data, &len, NULL));
	a = message_parse(data, len);
	b = message_parse(data, len);
	hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256,
	    (const guchar *)data, len);
	want = g_strconcat(hex, "@ticketd.invalid", NULL);
	g_assert_cmpstr(a->message_id, ==, want);
	g_assert_cmpstr(b->message_id, ==, want);
	g_assert_true(a->message_id_synthetic);
	message_free(a);
	message_free(b);

	/* an empty Message-ID counts as missing */
	a = message_parse("Message-ID: < >\r\nSubject: x\r\n\r\nhi\r\n", 33);
	g_assert_true(a->message_id_synthetic);
	message_free(a);
	g_free(want);
	g_free(hex);
	g_free(data);
	g_free(path);
}

/* ---- header parsing cases ---- */

static const struct header_case {
	const char *raw;
	const char *message_id;
	const char *subject;
	const char *from_name;
	const char *from_addr;
	const char *in_reply_to;
	const char *return_path;
	gint64 date;
} header_cases[] = {
	{ "Message-ID:   <  abc@x.example  >\r\nSubject: plain\r\n\r\n",
	  "abc@x.example", "plain", "", "", NULL, NULL, 0 },
	{ "Message-ID: bare@x.example\nFrom: someone@Example.ORG\n\n",
	  "bare@x.example", "", "", "someone@example.org", NULL, NULL, 0 },
	{ "Subject: =?utf-8?B?5L2g5aW9?= =?utf-8?Q?_world?=\n"
	  "Message-ID: <m1@x>\n\n", "m1@x", "你好 world", "", "", NULL, NULL,
	  0 },
	{ "Subject: =?ks_c_5601-1987?B?x9Gxub7u?=\nMessage-ID: <m2@x>\n\n",
	  "m2@x", "한국어", "", "", NULL, NULL, 0 },
	{ "Subject: =?gb2312?B?1tDOxA==?=\nMessage-ID: <m3@x>\n\n",
	  "m3@x", "中文", "", "", NULL, NULL, 0 },
	{ "From: \"Doe, John\" <JOHN@EXAMPLE.COM>\nMessage-ID: <m4@x>\n"
	  "In-Reply-To: <a@b> <c@d>\n\n",
	  "m4@x", "", "Doe, John", "JOHN@example.com", "a@b", NULL, 0 },
	{ "From: MAILER-DAEMON\nReturn-Path: <>\nMessage-ID: <m5@x>\n\n",
	  "m5@x", "", "", "MAILER-DAEMON", NULL, "", 0 },
	{ "Return-Path: bounce@x.example\nMessage-ID: <m6@x>\n"
	  "Date: Thu, 01 Jan 2015 00:00:00 +0000\n\n",
	  "m6@x", "", "", "", NULL, "bounce@x.example", 1420070400 },
	{ "Date: garbage\nMessage-ID: <m7@x>\n"
	  "In-Reply-To: Your message of Monday <orig@host.example>\n\n",
	  "m7@x", "", "", "", "orig@host.example", NULL, 0 },
	{ "Subject: folded\r\n  across\r\n\tlines\r\nMessage-ID: <m8@x>\r\n\r\n",
	  "m8@x", "folded  across lines", "", "", NULL, NULL, 0 },
	{ "Subject: \xb2\xe2\xca\xd4\xd6\xd0\xce\xc4\nMessage-ID: <m9@x>\n\n",
	  "m9@x", "测试中文", "", "", NULL, NULL, 0 },
	/* raw Latin-1 must not be read as GB18030 */
	{ "From: J\xfcrgen M\xfcller <j@x.example>\nSubject: Gr\xfc\xdf"
	  "e aus K\xf6ln\nMessage-ID: <m10@x>\n\n",
	  "m10@x", "Grüße aus Köln", "Jürgen Müller", "j@x.example", NULL,
	  NULL, 0 },
	/* several base64 words in one charset, the first padded: GMime
	   3.2.13 kept only the first */
	{ "Subject: =?UTF-8?B?U2ltcGxlIHRleHQuIEhvdyBhcmUgeW91PyA=?=\n"
	  " =?UTF-8?B?0JrQsNC6INGC0Ysg0L/QvtC20LjQstCw0LXRiNGMPw==?=\n"
	  "From: =?utf-8?B?YWI=?=\n =?utf-8?B?ZGVm?= <a@b.example>\n"
	  "Message-ID: <m11@x>\n\n", "m11@x",
	  "Simple text. How are you? Как ты поживаешь?", "abdef",
	  "a@b.example", NULL, NULL, 0 },
	/* a character split between two words */
	{ "Subject: =?utf-8?Q?caf=C3?= =?utf-8?Q?=A9_ok?=\n"
	  "Message-ID: <m12@x>\n\n", "m12@x", "café ok", "", "", NULL, NULL,
	  0 },
	/* the charsets as mailers mean them: windows-1252 for ISO-8859-1,
	   CP949 for EUC-KR, CP932 for Shift_JIS, NEC extensions in
	   ISO-2022-JP */
	{ "Subject: =?iso-8859-1?Q?price_=805_=96_ok?=\n"
	  "From: =?euc-kr?B?jGO55rCix88=?= <k@x.example>\n"
	  "Message-ID: <m13@x>\n\n", "m13@x", "price €5 – ok", "똠방각하",
	  "k@x.example", NULL, NULL, 0 },
	{ "Subject: =?shift_jis?B?h0Du4A==?= =?ISO-2022-JP?B?GyRCLWIbKEI0MQ==?=\n"
	  "Message-ID: <m14@x>\n\n", "m14@x", "①髙№41", "", "", NULL, NULL,
	  0 },
	/* a decoded name with a comma and quotes stays one name; text
	   between words stays; a word that is not one stays as it is */
	{ "From: =?utf-8?Q?M=C3=BCller=2C_=22Hans=22?= <h@x.example>, "
	  "b@x.example\nSubject: [#12] =?utf-8?Q?R=C3=A9?= about =?bogus\n"
	  "Message-ID: <m15@x>\n\n", "m15@x", "[#12] Ré about =?bogus",
	  "Müller, \"Hans\"", "h@x.example", NULL, NULL, 0 },
	/* quoted encoded words (not allowed, common) */
	{ "From: \"=?utf-8?B?SsO8cmdlbg==?=\" <j@x.example>\n"
	  "Message-ID: <m16@x>\n\n", "m16@x", "", "Jürgen", "j@x.example",
	  NULL, NULL, 0 },
	/* base64 words without their padding, or with too little */
	{ "Subject: =?UTF-8?B?w7xiZXI?= =?NONE?B?VEVTVA=?= end\n"
	  "From: =?utf-8?b?SsO8cmdlbg?= <j@x.example>\n"
	  "Message-ID: <m17@x>\n\n", "m17@x", "überTEST end", "Jürgen",
	  "j@x.example", NULL, NULL, 0 },
	/* UTF-8 with a character cut short is UTF-8, not Latin-1 */
	{ "Subject: \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1"
	  "\n"
	  "Message-ID: <m18@x>\n\n", "m18@x", "Приве\xef\xbf\xbd", "", "",
	  NULL, NULL, 0 },
	/* zone names in lower case (obsolete syntax, old mailers) */
	{ "Date: Tue, 28 May 1996 12:24:23 cst\nMessage-ID: <m19@x>\n\n",
	  "m19@x", "", "", "", NULL, NULL, 833307863 },
	{ "Date: Tue, 28 May 1996 12:24:23 CST\nMessage-ID: <m20@x>\n\n",
	  "m20@x", "", "", "", NULL, NULL, 833307863 },
	/* a byte order mark and a line of blanks before the header */
	{ "\xef\xbb\xbf  \r\nFrom: Ann <ann@x.example>\r\n"
	  "Message-ID: <m21@x>\r\n\r\nbody\r\n", "m21@x", "", "Ann",
	  "ann@x.example", NULL, NULL, 0 },
};

static void
test_headers(void)
{
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(header_cases); i++) {
		const struct header_case *c = &header_cases[i];
		struct message *msg;

		g_test_message("header case %zu", i);
		msg = message_parse(c->raw, strlen(c->raw));
		check_invariants(msg);
		g_assert_cmpstr(msg->message_id, ==, c->message_id);
		g_assert_cmpstr(msg->subject, ==, c->subject);
		g_assert_cmpstr(msg->from.name, ==, c->from_name);
		g_assert_cmpstr(msg->from.addr, ==, c->from_addr);
		g_assert_cmpstr(msg->in_reply_to, ==, c->in_reply_to);
		g_assert_cmpstr(msg->return_path, ==, c->return_path);
		g_assert_cmpint(msg->date, ==, c->date);
		message_free(msg);
	}
}

static void
test_references_bounded(void)
{
	GString *raw = g_string_new("Message-ID: <r@x>\nReferences:");
	struct message *msg;
	int i;

	for (i = 0; i < 500; i++)
		g_string_append_printf(raw, "\n <ref%d@example.net>", i);
	g_string_append(raw, "\nIn-Reply-To: <ref499@example.net>\n\nbody\n");
	msg = message_parse(raw->str, raw->len);
	check_invariants(msg);
	g_assert_cmpuint(msg->references->len, ==, 100);
	g_assert_cmpstr(g_ptr_array_index(msg->references, 0), ==,
	    "ref400@example.net");
	g_assert_cmpstr(g_ptr_array_index(msg->references, 99), ==,
	    "ref499@example.net");
	g_assert_cmpstr(msg->in_reply_to, ==, "ref499@example.net");
	message_free(msg);
	g_string_free(raw, TRUE);
}

/* Megabyte header fields of unfinished encoded words (GMime reads them in
   quadratic time: minutes a message) are cut at 64 KB before GMime sees
   them, at the top and in parts; the stored raw mail stays whole, the
   rest of the message is read as before. */
static void
test_header_huge(void)
{
	GString *junk = g_string_new(NULL), *raw;
	struct message *msg;
	const struct message_attachment *a;
	gsize n;

	while (junk->len < 1500000)
		g_string_append(junk, "=?a?Q?x");
	raw = g_string_new(NULL);
	g_string_append_printf(raw,
		"Message-ID: <huge@x>\nSubject: %s\nX-Junk: %s\n"
		"From: Ann <a@b.example>\n"
		"MIME-Version: 1.0\nContent-Type: multipart/mixed; "
		"boundary=\"=_b\"\n\n--=_b\nContent-Type: text/plain\n\n"
		"the body\n--=_b\nContent-Type: application/pdf; name=\"%s\"\n"
		"Content-Disposition: attachment; filename=\"%s\"\n"
		"Content-Transfer-Encoding: base64\n\nJVBERi0=\n--=_b--\n",
		junk->str, junk->str, junk->str, junk->str);
	msg = message_parse(raw->str, raw->len);
	check_invariants(msg);
	g_assert_true(g_str_has_prefix(msg->subject, "=?a?Q?x=?a?Q?x"));
	g_assert_cmpuint(strlen(msg->subject), <=, 998);
	g_assert_cmpstr(msg->from.addr, ==, "a@b.example");
	g_assert_cmpstr(msg->body, ==, "the body");
	g_assert_cmpuint(msg->attachments->len, ==, 1);
	a = msg->attachments->pdata[0];
	g_assert_cmpstr(a->content_type, ==, "application/pdf");
	g_assert_cmpuint(a->size, ==, 5);		/* "%PDF-" */
	g_assert_nonnull(strstr(msg->parse_error, "header field over"));
	g_assert_cmpmem(g_bytes_get_data(msg->raw, &n), n, raw->str, raw->len);
	message_free(msg);
	g_string_free(raw, TRUE);
	g_string_free(junk, TRUE);
}

/* Hostile header lengths are cut on a character boundary. */
static void
test_header_caps(void)
{
	static const char *const pieces[] = { "x", "é", "长", "😀" };
	size_t i;
	int k;

	for (i = 0; i < G_N_ELEMENTS(pieces); i++) {
		GString *raw = g_string_new("Message-ID: <cap@x>\nSubject: ");
		struct message *msg;
		const struct message_address *to;

		for (k = 0; k < 5000; k++)
			g_string_append(raw, pieces[i]);
		g_string_append(raw, "\nFrom: \"");
		for (k = 0; k < 3000; k++)
			g_string_append(raw, pieces[i]);
		g_string_append(raw, "\" <a@x.example>\nTo: =?utf-8?B?");
		{
			GString *name = g_string_new(NULL);
			char *b64;

			for (k = 0; k < 1000; k++)
				g_string_append(name, pieces[i]);
			b64 = g_base64_encode((const guchar *)name->str,
			    name->len);
			g_string_append(raw, b64);
			g_free(b64);
			g_string_free(name, TRUE);
		}
		g_string_append(raw, "?= <b@x.example>\n\nbody\n");
		g_test_message("header caps with \"%s\"", pieces[i]);
		msg = message_parse(raw->str, raw->len);
		check_invariants(msg);
		g_assert_cmpuint(strlen(msg->subject), <=, 998);
		g_assert_cmpuint(strlen(msg->subject), >, 990);
		g_assert_true(g_str_has_prefix(msg->subject, pieces[i]));
		g_assert_cmpuint(strlen(msg->from.name), <=, 256);
		g_assert_cmpuint(strlen(msg->from.name), >, 250);
		g_assert_cmpstr(msg->from.addr, ==, "a@x.example");
		g_assert_cmpuint(msg->to->len, ==, 1);
		to = g_ptr_array_index(msg->to, 0);
		g_assert_cmpuint(strlen(to->name), <=, 256);
		g_assert_cmpuint(strlen(to->name), >, 250);
		g_assert_cmpstr(to->addr, ==, "b@x.example");
		message_free(msg);
		g_string_free(raw, TRUE);
	}
}

/* ---- MIME structure cases ---- */

static const struct mime_case {
	const char *name;
	const char *raw;
	const char *body;		/* exact */
	gboolean from_html;
	const char *filenames;		/* attachment names joined by '|' */
} mime_cases[] = {
	{ "alternative with empty text/plain uses the HTML",
	  "Message-ID: <a1@x>\nContent-Type: multipart/alternative; "
	  "boundary=b\n\n--b\nContent-Type: text/plain\n\n  \n--b\n"
	  "Content-Type: text/html\n\n<p>From HTML</p>\n--b--\n",
	  "From HTML", TRUE, "" },
	{ "text/plain attachment is not the body",
	  "Message-ID: <a2@x>\nContent-Type: multipart/mixed; boundary=b\n\n"
	  "--b\nContent-Type: text/plain\nContent-Disposition: attachment; "
	  "filename=log.txt\n\nlog\n--b\nContent-Type: text/plain\n\n"
	  "real body\n--b--\n", "real body", FALSE, "log.txt" },
	{ "related html inside alternative, plain wins",
	  "Message-ID: <a3@x>\nContent-Type: multipart/alternative; "
	  "boundary=o\n\n--o\nContent-Type: text/plain; charset=utf-8\n\n"
	  "plain text\n--o\nContent-Type: multipart/related; boundary=i\n\n"
	  "--i\nContent-Type: text/html\n\n<p>html</p>\n--i\n"
	  "Content-Type: image/gif\nContent-ID: <x@y>\n"
	  "Content-Transfer-Encoding: base64\n\nR0lGODlhAQABAAAAACw=\n--i--\n"
	  "--o--\n", "plain text", FALSE, "part-3.gif" },
	{ "hostile filenames are sanitised",
	  "Message-ID: <a4@x>\nContent-Type: multipart/mixed; boundary=b\n\n"
	  "--b\nContent-Type: text/plain\n\nsee files\n"
	  "--b\nContent-Type: application/octet-stream; name=\"../../etc/passwd\"\n"
	  "\nx\n"
	  "--b\nContent-Type: application/octet-stream\n"
	  "Content-Disposition: attachment; filename=\"..\"\n\nx\n"
	  "--b\nContent-Type: application/octet-stream\n"
	  "Content-Disposition: attachment; filename=\"a\x01\x1b" "b\xe2\x80\xae"
	  "gpj.exe\"\n\nx\n"
	  "--b\nContent-Type: Image/JPEG\n\nx\n"
	  "--b--\n", "see files", FALSE, "passwd|part-3.bin|abgpj.exe|part-5.jpg" },
	{ "related without start: the root is the part of its type",
	  "Message-ID: <a3b@x>\nContent-Type: multipart/related; "
	  "type=\"text/html\"; boundary=b\n\n"
	  "--b\nContent-Type: image/png; name=a.png\nContent-ID: <i@x>\n"
	  "Content-Transfer-Encoding: base64\n\niVBORw0KGgo=\n"
	  "--b\nContent-Type: text/html\n\n<p>def <img src=\"cid:i@x\">"
	  "</p>\n--b--\n", "def", TRUE, "a.png" },
	{ "encoded words in file names, split in two",
	  "Message-ID: <a4b@x>\nContent-Type: multipart/mixed; boundary=b\n\n"
	  "--b\nContent-Type: text/plain\n\nsee files\n"
	  "--b\nContent-Type: application/pdf; name=\"=?utf-8?B?"
	  "UmVjaG51bmctTcOkcno=?= =?utf-8?B?MjAyNC5wZGY=?=\"\n"
	  "Content-Disposition: attachment;\n filename=\"=?utf-8?B?"
	  "UmVjaG51bmctTcOkcno=?=\n =?utf-8?B?MjAyNC5wZGY=?=\"\n\nx\n"
	  "--b\nContent-Type: application/pdf; name=\"=?iso-8859-1?Q?"
	  "=C4rger.pdf?=\"\n\nx\n"
	  "--b--\n", "see files", FALSE, "Rechnung-März2024.pdf|Ärger.pdf" },
	{ "CRLF, lone CR and NUL in the body",
	  "Message-ID: <a5@x>\r\nContent-Type: text/plain\r\n\r\n"
	  "one\r\ntwo\rthree\r\n", "one\ntwo\nthree\n", FALSE, "" },
	{ "no Content-Type at all, 8-bit latin-1",
	  "Message-ID: <a6@x>\n\nGr\xfc\xdf" "e aus K\xf6ln\n",
	  "Grüße aus Köln\n", FALSE, "" },
	{ "truncated base64 body",
	  "Message-ID: <a7@x>\nContent-Type: text/plain; charset=utf-8\n"
	  "Content-Transfer-Encoding: base64\n\n5L2g5aW95LiW55WMIQ=",
	  "你好世界!", FALSE, "" },
	{ "unknown charset label",
	  "Message-ID: <a8@x>\nContent-Type: text/plain; charset=x-bogus\n\n"
	  "caf\xc3\xa9\n", "café\n", FALSE, "" },
	{ "headers only",
	  "Message-ID: <a9@x>\nSubject: nothing else", "", FALSE, "" },
	{ "text split around an inline image is joined",
	  "Message-ID: <b1@x>\nContent-Type: multipart/mixed; boundary=b\n\n"
	  "--b\nContent-Type: text/plain\n\nfirst\n\n"
	  "--b\nContent-Type: image/jpeg; name=a.jpg\n"
	  "Content-Disposition: inline\n\nx\n"
	  "--b\nContent-Type: text/plain\n\n\n\n"
	  "--b\nContent-Type: image/jpeg; name=b.jpg\n"
	  "Content-Disposition: inline\n\nx\n"
	  "--b\nContent-Type: text/plain\n\n\nsecond\nline\n--b--\n",
	  "first\n\nsecond\nline", FALSE, "a.jpg|b.jpg" },
	{ "Apple Mail HTML: consecutive text/html parts are joined",
	  "Message-ID: <b2@x>\nContent-Type: multipart/alternative; "
	  "boundary=o\n\n--o\nContent-Type: text/plain\n\n\n"
	  "--o\nContent-Type: multipart/mixed; boundary=m\n\n"
	  "--m\nContent-Type: text/html\n\n<div>one</div>\n"
	  "--m\nContent-Type: image/png; name=p.png\n"
	  "Content-Disposition: inline; filename=p.png\n\nx\n"
	  "--m\nContent-Type: text/html\n\n<div>two</div>\n--m--\n--o--\n",
	  "one\n\ntwo", TRUE, "p.png" },
	{ "Apple Mail HTML with text/plain: the HTML is not an attachment",
	  "Message-ID: <b3@x>\nContent-Type: multipart/alternative; "
	  "boundary=o\n\n--o\nContent-Type: text/plain\n\none\n"
	  "--o\nContent-Type: multipart/mixed; boundary=m\n\n"
	  "--m\nContent-Type: text/html\n\n<div>one</div>\n"
	  "--m\nContent-Type: image/png; name=p.png\n\nx\n"
	  "--m\nContent-Type: text/html\n\n<div>two</div>\n--m--\n--o--\n",
	  "one", FALSE, "p.png" },
	{ "alternative: related HTML root chosen over empty text/plain",
	  "Message-ID: <b4@x>\nContent-Type: multipart/alternative; "
	  "boundary=o\n\n--o\nContent-Type: text/plain\n\n \n"
	  "--o\nContent-Type: multipart/related; boundary=i; "
	  "start=\"<root@x>\"\n\n"
	  "--i\nContent-Type: image/gif; name=logo.gif\n"
	  "Content-ID: <logo@x>\n\nGIF\n"
	  "--i\nContent-Type: text/html\nContent-ID: <root@x>\n\n"
	  "<p>related root</p>\n--i--\n--o--\n",
	  "related root", TRUE, "logo.gif" },
	{ "second text/html alternative is not an attachment",
	  "Message-ID: <b5@x>\nContent-Type: multipart/alternative; "
	  "boundary=o\n\n--o\nContent-Type: text/plain\n\nplain\n"
	  "--o\nContent-Type: text/html\n\n<p>one</p>\n"
	  "--o\nContent-Type: text/html\n\n<p>two</p>\n--o--\n",
	  "plain", FALSE, "" },
	{ "text/calendar, text/csv and text/x-vcard become attachments",
	  "Message-ID: <b6@x>\nContent-Type: multipart/mixed; boundary=b\n\n"
	  "--b\nContent-Type: multipart/alternative; boundary=a\n\n"
	  "--a\nContent-Type: text/plain\n\nmeet\n"
	  "--a\nContent-Type: text/html\n\n<p>meet</p>\n"
	  "--a\nContent-Type: text/calendar; method=REQUEST\n\n"
	  "BEGIN:VCALENDAR\n--a--\n"
	  "--b\nContent-Type: text/csv\n\na,b\n"
	  "--b\nContent-Type: text/x-vcard\n\nBEGIN:VCARD\n"
	  "--b\nContent-Type: text/x-unheard-of\n\n?\n"
	  "--b\nContent-Type: text/calendar\n\nBEGIN:VCALENDAR\n--b--\n",
	  "meet", FALSE,
	  "invite.ics|part-4.csv|part-5.vcf|part-6.txt|part-7.ics" },
	{ "HTML beside text/plain in a mixed is kept as an attachment",
	  "Message-ID: <b7@x>\nContent-Type: multipart/mixed; boundary=b\n\n"
	  "--b\nContent-Type: text/plain\n\nplain\n"
	  "--b\nContent-Type: text/html\n\n<p>other</p>\n"
	  "--b\nContent-Type: text/plain\nContent-Disposition: attachment"
	  "\n\nnameless\n--b--\n",
	  "plain", FALSE, "part-2.html|part-3.txt" },
	{ "top-level text/calendar",
	  "Message-ID: <b8@x>\nContent-Type: text/calendar; method=REPLY\n\n"
	  "BEGIN:VCALENDAR\n", "", FALSE, "invite.ics" },
	{ "winmail.dat is recorded",
	  "Message-ID: <b9@x>\nContent-Type: multipart/mixed; boundary=b\n\n"
	  "--b\nContent-Type: text/plain\n\nsee attached\n"
	  "--b\nContent-Type: application/ms-tnef; name=\"winmail.dat\"\n"
	  "Content-Transfer-Encoding: base64\n\neJ8+IgAA\n--b--\n",
	  "see attached", FALSE, "winmail.dat" },
	{ "format=flowed: soft breaks, stuffing, quote depth",
	  "Message-ID: <c1@x>\nContent-Type: text/plain; format=Flowed\n\n"
	  "one \ntwo\n From x\n> q1 \n> q2\n>> deep \n> shallow\n"
	  ">soft into other depth \nplain\n-- \nsig \nend",
	  "one two\nFrom x\n> q1 q2\n>> deep \n> shallow\n"
	  "> soft into other depth \nplain\n-- \nsig end", FALSE, "" },
	{ "format=flowed; delsp=yes deletes the soft-break space",
	  "Message-ID: <c2@x>\nContent-Type: text/plain; charset=utf-8; "
	  "format=flowed; delsp=yes\n\n"
	  "\xe6\x97\xa5\xe6\x9c\xac \n\xe8\xaa\x9e\nab \ncd\n",
	  "日本語\nabcd\n", FALSE, "" },
	{ "not flowed: trailing spaces stay",
	  "Message-ID: <c3@x>\nContent-Type: text/plain\n\n"
	  "one \ntwo\n", "one \ntwo\n", FALSE, "" },
	{ "multipart/signed: body from the signed part",
	  "Message-ID: <d1@x>\nContent-Type: multipart/signed; "
	  "protocol=\"application/pgp-signature\"; micalg=pgp-sha256; "
	  "boundary=s\n\n--s\nContent-Type: text/plain\n\nsigned text\n"
	  "--s\nContent-Type: application/pgp-signature; name=signature.asc"
	  "\n\n-----BEGIN PGP SIGNATURE-----\n--s--\n",
	  "signed text", FALSE, "signature.asc" },
	{ "multipart/encrypted: empty body, parts recorded",
	  "Message-ID: <d2@x>\nContent-Type: multipart/encrypted; "
	  "protocol=\"application/pgp-encrypted\"; boundary=e\n\n"
	  "--e\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n"
	  "--e\nContent-Type: application/octet-stream; name=encrypted.asc\n"
	  "\n-----BEGIN PGP MESSAGE-----\n--e--\n",
	  "", FALSE, "part-1.asc|encrypted.asc" },
	{ "parts sent without a name get one from their type",
	  "Message-ID: <u1@x>\nContent-Type: multipart/mixed; boundary=b\n\n"
	  "--b\n\nsee below\n--b\nContent-Type: message/rfc822\n\n"
	  "Subject: inner\n\nforwarded\n--b\nContent-Type: image/png\n\n"
	  "png\n--b\nContent-Type: application/x-unheard-of\n\nx\n"
	  "--b\nContent-Type: application/pgp-signature\n\nsig\n"
	  "--b\nContent-Type: application/pkcs7-signature\n\nsig\n--b--\n",
	  "see below", FALSE,
	  "part-2.eml|part-3.png|part-4.bin|signature.asc|smime.p7s" },
	{ "a whole mail of one named text is the body",
	  "Message-ID: <n1@x>\nContent-Type: text/plain; name=\"note.txt\"\n"
	  "Content-Disposition: inline\n\nMy printer is broken.\n",
	  "My printer is broken.\n", FALSE, "" },
	{ "a named HTML mail is the body too",
	  "Message-ID: <n2@x>\nContent-Type: text/html\n"
	  "Content-Disposition: inline; filename=test.html\n\n"
	  "<p>hunter2</p>\n", "hunter2", TRUE, "" },
	{ "... or is in an encoding not known here",
	  "Message-ID: <n13@x>\nContent-Type: text/plain; name=\".signature\"\n"
	  "Content-Disposition: inline\nContent-Transfer-Encoding: x-gzip64\n"
	  "\nH4sIAJ+A5jIAA0VP\n", "", FALSE, ".signature" },
	{ "... unless it says attachment",
	  "Message-ID: <n3@x>\nContent-Type: text/plain\n"
	  "Content-Disposition: attachment; filename=log.txt\n\nlog\n",
	  "", FALSE, "log.txt" },
	{ "raw 8-bit file names are not read as GB18030",
	  "Message-ID: <n4@x>\nContent-Type: multipart/mixed; boundary=b\n\n"
	  "--b\nContent-Type: text/plain\n\nsee file\n--b\n"
	  "Content-Type: text/plain; charset=iso-8859-1; "
	  "name=\"Fr\xf6sche.txt\"\n"
	  "Content-Disposition: attachment; filename=\"Fr\xf6sche.txt\"\n\n"
	  "x\n--b\nContent-Type: application/pdf\nContent-Disposition: "
	  "attachment;\n filename*=utf-8''%C3%BCber.pdf; "
	  "filename=\"\xfc-fallback.pdf\"\n\n%PDF\n--b--\n",
	  "see file", FALSE, "Frösche.txt|über.pdf" },
	{ "UTF-16 text",
	  "Message-ID: <n5@x>\nContent-Type: text/plain; charset=utf-16\n"
	  "Content-Transfer-Encoding: base64\n\n//5IAGkAIADkAA==\n",
	  "Hi ä", FALSE, "" },
	{ "a type without subtype: text is text/plain",
	  "Message-ID: <n6@x>\nContent-Type: text; charset=iso-8859-1\n\n"
	  "Gr\xfc\xdf" "e\n", "Grüße\n", FALSE, "" },
	{ "... any other keeps its name",
	  "Message-ID: <n7@x>\nContent-Type: multipart/mixed; boundary=b\n\n"
	  "--b\n\nbody\n--b\nContent-Type: application-x-gzip; "
	  "name=\"doc.xml.gz\"\n\nxx\n--b--\n", "body", FALSE,
	  "doc.xml.gz" },
	{ "an empty HTML part without a charset (fuzz-message: NULL + 0)",
	  "Message-ID: <n16@x>\nContent-Type: multipart/alternative; "
	  "boundary=b\n\n--b\nContent-Type: text/plain\n\n\n--b\n"
	  "Content-Type: text/html\n\n--b--\n", "", TRUE, "" },
	{ "HTML without a MIME charset: its <meta> names one",
	  "Message-ID: <n12@x>\nContent-Type: text/html\n\n<html><head>"
	  "<meta http-equiv=\"Content-Type\" content=\"text/html; "
	  "charset=koi8-r\"></head><body><p>\xf0\xd2\xc9\xd7\xc5\xd4</p>"
	  "</body></html>\n", "Привет", TRUE, "" },
	{ "boundary folded on without its semicolon",
	  "Message-ID: <n10@x>\nContent-Type: multipart/mixed\n"
	  "\tboundary=\"b\"\n\n--b\n\nbody\n--b\nContent-Type: image/png; "
	  "name=a.png\n\npng\n--b--\n", "body", FALSE, "a.png" },
	{ "... a boundary= inside a quoted value is left alone",
	  "Message-ID: <n11@x>\nContent-Type: multipart/mixed; "
	  "x=\"a boundary=q\";\n boundary=\"b\"\n\n--b\n\nbody\n--b--\n",
	  "body", FALSE, "" },
	{ "a part's header without its blank line",
	  "Message-ID: <n14@x>\r\nContent-Type: multipart/mixed; boundary=b\r\n"
	  "\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee pdf\r\n--b\r\n"
	  "Content-Type: application/pdf; name=x.pdf\r\n"
	  "Content-Transfer-Encoding: base64\r\nJVBERi0xLjQK\r\n--b--\r\n",
	  "see pdf", FALSE, "x.pdf" },
	{ "... nor the top one's",
	  "From ann@x.example Mon Jan  1 00:00:00 2024\nMessage-ID: <n15@x>\n"
	  "Subject: x\nX Bad Name: kept as a field\nhello there\n",
	  "hello there\n", FALSE, "" },
	{ "a line of blanks meant as the header's end (Mutt 1.0)",
	  "Message-ID: <n8@x>\r\nSubject: x\r\nOrganization: Q\r\n \r\n"
	  "The header is not properly terminated.\r\n",
	  "The header is not properly terminated.\n", FALSE, "" },
	{ "... a folded field with a blank line in it stays one",
	  "Message-ID: <n9@x>\nSubject: x\nX-Long: a\n \n b\n"
	  "Content-Type: text/plain\n\nbody\n", "body\n", FALSE, "" },
};

static void
test_mime(void)
{
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(mime_cases); i++) {
		const struct mime_case *c = &mime_cases[i];
		struct message *msg;
		GString *names = g_string_new(NULL);
		guint j;

		g_test_message("mime case: %s", c->name);
		msg = message_parse(c->raw, strlen(c->raw));
		check_invariants(msg);
		g_assert_cmpstr(msg->body, ==, c->body);
		g_assert_cmpint(msg->body_from_html, ==, c->from_html);
		for (j = 0; j < msg->attachments->len; j++) {
			if (j > 0)
				g_string_append_c(names, '|');
			g_string_append(names, attachment(msg, j)->filename);
		}
		g_assert_cmpstr(names->str, ==, c->filenames);
		g_string_free(names, TRUE);
		message_free(msg);
	}
}

static void
test_mime_types(void)
{
	const char *raw =
	    "Message-ID: <t@x>\nContent-Type: multipart/mixed; boundary=b\n\n"
	    "--b\nContent-Type: text/plain\n\nbody\n"
	    "--b\nContent-Type: Image/JPEG; name=a.jpg\n"
	    "Content-Transfer-Encoding: base64\n\n/9j/4AAQ\n--b--\n";
	struct message *msg = message_parse(raw, strlen(raw));

	g_assert_cmpuint(msg->attachments->len, ==, 1);
	g_assert_cmpstr(attachment(msg, 0)->content_type, ==, "image/jpeg");
	g_assert_cmpstr(attachment(msg, 0)->filename, ==, "a.jpg");
	g_assert_cmpuint(attachment(msg, 0)->size, ==, 6);
	message_free(msg);
}

static void
test_long_filename(void)
{
	GString *raw = g_string_new("Message-ID: <lf@x>\nContent-Type: "
	    "multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\n"
	    "x\n--b\nContent-Type: application/pdf\nContent-Disposition: "
	    "attachment; filename=\"");
	struct message *msg;
	const char *name;
	int i;

	for (i = 0; i < 200; i++)
		g_string_append(raw, "文");	/* 600 bytes */
	g_string_append(raw, ".pdf\"\n\n%PDF\n--b--\n");
	msg = message_parse(raw->str, raw->len);
	check_invariants(msg);
	name = attachment(msg, 0)->filename;
	g_assert_cmpuint(strlen(name), <=, 255);
	g_assert_true(g_str_has_suffix(name, ".pdf"));
	g_assert_true(g_str_has_prefix(name, "文文文"));
	message_free(msg);
	g_string_free(raw, TRUE);
}

/* Files uuencoded into the text by old mailers become attachments; text
   that only looks like the start of one stays text. */
static void
test_uuencode(void)
{
	const char *raw =
	    "Message-ID: <uu@x>\nSubject: files\n\nHi, two files:\n\n"
	    "begin 644 hello.txt\n,:&5L;&\\@=V]R;&0*\n`\nend\n\n"
	    "begin 600 ../bytes.bin\n"
	    "H  $\" P0%!@<(\"0H+# T.#Q 1$A,4%187&!D:&QP='A\\@(2(C)\"4F)P\n"
	    " \nend\nThanks\n"
	    "begin 644 not-really.txt\nthis is text\nend\n"
	    "begin 644 \n\":&D`\n`\nend\n"
	    "begin 644 dot.GIF\n\":&D`\n`\nend\n";
	struct message *msg = message_parse(raw, strlen(raw));
	const struct message_attachment *a;
	guint8 bytes[40];

	check_invariants(msg);
	g_assert_cmpstr(msg->body, ==, "Hi, two files:\n\n\nThanks\n"
	    "begin 644 not-really.txt\nthis is text\nend\n");
	g_assert_cmpuint(msg->attachments->len, ==, 4);
	a = attachment(msg, 0);
	g_assert_cmpstr(a->filename, ==, "hello.txt");
	g_assert_cmpstr(a->content_type, ==, "text/plain");
	g_assert_cmpuint(a->size, ==, 12);
	g_assert_cmpmem(g_bytes_get_data(a->content, NULL), 12,
			"hello world\n", 12);
	a = attachment(msg, 1);
	g_assert_cmpstr(a->filename, ==, "bytes.bin");
	for (int i = 0; i < 40; i++)
		bytes[i] = (guint8)i;
	g_assert_cmpmem(g_bytes_get_data(a->content, NULL), a->size, bytes,
			sizeof(bytes));
	g_assert_cmpstr(a->content_type, ==, "application/octet-stream");
	a = attachment(msg, 2);		/* a block without a name */
	g_assert_cmpstr(a->filename, ==, "uuencoded.bin");
	g_assert_cmpmem(g_bytes_get_data(a->content, NULL), a->size, "hi", 2);
	a = attachment(msg, 3);
	g_assert_cmpstr(a->filename, ==, "dot.GIF");
	g_assert_cmpstr(a->content_type, ==, "image/gif");
	message_free(msg);
}

/* A part whose header lacks its blank line keeps its content. */
static void
test_part_header_unended(void)
{
	const char *raw =
	    "Message-ID: <ph@x>\nContent-Type: multipart/mixed; boundary=b\n\n"
	    "--b\n\nsee pdf\n--b\nContent-Type: application/pdf; name=x.pdf\n"
	    "Content-Transfer-Encoding: base64\nJVBERi0xLjQK\n--b--\n";
	struct message *msg = message_parse(raw, strlen(raw));

	check_invariants(msg);
	g_assert_cmpuint(msg->attachments->len, ==, 1);
	g_assert_cmpstr(attachment(msg, 0)->filename, ==, "x.pdf");
	g_assert_cmpmem(g_bytes_get_data(attachment(msg, 0)->content, NULL),
			attachment(msg, 0)->size, "%PDF-1.4\n", 9);
	g_assert_nonnull(msg->parse_error);	/* still said */
	message_free(msg);
}

/* An opaque S/MIME signature (the signed mail inside the PKCS #7, made
   with "openssl smime -sign -nodetach"): its text is the body, its
   attachment an attachment. */
static void
test_smime_opaque(void)
{
	const char *raw =
	    "From: Ann <ann@x.example>\nMessage-ID: <op@x>\nSubject: printer\n"
	    "MIME-Version: 1.0\n"
	    "Content-Disposition: attachment; filename=\"smime.p7m\"\n"
	    "Content-Type: application/x-pkcs7-mime; smime-type=signed-data; "
	    "name=\"smime.p7m\"\nContent-Transfer-Encoding: base64\n\n"
	    "MIIB8QYJKoZIhvcNAQcCoIIB4jCCAd4CAQExDzANBglghkgBZQMEAgEFADCCATEG\n"
	    "CSqGSIb3DQEHAaCCASIEggEeQ29udGVudC1UeXBlOiBtdWx0aXBhcnQvbWl4ZWQ7\n"
	    "IGJvdW5kYXJ5PWluDQoNCi0taW4NCkNvbnRlbnQtVHlwZTogdGV4dC9wbGFpbjsg\n"
	    "Y2hhcnNldD11dGYtOA0KQ29udGVudC1UcmFuc2Zlci1FbmNvZGluZzogOGJpdA0K\n"
	    "DQpNZWluIERydWNrZXIgZHJ1Y2t0IG5pY2h0LiBHcsO8w59lLCBBbm4NCi0taW4N\n"
	    "CkNvbnRlbnQtVHlwZTogdGV4dC9wbGFpbjsgbmFtZT1sb2cudHh0DQpDb250ZW50\n"
	    "LURpc3Bvc2l0aW9uOiBhdHRhY2htZW50OyBmaWxlbmFtZT1sb2cudHh0DQoNCmVy\n"
	    "cm9yIDQyDQotLWluLS0NCjGBkjCBjwIBATAmMA4xDDAKBgNVBAMMA0FubgIUGjK+\n"
	    "HhvHpD4mg5Fj1H4cc2ILw5UwDQYJYIZIAWUDBAIBBQAwCgYIKoZIzj0EAwIERzBF\n"
	    "AiAvioTcAI3DwE27maswLfNK5GP2GEnVUWf54CvEBk8xjAIhAL6DNzS09PsvcLJc\n"
	    "Hlcb/sojl6/ONlfNs2VHCWMLtXqy\n";
	const char *broken =
	    "Message-ID: <op2@x>\nContent-Type: application/pkcs7-mime; "
	    "smime-type=signed-data\nContent-Transfer-Encoding: base64\n\n"
	    "MIIB8QYJKoZIhvcNAQcCoIIB4jCCAd4CAQExDzANBglghkgBZQMEAgEFADCCATEG\n";
	struct message *msg = message_parse(raw, strlen(raw));

	check_invariants(msg);
	g_assert_cmpstr(msg->body, ==, "Mein Drucker druckt nicht. Grüße, Ann");
	g_assert_cmpuint(msg->attachments->len, ==, 1);
	g_assert_cmpstr(attachment(msg, 0)->filename, ==, "log.txt");
	g_assert_cmpuint(attachment(msg, 0)->size, ==, 8);
	message_free(msg);
	/* cut short: kept as the attachment it is, and said */
	msg = message_parse(broken, strlen(broken));
	check_invariants(msg);
	g_assert_cmpstr(msg->body, ==, "");
	g_assert_cmpuint(msg->attachments->len, ==, 1);
	g_assert_nonnull(strstr(msg->parse_error, "S/MIME"));
	message_free(msg);
}

/* Parse raw and check the body it gives. */
static void
assert_body(const char *raw, const char *body)
{
	struct message *msg = message_parse(raw, strlen(raw));

	g_assert_cmpstr(msg->body, ==, body);
	message_free(msg);
}

/* What a third sweep of real-world test mail found. */
static void
test_sweep_cases(void)
{
	struct message *msg;
	const char *raw;

	/* an empty group is nobody */
	raw = "From: Alice <a@x.example>\nTo: undisclosed-recipients:;\n"
	    "Message-ID: <s1@x>\n\nhi\n";
	msg = message_parse(raw, strlen(raw));
	g_assert_cmpuint(msg->to->len, ==, 0);
	message_free(msg);
	/* "From: <>" has neither address nor name */
	raw = "From: <>\nMessage-ID: <s2@x>\n\nhi\n";
	msg = message_parse(raw, strlen(raw));
	g_assert_cmpstr(msg->from.addr, ==, "");
	g_assert_cmpstr(msg->from.name, ==, "");
	message_free(msg);
	/* an empty first line, then an indented first field */
	raw = "\r\n From: Alice <a@x.example>\r\nSubject: s3\r\n"
	    "Message-ID: <s3@x>\r\n\r\nhi\r\n";
	msg = message_parse(raw, strlen(raw));
	g_assert_cmpstr(msg->from.addr, ==, "a@x.example");
	g_assert_cmpstr(msg->subject, ==, "s3");
	g_assert_cmpstr(msg->body, ==, "hi\n");
	message_free(msg);
	/* ... but an empty first line before text is a mail without header */
	raw = "\nhello: not a header\n";
	msg = message_parse(raw, strlen(raw));
	check_invariants(msg);
	message_free(msg);
	/* plain words labelled base64 are the text */
	assert_body("Message-ID: <s4@x>\nContent-Transfer-Encoding: base64\n\n"
	    "My printer is broken, please help.\n",
	    "My printer is broken, please help.\n");
	/* ... real base64 is decoded */
	assert_body("Message-ID: <s5@x>\nContent-Transfer-Encoding: base64\n\n"
	    "TXkgcHJpbnRlciBpcyBicm9rZW4u\n",
	    "My printer is broken.");
	/* ... and so is base64 with a footer or a stray character */
	raw = "Message-ID: <s8@x>\nContent-Transfer-Encoding: base64\n\n"
	    "TXkgcHJpbnRlciBpcyBicm9rZW4u\n\n-- scanned by Virus Guard, "
	    "no virus found --\n";
	msg = message_parse(raw, strlen(raw));
	g_assert_true(g_str_has_prefix(msg->body, "My printer is broken."));
	message_free(msg);
	assert_body("Message-ID: <s9@x>\nContent-Transfer-Encoding: base64\n\n"
	    "TXkgcHJp*bnRlciBpcyBicm9rZW4u\n",
	    "My printer is broken.");
	assert_body("Message-ID: <s11@x>\nContent-Transfer-Encoding: base64\n\n"
	    "TXkgcHJpbnRlciBpcyBicm9rZW4uCg== ignored\n",
	    "My printer is broken.\n");
	/* a field folded without indentation, an obsolete "Name :" after a
	   line with no colon: the header goes on */
	raw = "Message-ID: <s10@x>\nTo: a@x.example,\nb@x.example\nFrom\n"
	    " : <c@x.example>\nSubject : hi\n\nbody\n";
	msg = message_parse(raw, strlen(raw));
	g_assert_cmpstr(msg->subject, ==, "hi");
	g_assert_cmpstr(msg->body, ==, "body\n");
	message_free(msg);
	/* base64 words of a length none has stay as written */
	raw = "Subject: =?UTF-8?B?nnDusSNdG92w6Fuw61fMjAxOF8wMy0xMzMyNTMzMTkzLn"
	    "BkZg==?=\nMessage-ID: <s6@x>\n\nhi\n";
	msg = message_parse(raw, strlen(raw));
	g_assert_cmpstr(msg->subject, ==, "=?UTF-8?B?nnDusSNdG92w6Fuw61fMjAxOF8w"
	    "My0xMzMyNTMzMTkzLnBkZg==?=");
	message_free(msg);
	/* a named "text" part that is binary stays a file */
	raw = "Message-ID: <s7@x>\nContent-Type: text/plain; name=\"a.txt\"\n"
	    "Content-Transfer-Encoding: base64\n\nR0lGODlhAQABAAAAACw=\n";
	msg = message_parse(raw, strlen(raw));
	g_assert_cmpstr(msg->body, ==, "");
	g_assert_cmpuint(msg->attachments->len, ==, 1);
	g_assert_cmpstr(attachment(msg, 0)->filename, ==, "a.txt");
	message_free(msg);
}

/* ---- hostile input ---- */

static void
test_degenerate(void)
{
	static const char *const inputs[] = {
		"", "\n", "\r\n\r\n", "no colon at all", ":", "::::\n\n",
		"From \n", "\x00\x01\x02", "Subject:", "Content-Type: multipart/"
		"mixed\n\n--\n--\n", "Content-Type: multipart/mixed; boundary=\"\""
		"\n\n--\n\n----\n", "Content-Type: message/rfc822\n\n",
		"Content-Type: message/rfc822\n\nContent-Type: message/rfc822\n\n",
		"Subject: =?utf-8?B?AA==?=\n\n\x00",
		"Content-Transfer-Encoding: quoted-printable\n\n=\n=4\n=ZZ",
		"Content-Type: multipart/signed; boundary=s\n\n--s--\n",
		"Content-Type: multipart/signed; boundary=s\n\n",
		"Content-Type: multipart/encrypted; boundary=e\n\n--e--\n",
		"Content-Type: multipart/alternative; boundary=a\n\n--a--\n",
		"Content-Type: multipart/related; start=\"<no@x>\"; boundary=r"
		"\n\n--r--\n",
		"Content-Type: multipart/related; start=<>; boundary=r\n\n"
		"--r\nContent-ID: <>\n\nx\n--r--\n",
		"Content-Type: text/plain; format=flowed; delsp=yes\n\n"
		" \n  \n> \n>> \n \n-- \n>",
		"Content-Type: application/pkcs7-mime\n\n",
	};
	struct message *msg;
	size_t i;

	msg = message_parse(NULL, 0);
	check_invariants(msg);
	g_assert_true(msg->message_id_synthetic);
	g_assert_cmpstr(msg->body, ==, "");
	message_free(msg);
	message_free(NULL);

	for (i = 0; i < G_N_ELEMENTS(inputs); i++) {
		size_t len = strlen(inputs[i]);

		if (i == 7)
			len = 3;
		msg = message_parse(inputs[i], len);
		check_invariants(msg);
		g_assert_cmpuint(g_bytes_get_size(msg->raw), ==, len);
		message_free(msg);
	}
}

static void
test_deep_nesting(void)
{
	GString *raw = g_string_new("Message-ID: <deep@x>\n");
	struct message *msg;
	int i, depth = 10000;

	for (i = 0; i < depth; i++)
		g_string_append_printf(raw, "Content-Type: multipart/mixed; "
		    "boundary=\"b%d\"\n\n--b%d\n", i, i);
	g_string_append(raw, "Content-Type: text/plain\n\ndeep body\n");
	for (i = depth - 1; i >= 0; i--)
		g_string_append_printf(raw, "--b%d--\n", i);
	msg = message_parse(raw->str, raw->len);
	check_invariants(msg);
	g_assert_cmpstr(msg->message_id, ==, "deep@x");
	g_assert_nonnull(msg->parse_error);
	message_free(msg);
	g_string_free(raw, TRUE);
}

static void
test_many_parts(void)
{
	GString *raw = g_string_new("Message-ID: <many@x>\nContent-Type: "
	    "multipart/mixed; boundary=b\n\n");
	struct message *msg;
	int i;

	for (i = 0; i < 3000; i++)
		g_string_append_printf(raw, "--b\nContent-Type: image/png; "
		    "name=p%d.png\n\nx\n", i);
	g_string_append(raw, "--b--\n");
	msg = message_parse(raw->str, raw->len);
	check_invariants(msg);
	g_assert_cmpuint(msg->attachments->len, <, 1000);
	g_assert_cmpuint(msg->attachments->len, >, 900);
	g_assert_nonnull(msg->parse_error);
	message_free(msg);
	g_string_free(raw, TRUE);
}

static void
test_huge_html(void)
{
	GString *raw = g_string_new("Message-ID: <huge@x>\nContent-Type: "
	    "text/html; charset=utf-8\n\n<html><body>");
	struct message *msg;
	gint64 start;

	while (raw->len < 5 * 1024 * 1024)
		g_string_append(raw, "<div><p>Lorem <b>ipsum</b> dolor "
		    "<a href=\"https://example.org/x\">sit</a> amet</p></div>\n");
	g_string_append(raw, "</body></html>\n");
	start = g_get_monotonic_time();
	msg = message_parse(raw->str, raw->len);
	g_test_message("5 MB HTML parsed in %.3f s",
	    (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC);
	check_invariants(msg);
	g_assert_true(msg->body_from_html);
	g_assert_true(g_str_has_prefix(msg->body,
	    "Lorem ipsum dolor sit <https://example.org/x> amet\n\n"));
	message_free(msg);
	g_string_free(raw, TRUE);
}

static void
test_html_deep_and_links(void)
{
	GString *html = g_string_new(NULL);
	char *text;
	int i;
	gint64 start;

	for (i = 0; i < 10000; i++)
		g_string_append(html, "<div><span>");
	g_string_append(html, "inner");
	for (i = 0; i < 10000; i++)
		g_string_append(html, "</span></div>");
	text = message_html_to_text(html->str, html->len);
	g_assert_nonnull(text);
	g_assert_nonnull(strstr(text, "inner"));
	g_free(text);

	g_string_truncate(html, 0);
	for (i = 0; i < 10000; i++)
		g_string_append_printf(html,
		    "<li><a href=\"https://e.example/%d\">link %d</a>", i, i);
	start = g_get_monotonic_time();
	text = message_html_to_text(html->str, html->len);
	g_assert_cmpint(g_get_monotonic_time() - start, <, 2 * G_USEC_PER_SEC);
	g_assert_true(g_str_has_prefix(text,
	    "- link 0 <https://e.example/0>\n- link 1 <https://e.example/1>"));
	g_free(text);
	g_string_free(html, TRUE);
}

/* Random damage to every sample must never break the invariants. */
static void
test_mutations(void)
{
	GRand *rand = g_rand_new_with_seed(20240305);
	size_t i;
	int round;

	for (i = 0; i < G_N_ELEMENTS(sample_cases); i++) {
		char *path = sample_path(sample_cases[i].file);
		char *data;
		gsize len;

		g_assert_true(g_file_get_contents(path, &data, &len, NULL));
		for (round = 0; round < 60; round++) {
			char *copy = g_memdup2(data, len);
			gsize clen = len;
			struct message *msg;
			int k, flips = g_rand_int_range(rand, 1, 20);

			for (k = 0; k < flips; k++) {
				gsize pos = g_rand_int_range(rand, 0,
				    (gint32)len);
				static const char bytes[] =
				    "\0\r\n:;=<>\"\\-\x80\xff\x1b?";

				copy[pos] = bytes[g_rand_int_range(rand, 0,
				    sizeof(bytes) - 1)];
			}
			if (round % 3 == 0)
				clen = g_rand_int_range(rand, 0, (gint32)len);
			msg = message_parse(copy, clen);
			check_invariants(msg);
			(void)autoreply_classify(msg, NULL);
			message_free(msg);
			g_free(copy);
		}
		g_free(data);
		g_free(path);
	}
	g_rand_free(rand);
}

/* ---- charset conversion ---- */

static const struct charset_case {
	const char *in;
	gssize len;		/* -1: strlen */
	const char *charset;
	const char *out;
} charset_cases[] = {
	{ "plain", -1, NULL, "plain" },
	{ "", -1, "utf-8", "" },
	{ "\xef\xbb\xbfwith bom", -1, "utf-8", "with bom" },
	{ "\xd6\xd0\xce\xc4", -1, "gb2312", "中文" },
	{ "\xd6\xd0\xce\xc4", -1, "GBK", "中文" },
	{ "\x86\xb4", -1, "gb2312", "喆" },		/* GBK-only char */
	{ "\xd6\xd0\xce\xc4", -1, NULL, "中文" },	/* guessed */
	{ "\xa4\xa4\xa4\xe5", -1, "big5", "中文" },
	{ "\xb3\x5c", -1, "big5", "許" },
	{ "\xc7\xd1\xb1\xb9", -1, "ks_c_5601-1987", "한국" },
	{ "\x93quoted\x94 \x80", -1, "iso-8859-1", "“quoted” €" },
	{ "caf\xc3\xa9", -1, "iso-8859-1", "café" },	/* mislabelled */
	{ "caf\xc3\xa9", -1, "us-ascii", "café" },
	{ "caf\xe9", -1, "utf-8", "café" },		/* not UTF-8 at all */
	{ "caf\xe9", -1, NULL, "café" },
	{ "M\xfcller", -1, NULL, "Müller" },	/* not GB18030 "M<han>ler" */
	{ "\xd0\xd2\xc9\xd7\xc5\xd4", -1, "koi8-r", "привет" },
	{ "\x1b$B$3$s$K$A$O\x1b(B", -1, "iso-2022-jp", "こんにちは" },
	/* the NEC and IBM extensions Microsoft and Japanese mailers use
	   (CP50221): a "①" or "№" must not leave the text undecoded */
	{ "\x1b$B2q5D-!\x1b(B", -1, "iso-2022-jp", "会議①" },
	{ "No\x1b$B-b\x1b(B41 \x1b(I6\x1b(B", -1, "ISO-2022-JP", "No№41 ｶ" },
	{ "\x82\xb1\x82\xf1", -1, "shift_jis", "こん" },
	{ "a\0b", 3, "utf-8", "ab" },
	{ "\xff\xfe\xfd", -1, "x-unknown", "\xc3\xbf\xc3\xbe\xc3\xbd" },
	{ "\xd6\xd0\xce\xc4\xff", -1, "gbk", "中文\xef\xbf\xbd" },
	/* UTF-16: its NUL bytes belong to the characters */
	{ "H\0i\0 \0\xe4\0", 8, "utf-16le", "Hi ä" },
	{ "\0H\0i", 4, "UTF-16BE", "Hi" },
	{ "\xff\xfeH\0i\0", 6, NULL, "Hi" },	/* undeclared, BOM */
	{ "H\0\0\0", 4, "UTF-32LE", "H" },
	/* undeclared UTF-8 with a flaw: UTF-8 all the same */
	{ "\xd0\x9c\xd0\xb8\xd1\x80 \xff \xd0\xb4\xd0\xbe\xd0\xbc", -1,
	  NULL, "Мир \xef\xbf\xbd дом" },
	/* enough undeclared 8-bit text to tell its language: uchardet
	   (also 8-bit text labelled US-ASCII) */
	{ "\xfa\xc4\xd2\xc1\xd7\xd3\xd4\xd7\xd5\xca\xd4\xc5! \xf5 \xcd\xc5\xce\xd1 \xce\xc5 \xd2\xc1\xc2\xcf\xd4\xc1\xc5\xd4 \xd0\xd2\xc9\xce\xd4\xc5\xd2.", -1, NULL,
	  "Здравствуйте! У меня не работает принтер." },
	{ "\xc7\xe4\xf0\xe0\xe2\xf1\xf2\xe2\xf3\xe9\xf2\xe5! \xd3 \xec\xe5\xed\xff \xed\xe5 \xf0\xe0\xe1\xee\xf2\xe0\xe5\xf2 \xef\xf0\xe8\xed\xf2\xe5\xf0.", -1, NULL,
	  "Здравствуйте! У меня не работает принтер." },
	{ "\xc7\xe4\xf0\xe0\xe2\xf1\xf2\xe2\xf3\xe9\xf2\xe5! \xd3 \xec\xe5\xed\xff \xed\xe5 \xf0\xe0\xe1\xee\xf2\xe0\xe5\xf2 \xef\xf0\xe8\xed\xf2\xe5\xf0.", -1, "us-ascii",
	  "Здравствуйте! У меня не работает принтер." },
	{ "\x83v\x83\x8a\x83\x93\x83^\x81[\x82\xaa\x93\xae\x82\xab\x82\xdc\x82\xb9\x82\xf1\x81" "B\x8f\x95\x82\xaf\x82\xc4\x82\xad\x82\xbe\x82\xb3\x82\xa2\x81" "B", -1, NULL,
	  "プリンターが動きません。助けてください。" },
	{ "\xa5\xd7\xa5\xea\xa5\xf3\xa5\xbf\xa1\xbc\xa4\xac\xc6\xb0\xa4\xad\xa4\xde\xa4\xbb\xa4\xf3\xa1\xa3\xbd\xf5\xa4\xb1\xa4\xc6\xa4\xaf\xa4\xc0\xa4\xb5\xa4\xa4\xa1\xa3", -1, NULL,
	  "プリンターが動きません。助けてください。" },
	{ "\xbe\xc8\xb3\xe7\xc7\xcf\xbc\xbc\xbf\xe4, \xc7\xc1\xb8\xb0\xc5\xcd\xb0\xa1 \xc0\xdb\xb5\xbf\xc7\xcf\xc1\xf6 \xbe\xca\xbd\xc0\xb4\xcf\xb4\xd9.", -1, NULL,
	  "안녕하세요, 프린터가 작동하지 않습니다." },
	{ "\xc3\xe5\xe9\xe1 \xf3\xe1\xf2, \xef \xe5\xea\xf4\xf5\xf0\xf9\xf4\xde\xf2 \xec\xef\xf5 \xe4\xe5\xed \xeb\xe5\xe9\xf4\xef\xf5\xf1\xe3\xe5\xdf.", -1, NULL,
	  "Γεια σας, ο εκτυπωτής μου δεν λειτουργεί." },
	{ "M\xfcller", -1, "us-ascii", "Müller" },
	/* a label that does not convert: uchardet too */
	{ "\xa4\xa2\xa4\xce\xa1\xa2\xbf\xb4\xc5\xf6\xa4\xbf\xa4\xea\xa4\xac\xa4\xa2\xa4\xea\xa4\xde\xa4\xb9\xa1\xa3\xa4\xbf\xa4\xd6\xa4\xf3\xa1\xa2\xa4\xb3\xa4\xce\xc1\xb0\xa4\xce\xcc\xe4\xc2\xea\xa4\xc7\xa4\xb9\xa1\xa3", -1, "iso-2022-jp",
	  "あの、心当たりがあります。たぶん、この前の問題です。" },
	/* one Han stuck to a Latin word is no Chinese */
	{ "Die Flexibilit\xe4t ist gut.", -1, NULL, "Die Flexibilität ist gut." },
	{ "Python\xb1\xe0\xb3\xcc", -1, NULL, "Python编程" },
	/* ... but Latin-1 with one UTF-8-like pair is Latin-1 */
	{ "M\xfcller \xc3\xa9t\xe9 d\xe9j\xe0", -1, NULL,
	  "Müller Ã©té déjà" },
};

static void
test_charset(void)
{
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(charset_cases); i++) {
		const struct charset_case *c = &charset_cases[i];
		size_t len = c->len < 0 ? strlen(c->in) : (size_t)c->len;
		char *out;

		g_test_message("charset case %zu", i);
		out = message_text_to_utf8(c->in, len, c->charset);
		g_assert_true(g_utf8_validate(out, -1, NULL));
		g_assert_cmpstr(out, ==, c->out);
		g_free(out);
	}
	/* every byte value, any label: valid UTF-8 */
	{
		char all[256];
		static const char *const labels[] = {
			NULL, "utf-8", "gbk", "big5", "iso-2022-jp", "utf-7",
			"utf-16", "koi8-r", "windows-1252", "nonsense\n",
		};

		for (i = 0; i < 256; i++)
			all[i] = (char)(255 - i);
		for (i = 0; i < G_N_ELEMENTS(labels); i++) {
			char *out = message_text_to_utf8(all, sizeof(all),
			    labels[i]);

			g_assert_true(g_utf8_validate(out, -1, NULL));
			g_free(out);
		}
	}
}

/* ---- HTML to text ---- */

static const struct html_case {
	const char *html;
	const char *text;
} html_cases[] = {
	{ "", "" },
	{ "just text", "just text" },
	{ "<p>a</p><p>b</p>", "a\n\nb" },
	{ "a<br>b<br/><br>c", "a\nb\n\nc" },
	{ "<ul><li>one<li>two</ul>", "- one\n- two" },
	{ "<script>x()</script><style>p{}</style>shown", "shown" },
	{ "<head><title>T</title></head><body>B</body>", "B" },
	{ "<a href=\"http://x.example/\">site</a>", "site <http://x.example/>" },
	{ "<a href=\"http://x.example/\">http://x.example/</a>",
	  "http://x.example/" },
	{ "<a href=\"mailto:a@b\">write</a>", "write" },
	{ "<a href=\"javascript:evil()\">click</a>", "click" },
	{ "a   lot\n\n of\t space", "a lot of space" },
	{ "<pre>  keep\n    this</pre>", "keep\n    this" },
	{ "&lt;&amp;&gt; &quot;&#233;&#x4e2d;&eacute;", "<&> \"é中é" },
	{ "<div>x</div><div>y</div>", "x\ny" },
	{ "<p>a</p><p></p><p></p><p></p><br><br><br><p>b</p>", "a\n\nb" },
	{ "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>",
	  "a b\nc" },
	{ "<h1>Title</h1>text", "Title\n\ntext" },
	{ "<blockquote>q</blockquote>after", "q\n\nafter" },
	{ "unclosed <b>bold <i>both", "unclosed bold both" },
	{ "<meta charset=\"gbk\"><p>中文</p>", "中文" },
	{ "<!-- comment -->visible", "visible" },
	{ "caf\xe9 <b>au lait</b>", "café au lait" },		/* not UTF-8 */
};

static void
test_html(void)
{
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(html_cases); i++) {
		char *text;

		g_test_message("html case %zu", i);
		text = message_html_to_text(html_cases[i].html,
		    strlen(html_cases[i].html));
		g_assert_cmpstr(text, ==, html_cases[i].text);
		g_free(text);
	}
}

/* ---- auto-reply classification ---- */

static const struct autoreply_case {
	const char *raw;
	enum autoreply_class cls;
	const char *reason;
} autoreply_cases[] = {
	{ "From: a@x.example\nSubject: help\n\n", AUTOREPLY_HUMAN, NULL },
	{ "From: a@x.example\nAuto-Submitted: no\n\n", AUTOREPLY_HUMAN, NULL },
	{ "From: a@x.example\nAuto-Submitted: No (manual)\n\n",
	  AUTOREPLY_HUMAN, NULL },
	{ "From: a@x.example\nAuto-Submitted: auto-generated\n\n",
	  AUTOREPLY_AUTO, "auto-submitted" },
	{ "From: a@x.example\nPrecedence: bulk\n\n", AUTOREPLY_AUTO,
	  "precedence" },
	{ "From: a@x.example\nPrecedence: JUNK\n\n", AUTOREPLY_AUTO,
	  "precedence" },
	{ "From: a@x.example\nPrecedence: list\n\n", AUTOREPLY_AUTO,
	  "precedence" },
	{ "From: a@x.example\nPrecedence: first-class\n\n", AUTOREPLY_HUMAN,
	  NULL },
	{ "From: a@x.example\nList-Id: <l.x.example>\n\n", AUTOREPLY_AUTO,
	  "list-id" },
	{ "From: a@x.example\nX-Autoreply: yes\n\n", AUTOREPLY_AUTO,
	  "x-autoreply" },
	{ "From: a@x.example\nX-Autorespond: yes\n\n", AUTOREPLY_AUTO,
	  "x-autoreply" },
	{ "From: a@x.example\nX-Auto-Response-Suppress: All\n\n",
	  AUTOREPLY_HUMAN, NULL },
	{ "From: a@x.example\nReturn-Path: <>\n\nhello\n", AUTOREPLY_AUTO,
	  "null-return-path" },
	{ "From: a@x.example\nReturn-Path: <>\n\nYour message could not be "
	  "delivered.\n", AUTOREPLY_BOUNCE, "null-return-path" },
	{ "From: Mailer-Daemon@x.example\n\n", AUTOREPLY_BOUNCE,
	  "mailer-daemon" },
	{ "From: postmaster@x.example\n\nThis is the mail system at host "
	  "x.example.\nI'm sorry to have to inform you that your message "
	  "could not be delivered\n", AUTOREPLY_BOUNCE, "mailer-daemon" },
	/* a person writing as postmaster: not a bounce (and not answered:
	   autoreply_address_unanswerable()) */
	{ "From: Bob <postmaster@x.example>\nSubject: your links\n\nHi, "
	  "the links in your newsletter are broken.\n", AUTOREPLY_HUMAN,
	  NULL },
	{ "From: postmaster.bob@x.example\n\n", AUTOREPLY_HUMAN, NULL },
	{ "From: shop@x.example\nList-Unsubscribe: "
	  "<https://x.example/u?id=1>\n\nSale!\n", AUTOREPLY_AUTO,
	  "list-unsubscribe" },
	{ "Subject: hi\n\n", AUTOREPLY_AUTO, "no-from" },
	{ "From: a@x.example\nSubject: Out of Office: back Monday\n\n",
	  AUTOREPLY_AUTO, "out-of-office-subject" },
	{ "From: a@x.example\nSubject: AUTOMATIC REPLY: x\n\n",
	  AUTOREPLY_AUTO, "out-of-office-subject" },
	{ "From: a@x.example\nSubject: Abwesenheitsnotiz: x\n\n",
	  AUTOREPLY_AUTO, "out-of-office-subject" },
	{ "From: a@x.example\nSubject: =?utf-8?Q?R=C3=89PONSE_AUTOMATIQUE?=\n\n",
	  AUTOREPLY_AUTO, "out-of-office-subject" },
	{ "From: a@x.example\nSubject: =?utf-8?B?6Ieq5Yqo5Zue5aSNOiDkvaDlpb0=?="
	  "\n\n", AUTOREPLY_AUTO, "out-of-office-subject" },
	{ "From: a@x.example\nSubject: =?utf-8?B?6Ieq5YuV5Zue6KaG?=\n\n",
	  AUTOREPLY_AUTO, "out-of-office-subject" },
	{ "From: a@x.example\nSubject: Undeliverable: x\n\n",
	  AUTOREPLY_BOUNCE, "bounce-subject" },
	{ "From: a@x.example\nSubject: Delivery Status Notification (Failure)"
	  "\n\n", AUTOREPLY_BOUNCE, "bounce-subject" },
	{ "From: a@x.example\nSubject: Mail delivery failed: x\n\n",
	  AUTOREPLY_BOUNCE, "bounce-subject" },
	{ "From: a@x.example\nSubject: Returned mail: x\n\n",
	  AUTOREPLY_BOUNCE, "bounce-subject" },
	{ "From: a@x.example\nSubject: Re: Out of office\n\n",
	  AUTOREPLY_HUMAN, NULL },
	{ "From: a@x.example\nSubject: My out of office question\n\n",
	  AUTOREPLY_HUMAN, NULL },
	{ "From: a@x.example\nContent-Type: multipart/report; "
	  "report-type=delivery-status; boundary=b\n\n--b\n\nx\n--b--\n",
	  AUTOREPLY_BOUNCE, "dsn" },
	/* read receipts, abuse reports, any report: never answered, not
	   bounces either */
	{ "From: a@x.example\nContent-Type: multipart/report; "
	  "report-type=disposition-notification; boundary=b\n\n--b\n\nx\n"
	  "--b--\n", AUTOREPLY_AUTO, "report" },
	{ "From: feedback@arf.x.example\nContent-Type: multipart/report; "
	  "report-type=\"feedback-report\"; boundary=b\n\n--b\n\nx\n"
	  "--b--\n", AUTOREPLY_AUTO, "report" },
	{ "From: a@x.example\nContent-Type: multipart/report; boundary=b\n\n"
	  "--b\n\nx\n--b--\n", AUTOREPLY_AUTO, "report" },
	/* list software that writes no List-Id */
	{ "From: a@x.example\nMailing-List: contact l-help@x.example; run by "
	  "ezmlm\nSubject: hi\n\nx\n", AUTOREPLY_AUTO, "list" },
	{ "From: a@x.example\nDelivered-To: mailing list l@x.example\n"
	  "Subject: hi\n\nx\n", AUTOREPLY_AUTO, "list" },
	{ "From: a@x.example\nList-Post: <mailto:l@x.example>\n\nx\n",
	  AUTOREPLY_AUTO, "list" },
	{ "From: a@x.example\nSender: owner-mhtml@LIST.example\n\nx\n",
	  AUTOREPLY_AUTO, "list-sender" },
	{ "From: a@x.example\nReturn-Path: <l+bounces-help@x.example>\n\nx\n",
	  AUTOREPLY_AUTO, "list-sender" },
	{ "From: l+owner@x.example\nSubject: Post to l denied\n\nx\n",
	  AUTOREPLY_AUTO, "list-sender" },
	{ "From: a@x.example\nSender: Ann <ann@x.example>\n\nx\n",
	  AUTOREPLY_HUMAN, NULL },
	/* another ticket system's tag before the auto-reply's subject */
	{ "From: rt@x.example\nSubject: [x.example #33575] AutoReply: FYI\n"
	  "\nx\n", AUTOREPLY_AUTO, "out-of-office-subject" },
	{ "From: a@x.example\nSubject: [ACME #5] [ext] Out of office\n\nx\n",
	  AUTOREPLY_AUTO, "out-of-office-subject" },
	{ "From: a@x.example\nSubject: Re: [ACME #5] Out of office\n\nx\n",
	  AUTOREPLY_HUMAN, NULL },
	/* a delivery report without report-type is a bounce */
	{ "From: postmaster@x.example\nContent-Type: multipart/report; "
	  "boundary=b\n\n--b\n\nx\n--b\nContent-Type: "
	  "message/delivery-status\n\nStatus: 5.0.0\n--b--\n",
	  AUTOREPLY_BOUNCE, "dsn" },
	/* a report attached to a person's mail is that person's mail */
	{ "From: a@x.example\nContent-Type: multipart/mixed; boundary=b\n\n"
	  "--b\n\nsee the receipt\n--b\nContent-Type: multipart/report; "
	  "report-type=disposition-notification; boundary=c\n\n--c\n\nx\n"
	  "--c--\n--b--\n", AUTOREPLY_HUMAN, NULL },
};

static void
test_autoreply(void)
{
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(autoreply_cases); i++) {
		const struct autoreply_case *c = &autoreply_cases[i];
		struct message *msg;
		const char *reason = "unset";

		g_test_message("autoreply case %zu", i);
		msg = message_parse(c->raw, strlen(c->raw));
		g_assert_cmpint(autoreply_classify(msg, &reason), ==, c->cls);
		g_assert_cmpstr(reason, ==, c->reason);
		message_free(msg);
	}
	g_assert_cmpint(autoreply_classify(NULL, NULL), ==, AUTOREPLY_HUMAN);
}

static void
test_autoreply_unanswerable(void)
{
	static const char *const yes[] = {
		"noreply@x.example", "No-Reply@x.example",
		"gmail-noreply@google.example", "do_not_reply@x.example",
		"donotreply.billing@x.example", "NOREPLY+123@x.example",
		"postmaster@x.example", "MAILER-DAEMON@x.example",
		"owner-l@x.example", "l-owner@x.example",
		"freebsd-hackers+owner@x.example", "l-request@x.example",
		"l-bounces@x.example", "l-bounces+ann=y.example@x.example",
		"l+bounces-help@x.example",
	};
	static const char *const no[] = {
		"reply@x.example", "nora.reilly@x.example",
		"postmaster.bob@x.example", "ann@noreply.example",
		"support@x.example", "", "noreply",
		"owner@x.example", "owners.club@x.example",
		"request@x.example", "bounces@x.example",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(yes); i++) {
		g_test_message("%s", yes[i]);
		g_assert_true(autoreply_address_unanswerable(yes[i]));
	}
	for (size_t i = 0; i < G_N_ELEMENTS(no); i++) {
		g_test_message("%s", no[i]);
		g_assert_false(autoreply_address_unanswerable(no[i]));
	}
	g_assert_false(autoreply_address_unanswerable(NULL));
}

/* Charsets named in headers are pinned (message-charset.c), at most a
   bounded number of names: a flood of invented ones changes nothing for
   the real ones after them. */
static void
test_charset_pins(void)
{
	for (int i = 0; i < 300; i++) {
		char *mail = g_strdup_printf(
			"From: a@example.net\r\nMessage-ID: <p%d@x>\r\n"
			"Subject: =?x-invented-%d?q?abc?= "
			"=?koi8-r?b?8NLJ18XU?=\r\n\r\nbody\r\n", i, i);
		struct message *m = message_parse(mail, strlen(mail));

		g_assert_nonnull(m->subject);
		g_assert_nonnull(strstr(m->subject, "Привет"));
		message_free(m);
		g_free(mail);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	message_library_init();
	message_library_init();	/* idempotent */

	g_test_add_func("/message/samples", test_samples);
	g_test_add_func("/message/sample-details", test_sample_details);
	g_test_add_func("/message/structure-samples",
	    test_structure_samples);
	g_test_add_func("/message/synthetic-id", test_synthetic_id);
	g_test_add_func("/message/headers", test_headers);
	g_test_add_func("/message/references-bounded",
	    test_references_bounded);
	g_test_add_func("/message/header-huge", test_header_huge);
	g_test_add_func("/message/header-caps", test_header_caps);
	g_test_add_func("/message/mime", test_mime);
	g_test_add_func("/message/mime-types", test_mime_types);
	g_test_add_func("/message/long-filename", test_long_filename);
	g_test_add_func("/message/uuencode", test_uuencode);
	g_test_add_func("/message/smime-opaque", test_smime_opaque);
	g_test_add_func("/message/sweep-cases", test_sweep_cases);
	g_test_add_func("/message/part-header-unended",
			test_part_header_unended);
	g_test_add_func("/message/degenerate", test_degenerate);
	g_test_add_func("/message/deep-nesting", test_deep_nesting);
	g_test_add_func("/message/many-parts", test_many_parts);
	g_test_add_func("/message/huge-html", test_huge_html);
	g_test_add_func("/message/html-deep-and-links",
	    test_html_deep_and_links);
	g_test_add_func("/message/mutations", test_mutations);
	g_test_add_func("/charset/cases", test_charset);
	g_test_add_func("/charset/pins", test_charset_pins);
	g_test_add_func("/html/cases", test_html);
	g_test_add_func("/autoreply/cases", test_autoreply);
	g_test_add_func("/autoreply/unanswerable",
			test_autoreply_unanswerable);
	return g_test_run();
}
