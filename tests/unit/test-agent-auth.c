/* Unit tests: token addresses and Authentication-Results checks. */
#include "autodefs.h"

#include <string.h>

#include "agent-auth.h"

#define KEY "0123456789abcdef0123456789abcdef"
#define KEY_LEN 32

/* HMAC-SHA256(KEY, decimal ticket), first 16 hex digits, computed with
   Python's hmac module. */
#define MAC_1 "c2a56899f8e6dad8"
#define MAC_42 "3b12d0412db185c9"
#define MAC_43 "d3fcc2bf94398be9"
#define MAC_MAX "a01c877a51205e2f"	/* 2^53 */
#define MAC_42_OTHER_KEY "86d628b82aad9cd7"

static const struct {
	const char *address;
	gint64 ticket;
	const char *expect;	/* NULL: refused */
} address_cases[] = {
	{ "support@example.com", 42,
	  "support+42-" MAC_42 "@example.com" },
	{ "Support@Example.COM", 1, "Support+1-" MAC_1 "@Example.COM" },
	{ "support+acme@example.com", 42,
	  "support+acme+42-" MAC_42 "@example.com" },
	{ "support@example.com", G_GINT64_CONSTANT(9007199254740992),
	  "support+9007199254740992-" MAC_MAX "@example.com" },
	{ "support@example.com", G_GINT64_CONSTANT(9007199254740993), NULL },
	{ "support@example.com", 0, NULL },
	{ "support@example.com", -42, NULL },
	{ "support", 42, NULL },
	{ "@example.com", 42, NULL },
	{ "support@", 42, NULL },
};

static void
test_agent_auth_address(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(address_cases); i++) {
		char *a = agent_auth_token_address(address_cases[i].address,
						   address_cases[i].ticket,
						   (const guint8 *)KEY,
						   KEY_LEN);

		g_test_message("case %" G_GSIZE_FORMAT, i);
		g_assert_cmpstr(a, ==, address_cases[i].expect);
		g_free(a);
	}
}

static const struct {
	const char *addr;
	const char *address;
	gboolean ret;
	gint64 ticket;
	gboolean valid;
} parse_cases[] = {
	{ "support+42-" MAC_42 "@example.com", "support@example.com",
	  TRUE, 42, TRUE },
	{ "SUPPORT+42-" MAC_42 "@EXAMPLE.com", "support@example.com",
	  TRUE, 42, TRUE },
	{ "support+42-" MAC_42 "@example.com", "Support@Example.Com",
	  TRUE, 42, TRUE },
	{ "support+42-3B12D0412DB185C9@example.com", "support@example.com",
	  TRUE, 42, TRUE },
	{ "support+acme+42-" MAC_42 "@example.com",
	  "support+acme@example.com", TRUE, 42, TRUE },
	{ "support+9007199254740992-" MAC_MAX "@example.com",
	  "support@example.com", TRUE, G_GINT64_CONSTANT(9007199254740992),
	  TRUE },
	{ "support+1-" MAC_1 "@example.com", "support@example.com",
	  TRUE, 1, TRUE },
	/* Right form, wrong mac. */
	{ "support+42-" MAC_43 "@example.com", "support@example.com",
	  TRUE, 42, FALSE },
	{ "support+43-" MAC_42 "@example.com", "support@example.com",
	  TRUE, 43, FALSE },
	{ "support+42-3b12d0412db185c8@example.com", "support@example.com",
	  TRUE, 42, FALSE },
	{ "support+42-" MAC_42_OTHER_KEY "@example.com",
	  "support@example.com", TRUE, 42, FALSE },
	{ "support+42-0000000000000000@example.com", "support@example.com",
	  TRUE, 42, FALSE },
	/* Not a token address of support@example.com. */
	{ "support@example.com", "support@example.com", FALSE, 0, FALSE },
	{ "support+042-" MAC_42 "@example.com", "support@example.com",
	  FALSE, 0, FALSE },
	{ "support+0-" MAC_42 "@example.com", "support@example.com",
	  FALSE, 0, FALSE },
	{ "support+-42-" MAC_42 "@example.com", "support@example.com",
	  FALSE, 0, FALSE },
	{ "support++42-" MAC_42 "@example.com", "support@example.com",
	  FALSE, 0, FALSE },
	{ "support+ 42-" MAC_42 "@example.com", "support@example.com",
	  FALSE, 0, FALSE },
	{ "support+4a2-" MAC_42 "@example.com", "support@example.com",
	  FALSE, 0, FALSE },
	{ "support+42" MAC_42 "@example.com", "support@example.com",
	  FALSE, 0, FALSE },
	{ "support+42--" MAC_42 "@example.com", "support@example.com",
	  FALSE, 0, FALSE },
	{ "support+9007199254740993-" MAC_MAX "@example.com",
	  "support@example.com", FALSE, 0, FALSE },
	{ "support+10000000000000000-" MAC_MAX "@example.com",
	  "support@example.com", FALSE, 0, FALSE },
	{ "support+99999999999999999999999-" MAC_MAX "@example.com",
	  "support@example.com", FALSE, 0, FALSE },
	{ "support+42-3b12d0412db185c@example.com", "support@example.com",
	  FALSE, 0, FALSE },
	{ "support+42-" MAC_42 "0@example.com", "support@example.com",
	  FALSE, 0, FALSE },
	{ "support+42-3b12d0412db185cg@example.com", "support@example.com",
	  FALSE, 0, FALSE },
	{ "support+42-" MAC_42 "@example.com.evil.org",
	  "support@example.com", FALSE, 0, FALSE },
	{ "support+42-" MAC_42 "@example.comx", "support@example.com",
	  FALSE, 0, FALSE },
	{ "support+42-" MAC_42 "@example.com>", "support@example.com",
	  FALSE, 0, FALSE },
	{ "<support+42-" MAC_42 "@example.com>", "support@example.com",
	  FALSE, 0, FALSE },
	{ " support+42-" MAC_42 "@example.com", "support@example.com",
	  FALSE, 0, FALSE },
	{ "xsupport+42-" MAC_42 "@example.com", "support@example.com",
	  FALSE, 0, FALSE },
	{ "sales+42-" MAC_42 "@example.com", "support@example.com",
	  FALSE, 0, FALSE },
	{ "support+42-" MAC_42 "@example.org", "support@example.com",
	  FALSE, 0, FALSE },
	{ "support+42-" MAC_42 "@", "support@example.com", FALSE, 0, FALSE },
	{ "support+42-" MAC_42, "support@example.com", FALSE, 0, FALSE },
	{ "", "support@example.com", FALSE, 0, FALSE },
	{ "support+42-" MAC_42 "@example.com", "support", FALSE, 0, FALSE },
};

