/* Unit tests for template.c: the Mustache subset, template sets with
   header blocks, fallback and reload, checks, hostile input. */
#include "autodefs.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "template.h"

/* One rendering case: expect is the exact output, or NULL when an error
   containing error is expected. */
struct render_case {
	const char *tmpl;
	const char *json;
	gboolean html;
	const char *expect;
	const char *error;
};

static const struct render_case render_cases[] = {
	/* variables and values */
	{ "Hello {{name}}!", "{\"name\":\"Ann\"}", FALSE, "Hello Ann!", NULL },
	{ "[{{missing}}]", "{}", FALSE, "[]", NULL },
	{ "{{ name }}", "{\"name\":\"x\"}", FALSE, "x", NULL },
	{ "{{n}}", "{\"n\":42}", FALSE, "42", NULL },
	{ "{{n}}", "{\"n\":42.0}", FALSE, "42", NULL },
	{ "{{n}}", "{\"n\":-7}", FALSE, "-7", NULL },
	{ "{{n}}", "{\"n\":2.5}", FALSE, "2.5", NULL },
	{ "{{n}}", "{\"n\":0.1}", FALSE, "0.1", NULL },
	{ "{{n}}", "{\"n\":1e20}", FALSE, "1e+20", NULL },
	{ "{{t}}/{{f}}", "{\"t\":true,\"f\":false}", FALSE, "true/false",
	  NULL },
	{ "[{{z}}]", "{\"z\":null}", FALSE, "[]", NULL },
	{ "[{{o}}{{a}}]", "{\"o\":{\"x\":1},\"a\":[1]}", FALSE, "[]", NULL },
	{ "#{{ticket.id}} {{ticket.tag}}",
	  "{\"ticket\":{\"id\":42,\"tag\":\"[ACME #42]\"}}", FALSE,
	  "#42 [ACME #42]", NULL },
	{ "[{{a.b.c}}]", "{\"a\":{\"b\":{\"c\":\"deep\"}}}", FALSE, "[deep]",
	  NULL },
	{ "[{{a.x.c}}]", "{\"a\":{\"b\":1}}", FALSE, "[]", NULL },
	{ "[{{a.b.c}}]", "{\"a\":{\"b\":\"str\"}}", FALSE, "[]", NULL },
	/* values are never parsed again */
	{ "{{v}}", "{\"v\":\"{{evil}} {{#x}}\"}", FALSE, "{{evil}} {{#x}}",
	  NULL },
	{ "{{{v}}}", "{\"v\":\"{{> secret}}\"}", TRUE, "{{> secret}}", NULL },
	/* sections */
	{ "{{#t}}yes{{/t}}", "{\"t\":true}", FALSE, "yes", NULL },
	{ "[{{#f}}yes{{/f}}]", "{\"f\":false}", FALSE, "[]", NULL },
	{ "[{{#f}}yes{{/f}}]", "{\"f\":null}", FALSE, "[]", NULL },
	{ "[{{#f}}yes{{/f}}]", "{}", FALSE, "[]", NULL },
	{ "[{{#f}}yes{{/f}}]", "{\"f\":[]}", FALSE, "[]", NULL },
	{ "[{{#f}}yes{{/f}}]", "{\"f\":\"\"}", FALSE, "[]", NULL },
	{ "[{{#s}}<{{.}}>{{/s}}]", "{\"s\":\"str\"}", FALSE, "[<str>]", NULL },
	{ "[{{#n}}<{{.}}>{{/n}}]", "{\"n\":0}", FALSE, "[<0>]", NULL },
	{ "{{#o}}{{x}}-{{y}}{{/o}}", "{\"o\":{\"x\":1},\"y\":2}", FALSE, "1-2",
	  NULL },
	{ "{{#l}}<{{.}}>{{/l}}", "{\"l\":[\"a\",\"b\",3]}", FALSE, "<a><b><3>",
	  NULL },
	{ "{{#items}}{{name}}@{{ticket.id}};{{/items}}",
	  "{\"items\":[{\"name\":\"a\"},{\"name\":\"b\"}],"
	  "\"ticket\":{\"id\":9}}", FALSE, "a@9;b@9;", NULL },
	{ "{{#a}}[{{b.c}}]{{/a}}", "{\"a\":{\"b\":{}},\"b\":{\"c\":\"X\"}}",
	  FALSE, "[]", NULL },
	{ "{{#a.b}}{{c}}{{/a.b}}", "{\"a\":{\"b\":{\"c\":\"in\"}}}", FALSE,
	  "in", NULL },
	{ "{{#l}}{{#.}}({{.}}){{/.}}{{/l}}", "{\"l\":[[1,2],[3]]}", FALSE,
	  "(1)(2)(3)", NULL },
	{ "{{# t }}x{{/ t }}", "{\"t\":1}", FALSE, "x", NULL },
	/* inverted sections */
	{ "{{^f}}no{{/f}}", "{\"f\":false}", FALSE, "no", NULL },
	{ "{{^f}}no{{/f}}", "{}", FALSE, "no", NULL },
	{ "{{^f}}no{{/f}}", "{\"f\":[]}", FALSE, "no", NULL },
	{ "{{^f}}no{{/f}}", "{\"f\":\"\"}", FALSE, "no", NULL },
	{ "[{{^f}}no{{/f}}]", "{\"f\":\"x\"}", FALSE, "[]", NULL },
	{ "[{{^f}}no{{/f}}]", "{\"f\":[0]}", FALSE, "[]", NULL },
	{ "{{#c.name}}Hello {{c.name}},{{/c.name}}"
	  "{{^c.name}}Hello,{{/c.name}}", "{\"c\":{\"name\":\"\"}}", FALSE,
	  "Hello,", NULL },
	{ "{{#c.name}}Hello {{c.name}},{{/c.name}}"
	  "{{^c.name}}Hello,{{/c.name}}", "{\"c\":{\"name\":\"Bo\"}}", FALSE,
	  "Hello Bo,", NULL },
	/* comments */
	{ "a{{! note }}b", "{}", FALSE, "ab", NULL },
	{ "a{{! multi\nline {{ }}b", "{}", FALSE, "ab", NULL },
	/* standalone lines */
	{ "a\n{{#t}}\nb\n{{/t}}\nc\n", "{\"t\":true}", FALSE, "a\nb\nc\n",
	  NULL },
	{ "a\n{{#t}}\nb\n{{/t}}\nc\n", "{\"t\":false}", FALSE, "a\nc\n",
	  NULL },
	{ "a\r\n{{#t}}\r\nb\r\n{{/t}}\r\n", "{\"t\":true}", FALSE,
	  "a\r\nb\r\n", NULL },
	{ "  {{#t}}\t\nx\n  {{/t}}  \n", "{\"t\":true}", FALSE, "x\n", NULL },
	{ "{{#t}}\nx\n{{/t}}", "{\"t\":true}", FALSE, "x\n", NULL },
	{ "a {{#t}}b{{/t}}\n", "{\"t\":true}", FALSE, "a b\n", NULL },
	{ "a\n  {{! c }}\nb", "{}", FALSE, "a\nb", NULL },
	{ "{{#t}}{{/t}}\n", "{\"t\":true}", FALSE, "\n", NULL },
	{ "  {{v}}\n", "{\"v\":\"x\"}", FALSE, "  x\n", NULL },
	/* HTML escaping */
	{ "{{v}}", "{\"v\":\"<a href=\\\"x\\\">'&'</a>\"}", TRUE,
	  "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;", NULL },
	{ "{{{v}}}|{{& v}}", "{\"v\":\"<b>&\"}", TRUE, "<b>&|<b>&", NULL },
	{ "{{v}}", "{\"v\":\"<b>&\"}", FALSE, "<b>&", NULL },
	{ "<p>{{n}}</p>", "{\"n\":5}", TRUE, "<p>5</p>", NULL },
	/* errors, with file:line:col of the tag */
	{ "a\n  {{#x}}b", "{}", FALSE, NULL, "t:2:3: unclosed section 'x'" },
	{ "{{#x}}{{/y}}", "{}", FALSE, NULL,
	  "t:1:7: section 'x' closed by '/y'" },
	{ "x\n{{/y}}", "{}", FALSE, NULL,
	  "t:2:1: closing tag '/y' without open section" },
	{ "ab {{name", "{}", FALSE, NULL, "t:1:4: unclosed tag" },
	{ "{{name {{x}}", "{}", FALSE, NULL, "t:1:1: unclosed tag" },
	{ "{{{x}}", "{}", FALSE, NULL, "t:1:1: unclosed tag" },
	{ "{{! never closed", "{}", FALSE, NULL, "t:1:1: unclosed tag" },
	{ "\xc3\xa9\xc3\xa9{{x", "{}", FALSE, NULL, "t:1:3: unclosed tag" },
	{ "a{{}}", "{}", FALSE, NULL, "t:1:2: empty tag name" },
	{ "{{{ }}}", "{}", FALSE, NULL, "t:1:1: empty tag name" },
	{ "{{#}}{{/}}", "{}", FALSE, NULL, "t:1:1: empty tag name" },
	{ "{{a b}}", "{}", FALSE, NULL,
	  "t:1:1: bad characters in tag name 'a b'" },
	{ "{{a..b}}", "{}", FALSE, NULL, "bad characters in tag name" },
	{ "{{.a}}", "{}", FALSE, NULL, "bad characters in tag name" },
	{ "{{a.}}", "{}", FALSE, NULL, "bad characters in tag name" },
	{ "{{a/b}}", "{}", FALSE, NULL, "bad characters in tag name" },
	{ "{{> ../etc/passwd}}", "{}", FALSE, NULL,
	  "t:1:1: bad partial name '../etc/passwd'" },
	{ "{{>a.b}}", "{}", FALSE, NULL, "bad partial name" },
	{ "{{>}}", "{}", FALSE, NULL, "t:1:1: empty tag name" },
	{ "x {{> nope}}", "{}", FALSE, NULL, "t:1:3: unknown partial 'nope'" },
	{ "{{=<% %>=}}", "{}", FALSE, NULL,
	  "t:1:1: set delimiter tags are not supported" },
};

