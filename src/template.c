/* Reply templates: a small Mustache engine over json-glib data, and sets of
   template files with a header block, cached and re-read when changed. */
#include "autodefs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "template.h"

/* Parse errors reported per template before giving up. */
#define TEMPLATE_MAX_ERRORS 50

#ifdef TICKETD_DATADIR
#define TEMPLATE_DEFAULT_DIR TICKETD_DATADIR "/templates"
#endif

enum tnode_type {
	TNODE_TEXT,
	TNODE_VAR,		/* {{x}}: escaped in HTML */
	TNODE_RAW,		/* {{{x}}}, {{& x}}: never escaped */
	TNODE_SECTION,		/* {{#x}} */
	TNODE_INVERTED,		/* {{^x}} */
	TNODE_PARTIAL,		/* {{> x}} */
};

struct tnode {
	enum tnode_type type;
	int line, col;		/* of the tag's "{{" */
	char *text;		/* TEXT: the text; PARTIAL: its name; else the
				   tag name */
	size_t text_len;
	char **path;		/* the name split at '.'; NULL for "." */
	char *indent;		/* PARTIAL: standalone indentation or NULL */
	GPtrArray *children;	/* SECTION, INVERTED: struct tnode * */
};

/* A parsed template. */
struct tmpl {
	char *filename;		/* for error messages */
	GPtrArray *nodes;	/* struct tnode * */
};

/* A header of a mail template: the value is a template. */
struct theader {
	char *name;
	struct tmpl *value;
};

/* A template file as read from disk, shared through the cache. */
struct tfile {
	int refcount;
	char *path;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
	gboolean mail;		/* parsed with a header block */
	char *source;
	size_t source_len;
	GPtrArray *errors;	/* char *: parse errors, empty when fine */
	GPtrArray *headers;	/* struct theader * (mail only) */
	struct tmpl *body;
	GHashTable *indented;	/* partial: indentation -> struct tmpl *,
				   the body parsed with that indentation */
};

struct template_set {
	char *dir;
	char *fallback_dir;
	GHashTable *cache;	/* "m:" or "p:" + path -> struct tfile * */
};

/* Parser state.  pos/line/col only move forwards. */
struct parser {
	const char *src;
	size_t len;
	const char *filename;
	size_t pos;
	int line, col;
	GPtrArray *errors;
	int nerrors;
	GPtrArray *open;	/* struct tnode *: sections being filled */
	GPtrArray *root;
};

/* Rendering state. */
struct render {
	GString *out;
	GPtrArray *stack;	/* JsonNode *, borrowed */
	gboolean html;
	const char *ext;	/* ".txt" or ".html": partial file names */
	char **partial_dirs;	/* borrowed, NULL-terminated, may be NULL */
	GHashTable *cache;
	int partial_depth;
	guint64 steps;
	char *error;
};

static int render_nodes(struct render *r, const struct tmpl *t,
			GPtrArray *nodes);

/* ---- names ---- */

static gboolean
is_name_char(char ch)
{
	return g_ascii_isalnum(ch) || ch == '_' || ch == '-';
}

/* [A-Za-z0-9_-]+ */
static gboolean
simple_name_valid(const char *s)
{
	if (*s == '\0')
		return FALSE;
	for (; *s != '\0'; s++)
		if (!is_name_char(*s))
			return FALSE;
	return TRUE;
}

/* "." or [A-Za-z0-9_-]+ segments joined by single dots. */
static gboolean
tag_name_valid(const char *s)
{
	gboolean seg = FALSE;

	if (strcmp(s, ".") == 0)
		return TRUE;
	for (; *s != '\0'; s++) {
		if (*s == '.') {
			if (!seg)
				return FALSE;
			seg = FALSE;
		} else if (is_name_char(*s)) {
			seg = TRUE;
		} else {
			return FALSE;
		}
	}
	return seg;
}

/* A mailbox or language used as a directory name. */
static gboolean
path_component_valid(const char *s)
{
	if (s == NULL || *s == '\0' || *s == '.')
		return FALSE;
	for (; *s != '\0'; s++)
		if (!g_ascii_isalnum(*s) && strchr("_.@+-", *s) == NULL)
			return FALSE;
	return TRUE;
}

/* Copy of s[0..len) fit for an error message: at most 40 bytes, control
   characters as '?'. */
static char *
name_for_message(const char *s, size_t len)
{
	GString *str = g_string_new(NULL);

	if (len > 40) {
		len = 40;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = s[i];

		g_string_append_c(str, ch < 0x20 || ch == 0x7f ? '?' : ch);
	}
	return g_string_free(str, FALSE);
}

/* ---- the parse tree ---- */

static void
tnode_free(gpointer p)
{
	struct tnode *n = p;

	if (n == NULL)
		return;
	g_free(n->text);
	g_strfreev(n->path);
	g_free(n->indent);
	if (n->children != NULL)
		g_ptr_array_free(n->children, TRUE);
	g_free(n);
}

static void
tmpl_free(struct tmpl *t)
{
	if (t == NULL)
		return;
	g_free(t->filename);
	g_ptr_array_free(t->nodes, TRUE);
	g_free(t);
}

static void
tmpl_free_cb(gpointer p)
{
	tmpl_free(p);
}

static struct tnode *
tnode_new(enum tnode_type type, int line, int col, const char *text,
	  size_t len)
{
	struct tnode *n = g_new0(struct tnode, 1);

	n->type = type;
	n->line = line;
	n->col = col;
	n->text = g_strndup(text, len);
	n->text_len = len;
	if (type == TNODE_VAR || type == TNODE_RAW ||
	    type == TNODE_SECTION || type == TNODE_INVERTED) {
		if (strcmp(n->text, ".") != 0)
			n->path = g_strsplit(n->text, ".", -1);
	}
	if (type == TNODE_SECTION || type == TNODE_INVERTED)
		n->children = g_ptr_array_new_with_free_func(tnode_free);
	return n;
}

/* ---- parser ---- */

static void
parser_seek(struct parser *p, size_t to)
{
	for (; p->pos < to; p->pos++) {
		unsigned char ch = p->src[p->pos];

		if (ch == '\n') {
			p->line++;
			p->col = 1;
		} else if ((ch & 0xc0) != 0x80) {
			p->col++;
		}
	}
}

static void G_GNUC_PRINTF(4, 5)
parser_error(struct parser *p, int line, int col, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_ptr_array_add(p->errors, g_strdup_printf("%s:%d:%d: %s",
						   p->filename, line, col,
						   msg));
	g_free(msg);
	p->nerrors++;
}

