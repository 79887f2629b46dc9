/* Ticket lifecycle: status moves, assignment, priority, escalation,
   merging, SLA timers and autoclose. */
#include "autodefs.h"

#include <string.h>

#include "log.h"
#include "mailer.h"
#include "rules.h"
#include "template-data.h"
#include "threading.h"
#include "workflow.h"

static const char *const workflow_statuses[] = {
	"new", "open", "pending", "resolved", "closed", NULL
};
static const char *const workflow_priorities[] = {
	"low", "normal", "high", "urgent", NULL
};

gboolean
workflow_status_valid(const char *status)
{
	return status != NULL && g_strv_contains(workflow_statuses, status);
}

gboolean
workflow_priority_valid(const char *priority)
{
	return priority != NULL &&
	       g_strv_contains(workflow_priorities, priority);
}

static gint64
workflow_now(void)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

/* Write t and record an event. */
static int
workflow_save(struct ingest *ingest, struct store_ticket *t,
	      const char *actor, const char *what, const char *detail,
	      gint64 row, char **error_r)
{
	t->updated = workflow_now();
	if (store_ticket_update(ingest->store, t, error_r) < 0)
		return -1;
	return store_event_add(ingest->store, t->id, actor, what, detail, row,
			       error_r);
}

int
workflow_set_status(struct ingest *ingest, struct store_ticket *t,
		    const char *status, const char *what, const char *actor,
		    gint64 row, char **error_r)
{
	gboolean was_done;
	char *detail;
	int rc;

	if (strcmp(t->status, status) == 0)
		return 0;
	detail = g_strdup_printf("%s -> %s", t->status, status);
	was_done = strcmp(t->status, "resolved") == 0 ||
		   strcmp(t->status, "closed") == 0;
	g_free(t->status);
	t->status = g_strdup(status);
	if (strcmp(status, "resolved") == 0) {
		t->resolved = workflow_now();
		t->closed = 0;
	} else if (strcmp(status, "closed") == 0) {
		t->closed = workflow_now();
		if (t->resolved == 0)
			t->resolved = t->closed;
	} else {
		t->resolved = 0;
		t->closed = 0;
	}
	rc = workflow_save(ingest, t, actor, what, detail, row, error_r);
	if (rc == 0)
		log_info("ticket %" G_GINT64_FORMAT ": %s by %s: %s", t->id,
			 what, actor, detail);
	/* Resolved (not merely closed after resolving): survey, campaigns */
	if (rc == 0 && !was_done && strcmp(status, "resolved") == 0 &&
	    t->merged_into == 0)
		rc = rules_on_resolved(ingest, t, error_r);
	g_free(detail);
	return rc;
}

int
workflow_assign(struct ingest *ingest, struct store_ticket *t,
		const char *who, const char *actor, gint64 row,
		char **error_r)
{
	g_free(t->assignee);
	t->assignee = g_ascii_strdown(who, -1);
	return workflow_save(ingest, t, actor, "assigned", t->assignee, row,
			     error_r);
}

int
workflow_set_priority(struct ingest *ingest, struct store_ticket *t,
		      const char *priority, const char *actor, gint64 row,
		      char **error_r)
{
	char *detail;
	int rc;

	if (strcmp(t->priority, priority) == 0)
		return 0;
	detail = g_strdup_printf("%s -> %s", t->priority, priority);
	g_free(t->priority);
	t->priority = g_strdup(priority);
	rc = workflow_save(ingest, t, actor, "priority", detail, row, error_r);
	g_free(detail);
	return rc;
}

/* The next priority up (urgent stays urgent). */
static const char *
workflow_raise(const char *priority)
{
	for (int i = 0; workflow_priorities[i + 1] != NULL; i++)
		if (strcmp(priority, workflow_priorities[i]) == 0)
			return workflow_priorities[i + 1];
	return "urgent";
}

/* Addresses of a group of agents as message addresses (borrowed
   strings). */
static GPtrArray *
workflow_group(const GPtrArray *agents)
{
	GPtrArray *list = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < agents->len; i++) {
		const struct config_agent *a = agents->pdata[i];
		struct message_address *m = g_new0(struct message_address, 1);

		m->name = a->name;
		m->addr = a->addr;
		g_ptr_array_add(list, m);
	}
	return list;
}

int
workflow_escalate(struct ingest *ingest, const struct config_mailbox *mb,
		  struct store_ticket *t, const char *what, const char *reason,
		  const char *actor, gint64 row, char **error_r)
{
	GPtrArray *group = workflow_group(mb->tier2->len > 0 ? mb->tier2 :
					  mb->agents);
	struct mailer_mail m = { 0 };
	char *fallback;
	int rc = 0;

	t->escalated = TRUE;
	if (workflow_save(ingest, t, actor, what, reason, row, error_r) < 0 ||
	    workflow_set_priority(ingest, t, workflow_raise(t->priority),
				  actor, row, error_r) < 0) {
		g_ptr_array_unref(group);
		return -1;
	}
	log_warnx("ticket %" G_GINT64_FORMAT ": escalated: %s", t->id, reason);
	if (group->len == 0) {
		g_ptr_array_unref(group);
		return 0;
	}
	fallback = g_strdup_printf("Ticket %" G_GINT64_FORMAT " (%s) was "
				   "escalated: %s\n", t->id, t->subject,
				   reason);
	m.template = "agent_escalation";
	m.data = template_data_new(mb, t, NULL);
	template_data_add_escalation(m.data, reason);
	m.fallback_text = fallback;
	m.ticket = t;
	m.to = group->pdata[0];
	m.to_more = group;
	m.auto_submitted = "auto-generated";
	m.kind = "auto";
	m.event = "escalation sent";
	m.for_agents = TRUE;
	rc = mailer_queue(ingest, mb, &m, NULL, error_r);
	json_object_unref(m.data);
	g_free(fallback);
	g_ptr_array_unref(group);
	return rc;
}