static JsonObject *
parse_object(const char *json)
{
	GError *err = NULL;
	JsonNode *node = json_from_string(json, &err);
	JsonObject *obj;

	g_assert_no_error(err);
	g_assert_nonnull(node);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(node));
	obj = json_object_ref(json_node_get_object(node));
	json_node_unref(node);
	return obj;
}

static void
test_render_table(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(render_cases); i++) {
		const struct render_case *c = &render_cases[i];
		JsonObject *data = parse_object(c->json);
		char *err = NULL, *out;

		out = template_render_string(c->tmpl, "t", data, c->html, NULL,
					     &err);
		if (c->expect != NULL) {
			if (out == NULL)
				g_test_message("case %zu: %s", i, err);
			g_assert_null(err);
			g_assert_cmpstr(out, ==, c->expect);
		} else {
			if (out != NULL)
				g_test_message("case %zu: got '%s'", i, out);
			g_assert_null(out);
			g_assert_nonnull(err);
			if (strstr(err, c->error) == NULL)
				g_test_message("case %zu: error '%s'", i, err);
			g_assert_nonnull(strstr(err, c->error));
		}
		g_free(out);
		g_free(err);
		json_object_unref(data);
	}
}

static void
test_render_null_data(void)
{
	char *err = NULL, *out;

	out = template_render_string("[{{x}}{{#y}}no{{/y}}{{^y}}ok{{/y}}]",
				     NULL, NULL, FALSE, NULL, &err);
	g_assert_null(err);
	g_assert_cmpstr(out, ==, "[ok]");
	g_free(out);
	out = template_render_string("{{#x}}", NULL, NULL, FALSE, NULL, &err);
	g_assert_null(out);
	g_assert_cmpstr(err, ==, "template:1:1: unclosed section 'x'");
	g_free(err);
}

/* Write content to dir/rel, creating directories. */
static void
write_file(const char *dir, const char *rel, const char *content)
{
	char *path = g_build_filename(dir, rel, NULL);
	char *parent = g_path_get_dirname(path);
	GError *err = NULL;

	g_assert_cmpint(g_mkdir_with_parents(parent, 0755), ==, 0);
	g_file_set_contents(path, content, -1, &err);
	g_assert_no_error(err);
	g_free(parent);
	g_free(path);
}

static void
remove_tree(const char *path)
{
	GDir *dir = g_dir_open(path, 0, NULL);
	const char *name;

	if (dir == NULL) {
		g_unlink(path);
		return;
	}
	while ((name = g_dir_read_name(dir)) != NULL) {
		char *sub = g_build_filename(path, name, NULL);

		remove_tree(sub);
		g_free(sub);
	}
	g_dir_close(dir);
	g_rmdir(path);
}

