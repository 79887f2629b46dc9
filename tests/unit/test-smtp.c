/* Unit tests of ticketd's own SMTP client (smtp-pipe.c) against an
   in-process fake server on a loopback port. */
#include "autodefs.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "smtp.h"
#include "smtp-pipe.h"

/* ---- the fake server ---- */

struct fake {
	int listen_fd;
	int port;
	GThread *thread;
	gboolean pipelining;	/* advertise PIPELINING */
	int close_after_data;	/* hang up instead of answering the n-th
				   message's dot (1-based; 0: never) */
	int idle_close;		/* close each connection after n messages */
	/* what happened, under lock */
	GMutex lock;
	GPtrArray *messages;	/* char *: "from|rcpt,rcpt|data" */
	int connections;
	int ended;		/* sessions over */
	char *ehlo;		/* the last EHLO's argument */
	gboolean early;		/* a command came before the previous reply
				   (the client pipelined) */
	gboolean violation;	/* ... although PIPELINING was not offered,
				   or after DATA */
	gboolean stop;
};

static void
fake_send(int fd, const char *s)
{
	(void)!write(fd, s, strlen(s));
}

/* Read one line (CRLF stripped) from fd through buf; NULL at EOF.
   *more_r: more bytes were already waiting after it. */
static char *
fake_line(int fd, GString *buf, gboolean *more_r)
{
	for (;;) {
		char *nl = memchr(buf->str, '\n', buf->len);
		char tmp[4096];
		ssize_t r;

		if (nl != NULL) {
			gsize n = (gsize)(nl - buf->str);
			char *line = g_strndup(buf->str,
					       n > 0 && buf->str[n - 1] == '\r' ?
					       n - 1 : n);

			g_string_erase(buf, 0, (gssize)n + 1);
			if (more_r != NULL)
				*more_r = buf->len > 0;
			return line;
		}
		r = read(fd, tmp, sizeof tmp);
		if (r <= 0)
			return NULL;
		g_string_append_len(buf, tmp, r);
	}
}

static void
fake_session(struct fake *f, int fd)
{
	GString *buf = g_string_new(NULL);
	char *from = NULL;
	GPtrArray *rcpts = g_ptr_array_new_with_free_func(g_free);
	int delivered = 0;
	char *line;
	gboolean more;

	fake_send(fd, "220 fake ESMTP\r\n");
	while ((line = fake_line(fd, buf, &more)) != NULL) {
		if (more && g_ascii_strncasecmp(line, "EHLO", 4) != 0) {
			g_mutex_lock(&f->lock);
			f->early = TRUE;
			if (!f->pipelining ||
			    g_ascii_strcasecmp(line, "DATA") == 0)
				f->violation = TRUE;
			g_mutex_unlock(&f->lock);
		}
		if (g_ascii_strncasecmp(line, "EHLO", 4) == 0) {
			g_mutex_lock(&f->lock);
			g_free(f->ehlo);
			f->ehlo = g_strdup(line + strspn(line + 4, " ") + 4);
			g_mutex_unlock(&f->lock);
			fake_send(fd, "250-fake\r\n");
			if (f->pipelining)
				fake_send(fd, "250-PIPELINING\r\n");
			fake_send(fd, "250 SIZE 1000000\r\n");
		} else if (g_ascii_strncasecmp(line, "MAIL FROM:<", 11) == 0) {
			g_free(from);
			from = g_strndup(line + 11, strcspn(line + 11, ">"));
			g_ptr_array_set_size(rcpts, 0);
			if (strstr(from, "refuse") != NULL) {
				fake_send(fd, "553 sender refused\r\n");
				g_clear_pointer(&from, g_free);
			} else {
				fake_send(fd, "250 ok\r\n");
			}
		} else if (g_ascii_strncasecmp(line, "RCPT TO:<", 9) == 0) {
			if (from == NULL)
				fake_send(fd, "503 no MAIL\r\n");
			else if (strstr(line, "bad") != NULL)
				fake_send(fd, "550 no such user\r\n");
			else if (strstr(line, "temp") != NULL)
				fake_send(fd, "450 try later\r\n");
			else {
				g_ptr_array_add(rcpts, g_strndup(line + 9,
					strcspn(line + 9, ">")));
				fake_send(fd, "250 ok\r\n");
			}
		} else if (g_ascii_strcasecmp(line, "DATA") == 0) {
			GString *data;
			char *l;

			if (from == NULL || rcpts->len == 0) {
				fake_send(fd, "554 no valid recipients\r\n");
				g_free(line);
				continue;
			}
			fake_send(fd, "354 go ahead\r\n");
			data = g_string_new(NULL);
			while ((l = fake_line(fd, buf, NULL)) != NULL &&
			       strcmp(l, ".") != 0) {
				/* undo dot-stuffing */
				g_string_append(data, l[0] == '.' ? l + 1 : l);
				g_string_append(data, "\r\n");
				g_free(l);
			}
			if (l == NULL) {
				g_string_free(data, TRUE);
				g_free(line);
				break;
			}
			g_free(l);
			delivered++;
			if (f->close_after_data > 0 &&
			    delivered == f->close_after_data) {
				f->close_after_data = 0;
				g_string_free(data, TRUE);
				g_free(line);
				break;
			}
			if (strstr(data->str, "REJECT") != NULL) {
				fake_send(fd, "554 content refused\r\n");
			} else {
				char **r = g_new0(char *, rcpts->len + 1);
				char *joined;

				for (guint i = 0; i < rcpts->len; i++)
					r[i] = rcpts->pdata[i];
				joined = g_strjoinv(",", r);
				g_mutex_lock(&f->lock);
				g_ptr_array_add(f->messages, g_strdup_printf(
					"%s|%s|%s", from, joined, data->str));
				g_mutex_unlock(&f->lock);
				g_free(joined);
				g_free(r);
				fake_send(fd, "250 queued\r\n");
			}
			g_string_free(data, TRUE);
			g_clear_pointer(&from, g_free);
			if (f->idle_close > 0 && delivered >= f->idle_close) {
				g_free(line);
				break;
			}
		} else if (g_ascii_strcasecmp(line, "RSET") == 0) {
			g_clear_pointer(&from, g_free);
			fake_send(fd, "250 reset\r\n");
		} else if (g_ascii_strcasecmp(line, "QUIT") == 0) {
			fake_send(fd, "221 bye\r\n");
			g_free(line);
			break;
		} else {
			fake_send(fd, "500 what?\r\n");
		}
		g_free(line);
	}
	g_free(from);
	g_ptr_array_free(rcpts, TRUE);
	g_string_free(buf, TRUE);
	close(fd);
}