static GPtrArray *
parser_list(struct parser *p)
{
	struct tnode *top;

	if (p->open->len == 0)
		return p->root;
	top = g_ptr_array_index(p->open, p->open->len - 1);
	return top->children;
}

/* Add src[start..end) as text; p is at start. */
static void
parser_text(struct parser *p, size_t start, size_t end)
{
	if (end > start)
		g_ptr_array_add(parser_list(p),
				tnode_new(TNODE_TEXT, p->line, p->col,
					  p->src + start, end - start));
}

static const char *
find_str(const char *src, size_t len, size_t from, const char *needle)
{
	size_t nlen = strlen(needle);

	while (from + nlen <= len) {
		const char *c = memchr(src + from, needle[0], len - from);

		if (c == NULL || (size_t)(c - src) + nlen > len)
			return NULL;
		if (memcmp(c, needle, nlen) == 0)
			return c;
		from = c - src + 1;
	}
	return NULL;
}

static gboolean
is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

static gboolean
is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* Handle the close tag {{/name}}: returns nothing, records errors. */
static void
parser_close(struct parser *p, const char *name, size_t name_len,
	     int line, int col)
{
	struct tnode *top;
	char *shown;
	guint i;

	if (name_len == 0) {
		parser_error(p, line, col, "empty tag name");
		return;
	}
	shown = name_for_message(name, name_len);
	if (p->open->len == 0) {
		parser_error(p, line, col,
			     "closing tag '/%s' without open section", shown);
		g_free(shown);
		return;
	}
	top = g_ptr_array_index(p->open, p->open->len - 1);
	if (top->text_len == name_len &&
	    memcmp(top->text, name, name_len) == 0) {
		g_ptr_array_set_size(p->open, p->open->len - 1);
		g_free(shown);
		return;
	}
	parser_error(p, line, col, "section '%s' closed by '/%s'",
		     top->text, shown);
	g_free(shown);
	/* Recover: close up to a matching outer section, if any. */
	for (i = p->open->len; i > 0; i--) {
		struct tnode *n = g_ptr_array_index(p->open, i - 1);

		if (n->text_len == name_len &&
		    memcmp(n->text, name, name_len) == 0) {
			g_ptr_array_set_size(p->open, i - 1);
			return;
		}
	}
}

/* Parse src[0..len) whose first byte is at line:col of filename.  With
   standalone, tags alone on a line take the line with them.  Appends one
   message per error to errors and always returns a tree (possibly
   incomplete when errors were added); *nerrors_r is the count added. */
static struct tmpl *
tmpl_parse(const char *src, size_t len, const char *filename, int line,
	   int col, gboolean standalone, GPtrArray *errors, int *nerrors_r)
{
	struct parser p = { 0 };
	struct tmpl *t;
	size_t text_start = 0;
	gboolean stop = FALSE;

	p.src = src;
	p.len = len;
	p.filename = filename;
	p.line = line;
	p.col = col;
	p.errors = errors;
	p.open = g_ptr_array_new();
	p.root = g_ptr_array_new_with_free_func(tnode_free);

	while (!stop && p.nerrors < TEMPLATE_MAX_ERRORS) {
		const char *q, *close, *next_open;
		size_t ts, cs, ce, te, k, name_s, name_e, text_end, next;
		gboolean triple, can_standalone, alone = FALSE;
		char sigil;
		int tline, tcol, xline, xcol;

		q = find_str(src, len, text_start, "{{");
		if (q == NULL)
			break;
		ts = q - src;
		triple = ts + 2 < len && src[ts + 2] == '{';
		cs = ts + (triple ? 3 : 2);
		for (k = cs; k < len && is_space(src[k]); k++)
			;
		sigil = triple ? '{' : (k < len ? src[k] : '\0');
		/* A tag other than a comment ends before the next "{{";
		   searching no further keeps this linear. */
		next_open = sigil == '!' ? NULL : find_str(src, len, cs, "{{");
		close = find_str(src, next_open != NULL ?
				 (size_t)(next_open - src) : len, cs,
				 triple ? "}}}" : "}}");
		parser_seek(&p, text_start);
		xline = p.line;
		xcol = p.col;
		parser_seek(&p, ts);
		tline = p.line;
		tcol = p.col;
		if (close == NULL && next_open != NULL) {
			parser_error(&p, tline, tcol, "unclosed tag");
			text_start = next_open - src;
			continue;
		}
		if (close == NULL) {
			parser_error(&p, tline, tcol, "unclosed tag");
			stop = TRUE;
			break;
		}
		ce = close - src;
		te = ce + (triple ? 3 : 2);

		/* The name, without sigil and surrounding blanks. */
		name_s = (triple || strchr("#^/!>&=", sigil) == NULL ||
			  sigil == '\0') ? cs : k + 1;
		if (name_s > ce)
			name_s = ce;
		name_e = ce;
		while (name_s < name_e && is_space(src[name_s]))
			name_s++;
		while (name_e > name_s && is_space(src[name_e - 1]))
			name_e--;

		/* Standalone: only blanks before it on its line, and only
		   blanks up to the line end after it. */
		can_standalone = standalone && !triple && sigil != '\0' &&
				 strchr("#^/!>=", sigil) != NULL;
		text_end = ts;
		next = te;
		if (can_standalone) {
			size_t ls = ts, after = te;

			while (ls > text_start && is_blank(src[ls - 1]))
				ls--;
			while (after < len && is_blank(src[after]))
				after++;
			if ((ls == 0 || src[ls - 1] == '\n') &&
			    (after == len || src[after] == '\n' ||
			     (src[after] == '\r' && after + 1 < len &&
			      src[after + 1] == '\n'))) {
				alone = TRUE;
				text_end = ls;
				next = after == len ? len :
				       after + (src[after] == '\r' ? 2 : 1);
			}
		}
		if (text_end > text_start) {
			g_ptr_array_add(parser_list(&p),
					tnode_new(TNODE_TEXT, xline, xcol,
						  src + text_start,
						  text_end - text_start));
		}
		text_start = next;

		if (sigil == '!')
			continue;
		if (sigil == '=') {
			parser_error(&p, tline, tcol,
				     "set delimiter tags are not supported");
			continue;
		}
		if (sigil == '/') {
			parser_close(&p, src + name_s, name_e - name_s,
				     tline, tcol);
			continue;
		}
		if (name_e == name_s) {
			parser_error(&p, tline, tcol, "empty tag name");
			continue;
		}
		{
			char *name = g_strndup(src + name_s, name_e - name_s);
			gboolean ok = sigil == '>' ? simple_name_valid(name) :
				      tag_name_valid(name);
			enum tnode_type type;
			struct tnode *n;

			if (!ok || strlen(name) != name_e - name_s) {
				char *shown = name_for_message(src + name_s,
							name_e - name_s);

				parser_error(&p, tline, tcol,
					     sigil == '>' ?
					     "bad partial name '%s'" :
					     "bad characters in tag name '%s'",
					     shown);
				g_free(shown);
				g_free(name);
				continue;
			}
			if (triple || sigil == '&')
				type = TNODE_RAW;
			else if (sigil == '#')
				type = TNODE_SECTION;
			else if (sigil == '^')
				type = TNODE_INVERTED;
			else if (sigil == '>')
				type = TNODE_PARTIAL;
			else
				type = TNODE_VAR;
			if ((type == TNODE_SECTION || type == TNODE_INVERTED) &&
			    p.open->len >= TEMPLATE_MAX_NESTING) {
				parser_error(&p, tline, tcol,
					     "sections nested deeper than %d",
					     TEMPLATE_MAX_NESTING);
				g_free(name);
				stop = TRUE;
				break;
			}
			n = tnode_new(type, tline, tcol, name, strlen(name));
			g_free(name);
			if (type == TNODE_PARTIAL && alone && text_end < ts)
				n->indent = g_strndup(src + text_end,
						      ts - text_end);
			g_ptr_array_add(parser_list(&p), n);
			if (type == TNODE_SECTION || type == TNODE_INVERTED)
				g_ptr_array_add(p.open, n);
		}
	}
	if (!stop && p.nerrors < TEMPLATE_MAX_ERRORS) {
		parser_seek(&p, text_start);
		parser_text(&p, text_start, len);
		for (guint i = 0; i < p.open->len; i++) {
			struct tnode *n = g_ptr_array_index(p.open, i);

			parser_error(&p, n->line, n->col,
				     "unclosed section '%s'", n->text);
		}
	}
	g_ptr_array_free(p.open, TRUE);
	t = g_new0(struct tmpl, 1);
	t->filename = g_strdup(filename);
	t->nodes = p.root;
	*nerrors_r = p.nerrors;
	return t;
}