static char *
make_tmpdir(void)
{
	GError *err = NULL;
	char *dir = g_dir_make_tmp("test-template-XXXXXX", &err);

	g_assert_no_error(err);
	return dir;
}

static void
test_partials(void)
{
	char *dir = make_tmpdir(), *err = NULL, *out, *expect;
	JsonObject *data = parse_object(
		"{\"name\":\"<Ann>\",\"content\":\"<\\n->\","
		"\"tree\":{\"v\":1,\"kids\":[{\"v\":2,\"kids\":[{\"v\":3,"
		"\"kids\":[]}]},{\"v\":4,\"kids\":[]}]}}");

	write_file(dir, "sig.txt", "-- \n{{name}}\n");
	write_file(dir, "sig.html", "<p>{{name}}</p>");
	write_file(dir, "ind.txt", "|\n{{{content}}}\n|\n");
	write_file(dir, "node.txt", "({{v}}{{#kids}}{{> node}}{{/kids}})");
	write_file(dir, "loop.txt", "x{{> loop}}");
	write_file(dir, "inode.txt", "{{v}}\n{{#kids}}\n  {{> inode}}\n"
		   "{{/kids}}\n");
	write_file(dir, "broken.txt", "ok\n{{#a}}");

	out = template_render_string("Bye\n{{> sig}}\nend\n", "t", data,
				     FALSE, dir, &err);
	g_assert_null(err);
	g_assert_cmpstr(out, ==, "Bye\n-- \n<Ann>\nend\n");
	g_free(out);

	out = template_render_string("<div>{{> sig}}</div>", "t", data, TRUE,
				     dir, &err);
	g_assert_null(err);
	g_assert_cmpstr(out, ==, "<div><p>&lt;Ann&gt;</p></div>");
	g_free(out);

	/* standalone indentation applies to the partial's lines only */
	out = template_render_string("\\\n {{>ind}}\n/\n", "t", data, FALSE,
				     dir, &err);
	g_assert_null(err);
	g_assert_cmpstr(out, ==, "\\\n |\n <\n->\n |\n/\n");
	g_free(out);

	/* data-driven recursion is fine */
	out = template_render_string("{{#tree}}{{> node}}{{/tree}}", "t",
				     data, FALSE, dir, &err);
	g_assert_null(err);
	g_assert_cmpstr(out, ==, "(1(2(3))(4))");
	g_free(out);

	/* indented recursion: each level's indentation adds up */
	out = template_render_string("{{#tree}}\n  {{> inode}}\n{{/tree}}\n",
				     "t", data, FALSE, dir, &err);
	g_assert_null(err);
	g_assert_cmpstr(out, ==, "  1\n    2\n      3\n    4\n");
	g_free(out);

	/* endless recursion is stopped */
	out = template_render_string("{{> loop}}", "t", data, FALSE, dir,
				     &err);
	g_assert_null(out);
	expect = g_strdup_printf("%s/loop.txt:1:2: partials nested deeper "
				 "than %d", dir, TEMPLATE_MAX_PARTIALS);
	g_assert_cmpstr(err, ==, expect);
	g_free(expect);
	g_free(err);

	/* an error in a partial is reported in the partial's file */
	out = template_render_string("{{> broken}}", "t", data, FALSE, dir,
				     &err);
	g_assert_null(out);
	expect = g_strdup_printf("%s/broken.txt:2:1: unclosed section 'a'",
				 dir);
	g_assert_cmpstr(err, ==, expect);
	g_free(expect);
	g_free(err);

	/* HTML rendering looks for .html partials only */
	out = template_render_string("{{> ind}}", "t", data, TRUE, dir, &err);
	g_assert_null(out);
	g_assert_cmpstr(err, ==, "t:1:1: unknown partial 'ind'");
	g_free(err);

	json_object_unref(data);
	remove_tree(dir);
	g_free(dir);
}

static void
test_limits(void)
{
	JsonObject *data = json_object_new();
	char *big = g_malloc(10 * 1024 * 1024 + 1), *err = NULL, *out;
	GString *deep = g_string_new(NULL);
	JsonArray *arr = json_array_new();
	int i;

	/* a 10 MB value with tag-like and CRLF content */
	for (i = 0; i < 10 * 1024 * 1024; i++)
		big[i] = "{{<&>}}\r\n x"[i % 11];
	big[i] = '\0';
	json_object_set_string_member(data, "big", big);
	out = template_render_string("[{{big}}]", "t", data, FALSE, NULL,
				     &err);
	g_assert_null(err);
	g_assert_cmpuint(strlen(out), ==, 10 * 1024 * 1024 + 2);
	g_assert_true(memcmp(out + 1, big, 10 * 1024 * 1024) == 0);
	g_free(out);
	out = template_render_string("{{big}}", "t", data, TRUE, NULL, &err);
	g_assert_null(err);
	g_assert_true(g_str_has_prefix(out, "{{&lt;&amp;&gt;}}\r\n x{{"));
	g_free(out);

	/* output bound */
	out = template_render_string("{{big}}{{big}}{{big}}{{big}}{{big}}"
				     "{{big}}{{big}}", "t", data, FALSE, NULL,
				     &err);
	g_assert_null(out);
	g_assert_nonnull(strstr(err, "t:1:43: output larger than"));
	g_free(err);

	/* 1000 nested sections: an error, not a crash */
	for (i = 0; i < 1000; i++)
		g_string_append_printf(deep, "{{#a%d}}", i);
	for (i = 999; i >= 0; i--)
		g_string_append_printf(deep, "{{/a%d}}", i);
	out = template_render_string(deep->str, "t", data, FALSE, NULL, &err);
	g_assert_null(out);
	g_assert_nonnull(strstr(err, "sections nested deeper than 100"));
	g_free(err);

	/* exactly the limit is fine */
	g_string_truncate(deep, 0);
	for (i = 0; i < TEMPLATE_MAX_NESTING; i++)
		g_string_append(deep, "{{#t}}");
	g_string_append(deep, "in");
	for (i = 0; i < TEMPLATE_MAX_NESTING; i++)
		g_string_append(deep, "{{/t}}");
	json_object_set_boolean_member(data, "t", TRUE);
	out = template_render_string(deep->str, "t", data, FALSE, NULL, &err);
	g_assert_null(err);
	g_assert_cmpstr(out, ==, "in");
	g_free(out);

	/* many broken tags: errors are capped, parsing stays linear */
	g_string_truncate(deep, 0);
	for (i = 0; i < 4 * 1024 * 1024; i++)
		g_string_append_c(deep, "{{{x"[i % 4]);
	out = template_render_string(deep->str, "t", data, FALSE, NULL, &err);
	g_assert_null(out);
	g_assert_cmpstr(err, ==, "t:1:1: unclosed tag");
	g_free(err);

	/* work bound: 1000^3 empty iterations */
	for (i = 0; i < 1000; i++)
		json_array_add_int_element(arr, i);
	json_object_set_array_member(data, "l", arr);
	out = template_render_string("{{#l}}{{#l}}{{#l}}{{/l}}{{/l}}{{/l}}",
				     "t", data, FALSE, NULL, &err);
	g_assert_null(out);
	g_assert_nonnull(strstr(err, "steps"));
	g_free(err);

	g_string_free(deep, TRUE);
	g_free(big);
	json_object_unref(data);
}

