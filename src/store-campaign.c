/* Surveys, opt-outs and campaign mails in the SQLite store. */
#include "autodefs.h"

#include <string.h>

#include "store-campaign.h"
#include "store-private.h"

/* Step a statement expected to give at most one row: 1 row, 0 none. */
static int
store_campaign_exists(struct store *store, sqlite3_stmt *stmt,
		      const char *what, char **error_r)
{
	int rc = sqlite3_step(stmt);

	sqlite3_reset(stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return store_error(store, what, error_r);
}

int
store_survey_schedule(struct store *store, gint64 ticket_id,
		      const char *address, gint64 due, char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_SURVEY_SCHEDULE,
		"INSERT INTO surveys (ticket_id, address, due, created) "
		"VALUES (?1, lower(?2), ?3, ?4)", error_r);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, ticket_id);
	store_bind_text(stmt, 2, address);
	sqlite3_bind_int64(stmt, 3, due);
	sqlite3_bind_int64(stmt, 4, g_get_real_time() / G_USEC_PER_SEC);
	return store_step(store, stmt, "schedule survey", error_r);
}

int
store_survey_scheduled(struct store *store, gint64 ticket_id, char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_SURVEY_SCHEDULED,
		"SELECT 1 FROM surveys WHERE ticket_id = ?1 "
		"AND status = 'scheduled'", error_r);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, ticket_id);
	return store_campaign_exists(store, stmt, "read surveys", error_r);
}

int
store_survey_sent_since(struct store *store, const char *address,
			gint64 since, char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_SURVEY_SENT_SINCE,
		"SELECT 1 FROM surveys WHERE address = lower(?1) "
		"AND status = 'sent' AND sent >= ?2", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, address);
	sqlite3_bind_int64(stmt, 2, since);
	return store_campaign_exists(store, stmt, "read surveys", error_r);
}

#define STORE_SURVEY_COLUMNS \
	"id, ticket_id, address, due, status, sent, rating, comment, rated"

static struct store_survey *
store_survey_from_row(sqlite3_stmt *stmt)
{
	struct store_survey *s = g_new0(struct store_survey, 1);

	s->id = sqlite3_column_int64(stmt, 0);
	s->ticket_id = sqlite3_column_int64(stmt, 1);
	s->address = store_column_text(stmt, 2);
	s->due = sqlite3_column_int64(stmt, 3);
	s->status = store_column_text(stmt, 4);
	s->sent = sqlite3_column_int64(stmt, 5);
	s->rating = sqlite3_column_int(stmt, 6);
	s->comment = store_column_text(stmt, 7);
	s->rated = sqlite3_column_int64(stmt, 8);
	return s;
}

void
store_survey_free(struct store_survey *s)
{
	if (s == NULL)
		return;
	g_free(s->address);
	g_free(s->status);
	g_free(s->comment);
	g_free(s);
}

int
store_survey_due(struct store *store, gint64 now, GPtrArray **surveys_r,
		 char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_SURVEY_DUE,
		"SELECT " STORE_SURVEY_COLUMNS " FROM surveys "
		"WHERE status = 'scheduled' AND due <= ?1 ORDER BY due, id "
		"LIMIT 500", error_r);
	GPtrArray *list;
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, now);
	list = g_ptr_array_new_with_free_func(
		(GDestroyNotify)store_survey_free);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_ptr_array_add(list, store_survey_from_row(stmt));
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		g_ptr_array_unref(list);
		return store_error(store, "read surveys", error_r);
	}
	*surveys_r = list;
	return 0;
}

int
store_survey_mark(struct store *store, gint64 id, const char *status,
		  gint64 sent, char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_SURVEY_MARK,
		"UPDATE surveys SET status = ?2, sent = ?3 WHERE id = ?1",
		error_r);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	store_bind_text(stmt, 2, status);
	if (sent > 0)
		sqlite3_bind_int64(stmt, 3, sent);
	else
		sqlite3_bind_null(stmt, 3);
	return store_step(store, stmt, "update survey", error_r);
}

int
store_survey_of_ticket(struct store *store, gint64 ticket_id,
		       struct store_survey **survey_r, char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_SURVEY_OF_TICKET,
		"SELECT " STORE_SURVEY_COLUMNS " FROM surveys "
		"WHERE ticket_id = ?1 AND status = 'sent' "
		"ORDER BY sent DESC, id DESC LIMIT 1", error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, ticket_id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*survey_r = store_survey_from_row(stmt);
		sqlite3_reset(stmt);
		return 1;
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		return store_error(store, "read survey", error_r);
	return 0;
}

int
store_survey_rate(struct store *store, gint64 id, int rating,
		  const char *comment, gint64 now, char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_SURVEY_RATE,
		"UPDATE surveys SET rating = ?2, comment = ?3, rated = ?4 "
		"WHERE id = ?1", error_r);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int(stmt, 2, rating);
	store_bind_text(stmt, 3, comment != NULL && *comment != '\0' ?
			comment : NULL);
	sqlite3_bind_int64(stmt, 4, now);
	return store_step(store, stmt, "record rating", error_r);
}

