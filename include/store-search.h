#ifndef TICKETD_STORE_SEARCH_H
#define TICKETD_STORE_SEARCH_H

#include <glib.h>

#include "store.h"

/*
 * Finding tickets and messages for admins (store-search.c): a ticket list
 * with filters, sorting and paging, and full-text search over message
 * subjects and bodies (SQLite FTS5, trigram tokenizer).  Same conventions
 * as store.h.
 */

enum store_query_sort {
	STORE_QUERY_SORT_ID = 0,
	STORE_QUERY_SORT_CREATED,
	STORE_QUERY_SORT_UPDATED,
	STORE_QUERY_SORT_PRIORITY,	/* urgent, high, normal, low */
};

/* Which tickets, in which order.  NULL strings and zero numbers mean "no
   condition".  Strings borrowed. */
struct store_ticket_query {
	const char *status;
	const char *mailbox;
	const char *requester;	/* address, case-insensitive */
	const char *assignee;	/* address; "" for unassigned tickets */
	const char *priority;
	gint64 created_before;	/* created < this */
	gint64 created_since;	/* created >= this */
	enum store_query_sort sort;
	gboolean reverse;	/* default: descending (newest, highest
				   priority first); TRUE: ascending */
	int limit;		/* 0: all */
	int offset;
};

/* One search hit.  Strings owned. */
struct store_search_hit {
	gint64 ticket_id;	/* 0: a message on no ticket */
	char *message_id;
	char *subject;
	char *snippet;		/* the best matching part, the match in
				   [brackets] */
	double rank;		/* bm25: lower is better; 0 for LIKE hits */
};

/* Tickets matching q into a new array of struct store_ticket * (free with
   g_ptr_array_unref); *total_r (may be NULL) gets the number of matching
   tickets before limit and offset. */
int store_ticket_query(struct store *store, const struct store_ticket_query *q,
		       GPtrArray **tickets_r, gint64 *total_r,
		       char **error_r);

/* Incoming messages (customer mail, agents' replies, notes: not the
   copies ticketd sent) whose subject or body contains every word of text
   (words are separated by white space; a word in double quotes may hold
   spaces), best first, at most limit (0: 50), only of mailbox when not
   NULL.  Words of three or more characters use the FTS5 index ranked by
   bm25; when any word is shorter (the trigram index cannot look it up)
   the search falls back to LIKE, newest first.  New array of struct
   store_search_hit *. */
int store_search(struct store *store, const char *text, const char *mailbox,
		 int limit, GPtrArray **hits_r, char **error_r);

void store_search_hit_free(struct store_search_hit *hit);

#endif
