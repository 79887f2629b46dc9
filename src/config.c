/* Configuration: one INI file read with GKeyFile and checked into
   struct config.  Every error names the file, the group and the key. */
#include "autodefs.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>
#include <gmime/gmime.h>

#include "config.h"
#include "log.h"


static const char *const config_database_keys[] = {
	"path", "secret_file", NULL
};
static const char *const config_smtp_keys[] = {
	"url", "starttls", "verify", "user", "password", "password_file",
	"password_env",
	"from", "timeout_seconds", "max_retry_hours", "connections",
	"pipelining", NULL
};
static const char *const config_templates_keys[] = { "dir", NULL };
static const char *const config_mailbox_keys[] = {
	"imap", "user", "password", "password_file", "password_env", "tls",
	"verify", "max_auto_per_hour", "autoreply_subjects",
	"max_message_bytes",
	"address", "name", "tag", "poll_seconds", "timeout_seconds",
	"processed_folder",
	"batch_size", "ack", "agents", "tier2", "notify", "agent_auth",
	"authserv_id", "reopen_days", "autoclose_days",
	"first_response_minutes", "resolution_hours", "status_keywords",
	"language", "survey", "survey_delay", "survey_cooldown_days",
	"campaign_cap_days", NULL
};
static const char *const config_campaign_keys[] = {
	"template", "mailbox", "min_rating", "keywords", "domains", "delay",
	"cap_days", "unsubscribe_url", NULL
};

struct config_reader {
	GKeyFile *kf;
	const char *path;
	char *error;		/* first error, owned */
	gboolean has_password;	/* a password is written in the file */
};

static void G_GNUC_PRINTF(4, 5)
config_fail(struct config_reader *r, const char *group, const char *key,
	    const char *fmt, ...)
{
	va_list ap;
	char *what;

	if (r->error != NULL)
		return;
	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (key != NULL)
		r->error = g_strdup_printf("%s: [%s] %s: %s", r->path, group,
					   key, what);
	else
		r->error = g_strdup_printf("%s: [%s]: %s", r->path, group,
					   what);
	g_free(what);
}

/* Return the trimmed string value of group/key, or NULL when absent. */
static char *
config_get(struct config_reader *r, const char *group, const char *key)
{
	char *v = g_key_file_get_string(r->kf, group, key, NULL);

	if (v == NULL)
		return NULL;
	/* Allow "key = value   # comment" as the documented examples show;
	   passwords are taken whole. */
	if (strcmp(key, "password") != 0) {
		for (char *p = v; *p != '\0'; p++) {
			if (*p == '#' && p > v && (p[-1] == ' ' || p[-1] == '\t')) {
				*p = '\0';
				break;
			}
		}
	}
	g_strstrip(v);
	return v;
}

static char *
config_get_required(struct config_reader *r, const char *group,
		    const char *key)
{
	char *v = config_get(r, group, key);

	if (v == NULL || *v == '\0') {
		config_fail(r, group, key, "missing value (required)");
		g_free(v);
		return NULL;
	}
	return v;
}

static gboolean
config_get_bool(struct config_reader *r, const char *group, const char *key,
		gboolean def)
{
	char *v = config_get(r, group, key);
	gboolean result = def;

	if (v == NULL)
		return def;
	if (g_ascii_strcasecmp(v, "yes") == 0 ||
	    g_ascii_strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
	    g_ascii_strcasecmp(v, "on") == 0)
		result = TRUE;
	else if (g_ascii_strcasecmp(v, "no") == 0 ||
		 g_ascii_strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0 ||
		 g_ascii_strcasecmp(v, "off") == 0)
		result = FALSE;
	else
		config_fail(r, group, key, "'%s' is not yes or no", v);
	g_free(v);
	return result;
}

static int
config_get_int(struct config_reader *r, const char *group, const char *key,
	       int def, int min, int max)
{
	char *v = config_get(r, group, key);
	char *end;
	long n;

	if (v == NULL)
		return def;
	errno = 0;
	n = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || n < min || n > max) {
		config_fail(r, group, key,
			    "'%s' is not a whole number from %d to %d", v,
			    min, max);
		n = def;
	}
	g_free(v);
	return (int)n;
}

static void config_check_keys(struct config_reader *r, const char *group,
			      const char *const *allowed);

