#ifndef TICKETD_STORE_CAMPAIGN_H
#define TICKETD_STORE_CAMPAIGN_H

#include <glib.h>

#include "store.h"

/*
 * Surveys, opt-outs and campaign mails in the store (store-campaign.c).
 * Same conventions as store.h: 0 / -1 with *error_r, lookups 1 / 0 / -1.
 */

struct store_survey {
	gint64 id;
	gint64 ticket_id;
	char *address;
	gint64 due;
	char *status;		/* scheduled, sent, cancelled */
	gint64 sent;
	int rating;		/* 0: none yet */
	char *comment;		/* NULL: none */
	gint64 rated;
};

struct store_campaign_mail {
	gint64 id;
	char *campaign;
	char *address;
	gint64 ticket_id;
	gint64 due;
	char *status;		/* scheduled, sent, skipped */
	char *reason;		/* why skipped, or "" */
	gint64 sent;
};

/* Schedule a survey of ticket_id to address at due. */
int store_survey_schedule(struct store *store, gint64 ticket_id,
			  const char *address, gint64 due, char **error_r);

/* Is a survey of ticket_id scheduled and not yet sent? */
int store_survey_scheduled(struct store *store, gint64 ticket_id,
			   char **error_r);

/* Was a survey sent to address at or after since? */
int store_survey_sent_since(struct store *store, const char *address,
			    gint64 since, char **error_r);

/* Scheduled surveys due at now, into a new array of struct store_survey *. */
int store_survey_due(struct store *store, gint64 now, GPtrArray **surveys_r,
		     char **error_r);

/* Set a survey's status ("sent" with sent = now, or "cancelled"). */
int store_survey_mark(struct store *store, gint64 id, const char *status,
		      gint64 sent, char **error_r);

/* The latest sent survey of ticket_id into new *survey_r. */
int store_survey_of_ticket(struct store *store, gint64 ticket_id,
			   struct store_survey **survey_r, char **error_r);

/* Record (or replace) a rating. */
int store_survey_rate(struct store *store, gint64 id, int rating,
		      const char *comment, gint64 now, char **error_r);

void store_survey_free(struct store_survey *s);

/* Record that address opted out of what ("campaigns", "surveys"). */
int store_optout_add(struct store *store, const char *address,
		     const char *what, gint64 message_row, char **error_r);

/* Has address opted out of what? */
int store_optout_has(struct store *store, const char *address,
		     const char *what, char **error_r);

/* Schedule campaign mail of campaign for ticket_id to address at due
   (at most one per campaign and ticket: a second call is a no-op). */
int store_campaign_schedule(struct store *store, const char *campaign,
			    const char *address, gint64 ticket_id, gint64 due,
			    char **error_r);

/* Scheduled mails of campaign (NULL: any) due at now (G_MAXINT64: all),
   into a new array of struct store_campaign_mail *. */
int store_campaign_due(struct store *store, const char *campaign, gint64 now,
		       GPtrArray **mails_r, char **error_r);

/* Set a campaign mail's status with reason ("" when sent). */
int store_campaign_mark(struct store *store, gint64 id, const char *status,
			const char *reason, gint64 sent, char **error_r);

/* Time of the last campaign mail (of campaign, or any when NULL) sent to
   address into *when_r; 1 found, 0 none. */
int store_campaign_last_sent(struct store *store, const char *address,
			     const char *campaign, gint64 *when_r,
			     char **error_r);

void store_campaign_mail_free(struct store_campaign_mail *m);

/* Kind and ticket of the stored message with message_id; 1 found. */
int store_message_kind(struct store *store, const char *message_id,
		       char **kind_r, gint64 *ticket_id_r, char **error_r);

#endif