/* Parse text; on error free everything and set *error_r to the first. */
static struct tmpl *
tmpl_parse_one(const char *text, size_t len, const char *filename,
	       char **error_r)
{
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	struct tmpl *t;
	int n;

	t = tmpl_parse(text, len, filename, 1, 1, TRUE, errors, &n);
	if (n > 0) {
		*error_r = g_strdup(g_ptr_array_index(errors, 0));
		tmpl_free(t);
		t = NULL;
	}
	g_ptr_array_free(errors, TRUE);
	return t;
}

/* ---- rendering ---- */

static void G_GNUC_PRINTF(4, 5)
render_error(struct render *r, const struct tmpl *t, const struct tnode *n,
	     const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (r->error != NULL)
		return;
	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	r->error = g_strdup_printf("%s:%d:%d: %s", t->filename, n->line,
				   n->col, msg);
	g_free(msg);
}

static JsonNode *
render_lookup(struct render *r, const struct tnode *n)
{
	JsonNode *cur = NULL;
	guint i;

	if (n->path == NULL)
		return r->stack->len > 0 ?
		       g_ptr_array_index(r->stack, r->stack->len - 1) : NULL;
	for (i = r->stack->len; i > 0; i--) {
		JsonNode *ctx = g_ptr_array_index(r->stack, i - 1);
		JsonObject *obj;

		if (!JSON_NODE_HOLDS_OBJECT(ctx))
			continue;
		obj = json_node_get_object(ctx);
		if (obj != NULL && json_object_has_member(obj, n->path[0])) {
			cur = json_object_get_member(obj, n->path[0]);
			break;
		}
	}
	for (i = 1; cur != NULL && n->path[i] != NULL; i++) {
		JsonObject *obj;

		if (!JSON_NODE_HOLDS_OBJECT(cur))
			return NULL;
		obj = json_node_get_object(cur);
		if (obj == NULL || !json_object_has_member(obj, n->path[i]))
			return NULL;
		cur = json_object_get_member(obj, n->path[i]);
	}
	return cur;
}

/* The text of a value: a borrowed string, or one written into buf. */
static const char *
value_string(JsonNode *v, char *buf, size_t size)
{
	if (v == NULL || !JSON_NODE_HOLDS_VALUE(v))
		return "";
	switch (json_node_get_value_type(v)) {
	case G_TYPE_STRING: {
		const char *s = json_node_get_string(v);

		return s != NULL ? s : "";
	}
	case G_TYPE_INT64:
		g_snprintf(buf, size, "%" G_GINT64_FORMAT,
			   json_node_get_int(v));
		return buf;
	case G_TYPE_BOOLEAN:
		return json_node_get_boolean(v) ? "true" : "false";
	case G_TYPE_DOUBLE: {
		double d = json_node_get_double(v);

		if (d >= -9.0e18 && d <= 9.0e18 && (double)(gint64)d == d) {
			g_snprintf(buf, size, "%" G_GINT64_FORMAT, (gint64)d);
			return buf;
		}
		g_ascii_formatd(buf, size, "%.15g", d);
		if (g_ascii_strtod(buf, NULL) != d)
			g_ascii_formatd(buf, size, "%.17g", d);
		return buf;
	}
	default:
		return "";
	}
}

static gboolean
value_truthy(JsonNode *v)
{
	if (v == NULL)
		return FALSE;
	switch (json_node_get_node_type(v)) {
	case JSON_NODE_NULL:
		return FALSE;
	case JSON_NODE_ARRAY: {
		JsonArray *a = json_node_get_array(v);

		return a != NULL && json_array_get_length(a) > 0;
	}
	case JSON_NODE_OBJECT:
		return TRUE;
	case JSON_NODE_VALUE:
		switch (json_node_get_value_type(v)) {
		case G_TYPE_BOOLEAN:
			return json_node_get_boolean(v);
		case G_TYPE_STRING: {
			const char *s = json_node_get_string(v);

			return s != NULL && *s != '\0';
		}
		default:
			return TRUE;
		}
	}
	return FALSE;
}

static int
render_append(struct render *r, const struct tmpl *t, const struct tnode *n,
	      const char *s, size_t len)
{
	if (len > TEMPLATE_MAX_OUTPUT - r->out->len) {
		render_error(r, t, n, "output larger than %d bytes",
			     TEMPLATE_MAX_OUTPUT);
		return -1;
	}
	g_string_append_len(r->out, s, len);
	return 0;
}

