/* The SQLite store: open, pragmas, schema migrations, transactions and the
   prepared-statement cache. */
#include "autodefs.h"

#include <string.h>
#include <unistd.h>

#include "log.h"
#include "store-admin.h"
#include "store-private.h"

/* Each entry moves the schema from version i to i + 1.  Never edit a
   released entry: add a new one. */
static const char *const store_migrations[] = {
	/* 1: tickets, messages, attachments, events, outbox, mailbox state */
	"CREATE TABLE tickets ("
	" id INTEGER PRIMARY KEY,"
	" mailbox TEXT NOT NULL,"
	" subject TEXT NOT NULL,"
	" status TEXT NOT NULL DEFAULT 'new',"
	" priority TEXT NOT NULL DEFAULT 'normal',"
	" requester TEXT NOT NULL,"
	" requester_name TEXT NOT NULL DEFAULT '',"
	" assignee TEXT NOT NULL DEFAULT '',"
	" created INTEGER NOT NULL,"
	" updated INTEGER NOT NULL,"
	" first_response INTEGER,"
	" resolved INTEGER,"
	" closed INTEGER,"
	" linked_to INTEGER REFERENCES tickets(id),"
	" merged_into INTEGER REFERENCES tickets(id),"
	" escalated INTEGER NOT NULL DEFAULT 0,"
	" sla_first_fired INTEGER NOT NULL DEFAULT 0,"
	" sla_resolution_fired INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE participants ("
	" ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	" address TEXT NOT NULL,"
	" name TEXT NOT NULL DEFAULT '',"
	" role TEXT NOT NULL,"
	" PRIMARY KEY (ticket_id, address));"
	"CREATE TABLE secrets ("
	" name TEXT PRIMARY KEY,"
	" value BLOB NOT NULL,"
	" created INTEGER NOT NULL);"
	"CREATE INDEX tickets_status ON tickets(status, updated);"
	"CREATE INDEX tickets_requester ON tickets(requester);"
	"CREATE TABLE messages ("
	" id INTEGER PRIMARY KEY,"
	" ticket_id INTEGER REFERENCES tickets(id),"
	" message_id TEXT NOT NULL UNIQUE,"
	" synthetic_id INTEGER NOT NULL DEFAULT 0,"
	" mailbox TEXT NOT NULL,"
	" direction TEXT NOT NULL,"
	" kind TEXT NOT NULL,"
	" thread_by TEXT NOT NULL,"
	" from_addr TEXT NOT NULL,"
	" from_name TEXT NOT NULL DEFAULT '',"
	" to_addrs TEXT NOT NULL DEFAULT '',"
	" cc_addrs TEXT NOT NULL DEFAULT '',"
	" subject TEXT NOT NULL DEFAULT '',"
	" date INTEGER NOT NULL DEFAULT 0,"
	" received INTEGER NOT NULL,"
	" in_reply_to TEXT,"
	" refs TEXT NOT NULL DEFAULT '',"
	" body TEXT NOT NULL DEFAULT '',"
	" parse_error TEXT,"
	" flagged TEXT,"
	" thread_root TEXT,"
	" raw_size INTEGER NOT NULL,"
	" raw BLOB NOT NULL);"
	"CREATE INDEX messages_ticket ON messages(ticket_id, id);"
	"CREATE INDEX messages_thread_root ON messages(thread_root)"
	" WHERE thread_root IS NOT NULL;"
	"CREATE INDEX messages_auto ON messages(to_addrs, received)"
	" WHERE direction = 'out' AND kind = 'auto';"
	"CREATE TABLE attachments ("
	" id INTEGER PRIMARY KEY,"
	" message_row INTEGER NOT NULL REFERENCES messages(id),"
	" filename TEXT NOT NULL,"
	" content_type TEXT NOT NULL,"
	" size INTEGER NOT NULL,"
	" content BLOB NOT NULL);"
	"CREATE INDEX attachments_message ON attachments(message_row);"
	"CREATE TABLE events ("
	" id INTEGER PRIMARY KEY,"
	" ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	" created INTEGER NOT NULL,"
	" actor TEXT NOT NULL,"
	" what TEXT NOT NULL,"
	" detail TEXT NOT NULL DEFAULT '',"
	" message_row INTEGER);"
	"CREATE INDEX events_ticket ON events(ticket_id, id);"
	"CREATE TABLE outbox ("
	" id INTEGER PRIMARY KEY,"
	" ticket_id INTEGER REFERENCES tickets(id),"
	" message_row INTEGER NOT NULL REFERENCES messages(id),"
	" mail_from TEXT NOT NULL,"
	" rcpt_to TEXT NOT NULL,"
	" status TEXT NOT NULL DEFAULT 'queued',"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" next_attempt INTEGER NOT NULL,"
	" created INTEGER NOT NULL,"
	" sent INTEGER,"
	" last_error TEXT);"
	"CREATE INDEX outbox_due ON outbox(status, next_attempt);"
	"CREATE TABLE mailbox_state ("
	" mailbox TEXT PRIMARY KEY,"
	" uidvalidity INTEGER NOT NULL,"
	" last_uid INTEGER NOT NULL);"
	"CREATE TABLE surveys ("
	" id INTEGER PRIMARY KEY,"
	" ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	" address TEXT NOT NULL,"
	" due INTEGER NOT NULL,"
	" status TEXT NOT NULL DEFAULT 'scheduled',"
	" sent INTEGER,"
	" rating INTEGER,"
	" comment TEXT,"
	" rated INTEGER,"
	" created INTEGER NOT NULL);"
	"CREATE INDEX surveys_due ON surveys(status, due);"
	"CREATE INDEX surveys_ticket ON surveys(ticket_id);"
	"CREATE INDEX surveys_address ON surveys(address, sent);"
	"CREATE TABLE optouts ("
	" address TEXT NOT NULL,"
	" what TEXT NOT NULL,"
	" created INTEGER NOT NULL,"
	" message_row INTEGER,"
	" PRIMARY KEY (address, what));"
	"CREATE TABLE campaign_mails ("
	" id INTEGER PRIMARY KEY,"
	" campaign TEXT NOT NULL,"
	" address TEXT NOT NULL,"
	" ticket_id INTEGER REFERENCES tickets(id),"
	" due INTEGER NOT NULL,"
	" status TEXT NOT NULL DEFAULT 'scheduled',"
	" reason TEXT NOT NULL DEFAULT '',"
	" sent INTEGER,"
	" created INTEGER NOT NULL,"
	" UNIQUE (campaign, ticket_id));"
	"CREATE INDEX campaign_mails_due ON campaign_mails(status, due);"
	"CREATE INDEX campaign_mails_address ON campaign_mails(address, sent);",
	/* 2: full-text index of incoming messages' subjects and bodies
	   (trigram, so that any substring of three or more characters
	   matches, Chinese too).  Filled by store_fts_sync() from the rows
	   after fts_state.last_id, in batches apart from ingest (the
	   daemon's indexer thread, ticketctl search), not by a trigger:
	   trigram indexing is most of the cost of storing a message, and an
	   FTS5 insert in a savepoint per message flushes a segment per
	   message.  Messages are never deleted or their text changed; code
	   that does must update messages_fts. */
	"CREATE VIRTUAL TABLE messages_fts USING fts5("
	" subject, body, content='messages', content_rowid='id',"
	" tokenize='trigram');"
	"CREATE TABLE fts_state (last_id INTEGER NOT NULL);"
	"INSERT INTO messages_fts (rowid, subject, body)"
	" SELECT id, subject, body FROM messages WHERE direction = 'in';"
	"INSERT INTO fts_state (last_id)"
	" SELECT coalesce(max(id), 0) FROM messages;",
	/* 3: where an interrupted "ticketctl import" resumes */
	"CREATE TABLE import_progress ("
	" path TEXT PRIMARY KEY,"
	" position INTEGER NOT NULL DEFAULT 0,"
	" last_name TEXT NOT NULL DEFAULT '',"
	" count INTEGER NOT NULL DEFAULT 0,"
	" done INTEGER NOT NULL DEFAULT 0,"
	" updated INTEGER NOT NULL);",
	/* 4: the timers and bounces without a scan of a table that grows
	   with every ticket or mail ever handled.  Autoclose read every
	   resolved ticket's row at each tick to compare its resolved time
	   (with a million tickets 0.2 s a tick, 35 page reads per mail
	   ingested by "--once"); the SLA timers scanned all tickets; a
	   bounce scanned the outbox.  Partial indexes: only the tickets a
	   timer can still act on (open ones; resolved ones) are in them. */
	"CREATE INDEX tickets_autoclose ON tickets(mailbox, resolved)"
	" WHERE status = 'resolved';"
	"CREATE INDEX tickets_sla ON tickets(mailbox, created)"
	" WHERE status NOT IN ('resolved', 'closed')"
	" AND merged_into IS NULL;"
	"CREATE INDEX outbox_message ON outbox(message_row);",
};

