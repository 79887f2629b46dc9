#ifndef TICKETD_LOG_H
#define TICKETD_LOG_H

#include <glib.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* Start logging as progname, to stderr or (use_syslog) to syslog. */
void log_init(const char *progname, gboolean use_syslog);

/* Messages above level are dropped. */
void log_set_level(enum log_level level);

/* Parse "error", "warn", "info" or "debug"; -1 when unknown. */
int log_level_parse(const char *name);

/* Log a warning with ": strerror(errno)" appended. */
void log_warn(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* Log a warning as given. */
void log_warnx(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* Log an error (a failure that lost work or needs the admin). */
void log_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void log_info(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void log_debug(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* Log and exit(status); for start-up failures only. */
void fatalx(int status, const char *fmt, ...) G_GNUC_PRINTF(2, 3)
	G_GNUC_NORETURN;

/* Return a newly allocated copy of s safe for a log line: CR, LF and other
   control characters replaced by '?', cut to 200 bytes.  NULL gives "". */
char *log_sanitize(const char *s);

#endif