/* Random templates built from tag fragments and random bytes: render must
   give exactly one of output and error, and never crash. */
static void
test_fuzz(void)
{
	static const char *const frags[] = {
		"{{", "}}", "{{{", "}}}", "{{#a}}", "{{/a}}", "{{^b}}",
		"{{/b}}", "{{#l}}", "{{/l}}", "{{.}}", "{{a.b}}", "{{> p}}",
		"{{> q}}", "{{! c }}", "{{&a}}", "\n", "\r\n", "  ", "x",
		"{{=", "\xc3\xa9", "{{#o}}", "{{/o}}", "{{o.x}}", "\0",
	};
	char *dir = make_tmpdir();
	JsonObject *data = parse_object(
		"{\"a\":{\"b\":\"{{a}}\"},\"b\":false,\"l\":[1,\"s\",{\"a\":2},"
		"[3]],\"o\":{\"x\":1.5}}");
	GRand *rand = g_rand_new_with_seed(12345);
	int iterations = g_test_slow() ? 200000 : 20000;

	write_file(dir, "p.txt", "[{{#l}}{{.}}{{> q}}{{/l}}]\n");
	write_file(dir, "q.txt", "{{a.b}}{{#o}}{{> p}}{{/o}}");
	for (int it = 0; it < iterations; it++) {
		GString *s = g_string_new(NULL);
		int n = g_rand_int_range(rand, 0, 30);
		char *out, *err = NULL;

		for (int j = 0; j < n; j++) {
			if (g_rand_boolean(rand)) {
				const char *f = frags[g_rand_int_range(rand, 0,
						G_N_ELEMENTS(frags))];

				g_string_append(s, *f != '\0' ? f : "\x01");
			} else {
				char ch = (char)g_rand_int_range(rand, 1, 256);

				g_string_append_c(s, ch);
			}
		}
		out = template_render_string(s->str, "f", data,
					     g_rand_boolean(rand), dir, &err);
		g_assert_true((out == NULL) != (err == NULL));
		if (err != NULL)
			g_assert_true(g_str_has_prefix(err, "f:") ||
				      strstr(err, dir) != NULL);
		g_free(out);
		g_free(err);
		g_string_free(s, TRUE);
	}
	g_rand_free(rand);
	json_object_unref(data);
	remove_tree(dir);
	g_free(dir);
}

static const char ticket_json[] =
	"{\"ticket\":{\"id\":42,\"tag\":\"[ACME #42]\","
	"\"subject\":\"Printer on fire\",\"status\":\"new\","
	"\"mailbox\":\"support\",\"created\":\"2024-05-01T10:00:00Z\"},"
	"\"customer\":{\"name\":\"Ann Smith\",\"email\":\"ann@example.org\"},"
	"\"mailbox\":{\"name\":\"support\",\"address\":\"support@acme.test\","
	"\"display_name\":\"ACME Support\"},"
	"\"message\":{\"subject\":\"Printer on fire\","
	"\"date\":\"Wed, 1 May 2024 10:00:00 +0000\"}}";

