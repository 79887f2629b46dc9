/* SMTP submission through libcurl (TLS, AUTH), or smtp-pipe.c. */
#include "autodefs.h"

#include <string.h>

#include <curl/curl.h>

#include "log.h"
#include "smtp.h"
#include "smtp-pipe.h"

/* One connection: an easy handle that keeps its connection between
   mails, and the mail it is sending. */
struct smtp_conn {
	CURL *curl;
	struct smtp_job *job;	/* NULL: idle */
	struct curl_slist *rcpts;
	char *from;
	const char *data;
	size_t len, pos;
	char errbuf[CURL_ERROR_SIZE];
};

struct smtp_client {
	const struct config_smtp *cfg;	/* borrowed */
	struct smtp_pipe *pipe;		/* plain smtp://: our own client */
	CURLM *multi;
	struct smtp_conn *conns;	/* cfg->connections of them */
};

static size_t
smtp_read(char *buf, size_t size, size_t nitems, void *ctx)
{
	struct smtp_conn *conn = ctx;
	size_t n = size * nitems;

	if (n > conn->len - conn->pos)
		n = conn->len - conn->pos;
	memcpy(buf, conn->data + conn->pos, n);
	conn->pos += n;
	return n;
}

struct smtp_client *
smtp_client_new(const struct config_smtp *cfg)
{
	static gsize curl_ready;
	struct smtp_client *client = g_new0(struct smtp_client, 1);
	int n = MAX(cfg->connections, 1);

	if (g_once_init_enter(&curl_ready)) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		g_once_init_leave(&curl_ready, 1);
	}
	client->cfg = cfg;
	client->conns = g_new0(struct smtp_conn, n);
	client->pipe = smtp_pipe_new(cfg);	/* NULL: libcurl */
	return client;
}

/* Close conn's connection (a broken session is not reused). */
static void
smtp_conn_close(struct smtp_client *client, struct smtp_conn *conn)
{
	if (conn->curl == NULL)
		return;
	if (client->multi != NULL && conn->job != NULL)
		curl_multi_remove_handle(client->multi, conn->curl);
	curl_easy_cleanup(conn->curl);
	conn->curl = NULL;
}

void
smtp_client_free(struct smtp_client *client)
{
	if (client == NULL)
		return;
	smtp_pipe_free(client->pipe);
	for (int i = 0; i < MAX(client->cfg->connections, 1); i++)
		smtp_conn_close(client, &client->conns[i]);
	if (client->multi != NULL)
		curl_multi_cleanup(client->multi);
	g_free(client->conns);
	g_free(client);
}

/* Set up conn's easy handle once; it keeps its connection between mails. */
static CURL *
smtp_conn_handle(struct smtp_client *client, struct smtp_conn *conn)
{
	const struct config_smtp *cfg = client->cfg;
	CURL *c;

	if (conn->curl != NULL)
		return conn->curl;
	c = curl_easy_init();
	if (c == NULL)
		return NULL;
	curl_easy_setopt(c, CURLOPT_URL, cfg->url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, conn->errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)cfg->timeout_seconds);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)cfg->timeout_seconds * 5);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, smtp_read);
	curl_easy_setopt(c, CURLOPT_READDATA, conn);
	curl_easy_setopt(c, CURLOPT_PRIVATE, conn);
	if (cfg->starttls)
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, cfg->verify ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, cfg->verify ? 2L : 0L);
	/* Authentication: the one place for it (XOAUTH2 goes here). */
	if (cfg->user != NULL) {
		curl_easy_setopt(c, CURLOPT_USERNAME, cfg->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD,
				 cfg->password != NULL ? cfg->password : "");
	}
	conn->curl = c;
	return c;
}

/* curl results after which the same mail may succeed later. */
static gboolean
smtp_curl_is_temporary(CURLcode rc)
{
	switch (rc) {
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return FALSE;
	default:
		return TRUE;
	}
}

/* Start job on the idle conn; FALSE (job->status and job->error set)
   when it cannot even start. */
static gboolean
smtp_conn_start(struct smtp_client *client, struct smtp_conn *conn,
		struct smtp_job *job)
{
	CURL *c = smtp_conn_handle(client, conn);
	gsize len;

