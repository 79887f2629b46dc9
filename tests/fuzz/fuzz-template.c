/* libFuzzer target: template_render_string() of arbitrary template text
   with fixed JSON data, as text and as HTML.  Built and run by
   tests/fuzz/run-fuzz. */
#include "autodefs.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <json-glib/json-glib.h>

#include "log.h"
#include "template.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static JsonObject *data_obj;
static char *partial_dir;

static const char data_json[] =
	"{\"ticket\": {\"id\": 42, \"tag\": \"[ACME #42]\", "
	"\"subject\": \"Printer {{on}} fire\\r\\nBcc: x@evil\", "
	"\"status\": \"new\", \"priority\": \"normal\", \"ratio\": 2.5, "
	"\"closed\": null, \"escalated\": false},"
	" \"customer\": {\"name\": \"Ann <b>&amp;</b>\", "
	"\"email\": \"ann@example.net\"},"
	" \"message\": {\"body\": \"line 1\\nline 2 {{ticket.id}}\", "
	"\"attachments\": [{\"filename\": \"a.pdf\", \"size\": 12}, "
	"{\"filename\": \"b.png\", \"size\": 0}]},"
	" \"history\": [], \"tickets\": [{\"id\": 1, \"tags\": [[1, [2]]]}],"
	" \"errors\": [{\"line\": 1, \"text\": \"#stauts\", "
	"\"reason\": \"unknown\"}], \"list\": [1, 2, 3], \"t\": true}";

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	JsonParser *parser;
	char *path;

	log_init("fuzz-template", FALSE);
	log_set_level(LOG_LEVEL_ERROR);
	parser = json_parser_new();
	if (!json_parser_load_from_data(parser, data_json, -1, NULL))
		abort();
	data_obj = json_object_ref(json_node_get_object(
		json_parser_get_root(parser)));
	g_object_unref(parser);

	/* Partials: one plain, one that includes itself (recursion limit). */
	partial_dir = g_dir_make_tmp("fuzz-template-XXXXXX", NULL);
	if (partial_dir == NULL)
		abort();
	path = g_build_filename(partial_dir, "signature.txt", NULL);
	g_file_set_contents(path, "-- \n{{customer.name}}\n", -1, NULL);
	g_free(path);
	path = g_build_filename(partial_dir, "loop.txt", NULL);
	g_file_set_contents(path, "x{{> loop}}", -1, NULL);
	g_free(path);
	path = g_build_filename(partial_dir, "loop.html", NULL);
	g_file_set_contents(path, "<p>{{> loop}}</p>", -1, NULL);
	g_free(path);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *out, *error = NULL;
	gboolean html;

	if (size == 0)
		return 0;
	html = data[0] & 1;
	text = g_strndup((const char *)data + 1, size - 1);
	out = template_render_string(text, "fuzz.txt", data_obj, html,
				     partial_dir, &error);
	if (out == NULL && error == NULL)
		__builtin_trap();
	g_free(out);
	g_free(error);
	g_free(text);
	return 0;
}
