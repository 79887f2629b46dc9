/* Unit tests: commands, relayed text and quoted history in agents'
   replies, as mail clients write them (bodies after MIME decoding). */
#include "autodefs.h"

#include <string.h>

#include "reply-text.h"

#define NBSP "\xc2\xa0"

/* The notification agents answer: its quoted form is cut. */
#define GT "> Hello,\n>\n> your ticket [#42] has been received.\n" \
	">\n> > The printer is on fire.\n"

struct expect_command {
	int line;		/* 0 ends the list */
	enum reply_command_kind kind;
	const char *arg;
};

struct expect_error {
	int line;		/* 0 ends the list */
	const char *text;
	const char *reason;
};

struct reply_case {
	const char *name;
	const char *body;
	const char *text;
	gboolean had_quote;
	struct expect_command commands[6];
	struct expect_error errors[8];
};

static const struct reply_case cases[] = {
	/* Thunderbird, English, top-posted with signature. */
	{ "thunderbird-en",
	  "#status resolved\n"
	  "\n"
	  "Hi Alice,\n"
	  "\n"
	  "the replacement toner ships today.\n"
	  "\n"
	  "Best regards,\n"
	  "Bob\n"
	  "-- \n"
	  "Bob Agent\n"
	  "ACME Support\n"
	  "\n"
	  "On 1/8/24 10:15, ACME Support wrote:\n"
	  GT,
	  "Hi Alice,\n\nthe replacement toner ships today.\n\n"
	  "Best regards,\nBob\n-- \nBob Agent\nACME Support",
	  TRUE,
	  { { 1, REPLY_COMMAND_STATUS, "resolved" } }, { { 0 } } },
	{ "thunderbird-de",
	  "Hallo Frau Müller,\n"
	  "\n"
	  "der Toner ist unterwegs.\n"
	  "\n"
	  "Viele Grüße\n"
	  "Bob\n"
	  "\n"
	  "Am 08.01.24 um 10:15 schrieb ACME Support:\n"
	  "> Hallo,\n"
	  "> Ihr Ticket wurde angelegt.\n",
	  "Hallo Frau Müller,\n\nder Toner ist unterwegs.\n\n"
	  "Viele Grüße\nBob",
	  TRUE, { { 0 } }, { { 0 } } },
	{ "thunderbird-fr",
	  "C'est réparé.\n"
	  "\n"
	  "Le 08/01/2024 à 10:15, ACME Support a écrit :\n"
	  "> Bonjour,\n",
	  "C'est réparé.", TRUE, { { 0 } }, { { 0 } } },
	/* Thunderbird configured without a date: "X wrote:" then '>'. */
	{ "thunderbird-old",
	  "OK, done.\n"
	  "\n"
	  "ACME Support wrote:\n"
	  "> Hello,\n",
	  "OK, done.", TRUE, { { 0 } }, { { 0 } } },
	/* Gmail: two commands, attribution wrapped over two lines. */
	{ "gmail-en",
	  "#priority high\n"
	  "#assign carol@example.com\n"
	  "\n"
	  "Looping in Carol, she handles billing.\n"
	  "\n"
	  "On Mon, Jan 8, 2024 at 10:15 AM ACME Support <\n"
	  "support+42-3b12d0412db185c9@example.com> wrote:\n"
	  "\n"
	  GT,
	  "Looping in Carol, she handles billing.", TRUE,
	  { { 1, REPLY_COMMAND_PRIORITY, "high" },
	    { 2, REPLY_COMMAND_ASSIGN, "carol@example.com" } },
	  { { 0 } } },
	{ "gmail-en-one-line",
	  "Thanks!\n"
	  "\n"
	  "On Mon, Jan 8, 2024 at 10:15 AM Support <support@example.com> "
	  "wrote:\n"
	  "\n"
	  GT,
	  "Thanks!", TRUE, { { 0 } }, { { 0 } } },
	{ "gmail-de",
	  "Danke, erledigt.\n"
	  "\n"
	  "Am Mo., 8. Jan. 2024 um 10:15 Uhr schrieb ACME Support <\n"
	  "support@example.com>:\n"
	  "\n"
	  "> Hallo,\n"
	  "> Ihr Ticket wurde angelegt.\n",
	  "Danke, erledigt.", TRUE, { { 0 } }, { { 0 } } },
	{ "gmail-fr",
	  "Bonjour,\n"
	  "\n"
	  "C'est corrigé.\n"
	  "\n"
	  "Le lun. 8 janv. 2024 à 10:15, ACME Support <support@example.com> "
	  "a\n"
	  "écrit :\n"
	  "\n"
	  "> Bonjour,\n",
	  "Bonjour,\n\nC'est corrigé.", TRUE, { { 0 } }, { { 0 } } },
	{ "gmail-es",
	  "Hola,\n"
	  "\n"
	  "ya está solucionado.\n"
	  "\n"
	  "El lun, 8 ene 2024 a las 10:15, ACME Support "
	  "(<support@example.com>)\n"
	  "escribió:\n"
	  "\n"
	  "> Hola,\n",
	  "Hola,\n\nya está solucionado.", TRUE, { { 0 } }, { { 0 } } },
	{ "gmail-zh",
	  "您好，\n"
	  "\n"
	  "问题已经解决。\n"
	  "\n"
	  "ACME Support <support@example.com> 于2024年1月8日周一 10:15写道：\n"
	  "\n"
	  "> 您好，\n",
	  "您好，\n\n问题已经解决。", TRUE, { { 0 } }, { { 0 } } },
	/* Gmail's HTML-only reply after our HTML-to-text: no '>'. */
	{ "gmail-html-converted",
	  "Done, thanks.\n"
	  "\n"
	  "On Mon, Jan 8, 2024 at 10:15 AM ACME Support "
	  "<support@example.com> wrote:\n"
	  "\n"
	  "Hello,\n"
	  "\n"
	  "your ticket has been received.\n",
	  "Done, thanks.", TRUE, { { 0 } }, { { 0 } } },
	/* Outlook desktop, HTML mail's text part, CRLF line ends. */
	{ "outlook-en",
	  "#status pending\r\n"
	  "\r\n"
	  "Hi Alice,\r\n"
	  "\r\n"
	  "We are waiting for the courier.\r\n"
	  "\r\n"
	  "Regards,\r\n"
	  "Dan\r\n"
	  "\r\n"
	  "From: ACME Support <support@example.com> \r\n"
	  "Sent: Monday, January 8, 2024 10:15 AM\r\n"
	  "To: Dan Agent <dan@example.com>\r\n"
	  "Subject: [#42] Printer on fire\r\n"
	  "\r\n"
	  "Hello,\r\n"
	  "your ticket has been received.\r\n",
	  "Hi Alice,\n\nWe are waiting for the courier.\n\nRegards,\nDan",
	  TRUE, { { 1, REPLY_COMMAND_STATUS, "pending" } }, { { 0 } } },
	/* OWA / Outlook mobile: separator line above the header block. */
	{ "owa-en",
	  "Thanks, closing this.\n"
	  "\n"
	  "Get Outlook for iOS<https://aka.ms/o0ukef>\n"
	  "________________________________\n"
	  "From: ACME Support <support@example.com>\n"
	  "Sent: Monday, January 8, 2024 10:15:00 AM\n"
	  "To: Dan Agent <dan@example.com>\n"
	  "Subject: [#42] Printer on fire\n"
	  "\n"
	  "Hello,\n",
	  "Thanks, closing this.\n\nGet Outlook for iOS<https://aka.ms/o0ukef>",
	  TRUE, { { 0 } }, { { 0 } } },
	/* Outlook, plain-text mode. */
	{ "outlook-plain",
	  "Done.\n"
	  "\n"
	  "-----Original Message-----\n"
	  "From: ACME Support <support@example.com>\n"
	  "Sent: Monday, January 8, 2024 10:15 AM\n"
	  "To: dan@example.com\n"
	  "Subject: [#42] Printer on fire\n"
	  "\n"
	  "Hello,\n",
	  "Done.", TRUE, { { 0 } }, { { 0 } } },
	/* Outlook with blank lines of no-break spaces. */
	{ "outlook-nbsp",
	  "Done." NBSP "\n"
	  NBSP "\n"
	  NBSP "\n"
	  "From: ACME Support <support@example.com>\n"
	  "Sent: Monday, January 8, 2024 10:15 AM\n",
	  "Done.", TRUE, { { 0 } }, { { 0 } } },
	{ "outlook-de",
	  "Erledigt.\n"
	  "\n"
	  "Mit freundlichen Grüßen\n"
	  "Dan\n"
	  "\n"
	  "Von: ACME Support <support@example.com>\n"
	  "Gesendet: Montag, 8. Januar 2024 10:15\n"
	  "An: Dan Agent <dan@example.com>\n"
	  "Betreff: [#42] Drucker brennt\n"
	  "\n"
	  "Hallo,\n",
	  "Erledigt.\n\nMit freundlichen Grüßen\nDan", TRUE,
	  { { 0 } }, { { 0 } } },
	{ "outlook-de-plain",
	  "Erledigt.\n"
	  "\n"
	  "-----Ursprüngliche Nachricht-----\n"
	  "Von: ACME Support <support@example.com>\n"
	  "Gesendet: Montag, 8. Januar 2024 10:15\n",
	  "Erledigt.", TRUE, { { 0 } }, { { 0 } } },
	{ "outlook-fr",
	  "C'est fait.\n"
	  "\n"
	  "De" NBSP ": ACME Support <support@example.com>\n"
	  "Envoyé" NBSP ": lundi 8 janvier 2024 10:15\n"
	  "À" NBSP ": Dan\n"
	  "Objet" NBSP ": [#42] Imprimante\n"
	  "\n"
	  "Bonjour,\n",
	  "C'est fait.", TRUE, { { 0 } }, { { 0 } } },
	{ "outlook-fr-plain",
	  "C'est fait.\n"
	  "\n"
	  "-----Message d'origine-----\n"
	  "De : ACME Support <support@example.com>\n"
	  "Envoyé : lundi 8 janvier 2024 10:15\n",
	  "C'est fait.", TRUE, { { 0 } }, { { 0 } } },
	{ "outlook-es",
	  "Hecho.\n"
	  "\n"
	  "De: ACME Support <support@example.com>\n"
	  "Enviado el: lunes, 8 de enero de 2024 10:15\n"
	  "Para: Dan\n"
	  "Asunto: [#42] Impresora\n"
	  "\n"
	  "Hola,\n",
	  "Hecho.", TRUE, { { 0 } }, { { 0 } } },
	{ "outlook-zh",
	  "已处理。\n"
	  "\n"
	  "发件人: ACME Support <support@example.com>\n"
	  "发送时间: 2024年1月8日 10:15\n"
	  "收件人: Dan\n"
	  "主题: [#42] 打印机\n"
	  "\n"
	  "您好，\n",
	  "已处理。", TRUE, { { 0 } }, { { 0 } } },
	{ "outlook-zh-fullwidth",
	  "已处理。\n"
	  "\n"
	  "发件人：ACME Support <support@example.com>\n"
	  "发送时间：2024年1月8日 10:15\n"
	  "收件人：Dan\n",
	  "已处理。", TRUE, { { 0 } }, { { 0 } } },
	{ "outlook-mac",
	  "Fixed.\n"
	  "\n"
	  "From: ACME Support <support@example.com>\n"
	  "Date: Monday, 8 January 2024 at 10:15\n"
	  "To: Dan Agent <dan@example.com>\n"
	  "Subject: [#42] Printer on fire\n",
	  "Fixed.", TRUE, { { 0 } }, { { 0 } } },
	/* Apple Mail and iOS. */
	{ "apple-mail",
	  "#status closed\n"
	  "\n"
	  "All done, thanks!\n"
	  "\n"
	  "Bob\n"
	  "\n"
	  "On 8 Jan 2024, at 10:15, ACME Support <support@example.com> "
	  "wrote:\n"
	  "\n"
	  GT,
	  "All done, thanks!\n\nBob", TRUE,
	  { { 1, REPLY_COMMAND_STATUS, "closed" } }, { { 0 } } },
	{ "apple-mail-fr",
	  "Merci.\n"
	  "\n"
	  "Le 8 janv. 2024 à 10:15, ACME Support <support@example.com> "
	  "a écrit" NBSP ":\n"
	  "\n"
	  "> Bonjour,\n",
	  "Merci.", TRUE, { { 0 } }, { { 0 } } },
	{ "apple-mail-zh",
	  "好的，谢谢。\n"
	  "\n"
	  "在 2024年1月8日，10:15，ACME Support <support@example.com> 写道：\n"
	  "\n"
	  "> 您好\n",
	  "好的，谢谢。", TRUE, { { 0 } }, { { 0 } } },
	{ "ios",
	  "Will do.\n"
	  "\n"
	  "Sent from my iPhone\n"
	  "\n"
	  "> On Jan 8, 2024, at 10:15, ACME Support <support@example.com> "
	  "wrote:\n"
	  "> \n"
	  "> Hello,\n"
	  "> your ticket has been received.\n",
	  "Will do.\n\nSent from my iPhone", TRUE, { { 0 } }, { { 0 } } },
	/* mutt, top-posted internal note. */
	{ "mutt-note",
	  "#note\n"
	  "\n"
	  "Customer called, says it is fixed.\n"
	  "\n"
	  "On Mon, Jan 08, 2024 at 10:15:00AM +0000, ACME Support wrote:\n"
	  GT,
	  "Customer called, says it is fixed.", TRUE,
	  { { 1, REPLY_COMMAND_NOTE, NULL } }, { { 0 } } },
	/* mutt, interleaved: everything is kept. */
	{ "mutt-interleaved",
	  "On Mon, Jan 08, 2024 at 10:15:00AM +0000, Alice wrote:\n"
	  "> The printer is on fire.\n"
	  "\n"
	  "Please unplug it first.\n"
	  "\n"
	  "> Should I call the fire brigade?\n"
	  "\n"
	  "Yes.\n"
	  "\n"
	  "-- \n"
	  "Bob\n",
	  "On Mon, Jan 08, 2024 at 10:15:00AM +0000, Alice wrote:\n"
	  "> The printer is on fire.\n\nPlease unplug it first.\n\n"
	  "> Should I call the fire brigade?\n\nYes.\n\n-- \nBob",
	  FALSE, { { 0 } }, { { 0 } } },
	/* Interleaved without attribution, ending with a quote. */
	{ "interleaved-trailing",
	  "> Is it plugged in?\n"
	  "Yes.\n"
	  "> Is it on fire?\n",
	  "> Is it plugged in?\nYes.\n> Is it on fire?", FALSE,
	  { { 0 } }, { { 0 } } },
	{ "k9",
	  "Sure, I will send a technician.\n"
	  "-- \n"
	  "Sent from my Android device with K-9 Mail. Please excuse my "
	  "brevity.\n"
	  "\n"
	  "On January 8, 2024 10:15:00 AM UTC, ACME Support "
	  "<support@example.com> wrote:\n"
	  ">Hello,\n"
	  ">your ticket has been received.\n",
	  "Sure, I will send a technician.\n-- \nSent from my Android "
	  "device with K-9 Mail. Please excuse my brevity.", TRUE,
	  { { 0 } }, { { 0 } } },
	{ "k9-old",
	  "OK.\n"
	  "\n"
	  "ACME Support <support@example.com> wrote:\n"
	  "\n"
	  ">Hello,\n",
	  "OK.", TRUE, { { 0 } }, { { 0 } } },
	{ "bottom-quote",
	  "Thanks.\n"
	  "\n"
	  "> Hello,\n"
	  "> your ticket\n"
	  "\n",
	  "Thanks.", TRUE, { { 0 } }, { { 0 } } },
	/* "wrote" and friends in the text itself. */
	{ "wrote-in-text",
	  "As I wrote yesterday, the part is on order.\n"
	  "On Monday, Carol wrote:\n"
	  "the courier is late.\n"
	  "On 3 occasions we wrote:\n"
	  "Am 3. Januar schrieb ich Ihnen:\n"
	  "Bitte warten.\n"
	  "\n"
	  "Bob\n",
	  "As I wrote yesterday, the part is on order.\n"
	  "On Monday, Carol wrote:\nthe courier is late.\n"
	  "On 3 occasions we wrote:\nAm 3. Januar schrieb ich Ihnen:\n"
	  "Bitte warten.\n\nBob",
	  FALSE, { { 0 } }, { { 0 } } },
	/* A paragraph starting with "On" just above a real attribution. */
	{ "on-paragraph",
	  "On Monday we replaced the drum unit and cleaned the rollers,\n"
	  "so it should work now.\n"
	  "On Mon, Jan 8, 2024 at 10:15 AM Support <support@example.com> "
	  "wrote:\n"
	  "> Hello,\n",
	  "On Monday we replaced the drum unit and cleaned the rollers,\n"
	  "so it should work now.", TRUE, { { 0 } }, { { 0 } } },
	/* A pasted header that is not an Outlook block. */
	{ "from-in-text",
	  "The label says:\n"
	  "From: ACME Warehouse\n"
	  "To: Alice\n"
	  "\n"
	  "Bob\n",
	  "The label says:\nFrom: ACME Warehouse\nTo: Alice\n\nBob", FALSE,
	  { { 0 } }, { { 0 } } },
	{ "quote-in-text",
	  "Please run:\n"
	  "> ping example.com\n"
	  "and tell me the output.\n",
	  "Please run:\n> ping example.com\nand tell me the output.", FALSE,
	  { { 0 } }, { { 0 } } },
	/* Commands only. */
	{ "commands-only",
	  "#status closed\n"
	  "#priority low\n",
	  "", FALSE,
	  { { 1, REPLY_COMMAND_STATUS, "closed" },
	    { 2, REPLY_COMMAND_PRIORITY, "low" } }, { { 0 } } },
	{ "commands-and-quote",
	  "#status resolved\n"
	  "\n"
	  "On Mon, Jan 8, 2024 at 10:15 AM ACME Support "
	  "<support@example.com> wrote:\n"
	  GT,
	  "", TRUE, { { 1, REPLY_COMMAND_STATUS, "resolved" } }, { { 0 } } },
	{ "commands-signature",
	  "#status closed\n"
	  "\n"
	  "-- \n"
	  "Bob Agent\n"
	  "ACME Support\n",
	  "-- \nBob Agent\nACME Support", FALSE,
	  { { 1, REPLY_COMMAND_STATUS, "closed" } }, { { 0 } } },
	{ "blank-lines",
	  "\n"
	  "\n"
	  "#status open\n"
	  "\n"
	  "\n"
	  "#assign bob\n"
	  "   #escalate\n"
	  "\n"
	  "Hi\n"
	  "#status closed\n",
	  "Hi\n#status closed", FALSE,
	  { { 3, REPLY_COMMAND_STATUS, "open" },
	    { 6, REPLY_COMMAND_ASSIGN, "bob" },
	    { 7, REPLY_COMMAND_ESCALATE, NULL } }, { { 0 } } },
	/* iOS capitalises the first letter. */
	{ "case",
	  "#Status Resolved\n"
	  "#PRIORITY URGENT\n"
	  "#Assign Carol@Example.com\n"
	  "#Note\n",
	  "", FALSE,
	  { { 1, REPLY_COMMAND_STATUS, "resolved" },
	    { 2, REPLY_COMMAND_PRIORITY, "urgent" },
	    { 3, REPLY_COMMAND_ASSIGN, "Carol@Example.com" },
	    { 4, REPLY_COMMAND_NOTE, NULL } }, { { 0 } } },
	{ "merge",
	  "#merge #123\n"
	  "#merge 456\n"
	  "#merge 0789\n"
	  "#merge 9007199254740992\n",
	  "", FALSE,
	  { { 1, REPLY_COMMAND_MERGE, "123" },
	    { 2, REPLY_COMMAND_MERGE, "456" },
	    { 3, REPLY_COMMAND_MERGE, "789" },
	    { 4, REPLY_COMMAND_MERGE, "9007199254740992" } }, { { 0 } } },
	/* Outlook turns addresses into links in the text part. */
	{ "assign-forms",
	  "#assign carol@example.com<mailto:carol@example.com>\n"
	  "#assign dave@example.com <mailto:dave@example.com>\n"
	  "#assign <erin@example.com>\n"
	  "#assign mailto:frank@example.com\n"
	  "#assign\t" NBSP "grace\n",
	  "", FALSE,
	  { { 1, REPLY_COMMAND_ASSIGN, "carol@example.com" },
	    { 2, REPLY_COMMAND_ASSIGN, "dave@example.com" },
	    { 3, REPLY_COMMAND_ASSIGN, "erin@example.com" },
	    { 4, REPLY_COMMAND_ASSIGN, "frank@example.com" },
	    { 5, REPLY_COMMAND_ASSIGN, "grace" } }, { { 0 } } },
	{ "bad-commands",
	  "#stauts resolved\n"
	  "#status done\n"
	  "#priority\n"
	  "#assign Alice Smith\n"
	  "#merge abc\n"
	  "#note please\n"
	  "#escalate now  \n"
	  "#status resolved\n"
	  "\n"
	  "Text\n",
	  "Text", FALSE,
	  { { 8, REPLY_COMMAND_STATUS, "resolved" } },
	  { { 1, "#stauts resolved", "unknown command '#stauts'" },
	    { 2, "#status done",
	      "#status takes open, pending, resolved or closed" },
	    { 3, "#priority", "#priority takes low, normal, high or urgent" },
	    { 4, "#assign Alice Smith", "#assign takes one name or address" },
	    { 5, "#merge abc", "#merge takes one ticket number" },
	    { 6, "#note please", "#note takes no argument" },
	    { 7, "#escalate now", "#escalate takes no argument" } } },
	{ "bad-arguments",
	  "#status open closed\n"
	  "#merge 0\n"
	  "#merge 9007199254740993\n"
	  "#merge 12 13\n"
	  "#merge #\n"
	  "#assign carol@example.com <mailto:dave@example.com>\n"
	  "#assign <>\n"
	  "#status: resolved\n",
	  "", FALSE, { { 0 } },
	  { { 1, "#status open closed",
	      "#status takes open, pending, resolved or closed" },
	    { 2, "#merge 0", "#merge takes one ticket number" },
	    { 3, "#merge 9007199254740993", "#merge takes one ticket number" },
	    { 4, "#merge 12 13", "#merge takes one ticket number" },
	    { 5, "#merge #", "#merge takes one ticket number" },
	    { 6, "#assign carol@example.com <mailto:dave@example.com>",
	      "#assign takes one name or address" },
	    { 7, "#assign <>", "#assign takes one name or address" },
	    { 8, "#status: resolved", "unknown command '#status:'" } } },
	/* '#' not followed by a letter ends the command block. */
	{ "hash-digit",
	  "#1 priority is the fire.\n"
	  "#status closed\n",
	  "#1 priority is the fire.\n#status closed", FALSE,
	  { { 0 } }, { { 0 } } },
	{ "hash-heading",
	  "#status open\n"
	  "# Steps\n"
	  "1. unplug\n",
	  "# Steps\n1. unplug", FALSE,
	  { { 1, REPLY_COMMAND_STATUS, "open" } }, { { 0 } } },
	{ "hash-alone",
	  "#\n"
	  "Hello\n",
	  "#\nHello", FALSE, { { 0 } }, { { 0 } } },
	{ "crlf",
	  "\xef\xbb\xbf#status resolved\r\n"
	  "#assign bob\r\n"
	  "\r\n"
	  "Fixed.\r\n"
	  "\r\n"
	  "On Mon, Jan 8, 2024 at 10:15 AM ACME Support <\r\n"
	  "support@example.com> wrote:\r\n"
	  "\r\n"
	  "> Hello,\r\n",
	  "Fixed.", TRUE,
	  { { 1, REPLY_COMMAND_STATUS, "resolved" },
	    { 2, REPLY_COMMAND_ASSIGN, "bob" } }, { { 0 } } },
	{ "nbsp-command",
	  "#status" NBSP "resolved" NBSP "\n"
	  NBSP "\n"
	  "Done.\n",
	  "Done.", FALSE,
	  { { 1, REPLY_COMMAND_STATUS, "resolved" } }, { { 0 } } },
	{ "empty", "", "", FALSE, { { 0 } }, { { 0 } } },
	{ "blank", "\n \n\t\n", "", FALSE, { { 0 } }, { { 0 } } },
	{ "quote-only", "> Hello\n> there\n", "", TRUE, { { 0 } },
	  { { 0 } } },
};