static void
test_set_lookup(void)
{
	char *top = make_tmpdir(), *dir, *fb, *err = NULL;
	struct template_set *set;
	struct template_mail *mail;
	JsonObject *data = parse_object(ticket_json);

	dir = g_build_filename(top, "admin", NULL);
	fb = g_build_filename(top, "default", NULL);
	write_file(fb, "ack.txt", "Subject: fb\n\nfallback {{ticket.id}}\n"
		   "{{> sig}}\n");
	write_file(fb, "sig.txt", "fb-sig\n");
	write_file(fb, "zh/ack.txt", "Subject: fb-zh\n\nzh\n{{> sig}}\n");
	write_file(dir, "ack.txt", "Subject: top\n\ntop\n");
	write_file(dir, "zh/ack.txt", "Subject: zh\n\nzh {{> sig}}\n");
	write_file(dir, "support/ack.txt", "Subject: mbox\n\nmbox\n");
	write_file(dir, "support/zh/ack.txt",
		   "Subject: mbox-zh\n\n{{> sig}}\n");
	write_file(dir, "sig.txt", "admin-sig");
	write_file(dir, "support/sig.txt", "support-sig");
	set = template_set_new(dir, fb);

	/* the lookup order, and partials from the template's directory on */
	mail = template_set_render(set, "ack", "support", "zh-CN", data, &err);
	g_assert_null(err);
	g_assert_cmpstr(mail->subject, ==, "mbox-zh");
	g_assert_cmpstr(mail->text, ==, "support-sig");
	template_mail_free(mail);
	mail = template_set_render(set, "ack", "support", NULL, data, &err);
	g_assert_null(err);
	g_assert_cmpstr(mail->subject, ==, "mbox");
	template_mail_free(mail);
	mail = template_set_render(set, "ack", "sales", "ZH", data, &err);
	g_assert_null(err);
	g_assert_cmpstr(mail->subject, ==, "zh");
	g_assert_cmpstr(mail->text, ==, "zh admin-sig\n");
	template_mail_free(mail);
	mail = template_set_render(set, "ack", NULL, "de", data, &err);
	g_assert_null(err);
	g_assert_cmpstr(mail->subject, ==, "top");
	g_assert_null(mail->html);
	g_assert_cmpuint(mail->headers->len, ==, 0);
	template_mail_free(mail);

	/* names that are not plain file names are ignored */
	mail = template_set_render(set, "ack", "../admin/support", "../zh",
				   data, &err);
	g_assert_null(err);
	g_assert_cmpstr(mail->subject, ==, "top");
	template_mail_free(mail);
	mail = template_set_render(set, "../ack", NULL, NULL, data, &err);
	g_assert_null(mail);
	g_assert_cmpstr(err, ==, "bad template name '../ack'");
	g_free(err);

	/* only in the fallback: used silently, with its partials */
	mail = template_set_render(set, "ack", "support", NULL, data, &err);
	template_mail_free(mail);
	write_file(fb, "survey.txt", "Subject: s\n\nsurvey {{> sig}}");
	mail = template_set_render(set, "survey", NULL, NULL, data, &err);
	g_assert_null(err);
	g_assert_cmpstr(mail->text, ==, "survey fb-sig\n");
	template_mail_free(mail);

	/* not found anywhere */
	mail = template_set_render(set, "nope", NULL, NULL, data, &err);
	g_assert_null(mail);
	g_assert_nonnull(strstr(err, "nope.txt: template not found"));
	g_free(err);

	/* a broken admin template falls back, with the error reported */
	write_file(dir, "ack.txt", "Subject: top\n\n{{#x}}\n");
	mail = template_set_render(set, "ack", NULL, NULL, data, &err);
	g_assert_nonnull(mail);
	g_assert_nonnull(err);
	g_assert_true(g_str_has_suffix(err, "/admin/ack.txt:3:1: "
				       "unclosed section 'x'"));
	g_assert_cmpstr(mail->subject, ==, "fb");
	g_assert_cmpstr(mail->text, ==, "fallback 42\nfb-sig\n");
	g_free(err);
	template_mail_free(mail);

	/* a render error (unknown partial) falls back too */
	write_file(dir, "ack.txt", "Subject: top\n\n{{> nosuch}}\n");
	mail = template_set_render(set, "ack", NULL, NULL, data, &err);
	g_assert_nonnull(mail);
	g_assert_true(g_str_has_suffix(err, "/admin/ack.txt:3:1: "
				       "unknown partial 'nosuch'"));
	g_free(err);
	template_mail_free(mail);

	/* both broken: NULL, both errors */
	write_file(fb, "ack.txt", "no header\n\nbody");
	mail = template_set_render(set, "ack", NULL, NULL, data, &err);
	g_assert_null(mail);
	g_assert_nonnull(strstr(err, "/admin/ack.txt:3:1: unknown partial"));
	g_assert_nonnull(strstr(err, "; fallback: "));
	g_assert_nonnull(strstr(err, "/default/ack.txt:1:1: missing "
				"Subject: header"));
	g_free(err);

	/* a broken template found in the fallback itself: no second try */
	mail = template_set_render(set, "ack", "other", NULL, data, &err);
	g_assert_null(mail);
	g_free(err);
	write_file(fb, "survey.txt", "Subject: s\n\n{{/x}}");
	mail = template_set_render(set, "survey", NULL, NULL, data, &err);
	g_assert_null(mail);
	g_assert_true(g_str_has_suffix(err, "/default/survey.txt:3:1: "
				       "closing tag '/x' without open "
				       "section"));
	g_free(err);

	template_set_free(set);
	template_set_free(NULL);
	template_mail_free(NULL);
	json_object_unref(data);
	remove_tree(top);
	g_free(top);
	g_free(dir);
	g_free(fb);
}

static void
test_set_headers(void)
{
	char *dir = make_tmpdir(), *err = NULL;
	struct template_set *set = template_set_new(dir, NULL);
	struct template_mail *mail;
	JsonObject *data = parse_object(
		"{\"s\":\"evil\\r\\nBcc: victim@example.org\",\"n\":42,"
		"\"x\":\"a\\u0001b\\tc\",\"empty\":\"\",\"h\":\"<i>&\"}");

	write_file(dir, "m.txt",
		   "Subject: [#{{n}}] {{s}}\r\n"
		   "X-Ticket: {{n}}\r\n"
		   "X-Long: one\r\n"
		   "  two {{x}}\r\n"
		   "\tthree\r\n"
		   "X-Empty: {{empty}}\r\n"
		   "Reply-To: {{#nothing}}x{{/nothing}}\r\n"
		   "\r\n"
		   "Body {{s}}\r\n");
	write_file(dir, "m.html", "<p>{{h}} {{{h}}}</p>\n");
	mail = template_set_render(set, "m", NULL, NULL, data, &err);
	g_assert_null(err);
	g_assert_nonnull(mail);
	g_assert_cmpstr(mail->subject, ==,
			"[#42] evil Bcc: victim@example.org");
	g_assert_cmpuint(mail->headers->len, ==, 2);
	g_assert_cmpstr(g_ptr_array_index(mail->headers, 0), ==,
			"X-Ticket: 42");
	g_assert_cmpstr(g_ptr_array_index(mail->headers, 1), ==,
			"X-Long: one two a b c three");
	g_assert_cmpstr(mail->text, ==,
			"Body evil\r\nBcc: victim@example.org\r\n");
	g_assert_cmpstr(mail->html, ==, "<p>&lt;i&gt;&amp; <i>&</p>\n");
	template_mail_free(mail);

	/* header errors carry the file position of the tag */
	write_file(dir, "e.txt", "Subject: ok\nX-A: fine\nX-B: x {{#y}}\n\n");
	mail = template_set_render(set, "e", NULL, NULL, data, &err);
	g_assert_null(mail);
	g_assert_true(g_str_has_suffix(err, "/e.txt:3:8: unclosed section "
				       "'y'"));
	g_free(err);

	/* a file with headers only has an empty body */
	write_file(dir, "h.txt", "Subject: only");
	mail = template_set_render(set, "h", NULL, NULL, data, &err);
	g_assert_null(err);
	g_assert_cmpstr(mail->subject, ==, "only");
	g_assert_cmpstr(mail->text, ==, "");
	template_mail_free(mail);

	template_set_free(set);
	json_object_unref(data);
	remove_tree(dir);
	g_free(dir);
}