int
store_error(struct store *store, const char *what, char **error_r)
{
	if (error_r != NULL)
		*error_r = g_strdup_printf("database %s: %s: %s", store->path,
					   what, sqlite3_errmsg(store->db));
	return -1;
}

/*
 * SQLite lets one connection write at a time and makes the others wait in
 * the busy handler, which polls with sleeps.  The threads of this process
 * (ingest workers, the sender, the indexer) hand the write lock over
 * through this mutex instead: a waiting thread wakes the moment the
 * writer commits.  It is held from BEGIN to COMMIT/ROLLBACK, or around a
 * single writing statement outside a transaction; never across network
 * I/O (the callers commit before they wait for a server).  Other
 * processes (ticketctl) still meet the busy handler.
 */
static GRecMutex store_writer_lock;

void
store_writer_enter(struct store *store)
{
	if (store->writer)
		return;
	g_rec_mutex_lock(&store_writer_lock);
	store->writer = TRUE;
}

void
store_writer_leave(struct store *store)
{
	if (!store->writer || !sqlite3_get_autocommit(store->db))
		return;
	store->writer = FALSE;
	g_rec_mutex_unlock(&store_writer_lock);
}

int
store_step(struct store *store, sqlite3_stmt *stmt, const char *what,
	   char **error_r)
{
	int rc;

	if (!store->writer && !sqlite3_stmt_readonly(stmt))
		store_writer_enter(store);
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_DONE)
		store_error(store, what, error_r);
	sqlite3_reset(stmt);
	/* after COMMIT, ROLLBACK, an autocommit write, or an error that
	   ended the transaction */
	store_writer_leave(store);
	return rc == SQLITE_DONE ? 0 : -1;
}

