/*
 * SMTP spoken by ticketd itself, with command pipelining (RFC 2920), on
 * plain connections: smtp:// without STARTTLS and without AUTH, the way a
 * host hands its mail to a local MTA.  TLS and authentication stay with
 * libcurl (smtp.c), which has no pipelining: there every mail costs four
 * round trips (MAIL, RCPT, DATA, the message), here one.
 *
 * Each connection runs a small state machine driven by one poll() loop
 * over all of them.  What was sent and awaits an answer is a FIFO of
 * expected replies; a server that offers PIPELINING gets a mail's MAIL,
 * RCPT and (with one recipient) DATA in one write, and the next mail's
 * commands right behind the previous message's final dot, so at most two
 * mails are in flight on a connection.  Without PIPELINING every command
 * waits for the previous reply.
 *
 * A job's outcome is decided by the first reply that refused it (its code
 * says temporary or permanent) or by the reply to the final dot; a
 * connection that breaks, times out or is closed by the server (421)
 * fails what is in flight on it as temporary.
 */
#include "autodefs.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"
#include "smtp-pipe.h"

enum pipe_step {
	STEP_RSET,
	STEP_MAIL,
	STEP_RCPT,
	STEP_DATA,
	STEP_DOT,
};

/* A job in flight. */
struct pipe_job {
	struct smtp_job *job;
	guint nrcpt;		/* non-empty recipients */
	guint rcpt_sent;
	guint rcpt_replied;
	guint pending;		/* replies still expected */
	gboolean data_sent;	/* DATA sent */
	gboolean dot_ok;	/* the dot was accepted */
	int code;		/* first refusing reply's code, or 0 */
	char *error;		/* its text */
};

struct pipe_expect {
	enum pipe_step step;
	struct pipe_job *pj;	/* NULL for session commands */
};

struct pipe_conn {
	int fd;			/* -1: not connected */
	gboolean pipelining;	/* the server offered PIPELINING */
	gboolean size;		/* ... SIZE */
	GQueue out;		/* GBytes * to write, the first from out_off */
	gsize out_off;
	GString *in;		/* read, not yet parsed */
	GString *reply;		/* text of the reply being read */
	GQueue expect;		/* struct pipe_expect *, oldest first */
	struct pipe_job *cur;	/* job still sending its envelope */
	struct pipe_job *fin;	/* job whose message went: awaits the dot */
	gboolean need_rset;	/* a refused transaction may be open */
	gint64 last_io;		/* monotonic time of the last progress */
};

struct smtp_pipe {
	const struct config_smtp *cfg;	/* borrowed */
	char *host;
	char *port;
	char *helo;			/* our name for EHLO */
	struct pipe_conn *conns;	/* cfg->connections of them */
	int nconns;
};

/* The host and port of a plain smtp:// URL (default port 25) and, as
   libcurl takes it, its path as the name to give in EHLO (NULL when there
   is none); FALSE when url is anything else. */
static gboolean
smtp_pipe_parse_url(const char *url, char **host_r, char **port_r,
		    char **helo_r)
{
	GUri *uri = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);
	gboolean ok;

	if (uri == NULL)
		return FALSE;
	ok = g_ascii_strcasecmp(g_uri_get_scheme(uri), "smtp") == 0 &&
	    g_uri_get_host(uri) != NULL && *g_uri_get_host(uri) != '\0' &&
	    g_uri_get_userinfo(uri) == NULL;
	if (ok) {
		const char *path = g_uri_get_path(uri);

		while (*path == '/')
			path++;
		*host_r = g_strdup(g_uri_get_host(uri));
		*port_r = g_strdup_printf("%d", g_uri_get_port(uri) > 0 ?
					  g_uri_get_port(uri) : 25);
		*helo_r = *path != '\0' && strpbrk(path, " \t\r\n/") == NULL ?
			g_strdup(path) : NULL;
	}
	g_uri_unref(uri);
	return ok;
}