static void
test_agent_auth_parse(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(parse_cases); i++) {
		gint64 id = 0;
		gboolean valid = TRUE, ret;

		g_test_message("case %" G_GSIZE_FORMAT ": %s", i,
			       parse_cases[i].addr);
		ret = agent_auth_token_parse(parse_cases[i].addr,
					     parse_cases[i].address,
					     (const guint8 *)KEY, KEY_LEN,
					     &id, &valid);
		g_assert_cmpint(ret, ==, parse_cases[i].ret);
		g_assert_cmpint(valid, ==, parse_cases[i].valid);
		if (ret)
			g_assert_cmpint(id, ==, parse_cases[i].ticket);
	}
}

static void
test_agent_auth_round_trip(void)
{
	static const gint64 ids[] = { 1, 7, 99, 1000, 123456789,
				      G_GINT64_CONSTANT(4503599627370496) };
	guint8 key[32], other[32];

	g_assert_cmpint(agent_auth_random_key(key, sizeof key), ==, 0);
	g_assert_cmpint(agent_auth_random_key(other, sizeof other), ==, 0);
	for (gsize i = 0; i < G_N_ELEMENTS(ids); i++) {
		char *a = agent_auth_token_address("help@support.example.org",
						   ids[i], key, sizeof key);
		gint64 id = 0;
		gboolean valid = FALSE;

		g_assert_nonnull(a);
		g_assert_true(agent_auth_token_parse(
			a, "help@support.example.org", key, sizeof key, &id,
			&valid));
		g_assert_cmpint(id, ==, ids[i]);
		g_assert_true(valid);
		g_assert_true(agent_auth_token_parse(
			a, "help@support.example.org", other, sizeof other,
			&id, &valid));
		g_assert_false(valid);
		g_free(a);
	}
}

