#ifndef TICKETD_TEMPLATE_H
#define TICKETD_TEMPLATE_H

#include <glib.h>
#include <json-glib/json-glib.h>

/*
 * Reply templates: a Mustache subset.  {{var}}, dotted names {{ticket.id}},
 * sections {{#x}}...{{/x}} over lists, objects and booleans, inverted
 * sections {{^x}}...{{/x}}, comments {{! ...}}, partials {{> name}}, and
 * {{{var}}} / {{& var}} for unescaped output in HTML.  Data is a JSON tree
 * (json-glib), assembled by template-data.c.
 *
 * A template file NAME.txt is a header block (Subject: required, other
 * headers optional), an empty line, then the body.  An optional NAME.html
 * beside it is the HTML alternative (values HTML-escaped there).  Header
 * values are rendered with CR and LF removed so no value can start a new
 * header line.
 *
 * Details of the subset:
 * - A name is "." (the current item) or segments [A-Za-z0-9_-]+ joined by
 *   dots.  The first segment is looked up from the innermost section
 *   outwards, the rest descend from there.  Missing names render as "".
 * - Strings render as is, integral numbers as integers ("42"), other
 *   numbers with up to 17 significant digits, booleans as "true"/"false",
 *   null, objects and arrays as "".
 * - A section is skipped for false, null, a missing name, "" and []; an
 *   array renders it once per element; anything else (true, a non-empty
 *   string, any number including 0, an object) renders it once, with the
 *   value pushed as the current item.  Inverted sections render exactly
 *   when the section would not.
 * - Section, inverted, closing, comment and partial tags alone on a line
 *   (standalone) do not leave the line behind; a standalone partial's
 *   indentation is applied to each line of the partial.  Set-delimiter
 *   tags {{=...=}} are not supported (an error).
 * - A partial name is [A-Za-z0-9_-]+ (no path), read as NAME.txt, or as
 *   NAME.html while rendering HTML.  Values are never re-parsed: "{{" in
 *   data is output as is.
 * - Limits (an error, never a crash): sections nested deeper than
 *   TEMPLATE_MAX_NESTING, partials deeper than TEMPLATE_MAX_PARTIALS,
 *   output above TEMPLATE_MAX_OUTPUT bytes, more than TEMPLATE_MAX_STEPS
 *   rendering steps, files above TEMPLATE_MAX_FILE bytes.
 *
 * Header block: "Name: value" lines, Name matching [A-Za-z0-9-]+, lines
 * starting with a space or tab continue the previous header, an empty line
 * ends the block (CRLF line ends are accepted).  Each value is a template.
 * After rendering, a CR/LF with the blanks around it becomes one space,
 * other control characters become spaces, and the value is trimmed; other
 * headers whose value renders empty are left out.
 *
 * Partials of a template set are looked up like templates: in the
 * directory the template was found in, then in the directories after it in
 * the lookup order of template_set_render() (so dir/zh/ack.txt finds
 * dir/zh/signature.txt, else dir/signature.txt, else the ones in
 * fallback_dir).
 *
 * Not thread-safe: use one template_set per thread.
 */

#define TEMPLATE_MAX_NESTING	100
#define TEMPLATE_MAX_PARTIALS	10
#define TEMPLATE_MAX_OUTPUT	(64 * 1024 * 1024)
#define TEMPLATE_MAX_STEPS	10000000
#define TEMPLATE_MAX_FILE	(4 * 1024 * 1024)

/* A rendered mail.  All fields owned. */
struct template_mail {
	char *subject;		/* never NULL */
	GPtrArray *headers;	/* char * "Name: value" lines other than
				   Subject, no CR/LF; never NULL */
	char *text;		/* text body, never NULL */
	char *html;		/* HTML body, NULL when no NAME.html */
};

struct template_set;