gboolean
smtp_pipe_usable(const struct config_smtp *cfg)
{
	struct smtp_pipe *p = smtp_pipe_new(cfg);

	smtp_pipe_free(p);
	return p != NULL;
}

struct smtp_pipe *
smtp_pipe_new(const struct config_smtp *cfg)
{
	struct smtp_pipe *p;
	char *host, *port, *helo;

	if (!cfg->pipelining || cfg->starttls || cfg->user != NULL ||
	    !smtp_pipe_parse_url(cfg->url, &host, &port, &helo))
		return NULL;
	p = g_new0(struct smtp_pipe, 1);
	p->cfg = cfg;
	p->host = host;
	p->port = port;
	p->helo = helo;
	if (p->helo == NULL)
		p->helo = g_strdup(g_get_host_name());
	/* a name that is no domain: an address literal will do */
	if (strchr(p->helo, '.') == NULL) {
		g_free(p->helo);
		p->helo = g_strdup("[127.0.0.1]");
	}
	p->nconns = MAX(cfg->connections, 1);
	p->conns = g_new0(struct pipe_conn, p->nconns);
	for (int i = 0; i < p->nconns; i++) {
		p->conns[i].fd = -1;
		g_queue_init(&p->conns[i].out);
		g_queue_init(&p->conns[i].expect);
		p->conns[i].in = g_string_new(NULL);
		p->conns[i].reply = g_string_new(NULL);
	}
	return p;
}

static void
pipe_job_free(struct pipe_job *pj)
{
	g_free(pj->error);
	g_free(pj);
}

/* Drop the connection's state (its jobs must have been handed back). */
static void
pipe_conn_reset(struct pipe_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	g_queue_clear_full(&c->out, (GDestroyNotify)g_bytes_unref);
	c->out_off = 0;
	g_string_truncate(c->in, 0);
	g_string_truncate(c->reply, 0);
	g_queue_clear_full(&c->expect, g_free);
	c->cur = c->fin = NULL;
	c->need_rset = FALSE;
	c->pipelining = c->size = FALSE;
}

void
smtp_pipe_free(struct smtp_pipe *p)
{
	if (p == NULL)
		return;
	for (int i = 0; i < p->nconns; i++) {
		struct pipe_conn *c = &p->conns[i];

		/* a polite goodbye, not waited for */
		if (c->fd >= 0 && c->expect.length == 0 &&
		    c->out.length == 0)
			(void)!send(c->fd, "QUIT\r\n", 6,
				    MSG_NOSIGNAL | MSG_DONTWAIT);
		pipe_conn_reset(c);
		g_string_free(c->in, TRUE);
		g_string_free(c->reply, TRUE);
	}
	g_free(p->conns);
	g_free(p->host);
	g_free(p->port);
	g_free(p->helo);
	g_free(p);
}

/* ---- sending ---- */

/* One call of smtp_pipe_send_many(). */
struct pipe_round {
	struct smtp_pipe *p;
	smtp_done_cb_t *done;
	void *ctx;
	gboolean stop;
};


static void
pipe_queue(struct pipe_conn *c, GBytes *b)
{
	if (g_bytes_get_size(b) == 0)
		g_bytes_unref(b);
	else
		g_queue_push_tail(&c->out, b);
}

/* The reply the server owes for what was just queued. */
static void
pipe_expect(struct pipe_conn *c, enum pipe_step step, struct pipe_job *pj)
{
	struct pipe_expect *e = g_new(struct pipe_expect, 1);

	e->step = step;
	e->pj = pj;
	if (pj != NULL)
		pj->pending++;
	g_queue_push_tail(&c->expect, e);
}

