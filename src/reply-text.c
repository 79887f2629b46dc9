/* Reading an agent's reply: commands, new text, quoted history. */
#include "autodefs.h"

#include <string.h>

#include "reply-text.h"

/* Largest ticket number accepted by #merge (2^53, as for token
   addresses). */
#define REPLY_MAX_TICKET G_GINT64_CONSTANT(9007199254740992)

/* Lines longer than this are never attribution or header lines. */
#define REPLY_MAX_ATTR_LINE 400

/* A wrapped attribution ("On ... <\naddr> wrote:") spans at most this
   many lines, and its first line is at least REPLY_MIN_WRAP characters
   long (mailers wrap only long lines). */
#define REPLY_MAX_ATTR_LINES 3
#define REPLY_MIN_WRAP 30

/* What starts the quoted history. */
enum reply_quote_kind {
	REPLY_QUOTE_NONE,
	REPLY_QUOTE_ATTRIBUTION,	/* "On ... wrote:" and the like */
	REPLY_QUOTE_HEADER,		/* Outlook separator or From/Sent */
	REPLY_QUOTE_TRAILING,		/* a final block of '>' lines */
};

/* One line of a text: text + offset, len bytes without the LF. */
struct reply_line {
	gsize offset;
	gsize len;
};

/* Where the quote starts, as found by reply_find_quote(). */
struct reply_quote {
	enum reply_quote_kind kind;
	guint line;		/* first line of the quote */
	guint n_attr;		/* ATTRIBUTION: lines of the attribution */
};

const char *
reply_command_name(enum reply_command_kind kind)
{
	switch (kind) {
	case REPLY_COMMAND_STATUS:
		return "status";
	case REPLY_COMMAND_ASSIGN:
		return "assign";
	case REPLY_COMMAND_NOTE:
		return "note";
	case REPLY_COMMAND_ESCALATE:
		return "escalate";
	case REPLY_COMMAND_PRIORITY:
		return "priority";
	case REPLY_COMMAND_MERGE:
		return "merge";
	}
	return "unknown";
}

/*
 * Lines and white space.  Mail from HTML editors is full of no-break
 * spaces (U+00A0, and U+202F before French colons), so they count as
 * white space everywhere here, as do a stray BOM and U+3000.
 */

/* Length of the Unicode space at p (0 when none). */
static gsize
reply_uspace_len(const char *p, const char *end)
{
	const guchar *u = (const guchar *)p;
	gsize left = (gsize)(end - p);

	if (left >= 1 && (*u == ' ' || *u == '\t' || *u == '\r' ||
			  *u == '\f' || *u == '\v'))
		return 1;
	if (left >= 2 && u[0] == 0xc2 && u[1] == 0xa0)
		return 2;		/* U+00A0 */
	if (left >= 3 && u[0] == 0xe2 && u[1] == 0x80 && u[2] == 0xaf)
		return 3;		/* U+202F */
	if (left >= 3 && u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x80)
		return 3;		/* U+3000 */
	if (left >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf)
		return 3;		/* U+FEFF */
	return 0;
}

static gboolean
reply_is_blank(const char *p, gsize len)
{
	const char *end = p + len;

	while (p < end) {
		gsize n = reply_uspace_len(p, end);

		if (n == 0)
			return FALSE;
		p += n;
	}
	return TRUE;
}

/* Is the line a quote line (optional spaces, then '>')? */
static gboolean
reply_is_quote(const char *p, gsize len)
{
	gsize i = 0;

	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i < len && p[i] == '>';
}

/* Return a new copy of the line at p (len bytes) with every Unicode space
   turned into one ' ' and the ends trimmed; NULL when len > max_len. */
static char *
reply_norm(const char *p, gsize len, gsize max_len)
{
	const char *end = p + len;
	GString *s;

	if (len > max_len)
		return NULL;
	s = g_string_sized_new(len);
	while (p < end) {
		gsize n = reply_uspace_len(p, end);

		if (n > 0) {
			if (s->len > 0 && s->str[s->len - 1] != ' ')
				g_string_append_c(s, ' ');
			p += n;
		} else {
			g_string_append_c(s, *p++);
		}
	}
	if (s->len > 0 && s->str[s->len - 1] == ' ')
		g_string_truncate(s, s->len - 1);
	return g_string_free(s, FALSE);
}

