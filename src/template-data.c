/* Assemble the variables templates see. */
#include "autodefs.h"

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
		json_object_set_object_member(root, "message", m);
	}
	json_object_set_object_member(root, "ticket", ticket);
	json_object_set_object_member(root, "customer", customer);
	json_object_set_object_member(root, "mailbox", mailbox);
	return root;
}
