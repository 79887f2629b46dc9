#ifndef TICKETD_COMPOSE_H
#define TICKETD_COMPOSE_H

#include <glib.h>

#include "message.h"

/*
 * Building outgoing mail with GMime.  Header values are UTF-8; non-ASCII
 * ones are RFC 2047-encoded by GMime, and CR/LF inside any value is
 * replaced by a space, so no value can inject a header.
 */
struct compose_mail {
	const char *from_name;		/* may be NULL or "" */
	const char *from_addr;
	const char *to_name;		/* may be NULL */
	const char *to_addr;
	const char *subject;
	const char *in_reply_to;	/* msg-id without <>, may be NULL */
	const GPtrArray *references;	/* char * msg-ids without <>, oldest
					   first; may be NULL */
	const GPtrArray *headers;	/* extra "Name: value" lines; may be
					   NULL */
	const char *auto_submitted;	/* e.g. "auto-replied"; NULL: none */
	const char *text;		/* text/plain body, UTF-8 */
	const char *html;		/* NULL: text only, else the mail is
					   multipart/alternative */
	const char *reply_to;		/* Reply-To address, or NULL */
	const GPtrArray *cc;		/* struct message_address *, or NULL */
	const GPtrArray *to_more;	/* more To: struct message_address *,
					   or NULL */
	const GPtrArray *attachments;	/* struct message_attachment *, or
					   NULL: the mail is multipart/mixed
					   when there are any */
};

/* Return a new unique Message-ID (without <>) in domain. */
char *compose_message_id(const char *domain);

/* Build the mail with Message-ID message_id (without <>) and Date date (Unix
   time; none when it is beyond year 9999).  Returns the whole mail with CRLF
   line ends as new bytes. */
GBytes *compose_build(const struct compose_mail *mail,
		      const char *message_id, gint64 date);

/* The same, always through GMime's object tree (compose_build() writes a
   plain text mail directly); for tests that compare the two. */
GBytes *compose_build_mime(const struct compose_mail *mail,
			   const char *message_id, gint64 date);

/* Return the struct message that message_parse() would make of raw, the
   bytes compose_build(mail, message_id, date) returned, without parsing
   them again where it can (new, free with message_free(); it holds a
   reference to raw, not a copy).  It fills what a stored message needs:
   the ids, subject, from, to, cc, reply_to, date, body, body_from_html,
   attachments and parse_error; the headers used to recognise automatic
   mail (auto_submitted, x_loop, thread_index, ...) may be left absent.
   date must be the one given to compose_build(). */
struct message *compose_message(const struct compose_mail *mail,
				const char *message_id, GBytes *raw,
				gint64 date);

/* Return a new copy of value with CR, LF and other control characters
   replaced by spaces. */
char *compose_header_value(const char *value);

#endif