static gpointer
fake_run(gpointer data)
{
	struct fake *f = data;

	for (;;) {
		int fd = accept(f->listen_fd, NULL, NULL);

		if (fd < 0)
			break;
		g_mutex_lock(&f->lock);
		if (f->stop) {
			g_mutex_unlock(&f->lock);
			close(fd);
			break;
		}
		f->connections++;
		g_mutex_unlock(&f->lock);
		fake_session(f, fd);
		g_mutex_lock(&f->lock);
		f->ended++;
		g_mutex_unlock(&f->lock);
	}
	return NULL;
}

static struct fake *
fake_start(gboolean pipelining)
{
	struct fake *f = g_new0(struct fake, 1);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof sa;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->pipelining = pipelining;
	f->messages = g_ptr_array_new_with_free_func(g_free);
	g_mutex_init(&f->lock);
	f->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	g_assert_cmpint(bind(f->listen_fd, (struct sockaddr *)&sa, sizeof sa),
			==, 0);
	g_assert_cmpint(listen(f->listen_fd, 8), ==, 0);
	g_assert_cmpint(getsockname(f->listen_fd, (struct sockaddr *)&sa,
				    &len), ==, 0);
	f->port = ntohs(sa.sin_port);
	f->thread = g_thread_new("fake-smtp", fake_run, f);
	return f;
}

static void
fake_stop(struct fake *f)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)f->port) };

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	g_mutex_lock(&f->lock);
	f->stop = TRUE;
	g_mutex_unlock(&f->lock);
	/* wake accept() */
	(void)!connect(fd, (struct sockaddr *)&sa, sizeof sa);
	close(fd);
	g_thread_join(f->thread);
	close(f->listen_fd);
	g_ptr_array_free(f->messages, TRUE);
	g_free(f->ehlo);
	g_mutex_clear(&f->lock);
	g_free(f);
}

/* ---- the client side ---- */

struct outcome {
	GPtrArray *order;	/* struct smtp_job *, as reported */
	int stop_after_temp;	/* return -1 after a temporary failure */
};

static int
on_done(struct smtp_job *job, void *ctx)
{
	struct outcome *o = ctx;

	g_ptr_array_add(o->order, job);
	return o->stop_after_temp && job->status == SMTP_TEMP ? -1 : 0;
}