static void
test_reply_text_case(gconstpointer data)
{
	const struct reply_case *c = data;
	struct reply_text *rt = reply_text_parse(c->body);
	guint n;

	g_assert_nonnull(rt);
	g_assert_cmpstr(rt->text, ==, c->text);
	g_assert_cmpint(rt->had_quote, ==, c->had_quote);

	for (n = 0; n < G_N_ELEMENTS(c->commands) && c->commands[n].line;
	     n++) {
		const struct reply_command *got;

		g_assert_cmpuint(n, <, rt->commands->len);
		got = rt->commands->pdata[n];
		g_assert_cmpint(got->line, ==, c->commands[n].line);
		g_assert_cmpint(got->kind, ==, c->commands[n].kind);
		g_assert_cmpstr(got->arg, ==, c->commands[n].arg);
	}
	g_assert_cmpuint(rt->commands->len, ==, n);

	for (n = 0; n < G_N_ELEMENTS(c->errors) && c->errors[n].line; n++) {
		const struct reply_command_error *got;

		g_assert_cmpuint(n, <, rt->errors->len);
		got = rt->errors->pdata[n];
		g_assert_cmpint(got->line, ==, c->errors[n].line);
		g_assert_cmpstr(got->text, ==, c->errors[n].text);
		g_assert_cmpstr(got->reason, ==, c->errors[n].reason);
	}
	g_assert_cmpuint(rt->errors->len, ==, n);
	reply_text_free(rt);
}