static void
pipe_line(struct pipe_conn *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Queue one command line (CRLF added). */
static void
pipe_line(struct pipe_conn *c, const char *fmt, ...)
{
	GString *line = g_string_new(NULL);
	va_list ap;

	va_start(ap, fmt);
	g_string_append_vprintf(line, fmt, ap);
	va_end(ap);
	g_string_append(line, "\r\n");
	pipe_queue(c, g_string_free_to_bytes(line));
}

/* An address as it goes between angle brackets: CR, LF and the brackets
   themselves cannot be part of one (they would end the command). */
static char *
pipe_path(const char *addr)
{
	GString *s = g_string_new(NULL);

	for (const char *a = addr != NULL ? addr : ""; *a != '\0'; a++)
		if (*a != '\r' && *a != '\n' && *a != '<' && *a != '>')
			g_string_append_c(s, *a);
	return g_string_free(s, FALSE);
}

/* Queue the message with its dot: lines that begin with "." get another
   (RFC 5321 4.5.2); a last line without CRLF gets one.  The mail's bytes
   are queued as they are when nothing needs stuffing (the usual case). */
static void
pipe_queue_message(struct pipe_conn *c, GBytes *data)
{
	gsize len;
	const char *d = g_bytes_get_data(data, &len);
	gboolean ends_crlf = len >= 2 && d[len - 2] == '\r' &&
		d[len - 1] == '\n';

	gboolean stuff = len > 0 && d[0] == '.';

	for (const char *nl = d; !stuff && nl != NULL && len > 0;) {
		nl = memchr(nl, '\n', len - (gsize)(nl - d));
		if (nl != NULL && ++nl < d + len && *nl == '.')
			stuff = TRUE;
		if (nl == d + len)
			break;
	}
	if (!stuff) {
		pipe_queue(c, g_bytes_ref(data));
	} else {
		GString *s = g_string_sized_new(len + 64);

		for (gsize i = 0; i < len; i++) {
			if (d[i] == '.' && (i == 0 || d[i - 1] == '\n'))
				g_string_append_c(s, '.');
			g_string_append_c(s, d[i]);
		}
		pipe_queue(c, g_string_free_to_bytes(s));
	}
	pipe_queue(c, g_bytes_new_static(ends_crlf || len == 0 ? ".\r\n" :
					 "\r\n.\r\n", ends_crlf || len == 0 ?
					 3 : 5));
}

/* Queue what the job may send now. */
static void
pipe_job_advance(struct pipe_conn *c, struct pipe_job *pj)
{
	const char *const *rcpt = pj->job->rcpt_to;

	if (pj->code != 0)
		return;
	/* recipients: all at once when pipelining, else one per reply */
	while (pj->rcpt_sent < pj->nrcpt &&
	       (c->pipelining || pj->pending == 0)) {
		guint k = 0;

		for (const char *const *r = rcpt; *r != NULL; r++) {
			char *path;

			if (**r == '\0' || k++ != pj->rcpt_sent)
				continue;
			path = pipe_path(*r);
			pipe_line(c, "RCPT TO:<%s>", path);
			pipe_expect(c, STEP_RCPT, pj);
			g_free(path);
			break;
		}
		pj->rcpt_sent++;
	}
	/* DATA: behind a single RCPT when pipelining (a refused recipient
	   makes the server refuse DATA too), otherwise once every
	   recipient is accepted */
	if (!pj->data_sent && pj->rcpt_sent == pj->nrcpt &&
	    ((c->pipelining && pj->nrcpt == 1) ||
	     pj->rcpt_replied == pj->nrcpt)) {
		pipe_line(c, "DATA");
		pipe_expect(c, STEP_DATA, pj);
		pj->data_sent = TRUE;
	}
}

static void pipe_job_end(struct pipe_round *r, struct pipe_job *pj,
			 int status, char *error);

/* Queue the job's MAIL FROM (and, pipelining, what may follow it). */
static void
pipe_job_mail(struct pipe_conn *c, struct pipe_job *pj)
{
	char *from = pipe_path(pj->job->mail_from);

	if (c->size)
		pipe_line(c, "MAIL FROM:<%s> SIZE=%zu", from,
			  g_bytes_get_size(pj->job->data));
	else
		pipe_line(c, "MAIL FROM:<%s>", from);
	pipe_expect(c, STEP_MAIL, pj);
	g_free(from);
	if (c->pipelining)
		pipe_job_advance(c, pj);
}

/* Start job on connection c (connected, able to take one). */
static void
pipe_job_start(struct pipe_round *round, struct pipe_conn *c,
	       struct smtp_job *job)
{
	struct pipe_job *pj = g_new0(struct pipe_job, 1);

	pj->job = job;
	for (const char *const *r = job->rcpt_to; *r != NULL; r++)
		if (**r != '\0')
			pj->nrcpt++;
	if (pj->nrcpt == 0) {
		pipe_job_end(round, pj, SMTP_PERM, g_strdup("no recipients"));
		return;
	}
	c->cur = pj;
	if (c->need_rset) {
		/* without pipelining MAIL waits for the reply to RSET */
		pipe_line(c, "RSET");
		pipe_expect(c, STEP_RSET, pj);
		c->need_rset = FALSE;
		if (!c->pipelining)
			return;
	}
	pipe_job_mail(c, pj);
}

/* Write what is queued, as far as the socket takes it.  -1 on error. */
static int
pipe_flush(struct pipe_conn *c)
{
	while (c->out.length > 0) {
		struct iovec iov[16];
		int n = 0;
		gsize off = c->out_off;
		ssize_t w;

		for (GList *l = c->out.head; l != NULL && n < 16; l = l->next) {
			gsize len;
			const char *d = g_bytes_get_data(l->data, &len);

			iov[n].iov_base = (char *)d + off;
			iov[n].iov_len = len - off;
			off = 0;
			n++;
		}
		{
			struct msghdr mh = { .msg_iov = iov,
					     .msg_iovlen = (size_t)n };

			w = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		}
		if (w < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ||
				errno == EINTR ? 0 : -1;
		c->last_io = g_get_monotonic_time();
		while (w > 0) {
			GBytes *b = g_queue_peek_head(&c->out);
			gsize left = g_bytes_get_size(b) - c->out_off;

			if ((gsize)w < left) {
				c->out_off += (gsize)w;
				break;
			}
			w -= (ssize_t)left;
			g_bytes_unref(g_queue_pop_head(&c->out));
			c->out_off = 0;
		}
	}
	return 0;
}

/* ---- the session: connect, greeting, EHLO ---- */

/* One whole reply, waited for (session setup only).  Returns the code
   and the text in c->reply, or -1 with *error_r. */
static int pipe_read_reply(struct smtp_pipe *p, struct pipe_conn *c,
			   char **error_r);

static int
pipe_connect(struct smtp_pipe *p, struct pipe_conn *c, char **error_r)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_ADDRCONFIG };
	struct addrinfo *res, *ai;
	int rc, fd = -1, err = 0;

	rc = getaddrinfo(p->host, p->port, &hints, &res);
	if (rc != 0) {
		*error_r = g_strdup_printf("cannot resolve %s: %s", p->host,
					   gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		struct pollfd pfd;
		socklen_t len = sizeof err;

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
			    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = errno;
		if (err == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			rc = poll(&pfd, 1, p->cfg->timeout_seconds * 1000);
			if (rc == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR,
						  &err, &len) == 0 && err == 0)
				break;
			if (rc == 0)
				err = ETIMEDOUT;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		*error_r = g_strdup_printf("cannot connect to %s port %s: %s",
					   p->host, p->port, g_strerror(err));
		return -1;
	}
	c->fd = fd;
	c->last_io = g_get_monotonic_time();
	return 0;
}

/* Say "VERB our-name" (EHLO, HELO) and wait for the reply: its code, or
   -1 with *error_r. */
static int
pipe_hello(struct smtp_pipe *p, struct pipe_conn *c, const char *verb,
	   char **error_r)
{
	pipe_line(c, "%s %s", verb, p->helo);
	if (pipe_flush(c) < 0 || c->out.length > 0) {
		*error_r = g_strdup_printf("cannot send to %s port %s: %s",
					   p->host, p->port,
					   g_strerror(errno));
		return -1;
	}
	return pipe_read_reply(p, c, error_r);
}

/* Connect and greet; FALSE with *error_r (the connection closed). */
static gboolean
pipe_open(struct smtp_pipe *p, struct pipe_conn *c, char **error_r)
{
	int code;

	pipe_conn_reset(c);
	if (pipe_connect(p, c, error_r) < 0)
		return FALSE;
	code = pipe_read_reply(p, c, error_r);
	if (code < 0)
		goto fail;
	if (code != 220) {
		*error_r = g_strdup_printf("greeting: %s (reply code %d)",
					   c->reply->str, code);
		goto fail;
	}
	code = pipe_hello(p, c, "EHLO", error_r);
	if (code < 0)
		goto fail;
	if (code == 250) {
		/* capabilities, one per line after the first */
		char **lines = g_strsplit(c->reply->str, "\n", -1);

		for (char **l = lines + 1; *l != NULL; l++) {
			if (g_ascii_strcasecmp(*l, "PIPELINING") == 0)
				c->pipelining = TRUE;
			else if (g_ascii_strncasecmp(*l, "SIZE", 4) == 0 &&
				 ((*l)[4] == '\0' || (*l)[4] == ' '))
				c->size = TRUE;
		}
		g_strfreev(lines);
	} else {
		/* an old server: HELO, one command at a time */
		code = pipe_hello(p, c, "HELO", error_r);
		if (code < 0)
			goto fail;
		if (code != 250) {
			*error_r = g_strdup_printf("HELO: %s (reply code %d)",
						   c->reply->str, code);
			goto fail;
		}
	}
	log_debug("smtp: connected to %s port %s%s", p->host, p->port,
		  c->pipelining ? ", pipelining" : "");
	return TRUE;
fail:
	pipe_conn_reset(c);
	return FALSE;
}

/* ---- replies ---- */

/*
 * Take one whole reply off c->in: returns its code (text in c->reply, the
 * lines joined with "\n"), 0 when it is not all there yet, -1 when the
 * server sent something that is no SMTP reply.
 */
static int
pipe_parse_reply(struct pipe_conn *c)
{
	gsize pos = 0;

	g_string_truncate(c->reply, 0);
	for (;;) {
		const char *line = c->in->str + pos;
		const char *nl = memchr(line, '\n', c->in->len - pos);
		gsize n;
		int code;

		if (nl == NULL) {
			/* a line longer than any reply: not SMTP */
			return c->in->len - pos > 4096 ? -1 : 0;
		}
		n = (gsize)(nl - line);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n < 3 || !g_ascii_isdigit(line[0]) ||
		    !g_ascii_isdigit(line[1]) || !g_ascii_isdigit(line[2]) ||
		    (n > 3 && line[3] != ' ' && line[3] != '-'))
			return -1;
		code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
			(line[2] - '0');
		if (c->reply->len > 0)
			g_string_append_c(c->reply, '\n');
		if (n > 4)
			g_string_append_len(c->reply, line + 4, (gssize)(n - 4));
		pos = (gsize)(nl - c->in->str) + 1;
		if (n == 3 || line[3] == ' ') {
			g_string_erase(c->in, 0, (gssize)pos);
			return code;
		}
	}
}