/* Split text into lines; a final line without LF counts, an empty one
   after the last LF does not. */
static GArray *
reply_split_lines(const char *text)
{
	GArray *lines = g_array_new(FALSE, FALSE, sizeof(struct reply_line));
	const char *p = text;

	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		struct reply_line l;

		l.offset = (gsize)(p - text);
		l.len = nl != NULL ? (gsize)(nl - p) : strlen(p);
		g_array_append_val(lines, l);
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return lines;
}

#define REPLY_LINE(lines, i) (&g_array_index((lines), struct reply_line, (i)))

static gboolean
reply_line_blank(const char *text, GArray *lines, guint i)
{
	return reply_is_blank(text + REPLY_LINE(lines, i)->offset,
			      REPLY_LINE(lines, i)->len);
}

static gboolean
reply_line_quote(const char *text, GArray *lines, guint i)
{
	return reply_is_quote(text + REPLY_LINE(lines, i)->offset,
			      REPLY_LINE(lines, i)->len);
}

static char *
reply_line_norm(const char *text, GArray *lines, guint i)
{
	const struct reply_line *l = REPLY_LINE(lines, i);

	return reply_norm(text + l->offset, l->len, REPLY_MAX_ATTR_LINE);
}

/*
 * Attribution lines.
 */

static gboolean
reply_has_prefix_ci(const char *s, const char *prefix)
{
	return g_ascii_strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static gboolean
reply_has_suffix_ci(const char *s, const char *suffix)
{
	gsize n = strlen(s), m = strlen(suffix);

	return n >= m && g_ascii_strcasecmp(s + n - m, suffix) == 0;
}

/* Does s contain a clock time ("10:15", "9:05")? */
static gboolean
reply_has_time(const char *s)
{
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == ':' && p > s && g_ascii_isdigit(p[-1]) &&
		    g_ascii_isdigit(p[1]) && g_ascii_isdigit(p[2]))
			return TRUE;
	}
	return FALSE;
}

/* Attributions that open with a date: "On <date>, <name> wrote:".  They
   must contain a clock time (every client puts one there) so that "On
   Monday I wrote:" in the text is not taken for one. */
static const struct {
	const char *prefix;
	const char *infix;	/* NULL: none */
	const char *suffix;
} reply_attributions[] = {
	{ "On ", NULL, "wrote:" },		/* Gmail, Thunderbird, Apple,
						   mutt, K-9, iOS */
	{ "Am ", " schrieb ", ":" },		/* German */
	{ "Le ", NULL, " a écrit :" },		/* French */
	{ "Le ", NULL, " a écrit:" },
	{ "El ", NULL, " escribió:" },		/* Spanish */
	{ "El ", NULL, " escribió :" },
	{ "在", NULL, "写道：" },		/* Chinese (Apple Mail) */
	{ "在", NULL, "写道:" },
	{ "Il ", NULL, " ha scritto:" },	/* Italian */
	{ "Em ", NULL, " escreveu:" },		/* Portuguese */
	{ "Op ", " schreef ", ":" },		/* Dutch */
};

/* Endings of an attribution without a date ("Bob <bob@x> wrote:", as
   old Thunderbird and K-9 write it): accepted when a '>' line follows. */
static const char *const reply_wrote_endings[] = {
	"wrote:", "schrieb:", " a écrit :", " a écrit:", "escribió:",
	"写道：", "写道:", "ha scritto:", "escreveu:", "schreef:",
};