static void
test_agent_auth_random(void)
{
	guint8 a[64], b[64], big[4096];
	guint zeros = 0;

	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	g_assert_cmpint(agent_auth_random_key(a, sizeof a), ==, 0);
	g_assert_cmpint(agent_auth_random_key(b, sizeof b), ==, 0);
	g_assert_cmpint(memcmp(a, b, sizeof a), !=, 0);
	g_assert_cmpint(agent_auth_random_key(a, 0), ==, 0);
	/* More than one getrandom() call may return. */
	memset(big, 0, sizeof big);
	g_assert_cmpint(agent_auth_random_key(big, sizeof big), ==, 0);
	for (gsize i = 0; i < sizeof big; i++)
		zeros += big[i] == 0;
	g_assert_cmpuint(zeros, <, 100);
}

/*
 * Authentication-Results cases: up to three header values, the
 * authserv-id we trust, the sender, and the expected answer.
 */

#define GMAIL \
	"mx.google.com;\r\n" \
	"       dkim=pass header.i=@example.com header.s=google " \
	"header.b=Ab1Cd2Ef;\r\n" \
	"       spf=pass (google.com: domain of agent@example.com " \
	"designates 209.85.220.41 as permitted sender) " \
	"smtp.mailfrom=agent@example.com;\r\n" \
	"       dmarc=pass (p=REJECT sp=REJECT dis=NONE) " \
	"header.from=example.com"

#define GMAIL_SOFTFAIL \
	"mx.google.com; dkim=neutral (body hash did not verify) " \
	"header.i=@example.com header.s=s1 header.b=xyz; " \
	"spf=softfail (google.com: domain of transitioning " \
	"agent@example.com does not designate 203.0.113.5 as permitted " \
	"sender) smtp.mailfrom=agent@example.com; " \
	"dmarc=fail (p=NONE sp=NONE dis=NONE) header.from=example.com"

#define MICROSOFT \
	"spf=pass (sender IP is 209.85.128.41) " \
	"smtp.mailfrom=example.com; dkim=pass (signature was verified) " \
	"header.d=example.com;dmarc=pass action=none " \
	"header.from=example.com;compauth=pass reason=100"

#define FASTMAIL \
	"mx5.messagingengine.com;\n" \
	"    dkim=pass (2048-bit rsa key sha256) header.d=example.com " \
	"header.i=@example.com header.b=AbCdEfGh header.a=rsa-sha256 " \
	"header.s=fm1 x-bits=2048;\n" \
	"    dmarc=pass policy.published-domain-policy=none " \
	"policy.applied-disposition=none " \
	"policy.evaluated-disposition=none " \
	"(p=none,d=none,d.eval=none) policy.policy-from=p " \
	"header.from=example.com;\n" \
	"    iprev=pass smtp.remote-ip=66.111.4.28 " \
	"(out4-smtp.messagingengine.com);\n" \
	"    spf=pass smtp.mailfrom=agent@example.com " \
	"smtp.helo=out4-smtp.messagingengine.com;\n" \
	"    x-aligned-from=pass (Address match);\n" \
	"    x-me-sender=none;\n" \
	"    x-ptr=pass smtp.helo=out4-smtp.messagingengine.com " \
	"policy.ptr=out4-smtp.messagingengine.com"

#define FASTMAIL_SPF_ONLY \
	"mx5.messagingengine.com; dkim=none (no signatures found); " \
	"spf=pass smtp.mailfrom=agent@example.com " \
	"smtp.helo=mail.example.com"

#define OPENDKIM \
	"mail.example.com; dkim=pass (2048-bit key; unprotected) " \
	"header.d=example.com header.i=@example.com header.b=abcdEFGH; " \
	"dkim-atps=neutral"

#define OPENDKIM_FAIL \
	"mail.example.com; dkim=fail reason=\"signature verification " \
	"failed\" (2048-bit key; unprotected) header.d=example.com " \
	"header.i=@example.com header.b=abcdEFGH; dkim-atps=neutral"

#define SPF_POLICYD \
	"mail.example.com; spf=pass (sender SPF authorized) " \
	"smtp.mailfrom=agent@example.com"

