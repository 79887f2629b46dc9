/* HTML mail bodies made into readable plain text with libxml2. */
#include "autodefs.h"

#include <limits.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "message.h"

enum html_kind {
	HTML_INLINE = 0,
	HTML_SKIP,		/* dropped with everything inside */
	HTML_BLOCK,		/* starts and ends a line */
	HTML_PARA,		/* surrounded by a blank line */
	HTML_BR,
	HTML_LI,
	HTML_CELL,
	HTML_PRE,
	HTML_A,
	HTML_IMG,
};

static const struct {
	const char *name;
	enum html_kind kind;
} html_tags[] = {
	{ "script", HTML_SKIP }, { "style", HTML_SKIP },
	{ "head", HTML_SKIP }, { "title", HTML_SKIP },
	{ "template", HTML_SKIP }, { "object", HTML_SKIP },
	{ "iframe", HTML_SKIP }, { "svg", HTML_SKIP },
	{ "p", HTML_PARA }, { "h1", HTML_PARA }, { "h2", HTML_PARA },
	{ "h3", HTML_PARA }, { "h4", HTML_PARA }, { "h5", HTML_PARA },
	{ "h6", HTML_PARA }, { "blockquote", HTML_PARA },
	{ "table", HTML_PARA }, { "ul", HTML_PARA }, { "ol", HTML_PARA },
	{ "dl", HTML_PARA },
	{ "div", HTML_BLOCK }, { "tr", HTML_BLOCK }, { "section", HTML_BLOCK },
	{ "article", HTML_BLOCK }, { "header", HTML_BLOCK },
	{ "footer", HTML_BLOCK }, { "address", HTML_BLOCK },
	{ "center", HTML_BLOCK }, { "form", HTML_BLOCK },
	{ "hr", HTML_BLOCK }, { "dt", HTML_BLOCK }, { "dd", HTML_BLOCK },
	{ "caption", HTML_BLOCK }, { "thead", HTML_BLOCK },
	{ "tbody", HTML_BLOCK }, { "tfoot", HTML_BLOCK },
	{ "br", HTML_BR }, { "li", HTML_LI },
	{ "td", HTML_CELL }, { "th", HTML_CELL },
	{ "pre", HTML_PRE }, { "a", HTML_A }, { "img", HTML_IMG },
};

struct html_ctx {
	GString *out;
	int pre;		/* depth of <pre> elements open */
	gboolean space;		/* a collapsed space is pending */
	GArray *links;		/* gsize: out->len where each open <a> began */
};

static enum html_kind
html_kind(const xmlNode *node)
{
	size_t i;

	if (node->name == NULL)
		return HTML_INLINE;
	for (i = 0; i < G_N_ELEMENTS(html_tags); i++)
		if (g_ascii_strcasecmp((const char *)node->name,
		    html_tags[i].name) == 0)
			return html_tags[i].kind;
	return HTML_INLINE;
}

static gboolean
html_at_line_start(const struct html_ctx *ctx)
{
	return ctx->out->len == 0 ||
	    ctx->out->str[ctx->out->len - 1] == '\n';
}

/* Make sure the output ends with n line breaks (or is empty). */
static void
html_break(struct html_ctx *ctx, int n)
{
	int have = 0;
	gsize i = ctx->out->len;

	ctx->space = FALSE;
	if (ctx->out->len == 0)
		return;
	while (i > 0 && ctx->out->str[i - 1] == '\n' && have < n) {
		have++;
		i--;
	}
	for (; have < n; have++)
		g_string_append_c(ctx->out, '\n');
}

static void
html_text(struct html_ctx *ctx, const char *s)
{
	const unsigned char *p;

	if (s == NULL)
		return;
	if (ctx->pre > 0) {
		for (p = (const unsigned char *)s; *p != '\0'; p++)
			if (*p != '\r')
				g_string_append_c(ctx->out, (char)*p);
		ctx->space = FALSE;
		return;
	}
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
		    *p == '\f' || *p == '\v') {
			ctx->space = TRUE;
			continue;
		}
		/* U+00A0 no-break space counts as a space too */
		if (p[0] == 0xc2 && p[1] == 0xa0) {
			ctx->space = TRUE;
			p++;
			continue;
		}
		if (ctx->space && !html_at_line_start(ctx) &&
		    ctx->out->str[ctx->out->len - 1] != ' ')
			g_string_append_c(ctx->out, ' ');
		ctx->space = FALSE;
		g_string_append_c(ctx->out, (char)*p);
	}
}

static const char *
html_attr(const xmlNode *node, const char *name)
{
	const xmlAttr *a;

	for (a = node->properties; a != NULL; a = a->next) {
		if (a->name != NULL &&
		    g_ascii_strcasecmp((const char *)a->name, name) == 0 &&
		    a->children != NULL && a->children->type == XML_TEXT_NODE)
			return (const char *)a->children->content;
	}
	return NULL;
}

static void
html_enter(struct html_ctx *ctx, const xmlNode *node, enum html_kind kind)
{
	gsize start;

	switch (kind) {
	case HTML_PARA:
		html_break(ctx, 2);
		break;
	case HTML_BLOCK:
		html_break(ctx, 1);
		break;
	case HTML_BR:
		if (ctx->out->len > 0 &&
		    ctx->out->str[ctx->out->len - 1] == ' ')
			g_string_truncate(ctx->out, ctx->out->len - 1);
		g_string_append_c(ctx->out, '\n');
		ctx->space = FALSE;
		break;
	case HTML_LI:
		html_break(ctx, 1);
		g_string_append(ctx->out, "- ");
		break;
	case HTML_CELL:
		if (!html_at_line_start(ctx))
			ctx->space = TRUE;
		break;
	case HTML_PRE:
		html_break(ctx, 2);
		ctx->pre++;
		break;
	case HTML_A:
		start = ctx->out->len;
		g_array_append_val(ctx->links, start);
		break;
	default:
		break;
	}
}