static struct config_smtp *
smtp_config(int port)
{
	struct config_smtp *cfg = g_new0(struct config_smtp, 1);

	cfg->url = g_strdup_printf("smtp://127.0.0.1:%d", port);
	cfg->timeout_seconds = 5;
	cfg->connections = 1;
	cfg->pipelining = TRUE;
	return cfg;
}

static void
smtp_config_free(struct config_smtp *cfg)
{
	g_free(cfg->url);
	g_free(cfg);
}

struct jobset {
	struct smtp_job jobs[8];
	struct smtp_job *ptrs[8];
	const char *rcpts[8][3];
	guint n;
};

static void
jobset_add(struct jobset *js, const char *from, const char *rcpt1,
	   const char *rcpt2, const char *data)
{
	struct smtp_job *j = &js->jobs[js->n];

	js->rcpts[js->n][0] = rcpt1;
	js->rcpts[js->n][1] = rcpt2;
	js->rcpts[js->n][2] = NULL;
	j->mail_from = from;
	j->rcpt_to = js->rcpts[js->n];
	j->data = g_bytes_new_static(data, strlen(data));
	j->status = 99;
	js->ptrs[js->n] = j;
	js->n++;
}

static void
jobset_clear(struct jobset *js)
{
	for (guint i = 0; i < js->n; i++) {
		g_bytes_unref(js->jobs[i].data);
		g_free(js->jobs[i].error);
	}
}

/* Free what a test made (js2 may be empty, f NULL). */
static void
test_end(struct fake *f, struct config_smtp *cfg, struct smtp_client *client,
	 struct outcome *o, struct jobset *js, struct jobset *js2)
{
	smtp_client_free(client);
	jobset_clear(js);
	jobset_clear(js2);
	g_ptr_array_free(o->order, TRUE);
	smtp_config_free(cfg);
	if (f != NULL)
		fake_stop(f);
}

static const char STUFFED[] =
	"Subject: dots\r\n\r\n.leading dot\r\n..two\r\nend\r\n.";

/* Every outcome, with and without PIPELINING offered: accepted mails
   arrive byte for byte (dots unstuffed), refusals map to permanent or
   temporary with the server's words, and nothing is delivered for a
   refused mail. */
static void
check_outcomes(gboolean pipelining)
{
	struct fake *f = fake_start(pipelining);
	struct config_smtp *cfg = smtp_config(f->port);
	struct smtp_client *client = smtp_client_new(cfg);
	struct outcome o = { .order = g_ptr_array_new() };
	struct jobset js = { 0 }, js2 = { 0 };

	jobset_add(&js, "support@example.com", "ann@example.net", NULL,
		   "Subject: one\r\n\r\nHello\r\n");
	jobset_add(&js, "support@example.com", "bad@example.net", NULL,
		   "Subject: two\r\n\r\nnot delivered\r\n");
	jobset_add(&js, "support@example.com", "ann@example.net",
		   "bad@example.net", "Subject: three\r\n\r\nnone of it\r\n");
	jobset_add(&js, "support@example.com", "temp@example.net", NULL,
		   "Subject: four\r\n\r\nlater\r\n");
	jobset_add(&js, "refuse@example.com", "ann@example.net", NULL,
		   "Subject: five\r\n\r\nno\r\n");
	jobset_add(&js, "", "bob@example.net", NULL, STUFFED);
	jobset_add(&js, "support@example.com", "ann@example.net", NULL,
		   "Subject: REJECT\r\n\r\nrefused after the dot\r\n");
	jobset_add(&js, "support@example.com", "ann@example.net",
		   "bob@example.net", "Subject: eight\r\n\r\nboth\r\n");

	smtp_client_send_many(client, js.ptrs, js.n, on_done, &o);

	g_assert_cmpuint(o.order->len, ==, js.n);
	for (guint i = 0; i < js.n; i++)	/* one connection: in order */
		g_assert_true(o.order->pdata[i] == &js.jobs[i]);
	g_assert_cmpint(js.jobs[0].status, ==, SMTP_OK);
	g_assert_null(js.jobs[0].error);
	g_assert_cmpint(js.jobs[1].status, ==, SMTP_PERM);
	g_assert_nonnull(strstr(js.jobs[1].error, "no such user"));
	g_assert_nonnull(strstr(js.jobs[1].error, "550"));
	g_assert_cmpint(js.jobs[2].status, ==, SMTP_PERM);
	g_assert_cmpint(js.jobs[3].status, ==, SMTP_TEMP);
	g_assert_nonnull(strstr(js.jobs[3].error, "450"));
	g_assert_cmpint(js.jobs[4].status, ==, SMTP_PERM);
	g_assert_nonnull(strstr(js.jobs[4].error, "sender refused"));
	g_assert_cmpint(js.jobs[5].status, ==, SMTP_OK);
	g_assert_cmpint(js.jobs[6].status, ==, SMTP_PERM);
	g_assert_nonnull(strstr(js.jobs[6].error, "content refused"));
	g_assert_cmpint(js.jobs[7].status, ==, SMTP_OK);

	g_mutex_lock(&f->lock);
	g_assert_cmpuint(f->messages->len, ==, 3);
	g_assert_cmpstr(f->messages->pdata[0], ==,
			"support@example.com|ann@example.net|"
			"Subject: one\r\n\r\nHello\r\n");
	/* the last line got its CRLF, the dots came back unchanged */
	g_assert_cmpstr(f->messages->pdata[1], ==,
			"|bob@example.net|Subject: dots\r\n\r\n"
			".leading dot\r\n..two\r\nend\r\n.\r\n");
	g_assert_cmpstr(f->messages->pdata[2], ==,
			"support@example.com|ann@example.net,bob@example.net|"
			"Subject: eight\r\n\r\nboth\r\n");
	g_assert_cmpint(f->connections, ==, 1);
	g_assert_false(f->violation);
	g_assert_true(f->early == pipelining);
	g_mutex_unlock(&f->lock);

	test_end(f, cfg, client, &o, &js, &js2);
}

