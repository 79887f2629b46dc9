/* Assemble the variables templates see. */
#include "autodefs.h"

#include "reply-text.h"
#include "template-data.h"
#include "threading.h"

char *
template_data_iso8601(gint64 when)
{
	GDateTime *dt;
	char *s;

	if (when <= 0)
		return g_strdup("");
	dt = g_date_time_new_from_unix_utc(when);
	if (dt == NULL)
		return g_strdup("");
	s = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ");
	g_date_time_unref(dt);
	return s;
}

static void
template_data_set_time(JsonObject *obj, const char *name, gint64 when)
{
	char *s = template_data_iso8601(when);

	json_object_set_string_member(obj, name, s);
	g_free(s);
}

static JsonArray *
template_data_attachments(const struct message *msg)
{
	JsonArray *list = json_array_new();

	for (guint i = 0; i < msg->attachments->len; i++) {
		const struct message_attachment *a = msg->attachments->pdata[i];
		JsonObject *o = json_object_new();

		json_object_set_string_member(o, "filename", a->filename);
		json_object_set_string_member(o, "content_type",
					      a->content_type);
		json_object_set_int_member(o, "size", (gint64)a->size);
		json_array_add_object_element(list, o);
	}
	return list;
}

JsonObject *
template_data_new(const struct config_mailbox *mb,
		  const struct store_ticket *t, const struct message *msg)
{
	JsonObject *root = json_object_new();
	JsonObject *ticket = json_object_new();
	JsonObject *customer = json_object_new();
	JsonObject *mailbox = json_object_new();
	char *tag = threading_format_tag(mb->tag, t->id);

	json_object_set_int_member(ticket, "id", t->id);
	json_object_set_string_member(ticket, "tag", tag);
	json_object_set_string_member(ticket, "subject",
				      t->subject != NULL ? t->subject : "");
	json_object_set_string_member(ticket, "status",
				      t->status != NULL ? t->status : "new");
	json_object_set_string_member(ticket, "priority",
				      t->priority != NULL ? t->priority :
				      "normal");
	json_object_set_string_member(ticket, "mailbox", mb->name);
	json_object_set_string_member(ticket, "assignee",
				      t->assignee != NULL ? t->assignee : "");
	json_object_set_string_member(ticket, "reply_address", mb->address);
	template_data_set_time(ticket, "created", t->created);
	g_free(tag);

	json_object_set_string_member(customer, "name",
				      t->requester_name != NULL ?
				      t->requester_name : "");
	json_object_set_string_member(customer, "email",
				      t->requester != NULL ? t->requester : "");

	json_object_set_string_member(mailbox, "name", mb->name);
	json_object_set_string_member(mailbox, "address", mb->address);
	json_object_set_string_member(mailbox, "display_name",
				      mb->display_name);

	if (msg != NULL) {
		JsonObject *m = json_object_new();

		json_object_set_string_member(m, "subject", msg->subject);
		json_object_set_string_member(m, "from", msg->from.addr);
		json_object_set_string_member(m, "from_name",
					      msg->from.name != NULL ?
					      msg->from.name : "");
		template_data_set_time(m, "date", msg->date);
		json_object_set_string_member(m, "body", msg->body);
		json_object_set_array_member(m, "attachments",
					     template_data_attachments(msg));
		json_object_set_object_member(root, "message", m);
	}
	json_object_set_object_member(root, "ticket", ticket);
	json_object_set_object_member(root, "customer", customer);
	json_object_set_object_member(root, "mailbox", mailbox);
	return root;
}

void
template_data_set_reply_address(JsonObject *data, const char *address)
{
	JsonObject *ticket = json_object_get_object_member(data, "ticket");

	json_object_set_string_member(ticket, "reply_address", address);
}

void
template_data_add_history(JsonObject *data, const GPtrArray *events)
{
	JsonArray *list = json_array_new();

	for (guint i = 0; i < events->len; i++) {
		const struct store_event *e = events->pdata[i];
		JsonObject *o = json_object_new();

		template_data_set_time(o, "date", e->created);
		json_object_set_string_member(o, "actor", e->actor);
		json_object_set_string_member(o, "what", e->what);
		json_object_set_string_member(o, "detail", e->detail);
		json_array_add_object_element(list, o);
	}
	json_object_set_array_member(data, "history", list);
}

void
template_data_add_reply(JsonObject *data, const char *agent_name,
			const char *agent_email, const char *text)
{
	JsonObject *reply = json_object_new(), *agent = json_object_new();

	json_object_set_string_member(reply, "text", text);
	json_object_set_string_member(agent, "name",
				      agent_name != NULL ? agent_name : "");
	json_object_set_string_member(agent, "email", agent_email);
	json_object_set_object_member(data, "reply", reply);
	json_object_set_object_member(data, "agent", agent);
}

void
template_data_add_errors(JsonObject *data, const GPtrArray *errors)
{
	JsonArray *list = json_array_new();

	for (guint i = 0; i < errors->len; i++) {
		const struct reply_command_error *e = errors->pdata[i];
		JsonObject *o = json_object_new();

		json_object_set_int_member(o, "line", e->line);
		json_object_set_string_member(o, "text", e->text);
		json_object_set_string_member(o, "reason", e->reason);
		json_array_add_object_element(list, o);
	}
	json_object_set_array_member(data, "errors", list);
}

void
template_data_add_tickets(JsonObject *data, const struct config_mailbox *mb,
			  const GPtrArray *tickets)
{
	JsonArray *list = json_array_new();

	for (guint i = 0; i < tickets->len; i++) {
		const struct store_ticket *t = tickets->pdata[i];
		JsonObject *o = json_object_new();
		char *tag = threading_format_tag(mb->tag, t->id);

		json_object_set_int_member(o, "id", t->id);
		json_object_set_string_member(o, "tag", tag);
		json_object_set_string_member(o, "subject", t->subject);
		json_object_set_string_member(o, "status", t->status);
		template_data_set_time(o, "updated", t->updated);
		json_array_add_object_element(list, o);
		g_free(tag);
	}
	json_object_set_array_member(data, "tickets", list);
}

void
template_data_add_escalation(JsonObject *data, const char *reason)
{
	JsonObject *o = json_object_new();

	json_object_set_string_member(o, "reason", reason);
	json_object_set_object_member(data, "escalation", o);
}