/* Read what the socket has; -1 with errno (0: the server closed). */
static int
pipe_fill(struct pipe_conn *c)
{
	char buf[4096];
	ssize_t r = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);

	if (r == 0) {
		errno = 0;
		return -1;
	}
	if (r < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ||
			errno == EINTR ? 0 : -1;
	g_string_append_len(c->in, buf, r);
	c->last_io = g_get_monotonic_time();
	return 0;
}

static char *
pipe_io_error(struct smtp_pipe *p, int err)
{
	if (err == 0)
		return g_strdup_printf("%s port %s closed the connection",
				       p->host, p->port);
	return g_strdup_printf("connection to %s port %s: %s", p->host,
			       p->port, g_strerror(err));
}

/* Why a connection is given up. */
static char *
pipe_not_smtp(struct smtp_pipe *p)
{
	return g_strdup_printf("%s port %s does not speak SMTP", p->host,
			       p->port);
}

static char *
pipe_no_answer(struct smtp_pipe *p)
{
	return g_strdup_printf("no answer from %s port %s within %d s",
			       p->host, p->port, p->cfg->timeout_seconds);
}

static int
pipe_read_reply(struct smtp_pipe *p, struct pipe_conn *c, char **error_r)
{
	for (;;) {
		int code = pipe_parse_reply(c);
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		int rc;

		if (code < 0) {
			*error_r = pipe_not_smtp(p);
			return -1;
		}
		if (code > 0)
			return code;
		rc = poll(&pfd, 1, p->cfg->timeout_seconds * 1000);
		if (rc == 0) {
			*error_r = pipe_no_answer(p);
			return -1;
		}
		if (rc < 0 && errno != EINTR) {
			*error_r = pipe_io_error(p, errno);
			return -1;
		}
		if (rc > 0 && pipe_fill(c) < 0) {
			*error_r = pipe_io_error(p, errno);
			return -1;
		}
	}
}

