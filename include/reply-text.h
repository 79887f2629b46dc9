#ifndef TICKETD_REPLY_TEXT_H
#define TICKETD_REPLY_TEXT_H

#include <glib.h>

/*
 * Reading an agent's reply: the command lines at its top, the new text,
 * and where the quoted history starts.  Pure functions on UTF-8 text with
 * LF line ends; no I/O.
 */

enum reply_command_kind {
	REPLY_COMMAND_STATUS,	/* #status open|pending|resolved|closed */
	REPLY_COMMAND_ASSIGN,	/* #assign alice | alice@example.com */
	REPLY_COMMAND_NOTE,	/* #note: the whole mail is internal */
	REPLY_COMMAND_ESCALATE,	/* #escalate */
	REPLY_COMMAND_PRIORITY,	/* #priority low|normal|high|urgent */
	REPLY_COMMAND_MERGE,	/* #merge 123 */
};

struct reply_command {
	enum reply_command_kind kind;
	char *arg;		/* normalised argument (lower-case status or
				   priority, the assignee as written, the
				   ticket number as digits); NULL when none */
	int line;		/* 1-based line in the body */
};

/* A command line that could not be understood. */
struct reply_command_error {
	int line;		/* 1-based line in the body */
	char *text;		/* the line as written (trimmed; runs of
				   white space, no-break spaces included,
				   shown as one space) */
	char *reason;		/* e.g. "unknown command '#stauts'" or
				   "#status takes open, pending, resolved or
				   closed" */
};

struct reply_text {
	GPtrArray *commands;	/* struct reply_command *, in order */
	GPtrArray *errors;	/* struct reply_command_error * */
	char *text;		/* the new text for the customer: command
				   lines and quoted history removed, the
				   agent's signature kept, leading blank
				   lines and trailing white space removed,
				   LF line ends; "" (never NULL) when
				   nothing is left.  It may be only a
				   signature ("-- \nBob"). */
	gboolean had_quote;	/* TRUE when quoted history was cut; FALSE
				   for an interleaved reply, kept whole */
};

/* Split body (an agent's reply) into commands, errors and the text to
   relay.  Command lines are lines starting with '#' followed by a letter,
   at the top of the body (blank lines between them allowed); the first
   other line ends the command block ("#1 ...", "# Heading" and "#" are
   text).  Leading white space on a command line is allowed; command names
   and status/priority values are case-insensitive; a command repeated is
   reported each time, in order.  #status, #priority: exactly one allowed
   value; #assign: exactly one word ("<x@y>", "mailto:x@y" and Outlook's
   "x@y<mailto:x@y>" are reduced to x@y); #merge: one ticket number,
   "123" or "#123", 1 to 2^53, leading zeros dropped; #note, #escalate: no
   argument.  Anything else on a command line is an error, and the line
   still belongs to the command block.
   The text is what follows the command block up to
   reply_text_quote_start(), except for an interleaved reply: when the
   quote starts with an attribution followed by '>' lines and non-quoted
   text follows those, or ends in a final '>' block with other '>' lines
   above it, nothing is cut and had_quote is FALSE.  body may use CRLF
   line ends and start with a BOM; line numbers count from its first line.
   body NULL is taken as "".  Returns a new reply_text, free with
   reply_text_free(). */
struct reply_text *reply_text_parse(const char *body);

/* Free rt; reply_text_free(NULL) is a no-op. */
void reply_text_free(struct reply_text *rt);

/* Return the offset in text where quoted history starts (an attribution
   line such as "On ... wrote:", "Am ... schrieb ...:", "Le ... a écrit :",
   "在 ... 写道：", an Outlook "-----Original Message-----" or a
   "From: ... / Sent: ..." header block in English, German, French, Spanish,
   Chinese, a "________________________________" separator followed by
   From:, or a final block of lines starting with '>'), or strlen(text)
   when none.  The first of these from the top wins:
   - a dated attribution: starts with "On ", "Am ", "Le ", "El ", "在",
     "Il ", "Em ", "Op " and ends with the matching "wrote:", "schrieb
     ...:", "a écrit :", "escribió:", "写道：", ... (or Gmail's Chinese
     "X 于<date> <time>写道："), containing a clock time such as "10:15";
     it may be wrapped over up to three lines if its first line is at least
     30 characters long and does not end with '.', '!' or '?';
   - any line ending in "wrote:", "schrieb:", "a écrit :", ... whose next
     non-blank line starts with '>' ("Bob <bob@x> wrote:");
   - a line of two or more dashes around "Original Message" or its
     translation (de, fr, es, it, pt, zh);
   - "From:" (Von, De, 发件人, ...) with a value, followed on the next line
     (or the one after, when From: wrapped) by "Sent:" or "Date:"
     (Gesendet, Envoyé, Enviado el, 发送时间, ...); a line of at least ten
     underscores right above it is included.  No-break spaces count as
     spaces, full-width colons as colons, Gmail's "*From:*" as "From:";
   - otherwise the final run of '>' lines (blank lines within and after
     it allowed).
   Lines starting with '>' are never attributions, lines over 400 bytes
   neither.  CRLF line ends are tolerated; the offset is into text as
   given. */
gsize reply_text_quote_start(const char *text);

/* Name of a command kind without '#': "status", "assign", ... (static). */
const char *reply_command_name(enum reply_command_kind kind);

#endif