/* A set of templates under dir (borrowed string is copied).  Files are read
   at render time and re-read when their mtime changes.  fallback_dir (may be
   NULL) holds the shipped defaults used when a template in dir is missing
   or fails to parse or render. */
struct template_set *template_set_new(const char *dir,
				      const char *fallback_dir);

/* Free set; template_set_free(NULL) is a no-op. */
void template_set_free(struct template_set *set);

/* Render template name ("ack") for mailbox and language (both may be NULL).
   The file is looked up as dir/MAILBOX/LANG/NAME.txt, dir/MAILBOX/NAME.txt,
   dir/LANG/NAME.txt, dir/NAME.txt, then the same in fallback_dir.  A
   language with a region ("zh-CN", "pt_BR") is tried before its base
   ("zh") at each of those places; the language is lower-cased.  A mailbox
   or language that is not a plain file name ([A-Za-z0-9_.@+-], not starting
   with '.') is ignored.  Parsed files are cached and re-read when their
   size, mtime, ctime or inode change.  Returns a
   new template_mail (free with template_mail_free()) or NULL with *error_r
   set to a newly allocated "file:line:col: message".  When a template fails
   and a fallback rendered instead, *error_r is still set (to be logged) but
   the mail is returned. */
struct template_mail *template_set_render(struct template_set *set,
					  const char *name,
					  const char *mailbox,
					  const char *language,
					  JsonObject *data, char **error_r);

/* Free mail; template_mail_free(NULL) is a no-op. */
void template_mail_free(struct template_mail *mail);

/* Render the template source text (no header block processing) with data.
   html: escape values for HTML.  filename is used in error messages.
   partial_dir (may be NULL) is where {{> name}} finds name.txt (or
   name.html when html).  Returns a new string or NULL with *error_r set
   to a newly allocated "file:line:col: message". */
char *template_render_string(const char *text, const char *filename,
			     JsonObject *data, gboolean html,
			     const char *partial_dir, char **error_r);

/* Parse the template file at path and append to errors (char *, owned by
   the array) one "file:line:col: message" per problem found (unclosed or
   mismatched section, bad tag, missing Subject: in a .txt, missing
   partial).  Returns the number of errors added.  A .txt file is checked
   as a mail template (header block and body), a .html file as an HTML body.
   Partials are looked for in the file's directory, its parent and
   grandparent, then in the shipped default templates. */
int template_check_file(const char *path, GPtrArray *errors);

/* As template_check_file(), for a partial (a file included with {{> name}},
   such as signature.txt): no header block expected. */
int template_check_partial(const char *path, GPtrArray *errors);

/* Kinds of template variables. */
enum template_var_kind {
	TEMPLATE_VAR_VALUE,	/* a string or number: {{ticket.id}} */
	TEMPLATE_VAR_LIST,	/* a list of objects: {{#history}} */
};

/*
 * A variable templates may use.  An item of a list is named with the list's
 * name in front: "history.date" is {{date}} inside {{#history}}.  An object
 * ("ticket") is known through its members and needs no entry.
 */
struct template_var {
	const char *name;	/* "ticket.id", "history", "history.date" */
	enum template_var_kind kind;
	const char *meaning;	/* one line for people */
	const char *templates;	/* template names it is set for, separated
				   by spaces, or NULL for all */
};

/* As template_check_file() (partial FALSE) or template_check_partial()
   (partial TRUE), and when vars is not NULL also report each name used in
   a tag that is not among vars[0..n_vars) as "file:line:col: unknown
   variable 'x'".  A name inside a section over a list is first looked up
   as a member of the list's items ({{date}} inside {{#history}} is
   "history.date"), then outwards as the renderer does; "." is valid inside
   any section.  A partial's tags may also name list items (it may be
   included inside a section).  Errors are appended to errors (char *,
   owned by the array); returns the number added. */
int template_check_file_vars(const char *path, gboolean partial,
			     const struct template_var *vars, size_t n_vars,
			     GPtrArray *errors);

#endif