static void
test_smtp_pipelined(void)
{
	check_outcomes(TRUE);
}

static void
test_smtp_one_at_a_time(void)
{
	check_outcomes(FALSE);
}

/* The server hangs up before answering a message's dot: that mail and
   the one pipelined behind it are temporary failures (the first may
   have arrived: at-least-once); the next round connects again. */
static void
test_smtp_lost_connection(void)
{
	struct fake *f = fake_start(TRUE);
	struct config_smtp *cfg = smtp_config(f->port);
	struct smtp_client *client = smtp_client_new(cfg);
	struct outcome o = { .order = g_ptr_array_new(),
			     .stop_after_temp = 1 };
	struct jobset js = { 0 }, js2 = { 0 };

	f->close_after_data = 2;
	for (int i = 0; i < 5; i++)
		jobset_add(&js, "support@example.com", "ann@example.net", NULL,
			   "Subject: x\r\n\r\nbody\r\n");
	smtp_client_send_many(client, js.ptrs, js.n, on_done, &o);
	g_assert_cmpint(js.jobs[0].status, ==, SMTP_OK);
	g_assert_cmpint(js.jobs[1].status, ==, SMTP_TEMP);
	g_assert_nonnull(strstr(js.jobs[1].error, "closed the connection"));
	/* reported: what was in flight; not started: the rest */
	g_assert_cmpuint(o.order->len, <=, 3);
	for (guint i = o.order->len; i < js.n; i++)
		g_assert_cmpint(js.jobs[i].status, ==, 99);

	g_ptr_array_set_size(o.order, 0);
	jobset_add(&js2, "support@example.com", "ann@example.net", NULL,
		   "Subject: y\r\n\r\nagain\r\n");
	smtp_client_send_many(client, js2.ptrs, js2.n, on_done, &o);
	g_assert_cmpint(js2.jobs[0].status, ==, SMTP_OK);
	g_mutex_lock(&f->lock);
	g_assert_cmpint(f->connections, ==, 2);
	g_mutex_unlock(&f->lock);

	test_end(f, cfg, client, &o, &js, &js2);
}

/* A connection the server closed while it was idle between rounds is
   noticed before use: the next mail goes out on a new one. */
static void
test_smtp_idle_closed(void)
{
	struct fake *f = fake_start(TRUE);
	struct config_smtp *cfg = smtp_config(f->port);
	struct smtp_client *client = smtp_client_new(cfg);
	struct outcome o = { .order = g_ptr_array_new() };
	struct jobset js = { 0 }, js2 = { 0 };

	f->idle_close = 1;
	jobset_add(&js, "support@example.com", "ann@example.net", NULL,
		   "Subject: a\r\n\r\nfirst\r\n");
	smtp_client_send_many(client, js.ptrs, js.n, on_done, &o);
	g_assert_cmpint(js.jobs[0].status, ==, SMTP_OK);
	/* the server hung up */
	for (int i = 0; i < 5000; i++) {
		int ended;

		g_mutex_lock(&f->lock);
		ended = f->ended;
		g_mutex_unlock(&f->lock);
		if (ended > 0)
			break;
		g_usleep(1000);
	}
	jobset_add(&js2, "support@example.com", "ann@example.net", NULL,
		   "Subject: b\r\n\r\nsecond\r\n");
	smtp_client_send_many(client, js2.ptrs, js2.n, on_done, &o);
	g_assert_cmpint(js2.jobs[0].status, ==, SMTP_OK);
	g_mutex_lock(&f->lock);
	g_assert_cmpuint(f->messages->len, ==, 2);
	g_assert_cmpint(f->connections, ==, 2);
	g_mutex_unlock(&f->lock);

	test_end(f, cfg, client, &o, &js, &js2);
}