static const struct {
	const char *headers[3];
	const char *authserv_id;
	const char *sender;
	gboolean pass;
} results_cases[] = {
	/* Real ones. */
	{ { GMAIL }, "mx.google.com", "agent@example.com", TRUE },
	{ { GMAIL }, "MX.Google.COM", "Agent@EXAMPLE.com", TRUE },
	{ { GMAIL }, "mx.google.com", "<agent@example.com>", TRUE },
	{ { GMAIL }, "mx.google.com", "agent@example.org", FALSE },
	{ { GMAIL }, "mail.example.com", "agent@example.com", FALSE },
	{ { GMAIL_SOFTFAIL }, "mx.google.com", "agent@example.com", FALSE },
	/* Microsoft's has no authserv-id: never trusted. */
	{ { MICROSOFT }, "mx.microsoft.com", "agent@example.com", FALSE },
	{ { MICROSOFT }, "spf", "agent@example.com", FALSE },
	{ { MICROSOFT }, "spf=pass", "agent@example.com", FALSE },
	{ { FASTMAIL }, "mx5.messagingengine.com", "agent@example.com",
	  TRUE },
	{ { FASTMAIL }, "mx5.messagingengine.com", "agent@other.example",
	  FALSE },
	{ { FASTMAIL_SPF_ONLY }, "mx5.messagingengine.com",
	  "agent@example.com", TRUE },
	{ { FASTMAIL_SPF_ONLY }, "mx5.messagingengine.com",
	  "agent@mail.example.com", FALSE },
	{ { OPENDKIM }, "mail.example.com", "a@example.com", TRUE },
	{ { OPENDKIM }, "mail.example.com", "a@mail.example.com", TRUE },
	{ { OPENDKIM }, "mail.example.com", "a@x.y.example.com", TRUE },
	{ { OPENDKIM }, "Mail.Example.COM", "a@example.com", TRUE },
	{ { OPENDKIM }, "mail.example.com", "a@example.org", FALSE },
	{ { OPENDKIM }, "mail.example.com", "a@notexample.com", FALSE },
	{ { OPENDKIM }, "mail.example.com", "a@com", FALSE },
	{ { OPENDKIM }, "mail.example.com", "example.com", FALSE },
	{ { OPENDKIM_FAIL }, "mail.example.com", "a@example.com", FALSE },
	{ { SPF_POLICYD }, "mail.example.com", "agent@example.com", TRUE },
	{ { SPF_POLICYD }, "mail.example.com", "agent@sub.example.com",
	  FALSE },
	/* Several headers: only ours counts. */
	{ { "evil.example.net; dkim=pass header.d=example.com",
	    "mail.example.com; none" },
	  "mail.example.com", "a@example.com", FALSE },
	{ { "evil.example.net; none", OPENDKIM },
	  "mail.example.com", "a@example.com", TRUE },
	{ { "mail.example.com; dkim=fail header.d=example.com",
	    "mail.example.com; spf=pass smtp.mailfrom=a@example.com" },
	  "mail.example.com", "a@example.com", TRUE },
	/* Forged authserv-ids. */
	{ { "(mail.example.com) evil.example.net; "
	    "dkim=pass header.d=example.com" },
	  "mail.example.com", "a@example.com", FALSE },
	{ { "mail.example.com.evil.org; dkim=pass header.d=example.com" },
	  "mail.example.com", "a@example.com", FALSE },
	{ { "evil.mail.example.com; dkim=pass header.d=example.com" },
	  "mail.example.com", "a@example.com", FALSE },
	{ { "mail.example.com evil; dkim=pass header.d=example.com" },
	  "mail.example.com", "a@example.com", FALSE },
	{ { "mail.example.com=x; dkim=pass header.d=example.com" },
	  "mail.example.com", "a@example.com", FALSE },
	/* Allowed forms of the authserv-id. */
	{ { "mail.example.com 1; dkim=pass header.d=example.com" },
	  "mail.example.com", "a@example.com", TRUE },
	{ { "\"mail.example.com\"; dkim=pass header.d=example.com" },
	  "mail.example.com", "a@example.com", TRUE },
	{ { " (our MTA) mail.example.com (v1) ; dkim=pass "
	    "header.d=example.com" },
	  "mail.example.com", "a@example.com", TRUE },
	/* Domains. */
	{ { "mail.example.com; dkim=pass header.d=evil.com" },
	  "mail.example.com", "a@example.com", FALSE },
	{ { "mail.example.com; dkim=pass header.d=com" },
	  "mail.example.com", "a@example.com", FALSE },
	{ { "mail.example.com; dkim=pass header.d=.com" },
	  "mail.example.com", "a@example.com", FALSE },
	{ { "mail.example.com; dkim=pass header.d=com." },
	  "mail.example.com", "a@example.com", FALSE },
	{ { "mail.example.com; dkim=pass header.d=le.com" },
	  "mail.example.com", "a@example.com", FALSE },
	{ { "mail.example.com; dkim=pass header.d=sub.example.com" },
	  "mail.example.com", "a@example.com", FALSE },
	{ { "mail.example.com; dkim=pass header.d=example.com." },
	  "mail.example.com", "a@example.com", TRUE },
	{ { "mail.example.com; dkim=pass header.d=EXAMPLE.COM" },
	  "mail.example.com", "a@example.com", TRUE },
	{ { "mail.example.com; dkim=pass header.i=agent@sub.example.com" },
	  "mail.example.com", "a@sub.example.com", TRUE },
	{ { "mail.example.com; dkim=pass header.i=@example.com" },
	  "mail.example.com", "a@example.com", TRUE },
	{ { "mail.example.com; dkim=pass header.s=sel header.b=x" },
	  "mail.example.com", "a@example.com", FALSE },
	{ { "mail.example.com; spf=pass smtp.mailfrom=example.com" },
	  "mail.example.com", "a@example.com", TRUE },
	{ { "mail.example.com; spf=pass smtp.mailfrom=b@mail.example.com" },
	  "mail.example.com", "a@example.com", FALSE },
	{ { "mail.example.com; spf=pass smtp.helo=example.com" },
	  "mail.example.com", "a@example.com", FALSE },
	{ { "mail.example.com; spf=pass header.d=example.com" },
	  "mail.example.com", "a@example.com", FALSE },
	{ { "mail.example.com; dkim=pass smtp.mailfrom=a@example.com" },
	  "mail.example.com", "a@example.com", FALSE },
	{ { "mail.example.com; dmarc=pass header.from=example.com" },
	  "mail.example.com", "a@example.com", FALSE },
	{ { "mail.example.com; dkim-atps=pass header.d=example.com" },
	  "mail.example.com", "a@example.com", FALSE },
	/* Results. */
	{ { "mail.example.com; dkim=neutral header.d=example.com" },
	  "mail.example.com", "a@example.com", FALSE },
	{ { "mail.example.com; dkim=policy header.d=example.com" },
	  "mail.example.com", "a@example.com", FALSE },
	{ { "mail.example.com; spf=softfail smtp.mailfrom=a@example.com" },
	  "mail.example.com", "a@example.com", FALSE },
	{ { "mail.example.com; spf=neutral smtp.mailfrom=a@example.com" },
	  "mail.example.com", "a@example.com", FALSE },
	{ { "mail.example.com; none" },
	  "mail.example.com", "a@example.com", FALSE },
	{ { "mail.example.com 1; none" },
	  "mail.example.com", "a@example.com", FALSE },
	{ { "mail.example.com; DKIM=PASS Header.D=example.com" },
	  "mail.example.com", "a@example.com", TRUE },
	{ { "mail.example.com; dkim = pass header.d = example.com" },
	  "mail.example.com", "a@example.com", TRUE },
	{ { "mail.example.com; dkim/1=pass header.d=example.com" },
	  "mail.example.com", "a@example.com", TRUE },
	/* Comments and quoted strings. */
	{ { "mail.example.com; dkim=pass (a (nested; comment) here) "
	    "header.d=example.com" },
	  "mail.example.com", "a@example.com", TRUE },
	{ { "mail.example.com; dkim=pass (escaped \\) paren; x) "
	    "header.d=example.com" },
	  "mail.example.com", "a@example.com", TRUE },
	{ { "mail.example.com; dkim=pass reason=\"good; (really)\" "
	    "header.d=example.com" },
	  "mail.example.com", "a@example.com", TRUE },
	{ { "mail.example.com; dkim=pass header.d=\"example.com\"" },
	  "mail.example.com", "a@example.com", TRUE },
	{ { "mail.example.com; dkim=fail (dkim=pass header.d=example.com) "
	    "header.d=example.com" },
	  "mail.example.com", "a@example.com", FALSE },
	{ { "mail.example.com; dkim=fail header.d=evil.org "
	    "(; dkim=pass header.d=example.com)" },
	  "mail.example.com", "a@example.com", FALSE },
	{ { "mail.example.com; dkim=pass (oops header.d=example.com" },
	  "mail.example.com", "a@example.com", FALSE },
	{ { "mail.example.com; dkim=pass reason=\"oops header.d=example.com" },
	  "mail.example.com", "a@example.com", FALSE },
	/* Garbage. */
	{ { "" }, "mail.example.com", "a@example.com", FALSE },
	{ { ";;;" }, "mail.example.com", "a@example.com", FALSE },
	{ { "=====" }, "mail.example.com", "a@example.com", FALSE },
	{ { "mail.example.com" }, "mail.example.com", "a@example.com", FALSE },
	{ { "mail.example.com;" }, "mail.example.com", "a@example.com",
	  FALSE },
	{ { "mail.example.com; dkim" }, "mail.example.com", "a@example.com",
	  FALSE },
	{ { "mail.example.com; dkim=" }, "mail.example.com", "a@example.com",
	  FALSE },
	{ { "mail.example.com; =pass header.d=example.com" },
	  "mail.example.com", "a@example.com", FALSE },
	{ { "mail.example.com; dkim=pass header.d=" },
	  "mail.example.com", "a@example.com", FALSE },
	{ { "mail.example.com; dkim=pass header.d" },
	  "mail.example.com", "a@example.com", FALSE },
	{ { "mail.example.com; dkim=pass header.d=exa..mple.com" },
	  "mail.example.com", "a@exa..mple.com", FALSE },
	{ { OPENDKIM }, "", "a@example.com", FALSE },
	{ { OPENDKIM }, "mail.example.com", "", FALSE },
	{ { OPENDKIM }, "mail.example.com", "a@", FALSE },
	{ { NULL }, "mail.example.com", "a@example.com", FALSE },
};

