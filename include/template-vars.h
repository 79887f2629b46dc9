#ifndef TICKETD_TEMPLATE_VARS_H
#define TICKETD_TEMPLATE_VARS_H

#include <stddef.h>

#include "template.h"

/*
 * Every variable template-data.c gives templates, with its meaning and the
 * templates it is set for: what `ticketctl template check` accepts, what
 * `ticketctl template vars` prints and ticketd-templates(5) lists.  Keep it
 * in step with template-data.c.
 */

/* The table, template_vars_count entries (static storage). */
extern const struct template_var template_vars[];
extern const size_t template_vars_count;

/* Return the entry called name ("ticket.id", "history.date"), or NULL. */
const struct template_var *template_vars_find(const char *name);

#endif
