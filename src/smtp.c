/* SMTP submission through libcurl. */
#include "autodefs.h"

#include <string.h>

#include <curl/curl.h>

#include "log.h"
#include "smtp.h"

struct smtp_client {
	const struct config_smtp *cfg;	/* borrowed */
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
};

struct smtp_upload {
	const char *data;
	size_t len;
	size_t pos;
};

static size_t
smtp_read(char *buf, size_t size, size_t nitems, void *ctx)
{
	struct smtp_upload *up = ctx;
	size_t n = size * nitems;

	if (n > up->len - up->pos)
		n = up->len - up->pos;
	memcpy(buf, up->data + up->pos, n);
	up->pos += n;
	return n;
}

struct smtp_client *
smtp_client_new(const struct config_smtp *cfg)
{
	static gsize curl_ready;
	struct smtp_client *client = g_new0(struct smtp_client, 1);

	if (g_once_init_enter(&curl_ready)) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		g_once_init_leave(&curl_ready, 1);
	}
	client->cfg = cfg;
	return client;
}

void
smtp_client_free(struct smtp_client *client)
{
	if (client == NULL)
		return;
	if (client->curl != NULL)
		curl_easy_cleanup(client->curl);
	g_free(client);
}

/* Set up the easy handle once; it keeps its connection between mails. */
static CURL *
smtp_client_handle(struct smtp_client *client)
{
	const struct config_smtp *cfg = client->cfg;
	CURL *c;

	if (client->curl != NULL)
		return client->curl;
	c = curl_easy_init();
	if (c == NULL)
		return NULL;
	curl_easy_setopt(c, CURLOPT_URL, cfg->url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, client->errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)cfg->timeout_seconds);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)cfg->timeout_seconds * 5);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, smtp_read);
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
	client->curl = c;
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

int
smtp_client_send(struct smtp_client *client, const char *mail_from,
		 const char *const *rcpt_to, GBytes *data, char **error_r)
{
	struct curl_slist *rcpts = NULL;
	struct smtp_upload up;
	gsize len;
	CURLcode rc;
	long code = 0;
	CURL *c;
	char *from;

	c = smtp_client_handle(client);
	if (c == NULL) {
		*error_r = g_strdup("cannot create a curl handle");
		return SMTP_TEMP;
	}
	for (const char *const *r = rcpt_to; *r != NULL; r++) {
		if (**r == '\0')
			continue;
		char *a = g_strdup_printf("<%s>", *r);

		rcpts = curl_slist_append(rcpts, a);
		g_free(a);
	}
	if (rcpts == NULL) {
		*error_r = g_strdup("no recipients");
		return SMTP_PERM;
	}
	up.data = g_bytes_get_data(data, &len);
	up.len = len;
	up.pos = 0;
	from = g_strdup_printf("<%s>", mail_from != NULL ? mail_from : "");
	client->errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(rcpts);
	g_free(from);
	if (rc == CURLE_OK)
		return SMTP_OK;

	if (code > 0)
		*error_r = g_strdup_printf("SMTP %s: %s (reply code %ld)",
					   client->cfg->url,
					   client->errbuf[0] != '\0' ?
					   client->errbuf :
					   curl_easy_strerror(rc), code);
	else
		*error_r = g_strdup_printf("SMTP %s: %s", client->cfg->url,
					   client->errbuf[0] != '\0' ?
					   client->errbuf :
					   curl_easy_strerror(rc));
	/* A broken session is not reused. */
	curl_easy_cleanup(c);
	client->curl = NULL;
	/* A refused login is the admin's to fix: keep the mail queued. */
	if (code >= 500 && code < 600 && rc != CURLE_LOGIN_DENIED)
		return SMTP_PERM;
	return smtp_curl_is_temporary(rc) ? SMTP_TEMP : SMTP_PERM;
}