static const char *
html_entity(char ch)
{
	switch (ch) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&#39;";
	default: return NULL;
	}
}

static int
render_escaped(struct render *r, const struct tmpl *t, const struct tnode *n,
	       const char *s)
{
	size_t len = 0, run = 0;
	const char *e;

	for (const char *c = s; *c != '\0'; c++)
		len += (e = html_entity(*c)) != NULL ? strlen(e) : 1;
	if (len > TEMPLATE_MAX_OUTPUT - r->out->len) {
		render_error(r, t, n, "output larger than %d bytes",
			     TEMPLATE_MAX_OUTPUT);
		return -1;
	}
	for (const char *c = s;; c++) {
		e = *c == '\0' ? NULL : html_entity(*c);
		if (*c == '\0' || e != NULL) {
			g_string_append_len(r->out, c - run, run);
			run = 0;
			if (*c == '\0')
				break;
			g_string_append(r->out, e);
		} else {
			run++;
		}
	}
	return 0;
}

/* Apply a standalone partial's indentation to each line of its source. */
static char *
indent_source(const char *src, size_t len, const char *indent,
	      size_t *len_r)
{
	GString *s = g_string_sized_new(len + strlen(indent));
	gboolean line_start = TRUE;

	for (size_t i = 0; i < len; i++) {
		if (line_start)
			g_string_append(s, indent);
		g_string_append_c(s, src[i]);
		line_start = src[i] == '\n';
	}
	*len_r = s->len;
	return g_string_free(s, FALSE);
}

static void tfile_unref(struct tfile *tf);
static int tfile_get(GHashTable *cache, const char *path, gboolean mail,
		     struct tfile **tf_r, char **error_r);

static int
render_partial(struct render *r, const struct tmpl *t, const struct tnode *n)
{
	struct tfile *tf = NULL;
	struct tmpl *pt;
	char *err = NULL;
	int ret = 0;

	if (r->partial_depth >= TEMPLATE_MAX_PARTIALS) {
		render_error(r, t, n, "partials nested deeper than %d",
			     TEMPLATE_MAX_PARTIALS);
		return -1;
	}
	for (char **d = r->partial_dirs; d != NULL && *d != NULL; d++) {
		char *path = g_strconcat(*d, "/", n->text, r->ext, NULL);

		ret = tfile_get(r->cache, path, FALSE, &tf, &err);
		g_free(path);
		if (ret != 0)
			break;
	}
	if (ret == 0) {
		render_error(r, t, n, "unknown partial '%s'", n->text);
		return -1;
	}
	if (ret < 0 || tf->errors->len > 0) {
		if (r->error == NULL)
			r->error = err != NULL ? err :
				   g_strdup(g_ptr_array_index(tf->errors, 0));
		else
			g_free(err);
		tfile_unref(tf);
		return -1;
	}
	pt = tf->body;
	if (n->indent != NULL) {
		/* Parse once more with the indentation, once per distinct
		   indentation (kept until the file changes). */
		if (tf->indented == NULL)
			tf->indented = g_hash_table_new_full(g_str_hash,
				g_str_equal, g_free, tmpl_free_cb);
		pt = g_hash_table_lookup(tf->indented, n->indent);
	}
	if (pt == NULL) {
		size_t len;
		char *src;

		r->steps += tf->source_len / 16;
		src = indent_source(tf->source, tf->source_len, n->indent,
				    &len);
		pt = tmpl_parse_one(src, len, tf->path, &err);
		g_free(src);
		if (pt == NULL) {
			if (r->error == NULL)
				r->error = err;
			else
				g_free(err);
			tfile_unref(tf);
			return -1;
		}
		g_hash_table_insert(tf->indented, g_strdup(n->indent), pt);
	}
	r->partial_depth++;
	ret = render_nodes(r, pt, pt->nodes);
	r->partial_depth--;
	tfile_unref(tf);
	return ret;
}

static int
render_section(struct render *r, const struct tmpl *t, const struct tnode *n)
{
	JsonNode *v = render_lookup(r, n);
	int ret = 0;

	if (n->type == TNODE_INVERTED)
		return value_truthy(v) ? 0 :
		       render_nodes(r, t, n->children);
	if (!value_truthy(v))
		return 0;
	if (JSON_NODE_HOLDS_ARRAY(v)) {
		JsonArray *a = json_node_get_array(v);
		guint len = json_array_get_length(a);

		for (guint i = 0; i < len && ret == 0; i++) {
			if (++r->steps > TEMPLATE_MAX_STEPS) {
				render_error(r, t, n, "more than %d steps",
					     TEMPLATE_MAX_STEPS);
				return -1;
			}
			g_ptr_array_add(r->stack, json_array_get_element(a, i));
			ret = render_nodes(r, t, n->children);
			g_ptr_array_set_size(r->stack, r->stack->len - 1);
		}
		return ret;
	}
	g_ptr_array_add(r->stack, v);
	ret = render_nodes(r, t, n->children);
	g_ptr_array_set_size(r->stack, r->stack->len - 1);
	return ret;
}

static int
render_nodes(struct render *r, const struct tmpl *t, GPtrArray *nodes)
{
	char buf[64];

	for (guint i = 0; i < nodes->len; i++) {
		const struct tnode *n = g_ptr_array_index(nodes, i);
		const char *s;
		int ret = 0;

		if (++r->steps > TEMPLATE_MAX_STEPS) {
			render_error(r, t, n, "more than %d steps",
				     TEMPLATE_MAX_STEPS);
			return -1;
		}
		switch (n->type) {
		case TNODE_TEXT:
			ret = render_append(r, t, n, n->text, n->text_len);
			break;
		case TNODE_VAR:
		case TNODE_RAW:
			s = value_string(render_lookup(r, n), buf, sizeof buf);
			if (n->type == TNODE_VAR && r->html)
				ret = render_escaped(r, t, n, s);
			else
				ret = render_append(r, t, n, s, strlen(s));
			break;
		case TNODE_SECTION:
		case TNODE_INVERTED:
			ret = render_section(r, t, n);
			break;
		case TNODE_PARTIAL:
			ret = render_partial(r, t, n);
			break;
		}
		if (ret < 0)
			return -1;
	}
	return 0;
}