static gboolean
html_link_shown(const char *href)
{
	while (*href == ' ' || *href == '\t' || *href == '\n' || *href == '\r')
		href++;
	if (*href == '\0' || *href == '#')
		return FALSE;
	if (g_ascii_strncasecmp(href, "mailto:", 7) == 0 ||
	    g_ascii_strncasecmp(href, "javascript:", 11) == 0 ||
	    g_ascii_strncasecmp(href, "data:", 5) == 0 ||
	    g_ascii_strncasecmp(href, "cid:", 4) == 0)
		return FALSE;
	return TRUE;
}

static void
html_leave(struct html_ctx *ctx, const xmlNode *node, enum html_kind kind)
{
	const char *href;
	gsize start;
	char *text, *h;

	switch (kind) {
	case HTML_PARA:
		html_break(ctx, 2);
		break;
	case HTML_BLOCK:
	case HTML_LI:
		html_break(ctx, 1);
		break;
	case HTML_PRE:
		if (ctx->pre > 0)
			ctx->pre--;
		html_break(ctx, 2);
		break;
	case HTML_A:
		if (ctx->links->len == 0)
			break;
		start = g_array_index(ctx->links, gsize, ctx->links->len - 1);
		g_array_set_size(ctx->links, ctx->links->len - 1);
		href = html_attr(node, "href");
		if (href == NULL || !html_link_shown(href))
			break;
		if (start > ctx->out->len)
			start = ctx->out->len;
		h = g_strstrip(g_strdup(href));
		/* no CR/LF or spaces inside the brackets */
		g_strdelimit(h, "\r\n\t ", '+');
		text = g_strstrip(g_strndup(ctx->out->str + start,
		    ctx->out->len - start));
		if (strcmp(text, h) != 0) {
			if (*text != '\0' && !html_at_line_start(ctx))
				g_string_append_c(ctx->out, ' ');
			g_string_append_printf(ctx->out, "<%s>", h);
		}
		ctx->space = FALSE;
		g_free(text);
		g_free(h);
		break;
	default:
		break;
	}
}

/* Drop trailing spaces on lines, keep at most one blank line in a row, and
   trim the whole text. */
static char *
html_tidy(const GString *in)
{
	GString *out = g_string_sized_new(in->len + 1);
	const char *p = in->str, *end = in->str + in->len;
	gboolean blank = FALSE;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl != NULL ? nl : end;
		const char *next = nl != NULL ? nl + 1 : end;

		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e == p) {
			blank = TRUE;
		} else {
			if (out->len > 0)
				g_string_append(out, blank ? "\n\n" : "\n");
			g_string_append_len(out, p, e - p);
			blank = FALSE;
		}
		p = next;
	}
	return g_strstrip(g_string_free(out, FALSE));
}

char *
message_html_to_text(const char *html, size_t len)
{
	struct html_ctx ctx;
	htmlDocPtr doc;
	xmlNode *root, *node;
	char *buf, *res;
	size_t i;

	if (html == NULL || len == 0)
		return g_strdup("");
	if (len > INT_MAX - 1)
		len = INT_MAX - 1;

	/* libxml2 wants UTF-8 without NUL bytes. */
	if (g_utf8_validate(html, (gssize)len, NULL)) {
		buf = g_strndup(html, len);
	} else {
		buf = message_text_to_utf8(html, len, NULL);
	}
	len = strlen(buf);
	for (i = 0; i < len; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';

	doc = htmlReadMemory(buf, (int)len, NULL, "UTF-8",
	    HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
	    HTML_PARSE_NONET | XML_PARSE_HUGE);
	g_free(buf);
	if (doc == NULL)
		return g_strdup("");

	memset(&ctx, 0, sizeof(ctx));
	ctx.out = g_string_sized_new(len / 2 + 16);
	ctx.links = g_array_new(FALSE, FALSE, sizeof(gsize));

	/* Walk the tree without recursion: down to children, on to the next
	   sibling, up through parents, leaving each element on the way up. */
	root = xmlDocGetRootElement(doc);
	node = root;
	while (node != NULL) {
		enum html_kind kind = HTML_INLINE;
		gboolean descend = FALSE;

		if (node->type == XML_ELEMENT_NODE) {
			kind = html_kind(node);
			if (kind != HTML_SKIP) {
				html_enter(&ctx, node, kind);
				descend = node->children != NULL;
			}
		} else if (node->type == XML_TEXT_NODE ||
		    node->type == XML_CDATA_SECTION_NODE) {
			html_text(&ctx, (const char *)node->content);
		}
		if (descend) {
			node = node->children;
			continue;
		}
		if (node->type == XML_ELEMENT_NODE && kind != HTML_SKIP)
			html_leave(&ctx, node, kind);
		/* Go to the next sibling, leaving finished parents. */
		while (node != NULL && node != root && node->next == NULL) {
			node = node->parent;
			if (node != NULL && node->type == XML_ELEMENT_NODE)
				html_leave(&ctx, node, html_kind(node));
		}
		if (node == NULL || node == root)
			break;
		node = node->next;
	}

	xmlFreeDoc(doc);
	g_array_free(ctx.links, TRUE);
	res = html_tidy(ctx.out);
	g_string_free(ctx.out, TRUE);
	if (!g_utf8_validate(res, -1, NULL)) {
		char *v = g_utf8_make_valid(res, -1);

		g_free(res);
		res = v;
	}
	return res;
}