int
workflow_merge(struct ingest *ingest, struct store_ticket *t, gint64 into,
	       const char *actor, gint64 row, char **error_r)
{
	char *detail = g_strdup_printf("into %" G_GINT64_FORMAT, into);
	int rc;

	rc = store_ticket_move_messages(ingest->store, t->id, into, error_r);
	t->merged_into = into;
	if (rc == 0)
		rc = workflow_set_status(ingest, t, "closed", "merged", actor,
					 0, error_r);
	if (rc == 0)
		rc = store_event_add(ingest->store, t->id, actor, "merged",
				     detail, 0, error_r);
	g_free(detail);
	if (rc == 0) {
		detail = g_strdup_printf("from %" G_GINT64_FORMAT, t->id);
		rc = store_event_add(ingest->store, into, actor, "merged",
				     detail, row, error_r);
		g_free(detail);
	}
	return rc;
}

const char *
workflow_find_agent(const struct config_mailbox *mb, const char *who)
{
	const GPtrArray *lists[] = { mb->agents, mb->tier2 };

	for (size_t l = 0; l < G_N_ELEMENTS(lists); l++) {
		for (guint i = 0; i < lists[l]->len; i++) {
			const struct config_agent *a = lists[l]->pdata[i];
			const char *at = strchr(a->addr, '@');

			if (g_ascii_strcasecmp(a->addr, who) == 0 ||
			    (at != NULL && strchr(who, '@') == NULL &&
			     strlen(who) == (gsize)(at - a->addr) &&
			     g_ascii_strncasecmp(a->addr, who,
						 (gsize)(at - a->addr)) == 0))
				return a->addr;
		}
	}
	return NULL;
}

/* SLA timers and autoclose of one mailbox. */
static int
workflow_tick_mailbox(struct ingest *ingest, const struct config_mailbox *mb,
		      gint64 now, char **error_r)
{
	gint64 first_before = 0, resolution_before = 0;
	GPtrArray *due;
	int rc = 0;

	if (mb->first_response_minutes > 0)
		first_before = now - (gint64)mb->first_response_minutes * 60;
	if (mb->resolution_hours > 0)
		resolution_before = now - (gint64)mb->resolution_hours * 3600;
	if (first_before > 0 || resolution_before > 0) {
		if (store_ticket_sla_due(ingest->store, mb->name, first_before,
					 resolution_before, &due,
					 error_r) < 0)
			return -1;
		for (guint i = 0; i < due->len && rc == 0; i++) {
			struct store_ticket *t = due->pdata[i];
			char *reason;

			if (first_before > 0 && t->first_response == 0 &&
			    !t->sla_first_fired && t->created <= first_before) {
				t->sla_first_fired = TRUE;
				reason = g_strdup_printf(
					"no agent reply within %d minutes",
					mb->first_response_minutes);
				rc = workflow_escalate(ingest, mb, t,
						       "sla-first-response",
						       reason, "ticketd", 0,
						       error_r);
				g_free(reason);
			}
			if (rc == 0 && resolution_before > 0 &&
			    t->resolved == 0 && !t->sla_resolution_fired &&
			    t->created <= resolution_before) {
				t->sla_resolution_fired = TRUE;
				reason = g_strdup_printf(
					"not resolved within %d hours",
					mb->resolution_hours);
				rc = workflow_escalate(ingest, mb, t,
						       "sla-resolution", reason,
						       "ticketd", 0, error_r);
				g_free(reason);
			}
		}
		g_ptr_array_unref(due);
	}
	if (rc == 0 && mb->autoclose_days > 0) {
		if (store_ticket_autoclose_due(ingest->store, mb->name,
					       now - (gint64)mb->autoclose_days *
					       86400, &due, error_r) < 0)
			return -1;
		for (guint i = 0; i < due->len && rc == 0; i++)
			rc = workflow_set_status(ingest, due->pdata[i],
						 "closed", "autoclosed",
						 "ticketd", 0, error_r);
		g_ptr_array_unref(due);
	}
	return rc;
}

int
workflow_tick(struct ingest *ingest, gint64 now)
{
	int result = 0;

	for (guint i = 0; i < ingest->config->mailboxes->len; i++) {
		const struct config_mailbox *mb =
			ingest->config->mailboxes->pdata[i];
		char *error = NULL;

		if (mb->first_response_minutes == 0 &&
		    mb->resolution_hours == 0 && mb->autoclose_days == 0)
			continue;
		if (store_begin(ingest->store, &error) < 0 ||
		    workflow_tick_mailbox(ingest, mb, now, &error) < 0 ||
		    store_commit(ingest->store, &error) < 0) {
			store_rollback(ingest->store);
			log_error("mailbox %s: timers: %s", mb->name, error);
			g_free(error);
			result = -1;
		}
	}
	return result;
}
