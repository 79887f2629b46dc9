/* Recognise automatic mail (RFC 3834 and common practice) so that the
   auto-responder never answers a machine. */
#include "autodefs.h"

#include <string.h>

#include "autoreply.h"

/* Subject openings of out-of-office replies, matched case-insensitively. */
static const char *const autoreply_ooo_subjects[] = {
	"out of office",
	"out-of-office",
	"automatic reply",
	"auto-reply",
	"auto reply",
	"autoreply",
	"auto-response",
	"automatische antwort",
	"abwesenheitsnotiz",
	"réponse automatique",
	"respuesta automática",
	"risposta automatica",
	"automatisch antwoord",
	"自动回复",
	"自動回覆",
	"自動回复",
	"自動応答",
	"自动答复",
};

/* Subject openings of bounces. */
static const char *const autoreply_bounce_subjects[] = {
	"undeliverable",
	"undelivered mail",
	"delivery status notification",
	"mail delivery failed",
	"mail delivery failure",
	"delivery failure",
	"failure notice",
	"returned mail",
	"mail system error",
	"non remis",
	"unzustellbar",
	"退信",
	"系统退信",
};

/* Body fragments that give a null-return-path mail away as a bounce. */
static const char *const autoreply_bounce_body[] = {
	"delivery has failed",
	"could not be delivered",
	"undeliverable",
	"permanent error",
	"delivery status notification",
	"message not delivered",
	"mail delivery failed",
	"user unknown",
	"mailbox unavailable",
	"diagnostic-code:",
};

/* The subject patterns through g_utf8_casefold(), made once: bounces
   first, then out-of-office, NULL-terminated. */
static const char *const *
autoreply_folded_subjects(void)
{
	static const char **folded;

	if (g_once_init_enter(&folded)) {
		size_t nb = G_N_ELEMENTS(autoreply_bounce_subjects);
		size_t no = G_N_ELEMENTS(autoreply_ooo_subjects);
		const char **f = g_new0(const char *, nb + no + 1);

		for (size_t i = 0; i < nb; i++)
			f[i] = g_utf8_casefold(autoreply_bounce_subjects[i], -1);
		for (size_t i = 0; i < no; i++)
			f[nb + i] = g_utf8_casefold(autoreply_ooo_subjects[i],
						    -1);
		g_once_init_leave(&folded, f);
	}
	return folded;
}

static gboolean
autoreply_local_part_is(const char *addr, const char *local)
{
	size_t n = strlen(local);

	if (addr == NULL || g_ascii_strncasecmp(addr, local, n) != 0)
		return FALSE;
	return addr[n] == '@' || addr[n] == '\0';
}

/* The mail system itself writes from these: always a bounce. */
static gboolean
autoreply_is_daemon(const char *addr)
{
	return autoreply_local_part_is(addr, "mailer-daemon") ||
	    autoreply_local_part_is(addr, "mail-daemon") ||
	    autoreply_local_part_is(addr, "mailerdaemon");
}

/* The addresses of mailing-list software (Majordomo, LISTSERV, mlmmj,
   Mailman, ezmlm): owner-NAME, NAME-owner, NAME+owner, NAME-request,
   NAME-bounces (VERP: NAME-bounces+…, NAME+bounces-…).  No person writes
   from them; mail from them (or sent by them) is the list's. */
static gboolean
autoreply_is_list_address(const char *addr)
{
	const char *at = addr != NULL ? strrchr(addr, '@') : NULL;
	char *local;
	gboolean r;

	if (at == NULL || at == addr)
		return FALSE;
	local = g_ascii_strdown(addr, (gssize)(at - addr));
	r = g_str_has_prefix(local, "owner-") ||
	    g_str_has_suffix(local, "-owner") ||
	    g_str_has_suffix(local, "+owner") ||
	    g_str_has_suffix(local, "-request") ||
	    g_str_has_suffix(local, "-bounces") ||
	    strstr(local, "-bounces+") != NULL ||
	    strstr(local, "+bounces-") != NULL;
	g_free(local);
	return r;
}

gboolean
autoreply_address_unanswerable(const char *addr)
{
	const char *at = addr != NULL ? strrchr(addr, '@') : NULL;
	char *local;
	gboolean r;

	if (at == NULL)
		return FALSE;
	if (autoreply_local_part_is(addr, "postmaster") ||
	    autoreply_is_daemon(addr) || autoreply_is_list_address(addr))
		return TRUE;
	local = g_ascii_strdown(addr, (gssize)(at - addr));
	/* separators do not matter: "no-reply", "no_reply", "no.reply" */
	{
		char *out = local;

		for (const char *p = local; *p != '\0'; p++)
			if (*p != '-' && *p != '_' && *p != '.')
				*out++ = *p;
		*out = '\0';
	}
	r = strstr(local, "noreply") != NULL ||
	    strstr(local, "donotreply") != NULL;
	g_free(local);
	return r;
}

static gboolean
autoreply_body_looks_bounced(const struct message *msg)
{
	char *head, *lower;
	gboolean r = FALSE;
	size_t i;

	if (msg->body == NULL)
		return FALSE;
	/* the first few KB say it */
	head = g_strndup(msg->body, 4096);
	lower = g_ascii_strdown(head, -1);
	for (i = 0; i < G_N_ELEMENTS(autoreply_bounce_body); i++)
		if (strstr(lower, autoreply_bounce_body[i]) != NULL)
			r = TRUE;
	g_free(lower);
	g_free(head);
	return r;
}