static void
test_agent_auth_results(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(results_cases); i++) {
		GPtrArray *h = g_ptr_array_new();

		for (gsize j = 0; j < G_N_ELEMENTS(results_cases[i].headers) &&
		     results_cases[i].headers[j] != NULL; j++)
			g_ptr_array_add(h, (char *)results_cases[i].headers[j]);
		g_test_message("case %" G_GSIZE_FORMAT ": %s / %s", i,
			       results_cases[i].authserv_id,
			       results_cases[i].sender);
		g_assert_cmpint(agent_auth_results_pass(
			h, results_cases[i].authserv_id,
			results_cases[i].sender), ==, results_cases[i].pass);
		g_ptr_array_free(h, TRUE);
	}
}

static void
test_agent_auth_results_null(void)
{
	GPtrArray *h = g_ptr_array_new();

	g_ptr_array_add(h, (char *)OPENDKIM);
	g_assert_false(agent_auth_results_pass(NULL, "mail.example.com",
					       "a@example.com"));
	g_assert_false(agent_auth_results_pass(h, NULL, "a@example.com"));
	g_assert_false(agent_auth_results_pass(h, "mail.example.com", NULL));
	g_assert_true(agent_auth_results_pass(h, "mail.example.com",
					      "a@example.com"));
	g_ptr_array_add(h, NULL);
	g_assert_true(agent_auth_results_pass(h, "mail.example.com",
					      "a@example.com"));
	g_ptr_array_free(h, TRUE);
}