/* Nobody listens: a temporary failure that says so. */
static void
test_smtp_refused(void)
{
	struct fake *f = fake_start(TRUE);
	int port = f->port;
	struct config_smtp *cfg;
	struct smtp_client *client;
	struct outcome o = { .order = g_ptr_array_new(),
			     .stop_after_temp = 1 };
	struct jobset js = { 0 }, js2 = { 0 };

	fake_stop(f);		/* the port is free again */
	cfg = smtp_config(port);
	client = smtp_client_new(cfg);
	jobset_add(&js, "support@example.com", "ann@example.net", NULL,
		   "Subject: a\r\n\r\nx\r\n");
	jobset_add(&js, "support@example.com", "ann@example.net", NULL,
		   "Subject: b\r\n\r\ny\r\n");
	smtp_client_send_many(client, js.ptrs, js.n, on_done, &o);
	g_assert_cmpuint(o.order->len, ==, 1);
	g_assert_cmpint(js.jobs[0].status, ==, SMTP_TEMP);
	g_assert_nonnull(strstr(js.jobs[0].error, "cannot connect"));
	g_assert_cmpint(js.jobs[1].status, ==, 99);

	test_end(NULL, cfg, client, &o, &js, &js2);
}

/* The URL's path is the name said in EHLO, as with libcurl. */
static void
test_smtp_ehlo_name(void)
{
	struct fake *f = fake_start(TRUE);
	struct config_smtp *cfg = smtp_config(f->port);
	struct smtp_client *client;
	struct outcome o = { .order = g_ptr_array_new() };
	struct jobset js = { 0 }, js2 = { 0 };

	g_free(cfg->url);
	cfg->url = g_strdup_printf("smtp://127.0.0.1:%d/mx.example.org",
				   f->port);
	client = smtp_client_new(cfg);
	jobset_add(&js, "support@example.com", "ann@example.net", NULL,
		   "Subject: a\r\n\r\nx\r\n");
	smtp_client_send_many(client, js.ptrs, js.n, on_done, &o);
	g_assert_cmpint(js.jobs[0].status, ==, SMTP_OK);
	g_mutex_lock(&f->lock);
	g_assert_cmpstr(f->ehlo, ==, "mx.example.org");
	g_mutex_unlock(&f->lock);
	test_end(f, cfg, client, &o, &js, &js2);
}

/* Which configurations get the own client. */
static void
test_smtp_usable(void)
{
	struct config_smtp *cfg = smtp_config(2525);

	g_assert_true(smtp_pipe_usable(cfg));
	cfg->starttls = TRUE;
	g_assert_false(smtp_pipe_usable(cfg));
	cfg->starttls = FALSE;
	cfg->user = "agent";
	g_assert_false(smtp_pipe_usable(cfg));
	cfg->user = NULL;
	cfg->pipelining = FALSE;
	g_assert_false(smtp_pipe_usable(cfg));
	cfg->pipelining = TRUE;
	g_free(cfg->url);
	cfg->url = g_strdup("smtps://127.0.0.1:465");
	g_assert_false(smtp_pipe_usable(cfg));
	g_free(cfg->url);
	cfg->url = g_strdup("smtp://[::1]");
	g_assert_true(smtp_pipe_usable(cfg));
	smtp_config_free(cfg);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/smtp/pipelined", test_smtp_pipelined);
	g_test_add_func("/smtp/one-at-a-time", test_smtp_one_at_a_time);
	g_test_add_func("/smtp/lost-connection", test_smtp_lost_connection);
	g_test_add_func("/smtp/idle-closed", test_smtp_idle_closed);
	g_test_add_func("/smtp/refused", test_smtp_refused);
	g_test_add_func("/smtp/ehlo-name", test_smtp_ehlo_name);
	g_test_add_func("/smtp/usable", test_smtp_usable);
	return g_test_run();
}
