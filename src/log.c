/* Logging to stderr or syslog, with levels. */
#include "autodefs.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char *log_progname = "ticketd";
static gboolean log_syslog;
static enum log_level log_max_level = LOG_LEVEL_INFO;

void
log_init(const char *progname, gboolean use_syslog)
{
	log_progname = progname;
	log_syslog = use_syslog;
	if (use_syslog)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
log_set_level(enum log_level level)
{
	log_max_level = level;
}

int
log_level_parse(const char *name)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };

	for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
		if (g_ascii_strcasecmp(name, names[i]) == 0)
			return (int)i;
	if (g_ascii_strcasecmp(name, "warning") == 0)
		return LOG_LEVEL_WARN;
	return -1;
}

static void
log_vwrite(enum log_level level, const char *suffix, const char *fmt,
	   va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	static const char *const tags[] = { "error", "warning", "info",
					    "debug" };
	char *text;

	if (level > log_max_level)
		return;
	text = g_strdup_vprintf(fmt, ap);
	if (log_syslog) {
		syslog(prio[level], "%s%s%s", text, suffix ? ": " : "",
		       suffix ? suffix : "");
	} else {
		char stamp[32];
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(stderr, "%s %s[%d]: %s: %s%s%s\n", stamp, log_progname,
			(int)getpid(), tags[level], text, suffix ? ": " : "",
			suffix ? suffix : "");
		fflush(stderr);
	}
	g_free(text);
}

void
log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_WARN, g_strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
}

#define LOG_FUNC(name, level)					\
void								\
name(const char *fmt, ...)					\
{								\
	va_list ap;						\
								\
	va_start(ap, fmt);					\
	log_vwrite(level, NULL, fmt, ap);			\
	va_end(ap);						\
}

LOG_FUNC(log_warnx, LOG_LEVEL_WARN)
LOG_FUNC(log_error, LOG_LEVEL_ERROR)
LOG_FUNC(log_info, LOG_LEVEL_INFO)
LOG_FUNC(log_debug, LOG_LEVEL_DEBUG)

void
fatalx(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERROR, NULL, fmt, ap);
	va_end(ap);
	exit(status);
}

char *
log_sanitize(const char *s)
{
	GString *out;

	if (s == NULL)
		return g_strdup("");
	out = g_string_new(NULL);
	for (const unsigned char *p = (const unsigned char *)s;
	     *p != '\0' && out->len < 200; p++)
		g_string_append_c(out, (*p < 0x20 || *p == 0x7f) ? '?' : *p);
	if (strlen(s) > out->len)
		g_string_append(out, "...");
	return g_string_free(out, FALSE);
}
