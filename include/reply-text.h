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
	char *text;		/* the line as written (trimmed) */
	char *reason;		/* e.g. "unknown command '#stauts'" or
				   "#status takes open, pending, resolved or
				   closed" */
};

struct reply_text {
	GPtrArray *commands;	/* struct reply_command *, in order */
	GPtrArray *errors;	/* struct reply_command_error * */
	char *text;		/* the new text for the customer: command
				   lines and quoted history removed, the
				   agent's signature kept, trimmed */
	gboolean had_quote;	/* TRUE when quoted history was cut */
};

/* Split body (an agent's reply) into commands, errors and the text to
   relay.  Command lines are lines starting with '#' followed by a letter,
   at the top of the body (blank lines between them allowed); the first
   other line ends the command block.  Returns a new reply_text, free with
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
   when none. */
gsize reply_text_quote_start(const char *text);

/* Name of a command kind without '#': "status", "assign", ... (static). */
const char *reply_command_name(enum reply_command_kind kind);

#endif
