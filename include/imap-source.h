#ifndef TICKETD_IMAP_SOURCE_H
#define TICKETD_IMAP_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "config.h"

/*
 * One IMAP connection serving one [mailbox] of the configuration, built on
 * libetpan.  All authentication for IMAP lives in imap-source.c.
 *
 * Return codes: IMAP_SOURCE_OK, or IMAP_SOURCE_TEMP for a failure worth
 * retrying after a back-off (connection refused or dropped, timeout, server
 * BYE), or IMAP_SOURCE_PERM for one that needs the admin (login rejected,
 * folder missing, TLS certificate rejected).  After any failure the
 * connection is closed and imap_source_connect() must be called again.
 *
 * Messages given through error_r are one line (server text is sanitized),
 * do not name the mailbox (the caller prefixes "mailbox NAME: "), include
 * libetpan's error in words and the server's response text when there was
 * one, and stay valid until the next call on the source.
 *
 * Every network operation times out after 60 seconds (a vanished server
 * gives IMAP_SOURCE_TEMP).  libetpan writes with send(2) without
 * MSG_NOSIGNAL, so imap_source_new() sets SIGPIPE to SIG_IGN if it still
 * has the default action.
 *
 * TLS: with verify set, the server's certificate chain is checked after
 * the handshake and before any credentials are sent, with GnuTLS against
 * the system trust store (gnutls_x509_trust_list_add_system_trust()), for
 * the TLS server purpose and the configured host name (or IP address).
 * libetpan itself does no verification.  SNI is sent for host names.
 * With verify off, any certificate is accepted.
 *
 * Folder names from the configuration are UTF-8 and are sent encoded as
 * modified UTF-7.
 */
enum imap_source_status {
	IMAP_SOURCE_OK = 0,
	IMAP_SOURCE_TEMP = -1,
	IMAP_SOURCE_PERM = -2,
};

struct imap_source;

/* What imap_source_fetch() calls, all with ctx. */
struct imap_source_callbacks {
	/* Each fetched message, in ascending UID order.  data is borrowed
	   and valid only during the call; prepared is what prepare made of
	   it (the callback owns it), or NULL without prepare.  Return 0 to
	   go on, -1 to stop the fetch (imap_source_fetch() then returns
	   IMAP_SOURCE_OK with the messages before it delivered). */
	int (*message)(uint32_t uid, const char *data, size_t len,
		       void *prepared, void *ctx);
	/* May be NULL.  Called before the caller would wait for the server
	   (the next group is not there yet) and at the end of the fetch:
	   the place to commit what was stored, so that no transaction is
	   held while waiting on the network.  Return 0 to go on, -1 to
	   stop. */
	int (*group)(void *ctx);
	/* May be NULL.  Called for each message of a group as soon as the
	   group has arrived, in the fetch thread when there is one (so it
	   must not touch what the message callback uses), e.g. to parse the
	   next group while this one is stored.  What it returns goes to the
	   message callback, or to free_prepared if never delivered. */
	void *(*prepare)(const char *data, size_t len, void *ctx);
	void (*free_prepared)(void *prepared);
	void *ctx;
};

/* Create a source for mailbox (borrowed: must outlive the source).  Does not
   connect. */
struct imap_source *imap_source_new(const struct config_mailbox *mailbox);

/* Disconnect and free; imap_source_free(NULL) is a no-op. */
void imap_source_free(struct imap_source *src);

/* Connect (plain, STARTTLS or TLS as configured), log in and SELECT the
   folder; an open connection is closed first.  STARTTLS missing on the
   server, a rejected login (a NO without a transient response code such as
   [UNAVAILABLE]), a rejected certificate or a folder that cannot be
   selected give IMAP_SOURCE_PERM; network trouble gives IMAP_SOURCE_TEMP.
   On failure *error_r is a source-owned message valid until the next call
   on src. */
int imap_source_connect(struct imap_source *src, const char **error_r);

/* TRUE while a connection is open. */
gboolean imap_source_is_connected(const struct imap_source *src);

/* The selected folder's UIDVALIDITY (0 before connect). */
uint32_t imap_source_uidvalidity(const struct imap_source *src);

/* Fetch messages with UID > after_uid with BODY.PEEK[] (never sets \Seen),
   the lowest max_count of them (none when max_count is 0), calling cb for
   each in ascending UID order.  First UID FETCH a:b (UID RFC822.SIZE) in
   UID windows from after_uid+1 up to the highest UID known (UIDNEXT - 1
   from SELECT), sized for max_count and widened where expunges left gaps
   (64 to 8 * max_count UIDs each), lists them until max_count are found;
   when the windows reach that UID, one UID FETCH * (UID) looks for mail
   that arrived since, so each call costs about one batch, however long
   the backlog.  The bodies then come in groups of at most 100 messages
   and 2 MB by RFC822.SIZE (a larger message alone); with several groups a
   thread fetches the next group while cb works through the current one,
   so memory is bounded by about two groups (or the largest message).  A
   message expunged between the two steps is skipped.  See struct
   imap_source_callbacks for when each callback runs.  *fetched_r gets
   the number delivered to the message callback, also on failure (those
   were delivered before it). */
int imap_source_fetch(struct imap_source *src, uint32_t after_uid,
		      unsigned max_count,
		      const struct imap_source_callbacks *cbs,
		      unsigned *fetched_r, const char **error_r);

/* Mark the n messages in uids (borrowed; any order, duplicates allowed)
   processed: UID STORE +FLAGS.SILENT (\Seen), or moved to the mailbox's
   processed_folder (UID MOVE when the server has it, else UID COPY +
   \Deleted + UID EXPUNGE, or a plain EXPUNGE without UIDPLUS, which also
   removes other \Deleted messages).  The folder is created when the server
   answers [TRYCREATE].  Call only after their tickets are committed.  UIDs
   that no longer exist are silently ignored by IMAP.  A NO carrying
   [CANNOT], [NOPERM], [AUTHORIZATIONFAILED] or [NONEXISTENT] (say, a
   processed_folder name the server refuses) gives IMAP_SOURCE_PERM; other
   failures IMAP_SOURCE_TEMP. */
int imap_source_mark_processed(struct imap_source *src, const uint32_t *uids,
			       size_t n, const char **error_r);

/* UIDs at or below max_uid (all stored already) that are not marked
   processed: unseen ones, or with a processed_folder every one still in
   the folder.  These are what a crash between commit and marking left
   behind.  *uids_r: a new array of uint32_t. */
int imap_source_unmarked(struct imap_source *src, uint32_t max_uid,
			 GArray **uids_r, const char **error_r);

/* TRUE when the server advertised IDLE. */
gboolean imap_source_has_idle(const struct imap_source *src);

/* Wait up to timeout_seconds (capped at 25 minutes, below IDLE's 29-minute
   limit; callers loop) for new mail: IDLE when the server has it, returning
   as soon as an EXISTS/RECENT arrives (other untagged data such as
   keep-alives re-issues the IDLE); else sleep, then NOOP to keep the
   connection alive and check it.  Returns IMAP_SOURCE_OK (new mail may be
   waiting or the time ran out) or IMAP_SOURCE_TEMP when the connection
   broke.  Returns early when *stop becomes TRUE (checked at least once a
   second). */
int imap_source_wait(struct imap_source *src, int timeout_seconds,
		     volatile int *stop, const char **error_r);

/* Close the connection (LOGOUT when possible); a no-op when closed. */
void imap_source_disconnect(struct imap_source *src);

#endif
