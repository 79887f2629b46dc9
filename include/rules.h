#ifndef TICKETD_RULES_H
#define TICKETD_RULES_H

#include <glib.h>

#include "config.h"
#include "ingest.h"
#include "message.h"
#include "store.h"

/*
 * Satisfaction surveys and campaigns (upsell mail): when they are
 * scheduled, the caps that hold them back, the opt-outs that always win,
 * and the signed addresses customers answer to.
 *
 *   LOCAL+rate-<ticket>-<mac>@DOMAIN   survey replies and rating links
 *   LOCAL+stop-<ticket>-<mac>@DOMAIN   unsubscribe (List-Unsubscribe)
 */

/* A ticket became resolved: schedule its survey and the campaigns that
   trigger on resolution.  Runs in the caller's transaction. */
int rules_on_resolved(struct ingest *ingest, const struct store_ticket *t,
		      char **error_r);

/* What a mail to one of our signed addresses is. */
enum rules_address {
	RULES_ADDRESS_NONE = 0,		/* none of them */
	RULES_ADDRESS_RATE,		/* a valid survey address */
	RULES_ADDRESS_STOP,		/* a valid unsubscribe address */
	RULES_ADDRESS_FORGED,		/* the form, but a bad signature */
};

/* Look for a survey or unsubscribe address of mb among msg's recipients;
   *ticket_id_r gets the ticket it names. */
enum rules_address rules_find_address(struct ingest *ingest,
				      const struct config_mailbox *mb,
				      const struct message *msg,
				      gint64 *ticket_id_r);

/* Does text (a subject or a first line) ask to unsubscribe ("unsubscribe",
   "stop", "退订", with "Re:" and punctuation ignored)? */
gboolean rules_is_unsubscribe(const char *text);

/* Find a rating 1-5 in a survey reply: "Rating 4" in the subject, or a
   digit leading the first line of the body ("4", "4, quick and friendly",
   "4/5").  Sets *comment_r to a new string with the rest of the text
   (quoted history cut), possibly "".  Returns the rating, or 0. */
int rules_parse_rating(const char *subject, const char *body,
		       char **comment_r);

/* Record a rating of ticket t from msg (stored at row): replaces an
   earlier one, thanks the customer, schedules campaigns that trigger on
   ratings.  Returns 1 when recorded, 0 when t has no sent survey (stale:
   nothing done), -1 on a store error. */
int rules_record_rating(struct ingest *ingest,
			const struct config_mailbox *mb, struct store_ticket *t,
			const struct message *msg, int rating,
			const char *comment, gint64 row, char **error_r);

/* Opt msg's sender out of what ("campaigns" or "surveys") and confirm by
   mail. */
int rules_opt_out(struct ingest *ingest, const struct config_mailbox *mb,
		  const struct message *msg, const char *what, gint64 row,
		  char **error_r);

/* Send due surveys and campaign mails (each in its own transaction).
   Returns 0, or -1 after logging a store error. */
int rules_tick(struct ingest *ingest, gint64 now);

/* One line of a campaign preview or run. */
struct rules_campaign_item {
	char *address;
	gint64 ticket_id;
	gint64 due;
	char *verdict;		/* "send", "sent", "skipped", "later" */
	char *reason;
};

void rules_campaign_item_free(struct rules_campaign_item *item);

/* Work through campaign c's scheduled mails: those due at now (all, with
   now = G_MAXINT64), appending a struct rules_campaign_item * to report
   for each.  dry_run: decide and report, change nothing. */
int rules_campaign_run(struct ingest *ingest, const struct config_campaign *c,
		       gint64 now, gboolean dry_run, GPtrArray *report,
		       char **error_r);

#endif