sqlite3_stmt *
store_stmt(struct store *store, enum store_stmt id, const char *sql,
	   char **error_r)
{
	sqlite3_stmt *stmt = store->stmts[id];

	/* a transaction that an error ended in a statement stepped
	   elsewhere gives the writer mutex back here */
	store_writer_leave(store);

	if (stmt == NULL) {
		if (sqlite3_prepare_v3(store->db, sql, -1,
				       SQLITE_PREPARE_PERSISTENT, &stmt,
				       NULL) != SQLITE_OK) {
			store_error(store, "prepare", error_r);
			return NULL;
		}
		store->stmts[id] = stmt;
	} else {
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
	}
	return stmt;
}

void
store_bind_text(sqlite3_stmt *stmt, int col, const char *text)
{
	if (text == NULL)
		sqlite3_bind_null(stmt, col);
	else
		sqlite3_bind_text(stmt, col, text, -1, SQLITE_TRANSIENT);
}

char *
store_column_text(sqlite3_stmt *stmt, int col)
{
	const unsigned char *t = sqlite3_column_text(stmt, col);

	return t == NULL ? NULL : g_strdup((const char *)t);
}

static int
store_exec(struct store *store, const char *sql, char **error_r)
{
	char *msg = NULL;

	if (sqlite3_exec(store->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		if (error_r != NULL)
			*error_r = g_strdup_printf("database %s: %s",
						   store->path,
						   msg ? msg : "error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int
store_schema_version(struct store *store, int *version_r, char **error_r)
{
	sqlite3_stmt *stmt;
	int rc;

	if (sqlite3_prepare_v2(store->db, "PRAGMA user_version", -1, &stmt,
			       NULL) != SQLITE_OK)
		return store_error(store, "read schema version", error_r);
	rc = sqlite3_step(stmt);
	*version_r = rc == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : 0;
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW)
		return store_error(store, "read schema version", error_r);
	return 0;
}

static int
store_migrate(struct store *store, char **error_r)
{
	int version;
	const int latest = (int)G_N_ELEMENTS(store_migrations);

	if (store_exec(store, "BEGIN IMMEDIATE", error_r) < 0)
		return -1;
	if (store_schema_version(store, &version, error_r) < 0)
		goto fail;
	if (version > latest) {
		*error_r = g_strdup_printf(
			"database %s: schema version %d is newer than this "
			"ticketd knows (%d)", store->path, version, latest);
		goto fail;
	}
	for (; version < latest; version++) {
		char *set;
		int rc;

		if (store_exec(store, store_migrations[version], error_r) < 0)
			goto fail;
		/* PRAGMA cannot take a bound parameter; version is ours. */
		set = g_strdup_printf("PRAGMA user_version = %d", version + 1);
		rc = store_exec(store, set, error_r);
		g_free(set);
		if (rc < 0)
			goto fail;
		log_debug("database %s: migrated to schema %d", store->path,
			  version + 1);
	}
	return store_exec(store, "COMMIT", error_r);
fail:
	store_exec(store, "ROLLBACK", NULL);
	return -1;
}

/* Wait for another connection's write lock in short steps (SQLite's own
   handler sleeps up to 100 ms at a time, which leaves the database idle
   while ingest and the indexer take turns), for up to about 10 s. */
static int
store_busy(void *ctx, int count)
{
	(void)ctx;
	if (count >= 10100)
		return 0;
	g_usleep(count < 100 ? 200 : 1000);
	return 1;
}

/*
 * WAL checkpoints on a thread of their own.  SQLite checkpoints in the
 * thread whose COMMIT made the WAL pass 1,000 pages: it copies ~4 MB into
 * the database file and syncs it, ~15 % of the time of the thread that
 * ingests mail.  Instead the commit hook hands the database to this
 * thread, which runs a PASSIVE checkpoint on a connection of its own
 * (writers go on appending meanwhile).  The committing thread still
 * runs one, cheap by then, at four times the size when the thread is
 * idle (see store_wal_hook()), and at eight times whatever it does, so
 * the WAL stays bounded.
 */
#define STORE_CHECKPOINT_PAGES 1000

static struct {
	GMutex lock;
	GCond cond;
	GThread *thread;
	GHashTable *pending;	/* database paths to checkpoint */
	GMutex running;		/* held during a checkpoint */
	guint done;		/* checkpoints run */
} store_ckpt;

guint
store_checkpoint_count(void)
{
	return g_atomic_int_get(&store_ckpt.done);
}

static gpointer
store_checkpointer(gpointer data)
{
	(void)data;
	g_mutex_lock(&store_ckpt.lock);
	for (;;) {
		GHashTableIter it;
		gpointer key;
		char *path;
		sqlite3 *db = NULL;

		while (g_hash_table_size(store_ckpt.pending) == 0)
			g_cond_wait(&store_ckpt.cond, &store_ckpt.lock);
		g_hash_table_iter_init(&it, store_ckpt.pending);
		g_hash_table_iter_next(&it, &key, NULL);
		path = g_strdup(key);
		g_hash_table_iter_remove(&it);
		g_mutex_lock(&store_ckpt.running);
		g_mutex_unlock(&store_ckpt.lock);
		/* a connection per checkpoint: the file may have been
		   replaced since the last one */
		if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
				    SQLITE_OPEN_NOMUTEX, NULL) == SQLITE_OK) {
			int rc, copied = 0;

			sqlite3_busy_timeout(db, 0);
			/* a read first: a new connection does not know the
			   database is in WAL mode until it has looked */
			rc = sqlite3_exec(db, "SELECT 1 FROM sqlite_schema "
					  "LIMIT 1", NULL, NULL, NULL);
			if (rc == SQLITE_OK)
				rc = sqlite3_wal_checkpoint_v2(db, NULL,
					SQLITE_CHECKPOINT_PASSIVE, NULL,
					&copied);
			if (rc != SQLITE_OK && rc != SQLITE_BUSY)
				log_warnx("database %s: checkpoint: %s", path,
					  sqlite3_errmsg(db));
			if (copied > 0)
				g_atomic_int_inc(&store_ckpt.done);
		}
		sqlite3_close(db);
		g_free(path);
		g_mutex_unlock(&store_ckpt.running);
		g_mutex_lock(&store_ckpt.lock);
	}
	return NULL;
}

static int
store_wal_hook(void *ctx, sqlite3 *db, const char *name, int pages)
{
	struct store *store = ctx;

	if (pages < STORE_CHECKPOINT_PAGES)
		return SQLITE_OK;
	/* The WAL starts over only at a write transaction that finds every
	   frame copied, which a checkpointer racing a busy writer seldom
	   leaves it: so past four times the size the writer finishes the job
	   itself, between its transactions, with little left to copy. */
	if (pages >= 4 * STORE_CHECKPOINT_PAGES) {
		gboolean idle = g_mutex_trylock(&store_ckpt.running);
		gboolean here = idle || pages >= 8 * STORE_CHECKPOINT_PAGES;

		if (here)
			sqlite3_wal_checkpoint_v2(db, name,
						  SQLITE_CHECKPOINT_PASSIVE,
						  NULL, NULL);
		if (idle)
			g_mutex_unlock(&store_ckpt.running);
		if (here)
			return SQLITE_OK;
	}
	/* again only once the WAL has grown by a quarter of that: every
	   pass syncs the database file */
	if (pages < store->ckpt_asked + STORE_CHECKPOINT_PAGES / 4 &&
	    pages >= store->ckpt_asked)
		return SQLITE_OK;
	store->ckpt_asked = pages;
	g_mutex_lock(&store_ckpt.lock);
	if (store_ckpt.thread == NULL) {
		store_ckpt.pending = g_hash_table_new_full(
			g_str_hash, g_str_equal, g_free, NULL);
		store_ckpt.thread = g_thread_new("checkpoint",
						 store_checkpointer, NULL);
	}
	g_hash_table_add(store_ckpt.pending, g_strdup(store->path));
	g_cond_signal(&store_ckpt.cond);
	g_mutex_unlock(&store_ckpt.lock);
	return SQLITE_OK;
}

/* Forget a pending checkpoint of store's database and wait for one that
   runs: closing the last connection checkpoints the whole WAL itself. */
static void
store_checkpoint_forget(struct store *store)
{
	g_mutex_lock(&store_ckpt.lock);
	if (store_ckpt.pending != NULL)
		g_hash_table_remove(store_ckpt.pending, store->path);
	g_mutex_unlock(&store_ckpt.lock);
	g_mutex_lock(&store_ckpt.running);
	g_mutex_unlock(&store_ckpt.running);
}

struct store *
store_open(const char *path, char **error_r)
{
	struct store *store = g_new0(struct store, 1);
	char *err = NULL;
	int rc;

	static gsize configured;

	/* SQLite counts every allocation under a global mutex for
	   sqlite3_memory_used(), which nothing here asks: the threads'
	   connections would take turns on it. */
	if (g_once_init_enter(&configured)) {
		sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
		g_once_init_leave(&configured, 1);
	}
	store->path = g_strdup(path);
	store->sent_fd = -1;
	if (*path != '\0' && strcmp(path, ":memory:") != 0 &&
	    strncmp(path, "file:", 5) != 0)
		store->sent_path = g_strconcat(path, "-sent", NULL);
	rc = sqlite3_open_v2(path, &store->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		if (store->db != NULL)
			store_error(store, "open", error_r);
		else
			*error_r = g_strdup_printf("database %s: cannot open",
						   path);
		store_close(store);
		return NULL;
	}
	sqlite3_busy_handler(store->db, store_busy, NULL);
	sqlite3_extended_result_codes(store->db, 1);
	if (store_exec(store, "PRAGMA journal_mode = WAL", error_r) < 0 ||
	    store_exec(store, "PRAGMA synchronous = FULL", error_r) < 0 ||
	    /* a batch of mail fits without spilling to the WAL early, and
	       with a million tickets the inner pages of the indexes stay
	       in memory (bench/run scale: 1.64 x the cost per mail of a
	       small database with 8 MB, 1.51 x with 16) */
	    store_exec(store, "PRAGMA cache_size = -16384", error_r) < 0 ||
	    /* the savepoint per message keeps the pages it changes in a
	       sub-journal: in memory, not 30 writes a message to a temp
	       file */
	    store_exec(store, "PRAGMA temp_store = MEMORY", error_r) < 0 ||
	    store_exec(store, "PRAGMA foreign_keys = ON", error_r) < 0 ||
	    store_migrate(store, error_r) < 0) {
		store_close(store);
		return NULL;
	}
	if (store->sent_path != NULL)	/* a file: checkpoints elsewhere */
		sqlite3_wal_hook(store->db, store_wal_hook, store);
	/* mails a process that died had sent: before anything reads the
	   outbox */
	if (store_outbox_fold(store, &err) < 0) {
		log_warnx("%s", err);
		g_free(err);
	}
	return store;
}

void
store_close(struct store *store)
{
	if (store == NULL)
		return;
	if (store->db != NULL && store->sent_fd >= 0) {
		char *err = NULL;

		if (store_outbox_fold(store, &err) < 0) {
			log_warnx("%s", err);
			g_free(err);
		}
	}
	if (store->sent_fd >= 0)
		close(store->sent_fd);
	if (store->sent_path != NULL && store->db != NULL)
		store_checkpoint_forget(store);
	g_free(store->sent_path);
	for (int i = 0; i < STORE_STMT_COUNT; i++)
		sqlite3_finalize(store->stmts[i]);
	if (store->db != NULL)
		sqlite3_close(store->db);
	if (store->writer)	/* closed inside a transaction */
		g_rec_mutex_unlock(&store_writer_lock);
	g_free(store->path);
	g_free(store);
}

static int
store_step_done(struct store *store, enum store_stmt id, const char *sql,
		const char *what, char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, id, sql, error_r);

	return stmt == NULL ? -1 : store_step(store, stmt, what, error_r);
}