/* reply_text_quote_start() on its own: offsets into the text as given,
   CRLF included. */
static const struct {
	const char *text;
	gsize offset;		/* G_MAXSIZE: strlen(text) */
} quote_cases[] = {
	{ "Hi\n\nOn Mon, Jan 8, 2024 at 10:15 AM A <a@example.com> wrote:\n"
	  "> x\n", 4 },
	{ "Hi\r\n\r\nOn Mon, Jan 8, 2024 at 10:15 AM A <a@example.com> "
	  "wrote:\r\n> x\r\n", 6 },
	{ "Hi\n________________________________\nFrom: A\nSent: B\n", 3 },
	{ "Hi\n-----Original Message-----\nFrom: A\n", 3 },
	{ "Hi\n----- Original Message -----\nFrom: A\n", 3 },
	{ "Hi\n---------- Original Message ----------\n", 3 },
	{ "Hi\n------------------ 原始邮件 ------------------\n", 3 },
	{ "Hi\n-Original Message-\n", G_MAXSIZE },
	{ "Hi\n-----Original Message-----", 3 },
	{ "Hi\n*From:* A <a@example.com>\n*Sent:* Monday\n", 3 },
	{ "Hi\nFrom: A very long name that Outlook wrapped\n<a@example.com>\n"
	  "Sent: Monday\n", 3 },
	{ "Hi\nFrom: A\n\nSent: Monday\n", G_MAXSIZE },
	{ "Hi\nFrom:\nSent: Monday\n", G_MAXSIZE },
	{ "Hi\n> a\n\n> b\n\n", 3 },
	{ "> a\n", 0 },
	{ "Hi\n> a\nHo\n", G_MAXSIZE },
	{ "Hi\nOn Mon, Jan 8, 2024 at 10:15 AM A wrote: see below\n",
	  G_MAXSIZE },
	{ "Hi\nOn Monday, Carol wrote:\nhello\n", G_MAXSIZE },
	{ "Hi\nCarol wrote:\nhello\n", G_MAXSIZE },
	{ "Hi\nCarol wrote:\n\n> hello\n", 3 },
	{ "", 0 },
	{ "no newline at the end", G_MAXSIZE },
};

