/* Agent authentication: token addresses and Authentication-Results. */
#include "autodefs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<sys/random.h>)
#include <sys/random.h>
#define AGENT_AUTH_HAVE_GETRANDOM 1
#endif
#endif

#include "agent-auth.h"

/* Largest ticket number in a token address: 2^53, the largest integer a
   double (and so JSON) holds exactly. */
#define AGENT_AUTH_MAX_TICKET G_GINT64_CONSTANT(9007199254740992)

/* Its length in decimal digits. */
#define AGENT_AUTH_MAX_DIGITS 16

/* Longest Authentication-Results value looked at. */
#define AGENT_AUTH_MAX_RESULTS 16384

/* Write the mac of ticket_id under key into mac (AGENT_AUTH_MAC_HEX lower
   case hex digits and a NUL). */
static void
agent_auth_mac(const char *purpose, gint64 ticket_id, const guint8 *key,
	       gsize key_len, char mac[AGENT_AUTH_MAC_HEX + 1])
{
	char digits[64];
	GHmac *hmac;
	const char *hex;

	/* Agents' reply addresses sign the bare number; other purposes
	   sign "purpose:number" so that no address doubles as another. */
	if (purpose != NULL)
		g_snprintf(digits, sizeof digits, "%s:%" G_GINT64_FORMAT,
			   purpose, ticket_id);
	else
		g_snprintf(digits, sizeof digits, "%" G_GINT64_FORMAT,
			   ticket_id);
	hmac = g_hmac_new(G_CHECKSUM_SHA256, key, key_len);
	g_hmac_update(hmac, (const guchar *)digits, (gssize)strlen(digits));
	hex = g_hmac_get_string(hmac);
	memcpy(mac, hex, AGENT_AUTH_MAC_HEX);
	mac[AGENT_AUTH_MAC_HEX] = '\0';
	g_hmac_unref(hmac);
}

/* Compare n bytes of a and b in time that does not depend on where they
   differ; TRUE when equal. */
static gboolean
agent_auth_equal(const char *a, const char *b, gsize n)
{
	volatile guint8 diff = 0;

	for (gsize i = 0; i < n; i++)
		diff |= (guint8)(a[i] ^ b[i]);
	return diff == 0;
}

char *
agent_auth_token_address(const char *address, gint64 ticket_id,
			 const guint8 *key, gsize key_len)
{
	return agent_auth_purpose_address(address, NULL, ticket_id, key,
					  key_len);
}

gboolean
agent_auth_token_parse(const char *addr, const char *address,
		       const guint8 *key, gsize key_len,
		       gint64 *ticket_id_r, gboolean *valid_r)
{
	return agent_auth_purpose_parse(addr, address, NULL, key, key_len,
					ticket_id_r, valid_r);
}

char *
agent_auth_purpose_address(const char *address, const char *purpose,
			   gint64 ticket_id, const guint8 *key, gsize key_len)
{
	char mac[AGENT_AUTH_MAC_HEX + 1];
	const char *at;

	if (address == NULL || key == NULL || ticket_id < 1 ||
	    ticket_id > AGENT_AUTH_MAX_TICKET)
		return NULL;
	at = strrchr(address, '@');
	if (at == NULL || at == address || at[1] == '\0')
		return NULL;
	agent_auth_mac(purpose, ticket_id, key, key_len, mac);
	return g_strdup_printf("%.*s+%s%s%" G_GINT64_FORMAT "-%s@%s",
			       (int)(at - address), address,
			       purpose != NULL ? purpose : "",
			       purpose != NULL ? "-" : "", ticket_id, mac,
			       at + 1);
}