static void
test_set_reload(void)
{
	char *dir = make_tmpdir(), *err = NULL, *path;
	struct template_set *set = template_set_new(dir, NULL);
	struct template_mail *mail;
	JsonObject *data = parse_object("{\"v\":1}");
	struct timespec ts[2] = { { 1000000, 0 }, { 1000000, 0 } };

	write_file(dir, "r.txt", "Subject: one\n\n{{> p}}");
	write_file(dir, "p.txt", "p1");
	mail = template_set_render(set, "r", NULL, NULL, data, &err);
	g_assert_cmpstr(mail->subject, ==, "one");
	g_assert_cmpstr(mail->text, ==, "p1");
	template_mail_free(mail);

	/* same size, new content; a different mtime makes it re-read */
	path = g_build_filename(dir, "r.txt", NULL);
	write_file(dir, "r.txt", "Subject: two\n\n{{> p}}");
	g_assert_cmpint(utimensat(AT_FDCWD, path, ts, 0), ==, 0);
	write_file(dir, "p.txt", "p2 longer");
	mail = template_set_render(set, "r", NULL, NULL, data, &err);
	g_assert_null(err);
	g_assert_cmpstr(mail->subject, ==, "two");
	g_assert_cmpstr(mail->text, ==, "p2 longer");
	template_mail_free(mail);

	/* an HTML part appearing later is picked up, and dropped again */
	write_file(dir, "r.html", "<b>{{v}}</b>");
	mail = template_set_render(set, "r", NULL, NULL, data, &err);
	g_assert_cmpstr(mail->html, ==, "<b>1</b>");
	template_mail_free(mail);
	g_assert_cmpint(g_unlink(path), ==, 0);
	g_free(path);
	path = g_build_filename(dir, "r.html", NULL);
	g_assert_cmpint(g_unlink(path), ==, 0);
	mail = template_set_render(set, "r", NULL, NULL, data, &err);
	g_assert_null(mail);
	g_assert_nonnull(strstr(err, "template not found"));
	g_free(err);

	g_free(path);
	template_set_free(set);
	json_object_unref(data);
	remove_tree(dir);
	g_free(dir);
}

static void
test_check_file(void)
{
	char *dir = make_tmpdir(), *path, *expect;
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	static const char *const want[] = {
		"/bad.txt:1:1: missing Subject: header",
		"/bad.txt:1:1: continuation line without a header",
		"/bad.txt:2:1: malformed header line (expected 'Name: value')",
		"/bad.txt:3:1: bad header name 'X Bad'",
		"/bad.txt:5:7: unclosed section 'a'",
		"/bad.txt:7:1: unclosed tag",
		"/bad.txt:8:7: section 'c' closed by '/d'",
		"/bad.txt:9:1: empty tag name",
		"/bad.txt:10:1: section 'c' closed by '/e'",
		"/bad.txt:8:1: unclosed section 'c'",
		"/bad.txt:11:1: unknown partial 'nosuch'",
	};

	write_file(dir, "bad.txt",
		   " leading continuation\n"
		   "no colon here\n"
		   "X Bad: y\n"
		   "  continued\n"
		   "X-Ok: {{#a}}\n"
		   "\n"
		   "{{oops\n"
		   "{{#c}}{{/d}}\n"
		   "{{}}\n"
		   "{{/e}}\n"
		   "{{> nosuch}}{{> sig}}\n");
	write_file(dir, "sig.txt", "-- \n{{name}}\n");
	write_file(dir, "good.txt", "Subject: x\n\n{{> sig}}\n");
	write_file(dir, "good.html", "<p>{{> sig}}</p>\n");
	write_file(dir, "sub/deeper/nested.txt", "Subject: n\n\n{{> sig}}\n");

	path = g_build_filename(dir, "bad.txt", NULL);
	g_assert_cmpint(template_check_file(path, errors), ==,
			G_N_ELEMENTS(want));
	g_free(path);
	for (guint i = 0; i < errors->len; i++)
		g_test_message("%s", (char *)g_ptr_array_index(errors, i));
	g_assert_cmpuint(errors->len, ==, G_N_ELEMENTS(want));
	for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
		char *full = g_strconcat(dir, want[i], NULL);

		g_assert_cmpstr(g_ptr_array_index(errors, i), ==, full);
		g_free(full);
	}
	g_ptr_array_set_size(errors, 0);

	path = g_build_filename(dir, "good.txt", NULL);
	g_assert_cmpint(template_check_file(path, errors), ==, 0);
	g_free(path);
	path = g_build_filename(dir, "sub/deeper/nested.txt", NULL);
	g_assert_cmpint(template_check_file(path, errors), ==, 0);
	g_free(path);
	/* an HTML body needs sig.html */
	path = g_build_filename(dir, "good.html", NULL);
	g_assert_cmpint(template_check_file(path, errors), ==, 1);
	expect = g_strdup_printf("%s:1:4: unknown partial 'sig'", path);
	g_assert_cmpstr(g_ptr_array_index(errors, 0), ==, expect);
	g_free(expect);
	g_free(path);
	g_ptr_array_set_size(errors, 0);
	/* a partial has no header block */
	path = g_build_filename(dir, "sig.txt", NULL);
	g_assert_cmpint(template_check_partial(path, errors), ==, 0);
	g_assert_cmpint(template_check_file(path, errors), ==, 3);
	g_free(path);
	g_ptr_array_set_size(errors, 0);
	path = g_build_filename(dir, "missing.txt", NULL);
	g_assert_cmpint(template_check_file(path, errors), ==, 1);
	g_free(path);

	g_ptr_array_free(errors, TRUE);
	remove_tree(dir);
	g_free(dir);
}

/* A small variable table for the checks: the real one is tested in
   test-ctl-template.c. */
static const struct template_var check_vars[] = {
	{ "ticket.id", TEMPLATE_VAR_VALUE, "number", NULL },
	{ "ticket.tag", TEMPLATE_VAR_VALUE, "tag", NULL },
	{ "customer.name", TEMPLATE_VAR_VALUE, "name", NULL },
	{ "history", TEMPLATE_VAR_LIST, "events", "agent_new" },
	{ "history.date", TEMPLATE_VAR_VALUE, "when", "agent_new" },
	{ "history.actor", TEMPLATE_VAR_VALUE, "who", "agent_new" },
};

/* One file to check: the exact errors expected, without "DIR/". */
struct check_case {
	const char *file;
	const char *text;
	gboolean partial;
	const char *want[4];	/* NULL-terminated */
};