int
config_parse_duration(const char *text)
{
	char *end;
	gint64 n, unit = 1;

	if (text == NULL || !g_ascii_isdigit(*text))
		return -1;
	n = g_ascii_strtoll(text, &end, 10);
	while (*end == ' ')
		end++;
	switch (*end) {
	case '\0':
		break;
	case 's':
		end++;
		break;
	case 'm':
		unit = 60;
		end++;
		break;
	case 'h':
		unit = 3600;
		end++;
		break;
	case 'd':
		unit = 86400;
		end++;
		break;
	default:
		return -1;
	}
	if (*end != '\0' || n < 0 || n * unit > G_MAXINT)
		return -1;
	return (int)(n * unit);
}

static int
config_get_duration(struct config_reader *r, const char *group,
		    const char *key, int def)
{
	char *v = config_get(r, group, key);
	int n;

	if (v == NULL)
		return def;
	n = config_parse_duration(v);
	if (n < 0) {
		config_fail(r, group, key, "'%s' is not a duration (e.g. 90, "
			    "30m, 2h, 1d)", v);
		n = def;
	}
	g_free(v);
	return n;
}

/* A comma-separated list, lower case, or NULL when absent/empty. */
static char **
config_get_list(struct config_reader *r, const char *group, const char *key)
{
	char *v = config_get(r, group, key), *lower;
	char **list, **out;
	int n = 0;

	if (v == NULL)
		return NULL;
	lower = g_utf8_strdown(v, -1);
	list = g_strsplit(lower, ",", -1);
	out = g_new0(char *, g_strv_length(list) + 1);
	for (char **p = list; *p != NULL; p++) {
		g_strstrip(*p);
		if (**p != '\0')
			out[n++] = g_strdup(*p);
	}
	g_strfreev(list);
	g_free(lower);
	g_free(v);
	if (n == 0) {
		g_free(out);
		return NULL;
	}
	return out;
}

static void
config_campaign_free(gpointer p)
{
	struct config_campaign *c = p;

	g_free(c->name);
	g_free(c->template);
	g_free(c->mailbox);
	g_strfreev(c->keywords);
	g_strfreev(c->domains);
	g_free(c->unsubscribe_url);
	g_free(c);
}

static struct config_campaign *
config_read_campaign(struct config_reader *r, const struct config *config,
		     const char *group)
{
	struct config_campaign *c = g_new0(struct config_campaign, 1);

	c->name = g_strstrip(g_strdup(group + strlen("campaign ")));
	if (*c->name == '\0' || strpbrk(c->name, " \t/\\") != NULL)
		config_fail(r, group, NULL,
			    "a campaign name must be one word without slashes");
	config_check_keys(r, group, config_campaign_keys);
	c->template = config_get_required(r, group, "template");
	if (c->template != NULL &&
	    strspn(c->template, "abcdefghijklmnopqrstuvwxyz"
		   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
	    strlen(c->template))
		config_fail(r, group, "template",
			    "'%s' is not a template name", c->template);
	c->mailbox = config_get_required(r, group, "mailbox");
	if (c->mailbox != NULL && config_mailbox_find(config, c->mailbox) == NULL)
		config_fail(r, group, "mailbox", "no [mailbox %s] group",
			    c->mailbox);
	c->min_rating = config_get_int(r, group, "min_rating", 0, 1, 5);
	c->keywords = config_get_list(r, group, "keywords");
	c->domains = config_get_list(r, group, "domains");
	c->delay = config_get_duration(r, group, "delay", 0);
	c->cap_days = config_get_int(r, group, "cap_days", 90, 0, 36500);
	c->unsubscribe_url = config_get(r, group, "unsubscribe_url");
	if (c->unsubscribe_url != NULL &&
	    !g_str_has_prefix(c->unsubscribe_url, "https://"))
		config_fail(r, group, "unsubscribe_url",
			    "'%s' is not an https:// URL", c->unsubscribe_url);
	return c;
}

/* Read a password from "password", "password_file" (first line) or
   "password_env" (an environment variable). */
static char *
config_get_password(struct config_reader *r, const char *group)
{
	char *pw = config_get(r, group, "password");
	char *file = config_get(r, group, "password_file");
	char *env = config_get(r, group, "password_env");
	char *contents = NULL;
	GError *err = NULL;

	if ((pw != NULL) + (file != NULL) + (env != NULL) > 1) {
		config_fail(r, group, file != NULL ? "password_file" :
			    "password_env", "give one of password, "
			    "password_file and password_env");
		g_free(file);
		g_free(env);
		return pw;
	}
	if (env != NULL) {
		const char *v = g_getenv(env);

		if (v == NULL)
			config_fail(r, group, "password_env",
				    "environment variable %s is not set", env);
		g_free(env);
		return v != NULL ? g_strdup(v) : NULL;
	}
	if (pw != NULL)
		r->has_password = TRUE;
	if (file == NULL)
		return pw;
	if (!g_file_get_contents(file, &contents, NULL, &err)) {
		config_fail(r, group, "password_file", "%s", err->message);
		g_error_free(err);
		g_free(file);
		return NULL;
	}
	g_free(file);
	contents[strcspn(contents, "\r\n")] = '\0';
	return contents;
}

static void
config_check_keys(struct config_reader *r, const char *group,
		  const char *const *allowed)
{
	char **keys = g_key_file_get_keys(r->kf, group, NULL, NULL);

	for (char **k = keys; k != NULL && *k != NULL; k++)
		if (!g_strv_contains(allowed, *k))
			config_fail(r, group, *k, "unknown key");
	g_strfreev(keys);
}

/* Split "Name <addr>" with GMime's address parser. */
static gboolean
config_parse_address(const char *text, char **name_r, char **addr_r)
{
	InternetAddressList *list;
	InternetAddress *ia;
	gboolean ok = FALSE;

	list = internet_address_list_parse(NULL, text);
	if (list == NULL)
		return FALSE;
	if (internet_address_list_length(list) == 1) {
		ia = internet_address_list_get_address(list, 0);
		if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			const char *a = internet_address_mailbox_get_addr(
				INTERNET_ADDRESS_MAILBOX(ia));
			const char *n = internet_address_get_name(ia);

			if (a != NULL && strchr(a, '@') != NULL) {
				*addr_r = g_strdup(a);
				*name_r = g_strdup(n != NULL ? n : "");
				ok = TRUE;
			}
		}
	}
	g_object_unref(list);
	return ok;
}