gboolean
agent_auth_purpose_parse(const char *addr, const char *address,
			 const char *purpose, const guint8 *key,
			 gsize key_len, gint64 *ticket_id_r,
			 gboolean *valid_r)
{
	char mac[AGENT_AUTH_MAC_HEX + 1], given[AGENT_AUTH_MAC_HEX + 1];
	const char *at, *p;
	gsize local_len, ndigits;
	gint64 id = 0;

	if (valid_r != NULL)
		*valid_r = FALSE;
	if (addr == NULL || address == NULL || key == NULL)
		return FALSE;
	at = strrchr(address, '@');
	if (at == NULL || at == address || at[1] == '\0')
		return FALSE;
	local_len = (gsize)(at - address);

	/* LOCAL "+" */
	if (g_ascii_strncasecmp(addr, address, local_len) != 0 ||
	    addr[local_len] != '+')
		return FALSE;
	p = addr + local_len + 1;
	if (purpose != NULL) {
		gsize plen = strlen(purpose);

		if (g_ascii_strncasecmp(p, purpose, plen) != 0 ||
		    p[plen] != '-')
			return FALSE;
		p += plen + 1;
	}

	/* The ticket number in canonical form: no sign, no leading zero,
	   at most 2^53. */
	if (*p < '1' || *p > '9')
		return FALSE;
	for (ndigits = 0; g_ascii_isdigit(p[ndigits]); ndigits++) {
		if (ndigits == AGENT_AUTH_MAX_DIGITS)
			return FALSE;
		id = id * 10 + (p[ndigits] - '0');
	}
	if (id > AGENT_AUTH_MAX_TICKET)
		return FALSE;
	p += ndigits;

	/* "-" MAC "@" DOMAIN, nothing more */
	if (*p++ != '-')
		return FALSE;
	for (gsize i = 0; i < AGENT_AUTH_MAC_HEX; i++) {
		if (!g_ascii_isxdigit(p[i]))
			return FALSE;
		given[i] = g_ascii_tolower(p[i]);
	}
	given[AGENT_AUTH_MAC_HEX] = '\0';
	p += AGENT_AUTH_MAC_HEX;
	if (*p++ != '@' || g_ascii_strcasecmp(p, at + 1) != 0)
		return FALSE;

	agent_auth_mac(purpose, id, key, key_len, mac);
	if (ticket_id_r != NULL)
		*ticket_id_r = id;
	if (valid_r != NULL)
		*valid_r = agent_auth_equal(mac, given, AGENT_AUTH_MAC_HEX);
	return TRUE;
}

/*
 * Authentication-Results (RFC 8601).  The value is parsed in three steps:
 * comments are blanked out, the rest is split at ';' into the authserv-id
 * part and the resinfo parts, and each resinfo is read as a list of
 * key=value pairs, the first one being method=result.
 */

/* One key=value pair of a resinfo: "dkim" "pass", "header.d" "a.example". */
struct agent_auth_pair {
	char *key;		/* lower case */
	char *value;		/* unquoted */
};

static gboolean
agent_auth_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Return a copy of value with every comment (nested parentheses, with
   backslash escapes) replaced by a space and quoted strings kept, or NULL
   when a comment or quoted string is not closed. */
static char *
agent_auth_strip_comments(const char *value)
{
	GString *out = g_string_sized_new(strlen(value));
	gboolean quoted = FALSE;
	int depth = 0;

	for (const char *p = value; *p != '\0'; p++) {
		if (depth > 0) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')' && --depth == 0)
				g_string_append_c(out, ' ');
			continue;
		}
		if (quoted) {
			if (*p == '\\' && p[1] != '\0')
				g_string_append_c(out, *p++);
			else if (*p == '"')
				quoted = FALSE;
			g_string_append_c(out, *p);
			continue;
		}
		if (*p == '(') {
			depth = 1;
			continue;
		}
		if (*p == '"')
			quoted = TRUE;
		g_string_append_c(out, *p);
	}
	if (depth > 0 || quoted) {
		g_string_free(out, TRUE);
		return NULL;
	}
	return g_string_free(out, FALSE);
}

/* Split s at ';' outside quoted strings; returns a NULL-terminated vector
   of new strings (free with g_strfreev). */
static char **
agent_auth_split(const char *s)
{
	GPtrArray *parts = g_ptr_array_new();
	const char *start = s;
	gboolean quoted = FALSE;

	for (const char *p = s;; p++) {
		if (*p == '\0' || (*p == ';' && !quoted)) {
			g_ptr_array_add(parts, g_strndup(start,
							 (gsize)(p - start)));
			if (*p == '\0')
				break;
			start = p + 1;
		} else if (quoted && *p == '\\' && p[1] != '\0') {
			p++;
		} else if (*p == '"') {
			quoted = !quoted;
		}
	}
	g_ptr_array_add(parts, NULL);
	return (char **)g_ptr_array_free(parts, FALSE);
}

/* Read a value (a run of non-space characters, quoted strings included
   and unquoted) at *p; advance *p.  Returns a new string, NULL when
   empty. */
