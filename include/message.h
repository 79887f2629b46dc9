#ifndef TICKETD_MESSAGE_H
#define TICKETD_MESSAGE_H

#include <stddef.h>
#include <stdint.h>
#include <glib.h>

/*
 * A parsed mail.  message_parse() never fails: whatever could not be read is
 * left empty and described in parse_error, and the raw bytes are always kept,
 * so a message that defeats the parser is still stored whole.
 *
 * Every string is owned by the message, NUL-terminated and valid UTF-8
 * (header values additionally carry no CR or LF).  Strings that are absent
 * are NULL unless the field comment says otherwise.
 */

struct message_attachment {
	/* Sanitised basename, never NULL nor "": a part sent without a
	   name gets one made from its type: "invite.ics" for the first
	   calendar, "signature.asc" or "smime.p7s" for a signature, else
	   "part-N.ext" with N the part's position among the message's leaf
	   parts (1-based): "part-2.eml" for a forwarded message, "part-3.png",
	   "part-4.bin" for a type without a known extension. */
	char *filename;
	char *content_type;	/* "type/subtype", lower case */
	gsize size;		/* decoded size in bytes */
	GBytes *content;	/* decoded content */
};

struct message_address {
	char *name;		/* display name, UTF-8, may be "", at
				   most 256 bytes (cut on a character) */
	char *addr;		/* addr-spec, lower-cased domain, never NULL */
};

struct message {
	GBytes *raw;		/* the message exactly as received */

	char *message_id;	/* without <>; never NULL */
	gboolean message_id_synthetic; /* TRUE: made from a hash of raw */
	char *in_reply_to;	/* first msg-id in In-Reply-To, without <> */
	GPtrArray *references;	/* char *, without <>, in header order
				   (oldest first); never NULL */

	char *subject;		/* decoded, never NULL ("" if none), at
				   most 998 bytes (cut on a character) */
	struct message_address from;	/* from.addr "" when none */
	GPtrArray *to;		/* struct message_address *; never NULL */
	GPtrArray *cc;		/* struct message_address *; never NULL */
	struct message_address reply_to; /* addr NULL when absent */
	char *return_path;	/* Return-Path addr-spec; "" for <>,
				   NULL when the header is absent */
	gint64 date;		/* Date: as Unix time; 0 when absent/bad */

	/* Headers used to recognise automatic mail (RFC 3834 and friends),
	   raw values with CR/LF removed, NULL when absent. */
	char *auto_submitted;
	char *precedence;
	char *list_id;
	char *x_autoreply;	/* X-Autoreply or X-Autorespond */
	char *x_loop;		/* X-Loop / X-Ticketd-Loop */
	char *content_language;
	char *thread_index;	/* Outlook Thread-Index */
	char *thread_topic;	/* Outlook Thread-Topic */
	GPtrArray *auth_results; /* char *: every Authentication-Results
				    value, in header order (newest first);
				    never NULL */
	GPtrArray *envelope_to;	/* char *: addr-specs from Delivered-To,
				   X-Original-To, Envelope-To and
				   X-Envelope-To; never NULL */
	gboolean is_dsn;	/* multipart/report; report-type=delivery-status */
	char *report_type;	/* the report-type of a top-level
				   multipart/report, lower case ("" when it
				   names none): read receipts (disposition-
				   notification), abuse reports (feedback-
				   report) …; NULL for any other mail */
	char *list_unsubscribe;	/* List-Unsubscribe: bulk mail (RFC 2369) */
	char *list_other;	/* what list software without List-Id writes:
				   Mailing-List (ezmlm), List-Post,
				   X-Mailing-List, Delivered-To "mailing
				   list …" */
	char *sender;		/* Sender addr-spec, NULL when absent */

	/*
	 * The body comes from the inline text parts: in a multipart/mixed
	 * (or any multipart but those below) all non-empty text/plain parts
	 * in order, else all text/html parts, several joined with a blank
	 * line (Apple Mail splits text around inline images); in a
	 * multipart/alternative the first non-empty text/plain rendering,
	 * else the first HTML one (a multipart/related counts through its
	 * root part); in a multipart/signed the signed part.  Encrypted mail
	 * (multipart/encrypted, application/pkcs7-mime) has body "".
	 * format=flowed text is unwrapped (RFC 3676), quotes kept as ">".
	 */
	char *body;		/* readable text; never NULL (may be "") */
	gboolean body_from_html; /* TRUE when body was converted from HTML */
	/* struct message_attachment *, never NULL: every leaf part that is
	   not the body, not empty text and not another rendering of the
	   body (so text/calendar, signatures and encrypted blobs are
	   here). */
	GPtrArray *attachments;

	char *parse_error;	/* NULL, or what could not be read */
};

/* Parse raw mail of len bytes.  Always returns a new message (owned by the
   caller, free with message_free()); the raw bytes are copied. */
struct message *message_parse(const char *data, size_t len);

/* Free msg and everything it owns.  message_free(NULL) is a no-op. */
void message_free(struct message *msg);

/* Free one address or attachment of a message (NULL: no-op); the free
   functions of its arrays. */
void message_address_free(struct message_address *a);
void message_attachment_free(struct message_attachment *a);

/* TRUE when s holds only ASCII white space (or nothing). */
gboolean message_text_is_blank(const char *s);

/* CRLF and lone CR become LF, in place. */
void message_text_normalise_newlines(char *s);

/* Initialise GMime once per process (idempotent). */
void message_library_init(void);

/* Return a newly allocated readable text rendering of HTML of len bytes
   (block elements become line breaks, scripts and styles are dropped, link
   targets follow their text in brackets).  Never NULL. */
char *message_html_to_text(const char *html, size_t len);

/* Convert len bytes of text in charset (may be NULL: unknown) to newly
   allocated valid UTF-8, trying the declared charset, then UTF-8, then the
   fallbacks gb18030, big5, windows-1252 and finally ISO-8859-1. */
char *message_text_to_utf8(const char *text, size_t len, const char *charset);

#endif
