#ifndef TICKETD_CONFIG_H
#define TICKETD_CONFIG_H

#include <glib.h>

/* Exit status for configuration errors (sysexits.h EX_CONFIG). */
#define CONFIG_EXIT 78

enum config_tls {
	CONFIG_TLS_NONE = 0,	/* plain text */
	CONFIG_TLS_STARTTLS,	/* plain connect, then STARTTLS (required) */
	CONFIG_TLS_TLS,		/* implicit TLS (imaps://, smtps://) */
};

struct config_smtp {
	char *url;		/* smtp://host:port or smtps://host:port */
	gboolean starttls;	/* require STARTTLS on smtp:// */
	gboolean verify;	/* verify the server certificate */
	char *user;		/* NULL: no AUTH */
	char *password;
	char *from;		/* "Name <addr>" as written */
	char *from_name;	/* display part of from, may be "" */
	char *from_addr;	/* addr-spec part of from */
	int timeout_seconds;
	int max_retry_hours;	/* give up on a queued mail after this */
	int connections;	/* mails sent at once, one connection each */
	gboolean pipelining;	/* plain smtp://: ticketd's own pipelining client */
};

enum config_agent_auth {
	CONFIG_AGENT_AUTH_TOKEN = 0,	/* reply to a signed per-ticket address */
	CONFIG_AGENT_AUTH_RESULTS,	/* Authentication-Results from us */
	CONFIG_AGENT_AUTH_NONE,		/* trust From: (unsafe) */
};

/* An agent: an address and an optional display name. */
struct config_agent {
	char *addr;		/* lower case */
	char *name;		/* may be "" */
};

struct config_mailbox {
	char *name;		/* the section name: queue name */
	char *imap_url;		/* as written */
	char *host;
	int port;
	char *folder;		/* decoded path of the URL, default INBOX */
	char *user;
	char *password;
	enum config_tls tls;
	gboolean verify;
	char *address;		/* the support address of this queue */
	char *display_name;	/* "name" key, else from_name of [smtp] */
	char *tag;		/* NULL: "[#123]"; else "[TAG #123]" */
	int poll_seconds;
	int timeout_seconds;	/* bound on every IMAP read and write */
	char *processed_folder;	/* NULL: mark \Seen instead of moving */
	int batch_size;		/* messages per UID FETCH */
	gboolean ack;		/* send acknowledgements (default yes) */

	GPtrArray *agents;	/* struct config_agent *; never NULL */
	GPtrArray *tier2;	/* struct config_agent *; never NULL */
	char *notify;		/* list address for notifications, or NULL */
	enum config_agent_auth agent_auth;
	char *authserv_id;	/* with CONFIG_AGENT_AUTH_RESULTS */
	int reopen_days;	/* closed longer: a new linked ticket */
	int autoclose_days;	/* resolved longer: closed; 0 never */
	int first_response_minutes; /* SLA; 0 off */
	int resolution_hours;	/* SLA; 0 off */
	char **status_keywords;	/* subjects asking for a status reply */

	char *language;		/* template language, "auto", or NULL */
	gboolean survey;	/* send satisfaction surveys */
	int survey_delay;	/* seconds after resolution */
	int survey_cooldown_days;
	int campaign_cap_days;	/* one campaign mail per customer per ... */
	int max_auto_per_hour;	/* automatic answers per address and hour */
	char **autoreply_subjects; /* more out-of-office subject starts,
				      lower case, or NULL */
	int max_message_bytes;	/* larger: stored raw, flagged, not parsed */
};

/* A [campaign NAME] group. */
struct config_campaign {
	char *name;
	char *template;
	char *mailbox;
	int min_rating;		/* 0: triggered by resolution */
	char **keywords;	/* lower case; NULL: any */
	char **domains;		/* lower case; NULL: any */
	int delay;		/* seconds after the trigger */
	int cap_days;		/* per customer, this campaign */
	char *unsubscribe_url;	/* https one-click URL, or NULL */
};

struct config {
	char *path;		/* the file it was read from */
	char *db_path;
	char *secret_file;	/* HMAC key file, or NULL: key in the DB */
	char *templates_dir;
	struct config_smtp smtp;
	GPtrArray *mailboxes;	/* struct config_mailbox *, file order */
	GPtrArray *campaigns;	/* struct config_campaign *, file order */
	GList *warnings;	/* char *: things to log at every start */
};

/* Parse a duration: seconds, or a number with s, m, h or d.  Returns the
   seconds, or -1 when text is not one. */
int config_parse_duration(const char *text);

/* Read and check the file at path.  Returns a new config (free with
   config_free()) or NULL with *error_r set to a newly allocated one-line
   message naming the file, group and key at fault. */
struct config *config_load(const char *path, char **error_r);

/* Free config and all it owns; config_free(NULL) is a no-op. */
void config_free(struct config *config);

/* Return the agent (or tier-2 agent) of mb with address addr (borrowed),
   or NULL. */
const struct config_agent *config_agent_find(const struct config_mailbox *mb,
					     const char *addr);

/* Is addr one of our own addresses: a mailbox address, its plus-addresses
   (support+...@), or the SMTP sender? */
gboolean config_is_own_address(const struct config *config,
			       const char *addr);

/* Return the campaign called name (borrowed), or NULL. */
struct config_campaign *config_campaign_find(const struct config *config,
					     const char *name);

/* Return the mailbox called name (borrowed), or NULL. */
struct config_mailbox *config_mailbox_find(const struct config *config,
					   const char *name);

#endif