/* Does s (one line or several joined) match a dated attribution? */
static gboolean
reply_match_attribution(const char *s)
{
	if (!reply_has_time(s))
		return FALSE;
	for (gsize i = 0; i < G_N_ELEMENTS(reply_attributions); i++) {
		if (!reply_has_prefix_ci(s, reply_attributions[i].prefix) ||
		    !reply_has_suffix_ci(s, reply_attributions[i].suffix))
			continue;
		if (reply_attributions[i].infix != NULL &&
		    strstr(s, reply_attributions[i].infix) == NULL)
			continue;
		return TRUE;
	}
	/* Gmail in Chinese puts the name first: "Bob <bob@example.com>
	   于2024年1月8日周一 10:15写道：". */
	if ((reply_has_suffix_ci(s, "写道：") ||
	     reply_has_suffix_ci(s, "写道:")) && strstr(s, "于") != NULL)
		return TRUE;
	return FALSE;
}

static gboolean
reply_match_wrote(const char *s)
{
	for (gsize i = 0; i < G_N_ELEMENTS(reply_wrote_endings); i++)
		if (reply_has_suffix_ci(s, reply_wrote_endings[i]))
			return TRUE;
	return FALSE;
}

/* Does a dated attribution start at line i?  Returns how many lines it
   spans (1 to REPLY_MAX_ATTR_LINES; wrapped ones as Gmail writes them),
   0 when none. */
static guint
reply_attribution_at(const char *text, GArray *lines, guint i,
		     const char *first)
{
	GString *joined;
	guint n = 0;

	if (reply_match_attribution(first))
		return 1;
	/* Wrapped: the first line is long, opens like an attribution and
	   does not end a sentence; no later line opens like one. */
	if (g_utf8_strlen(first, -1) < REPLY_MIN_WRAP ||
	    strchr(".!?", first[strlen(first) - 1]) != NULL)
		return 0;
	joined = g_string_new(first);
	for (guint k = 1; k < REPLY_MAX_ATTR_LINES && i + k < lines->len;
	     k++) {
		char *next;

		if (reply_line_blank(text, lines, i + k) ||
		    reply_line_quote(text, lines, i + k))
			break;
		next = reply_line_norm(text, lines, i + k);
		if (next == NULL)
			break;
		if (reply_has_prefix_ci(next, "On ") || next[0] == '\0') {
			g_free(next);
			break;
		}
		g_string_append_c(joined, ' ');
		g_string_append(joined, next);
		g_free(next);
		if (reply_match_attribution(joined->str)) {
			n = k + 1;
			break;
		}
	}
	g_string_free(joined, TRUE);
	return n;
}

/*
 * Outlook: "-----Original Message-----" and header blocks.
 */

static const char *const reply_separators[] = {
	"Original Message", "Ursprüngliche Nachricht", "Message d'origine",
	"Message d’origine", "Mensaje original", "Messaggio originale",
	"Mensagem original", "原始邮件", "原始郵件",
};

/* Is s "-----Original Message-----" or a translation (any number of
   dashes from two, spaces around the words allowed)? */
static gboolean
reply_is_separator(const char *s)
{
	gsize len = strlen(s), a = 0, b = 0;
	char *mid;
	gboolean ok = FALSE;

	while (s[a] == '-')
		a++;
	while (b < len - a && s[len - 1 - b] == '-')
		b++;
	if (a < 2 || b < 2)
		return FALSE;
	mid = g_strstrip(g_strndup(s + a, len - a - b));
	for (gsize i = 0; i < G_N_ELEMENTS(reply_separators) && !ok; i++)
		ok = g_ascii_strcasecmp(mid, reply_separators[i]) == 0;
	g_free(mid);
	return ok;
}

static const char *const reply_from_labels[] = {
	"From", "Von", "De", "发件人", "寄件者", "Da", "Van",
};

static const char *const reply_sent_labels[] = {
	"Sent", "Date", "Gesendet", "Datum", "Envoyé", "Date d'envoi",
	"Enviado", "Enviado el", "Fecha", "发送时间", "日期", "时间",
	"寄件日期", "Inviato", "Verzonden",
};

/* Does s open with one of labels and a colon ("From:", "De :",
   "发件人：", Gmail's bold "*From:*")?  Returns a pointer past the colon,
   NULL when not. */