static gboolean
autoreply_token_is(const char *value, const char *token)
{
	char *v;
	gboolean r;

	v = g_strstrip(g_ascii_strdown(value, -1));
	/* "bulk", also "bulk (comment)" or "bulk;" */
	r = g_str_has_prefix(v, token) &&
	    strchr(" \t;(,", v[strlen(token)]) != NULL;
	g_free(v);
	return r;
}

enum autoreply_class
autoreply_classify(const struct message *msg, const char **reason_r)
{
	const char *reason = NULL;
	const char *subject;
	char *folded = NULL;
	enum autoreply_class cls = AUTOREPLY_HUMAN;
	size_t i;

	if (msg == NULL) {
		if (reason_r != NULL)
			*reason_r = NULL;
		return AUTOREPLY_HUMAN;
	}

	/* Bounces first: they are the strongest statement. */
	if (msg->is_dsn) {
		cls = AUTOREPLY_BOUNCE;
		reason = "dsn";
		goto out;
	}
	if (autoreply_is_daemon(msg->from.addr)) {
		cls = AUTOREPLY_BOUNCE;
		reason = "mailer-daemon";
		goto out;
	}
	/* Read receipts, abuse and TLS reports …: RFC 3834 section 2
	   forbids answering any of them; none is a bounce. */
	if (msg->report_type != NULL) {
		cls = AUTOREPLY_AUTO;
		reason = "report";
		goto out;
	}
	/* Postmasters are people too: a bounce only when it reads like
	   one (ingest never answers the address either way) */
	if (autoreply_local_part_is(msg->from.addr, "postmaster") &&
	    autoreply_body_looks_bounced(msg)) {
		cls = AUTOREPLY_BOUNCE;
		reason = "mailer-daemon";
		goto out;
	}
	if (msg->auto_submitted != NULL && *msg->auto_submitted != '\0' &&
	    !autoreply_token_is(msg->auto_submitted, "no")) {
		cls = AUTOREPLY_AUTO;
		reason = "auto-submitted";
		goto out;
	}
	if (msg->precedence != NULL &&
	    (autoreply_token_is(msg->precedence, "bulk") ||
	    autoreply_token_is(msg->precedence, "junk") ||
	    autoreply_token_is(msg->precedence, "list"))) {
		cls = AUTOREPLY_AUTO;
		reason = "precedence";
		goto out;
	}
	if (msg->list_id != NULL) {
		cls = AUTOREPLY_AUTO;
		reason = "list-id";
		goto out;
	}
	/* RFC 2369; bulk senders must send it (RFC 8058, and the big
	   mailbox providers require it of them), people's mail has none */
	if (msg->list_unsubscribe != NULL) {
		cls = AUTOREPLY_AUTO;
		reason = "list-unsubscribe";
		goto out;
	}
	if (msg->list_other != NULL) {
		cls = AUTOREPLY_AUTO;
		reason = "list";
		goto out;
	}
	/* list software without any of those fields: Majordomo and
	   LISTSERV send as owner-NAME, mlmmj as NAME+owner */
	if (autoreply_is_list_address(msg->sender) ||
	    autoreply_is_list_address(msg->return_path) ||
	    autoreply_is_list_address(msg->from.addr)) {
		cls = AUTOREPLY_AUTO;
		reason = "list-sender";
		goto out;
	}
	if (msg->x_autoreply != NULL) {
		cls = AUTOREPLY_AUTO;
		reason = "x-autoreply";
		goto out;
	}
	if (msg->return_path != NULL && *msg->return_path == '\0') {
		cls = autoreply_body_looks_bounced(msg) ?
		    AUTOREPLY_BOUNCE : AUTOREPLY_AUTO;
		reason = "null-return-path";
		goto out;
	}
	if (msg->from.addr == NULL || *msg->from.addr == '\0') {
		cls = AUTOREPLY_AUTO;
		reason = "no-from";
		goto out;
	}
	/* No "Re:" stripping: a person answering an auto-reply is human. */
	subject = msg->subject != NULL ? msg->subject : "";
	while (*subject == ' ' || *subject == '\t')
		subject++;
	/* past the tags another ticket system or a list puts first:
	   "[support.example.com #33575] AutoReply: …" (Request Tracker) */
	for (int tags = 0; *subject == '[' && tags < 4; tags++) {
		const char *close = strchr(subject, ']');

		if (close == NULL || close - subject > 100)
			break;
		subject = close + 1;
		while (*subject == ' ' || *subject == '\t')
			subject++;
	}
	/* Only the opening is compared: fold no more than the longest
	   pattern can need (folding may lengthen a character, so twice
	   that), cut at a character boundary. */
	{
		const char *const *pat = autoreply_folded_subjects();
		size_t n = strnlen(subject, 128);

		while (n > 0 && ((guchar)subject[n] & 0xc0) == 0x80)
			n--;
		folded = g_utf8_casefold(subject, (gssize)n);
		for (i = 0; pat[i] != NULL; i++) {
			if (!g_str_has_prefix(folded, pat[i]))
				continue;
			if (i < G_N_ELEMENTS(autoreply_bounce_subjects)) {
				cls = AUTOREPLY_BOUNCE;
				reason = "bounce-subject";
			} else {
				cls = AUTOREPLY_AUTO;
				reason = "out-of-office-subject";
			}
			goto out;
		}
	}
out:
	g_free(folded);
	if (reason_r != NULL)
		*reason_r = reason;
	return cls;
}
