/* ticketd: the daemon, its options and signals, and the mail-filter mode. */
#include "autodefs.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "ingest.h"
#include "log.h"
#include "message.h"
#include "outbox.h"
#include "store.h"
#include "template.h"

#define TICKETD_EXIT_USAGE 64
#define TICKETD_EXIT_TEMPFAIL 75

/* 0 run, 1 stop (SIGTERM, SIGINT), 2 reload (SIGHUP): the daemon loop
   returns on any non-zero value after the current message. */
#define TICKETD_STOP 1
#define TICKETD_RELOAD 2
static volatile int ticketd_stop;

static void
ticketd_on_signal(int sig)
{
	if (sig == SIGHUP) {
		if (ticketd_stop == 0)
			ticketd_stop = TICKETD_RELOAD;
	} else {
		ticketd_stop = TICKETD_STOP;
	}
}

static void
ticketd_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = ticketd_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* Read all of standard input. */
static GByteArray *
ticketd_read_stdin(void)
{
	GByteArray *buf = g_byte_array_new();
	guint8 chunk[65536];
	ssize_t n;

	for (;;) {
		n = read(STDIN_FILENO, chunk, sizeof chunk);
		if (n > 0)
			g_byte_array_append(buf, chunk, (guint)n);
		else if (n == 0)
			break;
		else if (errno != EINTR) {
			log_warn("reading standard input");
			g_byte_array_unref(buf);
			return NULL;
		}
	}
	return buf;
}

/* Filter mode: one message on stdin.  0 stored, 75 transient failure. */
static int
ticketd_stdin(struct ingest *ingest, const char *mailbox_name)
{
	const struct config *config = ingest->config;
	const struct config_mailbox *mb;
	enum ingest_result result;
	struct outbox *outbox;
	GByteArray *buf;
	gint64 ticket_id;
	char *error = NULL;

	if (mailbox_name != NULL)
		mb = config_mailbox_find(config, mailbox_name);
	else if (config->mailboxes->len == 1)
		mb = config->mailboxes->pdata[0];
	else
		fatalx(TICKETD_EXIT_USAGE, "%s: several mailboxes: say which "
		       "with --mailbox NAME", config->path);
	if (mb == NULL)
		fatalx(CONFIG_EXIT, "%s: no [mailbox %s] group", config->path,
		       mailbox_name);
	buf = ticketd_read_stdin();
	if (buf == NULL)
		return TICKETD_EXIT_TEMPFAIL;
	if (buf->len == 0) {
		log_error("standard input is empty: no message stored");
		g_byte_array_unref(buf);
		return TICKETD_EXIT_USAGE;
	}
	if (ingest_message(ingest, mb, (const char *)buf->data, buf->len,
			   NULL, &result, &ticket_id, &error) < 0) {
		log_error("mailbox %s: message not stored: %s", mb->name,
			  error);
		g_free(error);
		g_byte_array_unref(buf);
		return TICKETD_EXIT_TEMPFAIL;
	}
	g_byte_array_unref(buf);
	/* Send the acknowledgement now; if the server is away it stays
	   queued for the daemon. */
	outbox = outbox_new(&config->smtp, ingest->store);
	outbox_flush(outbox, FALSE, NULL);
	outbox_free(outbox);
	return 0;
}

/* SIGHUP: read the configuration again and start over with it; a broken
   file is reported and the running configuration kept.  Templates are
   re-read anyway (they also are whenever a file changes). */
static void
ticketd_reload(struct config **config_p, struct store **store_p,
	       struct template_set **templates_p, struct ingest *ingest,
	       const char *config_path)
{
	struct config *config;
	struct store *store = *store_p;
	char *error = NULL;

	config = config_load(config_path != NULL ? config_path :
			     TICKETD_SYSCONFDIR "/ticketd.conf", &error);
	if (config == NULL) {
		log_error("reload: %s; keeping the running configuration",
			  error);
		g_free(error);
		return;
	}
	if (strcmp(config->db_path, (*config_p)->db_path) != 0) {
		store = store_open(config->db_path, &error);
		if (store == NULL) {
			log_error("reload: %s; keeping the running "
				  "configuration", error);
			g_free(error);
			config_free(config);
			return;
		}
	}
	ingest_deinit(ingest);
	template_set_free(*templates_p);
	*templates_p = template_set_new(config->templates_dir,
					TICKETD_DATADIR "/templates");
	if (ingest_init(ingest, config, store, *templates_p, &error) < 0) {
		/* the old store and key still work: keep them */
		log_error("reload: %s", error);
		g_free(error);
		if (store != *store_p)
			store_close(store);
		config_free(config);
		ingest_init(ingest, *config_p, *store_p, *templates_p, &error);
		return;
	}
	if (store != *store_p)
		store_close(*store_p);
	config_free(*config_p);
	*config_p = config;
	*store_p = store;
	log_info("reloaded %s: %u mailbox(es)", config->path,
		 config->mailboxes->len);
}

/* Write our pid to path, kept open and locked while we run so that a
   second ticketd with the same file refuses to start.  Returns the
   descriptor; exits when the file cannot be written or is locked. */
