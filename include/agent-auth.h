#ifndef TICKETD_AGENT_AUTH_H
#define TICKETD_AGENT_AUTH_H

#include <glib.h>

/*
 * Deciding whether a mail that claims to come from an agent really does.
 * Two mechanisms, chosen per mailbox by agent_auth:
 *   token        the agent replies to a per-ticket address
 *                LOCAL+<ticket>-<mac>@DOMAIN, where mac is a truncated
 *                HMAC-SHA256 of the ticket number under a secret key;
 *   authresults  an Authentication-Results header (RFC 8601) added by our
 *                own receiving server (authserv_id) says dkim=pass for the
 *                agent's domain (header.d / header.i) or spf=pass for it
 *                (smtp.mailfrom).
 * All cryptography goes through GLib's GHmac; comparisons are constant
 * time.
 */

/* Length in hex digits of the mac in a token address. */
#define AGENT_AUTH_MAC_HEX 16

/* Return a new token address for ticket_id: the local part of address,
   "+", the ticket number, "-", the mac, "@" and the domain of address.
   key of key_len bytes.  The mac is the first AGENT_AUTH_MAC_HEX lower-case
   hex digits of HMAC-SHA256(key, decimal ticket number).  NULL when address
   has no local part or domain, or ticket_id is not in 1..2^53. */
char *agent_auth_token_address(const char *address, gint64 ticket_id,
			       const guint8 *key, gsize key_len);

/* If addr is a token address of address (same local part and domain,
   case-insensitive) return TRUE with *ticket_id_r set and *valid_r telling
   whether the mac is right for key (compared in constant time; hex digits
   in either case).  FALSE, with *valid_r FALSE, when addr is not of that
   form: the ticket number must be canonical (no sign, no leading zero, 1
   to 2^53), the mac exactly AGENT_AUTH_MAC_HEX hex digits, and nothing may
   precede or follow (no angle brackets or white space).  Either output
   pointer may be NULL. */
gboolean agent_auth_token_parse(const char *addr, const char *address,
				const guint8 *key, gsize key_len,
				gint64 *ticket_id_r, gboolean *valid_r);

/* Like agent_auth_token_address() for another purpose ("rate", "stop"):
   LOCAL+PURPOSE-<ticket>-<mac>@DOMAIN, the mac taken over
   "PURPOSE:<ticket>" so that addresses of different purposes never
   verify as each other.  purpose NULL gives the agents' form. */
char *agent_auth_purpose_address(const char *address, const char *purpose,
				 gint64 ticket_id, const guint8 *key,
				 gsize key_len);

/* Like agent_auth_token_parse() for addresses of purpose. */
gboolean agent_auth_purpose_parse(const char *addr, const char *address,
				  const char *purpose, const guint8 *key,
				  gsize key_len, gint64 *ticket_id_r,
				  gboolean *valid_r);

/* Does one of the Authentication-Results header values in headers (char *
   raw values, unfolded) come from authserv_id and say dkim=pass with
   header.d (or header.i) equal to, or a parent domain of, the domain of
   sender_addr, or spf=pass with smtp.mailfrom in that domain?  Comments in
   parentheses are ignored; results from other authserv-ids are ignored
   (they may be forged).  The authserv-id must be a token or quoted string
   (optionally followed by a version number), compared case-insensitively;
   Microsoft 365's header, which has none, never passes.  DKIM passes when
   the signing domain has at least two labels and equals the sender's
   domain or is a parent of it (a@mail.example.com with header.d=example.com
   passes, header.d=com does not); SPF only when smtp.mailfrom's domain
   equals the sender's domain exactly.  Other results (fail, neutral,
   softfail, none...) and other methods (dmarc, iprev...) never pass.
   sender_addr is a bare address (surrounding <> tolerated).  The receiving
   server must delete Authentication-Results headers bearing its own
   authserv-id from incoming mail (RFC 8601 section 5), or they can be
   forged. */
gboolean agent_auth_results_pass(const GPtrArray *headers,
				 const char *authserv_id,
				 const char *sender_addr);

/* Fill key with len random bytes from a good source (GRand is not one:
   read /dev/urandom or use getrandom()).  Returns 0 or -1. */
int agent_auth_random_key(guint8 *key, gsize len);

#endif