/* Parse scheme://host[:port][/path] for the given schemes. */
static gboolean
config_parse_url(const char *url, const char *plain, const char *tls,
		 gboolean *tls_r, char **host_r, int *port_r, char **path_r)
{
	GUri *uri = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);
	const char *scheme;
	gboolean ok = FALSE;

	if (uri == NULL)
		return FALSE;
	scheme = g_uri_get_scheme(uri);
	if (scheme != NULL && g_uri_get_host(uri) != NULL &&
	    *g_uri_get_host(uri) != '\0' &&
	    (g_ascii_strcasecmp(scheme, plain) == 0 ||
	     g_ascii_strcasecmp(scheme, tls) == 0)) {
		*tls_r = g_ascii_strcasecmp(scheme, tls) == 0;
		*host_r = g_strdup(g_uri_get_host(uri));
		*port_r = g_uri_get_port(uri);
		if (path_r != NULL) {
			const char *p = g_uri_get_path(uri);

			while (*p == '/')
				p++;
			*path_r = g_strdup(*p != '\0' ? p : "INBOX");
		}
		ok = TRUE;
	}
	g_uri_unref(uri);
	return ok;
}

static void
config_agent_free(gpointer p)
{
	struct config_agent *a = p;

	g_free(a->addr);
	g_free(a->name);
	g_free(a);
}

/* Parse a comma-separated list of addresses into agents. */
static void
config_read_agents(struct config_reader *r, const char *group,
		   const char *key, GPtrArray *agents)
{
	char *v = config_get(r, group, key);
	InternetAddressList *list;

	if (v == NULL || *v == '\0') {
		g_free(v);
		return;
	}
	list = internet_address_list_parse(NULL, v);
	for (int i = 0; list != NULL &&
	     i < internet_address_list_length(list); i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);
		const char *addr, *name;
		struct config_agent *a;

		if (!INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			config_fail(r, group, key, "groups are not allowed");
			break;
		}
		addr = internet_address_mailbox_get_addr(
			INTERNET_ADDRESS_MAILBOX(ia));
		if (addr == NULL || strchr(addr, '@') == NULL) {
			config_fail(r, group, key,
				    "'%s' is not a mail address",
				    addr != NULL ? addr : "");
			break;
		}
		name = internet_address_get_name(ia);
		a = g_new0(struct config_agent, 1);
		a->addr = g_ascii_strdown(addr, -1);
		a->name = g_strdup(name != NULL ? name : "");
		g_ptr_array_add(agents, a);
	}
	if (list == NULL || internet_address_list_length(list) == 0)
		config_fail(r, group, key, "'%s' is not a list of addresses",
			    v);
	if (list != NULL)
		g_object_unref(list);
	g_free(v);
}