/* Render t with data.  partial_dirs: NULL-terminated, may be NULL. */
static char *
tmpl_render(const struct tmpl *t, JsonObject *data, gboolean html,
	    char **partial_dirs, GHashTable *cache, char **error_r)
{
	struct render r = { 0 };
	JsonNode *root = NULL;

	r.out = g_string_new(NULL);
	r.stack = g_ptr_array_new();
	r.html = html;
	r.ext = html ? ".html" : ".txt";
	r.partial_dirs = partial_dirs;
	r.cache = cache;
	if (data != NULL) {
		root = json_node_alloc();
		json_node_init_object(root, data);
		g_ptr_array_add(r.stack, root);
	}
	render_nodes(&r, t, t->nodes);
	g_ptr_array_free(r.stack, TRUE);
	if (root != NULL)
		json_node_unref(root);
	if (r.error != NULL) {
		*error_r = r.error;
		g_string_free(r.out, TRUE);
		return NULL;
	}
	return g_string_free(r.out, FALSE);
}

/* ---- template files ---- */

static void
theader_free(gpointer p)
{
	struct theader *h = p;

	g_free(h->name);
	tmpl_free(h->value);
	g_free(h);
}

static void
tfile_unref(struct tfile *tf)
{
	if (tf == NULL || --tf->refcount > 0)
		return;
	g_free(tf->path);
	g_free(tf->source);
	g_ptr_array_free(tf->errors, TRUE);
	if (tf->headers != NULL)
		g_ptr_array_free(tf->headers, TRUE);
	tmpl_free(tf->body);
	if (tf->indented != NULL)
		g_hash_table_destroy(tf->indented);
	g_free(tf);
}

static void
tfile_unref_cb(gpointer p)
{
	tfile_unref(p);
}

static void G_GNUC_PRINTF(3, 4)
tfile_error(struct tfile *tf, int line, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_ptr_array_add(tf->errors, g_strdup_printf("%s:%d:1: %s", tf->path,
						    line, msg));
	g_free(msg);
}

/* Parse one header whose value is source[vs..ve) starting at line:col. */
static void
tfile_header(struct tfile *tf, const char *name, size_t name_len, size_t vs,
	     size_t ve, int line, int col)
{
	struct theader *h = g_new0(struct theader, 1);
	int n;

	h->name = g_strndup(name, name_len);
	h->value = tmpl_parse(tf->source + vs, ve - vs, tf->path, line, col,
			      FALSE, tf->errors, &n);
	g_ptr_array_add(tf->headers, h);
}

/* Split a mail template into its header block and body and parse them. */
static void
tfile_parse_mail(struct tfile *tf)
{
	const char *s = tf->source;
	size_t len = tf->source_len, pos = 0, body = len;
	size_t name_s = 0, name_len = 0, vs = 0, ve = 0;
	int line = 1, body_line = 1, vline = 0, vcol = 0, n;
	gboolean have = FALSE, bad = FALSE, subject = FALSE;

	tf->headers = g_ptr_array_new_with_free_func(theader_free);
	while (pos < len) {
		const char *nl = memchr(s + pos, '\n', len - pos);
		size_t eol = nl != NULL ? (size_t)(nl - s) : len, end = eol;

		if (end > pos && s[end - 1] == '\r')
			end--;
		if (end == pos) {
			body = eol < len ? eol + 1 : len;
			body_line = line + 1;
			break;
		}
		if (is_blank(s[pos])) {
			if (have)
				ve = end;
			else if (!bad)
				tfile_error(tf, line, "continuation line "
					    "without a header");
		} else {
			const char *colon = memchr(s + pos, ':', end - pos);
			size_t i;

			if (have)
				tfile_header(tf, s + name_s, name_len, vs, ve,
					     vline, vcol);
			have = FALSE;
			bad = TRUE;
			if (colon == NULL) {
				tfile_error(tf, line, "malformed header line "
					    "(expected 'Name: value')");
				goto next;
			}
			name_s = pos;
			name_len = colon - (s + pos);
			for (i = 0; i < name_len; i++)
				if (!g_ascii_isalnum(s[pos + i]) &&
				    s[pos + i] != '-')
					break;
			if (name_len == 0 || i < name_len) {
				char *shown = name_for_message(s + pos,
							       name_len);

				tfile_error(tf, line, "bad header name '%s'",
					    shown);
				g_free(shown);
				goto next;
			}
			if (name_len == 7 &&
			    g_ascii_strncasecmp(s + pos, "Subject", 7) == 0) {
				if (subject)
					tfile_error(tf, line, "duplicate "
						    "Subject: header");
				subject = TRUE;
			}
			vs = colon - s + 1;
			while (vs < end && is_blank(s[vs]))
				vs++;
			ve = end;
			vline = line;
			vcol = (int)(vs - pos) + 1;
			have = TRUE;
			bad = FALSE;
		}
next:
		pos = eol + 1;
		line++;
		body_line = line;
	}
	if (have)
		tfile_header(tf, s + name_s, name_len, vs, ve, vline, vcol);
	if (!subject)
		g_ptr_array_insert(tf->errors, 0,
				   g_strdup_printf("%s:1:1: missing Subject: "
						   "header", tf->path));
	tf->body = tmpl_parse(s + body, len - body, tf->path, body_line, 1,
			      TRUE, tf->errors, &n);
}

/* Read and parse path.  Returns 1 with *tf_r (parse errors are in
   (*tf_r)->errors), 0 when there is no such file, -1 with *error_r. */
static int
tfile_load(const char *path, gboolean mail, struct tfile **tf_r,
	   char **error_r)
{
	struct tfile *tf;
	struct stat st;
	GString *buf;
	int fd, n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		*error_r = g_strdup_printf("%s: %s", path, g_strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		*error_r = g_strdup_printf("%s: %s", path, g_strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > TEMPLATE_MAX_FILE) {
		*error_r = g_strdup_printf("%s: %s", path,
					   !S_ISREG(st.st_mode) ?
					   "not a regular file" :
					   "file too large");
		close(fd);
		return -1;
	}
	buf = g_string_sized_new(st.st_size + 1);
	for (;;) {
		char chunk[65536];
		ssize_t got = read(fd, chunk, sizeof chunk);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			*error_r = g_strdup_printf("%s: %s", path,
						   g_strerror(errno));
			g_string_free(buf, TRUE);
			close(fd);
			return -1;
		}
		if (got == 0)
			break;
		g_string_append_len(buf, chunk, got);
		if (buf->len > TEMPLATE_MAX_FILE) {
			*error_r = g_strdup_printf("%s: file too large", path);
			g_string_free(buf, TRUE);
			close(fd);
			return -1;
		}
	}
	close(fd);
	if (memchr(buf->str, '\0', buf->len) != NULL) {
		*error_r = g_strdup_printf("%s: contains a NUL byte", path);
		g_string_free(buf, TRUE);
		return -1;
	}

	tf = g_new0(struct tfile, 1);
	tf->refcount = 1;
	tf->path = g_strdup(path);
	tf->dev = st.st_dev;
	tf->ino = st.st_ino;
	tf->size = st.st_size;
	tf->mtime = st.st_mtim;
	tf->ctime = st.st_ctim;
	tf->mail = mail;
	tf->source_len = buf->len;
	tf->source = g_string_free(buf, FALSE);
	tf->errors = g_ptr_array_new_with_free_func(g_free);
	if (mail)
		tfile_parse_mail(tf);
	else
		tf->body = tmpl_parse(tf->source, tf->source_len, path, 1, 1,
				      TRUE, tf->errors, &n);
	*tf_r = tf;
	return 1;
}