static const char *
reply_label(const char *s, const char *const *labels, gsize n_labels)
{
	while (*s == '*')
		s++;
	for (gsize i = 0; i < n_labels; i++) {
		gsize n = strlen(labels[i]);
		const char *p = s + n;

		if (g_ascii_strncasecmp(s, labels[i], n) != 0)
			continue;
		if (*p == '*')
			p++;
		while (*p == ' ')
			p++;
		if (*p == ':')
			return p + 1;
		if (strncmp(p, "：", strlen("：")) == 0)
			return p + strlen("：");
	}
	return NULL;
}

static gboolean
reply_is_underscores(const char *s)
{
	gsize n = strspn(s, "_");

	return n >= 10 && s[n] == '\0';
}

/* Does an Outlook header block (From: then Sent:/Date: on the next line,
   or the one after when From wrapped) start at line i? */
static gboolean
reply_header_at(const char *text, GArray *lines, guint i,
		const char *first)
{
	const char *from = reply_label(first, reply_from_labels,
				       G_N_ELEMENTS(reply_from_labels));

	if (from == NULL || *from == '\0')
		return FALSE;
	for (guint k = 1; k <= 2 && i + k < lines->len; k++) {
		char *next;
		gboolean sent;

		if (reply_line_blank(text, lines, i + k))
			return FALSE;
		next = reply_line_norm(text, lines, i + k);
		if (next == NULL)
			return FALSE;
		sent = reply_label(next, reply_sent_labels,
				   G_N_ELEMENTS(reply_sent_labels)) != NULL;
		g_free(next);
		if (sent)
			return TRUE;
	}
	return FALSE;
}

/* Is the next non-blank line after i a quote line? */
static gboolean
reply_quote_follows(const char *text, GArray *lines, guint i)
{
	for (guint k = i + 1; k < lines->len; k++) {
		if (reply_line_quote(text, lines, k))
			return TRUE;
		if (!reply_line_blank(text, lines, k))
			return FALSE;
	}
	return FALSE;
}

/* Find where the quoted history of text starts. */
static void
reply_find_quote(const char *text, GArray *lines, struct reply_quote *q)
{
	guint n;

	q->kind = REPLY_QUOTE_NONE;
	q->line = lines->len;
	q->n_attr = 0;
	for (guint i = 0; i < lines->len; i++) {
		char *s;

		if (reply_line_quote(text, lines, i) ||
		    reply_line_blank(text, lines, i))
			continue;
		s = reply_line_norm(text, lines, i);
		if (s == NULL)
			continue;
		if (reply_is_separator(s)) {
			q->kind = REPLY_QUOTE_HEADER;
			q->line = i;
		} else if (reply_header_at(text, lines, i, s)) {
			char *prev = i > 0 ? reply_line_norm(text, lines, i - 1)
					   : NULL;

			q->kind = REPLY_QUOTE_HEADER;
			q->line = prev != NULL && reply_is_underscores(prev) ?
				  i - 1 : i;
			g_free(prev);
		} else if ((n = reply_attribution_at(text, lines, i, s)) > 0) {
			q->kind = REPLY_QUOTE_ATTRIBUTION;
			q->line = i;
			q->n_attr = n;
		} else if (reply_match_wrote(s) &&
			   reply_quote_follows(text, lines, i)) {
			q->kind = REPLY_QUOTE_ATTRIBUTION;
			q->line = i;
			q->n_attr = 1;
		}
		g_free(s);
		if (q->kind != REPLY_QUOTE_NONE)
			return;
	}

	/* A final block of quote lines (blank lines within allowed). */
	n = lines->len;
	while (n > 0 && reply_line_blank(text, lines, n - 1))
		n--;
	while (n > 0 && (reply_line_quote(text, lines, n - 1) ||
			 reply_line_blank(text, lines, n - 1)))
		n--;
	while (n < lines->len && !reply_line_quote(text, lines, n))
		n++;
	if (n < lines->len) {
		q->kind = REPLY_QUOTE_TRAILING;
		q->line = n;
	}
}

