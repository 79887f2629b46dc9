#ifndef TICKETD_CTL_TEMPLATE_H
#define TICKETD_CTL_TEMPLATE_H

#include "config.h"
#include "store.h"

/*
 * ticketctl template: check, preview and describe reply templates.
 *
 *   ticketctl template check [DIR]
 *   ticketctl template preview NAME --ticket ID [--mailbox M] [--lang L]
 *                              [--dir DIR]
 *   ticketctl template vars [--json]
 */

/* Exit statuses, as the rest of ticketctl. */
#define CTL_TEMPLATE_EXIT_OK		0
#define CTL_TEMPLATE_EXIT_FAIL		1	/* errors found, store error */
#define CTL_TEMPLATE_EXIT_NOTFOUND	2	/* no such ticket */
#define CTL_TEMPLATE_EXIT_USAGE		64

/* Run "template" with argv[0] "template" and argv[1] the subcommand.
   config and store (both borrowed) may be NULL: "vars" and "check DIR"
   need neither, "check" without DIR needs config, "preview" both.  Prints
   to stdout (results) and stderr (problems) and returns the exit status:
   check: 0 when every file is clean, 1 when any error was reported. */
int ctl_template_main(const struct config *config, struct store *store,
		      int argc, char **argv);

/* Check every *.txt and *.html under dir (recursively, also mailbox and
   language subdirectories) with the variables of template-vars.h.  A file
   is checked as a partial (no header block) when some template includes
   it with {{> name}} or its name starts with "signature".  Appends one
   "file:line:col: message" (char *, owned by the array) per error to
   errors; *files_r (may be NULL) is the number of files checked.  Returns
   the number of errors added, or -1 with *error_r set (new string) when
   dir cannot be read. */
int ctl_template_check_dir(const char *dir, GPtrArray *errors,
			   guint *files_r, char **error_r);

#endif