static int
ticketd_pidfile(const char *path)
{
	char buf[32];
	int fd, n;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		fatalx(1, "pidfile %s: %s", path, g_strerror(errno));
	if (lockf(fd, F_TLOCK, 0) < 0) {
		n = (int)read(fd, buf, sizeof buf - 1);
		buf[n > 0 ? n : 0] = '\0';
		g_strchomp(buf);
		fatalx(1, "pidfile %s: another ticketd runs (pid %s)", path,
		       *buf != '\0' ? buf : "?");
	}
	n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || write(fd, buf, (size_t)n) != n)
		fatalx(1, "pidfile %s: %s", path, g_strerror(errno));
	return fd;
}

int
main(int argc, char **argv)
{
	gchar *config_path = NULL, *mailbox = NULL, *log_level = NULL;
	gchar *pidfile = NULL;
	int pid_fd = -1;
	gboolean once = FALSE, use_stdin = FALSE, use_syslog = FALSE;
	gboolean version = FALSE;
	GOptionEntry entries[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
		  "Configuration file (default " TICKETD_SYSCONFDIR
		  "/ticketd.conf)", "FILE" },
		{ "once", 0, 0, G_OPTION_ARG_NONE, &once,
		  "Process waiting mail in every mailbox, send the outbox, "
		  "exit", NULL },
		{ "stdin", 0, 0, G_OPTION_ARG_NONE, &use_stdin,
		  "Store one message read from standard input (mail filter)",
		  NULL },
		{ "mailbox", 'm', 0, G_OPTION_ARG_STRING, &mailbox,
		  "With --stdin: the mailbox the message arrived in", "NAME" },
		{ "syslog", 0, 0, G_OPTION_ARG_NONE, &use_syslog,
		  "Log to syslog instead of standard error", NULL },
		{ "log-level", 0, 0, G_OPTION_ARG_STRING, &log_level,
		  "error, warn, info (default) or debug", "LEVEL" },
		{ "pidfile", 'p', 0, G_OPTION_ARG_FILENAME, &pidfile,
		  "Write the daemon's pid to FILE (locked while it runs)",
		  "FILE" },
		{ "version", 'V', 0, G_OPTION_ARG_NONE, &version,
		  "Print the version and exit", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL }
	};
	struct daemon_options options = { 0 };
	struct template_set *templates;
	struct ingest ingest;
	struct config *config;
	struct store *store;
	GOptionContext *ctx;
	GError *gerr = NULL;
	char *error = NULL;
	int status;

	ctx = g_option_context_new("- turn support mail into tickets");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(ctx,
		"Exit status: 0 success, 64 usage, 75 temporary failure "
		"(try again), 78 configuration error.\n");
	if (!g_option_context_parse(ctx, &argc, &argv, &gerr)) {
		fprintf(stderr, "ticketd: %s\n", gerr->message);
		g_error_free(gerr);
		g_option_context_free(ctx);
		return TICKETD_EXIT_USAGE;
	}
	g_option_context_free(ctx);
	if (version) {
		printf("ticketd %s\n", PACKAGE_VERSION);
		return 0;
	}
	log_init("ticketd", use_syslog);
	if (log_level != NULL) {
		int level = log_level_parse(log_level);

		if (level < 0)
			fatalx(TICKETD_EXIT_USAGE, "unknown log level '%s'",
			       log_level);
		log_set_level((enum log_level)level);
	}
	if (mailbox != NULL && !use_stdin)
		fatalx(TICKETD_EXIT_USAGE, "--mailbox goes with --stdin");
	if (pidfile != NULL && (use_stdin || once))
		fatalx(TICKETD_EXIT_USAGE, "--pidfile is for the daemon, not "
		       "--stdin or --once");

	message_library_init();
	config = config_load(config_path != NULL ? config_path :
			     TICKETD_SYSCONFDIR "/ticketd.conf", &error);
	if (config == NULL)
		fatalx(CONFIG_EXIT, "%s", error);
	for (GList *w = config->warnings; w != NULL; w = w->next)
		log_warnx("%s", (char *)w->data);
	store = store_open(config->db_path, &error);
	if (store == NULL)
		fatalx(use_stdin || once ? TICKETD_EXIT_TEMPFAIL : 1, "%s",
		       error);
	templates = template_set_new(config->templates_dir,
				     TICKETD_DATADIR "/templates");
	if (ingest_init(&ingest, config, store, templates, &error) < 0)
		fatalx(use_stdin ? TICKETD_EXIT_TEMPFAIL : 1, "%s", error);
	ticketd_signals();
	if (pidfile != NULL)
		pid_fd = ticketd_pidfile(pidfile);

	if (use_stdin) {
		status = ticketd_stdin(&ingest, mailbox);
	} else {
		options.once = once;
		options.stop = &ticketd_stop;
		if (!once)
			log_info("ticketd %s started with %u mailbox(es)",
				 PACKAGE_VERSION, config->mailboxes->len);
		for (;;) {
			status = daemon_run(&ingest, &options);
			if (once || ticketd_stop != TICKETD_RELOAD)
				break;
			ticketd_stop = 0;
			ticketd_reload(&config, &store, &templates, &ingest,
				       config_path);
		}
		if (!once)
			log_info("ticketd stopped");
	}
	if (pid_fd >= 0) {
		unlink(pidfile);
		close(pid_fd);
	}
	ingest_deinit(&ingest);
	template_set_free(templates);
	store_close(store);
	config_free(config);
	g_free(pidfile);
	g_free(config_path);
	g_free(mailbox);
	g_free(log_level);
	return status;
}