static gboolean
tfile_current(const struct tfile *tf, const struct stat *st)
{
	return tf->dev == st->st_dev && tf->ino == st->st_ino &&
	       tf->size == st->st_size &&
	       tf->mtime.tv_sec == st->st_mtim.tv_sec &&
	       tf->mtime.tv_nsec == st->st_mtim.tv_nsec &&
	       tf->ctime.tv_sec == st->st_ctim.tv_sec &&
	       tf->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

/* The parsed file at path from cache, read again when it changed.
   Returns 1 with a new reference in *tf_r, 0 when missing, -1 with
   *error_r. */
static int
tfile_get(GHashTable *cache, const char *path, gboolean mail,
	  struct tfile **tf_r, char **error_r)
{
	char *key = g_strconcat(mail ? "m:" : "p:", path, NULL);
	struct tfile *tf;
	struct stat st;
	int ret;

	if (stat(path, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR) {
			g_hash_table_remove(cache, key);
			g_free(key);
			return 0;
		}
		*error_r = g_strdup_printf("%s: %s", path, g_strerror(errno));
		g_free(key);
		return -1;
	}
	tf = g_hash_table_lookup(cache, key);
	if (tf != NULL && tfile_current(tf, &st)) {
		tf->refcount++;
		*tf_r = tf;
		g_free(key);
		return 1;
	}
	g_hash_table_remove(cache, key);
	ret = tfile_load(path, mail, &tf, error_r);
	if (ret <= 0) {
		g_free(key);
		return ret;
	}
	tf->refcount++;
	g_hash_table_insert(cache, key, tf);
	*tf_r = tf;
	return 1;
}

/* ---- mails ---- */

/* A rendered header value made safe: a CR/LF with the blanks around it
   becomes one space, other control characters a space; trimmed. */
static char *
header_clean(const char *s)
{
	GString *out = g_string_sized_new(strlen(s));

	while (*s != '\0') {
		unsigned char ch = *s;

		if (ch == '\r' || ch == '\n') {
			while (out->len > 0 && is_blank(out->str[out->len - 1]))
				g_string_truncate(out, out->len - 1);
			while (is_space(*s))
				s++;
			g_string_append_c(out, ' ');
			continue;
		}
		g_string_append_c(out, ch < 0x20 || ch == 0x7f ? ' ' : ch);
		s++;
	}
	g_strstrip(out->str);
	return g_string_free(out, FALSE);
}

void
template_mail_free(struct template_mail *mail)
{
	if (mail == NULL)
		return;
	g_free(mail->subject);
	g_ptr_array_free(mail->headers, TRUE);
	g_free(mail->text);
	g_free(mail->html);
	g_free(mail);
}

/* Render a parsed mail template and its optional HTML part. */
static struct template_mail *
mail_render(struct tfile *txt, struct tfile *html, JsonObject *data,
	    char **dirs, GHashTable *cache, char **error_r)
{
	struct template_mail *mail = g_new0(struct template_mail, 1);

	mail->headers = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < txt->headers->len; i++) {
		struct theader *h = g_ptr_array_index(txt->headers, i);
		char *raw, *value;

		raw = tmpl_render(h->value, data, FALSE, dirs, cache, error_r);
		if (raw == NULL)
			goto fail;
		value = header_clean(raw);
		g_free(raw);
		if (g_ascii_strcasecmp(h->name, "Subject") == 0) {
			g_free(mail->subject);
			mail->subject = value;
		} else if (*value != '\0') {
			g_ptr_array_add(mail->headers,
					g_strdup_printf("%s: %s", h->name,
							value));
			g_free(value);
		} else {
			g_free(value);
		}
	}
	if (mail->subject == NULL)
		mail->subject = g_strdup("");
	mail->text = tmpl_render(txt->body, data, FALSE, dirs, cache, error_r);
	if (mail->text == NULL)
		goto fail;
	if (html != NULL) {
		mail->html = tmpl_render(html->body, data, TRUE, dirs, cache,
					 error_r);
		if (mail->html == NULL)
			goto fail;
	}
	return mail;
fail:
	template_mail_free(mail);
	return NULL;
}

struct template_set *
template_set_new(const char *dir, const char *fallback_dir)
{
	struct template_set *set = g_new0(struct template_set, 1);

	set->dir = g_strdup(dir);
	set->fallback_dir = g_strdup(fallback_dir);
	set->cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					   tfile_unref_cb);
	return set;
}

void
template_set_free(struct template_set *set)
{
	if (set == NULL)
		return;
	g_free(set->dir);
	g_free(set->fallback_dir);
	g_hash_table_destroy(set->cache);
	g_free(set);
}

/* Append the lookup directories under base to chain. */
static void
chain_add(GPtrArray *chain, const char *base, const char *mailbox,
	  char **langs)
{
	if (base == NULL)
		return;
	if (mailbox != NULL) {
		for (char **l = langs; *l != NULL; l++)
			g_ptr_array_add(chain, g_build_filename(base, mailbox,
								*l, NULL));
		g_ptr_array_add(chain, g_build_filename(base, mailbox, NULL));
	}
	for (char **l = langs; *l != NULL; l++)
		g_ptr_array_add(chain, g_build_filename(base, *l, NULL));
	g_ptr_array_add(chain, g_strdup(base));
}

/* Find name.txt in the NULL-terminated dirs and render it.  Returns 1 with
   *mail_r, 0 when not found, -1 with *error_r when the first found failed;
   *index_r is where it was found. */