static void
test_reply_text_quote_start(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(quote_cases); i++) {
		gsize expect = quote_cases[i].offset;

		if (expect == G_MAXSIZE)
			expect = strlen(quote_cases[i].text);
		g_test_message("quote case %" G_GSIZE_FORMAT, i);
		g_assert_cmpuint(reply_text_quote_start(quote_cases[i].text),
				 ==, expect);
	}
}

static void
test_reply_text_names(void)
{
	g_assert_cmpstr(reply_command_name(REPLY_COMMAND_STATUS), ==,
			"status");
	g_assert_cmpstr(reply_command_name(REPLY_COMMAND_ASSIGN), ==,
			"assign");
	g_assert_cmpstr(reply_command_name(REPLY_COMMAND_NOTE), ==, "note");
	g_assert_cmpstr(reply_command_name(REPLY_COMMAND_ESCALATE), ==,
			"escalate");
	g_assert_cmpstr(reply_command_name(REPLY_COMMAND_PRIORITY), ==,
			"priority");
	g_assert_cmpstr(reply_command_name(REPLY_COMMAND_MERGE), ==, "merge");
	reply_text_free(NULL);
}

/* Hostile input: very long lines, many lines, no crash and sane output. */
static void
test_reply_text_hostile(void)
{
	GString *s = g_string_new("#status open\n");
	struct reply_text *rt;

	for (int i = 0; i < 20000; i++)
		g_string_append(s, "On 10:15 ");
	g_string_append(s, "wrote:\n");
	for (int i = 0; i < 20000; i++)
		g_string_append(s, "> \n\n");
	rt = reply_text_parse(s->str);
	g_assert_cmpuint(rt->commands->len, ==, 1);
	/* The long line is too long to be an attribution. */
	g_assert_true(rt->had_quote);
	g_assert_true(g_str_has_suffix(rt->text, "wrote:"));
	reply_text_free(rt);
	g_string_free(s, TRUE);

	rt = reply_text_parse(NULL);
	g_assert_cmpstr(rt->text, ==, "");
	reply_text_free(rt);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *path = g_strdup_printf("/reply-text/parse/%s",
					     cases[i].name);

		g_test_add_data_func(path, &cases[i], test_reply_text_case);
		g_free(path);
	}
	g_test_add_func("/reply-text/quote-start",
			test_reply_text_quote_start);
	g_test_add_func("/reply-text/names", test_reply_text_names);
	g_test_add_func("/reply-text/hostile", test_reply_text_hostile);
	return g_test_run();
}
