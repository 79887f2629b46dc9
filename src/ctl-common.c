/* What the ticketctl commands share: context, options, output, dates. */
#include "autodefs.h"

#include <stdlib.h>
#include <string.h>

#include "ctl-common.h"
#include "log.h"
#include "template-data.h"

void
ctl_open(struct ctl *ctl)
{
	char *error = NULL;

	ctl->config = config_load(ctl->config_path != NULL ? ctl->config_path :
				  TICKETD_SYSCONFDIR "/ticketd.conf", &error);
	if (ctl->config == NULL)
		fatalx(CTL_EXIT_CONFIG, "%s", error);
	ctl->store = store_open(ctl->config->db_path, &error);
	if (ctl->store == NULL)
		fatalx(CTL_EXIT_FAIL, "%s", error);
}

void
ctl_parse(const char *usage, const char *description, GOptionEntry *entries,
	  int *argc, char ***argv)
{
	GOptionContext *ctx = g_option_context_new(usage);
	GError *err = NULL;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (description != NULL)
		g_option_context_set_description(ctx, description);
	if (!g_option_context_parse(ctx, argc, argv, &err)) {
		fprintf(stderr, "ticketctl: %s\n", err->message);
		g_error_free(err);
		g_option_context_free(ctx);
		exit(CTL_EXIT_USAGE);
	}
	g_option_context_free(ctx);
}

void
ctl_print_json(JsonNode *node)
{
	JsonGenerator *gen = json_generator_new();
	char *text;

	json_generator_set_pretty(gen, TRUE);
	json_generator_set_root(gen, node);
	text = json_generator_to_data(gen, NULL);
	/* json-glib 1.6 leaves some control characters raw inside strings;
	   pretty output uses only newlines and spaces between tokens, so any
	   other control character is inside a string: escape it. */
	for (const char *p = text; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;

		if ((ch < 0x20 && ch != '\n') || ch == 0x7f)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('\n');
	g_free(text);
	g_object_unref(gen);
}

void
ctl_print_builder(JsonBuilder *b)
{
	JsonNode *root = json_builder_get_root(b);

	ctl_print_json(root);
	json_node_unref(root);
	g_object_unref(b);
}

void
ctl_json_time(JsonBuilder *b, const char *name, gint64 when)
{
	char *s = template_data_iso8601(when);

	json_builder_set_member_name(b, name);
	json_builder_add_string_value(b, s);
	g_free(s);
}

void
ctl_json_string(JsonBuilder *b, const char *name, const char *value)
{
	json_builder_set_member_name(b, name);
	json_builder_add_string_value(b, value != NULL ? value : "");
}

void
ctl_csv_row(FILE *out, const char *const *fields, int n)
{
	for (int i = 0; i < n; i++) {
		const char *f = fields[i] != NULL ? fields[i] : "";

		if (i > 0)
			fputc(',', out);
		if (strpbrk(f, ",\"\r\n") == NULL) {
			fputs(f, out);
			continue;
		}
		fputc('"', out);
		for (const char *p = f; *p != '\0'; p++) {
			if (*p == '"')
				fputc('"', out);
			fputc(*p, out);
		}
		fputc('"', out);
	}
	fputs("\r\n", out);
}

gint64
ctl_parse_date(const char *text)
{
	GTimeZone *utc;
	GDateTime *dt;
	gint64 t;
	char *iso;

	if (text == NULL)
		return 0;
	iso = strlen(text) == 10 ? g_strdup_printf("%sT00:00:00Z", text) :
		g_strdup(text);
	utc = g_time_zone_new_utc();
	dt = g_date_time_new_from_iso8601(iso, utc);
	g_time_zone_unref(utc);
	g_free(iso);
	if (dt == NULL)
		return -1;
	t = g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	return t;
}

gint64
ctl_parse_age(const char *text)
{
	char *end;
	gint64 n;

	if (text == NULL || !g_ascii_isdigit(*text))
		return -1;
	n = g_ascii_strtoll(text, &end, 10);
	if (n < 0 || n > 100000)
		return -1;
	if (strcmp(end, "") == 0 || strcmp(end, "d") == 0)
		return n * 86400;
	if (strcmp(end, "s") == 0)
		return n;
	if (strcmp(end, "m") == 0)
		return n * 60;
	if (strcmp(end, "h") == 0)
		return n * 3600;
	if (strcmp(end, "w") == 0)
		return n * 7 * 86400;
	return -1;
}

char *
ctl_human_duration(gint64 s)
{
	if (s < 0)
		return g_strdup("-");
	if (s < 60)
		return g_strdup_printf("%" G_GINT64_FORMAT "s", s);
	if (s < 3600)
		return g_strdup_printf("%" G_GINT64_FORMAT "m %02"
				       G_GINT64_FORMAT "s", s / 60, s % 60);
	if (s < 86400)
		return g_strdup_printf("%" G_GINT64_FORMAT "h %02"
				       G_GINT64_FORMAT "m", s / 3600,
				       s % 3600 / 60);
	return g_strdup_printf("%" G_GINT64_FORMAT "d %02" G_GINT64_FORMAT "h",
			       s / 86400, s % 86400 / 3600);
}

char *
ctl_day(gint64 when)
{
	GDateTime *dt = g_date_time_new_from_unix_utc(when);
	char *s = g_date_time_format(dt, "%Y-%m-%d");

	g_date_time_unref(dt);
	return s;
}