int
store_begin(struct store *store, char **error_r)
{
	store_writer_enter(store);
	return store_step_done(store, STORE_STMT_BEGIN, "BEGIN IMMEDIATE",
			       "begin transaction", error_r);
}

int
store_commit(struct store *store, char **error_r)
{
	return store_step_done(store, STORE_STMT_COMMIT, "COMMIT",
			       "commit", error_r);
}

/* Run a cached statement with ?1 bound to n, expecting no rows. */
static int
store_step_n(struct store *store, enum store_stmt id, const char *sql,
	     gint64 n, const char *what, char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, id, sql, error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, n);
	rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		return store_error(store, what, error_r);
	return 0;
}

int
store_fts_sync(struct store *store, int limit, int *count_r, char **error_r)
{
	gboolean own = !store_in_transaction(store);
	int n = 0;

	if (own && store_begin(store, error_r) < 0)
		return -1;
	if (store_step_n(store, STORE_STMT_FTS_SYNC,
		"INSERT INTO messages_fts (rowid, subject, body) "
		"SELECT id, subject, substr(body, 1, 65536) FROM messages "
		"WHERE direction = 'in' AND id > (SELECT last_id FROM fts_state) "
		"AND id <= (SELECT last_id FROM fts_state) + ?1", limit,
		"index messages", error_r) < 0)
		goto fail;
	n = sqlite3_changes(store->db);
	if (store_step_n(store, STORE_STMT_FTS_STATE,
		"UPDATE fts_state SET last_id = min("
		"(SELECT coalesce(max(id), 0) FROM messages), last_id + ?1)",
		limit, "index messages", error_r) < 0)
		goto fail;
	if (own && store_commit(store, error_r) < 0)
		goto fail;
	if (count_r != NULL)
		*count_r = n;
	return 0;
fail:
	if (own)
		store_rollback(store);
	return -1;
}