int
store_optout_add(struct store *store, const char *address, const char *what,
		 gint64 message_row, char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_OPTOUT_ADD,
		"INSERT OR IGNORE INTO optouts (address, what, created, "
		"message_row) VALUES (lower(?1), ?2, ?3, ?4)", error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, address);
	store_bind_text(stmt, 2, what);
	sqlite3_bind_int64(stmt, 3, g_get_real_time() / G_USEC_PER_SEC);
	if (message_row > 0)
		sqlite3_bind_int64(stmt, 4, message_row);
	else
		sqlite3_bind_null(stmt, 4);
	return store_step(store, stmt, "record opt-out", error_r);
}

int
store_optout_has(struct store *store, const char *address, const char *what,
		 char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_OPTOUT_HAS,
		"SELECT 1 FROM optouts WHERE address = lower(?1) AND what = ?2",
		error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, address);
	store_bind_text(stmt, 2, what);
	return store_campaign_exists(store, stmt, "read opt-outs", error_r);
}

int
store_campaign_schedule(struct store *store, const char *campaign,
			const char *address, gint64 ticket_id, gint64 due,
			char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_CAMPAIGN_SCHEDULE,
		"INSERT OR IGNORE INTO campaign_mails (campaign, address, "
		"ticket_id, due, created) VALUES (?1, lower(?2), ?3, ?4, ?5)",
		error_r);

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, campaign);
	store_bind_text(stmt, 2, address);
	sqlite3_bind_int64(stmt, 3, ticket_id);
	sqlite3_bind_int64(stmt, 4, due);
	sqlite3_bind_int64(stmt, 5, g_get_real_time() / G_USEC_PER_SEC);
	return store_step(store, stmt, "schedule campaign mail",
				   error_r);
}

void
store_campaign_mail_free(struct store_campaign_mail *m)
{
	if (m == NULL)
		return;
	g_free(m->campaign);
	g_free(m->address);
	g_free(m->status);
	g_free(m->reason);
	g_free(m);
}

int
store_campaign_due(struct store *store, const char *campaign, gint64 now,
		   GPtrArray **mails_r, char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_CAMPAIGN_DUE,
		"SELECT id, campaign, address, ticket_id, due, status, reason, "
		"sent FROM campaign_mails WHERE status = 'scheduled' "
		"AND due <= ?1 AND (?2 IS NULL OR campaign = ?2) "
		"ORDER BY due, id LIMIT 500", error_r);
	GPtrArray *list;
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, now);
	store_bind_text(stmt, 2, campaign);
	list = g_ptr_array_new_with_free_func(
		(GDestroyNotify)store_campaign_mail_free);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_campaign_mail *m =
			g_new0(struct store_campaign_mail, 1);

		m->id = sqlite3_column_int64(stmt, 0);
		m->campaign = store_column_text(stmt, 1);
		m->address = store_column_text(stmt, 2);
		m->ticket_id = sqlite3_column_int64(stmt, 3);
		m->due = sqlite3_column_int64(stmt, 4);
		m->status = store_column_text(stmt, 5);
		m->reason = store_column_text(stmt, 6);
		m->sent = sqlite3_column_int64(stmt, 7);
		g_ptr_array_add(list, m);
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		g_ptr_array_unref(list);
		return store_error(store, "read campaign mails", error_r);
	}
	*mails_r = list;
	return 0;
}

int
store_campaign_mark(struct store *store, gint64 id, const char *status,
		    const char *reason, gint64 sent, char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_CAMPAIGN_MARK,
		"UPDATE campaign_mails SET status = ?2, reason = ?3, sent = ?4 "
		"WHERE id = ?1", error_r);

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, id);
	store_bind_text(stmt, 2, status);
	store_bind_text(stmt, 3, reason != NULL ? reason : "");
	if (sent > 0)
		sqlite3_bind_int64(stmt, 4, sent);
	else
		sqlite3_bind_null(stmt, 4);
	return store_step(store, stmt, "update campaign mail",
				   error_r);
}

int
store_campaign_last_sent(struct store *store, const char *address,
			 const char *campaign, gint64 *when_r, char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_CAMPAIGN_LAST,
		"SELECT max(sent) FROM campaign_mails WHERE address = lower(?1) "
		"AND status = 'sent' AND (?2 IS NULL OR campaign = ?2)",
		error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, address);
	store_bind_text(stmt, 2, campaign);
	rc = sqlite3_step(stmt);
	*when_r = 0;
	if (rc == SQLITE_ROW)
		*when_r = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	if (rc != SQLITE_ROW)
		return store_error(store, "read campaign mails", error_r);
	return *when_r > 0 ? 1 : 0;
}

int
store_message_kind(struct store *store, const char *message_id, char **kind_r,
		   gint64 *ticket_id_r, char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_MESSAGE_KIND,
		"SELECT kind, coalesce(ticket_id, 0) FROM messages "
		"WHERE message_id = ?1", error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, message_id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*kind_r = store_column_text(stmt, 0);
		*ticket_id_r = sqlite3_column_int64(stmt, 1);
		sqlite3_reset(stmt);
		return 1;
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		return store_error(store, "find message", error_r);
	return 0;
}
