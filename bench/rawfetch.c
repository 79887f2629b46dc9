/* rawfetch: the fastest a plain IMAP client can take mail out of a folder.
 *
 * What ticketd's ingest is compared with: log in, SELECT (read-only:
 * EXAMINE), learn the UIDs (UID FETCH 1:* (UID)), then UID FETCH
 * (UID BODY.PEEK[]) in batches of BATCH UIDs, touching each body once
 * (a checksum, so the data is really read) and throwing it away.
 *
 *   cc -O2 -o rawfetch rawfetch.c $(pkg-config --cflags --libs libetpan)
 *   rawfetch HOST PORT USER PASSWORD [FOLDER [BATCH]]
 *
 * Prints one line: messages=N bytes=B seconds=S msgs_per_s=R mb_per_s=M
 * (seconds from connect to logout).  Exit status 0, or 1 on an error.
 */
#include <libetpan/libetpan.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
die(const char *what, int r)
{
	fprintf(stderr, "rawfetch: %s failed (libetpan error %d)\n", what, r);
	exit(1);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* UID and body of one FETCH response item. */
static void
msg_att(struct mailimap_msg_att *ma, uint32_t *uid, const char **body,
	size_t *len)
{
	clistiter *it;

	*uid = 0;
	*body = NULL;
	*len = 0;
	for (it = clist_begin(ma->att_list); it != NULL; it = clist_next(it)) {
		struct mailimap_msg_att_item *item = clist_content(it);

		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
			continue;
		switch (item->att_data.att_static->att_type) {
		case MAILIMAP_MSG_ATT_UID:
			*uid = item->att_data.att_static->att_data.att_uid;
			break;
		case MAILIMAP_MSG_ATT_BODY_SECTION: {
			struct mailimap_msg_att_body_section *s =
			    item->att_data.att_static->att_data.att_body_section;
			*body = s->sec_body_part;
			*len = s->sec_length;
			break;
		}
		default:
			break;
		}
	}
}

int
main(int argc, char **argv)
{
	const char *host, *user, *pass, *folder = "INBOX";
	unsigned port, batch = 500;
	struct mailimap *imap;
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	clist *result;
	clistiter *it;
	uint32_t *uids = NULL;
	size_t nuids = 0, cap = 0, messages = 0;
	uint64_t bytes = 0, sum = 0;
	double t0, t1;
	int r;

	if (argc < 5) {
		fprintf(stderr, "usage: rawfetch HOST PORT USER PASSWORD "
			"[FOLDER [BATCH]]\n");
		return 64;
	}
	host = argv[1];
	port = (unsigned)atoi(argv[2]);
	user = argv[3];
	pass = argv[4];
	if (argc > 5)
		folder = argv[5];
	if (argc > 6)
		batch = (unsigned)atoi(argv[6]);
	if (batch == 0)
		batch = 500;

	t0 = now();
	imap = mailimap_new(0, NULL);
	r = mailimap_socket_connect(imap, host, (uint16_t)port);
	if (r != MAILIMAP_NO_ERROR && r != MAILIMAP_NO_ERROR_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED)
		die("connect", r);
	if ((r = mailimap_login(imap, user, pass)) != MAILIMAP_NO_ERROR)
		die("LOGIN", r);
	if ((r = mailimap_examine(imap, folder)) != MAILIMAP_NO_ERROR)
		die("EXAMINE", r);

	/* The UIDs. */
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_uid());
	set = mailimap_set_new_interval(1, 0);
	r = mailimap_uid_fetch(imap, set, ft, &result);
	mailimap_set_free(set);
	mailimap_fetch_type_free(ft);
	if (r != MAILIMAP_NO_ERROR)
		die("UID FETCH 1:* (UID)", r);
	for (it = clist_begin(result); it != NULL; it = clist_next(it)) {
		uint32_t uid;
		const char *b;
		size_t l;

		msg_att(clist_content(it), &uid, &b, &l);
		if (uid == 0)
			continue;
		if (nuids == cap) {
			cap = cap ? cap * 2 : 1024;
			uids = realloc(uids, cap * sizeof *uids);
			if (uids == NULL)
				die("realloc", -1);
		}
		uids[nuids++] = uid;
	}
	mailimap_fetch_list_free(result);
	qsort(uids, nuids, sizeof *uids, cmp_u32);

	/* The bodies, BATCH UIDs at a time. */
	for (size_t start = 0; start < nuids; start += batch) {
		size_t end = start + batch < nuids ? start + batch : nuids;

		set = mailimap_set_new_empty();
		for (size_t i = start; i < end;) {
			size_t j = i;

			while (j + 1 < end && uids[j + 1] == uids[j] + 1)
				j++;
			mailimap_set_add_interval(set, uids[i], uids[j]);
			i = j + 1;
		}
		ft = mailimap_fetch_type_new_fetch_att_list_empty();
		mailimap_fetch_type_new_fetch_att_list_add(ft,
		    mailimap_fetch_att_new_uid());
		mailimap_fetch_type_new_fetch_att_list_add(ft,
		    mailimap_fetch_att_new_body_peek_section(
		    mailimap_section_new(NULL)));
		r = mailimap_uid_fetch(imap, set, ft, &result);
		mailimap_set_free(set);
		mailimap_fetch_type_free(ft);
		if (r != MAILIMAP_NO_ERROR)
			die("UID FETCH (UID BODY.PEEK[])", r);
		for (it = clist_begin(result); it != NULL;
		     it = clist_next(it)) {
			uint32_t uid;
			const char *b;
			size_t l;

			msg_att(clist_content(it), &uid, &b, &l);
			if (uid == 0 || b == NULL)
				continue;
			messages++;
			bytes += l;
			for (size_t k = 0; k < l; k += 64)
				sum += (unsigned char)b[k];
		}
		mailimap_fetch_list_free(result);
	}
	mailimap_logout(imap);
	mailimap_free(imap);
	t1 = now();
	free(uids);
	printf("messages=%zu bytes=%llu seconds=%.3f msgs_per_s=%.1f "
	       "mb_per_s=%.2f checksum=%llu\n", messages,
	       (unsigned long long)bytes, t1 - t0,
	       messages / (t1 - t0), bytes / 1e6 / (t1 - t0),
	       (unsigned long long)sum);
	return 0;
}