static const struct check_case check_cases[] = {
	/* clean: list items, outer names and "." inside sections, objects
	   as sections, inverted sections */
	{ "ok.txt", "Subject: {{ticket.tag}}\n\n"
	  "{{#history}}\n  {{date}} {{actor}} {{ticket.id}} {{.}}\n"
	  "{{/history}}\n{{^history}}none{{/history}}\n"
	  "{{#customer.name}}{{.}}{{/customer.name}}\n"
	  "{{#ticket}}{{id}}{{/ticket}}{{#history}}{{#.}}{{date}}{{/.}}"
	  "{{/history}}\n", FALSE, { NULL } },
	/* unclosed section */
	{ "unclosed.txt", "Subject: x\n\nline\n  {{#history}}\n{{date}}\n",
	  FALSE, { "unclosed.txt:4:3: unclosed section 'history'" } },
	/* mismatched close */
	{ "mismatch.txt", "Subject: x\n\n{{#history}}{{/ticket}}\n", FALSE,
	  { "mismatch.txt:3:13: section 'history' closed by '/ticket'",
	    "mismatch.txt:3:1: unclosed section 'history'" } },
	{ "stray.txt", "Subject: x\n\nHi\n{{/history}}\n", FALSE,
	  { "stray.txt:4:1: closing tag '/history' without open section" } },
	/* unknown variables at the top level, in headers and the body */
	{ "top.txt", "Subject: {{ticket.tga}}\nReply-To: {{survey.address}}"
	  "\n\nHi {{custmer.name}}, {{ticket}}\n", FALSE,
	  { "top.txt:1:10: unknown variable 'ticket.tga'",
	    "top.txt:2:11: unknown variable 'survey.address'",
	    "top.txt:4:4: unknown variable 'custmer.name'",
	    "top.txt:4:22: unknown variable 'ticket'" } },
	/* unknown variable inside a list section */
	{ "inlist.txt", "Subject: x\n\n{{#history}}\n  {{date}} {{dat}}\n"
	  "{{/history}}\n", FALSE,
	  { "inlist.txt:4:12: unknown variable 'dat'" } },
	/* list items outside their list, also in an inverted section */
	{ "outside.txt", "Subject: x\n\n{{date}} {{history.date}}\n"
	  "{{^history}}{{actor}}{{/history}}\n", FALSE,
	  { "outside.txt:3:1: unknown variable 'date'",
	    "outside.txt:3:10: unknown variable 'history.date' (a list "
	    "item: use {{date}} inside {{#history}})",
	    "outside.txt:4:13: unknown variable 'actor'" } },
	/* an unknown section name, and its contents */
	{ "section.txt", "Subject: x\n\n{{#histroy}}{{date}}{{/histroy}}\n",
	  FALSE, { "section.txt:3:1: unknown variable 'histroy'",
		   "section.txt:3:13: unknown variable 'date'" } },
	{ "dot.txt", "Subject: x\n\n{{.}}\n", FALSE,
	  { "dot.txt:3:1: unknown variable '.'" } },
	/* missing Subject: */
	{ "nosubject.txt", "From: x\n\nbody {{ticket.id}}\n", FALSE,
	  { "nosubject.txt:1:1: missing Subject: header" } },
	{ "noheader.txt", "Hello {{ticket.id}}\n\nbody\n", FALSE,
	  { "noheader.txt:1:1: missing Subject: header",
	    "noheader.txt:1:1: malformed header line (expected 'Name: "
	    "value')" } },
	/* unknown partial */
	{ "partial.txt", "Subject: x\n\nHi\n  {{> nosuch}}\n{{> sig}}\n",
	  FALSE, { "partial.txt:4:3: unknown partial 'nosuch'" } },
	/* a partial may be included in a list section: items are fine */
	{ "sig.txt", "-- \n{{date}} {{ticket.id}} {{.}} {{bogus}}\n", TRUE,
	  { "sig.txt:2:30: unknown variable 'bogus'" } },
	/* HTML bodies */
	{ "page.html", "<p>{{#history}}<i>{{actor}}</i>{{/history}}"
	  "{{ticket.idd}}{{{customer.name}}}</p>\n", FALSE,
	  { "page.html:1:44: unknown variable 'ticket.idd'" } },
	{ "raw.html", "<p>{{& customer.nam}}{{{history.actor}}}</p>\n", FALSE,
	  { "raw.html:1:4: unknown variable 'customer.nam'",
	    "raw.html:1:22: unknown variable 'history.actor' (a list item: "
	    "use {{actor}} inside {{#history}})" } },
};

static void
test_check_vars(void)
{
	char *dir = make_tmpdir();
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);

	for (size_t i = 0; i < G_N_ELEMENTS(check_cases); i++)
		write_file(dir, check_cases[i].file, check_cases[i].text);
	for (size_t i = 0; i < G_N_ELEMENTS(check_cases); i++) {
		const struct check_case *c = &check_cases[i];
		char *path = g_build_filename(dir, c->file, NULL);
		guint want = 0;
		int n;

		while (want < G_N_ELEMENTS(c->want) && c->want[want] != NULL)
			want++;
		g_ptr_array_set_size(errors, 0);
		n = template_check_file_vars(path, c->partial, check_vars,
					     G_N_ELEMENTS(check_vars), errors);
		for (guint k = 0; k < errors->len; k++)
			g_test_message("%s", (char *)errors->pdata[k]);
		g_assert_cmpint(n, ==, (int)errors->len);
		g_assert_cmpuint(errors->len, ==, want);
		for (guint k = 0; k < want; k++) {
			char *full = g_strconcat(dir, "/", c->want[k], NULL);

			g_assert_cmpstr(errors->pdata[k], ==, full);
			g_free(full);
		}
		/* without a table: no variable errors, the rest the same */
		g_ptr_array_set_size(errors, 0);
		n = template_check_file_vars(path, c->partial, NULL, 0, errors);
		for (guint k = 0; k < errors->len; k++)
			g_assert_null(strstr(errors->pdata[k],
					     "unknown variable"));
		g_assert_cmpint(n, ==, c->partial ?
				template_check_partial(path, errors) :
				template_check_file(path, errors));
		g_free(path);
	}
	g_ptr_array_free(errors, TRUE);
	remove_tree(dir);
	g_free(dir);
}