/* ---- the loop ---- */

/* The job ended: report it, free pj. */
static void
pipe_job_end(struct pipe_round *r, struct pipe_job *pj, int status,
	     char *error)
{
	struct smtp_job *job = pj->job;

	job->status = status;
	job->error = error;
	pipe_job_free(pj);
	if (r->done(job, r->ctx) < 0)
		r->stop = TRUE;
}

static char *
pipe_reply_error(struct smtp_pipe *p, const char *what, int code,
		 const char *text)
{
	char *clean = log_sanitize(text);
	char *s;

	g_strdelimit(clean, "\n", ' ');
	s = g_strdup_printf("SMTP %s: %s: %s (reply code %d)", p->cfg->url,
			    what, clean, code);
	g_free(clean);
	return s;
}

/* The connection is lost: every job on it ends (temporary, unless a
   server's permanent refusal had decided it already). */
static void
pipe_conn_fail(struct pipe_round *r, struct pipe_conn *c, const char *why)
{
	GPtrArray *jobs = g_ptr_array_new();

	/* the job awaiting its dot, the one sending its envelope, and any
	   other still owed a reply: each once, oldest first */
	if (c->fin != NULL)
		g_ptr_array_add(jobs, c->fin);
	for (GList *l = c->expect.head; l != NULL; l = l->next) {
		struct pipe_job *pj = ((struct pipe_expect *)l->data)->pj;

		if (pj != NULL && !g_ptr_array_find(jobs, pj, NULL))
			g_ptr_array_add(jobs, pj);
	}
	if (c->cur != NULL && !g_ptr_array_find(jobs, c->cur, NULL))
		g_ptr_array_add(jobs, c->cur);
	c->cur = c->fin = NULL;
	g_queue_clear_full(&c->expect, g_free);
	pipe_conn_reset(c);
	for (guint i = 0; i < jobs->len; i++) {
		struct pipe_job *pj = jobs->pdata[i];

		if (pj->code >= 500)
			pipe_job_end(r, pj, SMTP_PERM, g_steal_pointer(
				&pj->error));
		else
			pipe_job_end(r, pj, SMTP_TEMP, g_strdup_printf(
				"SMTP %s: %s", r->p->cfg->url, why));
	}
	g_ptr_array_free(jobs, TRUE);
}