static void
test_agent_auth_results_huge(void)
{
	GString *s = g_string_new("mail.example.com; ");
	GPtrArray *h = g_ptr_array_new();

	/* Deep comments and a very long value: no crash, no pass. */
	for (int i = 0; i < 5000; i++)
		g_string_append_c(s, '(');
	g_string_append(s, "dkim=pass header.d=example.com");
	g_ptr_array_add(h, s->str);
	g_assert_false(agent_auth_results_pass(h, "mail.example.com",
					       "a@example.com"));
	g_string_assign(s, "mail.example.com; ");
	for (int i = 0; i < 5000; i++)
		g_string_append(s, "x=y ");
	g_string_append(s, "; dkim=pass header.d=example.com");
	h->pdata[0] = s->str;
	g_assert_false(agent_auth_results_pass(h, "mail.example.com",
					       "a@example.com"));
	g_ptr_array_free(h, TRUE);
	g_string_free(s, TRUE);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/agent-auth/address", test_agent_auth_address);
	g_test_add_func("/agent-auth/parse", test_agent_auth_parse);
	g_test_add_func("/agent-auth/round-trip", test_agent_auth_round_trip);
	g_test_add_func("/agent-auth/random", test_agent_auth_random);
	g_test_add_func("/agent-auth/results", test_agent_auth_results);
	g_test_add_func("/agent-auth/results-null",
			test_agent_auth_results_null);
	g_test_add_func("/agent-auth/results-huge",
			test_agent_auth_results_huge);
	return g_test_run();
}