/* An edited template is used at the next render of the same set: no
   restart.  A broken edit falls back to the shipped default (the error
   is still reported) and fixing it brings the edit back. */
static void
test_set_edit(void)
{
	char *dir = make_tmpdir(), *shipped = make_tmpdir(), *err = NULL;
	char *path = g_build_filename(dir, "support", "ack.txt", NULL);
	struct template_set *set = template_set_new(dir, shipped);
	struct template_mail *mail;
	JsonObject *data = parse_object(ticket_json);
	struct stat st;
	struct timespec ts[2];

	write_file(shipped, "ack.txt", "Subject: shipped\n\nshipped body\n");
	write_file(dir, "support/ack.txt", "Subject: v1 {{ticket.id}}\n\n"
		   "version one\n");
	mail = template_set_render(set, "ack", "support", NULL, data, &err);
	g_assert_null(err);
	g_assert_cmpstr(mail->subject, ==, "v1 42");
	g_assert_cmpstr(mail->text, ==, "version one\n");
	template_mail_free(mail);

	/* Rewrite in place (same inode, same size) with a new mtime. */
	g_assert_cmpint(stat(path, &st), ==, 0);
	write_file(dir, "support/ack.txt", "Subject: v2 {{ticket.id}}\n\n"
		   "version two\n");
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	ts[1].tv_sec += 10;
	g_assert_cmpint(utimensat(AT_FDCWD, path, ts, 0), ==, 0);
	mail = template_set_render(set, "ack", "support", NULL, data, &err);
	g_assert_null(err);
	g_assert_cmpstr(mail->subject, ==, "v2 42");
	g_assert_cmpstr(mail->text, ==, "version two\n");
	template_mail_free(mail);

	/* A broken edit: the shipped default goes out, the error is told. */
	write_file(dir, "support/ack.txt", "Subject: v3\n\n{{#open}}\n");
	mail = template_set_render(set, "ack", "support", NULL, data, &err);
	g_assert_nonnull(mail);
	g_assert_cmpstr(mail->subject, ==, "shipped");
	g_assert_nonnull(err);
	g_assert_true(g_str_has_prefix(err, path));
	g_assert_nonnull(strstr(err, ":3:1: unclosed section 'open'"));
	g_free(err);
	err = NULL;
	template_mail_free(mail);

	/* Fixed again: used at once. */
	write_file(dir, "support/ack.txt", "Subject: v4\n\nfixed\n");
	mail = template_set_render(set, "ack", "support", NULL, data, &err);
	g_assert_null(err);
	g_assert_cmpstr(mail->subject, ==, "v4");
	template_mail_free(mail);

	template_set_free(set);
	json_object_unref(data);
	remove_tree(dir);
	remove_tree(shipped);
	g_free(dir);
	g_free(shipped);
	g_free(path);
}

static char *
templates_dir(void)
{
	const char *src = g_getenv("TICKETD_SRCDIR");

	return g_build_filename(src != NULL ? src : ".", "templates", NULL);
}

static void
test_default_templates(void)
{
	char *dir = templates_dir(), *err = NULL;
	struct template_set *set = template_set_new(dir, NULL);
	struct template_mail *mail;
	JsonObject *data = parse_object(ticket_json);
	JsonObject *customer;
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	static const char *const files[] = {
		"ack.txt", "zh/ack.txt",
	};

	mail = template_set_render(set, "ack", "support", "en", data, &err);
	if (err != NULL)
		g_test_message("%s", err);
	g_assert_null(err);
	g_assert_cmpstr(mail->subject, ==, "[ACME #42] Printer on fire");
	g_assert_cmpuint(mail->headers->len, ==, 0);
	g_assert_null(mail->html);
	g_assert_cmpstr(mail->text, ==,
		"Hello Ann Smith,\n"
		"\n"
		"Thank you for writing to us.  We have received your message "
		"and\n"
		"opened ticket number 42 for it.  We will get back to you\n"
		"as soon as we can.\n"
		"\n"
		"To add anything, simply reply to this mail.  Please keep "
		"[ACME #42]\n"
		"in the subject line so that your reply is filed with the same "
		"ticket.\n"
		"\n"
		"-- \n"
		"ACME Support\n");
	template_mail_free(mail);

	customer = json_object_get_object_member(data, "customer");
	json_object_set_string_member(customer, "name", "");
	json_object_set_string_member(
		json_object_get_object_member(data, "mailbox"),
		"display_name", "");
	mail = template_set_render(set, "ack", NULL, "zh-CN", data, &err);
	g_assert_null(err);
	g_assert_cmpstr(mail->subject, ==, "[ACME #42] Printer on fire");
	g_assert_true(g_str_has_prefix(mail->text, "您好：\n\n"));
	g_assert_nonnull(strstr(mail->text, "工单编号为 42。\n"));
	g_assert_true(g_str_has_suffix(mail->text, "\n\n-- \nsupport\n"));
	template_mail_free(mail);

	mail = template_set_render(set, "ack", NULL, NULL, data, &err);
	g_assert_null(err);
	g_assert_true(g_str_has_prefix(mail->text, "Hello,\n\nThank you"));
	template_mail_free(mail);

	for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
		char *path = g_build_filename(dir, files[i], NULL);

		g_assert_cmpint(template_check_file(path, errors), ==, 0);
		g_free(path);
	}
	{
		char *path = g_build_filename(dir, "signature.txt", NULL);

		g_assert_cmpint(template_check_partial(path, errors), ==, 0);
		g_free(path);
	}
	g_ptr_array_free(errors, TRUE);
	template_set_free(set);
	json_object_unref(data);
	g_free(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/template/render-table", test_render_table);
	g_test_add_func("/template/render-null-data", test_render_null_data);
	g_test_add_func("/template/partials", test_partials);
	g_test_add_func("/template/limits", test_limits);
	g_test_add_func("/template/fuzz", test_fuzz);
	g_test_add_func("/template/set-lookup", test_set_lookup);
	g_test_add_func("/template/set-headers", test_set_headers);
	g_test_add_func("/template/set-reload", test_set_reload);
	g_test_add_func("/template/check-file", test_check_file);
	g_test_add_func("/template/check-vars", test_check_vars);
	g_test_add_func("/template/set-edit", test_set_edit);
	g_test_add_func("/template/default-templates",
			test_default_templates);
	return g_test_run();
}