/* Refusal of the job (first one wins). */
static void
pipe_job_refused(struct smtp_pipe *p, struct pipe_job *pj, const char *what,
		 int code, const char *text)
{
	if (pj->code != 0)
		return;
	pj->code = code;
	pj->error = pipe_reply_error(p, what, code, text);
}

/* If the job has all its answers, end it.  TRUE when it ended. */
static gboolean
pipe_job_settle(struct pipe_round *r, struct pipe_conn *c,
		struct pipe_job *pj)
{
	if (pj->pending > 0 || (pj->code == 0 && !pj->dot_ok))
		return FALSE;
	if (c->cur == pj)
		c->cur = NULL;
	if (c->fin == pj)
		c->fin = NULL;
	if (pj->code != 0) {
		c->need_rset = TRUE;
		pipe_job_end(r, pj, pj->code >= 500 ? SMTP_PERM : SMTP_TEMP,
			     g_steal_pointer(&pj->error));
	} else {
		pipe_job_end(r, pj, SMTP_OK, NULL);
	}
	return TRUE;
}

/* Handle one reply.  FALSE when the connection had to go. */
static gboolean
pipe_on_reply(struct pipe_round *r, struct pipe_conn *c, int code)
{
	struct smtp_pipe *p = r->p;
	struct pipe_expect *e = g_queue_pop_head(&c->expect);
	struct pipe_job *pj;
	enum pipe_step step;

	if (e == NULL) {
		char *why = g_strdup_printf("unexpected reply %d: %s", code,
					    c->reply->str);

		pipe_conn_fail(r, c, why);
		g_free(why);
		return FALSE;
	}
	pj = e->pj;
	step = e->step;
	g_free(e);
	if (pj != NULL)
		pj->pending--;
	if (code == 421) {
		char *clean = log_sanitize(c->reply->str);
		char *why = g_strdup_printf("the server closes the "
					    "connection: %s (reply code 421)",
					    clean);

		g_strdelimit(why, "\n", ' ');
		if (pj != NULL)
			pipe_job_refused(p, pj, "closing", code, c->reply->str);
		pipe_conn_fail(r, c, why);
		g_free(why);
		g_free(clean);
		return FALSE;
	}
	switch (step) {
	case STEP_RSET:
		if (pj != NULL && !c->pipelining)
			pipe_job_mail(c, pj);
		break;
	case STEP_MAIL:
		if (code / 100 != 2)
			pipe_job_refused(p, pj, "MAIL FROM", code,
					 c->reply->str);
		else if (!c->pipelining)
			pipe_job_advance(c, pj);
		break;
	case STEP_RCPT:
		pj->rcpt_replied++;
		if (code / 100 != 2)
			pipe_job_refused(p, pj, "RCPT TO", code,
					 c->reply->str);
		else
			pipe_job_advance(c, pj);
		break;
	case STEP_DATA:
		if (code == 354 && pj->code != 0) {
			/* DATA accepted although a recipient was refused:
			   the only way out that sends nothing is to hang
			   up */
			pipe_conn_fail(r, c, "DATA accepted after a refused "
				       "recipient");
			return FALSE;
		}
		if (code != 354) {
			pipe_job_refused(p, pj, "DATA", code, c->reply->str);
			break;
		}
		pipe_queue_message(c, pj->job->data);
		pipe_expect(c, STEP_DOT, pj);
		c->cur = NULL;
		c->fin = pj;
		break;
	case STEP_DOT:
		if (code / 100 != 2)
			pipe_job_refused(p, pj, "message", code,
					 c->reply->str);
		else
			pj->dot_ok = TRUE;
		break;
	default:
		break;
	}
	if (pj != NULL)
		pipe_job_settle(r, c, pj);
	return TRUE;
}