gsize
reply_text_quote_start(const char *text)
{
	GArray *lines = reply_split_lines(text);
	struct reply_quote q;
	gsize off;

	reply_find_quote(text, lines, &q);
	off = q.kind == REPLY_QUOTE_NONE ? strlen(text)
					 : REPLY_LINE(lines, q.line)->offset;
	g_array_free(lines, TRUE);
	return off;
}

/* Is the reply interleaved (answers between quote blocks), so that
   nothing should be cut? */
static gboolean
reply_interleaved(const char *text, GArray *lines,
		  const struct reply_quote *q)
{
	guint i;

	switch (q->kind) {
	case REPLY_QUOTE_ATTRIBUTION:
		i = q->line + q->n_attr;
		while (i < lines->len && reply_line_blank(text, lines, i))
			i++;
		if (i == lines->len || !reply_line_quote(text, lines, i))
			return FALSE;	/* history not '>'-quoted */
		while (i < lines->len && (reply_line_quote(text, lines, i) ||
					  reply_line_blank(text, lines, i)))
			i++;
		return i < lines->len;
	case REPLY_QUOTE_TRAILING:
		/* Quote lines before the final block, with text after them
		   (there is, or the block would have started earlier). */
		for (i = 0; i < q->line; i++)
			if (reply_line_quote(text, lines, i))
				return TRUE;
		return FALSE;
	case REPLY_QUOTE_NONE:
	case REPLY_QUOTE_HEADER:
		break;
	}
	return FALSE;
}

/*
 * Commands.
 */

static void
reply_add_error(struct reply_text *rt, int line, const char *text,
		char *reason)
{
	struct reply_command_error *e = g_new0(struct reply_command_error, 1);

	e->line = line;
	e->text = g_strdup(text);
	e->reason = reason;
	g_ptr_array_add(rt->errors, e);
}

static void
reply_add_command(struct reply_text *rt, enum reply_command_kind kind,
		  char *arg, int line)
{
	struct reply_command *c = g_new0(struct reply_command, 1);

	c->kind = kind;
	c->arg = arg;
	c->line = line;
	g_ptr_array_add(rt->commands, c);
}

/* The lower-case copy of arg if it is one of values, else NULL. */
static char *
reply_choice(const char *arg, const char *const *values, gsize n_values)
{
	for (gsize i = 0; i < n_values; i++)
		if (g_ascii_strcasecmp(arg, values[i]) == 0)
			return g_strdup(values[i]);
	return NULL;
}

/* The assignee in args (n of them), or NULL.  Accepts "alice",
   "alice@example.com", "<alice@example.com>", "mailto:alice@..." and what
   Outlook makes of a link: "alice@example.com<mailto:alice@example.com>"
   or the same with a space. */
static char *
reply_assignee(char **args, guint n)
{
	char *a, *lt;
	gsize len;

	if (n == 2) {
		char *m = g_strdup_printf("<mailto:%s>", args[0]);
		gboolean same = g_ascii_strcasecmp(m, args[1]) == 0;

		g_free(m);
		if (!same)
			return NULL;
		a = g_strdup(args[0]);
	} else if (n == 1) {
		a = g_strdup(args[0]);
		lt = strstr(a, "<mailto:");
		if (lt != NULL && lt > a) {
			char *m = g_strdup_printf("<mailto:%.*s>",
						  (int)(lt - a), a);

			if (g_ascii_strcasecmp(lt, m) == 0)
				*lt = '\0';
			g_free(m);
		}
		len = strlen(a);
		if (len >= 2 && a[0] == '<' && a[len - 1] == '>') {
			memmove(a, a + 1, len - 2);
			a[len - 2] = '\0';
		}
		if (reply_has_prefix_ci(a, "mailto:"))
			memmove(a, a + 7, strlen(a + 7) + 1);
	} else {
		return NULL;
	}
	if (*a == '\0' || strpbrk(a, "<>\",;()[]") != NULL ||
	    a[0] == '@' || a[strlen(a) - 1] == '@') {
		g_free(a);
		return NULL;
	}
	return a;
}