static char *
agent_auth_read_value(const char **p, const char *stop)
{
	GString *v = g_string_new(NULL);
	const char *s = *p;
	gboolean quoted = FALSE;

	for (; *s != '\0'; s++) {
		if (quoted) {
			if (*s == '\\' && s[1] != '\0')
				s++;
			else if (*s == '"') {
				quoted = FALSE;
				continue;
			}
			g_string_append_c(v, *s);
			continue;
		}
		if (agent_auth_is_space(*s) || strchr(stop, *s) != NULL)
			break;
		if (*s == '"') {
			quoted = TRUE;
			continue;
		}
		g_string_append_c(v, *s);
	}
	*p = s;
	if (v->len == 0) {
		g_string_free(v, TRUE);
		return NULL;
	}
	return g_string_free(v, FALSE);
}

static void
agent_auth_pair_free(struct agent_auth_pair *pair)
{
	g_free(pair->key);
	g_free(pair->value);
	g_free(pair);
}

/* Parse a resinfo ("dkim=pass header.d=example.com ...") into pairs;
   NULL when it is not a list of key=value. */
static GPtrArray *
agent_auth_parse_resinfo(const char *s)
{
	GPtrArray *pairs = g_ptr_array_new_with_free_func(
		(GDestroyNotify)agent_auth_pair_free);

	for (;;) {
		struct agent_auth_pair *pair;
		char *key, *value;

		while (agent_auth_is_space(*s))
			s++;
		if (*s == '\0')
			break;
		key = agent_auth_read_value(&s, "=");
		while (agent_auth_is_space(*s))
			s++;
		if (key == NULL || *s != '=') {
			g_free(key);
			g_ptr_array_free(pairs, TRUE);
			return NULL;
		}
		s++;
		while (agent_auth_is_space(*s))
			s++;
		value = agent_auth_read_value(&s, "");
		if (value == NULL) {
			g_free(key);
			g_ptr_array_free(pairs, TRUE);
			return NULL;
		}
		pair = g_new(struct agent_auth_pair, 1);
		pair->key = g_ascii_strdown(key, -1);
		pair->value = value;
		g_free(key);
		g_ptr_array_add(pairs, pair);
	}
	if (pairs->len == 0) {
		g_ptr_array_free(pairs, TRUE);
		return NULL;
	}
	return pairs;
}

/* Does the authserv-id part s ("mx.example.com" or "mx.example.com 1")
   name authserv_id? */
static gboolean
agent_auth_id_matches(const char *s, const char *authserv_id)
{
	const char *p = s;
	char *id;
	gboolean ok;

	while (agent_auth_is_space(*p))
		p++;
	if (*p == '"') {
		id = agent_auth_read_value(&p, "");
	} else {
		/* A token: no RFC 2045 tspecials.  This also rejects
		   Microsoft's header, which has no authserv-id at all
		   ("spf=pass ... smtp.mailfrom=..."). */
		id = agent_auth_read_value(&p, "()<>@,;:\\\"/[]?=");
	}
	if (id == NULL)
		return FALSE;
	while (agent_auth_is_space(*p))
		p++;
	while (g_ascii_isdigit(*p))
		p++;
	while (agent_auth_is_space(*p))
		p++;
	ok = *p == '\0' && g_ascii_strcasecmp(id, authserv_id) == 0;
	g_free(id);
	return ok;
}

/* Return a new lower-case copy of the domain in s: what follows its last
   '@' (the whole of s when there is none), without a final '.'; NULL when
   that is empty or has empty labels. */
static char *
agent_auth_domain(const char *s)
{
	const char *at = strrchr(s, '@');
	char *d;
	gsize len;

	d = g_ascii_strdown(at != NULL ? at + 1 : s, -1);
	len = strlen(d);
	if (len > 0 && d[len - 1] == '.')
		d[--len] = '\0';
	if (len == 0 || d[0] == '.' || strstr(d, "..") != NULL ||
	    strpbrk(d, " \t\r\n<>@") != NULL) {
		g_free(d);
		return NULL;
	}
	return d;
}

/* Is signer (a DKIM d= or i= value) sender_domain or a parent of it with
   at least two labels? */
static gboolean
agent_auth_dkim_aligned(const char *signer, const char *sender_domain)
{
	char *d = agent_auth_domain(signer);
	gsize dlen, slen;
	gboolean ok = FALSE;

	if (d == NULL)
		return FALSE;
	dlen = strlen(d);
	slen = strlen(sender_domain);
	if (strchr(d, '.') != NULL) {
		if (strcmp(d, sender_domain) == 0)
			ok = TRUE;
		else if (slen > dlen && sender_domain[slen - dlen - 1] == '.' &&
			 strcmp(sender_domain + slen - dlen, d) == 0)
			ok = TRUE;
	}
	g_free(d);
	return ok;
}