/* Can c take another job now? */
static gboolean
pipe_conn_free_for_job(const struct pipe_conn *c)
{
	if (c->fd < 0)
		return TRUE;
	if (c->cur != NULL)
		return FALSE;
	/* pipelining: the next envelope may follow a message whose dot
	   is not answered yet */
	return c->pipelining ? TRUE : c->fin == NULL;
}

/* An idle connection kept from an earlier round may have been closed by
   the server meanwhile (idle timeout, 421): find out before using it. */
static void
pipe_conn_check_idle(struct smtp_pipe *p, struct pipe_conn *c)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };

	if (c->fd < 0 || c->expect.length > 0)
		return;
	if (poll(&pfd, 1, 0) == 1) {
		log_debug("smtp: %s port %s closed the idle connection",
			  p->host, p->port);
		pipe_conn_reset(c);
	}
}

/* Take in what the server sent on c (revents from poll()) and act on its
   whole replies; the connection fails when it broke or sent something
   that is no SMTP reply (replies read before still count). */
static void
pipe_conn_input(struct pipe_round *r, struct pipe_conn *c, short revents)
{
	char *why = NULL;
	int code;

	if ((revents & (POLLIN | POLLHUP | POLLERR)) && pipe_fill(c) < 0)
		why = pipe_io_error(r->p, errno);
	while (c->fd >= 0 && (code = pipe_parse_reply(c)) != 0) {
		if (code < 0) {
			if (why == NULL)
				why = pipe_not_smtp(r->p);
			break;
		}
		if (!pipe_on_reply(r, c, code))
			break;
	}
	if (why != NULL && c->fd >= 0)
		pipe_conn_fail(r, c, why);
	g_free(why);
}