static int
set_try(struct template_set *set, char **dirs, const char *name,
	JsonObject *data, struct template_mail **mail_r, guint *index_r,
	char **error_r)
{
	for (guint i = 0; dirs[i] != NULL; i++) {
		struct tfile *txt = NULL, *html = NULL;
		char *path;
		int ret;

		path = g_strconcat(dirs[i], "/", name, ".txt", NULL);
		ret = tfile_get(set->cache, path, TRUE, &txt, error_r);
		g_free(path);
		if (ret == 0)
			continue;
		*index_r = i;
		if (ret < 0)
			return -1;
		if (txt->errors->len > 0) {
			*error_r = g_strdup(g_ptr_array_index(txt->errors, 0));
			tfile_unref(txt);
			return -1;
		}
		path = g_strconcat(dirs[i], "/", name, ".html", NULL);
		ret = tfile_get(set->cache, path, FALSE, &html, error_r);
		g_free(path);
		if (ret < 0 || (ret > 0 && html->errors->len > 0)) {
			if (ret > 0)
				*error_r = g_strdup(g_ptr_array_index(
							html->errors, 0));
			tfile_unref(html);
			tfile_unref(txt);
			return -1;
		}
		*mail_r = mail_render(txt, html, data, dirs + i, set->cache,
				      error_r);
		tfile_unref(html);
		tfile_unref(txt);
		return *mail_r != NULL ? 1 : -1;
	}
	return 0;
}

struct template_mail *
template_set_render(struct template_set *set, const char *name,
		    const char *mailbox, const char *language,
		    JsonObject *data, char **error_r)
{
	struct template_mail *mail = NULL;
	GPtrArray *chain, *fallback;
	char *langs[3] = { NULL, NULL, NULL }, *err2 = NULL;
	guint own_len, index = 0;
	int ret;

	*error_r = NULL;
	if (name == NULL || !simple_name_valid(name)) {
		*error_r = g_strdup_printf("bad template name '%s'",
					   name != NULL ? name : "(null)");
		return NULL;
	}
	if (!path_component_valid(mailbox))
		mailbox = NULL;
	if (path_component_valid(language)) {
		size_t base = strcspn(language, "-_");

		langs[0] = g_ascii_strdown(language, -1);
		if (base > 0 && language[base] != '\0')
			langs[1] = g_strndup(langs[0], base);
	}
	chain = g_ptr_array_new_with_free_func(g_free);
	fallback = g_ptr_array_new_with_free_func(g_free);
	chain_add(chain, set->dir, mailbox, langs);
	own_len = chain->len;
	if (set->fallback_dir != NULL &&
	    g_strcmp0(set->fallback_dir, set->dir) != 0) {
		chain_add(chain, set->fallback_dir, mailbox, langs);
		chain_add(fallback, set->fallback_dir, mailbox, langs);
	}
	g_ptr_array_add(chain, NULL);
	g_ptr_array_add(fallback, NULL);

	ret = set_try(set, (char **)chain->pdata, name, data, &mail, &index,
		      error_r);
	if (ret == 0) {
		*error_r = g_strdup_printf("%s/%s.txt: template not found",
					   set->dir, name);
	} else if (ret < 0 && index < own_len && fallback->len > 1) {
		/* The admin's template failed: use the shipped one. */
		ret = set_try(set, (char **)fallback->pdata, name, data, &mail,
			      &index, &err2);
		if (ret < 0) {
			char *both = g_strdup_printf("%s; fallback: %s",
						     *error_r, err2);

			g_free(*error_r);
			*error_r = both;
		}
		g_free(err2);
	}
	g_ptr_array_free(chain, TRUE);
	g_ptr_array_free(fallback, TRUE);
	g_free(langs[0]);
	g_free(langs[1]);
	return mail;
}

char *
template_render_string(const char *text, const char *filename,
		       JsonObject *data, gboolean html,
		       const char *partial_dir, char **error_r)
{
	char *dirs[2] = { (char *)partial_dir, NULL };
	GHashTable *cache;
	struct tmpl *t;
	char *out;

	*error_r = NULL;
	if (filename == NULL)
		filename = "template";
	t = tmpl_parse_one(text, strlen(text), filename, error_r);
	if (t == NULL)
		return NULL;
	cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
				      tfile_unref_cb);
	out = tmpl_render(t, data, html, dirs, cache, error_r);
	g_hash_table_destroy(cache);
	tmpl_free(t);
	return out;
}

/* ---- checks ---- */

/* State of a check of one parsed template. */
struct check {
	const struct tmpl *t;
	char **dirs;		/* where partials are looked for */
	const char *ext;	/* ".txt" or ".html" */
	const struct template_var *vars; /* NULL: no variable checks */
	size_t n_vars;
	gboolean partial;	/* included from unknown places */
	GPtrArray *ctx;		/* char *: full names of the open sections,
				   NULL for one with an unknown name */
	GPtrArray *errors;
	int count;
};

static void G_GNUC_PRINTF(3, 4)
check_error(struct check *c, const struct tnode *n, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_ptr_array_add(c->errors, g_strdup_printf("%s:%d:%d: %s",
						   c->t->filename, n->line,
						   n->col, msg));
	g_free(msg);
	c->count++;
}

static const struct template_var *
check_var_find(const struct check *c, const char *name, size_t len)
{
	for (size_t i = 0; i < c->n_vars; i++)
		if (strlen(c->vars[i].name) == len &&
		    memcmp(c->vars[i].name, name, len) == 0)
			return &c->vars[i];
	return NULL;
}

/* Is full a variable, or (with object_ok) an object holding some? */
static gboolean
check_var_known(const struct check *c, const char *full, gboolean object_ok)
{
	size_t len = strlen(full);

	if (check_var_find(c, full, len) != NULL)
		return TRUE;
	if (!object_ok)
		return FALSE;
	for (size_t i = 0; i < c->n_vars; i++)
		if (strncmp(c->vars[i].name, full, len) == 0 &&
		    c->vars[i].name[len] == '.')
			return TRUE;
	return FALSE;
}

/* Does full descend into the items of a list after its first base_len
   bytes (the context it was resolved in)?  The renderer cannot do that:
   {{history.date}} outside {{#history}} is always empty. */
static gboolean
check_var_through_list(const struct check *c, const char *full,
		       size_t base_len)
{
	const char *p = full + base_len + (base_len > 0 ? 1 : 0), *dot;

	for (; (dot = strchr(p, '.')) != NULL; p = dot + 1) {
		const struct template_var *v = check_var_find(c, full,
							      dot - full);

		if (v != NULL && v->kind == TEMPLATE_VAR_LIST)
			return TRUE;
	}
	return FALSE;
}