	job->status = SMTP_TEMP;
	job->error = NULL;
	if (c == NULL) {
		job->error = g_strdup("cannot create a curl handle");
		return FALSE;
	}
	for (const char *const *r = job->rcpt_to; *r != NULL; r++) {
		if (**r == '\0')
			continue;
		char *a = g_strdup_printf("<%s>", *r);

		conn->rcpts = curl_slist_append(conn->rcpts, a);
		g_free(a);
	}
	if (conn->rcpts == NULL) {
		job->status = SMTP_PERM;
		job->error = g_strdup("no recipients");
		return FALSE;
	}
	conn->data = g_bytes_get_data(job->data, &len);
	conn->len = len;
	conn->pos = 0;
	conn->from = g_strdup_printf("<%s>", job->mail_from != NULL ?
				     job->mail_from : "");
	conn->errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, conn->from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, conn->rcpts);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	conn->job = job;
	curl_multi_add_handle(client->multi, c);
	return TRUE;
}

/* conn's transfer ended with rc: set its job's status and error, make
   conn idle. */
static void
smtp_conn_finish(struct smtp_client *client, struct smtp_conn *conn,
		 CURLcode rc)
{
	struct smtp_job *job = conn->job;
	long code = 0;

	curl_easy_getinfo(conn->curl, CURLINFO_RESPONSE_CODE, &code);
	curl_multi_remove_handle(client->multi, conn->curl);
	conn->job = NULL;
	curl_easy_setopt(conn->curl, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(conn->rcpts);
	conn->rcpts = NULL;
	g_clear_pointer(&conn->from, g_free);
	if (rc == CURLE_OK) {
		job->status = SMTP_OK;
		return;
	}
	if (code > 0)
		job->error = g_strdup_printf("SMTP %s: %s (reply code %ld)",
					     client->cfg->url,
					     conn->errbuf[0] != '\0' ?
					     conn->errbuf :
					     curl_easy_strerror(rc), code);
	else
		job->error = g_strdup_printf("SMTP %s: %s", client->cfg->url,
					     conn->errbuf[0] != '\0' ?
					     conn->errbuf :
					     curl_easy_strerror(rc));
	/* A broken session is not reused. */
	smtp_conn_close(client, conn);
	/* A refused login is the admin's to fix: keep the mail queued. */
	if (code >= 500 && code < 600 && rc != CURLE_LOGIN_DENIED)
		job->status = SMTP_PERM;
	else
		job->status = smtp_curl_is_temporary(rc) ? SMTP_TEMP :
			SMTP_PERM;
}

void
smtp_client_send_many(struct smtp_client *client, struct smtp_job **jobs,
		      guint n, smtp_done_cb_t *done, void *ctx)
{
	int nconns = MAX(client->cfg->connections, 1);
	guint next = 0, running = 0;
	gboolean stop = FALSE;

	if (client->pipe != NULL) {
		smtp_pipe_send_many(client->pipe, jobs, n, done, ctx);
		return;
	}
	if (client->multi == NULL) {
		client->multi = curl_multi_init();
		/* keep every connection open between batches */
		curl_multi_setopt(client->multi, CURLMOPT_MAXCONNECTS,
				  (long)nconns);
	}
	for (;;) {
		gboolean ended = FALSE;
		CURLMsg *msg;
		int left, still;

		/* fill idle connections; one that cannot start a job tries
		   the next */
		for (int i = 0; i < nconns && !stop && next < n;) {
			struct smtp_conn *conn = &client->conns[i];

			if (conn->job != NULL) {
				i++;
			} else if (smtp_conn_start(client, conn, jobs[next])) {
				next++;
				running++;
				i++;
			} else if (done(jobs[next++], ctx) < 0) {
				stop = TRUE;
			}
		}
		if (running == 0)
			break;
		curl_multi_perform(client->multi, &still);
		while ((msg = curl_multi_info_read(client->multi, &left))
		       != NULL) {
			struct smtp_conn *conn = NULL;
			struct smtp_job *job;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
					  (char **)&conn);
			job = conn->job;
			smtp_conn_finish(client, conn, msg->data.result);
			running--;
			ended = TRUE;
			/* recorded at once: in flight is all that can be
			   sent twice */
			if (done(job, ctx) < 0)
				stop = TRUE;
		}
		/* wait for the network unless a connection is free again */
		if (running > 0 && !ended)
			curl_multi_poll(client->multi, NULL, 0, 1000, NULL);
	}
}
