#ifndef TICKETD_CTL_COMMON_H
#define TICKETD_CTL_COMMON_H

#include <stdio.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "config.h"
#include "store.h"

/*
 * What the ticketctl commands share (ctl-common.c): the command context,
 * option parsing, JSON and CSV output, dates and durations.
 */

/* Exit statuses of ticketctl. */
#define CTL_EXIT_OK		0
#define CTL_EXIT_FAIL		1	/* store error, problems found */
#define CTL_EXIT_NOTFOUND	2	/* no such ticket, mail or campaign */
#define CTL_EXIT_USAGE		64
#define CTL_EXIT_CONFIG		78	/* as CONFIG_EXIT */

/* One command's context.  Everything owned; freed by main(). */
struct ctl {
	char *config_path;	/* -c FILE, NULL: the default */
	struct config *config;	/* NULL until ctl_open() */
	struct store *store;	/* NULL until ctl_open() */
	gboolean json;		/* --json */
	gboolean csv;		/* --csv */
};

/* GOptionEntry lines most subcommands share. */
#define CTL_OPTION_CONFIG(ctl) \
	{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &(ctl)->config_path, \
	  "Configuration file", "FILE" }
#define CTL_OPTION_JSON(ctl) \
	{ "json", 'j', 0, G_OPTION_ARG_NONE, &(ctl)->json, "Print JSON", NULL }
#define CTL_OPTION_CSV(ctl) \
	{ "csv", 0, 0, G_OPTION_ARG_NONE, &(ctl)->csv, "Print CSV", NULL }

/* Load the configuration and open (and migrate) the database; exits with
   CTL_EXIT_CONFIG or CTL_EXIT_FAIL on failure. */
void ctl_open(struct ctl *ctl);

/* Parse a subcommand's options with GOptionContext: usage is the
   parameter string shown after "ticketctl", description (may be NULL)
   the text after the options in --help.  --help prints and exits 0; a bad
   option prints the error and exits CTL_EXIT_USAGE. */
void ctl_parse(const char *usage, const char *description,
	       GOptionEntry *entries, int *argc, char ***argv);

/* Print node as pretty JSON and a newline; the caller keeps node. */
void ctl_print_json(JsonNode *node);

/* Print the builder's root as JSON and free the builder. */
void ctl_print_builder(JsonBuilder *b);

/* Add member name: the ISO-8601 UTC time when (0: ""). */
void ctl_json_time(JsonBuilder *b, const char *name, gint64 when);

/* Add member name: value, "" for NULL. */
void ctl_json_string(JsonBuilder *b, const char *name, const char *value);

/* Print one CSV record (RFC 4180: fields with a comma, quote or line
   break are quoted, quotes doubled; CRLF ends the record) of n fields;
   NULL prints an empty field. */
void ctl_csv_row(FILE *out, const char *const *fields, int n);

/* Seconds since the epoch of "YYYY-MM-DD" (UTC midnight) or an ISO-8601
   time; 0 for NULL, -1 when bad. */
gint64 ctl_parse_date(const char *text);

/* Seconds in an age such as "90s", "30m", "12h", "3d" or "2w" (a bare
   number is days); -1 when bad. */
gint64 ctl_parse_age(const char *text);

/* A duration for people, e.g. "45s", "12m", "3h 05m", "2d 04h"; new
   string.  Negative durations are shown as "-". */
char *ctl_human_duration(gint64 seconds);

/* "YYYY-MM-DD" of the UTC day holding when; new string. */
char *ctl_day(gint64 when);

#endif