/* Resolve the name of n as the renderer would, from the innermost open
   section outwards.  Returns its full name (new string) or NULL when no
   known variable matches. */
static char *
check_var_resolve(const struct check *c, const struct tnode *n,
		  gboolean object_ok)
{
	const char *name = n->text;

	if (n->path == NULL) {
		/* "." */
		if (c->ctx->len == 0)
			return c->partial ? g_strdup("") : NULL;
		return g_strdup("");
	}
	for (guint i = c->ctx->len + 1; i > 0; i--) {
		const char *base = i > 1 ? g_ptr_array_index(c->ctx, i - 2) :
				   "";
		char *full;

		if (base == NULL)
			continue;
		full = *base != '\0' ? g_strconcat(base, ".", name, NULL) :
		       g_strdup(name);
		if (!check_var_through_list(c, full, strlen(base)) &&
		    check_var_known(c, full, object_ok))
			return full;
		g_free(full);
	}
	if (c->partial) {
		/* It may be included inside any list section. */
		for (size_t i = 0; i < c->n_vars; i++) {
			const char *base = c->vars[i].name;
			char *full;

			if (c->vars[i].kind != TEMPLATE_VAR_LIST)
				continue;
			full = g_strconcat(base, ".", name, NULL);
			if (!check_var_through_list(c, full, strlen(base)) &&
			    check_var_known(c, full, object_ok))
				return full;
			g_free(full);
		}
	}
	return NULL;
}

static void
check_partial_found(struct check *c, const struct tnode *n)
{
	gboolean found = FALSE;

	for (char **d = c->dirs; *d != NULL && !found; d++) {
		char *path = g_strconcat(*d, "/", n->text, c->ext, NULL);

		found = g_file_test(path, G_FILE_TEST_IS_REGULAR);
		g_free(path);
	}
	if (!found)
		check_error(c, n, "unknown partial '%s'", n->text);
}

/* Check partials and (with c->vars) variable names of nodes, in order. */
static void
check_nodes(struct check *c, GPtrArray *nodes)
{
	for (guint i = 0; i < nodes->len; i++) {
		const struct tnode *n = g_ptr_array_index(nodes, i);
		gboolean section = n->type == TNODE_SECTION ||
				   n->type == TNODE_INVERTED;
		char *full = NULL;

		if (n->type == TNODE_PARTIAL) {
			check_partial_found(c, n);
			continue;
		}
		if (n->type == TNODE_TEXT)
			continue;
		if (c->vars != NULL) {
			full = check_var_resolve(c, n, section);
			if (full == NULL && n->path != NULL &&
			    n->path[1] != NULL &&
			    check_var_through_list(c, n->text, 0) &&
			    check_var_known(c, n->text, section))
				check_error(c, n, "unknown variable '%s' (a "
					    "list item: use {{%s}} inside "
					    "{{#%.*s}})", n->text,
					    strrchr(n->text, '.') + 1,
					    (int)(strrchr(n->text, '.') -
						  n->text), n->text);
			else if (full == NULL)
				check_error(c, n, "unknown variable '%s'",
					    n->text);
		}
		if (n->type == TNODE_SECTION) {
			/* The value becomes the innermost context; {{#.}}
			   pushes the current one again. */
			if (n->path == NULL && c->ctx->len > 0) {
				g_free(full);
				full = g_strdup(g_ptr_array_index(c->ctx,
							c->ctx->len - 1));
			}
			g_ptr_array_add(c->ctx, full);
			full = NULL;
			check_nodes(c, n->children);
			g_ptr_array_set_size(c->ctx, c->ctx->len - 1);
		} else if (n->type == TNODE_INVERTED) {
			check_nodes(c, n->children);
		}
		g_free(full);
	}
}

static int
check_file(const char *path, gboolean mail, gboolean partial,
	   const struct template_var *vars, size_t n_vars, GPtrArray *errors)
{
	const char *ext = g_str_has_suffix(path, ".html") ? ".html" : ".txt";
	struct check c = { 0 };
	struct tfile *tf = NULL;
	GPtrArray *dirs;
	char *err = NULL, *dir;
	int ret;

	ret = tfile_load(path, mail, &tf, &err);
	if (ret <= 0) {
		g_ptr_array_add(errors, ret == 0 ?
				g_strdup_printf("%s: %s", path,
						g_strerror(ENOENT)) : err);
		return 1;
	}
	for (guint i = 0; i < tf->errors->len; i++)
		g_ptr_array_add(errors,
				g_strdup(g_ptr_array_index(tf->errors, i)));

	dirs = g_ptr_array_new_with_free_func(g_free);
	dir = g_path_get_dirname(path);
	for (int up = 0; up < 3; up++) {
		char *parent = g_path_get_dirname(dir);
		gboolean top = strcmp(parent, dir) == 0;

		g_ptr_array_add(dirs, dir);
		dir = parent;
		if (top)
			break;
	}
	g_free(dir);
#ifdef TEMPLATE_DEFAULT_DIR
	g_ptr_array_add(dirs, g_strdup(TEMPLATE_DEFAULT_DIR));
#endif
	g_ptr_array_add(dirs, NULL);

	c.dirs = (char **)dirs->pdata;
	c.ext = ext;
	c.vars = vars;
	c.n_vars = n_vars;
	c.partial = partial;
	c.ctx = g_ptr_array_new_with_free_func(g_free);
	c.errors = errors;
	c.count = tf->errors->len;
	if (tf->headers != NULL)
		for (guint i = 0; i < tf->headers->len; i++) {
			struct theader *h = g_ptr_array_index(tf->headers, i);

			c.t = h->value;
			check_nodes(&c, h->value->nodes);
		}
	c.t = tf->body;
	check_nodes(&c, tf->body->nodes);
	g_ptr_array_free(c.ctx, TRUE);
	g_ptr_array_free(dirs, TRUE);
	tfile_unref(tf);
	return c.count;
}

int
template_check_file(const char *path, GPtrArray *errors)
{
	return check_file(path, g_str_has_suffix(path, ".txt"), FALSE, NULL,
			  0, errors);
}

int
template_check_partial(const char *path, GPtrArray *errors)
{
	return check_file(path, FALSE, TRUE, NULL, 0, errors);
}

int
template_check_file_vars(const char *path, gboolean partial,
			 const struct template_var *vars, size_t n_vars,
			 GPtrArray *errors)
{
	return check_file(path, !partial && g_str_has_suffix(path, ".txt"),
			  partial, vars, n_vars, errors);
}