/* Has the index caught up with the messages? */
int
store_fts_pending(struct store *store, gboolean *pending_r, char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_FTS_PENDING,
		"SELECT (SELECT coalesce(max(id), 0) FROM messages) > "
		"(SELECT last_id FROM fts_state)", error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	*pending_r = rc == SQLITE_ROW && sqlite3_column_int(stmt, 0) != 0;
	sqlite3_reset(stmt);
	if (rc != SQLITE_ROW)
		return store_error(store, "read index state", error_r);
	return 0;
}

void
store_rollback(struct store *store)
{
	if (sqlite3_get_autocommit(store->db))
		return;
	if (store_step_done(store, STORE_STMT_ROLLBACK, "ROLLBACK",
			    "rollback", NULL) < 0)
		log_warnx("database %s: rollback failed: %s", store->path,
			  sqlite3_errmsg(store->db));
}

int
store_savepoint(struct store *store, char **error_r)
{
	return store_step_done(store, STORE_STMT_SAVEPOINT, "SAVEPOINT msg",
			       "savepoint", error_r);
}

int
store_release(struct store *store, char **error_r)
{
	return store_step_done(store, STORE_STMT_RELEASE, "RELEASE msg",
			       "release savepoint", error_r);
}

void
store_rollback_savepoint(struct store *store)
{
	if (store_step_done(store, STORE_STMT_ROLLBACK_TO, "ROLLBACK TO msg",
			    "rollback to savepoint", NULL) < 0 ||
	    store_step_done(store, STORE_STMT_RELEASE, "RELEASE msg",
			    "release savepoint", NULL) < 0)
		log_warnx("database %s: rollback to savepoint failed: %s",
			  store->path, sqlite3_errmsg(store->db));
}

