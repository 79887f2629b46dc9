/* Threading: which ticket does a message belong to? */
#include "autodefs.h"

#include <stdlib.h>
#include <string.h>

#include "threading.h"

const char *
threading_reason_name(enum threading_reason reason)
{
	switch (reason) {
	case THREADING_IN_REPLY_TO:
		return "in-reply-to";
	case THREADING_REFERENCES:
		return "references";
	case THREADING_SUBJECT_TAG:
		return "subject-tag";
	case THREADING_REPLY_ADDRESS:
		return "reply-address";
	case THREADING_THREAD_INDEX:
		return "thread-index";
	case THREADING_NEW:
		break;
	}
	return "new";
}

/* The compiled tag pattern of tag (NULL: none), cached for the life of the
   process: a handful of tags, one per mailbox. */
static GRegex *
threading_tag_regex(const char *tag)
{
	static GMutex lock;
	static GHashTable *cache;
	GRegex *re;
	char *pattern, *escaped;

	g_mutex_lock(&lock);
	if (cache == NULL)
		cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					      (GDestroyNotify)g_regex_unref);
	re = g_hash_table_lookup(cache, tag != NULL ? tag : "");
	if (re == NULL) {
		/* The configured tag, or none: "[#123]" keeps working when a
		   tag is added later; a foreign tag ("[OTHER #5]") never
		   matches. */
		escaped = g_regex_escape_string(tag != NULL ? tag : "", -1);
		pattern = g_strdup_printf(
			"\\[\\s*(?:%s\\s*)?#\\s*([0-9]{1,15})\\s*\\]", escaped);
		re = g_regex_new(pattern, G_REGEX_CASELESS | G_REGEX_OPTIMIZE,
				 0, NULL);
		g_assert(re != NULL);
		g_hash_table_insert(cache, g_strdup(tag != NULL ? tag : ""), re);
		g_free(pattern);
		g_free(escaped);
	}
	g_regex_ref(re);
	g_mutex_unlock(&lock);
	return re;
}

gboolean
threading_parse_tag(const char *subject, const char *tag, gint64 *id_r)
{
	GRegex *re;
	GMatchInfo *info = NULL;
	gboolean found = FALSE;

	if (subject == NULL || !g_utf8_validate(subject, -1, NULL))
		return FALSE;
	re = threading_tag_regex(tag);
	if (g_regex_match(re, subject, 0, &info)) {
		char *digits = g_match_info_fetch(info, 1);
		gint64 id = g_ascii_strtoll(digits, NULL, 10);

		if (id > 0) {
			*id_r = id;
			found = TRUE;
		}
		g_free(digits);
	}
	g_match_info_free(info);
	g_regex_unref(re);
	return found;
}

char *
threading_format_tag(const char *tag, gint64 id)
{
	if (tag != NULL)
		return g_strdup_printf("[%s #%" G_GINT64_FORMAT "]", tag, id);
	return g_strdup_printf("[#%" G_GINT64_FORMAT "]", id);
}

char *
threading_tag_subject(const char *subject, const char *tag, gint64 id)
{
	gint64 found;
	char *t, *result;

	if (threading_parse_tag(subject, tag, &found) && found == id)
		return g_strdup(subject);
	t = threading_format_tag(tag, id);
	if (subject == NULL || *subject == '\0')
		result = g_strdup(t);
	else
		result = g_strdup_printf("%s %s", t, subject);
	g_free(t);
	return result;
}

/* Look up one referenced Message-ID; 1 found, 0 not, -1 error. */
static int
threading_lookup(struct store *store, const char *message_id,
		 gint64 *ticket_id_r, char **error_r)
{
	if (message_id == NULL || *message_id == '\0')
		return 0;
	return store_message_find(store, message_id, ticket_id_r, error_r);
}

int
threading_find(struct store *store, const struct message *msg,
	       const char *tag, gint64 *ticket_id_r,
	       enum threading_reason *reason_r, char **error_r)
{
	gint64 id;
	int rc;

	*ticket_id_r = 0;
	*reason_r = THREADING_NEW;

	rc = threading_lookup(store, msg->in_reply_to, &id, error_r);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		*ticket_id_r = id;
		*reason_r = THREADING_IN_REPLY_TO;
		return 0;
	}
	for (guint i = msg->references->len; i > 0; i--) {
		rc = threading_lookup(store, msg->references->pdata[i - 1], &id,
				      error_r);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			*ticket_id_r = id;
			*reason_r = THREADING_REFERENCES;
			return 0;
		}
	}
	if (threading_parse_tag(msg->subject, tag, &id)) {
		rc = store_ticket_exists(store, id, NULL, error_r);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			*ticket_id_r = id;
			*reason_r = THREADING_SUBJECT_TAG;
		}
	}
	return 0;
}