static void
config_mailbox_free(gpointer p)
{
	struct config_mailbox *mb = p;

	if (mb->agents != NULL)
		g_ptr_array_free(mb->agents, TRUE);
	if (mb->tier2 != NULL)
		g_ptr_array_free(mb->tier2, TRUE);
	g_free(mb->notify);
	g_free(mb->authserv_id);
	g_strfreev(mb->status_keywords);
	g_free(mb->language);
	g_strfreev(mb->autoreply_subjects);

	g_free(mb->name);
	g_free(mb->imap_url);
	g_free(mb->host);
	g_free(mb->folder);
	g_free(mb->user);
	g_free(mb->password);
	g_free(mb->address);
	g_free(mb->display_name);
	g_free(mb->tag);
	g_free(mb->processed_folder);
	g_free(mb);
}

static struct config_mailbox *
config_read_mailbox(struct config_reader *r, const struct config *config,
		    const char *group)
{
	struct config_mailbox *mb = g_new0(struct config_mailbox, 1);
	gboolean implicit_tls = FALSE;
	char *tls, *addr_name = NULL, *addr = NULL, *v;

	mb->name = g_strdup(group + strlen("mailbox "));
	g_strstrip(mb->name);
	if (*mb->name == '\0' || strpbrk(mb->name, " \t/\\") != NULL)
		config_fail(r, group, NULL,
			    "a mailbox name must be one word without slashes");
	config_check_keys(r, group, config_mailbox_keys);

	/* Without imap the mailbox takes mail only through ticketd --stdin
	   (a mail filter): no IMAP login needed. */
	mb->imap_url = config_get(r, group, "imap");
	if (mb->imap_url != NULL &&
	    !config_parse_url(mb->imap_url, "imap", "imaps", &implicit_tls,
			      &mb->host, &mb->port, &mb->folder))
		config_fail(r, group, "imap",
			    "'%s' is not an imap:// or imaps:// URL",
			    mb->imap_url);
	if (mb->imap_url != NULL) {
		mb->user = config_get_required(r, group, "user");
		mb->password = config_get_password(r, group);
		if (mb->password == NULL)
			config_fail(r, group, "password", "missing value (or "
				    "password_file, password_env)");
	}

	tls = config_get(r, group, "tls");
	if (tls == NULL)
		mb->tls = implicit_tls ? CONFIG_TLS_TLS : CONFIG_TLS_STARTTLS;
	else if (strcmp(tls, "none") == 0)
		mb->tls = CONFIG_TLS_NONE;
	else if (strcmp(tls, "starttls") == 0)
		mb->tls = CONFIG_TLS_STARTTLS;
	else if (strcmp(tls, "tls") == 0)
		mb->tls = CONFIG_TLS_TLS;
	else
		config_fail(r, group, "tls",
			    "'%s' is not none, starttls or tls", tls);
	if (implicit_tls && mb->tls != CONFIG_TLS_TLS)
		config_fail(r, group, "tls",
			    "imaps:// URLs need tls = tls");
	g_free(tls);
	if (mb->port <= 0)
		mb->port = mb->tls == CONFIG_TLS_TLS ? 993 : 143;
	mb->verify = config_get_bool(r, group, "verify", TRUE);

	v = config_get_required(r, group, "address");
	if (v != NULL) {
		if (!config_parse_address(v, &addr_name, &addr))
			config_fail(r, group, "address",
				    "'%s' is not a mail address", v);
		g_free(v);
	}
	mb->address = addr;
	mb->display_name = config_get(r, group, "name");
	if (mb->display_name == NULL)
		mb->display_name = g_strdup(
			addr_name != NULL && *addr_name != '\0' ? addr_name :
			config->smtp.from_name != NULL ?
			config->smtp.from_name : "");
	g_free(addr_name);

	mb->tag = config_get(r, group, "tag");
	if (mb->tag != NULL &&
	    (*mb->tag == '\0' || strpbrk(mb->tag, "[]#\r\n") != NULL))
		config_fail(r, group, "tag",
			    "'%s' must be non-empty, without [ ] or #",
			    mb->tag);
	mb->poll_seconds = config_get_int(r, group, "poll_seconds", 30, 1,
					  86400);
	mb->timeout_seconds = config_get_int(r, group, "timeout_seconds", 60,
					     1, 3600);
	mb->processed_folder = config_get(r, group, "processed_folder");
	if (mb->processed_folder != NULL && *mb->processed_folder == '\0') {
		g_free(mb->processed_folder);
		mb->processed_folder = NULL;
	}
	mb->batch_size = config_get_int(r, group, "batch_size", 500, 1,
					100000);
	mb->ack = config_get_bool(r, group, "ack", TRUE);

	mb->agents = g_ptr_array_new_with_free_func(config_agent_free);
	mb->tier2 = g_ptr_array_new_with_free_func(config_agent_free);
	config_read_agents(r, group, "agents", mb->agents);
	config_read_agents(r, group, "tier2", mb->tier2);
	v = config_get(r, group, "notify");
	if (v != NULL && *v != '\0') {
		char *n = NULL;

		if (!config_parse_address(v, &n, &mb->notify))
			config_fail(r, group, "notify",
				    "'%s' is not a mail address", v);
		g_free(n);
	}
	g_free(v);
	v = config_get(r, group, "agent_auth");
	if (v == NULL || strcmp(v, "token") == 0)
		mb->agent_auth = CONFIG_AGENT_AUTH_TOKEN;
	else if (strcmp(v, "authresults") == 0)
		mb->agent_auth = CONFIG_AGENT_AUTH_RESULTS;
	else if (strcmp(v, "none") == 0)
		mb->agent_auth = CONFIG_AGENT_AUTH_NONE;
	else
		config_fail(r, group, "agent_auth",
			    "'%s' is not token, authresults or none", v);
	g_free(v);
	mb->authserv_id = config_get(r, group, "authserv_id");
	if (mb->agent_auth == CONFIG_AGENT_AUTH_RESULTS &&
	    (mb->authserv_id == NULL || *mb->authserv_id == '\0'))
		config_fail(r, group, "authserv_id",
			    "missing value (required with agent_auth = "
			    "authresults)");
	mb->reopen_days = config_get_int(r, group, "reopen_days", 30, 0,
					 36500);
	mb->autoclose_days = config_get_int(r, group, "autoclose_days", 7, 0,
					    36500);
	mb->first_response_minutes = config_get_int(
		r, group, "first_response_minutes", 0, 0, 525600);
	mb->resolution_hours = config_get_int(r, group, "resolution_hours", 0,
					      0, 87600);
	v = config_get(r, group, "status_keywords");
	if (v == NULL)
		v = g_strdup("status, 进度, 状态");
	mb->status_keywords = g_strsplit(v, ",", -1);
	for (char **k = mb->status_keywords; *k != NULL; k++)
		g_strstrip(*k);
	g_free(v);

	mb->language = config_get(r, group, "language");
	if (mb->language != NULL &&
	    (*mb->language == '\0' ||
	     strspn(mb->language, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ-_") != strlen(mb->language)))
		config_fail(r, group, "language",
			    "'%s' is not a language code (en, zh, ...) or "
			    "auto", mb->language);
	mb->survey = config_get_bool(r, group, "survey", TRUE);
	mb->survey_delay = config_get_duration(r, group, "survey_delay", 3600);
	mb->survey_cooldown_days = config_get_int(r, group,
						  "survey_cooldown_days", 30,
						  0, 36500);
	mb->campaign_cap_days = config_get_int(r, group, "campaign_cap_days",
					       30, 0, 36500);
	mb->max_auto_per_hour = config_get_int(r, group, "max_auto_per_hour",
					       5, 0, 100000);
	mb->autoreply_subjects = config_get_list(r, group,
						 "autoreply_subjects");
	mb->max_message_bytes = config_get_int(r, group, "max_message_bytes",
					       50 * 1024 * 1024, 1024,
					       1024 * 1024 * 1024);
	return mb;
}

static void
config_read_smtp(struct config_reader *r, struct config *config)
{
	const char *g = "smtp";
	struct config_smtp *s = &config->smtp;
	gboolean tls;
	char *host = NULL;
	int port;

	if (!g_key_file_has_group(r->kf, g)) {
		config_fail(r, g, NULL, "missing group");
		return;
	}
	config_check_keys(r, g, config_smtp_keys);
	s->url = config_get_required(r, g, "url");
	if (s->url != NULL &&
	    !config_parse_url(s->url, "smtp", "smtps", &tls, &host, &port,
			      NULL))
		config_fail(r, g, "url",
			    "'%s' is not an smtp:// or smtps:// URL", s->url);
	g_free(host);
	s->starttls = config_get_bool(r, g, "starttls", FALSE);
	s->verify = config_get_bool(r, g, "verify", TRUE);
	s->user = config_get(r, g, "user");
	s->password = config_get_password(r, g);
	s->from = config_get_required(r, g, "from");
	if (s->from != NULL &&
	    !config_parse_address(s->from, &s->from_name, &s->from_addr))
		config_fail(r, g, "from", "'%s' is not a mail address",
			    s->from);
	s->timeout_seconds = config_get_int(r, g, "timeout_seconds", 60, 1,
					    3600);
	s->max_retry_hours = config_get_int(r, g, "max_retry_hours", 48, 1,
					    24 * 365);
	s->connections = config_get_int(r, g, "connections", 1, 1, 32);
	s->pipelining = config_get_bool(r, g, "pipelining", TRUE);
}

static void
config_read(struct config_reader *r, struct config *config)
{
	char **groups = g_key_file_get_groups(r->kf, NULL);
	GStatBuf st;

	if (!g_key_file_has_group(r->kf, "database"))
		config_fail(r, "database", NULL, "missing group");
	else {
		config_check_keys(r, "database", config_database_keys);
		config->db_path = config_get_required(r, "database", "path");
		config->secret_file = config_get(r, "database",
						 "secret_file");
		if (config->secret_file != NULL &&
		    !g_file_test(config->secret_file, G_FILE_TEST_IS_REGULAR))
			config_fail(r, "database", "secret_file",
				    "%s: no such file", config->secret_file);
	}
	config_read_smtp(r, config);
	if (g_key_file_has_group(r->kf, "templates")) {
		config_check_keys(r, "templates", config_templates_keys);
		config->templates_dir = config_get(r, "templates", "dir");
	}
	if (config->templates_dir == NULL)
		config->templates_dir = g_strdup(TICKETD_DATADIR "/templates");
	if (g_stat(config->templates_dir, &st) != 0 || !S_ISDIR(st.st_mode))
		config_fail(r, "templates", "dir", "%s: not a directory",
			    config->templates_dir);

	for (char **g = groups; *g != NULL; g++) {
		if (g_str_has_prefix(*g, "mailbox ") ||
		    strcmp(*g, "mailbox") == 0) {
			struct config_mailbox *mb;

			if (strcmp(*g, "mailbox") == 0) {
				config_fail(r, *g, NULL,
					    "name the mailbox: [mailbox NAME]");
				continue;
			}
			mb = config_read_mailbox(r, config, *g);
			if (config_mailbox_find(config, mb->name) != NULL)
				config_fail(r, *g, NULL, "mailbox defined twice");
			g_ptr_array_add(config->mailboxes, mb);
		} else if (g_str_has_prefix(*g, "campaign ")) {
			/* read after all mailboxes, below */
		} else if (strcmp(*g, "database") != 0 &&
			   strcmp(*g, "smtp") != 0 &&
			   strcmp(*g, "templates") != 0) {
			config_fail(r, *g, NULL, "unknown group");
		}
	}
	for (char **g = groups; *g != NULL; g++) {
		struct config_campaign *c;

		if (!g_str_has_prefix(*g, "campaign "))
			continue;
		c = config_read_campaign(r, config, *g);
		if (config_campaign_find(config, c->name) != NULL)
			config_fail(r, *g, NULL, "campaign defined twice");
		g_ptr_array_add(config->campaigns, c);
	}
	if (config->mailboxes->len == 0 && r->error == NULL)
		r->error = g_strdup_printf("%s: no [mailbox NAME] group",
					   r->path);
	g_strfreev(groups);
}

struct config *
config_load(const char *path, char **error_r)
{
	struct config_reader r = { .path = path };
	struct config *config;
	GError *err = NULL;

	g_mime_init();
	r.kf = g_key_file_new();
	if (!g_key_file_load_from_file(r.kf, path, G_KEY_FILE_NONE, &err)) {
		*error_r = g_strdup_printf("%s: %s", path, err->message);
		g_error_free(err);
		g_key_file_free(r.kf);
		return NULL;
	}
	config = g_new0(struct config, 1);
	config->path = g_strdup(path);
	config->mailboxes = g_ptr_array_new_with_free_func(
		config_mailbox_free);
	config->campaigns = g_ptr_array_new_with_free_func(
		config_campaign_free);
	config_read(&r, config);
	g_key_file_free(r.kf);
	if (r.error == NULL && r.has_password) {
		GStatBuf st;

		if (g_stat(path, &st) == 0 && (st.st_mode & 077) != 0)
			config->warnings = g_list_append(config->warnings,
				g_strdup_printf("%s holds a password and is "
						"readable by group or others "
						"(chmod 600 it, or use "
						"password_file)", path));
	}
	for (guint i = 0; r.error == NULL && i < config->mailboxes->len; i++) {
		const struct config_mailbox *mb = config->mailboxes->pdata[i];

		if (!mb->verify && mb->tls != CONFIG_TLS_NONE)
			config->warnings = g_list_append(config->warnings,
				g_strdup_printf("%s: [mailbox %s] verify = no: "
						"the IMAP server's certificate "
						"is not checked", path,
						mb->name));
	}
	if (r.error == NULL && !config->smtp.verify)
		config->warnings = g_list_append(config->warnings,
			g_strdup_printf("%s: [smtp] verify = no: the SMTP "
					"server's certificate is not checked",
					path));
	if (r.error != NULL) {
		*error_r = r.error;
		config_free(config);
		return NULL;
	}
	return config;
}

void
config_free(struct config *config)
{
	if (config == NULL)
		return;
	g_free(config->path);
	g_free(config->db_path);
	g_free(config->secret_file);
	g_list_free_full(config->warnings, g_free);
	g_free(config->templates_dir);
	g_free(config->smtp.url);
	g_free(config->smtp.user);
	g_free(config->smtp.password);
	g_free(config->smtp.from);
	g_free(config->smtp.from_name);
	g_free(config->smtp.from_addr);
	g_ptr_array_free(config->mailboxes, TRUE);
	g_ptr_array_free(config->campaigns, TRUE);
	g_free(config);
}

struct config_mailbox *
config_mailbox_find(const struct config *config, const char *name)
{
	for (guint i = 0; i < config->mailboxes->len; i++) {
		struct config_mailbox *mb = config->mailboxes->pdata[i];

		if (strcmp(mb->name, name) == 0)
			return mb;
	}
	return NULL;
}

const struct config_agent *
config_agent_find(const struct config_mailbox *mb, const char *addr)
{
	GPtrArray *lists[] = { mb->agents, mb->tier2 };

	if (addr == NULL)
		return NULL;
	for (size_t l = 0; l < G_N_ELEMENTS(lists); l++)
		for (guint i = 0; i < lists[l]->len; i++) {
			const struct config_agent *a = lists[l]->pdata[i];

			if (g_ascii_strcasecmp(a->addr, addr) == 0)
				return a;
		}
	return NULL;
}

/* Does addr equal address, or address with a "+detail" local part? */
static gboolean
config_address_matches(const char *addr, const char *address)
{
	const char *at = strrchr(address, '@'), *aat = strrchr(addr, '@');
	gsize local = at != NULL ? (gsize)(at - address) : strlen(address);

	if (g_ascii_strcasecmp(addr, address) == 0)
		return TRUE;
	if (at == NULL || aat == NULL || g_ascii_strcasecmp(aat, at) != 0)
		return FALSE;
	return (gsize)(aat - addr) > local + 1 && addr[local] == '+' &&
	       g_ascii_strncasecmp(addr, address, local) == 0;
}

gboolean
config_is_own_address(const struct config *config, const char *addr)
{
	if (addr == NULL || *addr == '\0')
		return FALSE;
	if (config->smtp.from_addr != NULL &&
	    config_address_matches(addr, config->smtp.from_addr))
		return TRUE;
	for (guint i = 0; i < config->mailboxes->len; i++) {
		const struct config_mailbox *mb = config->mailboxes->pdata[i];

		if (config_address_matches(addr, mb->address))
			return TRUE;
	}
	return FALSE;
}

struct config_campaign *
config_campaign_find(const struct config *config, const char *name)
{
	for (guint i = 0; i < config->campaigns->len; i++) {
		struct config_campaign *c = config->campaigns->pdata[i];

		if (strcmp(c->name, name) == 0)
			return c;
	}
	return NULL;
}
