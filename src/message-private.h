/* The parser's limits and cleaning rules, shared with compose.c, whose
   compose_message() must give what a re-parse of our own mail gives. */
#ifndef TICKETD_MESSAGE_PRIVATE_H
#define TICKETD_MESSAGE_PRIVATE_H

#include <gmime/gmime.h>

#include "message.h"

#define MESSAGE_MAX_DEPTH	50	/* nested multiparts followed */
#define MESSAGE_MAX_PARTS	1000	/* MIME parts looked at */
#define MESSAGE_MAX_REFERENCES	100	/* newest References kept */
#define MESSAGE_MAX_ADDRESSES	1000	/* To/Cc entries kept */
#define MESSAGE_MAX_MSGID	998	/* bytes of one Message-ID */
#define MESSAGE_MAX_FILENAME	255	/* bytes of an attachment name */
#define MESSAGE_MAX_SUBJECT	998	/* bytes of the Subject */
#define MESSAGE_MAX_NAME	256	/* bytes of a display name */
#define MESSAGE_MAX_HEADER	998	/* bytes of other header values */

/* A new copy of a header-derived value: valid UTF-8, control characters
   (CR, LF, tab, ...) made spaces, trimmed.  NULL gives NULL. */
char *message_header_clean(const char *s);

/* Cut a cleaned header value s (may be NULL) to at most max bytes on a
   character boundary, trimming what the cut leaves at the end; returns
   s. */
char *message_header_cap(char *s, size_t max);

/* A new clean addr-spec: no whitespace, controls or brackets, the domain
   in lower case. */
char *message_addr_clean(const char *s);

/* Append the mailboxes of list (may be NULL), groups flattened up to 4
   deep, to out (struct message_address *), at most
   MESSAGE_MAX_ADDRESSES in all. */
void message_address_list_collect(InternetAddressList *list, GPtrArray *out,
				  int depth);

/* A message with every field empty (the arrays empty, not NULL), owning a
   reference to raw. */
struct message *message_new_empty(GBytes *raw);

/* value with its RFC 2047 encoded words decoded to UTF-8, newly
   allocated: adjacent words in one charset decoded as one run of bytes,
   blanks between words dropped, each run converted by
   message_text_to_utf8() (its charset aliases and guessing).  Text
   outside encoded words is copied as it is, and so is a base64 word of a
   length no base64 has (*broken_r TRUE then; broken_r may be NULL). */
char *message_decode_words(const char *value, gboolean *broken_r);

/* An unstructured header's unfolded UTF-8 value (Subject, Thread-Topic)
   decoded and cleaned as message_parse() does it: encoded words by
   message_decode_words(), not by GMime (GMime 3.2.13 drops every base64
   word after a padded one of the same charset, and knows none of the
   charset aliases of message-charset.c); GMime's decoding only when it
   reads words ours leaves. */
char *message_header_text_decode(GMimeParserOptions *options,
				 const char *value);

/* An address header's unfolded raw value made ready for
   internet_address_list_parse() as message_parse() does it: 8-bit text
   made UTF-8, each display name with encoded words decoded here into a
   quoted string.  NULL when the value can be parsed as it is. */
char *message_address_value_prepare(GMimeParserOptions *options,
				    const char *raw);

/* Keep the iconv module of the charset named by len bytes at charset
   loaded for the life of the process (message-charset.c). */
void message_charset_pin(const char *charset, size_t len);

#endif