int
store_set_synced(struct store *store, gboolean full, char **error_r)
{
	return store_exec(store, full ? "PRAGMA synchronous = FULL" :
			  "PRAGMA synchronous = NORMAL", error_r);
}

gboolean
store_in_transaction(struct store *store)
{
	return !sqlite3_get_autocommit(store->db);
}

int
store_mailbox_state_get(struct store *store, const char *mailbox,
			uint32_t *uidvalidity_r, uint32_t *last_uid_r,
			char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_STATE_GET,
		"SELECT uidvalidity, last_uid FROM mailbox_state "
		"WHERE mailbox = ?1", error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, mailbox);
	rc = sqlite3_step(stmt);
	*uidvalidity_r = 0;
	*last_uid_r = 0;
	if (rc == SQLITE_ROW) {
		*uidvalidity_r = (uint32_t)sqlite3_column_int64(stmt, 0);
		*last_uid_r = (uint32_t)sqlite3_column_int64(stmt, 1);
	} else if (rc != SQLITE_DONE) {
		store_error(store, "read mailbox state", error_r);
		sqlite3_reset(stmt);
		return -1;
	}
	sqlite3_reset(stmt);
	return 0;
}

int
store_mailbox_state_set(struct store *store, const char *mailbox,
			uint32_t uidvalidity, uint32_t last_uid,
			char **error_r)
{
	sqlite3_stmt *stmt = store_stmt(store, STORE_STMT_STATE_SET,
		"INSERT INTO mailbox_state (mailbox, uidvalidity, last_uid) "
		"VALUES (?1, ?2, ?3) ON CONFLICT(mailbox) DO UPDATE SET "
		"uidvalidity = excluded.uidvalidity, "
		"last_uid = excluded.last_uid", error_r);
	int rc;

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, mailbox);
	sqlite3_bind_int64(stmt, 2, uidvalidity);
	sqlite3_bind_int64(stmt, 3, last_uid);
	rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		return store_error(store, "save mailbox state", error_r);
	return 0;
}