/* Is smtp.mailfrom's domain exactly sender_domain? */
static gboolean
agent_auth_spf_aligned(const char *mailfrom, const char *sender_domain)
{
	char *d = agent_auth_domain(mailfrom);
	gboolean ok;

	ok = d != NULL && strcmp(d, sender_domain) == 0;
	g_free(d);
	return ok;
}

/* Does resinfo (pairs) pass for sender_domain? */
static gboolean
agent_auth_resinfo_pass(const GPtrArray *pairs, const char *sender_domain)
{
	const struct agent_auth_pair *first = pairs->pdata[0];
	gsize mlen = strcspn(first->key, "/ \t");
	gboolean dkim, spf;

	if (g_ascii_strcasecmp(first->value, "pass") != 0)
		return FALSE;
	dkim = mlen == 4 && strncmp(first->key, "dkim", 4) == 0;
	spf = mlen == 3 && strncmp(first->key, "spf", 3) == 0;
	for (guint i = 1; i < pairs->len; i++) {
		const struct agent_auth_pair *pr = pairs->pdata[i];

		if (dkim && (strcmp(pr->key, "header.d") == 0 ||
			     strcmp(pr->key, "header.i") == 0) &&
		    agent_auth_dkim_aligned(pr->value, sender_domain))
			return TRUE;
		if (spf && strcmp(pr->key, "smtp.mailfrom") == 0 &&
		    agent_auth_spf_aligned(pr->value, sender_domain))
			return TRUE;
	}
	return FALSE;
}

/* Does one header value pass? */
static gboolean
agent_auth_header_pass(const char *value, const char *authserv_id,
		       const char *sender_domain)
{
	char *clean;
	char **parts;
	gboolean pass = FALSE;

	if (strlen(value) > AGENT_AUTH_MAX_RESULTS)
		return FALSE;
	clean = agent_auth_strip_comments(value);
	if (clean == NULL)
		return FALSE;
	parts = agent_auth_split(clean);
	if (parts[0] != NULL && agent_auth_id_matches(parts[0], authserv_id)) {
		for (int i = 1; parts[i] != NULL && !pass; i++) {
			GPtrArray *pairs = agent_auth_parse_resinfo(parts[i]);

			if (pairs == NULL)
				continue;	/* "none", or malformed */
			pass = agent_auth_resinfo_pass(pairs, sender_domain);
			g_ptr_array_free(pairs, TRUE);
		}
	}
	g_strfreev(parts);
	g_free(clean);
	return pass;
}

gboolean
agent_auth_results_pass(const GPtrArray *headers, const char *authserv_id,
			const char *sender_addr)
{
	char *addr, *sender_domain;
	gboolean pass = FALSE;

	if (headers == NULL || authserv_id == NULL || *authserv_id == '\0' ||
	    sender_addr == NULL)
		return FALSE;
	addr = g_strstrip(g_strdup(sender_addr));
	if (addr[0] == '<' && addr[strlen(addr) - 1] == '>') {
		addr[strlen(addr) - 1] = '\0';
		memmove(addr, addr + 1, strlen(addr));
	}
	sender_domain = strchr(addr, '@') != NULL ? agent_auth_domain(addr)
						  : NULL;
	g_free(addr);
	if (sender_domain == NULL)
		return FALSE;
	for (guint i = 0; i < headers->len && !pass; i++) {
		const char *value = headers->pdata[i];

		if (value != NULL)
			pass = agent_auth_header_pass(value, authserv_id,
						      sender_domain);
	}
	g_free(sender_domain);
	return pass;
}

/* Fill key from /dev/urandom; 0 or -1. */
static int
agent_auth_urandom(guint8 *key, gsize len)
{
	gsize got = 0;
	int fd;

	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	while (got < len) {
		ssize_t n = read(fd, key + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int saved = errno;

			close(fd);
			errno = n == 0 ? EIO : saved;
			return -1;
		}
		got += (gsize)n;
	}
	close(fd);
	return 0;
}

int
agent_auth_random_key(guint8 *key, gsize len)
{
#ifdef AGENT_AUTH_HAVE_GETRANDOM
	gsize got = 0;

	while (got < len) {
		ssize_t n = getrandom(key + got, len - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == ENOSYS || errno == EPERM))
			return agent_auth_urandom(key, len);
		if (n <= 0)
			return -1;
		got += (gsize)n;
	}
	return 0;
#else
	return agent_auth_urandom(key, len);
#endif
}