void
smtp_pipe_send_many(struct smtp_pipe *p, struct smtp_job **jobs, guint n,
		    smtp_done_cb_t *done, void *ctx)
{
	struct pipe_round r = { .p = p, .done = done, .ctx = ctx };
	struct pollfd *pfds = g_new(struct pollfd, p->nconns);
	guint next = 0;

	for (int i = 0; i < p->nconns; i++)
		pipe_conn_check_idle(p, &p->conns[i]);
	for (;;) {
		int busy = 0, np = 0;
		gint64 now;

		/* hand out jobs */
		for (int i = 0; i < p->nconns && !r.stop && next < n; i++) {
			struct pipe_conn *c = &p->conns[i];

			if (!pipe_conn_free_for_job(c))
				continue;
			if (c->fd < 0) {
				char *error = NULL;

				/* one attempt per connection and pass */
				if (!pipe_open(p, c, &error)) {
					struct pipe_job *pj = g_new0(
						struct pipe_job, 1);

					pj->job = jobs[next++];
					pipe_job_end(&r, pj, SMTP_TEMP,
						     g_strdup_printf(
						"SMTP %s: %s", p->cfg->url,
						error));
					g_free(error);
					continue;
				}
			}
			pipe_job_start(&r, c, jobs[next++]);
		}
		/* write, and wait for what is in flight */
		for (int i = 0; i < p->nconns; i++) {
			struct pipe_conn *c = &p->conns[i];

			if (c->fd < 0)
				continue;
			if (c->out.length > 0 && pipe_flush(c) < 0) {
				char *why = pipe_io_error(p, errno);

				pipe_conn_fail(&r, c, why);
				g_free(why);
				continue;
			}
			if (c->expect.length == 0 && c->out.length == 0)
				continue;
			busy++;
			pfds[np].fd = c->fd;
			pfds[np].events = POLLIN |
				(c->out.length > 0 ? POLLOUT : 0);
			pfds[np].revents = 0;
			np++;
		}
		if (busy == 0 && (r.stop || next >= n))
			break;
		if (np > 0 && poll(pfds, (nfds_t)np, 1000) < 0) {
			char *why;

			if (errno == EINTR)
				continue;
			/* cannot wait: what is in flight ends here */
			why = g_strdup_printf("poll: %s", g_strerror(errno));
			for (int i = 0; i < p->nconns; i++)
				if (p->conns[i].fd >= 0)
					pipe_conn_fail(&r, &p->conns[i], why);
			g_free(why);
			break;
		}
		now = g_get_monotonic_time();
		for (int i = 0, k = 0; i < p->nconns; i++) {
			struct pipe_conn *c = &p->conns[i];

			if (c->fd < 0 || k >= np || pfds[k].fd != c->fd)
				continue;
			pipe_conn_input(&r, c, pfds[k++].revents);
			if (c->fd >= 0 && (c->expect.length > 0 ||
					   c->out.length > 0) &&
			    now - c->last_io > (gint64)p->cfg->timeout_seconds *
			    G_USEC_PER_SEC) {
				char *why = pipe_no_answer(p);

				pipe_conn_fail(&r, c, why);
				g_free(why);
			}
		}
	}
	g_free(pfds);
}