/* The ticket number in arg ("123" or "#123") as canonical digits, or
   NULL. */
static char *
reply_ticket_number(const char *arg)
{
	gint64 id = 0;
	const char *p = arg;

	if (*p == '#')
		p++;
	if (*p == '\0')
		return NULL;
	while (*p == '0')
		p++;
	for (const char *d = p; *d != '\0'; d++) {
		if (!g_ascii_isdigit(*d) || d - p >= 16)
			return NULL;
		id = id * 10 + (*d - '0');
	}
	if (id < 1 || id > REPLY_MAX_TICKET)
		return NULL;
	return g_strdup_printf("%" G_GINT64_FORMAT, id);
}

/* Parse one command line (already normalised) into rt. */
static void
reply_parse_command(struct reply_text *rt, const char *line, int lineno)
{
	static const char *const statuses[] = {
		"open", "pending", "resolved", "closed",
	};
	static const char *const priorities[] = {
		"low", "normal", "high", "urgent",
	};
	char **words = g_strsplit(line, " ", -1);
	GPtrArray *args = g_ptr_array_new();
	const char *name = words[0] + 1;
	char *arg = NULL;
	guint n;

	for (guint i = 1; words[i] != NULL; i++)
		if (words[i][0] != '\0')
			g_ptr_array_add(args, words[i]);
	n = args->len;
	g_ptr_array_add(args, NULL);

	if (g_ascii_strcasecmp(name, "status") == 0) {
		if (n == 1)
			arg = reply_choice(args->pdata[0], statuses,
					   G_N_ELEMENTS(statuses));
		if (arg != NULL)
			reply_add_command(rt, REPLY_COMMAND_STATUS, arg,
					  lineno);
		else
			reply_add_error(rt, lineno, line, g_strdup(
				"#status takes open, pending, resolved or "
				"closed"));
	} else if (g_ascii_strcasecmp(name, "priority") == 0) {
		if (n == 1)
			arg = reply_choice(args->pdata[0], priorities,
					   G_N_ELEMENTS(priorities));
		if (arg != NULL)
			reply_add_command(rt, REPLY_COMMAND_PRIORITY, arg,
					  lineno);
		else
			reply_add_error(rt, lineno, line, g_strdup(
				"#priority takes low, normal, high or "
				"urgent"));
	} else if (g_ascii_strcasecmp(name, "assign") == 0) {
		arg = reply_assignee((char **)args->pdata, n);
		if (arg != NULL)
			reply_add_command(rt, REPLY_COMMAND_ASSIGN, arg,
					  lineno);
		else
			reply_add_error(rt, lineno, line, g_strdup(
				"#assign takes one name or address"));
	} else if (g_ascii_strcasecmp(name, "merge") == 0) {
		if (n == 1)
			arg = reply_ticket_number(args->pdata[0]);
		if (arg != NULL)
			reply_add_command(rt, REPLY_COMMAND_MERGE, arg,
					  lineno);
		else
			reply_add_error(rt, lineno, line, g_strdup(
				"#merge takes one ticket number"));
	} else if (g_ascii_strcasecmp(name, "note") == 0 ||
		   g_ascii_strcasecmp(name, "escalate") == 0) {
		gboolean note = g_ascii_strcasecmp(name, "note") == 0;

		if (n == 0)
			reply_add_command(rt, note ? REPLY_COMMAND_NOTE :
					  REPLY_COMMAND_ESCALATE, NULL, lineno);
		else
			reply_add_error(rt, lineno, line, g_strdup_printf(
				"#%s takes no argument",
				note ? "note" : "escalate"));
	} else {
		reply_add_error(rt, lineno, line, g_strdup_printf(
			"unknown command '%s'", words[0]));
	}
	g_ptr_array_free(args, TRUE);
	g_strfreev(words);
}

/* Is the line a command line: optional white space, '#', a letter? */
static gboolean
reply_is_command(const char *p, gsize len)
{
	const char *end = p + len;
	gsize n;

	while ((n = reply_uspace_len(p, end)) > 0)
		p += n;
	return end - p >= 2 && p[0] == '#' && g_ascii_isalpha(p[1]);
}

static void
reply_command_free(struct reply_command *c)
{
	g_free(c->arg);
	g_free(c);
}

static void
reply_command_error_free(struct reply_command_error *e)
{
	g_free(e->text);
	g_free(e->reason);
	g_free(e);
}

/* Return a new copy of text without leading blank lines and trailing
   white space. */
static char *
reply_trim(const char *text, gsize len)
{
	const char *p = text, *end = text + len;
	gsize n;

	for (;;) {
		const char *nl = memchr(p, '\n', (gsize)(end - p));

		if (nl == NULL || !reply_is_blank(p, (gsize)(nl - p)))
			break;
		p = nl + 1;
	}
	if (reply_is_blank(p, (gsize)(end - p)))
		return g_strdup("");
	/* Trailing: ASCII white space, LF, U+00A0 and the 3-byte spaces. */
	for (;;) {
		if (end > p && (end[-1] == '\n' || end[-1] == ' ' ||
				end[-1] == '\t' || end[-1] == '\r')) {
			end--;
			continue;
		}
		n = 0;
		if (end - p >= 2 && reply_uspace_len(end - 2, end) == 2)
			n = 2;
		else if (end - p >= 3 && reply_uspace_len(end - 3, end) == 3)
			n = 3;
		if (n == 0)
			break;
		end -= n;
	}
	return g_strndup(p, (gsize)(end - p));
}

struct reply_text *
reply_text_parse(const char *body)
{
	struct reply_text *rt = g_new0(struct reply_text, 1);
	GString *norm = g_string_new(NULL);
	struct reply_quote q;
	GArray *lines;
	const char *rest;
	gsize rest_at, cut;
	guint i;

	rt->commands = g_ptr_array_new_with_free_func(
		(GDestroyNotify)reply_command_free);
	rt->errors = g_ptr_array_new_with_free_func(
		(GDestroyNotify)reply_command_error_free);
	if (body == NULL)
		body = "";

	/* CRLF to LF; drop a BOM. */
	if (strncmp(body, "\xef\xbb\xbf", 3) == 0)
		body += 3;
	for (const char *p = body; *p != '\0'; p++)
		if (!(p[0] == '\r' && p[1] == '\n'))
			g_string_append_c(norm, *p);

	/* The command block. */
	lines = reply_split_lines(norm->str);
	rest_at = norm->len;
	for (i = 0; i < lines->len; i++) {
		const char *p = norm->str + REPLY_LINE(lines, i)->offset;
		gsize len = REPLY_LINE(lines, i)->len;
		char *line;

		if (reply_is_blank(p, len))
			continue;
		if (!reply_is_command(p, len)) {
			rest_at = REPLY_LINE(lines, i)->offset;
			break;
		}
		line = reply_norm(p, len, G_MAXSIZE);
		reply_parse_command(rt, line, (int)i + 1);
		g_free(line);
	}
	g_array_free(lines, TRUE);

	/* The text, up to the quoted history. */
	rest = norm->str + rest_at;
	lines = reply_split_lines(rest);
	reply_find_quote(rest, lines, &q);
	cut = strlen(rest);
	if (q.kind != REPLY_QUOTE_NONE &&
	    !reply_interleaved(rest, lines, &q)) {
		cut = REPLY_LINE(lines, q.line)->offset;
		rt->had_quote = TRUE;
	}
	g_array_free(lines, TRUE);
	rt->text = reply_trim(rest, cut);
	g_string_free(norm, TRUE);
	return rt;
}

void
reply_text_free(struct reply_text *rt)
{
	if (rt == NULL)
		return;
	g_ptr_array_free(rt->commands, TRUE);
	g_ptr_array_free(rt->errors, TRUE);
	g_free(rt->text);
	g_free(rt);
}
