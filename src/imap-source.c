/* One IMAP connection per [mailbox]: connect, log in, SELECT, UID FETCH,
   mark processed, IDLE.  Built on libetpan's low-level mailimap API. */
#include "autodefs.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libetpan/libetpan.h>

#include "imap-source.h"
#include "log.h"

/* Longest single IDLE; RFC 2177 servers may drop an IDLE after 29 min. */
#define IMAP_SOURCE_IDLE_MAX (25 * 60)
/* An IDLE is renewed after this many times timeout_seconds (5 min by
   default): DONE then waits timeout_seconds for the server's answer, so
   a server that went silent (stalled, or the network between gone) is
   noticed within six times timeout_seconds, not after 25 minutes. */
#define IMAP_SOURCE_IDLE_RENEW 5
/* Largest total RFC822.SIZE and number of messages fetched with one UID
   FETCH BODY.PEEK[] (a larger message comes alone).  Small groups let the
   next one come over the network while this one is ingested. */
#define IMAP_SOURCE_GROUP_BYTES (2 * 1024 * 1024)
#define IMAP_SOURCE_GROUP_COUNT 100
/* Most UIDs named in one UID STORE/COPY/MOVE command. */
#define IMAP_SOURCE_SET_MAX 500
/* UID span of one listing window (UID FETCH a:b (UID RFC822.SIZE)): at
   least this, at most IMAP_SOURCE_WINDOW_FACTOR times max_count and never
   more than IMAP_SOURCE_WINDOW_MAX, so one listing holds at most that many
   messages whatever the density of the UIDs. */
#define IMAP_SOURCE_WINDOW_MIN 64
#define IMAP_SOURCE_WINDOW_FACTOR 8
#define IMAP_SOURCE_WINDOW_MAX 65536

struct imap_source {
	const struct config_mailbox *mailbox;	/* borrowed */
	mailimap *imap;			/* NULL while disconnected */
	char *folder;			/* folder in modified UTF-7 */
	char *processed;		/* processed_folder likewise, or NULL */
	uint32_t uidvalidity;
	/* Highest UID known to be assigned in the folder (UIDNEXT - 1 from
	   SELECT, raised by what later listings see); 0 when unknown.  New
	   mail always gets a higher UID, so a listing window that ends at or
	   below it cannot miss a message that arrives later. */
	uint32_t uid_top;
	/* No message has a UID in [empty_lo, empty_hi] (proved by an
	   earlier listing; empty_hi 0: nothing known).  Lets repeated polls
	   after a gap skip it. */
	uint32_t empty_lo;
	uint32_t empty_hi;
	gboolean has_idle;
	gboolean has_move;
	gboolean has_uidplus;
	char *error;			/* last message given via error_r */
	/* The stall watchdog (below): the stream and socket of the
	   command under way, or NULL and -1. */
	GMutex op_lock;
	mailstream *op_stream;
	int op_fd;
	gint64 op_since;		/* monotonic time the command began */
	gboolean op_cancelled;
};

/* One message seen by the size scan. */
struct imap_source_entry {
	uint32_t uid;
	uint32_t size;
};

/* One body of a fetch group, pointing into libetpan's result list. */
struct imap_source_body {
	uint32_t uid;
	const char *data;
	size_t len;
};

static const char *
imap_source_strerror(int r)
{
	switch (r) {
	case MAILIMAP_NO_ERROR:
	case MAILIMAP_NO_ERROR_AUTHENTICATED:
	case MAILIMAP_NO_ERROR_NON_AUTHENTICATED:
		return "no error";
	case MAILIMAP_ERROR_BAD_STATE:
		return "command not allowed in this state";
	case MAILIMAP_ERROR_STREAM:
		return "connection lost or timed out";
	case MAILIMAP_ERROR_PARSE:
		return "unparsable server response";
	case MAILIMAP_ERROR_CONNECTION_REFUSED:
		return "cannot connect";
	case MAILIMAP_ERROR_MEMORY:
		return "out of memory";
	case MAILIMAP_ERROR_FATAL:
		return "server closed the connection (BYE)";
	case MAILIMAP_ERROR_PROTOCOL:
		return "server answered BAD";
	case MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION:
		return "server refused the connection";
	case MAILIMAP_ERROR_APPEND:
		return "APPEND failed";
	case MAILIMAP_ERROR_NOOP:
		return "NOOP failed";
	case MAILIMAP_ERROR_LOGOUT:
		return "LOGOUT failed";
	case MAILIMAP_ERROR_CAPABILITY:
		return "CAPABILITY failed";
	case MAILIMAP_ERROR_CHECK:
		return "CHECK failed";
	case MAILIMAP_ERROR_CLOSE:
		return "CLOSE failed";
	case MAILIMAP_ERROR_EXPUNGE:
		return "EXPUNGE failed";
	case MAILIMAP_ERROR_COPY:
	case MAILIMAP_ERROR_UID_COPY:
		return "COPY failed";
	case MAILIMAP_ERROR_MOVE:
	case MAILIMAP_ERROR_UID_MOVE:
		return "MOVE failed";
	case MAILIMAP_ERROR_CREATE:
		return "CREATE failed";
	case MAILIMAP_ERROR_DELETE:
		return "DELETE failed";
	case MAILIMAP_ERROR_EXAMINE:
		return "EXAMINE failed";
	case MAILIMAP_ERROR_FETCH:
	case MAILIMAP_ERROR_UID_FETCH:
		return "FETCH failed";
	case MAILIMAP_ERROR_LIST:
		return "LIST failed";
	case MAILIMAP_ERROR_LOGIN:
		return "login rejected";
	case MAILIMAP_ERROR_LSUB:
		return "LSUB failed";
	case MAILIMAP_ERROR_RENAME:
		return "RENAME failed";
	case MAILIMAP_ERROR_SEARCH:
	case MAILIMAP_ERROR_UID_SEARCH:
		return "SEARCH failed";
	case MAILIMAP_ERROR_SELECT:
		return "SELECT failed";
	case MAILIMAP_ERROR_STATUS:
		return "STATUS failed";
	case MAILIMAP_ERROR_STORE:
	case MAILIMAP_ERROR_UID_STORE:
		return "STORE failed";
	case MAILIMAP_ERROR_SUBSCRIBE:
		return "SUBSCRIBE failed";
	case MAILIMAP_ERROR_UNSUBSCRIBE:
		return "UNSUBSCRIBE failed";
	case MAILIMAP_ERROR_STARTTLS:
		return "STARTTLS failed";
	case MAILIMAP_ERROR_INVAL:
		return "invalid argument";
	case MAILIMAP_ERROR_EXTENSION:
		return "extension command failed";
	case MAILIMAP_ERROR_SASL:
		return "SASL authentication failed";
	case MAILIMAP_ERROR_SSL:
		return "TLS handshake failed";
	case MAILIMAP_ERROR_NEEDS_MORE_DATA:
		return "incomplete server response";
	case MAILIMAP_ERROR_CUSTOM_COMMAND:
		return "custom command failed";
	case MAILIMAP_ERROR_CLIENTID:
		return "CLIENTID failed";
	default:
		return "unknown libetpan error";
	}
}

/* TRUE when r means the connection itself is gone or unusable. */
static gboolean
imap_source_is_stream_error(int r)
{
	return r == MAILIMAP_ERROR_STREAM || r == MAILIMAP_ERROR_FATAL ||
	    r == MAILIMAP_ERROR_PARSE ||
	    r == MAILIMAP_ERROR_CONNECTION_REFUSED ||
	    r == MAILIMAP_ERROR_SSL || r == MAILIMAP_ERROR_NEEDS_MORE_DATA ||
	    r == MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION ||
	    r == MAILIMAP_ERROR_BAD_STATE;
}

/* TRUE when the last tagged NO carried a response code (RFC 5530) saying
   the failure is transient. */
static gboolean
imap_source_code_is_temporary(const struct imap_source *src)
{
	static const char *const codes[] = { "UNAVAILABLE", "SERVERBUG",
					     "INUSE", "LIMIT", "OVERQUOTA",
					     "EXPUNGEISSUED" };
	const char *atom;

	if (src->imap == NULL || src->imap->imap_response_info == NULL)
		return FALSE;
	atom = src->imap->imap_response_info->rsp_atom;
	if (atom == NULL)
		return FALSE;
	for (size_t i = 0; i < G_N_ELEMENTS(codes); i++)
		if (g_ascii_strcasecmp(atom, codes[i]) == 0)
			return TRUE;
	return FALSE;
}

/* Status for a failed command r: IMAP_SOURCE_PERM when the server answered
   NO with a response code saying retrying cannot help, else TEMP. */
static int
imap_source_no_status(const struct imap_source *src, int r)
{
	static const char *const codes[] = { "CANNOT", "NOPERM",
					     "AUTHORIZATIONFAILED",
					     "NONEXISTENT" };
	const char *atom;

	if (imap_source_is_stream_error(r) || src->imap == NULL ||
	    src->imap->imap_response_info == NULL)
		return IMAP_SOURCE_TEMP;
	atom = src->imap->imap_response_info->rsp_atom;
	if (atom == NULL)
		return IMAP_SOURCE_TEMP;
	for (size_t i = 0; i < G_N_ELEMENTS(codes); i++)
		if (g_ascii_strcasecmp(atom, codes[i]) == 0)
			return IMAP_SOURCE_PERM;
	return IMAP_SOURCE_TEMP;
}

static void
imap_source_close(struct imap_source *src, gboolean logout)
{
	if (src->imap == NULL)
		return;
	if (logout) {
		mailimap_logout(src->imap);
	} else if (src->imap->imap_stream != NULL) {
		/* mailimap_free() sends LOGOUT on a stream it still has and
		   waits for the answer: on a broken or stalled connection
		   that is another full timeout.  Close it first. */
		mailstream_close(src->imap->imap_stream);
		src->imap->imap_stream = NULL;
	}
	mailimap_free(src->imap);
	src->imap = NULL;
}

/* Record a failure: build *error_r from what, libetpan's code r (or -1 for
   none) and the server's last response text, close the connection and
   return status. */
static int
imap_source_fail(struct imap_source *src, int status, int r,
		 const char **error_r, const char *fmt, ...)
	G_GNUC_PRINTF(5, 6);

static int
imap_source_fail(struct imap_source *src, int status, int r,
		 const char **error_r, const char *fmt, ...)
{
	GString *msg;
	va_list ap;

	msg = g_string_new(NULL);
	va_start(ap, fmt);
	g_string_append_vprintf(msg, fmt, ap);
	va_end(ap);
	if (r >= 0)
		g_string_append_printf(msg, ": %s (libetpan %d)",
				       imap_source_strerror(r), r);
	/* imap_response is only reset when a tagged reply is parsed: after a
	   stream error it still holds the previous command's text. */
	if (r >= 0 && !imap_source_is_stream_error(r) &&
	    r != MAILIMAP_ERROR_MEMORY && r != MAILIMAP_ERROR_INVAL &&
	    src->imap != NULL && src->imap->imap_response != NULL &&
	    *src->imap->imap_response != '\0') {
		char *text = log_sanitize(src->imap->imap_response);

		g_string_append_printf(msg, ": server said \"%s\"", text);
		g_free(text);
	}
	g_free(src->error);
	src->error = g_string_free(msg, FALSE);
	if (error_r != NULL)
		*error_r = src->error;
	log_debug("mailbox %s: %s", src->mailbox->name, src->error);
	imap_source_close(src, r >= 0 && !imap_source_is_stream_error(r));
	return status;
}

/* Encode UTF-8 name as IMAP modified UTF-7 (RFC 3501 5.1.3).  Returns a
   new string; invalid UTF-8 is passed through unchanged. */
static char *
imap_source_mutf7(const char *name)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
	GString *out;
	const char *p;

	if (!g_utf8_validate(name, -1, NULL))
		return g_strdup(name);
	out = g_string_new(NULL);
	p = name;
	while (*p != '\0') {
		unsigned char c = (unsigned char)*p;
		const char *end;
		gunichar2 *u16;
		glong n16;
		unsigned bits = 0, nbits = 0;

		if (c >= 0x20 && c <= 0x7e) {
			g_string_append_c(out, (char)c);
			if (c == '&')
				g_string_append_c(out, '-');
			p++;
			continue;
		}
		for (end = p; *end != '\0' &&
		     ((unsigned char)*end < 0x20 || (unsigned char)*end > 0x7e);
		     end = g_utf8_next_char(end))
			;
		u16 = g_utf8_to_utf16(p, end - p, NULL, &n16, NULL);
		g_string_append_c(out, '&');
		for (glong i = 0; u16 != NULL && i < n16; i++) {
			bits = (bits << 16) | u16[i];
			nbits += 16;
			while (nbits >= 6) {
				nbits -= 6;
				g_string_append_c(out,
				    b64[(bits >> nbits) & 0x3f]);
			}
		}
		if (nbits > 0)
			g_string_append_c(out,
			    b64[(bits << (6 - nbits)) & 0x3f]);
		g_string_append_c(out, '-');
		g_free(u16);
		p = end;
	}
	return g_string_free(out, FALSE);
}

/*
 * The stall watchdog.  Every read has the stream's timeout, yet CI caught
 * a worker inside UID FETCH for minutes after its server process was
 * killed, with nothing logged (inside libetpan; not understood).  So a
 * thread looks once a second at the socket of each command under way
 * (TCP_INFO): when the peer has closed the connection, or nothing has
 * arrived for twice timeout_seconds, it cancels the stream; the command
 * then fails like any lost connection (one error line, reconnect).
 */
static GMutex imap_source_watch_lock;
static GPtrArray *imap_source_watched;

static gpointer
imap_source_watchdog(gpointer data)
{
	(void)data;
	for (;;) {
		gint64 now;

		g_usleep(G_USEC_PER_SEC);
		now = g_get_monotonic_time();
		g_mutex_lock(&imap_source_watch_lock);
		for (guint i = 0; i < imap_source_watched->len; i++) {
			struct imap_source *src = imap_source_watched->pdata[i];
			struct tcp_info ti;
			socklen_t len = sizeof ti;
			gint64 limit;
			int unread = 0;

			g_mutex_lock(&src->op_lock);
			if (src->op_stream == NULL || src->op_cancelled ||
			    src->op_fd < 0 ||
			    getsockopt(src->op_fd, IPPROTO_TCP, TCP_INFO, &ti,
				       &len) < 0) {
				g_mutex_unlock(&src->op_lock);
				continue;
			}
			limit = (gint64)src->mailbox->timeout_seconds * 2 *
				G_USEC_PER_SEC;
			/* closed by the peer with nothing left to read, or
			   silent (tcpi_last_data_recv: ms since data came) */
			if ((ti.tcpi_state == TCP_CLOSE_WAIT &&
			     ioctl(src->op_fd, FIONREAD, &unread) == 0 &&
			     unread == 0) ||
			    (now - src->op_since > limit &&
			     (gint64)ti.tcpi_last_data_recv * 1000 > limit)) {
				log_warnx("mailbox %s: %s: giving the command "
					  "up", src->mailbox->name,
					  ti.tcpi_state == TCP_CLOSE_WAIT ?
					  "the server closed the connection" :
					  "no data from the server");
				mailstream_cancel(src->op_stream);
				src->op_cancelled = TRUE;
			}
			g_mutex_unlock(&src->op_lock);
		}
		g_mutex_unlock(&imap_source_watch_lock);
	}
	return NULL;
}

/* A command that may wait on the server begins / has ended. */
static void
imap_source_op_begin(struct imap_source *src)
{
	g_mutex_lock(&src->op_lock);
	src->op_stream = src->imap != NULL ? src->imap->imap_stream : NULL;
	src->op_fd = src->op_stream != NULL ?
		mailstream_low_get_fd(mailstream_get_low(src->op_stream)) : -1;
	src->op_since = g_get_monotonic_time();
	src->op_cancelled = FALSE;
	g_mutex_unlock(&src->op_lock);
}

static void
imap_source_op_end(struct imap_source *src)
{
	g_mutex_lock(&src->op_lock);
	src->op_stream = NULL;
	src->op_fd = -1;
	g_mutex_unlock(&src->op_lock);
}

struct imap_source *
imap_source_new(const struct config_mailbox *mailbox)
{
	struct imap_source *src;
	struct sigaction sa;

	/* libetpan writes with send(..., 0): a dropped connection would raise
	   SIGPIPE and kill the daemon.  Ignore it unless someone installed a
	   handler of their own. */
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);

	src = g_new0(struct imap_source, 1);
	src->mailbox = mailbox;
	g_mutex_init(&src->op_lock);
	src->op_fd = -1;
	g_mutex_lock(&imap_source_watch_lock);
	if (imap_source_watched == NULL) {
		imap_source_watched = g_ptr_array_new();
		g_thread_unref(g_thread_new("imap-watchdog",
					    imap_source_watchdog, NULL));
	}
	g_ptr_array_add(imap_source_watched, src);
	g_mutex_unlock(&imap_source_watch_lock);
	src->folder = imap_source_mutf7(mailbox->folder != NULL ?
					mailbox->folder : "INBOX");
	if (mailbox->processed_folder != NULL &&
	    *mailbox->processed_folder != '\0')
		src->processed = imap_source_mutf7(mailbox->processed_folder);
	return src;
}

void
imap_source_free(struct imap_source *src)
{
	if (src == NULL)
		return;
	g_mutex_lock(&imap_source_watch_lock);
	g_ptr_array_remove(imap_source_watched, src);
	g_mutex_unlock(&imap_source_watch_lock);
	imap_source_disconnect(src);
	g_mutex_clear(&src->op_lock);
	g_free(src->folder);
	g_free(src->processed);
	g_free(src->error);
	g_free(src);
}

gboolean
imap_source_is_connected(const struct imap_source *src)
{
	return src->imap != NULL;
}

uint32_t
imap_source_uidvalidity(const struct imap_source *src)
{
	return src->uidvalidity;
}

gboolean
imap_source_has_idle(const struct imap_source *src)
{
	return src->has_idle;
}

void
imap_source_disconnect(struct imap_source *src)
{
	if (src->imap != NULL)
		log_debug("mailbox %s: disconnecting", src->mailbox->name);
	imap_source_close(src, TRUE);
}

/* Called by libetpan before the TLS handshake: send SNI. */
static void
imap_source_tls_setup(struct mailstream_ssl_context *ctx, void *data)
{
	struct imap_source *src = data;

	if (!g_hostname_is_ip_address(src->mailbox->host))
		mailstream_ssl_set_server_name(ctx, src->mailbox->host);
}

/* Verify the server's certificate chain against the system trust store and
   the configured host name.  libetpan (GnuTLS build) does no verification
   of its own, so this runs after the handshake and before LOGIN.  Returns
   0, or -1 with *why_r set to a new string. */
static int
imap_source_verify_cert(struct imap_source *src, char **why_r)
{
	const char *host = src->mailbox->host;
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_x509_crt_t *crts = NULL;
	gnutls_typed_vdata_st vdata[2];
	unsigned char addr[16];
	unsigned ncrts = 0, nvdata = 0, status = 0;
	carray *chain;
	int ret = -1, r;

	chain = mailstream_get_certificate_chain(src->imap->imap_stream);
	if (chain == NULL || carray_count(chain) == 0) {
		*why_r = g_strdup("server sent no certificate");
		goto out;
	}
	crts = g_new0(gnutls_x509_crt_t, carray_count(chain));
	for (unsigned i = 0; i < carray_count(chain); i++) {
		MMAPString *der = carray_get(chain, i);
		gnutls_datum_t d = { (unsigned char *)der->str,
				     (unsigned)der->len };

		if (gnutls_x509_crt_init(&crts[ncrts]) < 0) {
			*why_r = g_strdup("out of memory");
			goto out;
		}
		ncrts++;
		r = gnutls_x509_crt_import(crts[ncrts - 1], &d,
					   GNUTLS_X509_FMT_DER);
		if (r < 0) {
			*why_r = g_strdup_printf("bad certificate: %s",
						 gnutls_strerror(r));
			goto out;
		}
	}

	if ((r = gnutls_x509_trust_list_init(&tl, 0)) < 0 ||
	    (r = gnutls_x509_trust_list_add_system_trust(tl, 0, 0)) < 0) {
		*why_r = g_strdup_printf("cannot load system trust store: %s",
					 gnutls_strerror(r));
		goto out;
	}

	vdata[nvdata].type = GNUTLS_DT_KEY_PURPOSE_OID;
	vdata[nvdata].data = (void *)GNUTLS_KP_TLS_WWW_SERVER;
	vdata[nvdata].size = 0;
	nvdata++;
	if (inet_pton(AF_INET, host, addr) == 1) {
		vdata[nvdata].type = GNUTLS_DT_IP_ADDRESS;
		vdata[nvdata].data = addr;
		vdata[nvdata].size = 4;
	} else if (inet_pton(AF_INET6, host, addr) == 1) {
		vdata[nvdata].type = GNUTLS_DT_IP_ADDRESS;
		vdata[nvdata].data = addr;
		vdata[nvdata].size = 16;
	} else {
		vdata[nvdata].type = GNUTLS_DT_DNS_HOSTNAME;
		vdata[nvdata].data = (void *)host;
		vdata[nvdata].size = 0;
	}
	nvdata++;

	r = gnutls_x509_trust_list_verify_crt2(tl, crts, ncrts, vdata, nvdata,
					       0, &status, NULL);
	if (r < 0) {
		*why_r = g_strdup_printf("verification error: %s",
					 gnutls_strerror(r));
		goto out;
	}
	if (status != 0) {
		gnutls_datum_t txt = { NULL, 0 };

		if (gnutls_certificate_verification_status_print(status,
		    GNUTLS_CRT_X509, &txt, 0) == 0 && txt.data != NULL)
			*why_r = g_strstrip(g_strdup((const char *)txt.data));
		else
			*why_r = g_strdup_printf("status 0x%x", status);
		gnutls_free(txt.data);
		goto out;
	}
	ret = 0;
out:
	if (tl != NULL)
		gnutls_x509_trust_list_deinit(tl, 1);
	for (unsigned i = 0; i < ncrts; i++)
		gnutls_x509_crt_deinit(crts[i]);
	g_free(crts);
	mailstream_certificate_chain_free(chain);
	return ret;
}

/* Refresh the capability list and the flags derived from it. */
static int
imap_source_capabilities(struct imap_source *src)
{
	struct mailimap_capability_data *cap = NULL;
	int r;

	r = mailimap_capability(src->imap, &cap);
	if (r != MAILIMAP_NO_ERROR)
		return r;
	mailimap_capability_data_free(cap);
	src->has_idle = mailimap_has_idle(src->imap) != 0;
	src->has_move = mailimap_has_extension(src->imap, "MOVE") != 0;
	src->has_uidplus = mailimap_has_uidplus(src->imap) != 0;
	return MAILIMAP_NO_ERROR;
}

/* All IMAP authentication lives here (LOGIN now; XOAUTH2 later). */
static int
imap_source_login(struct imap_source *src, const char **error_r)
{
	const struct config_mailbox *mb = src->mailbox;
	int r;

	if (mailimap_has_extension(src->imap, "LOGINDISABLED"))
		return imap_source_fail(src, IMAP_SOURCE_PERM, -1, error_r,
		    "server has LOGINDISABLED (use TLS or STARTTLS)");
	r = mailimap_login(src->imap, mb->user != NULL ? mb->user : "",
			   mb->password != NULL ? mb->password : "");
	if (r == MAILIMAP_ERROR_LOGIN)
		return imap_source_fail(src,
		    imap_source_code_is_temporary(src) ?
		    IMAP_SOURCE_TEMP : IMAP_SOURCE_PERM, r, error_r,
		    "login as %s failed", mb->user != NULL ? mb->user : "");
	if (r != MAILIMAP_NO_ERROR)
		return imap_source_fail(src, IMAP_SOURCE_TEMP, r, error_r,
		    "login as %s failed", mb->user != NULL ? mb->user : "");
	return IMAP_SOURCE_OK;
}

/* TCP keep-alive on the connection: a peer that is gone (host down,
   network cut) while we wait in IDLE makes the socket fail after about
   twice timeout_seconds of silence, instead of never. */
static void
imap_source_keepalive(int fd, int timeout_seconds)
{
	int on = 1, idle = MAX(timeout_seconds, 1);
	int intvl = MAX(timeout_seconds / 4, 1), cnt = 4;

	if (fd < 0)
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl,
		       sizeof intvl) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt) < 0)
		log_debug("IMAP connection: no TCP keep-alive: %s",
			  g_strerror(errno));
}

int
imap_source_connect(struct imap_source *src, const char **error_r)
{
	const struct config_mailbox *mb = src->mailbox;
	uint16_t port = (uint16_t)mb->port;
	gboolean preauth;
	int r, status;

	imap_source_disconnect(src);
	src->uidvalidity = 0;
	src->uid_top = src->empty_lo = src->empty_hi = 0;
	src->has_idle = src->has_move = src->has_uidplus = FALSE;

	src->imap = mailimap_new(0, NULL);
	if (src->imap == NULL)
		return imap_source_fail(src, IMAP_SOURCE_TEMP, -1, error_r,
		    "out of memory");
	mailimap_set_timeout(src->imap, mb->timeout_seconds);
	/* A stream whose own timeout is 0 waits libetpan's global delay
	   (5 minutes by default): bound that too. */
	mailstream_network_delay.tv_sec = mb->timeout_seconds;
	mailstream_network_delay.tv_usec = 0;

	log_debug("mailbox %s: connecting to %s:%d (%s)", mb->name, mb->host,
		  mb->port, mb->tls == CONFIG_TLS_TLS ? "TLS" :
		  mb->tls == CONFIG_TLS_STARTTLS ? "STARTTLS" : "plain");
	if (mb->tls == CONFIG_TLS_TLS)
		r = mailimap_ssl_connect_with_callback(src->imap, mb->host,
		    port, imap_source_tls_setup, src);
	else
		r = mailimap_socket_connect(src->imap, mb->host, port);
	if (r != MAILIMAP_NO_ERROR && r != MAILIMAP_NO_ERROR_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED)
		return imap_source_fail(src, IMAP_SOURCE_TEMP, r, error_r,
		    "connect to %s:%d failed", mb->host, mb->port);
	preauth = r == MAILIMAP_NO_ERROR_AUTHENTICATED;
	/* Every read and write of the session, whatever libetpan's connect
	   path did with imap_timeout. */
	if (src->imap->imap_stream != NULL) {
		int fd = mailstream_low_get_fd(
		    mailstream_get_low(src->imap->imap_stream));

		mailstream_low_set_timeout(
		    mailstream_get_low(src->imap->imap_stream),
		    mb->timeout_seconds);
		imap_source_keepalive(fd, mb->timeout_seconds);
	}

	if (mb->tls == CONFIG_TLS_STARTTLS && preauth)
		return imap_source_fail(src, IMAP_SOURCE_PERM, -1, error_r,
		    "server %s:%d sent PREAUTH: STARTTLS impossible",
		    mb->host, mb->port);
	if (mb->tls == CONFIG_TLS_STARTTLS) {
		if (src->imap->imap_connection_info == NULL ||
		    src->imap->imap_connection_info->imap_capability == NULL) {
			r = imap_source_capabilities(src);
			if (r != MAILIMAP_NO_ERROR)
				return imap_source_fail(src, IMAP_SOURCE_TEMP,
				    r, error_r, "CAPABILITY failed");
		}
		if (!mailimap_has_extension(src->imap, "STARTTLS"))
			return imap_source_fail(src, IMAP_SOURCE_PERM, -1,
			    error_r, "server %s:%d does not offer STARTTLS",
			    mb->host, mb->port);
		r = mailimap_socket_starttls_with_callback(src->imap,
		    imap_source_tls_setup, src);
		if (r != MAILIMAP_NO_ERROR)
			return imap_source_fail(src, IMAP_SOURCE_TEMP, r,
			    error_r, "STARTTLS failed");
		/* Plain-text bytes read before the handshake must not be
		   taken as TLS-protected (CVE-2020-15953). */
		if (src->imap->imap_stream->read_buffer_len > 0)
			return imap_source_fail(src, IMAP_SOURCE_PERM, -1,
			    error_r, "server sent data after STARTTLS "
			    "response (injection attempt?)");
	}

	if (mb->tls != CONFIG_TLS_NONE && mb->verify) {
		char *why = NULL;

		if (imap_source_verify_cert(src, &why) < 0) {
			status = imap_source_fail(src, IMAP_SOURCE_PERM, -1,
			    error_r, "certificate of %s rejected: %s",
			    mb->host, why);
			g_free(why);
			return status;
		}
		log_debug("mailbox %s: certificate of %s verified", mb->name,
			  mb->host);
	}
	if (mb->tls == CONFIG_TLS_STARTTLS) {
		/* Capabilities seen before STARTTLS must be discarded (RFC 3501
		   6.2.1), e.g. a LOGINDISABLED that no longer applies. */
		r = imap_source_capabilities(src);
		if (r != MAILIMAP_NO_ERROR)
			return imap_source_fail(src, IMAP_SOURCE_TEMP, r,
			    error_r, "CAPABILITY failed");
	}

	if (!preauth) {
		status = imap_source_login(src, error_r);
		if (status != IMAP_SOURCE_OK)
			return status;
	}

	r = imap_source_capabilities(src);
	if (r != MAILIMAP_NO_ERROR)
		return imap_source_fail(src, IMAP_SOURCE_TEMP, r, error_r,
		    "CAPABILITY failed");

	r = mailimap_select(src->imap, src->folder);
	if (r == MAILIMAP_ERROR_SELECT)
		return imap_source_fail(src,
		    imap_source_code_is_temporary(src) ?
		    IMAP_SOURCE_TEMP : IMAP_SOURCE_PERM, r, error_r,
		    "cannot select folder \"%s\"", src->folder);
	if (r != MAILIMAP_NO_ERROR)
		return imap_source_fail(src, IMAP_SOURCE_TEMP, r, error_r,
		    "cannot select folder \"%s\"", src->folder);
	if (src->imap->imap_selection_info == NULL ||
	    src->imap->imap_selection_info->sel_uidvalidity == 0)
		return imap_source_fail(src, IMAP_SOURCE_PERM, -1, error_r,
		    "server sent no UIDVALIDITY for \"%s\"", src->folder);
	src->uidvalidity = src->imap->imap_selection_info->sel_uidvalidity;
	/* Without UIDNEXT the first fetch asks for the highest UID. */
	if (src->imap->imap_selection_info->sel_uidnext > 0)
		src->uid_top =
		    src->imap->imap_selection_info->sel_uidnext - 1;

	log_info("mailbox %s: connected to %s:%d, folder %s, UIDVALIDITY %u, "
		 "%u messages%s%s%s", mb->name, mb->host, mb->port,
		 src->folder, src->uidvalidity,
		 src->imap->imap_selection_info->sel_exists,
		 src->has_idle ? ", IDLE" : "", src->has_move ? ", MOVE" : "",
		 src->has_uidplus ? ", UIDPLUS" : "");
	return IMAP_SOURCE_OK;
}

static int
imap_source_uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Pull UID, RFC822.SIZE and BODY[] out of one FETCH response. */
static void
imap_source_msg_att(struct mailimap_msg_att *ma, uint32_t *uid_r,
		    uint32_t *size_r, gboolean *has_size_r,
		    const char **body_r, size_t *len_r)
{
	clistiter *it;

	*uid_r = 0;
	*has_size_r = FALSE;
	*body_r = NULL;
	*len_r = 0;
	for (it = clist_begin(ma->att_list); it != NULL; it = clist_next(it)) {
		struct mailimap_msg_att_item *item = clist_content(it);
		struct mailimap_msg_att_static *st;

		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC ||
		    item->att_data.att_static == NULL)
			continue;
		st = item->att_data.att_static;
		switch (st->att_type) {
		case MAILIMAP_MSG_ATT_UID:
			*uid_r = st->att_data.att_uid;
			break;
		case MAILIMAP_MSG_ATT_RFC822_SIZE:
			*size_r = st->att_data.att_rfc822_size;
			*has_size_r = TRUE;
			break;
		case MAILIMAP_MSG_ATT_BODY_SECTION: {
			struct mailimap_msg_att_body_section *sec =
			    st->att_data.att_body_section;

			if (sec != NULL && sec->sec_body_part != NULL) {
				*body_r = sec->sec_body_part;
				*len_r = sec->sec_length;
			}
			break;
		}
		default:
			break;
		}
	}
}

static int
imap_source_entry_cmp(const void *a, const void *b)
{
	const struct imap_source_entry *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

static int
imap_source_body_cmp(const void *a, const void *b)
{
	const struct imap_source_body *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/* Build a set of the n sorted, distinct uids, joining runs into ranges. */
static struct mailimap_set *
imap_source_set(const uint32_t *uids, size_t n)
{
	struct mailimap_set *set;
	size_t i = 0;

	set = mailimap_set_new_empty();
	while (i < n) {
		size_t j = i;

		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		if (j == i)
			mailimap_set_add_single(set, uids[i]);
		else
			mailimap_set_add_interval(set, uids[i], uids[j]);
		i = j + 1;
	}
	return set;
}

/* UID FETCH lo:hi (UID RFC822.SIZE): append the messages of that UID range
   to entries in ascending UID order.  *found_r gets how many were added. */
static int
imap_source_scan_window(struct imap_source *src, uint32_t lo, uint32_t hi,
			GArray *entries, guint *found_r, const char **error_r)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	clist *result = NULL;
	clistiter *it;
	guint first = entries->len, i, out;
	int r;

	*found_r = 0;
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_rfc822_size());
	set = mailimap_set_new_interval(lo, hi);
	r = mailimap_uid_fetch(src->imap, set, ft, &result);
	mailimap_set_free(set);
	mailimap_fetch_type_free(ft);
	if (r != MAILIMAP_NO_ERROR)
		return imap_source_fail(src, IMAP_SOURCE_TEMP, r, error_r,
		    "UID FETCH %u:%u (UID RFC822.SIZE) failed", lo, hi);

	for (it = clist_begin(result); it != NULL; it = clist_next(it)) {
		struct imap_source_entry e;
		gboolean has_size;
		const char *body;
		size_t len;

		imap_source_msg_att(clist_content(it), &e.uid, &e.size,
				    &has_size, &body, &len);
		/* Unsolicited FETCH (flag changes by others) carries no
		   size and may name any message. */
		if (e.uid < lo || e.uid > hi || !has_size)
			continue;
		g_array_append_val(entries, e);
	}
	mailimap_fetch_list_free(result);

	qsort(&g_array_index(entries, struct imap_source_entry, first),
	      entries->len - first, sizeof(struct imap_source_entry),
	      imap_source_entry_cmp);
	for (i = first, out = first; i < entries->len; i++) {
		struct imap_source_entry *e =
		    &g_array_index(entries, struct imap_source_entry, i);

		if (out > first && g_array_index(entries,
		    struct imap_source_entry, out - 1).uid == e->uid)
			continue;
		g_array_index(entries, struct imap_source_entry, out++) = *e;
	}
	g_array_set_size(entries, out);
	*found_r = out - first;
	return IMAP_SOURCE_OK;
}

/* UID FETCH * (UID): the highest UID in the folder into *uid_r (0 when
   the folder is empty).  One response line, however many messages. */
static int
imap_source_probe_top(struct imap_source *src, uint32_t *uid_r,
		      const char **error_r)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	clist *result = NULL;
	clistiter *it;
	int r;

	*uid_r = 0;
	/* "*" in an empty folder is an error on some servers. */
	if (src->imap->imap_selection_info == NULL ||
	    src->imap->imap_selection_info->sel_exists == 0)
		return IMAP_SOURCE_OK;
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_uid());
	set = mailimap_set_new_single(0);	/* 0 is "*" */
	r = mailimap_uid_fetch(src->imap, set, ft, &result);
	mailimap_set_free(set);
	mailimap_fetch_type_free(ft);
	if (r != MAILIMAP_NO_ERROR)
		return imap_source_fail(src, IMAP_SOURCE_TEMP, r, error_r,
		    "UID FETCH * (UID) failed");
	/* Unsolicited FETCH responses name existing messages too, so the
	   highest UID seen is still the folder's highest. */
	for (it = clist_begin(result); it != NULL; it = clist_next(it)) {
		uint32_t uid, size;
		gboolean has_size;
		const char *body;
		size_t len;

		imap_source_msg_att(clist_content(it), &uid, &size, &has_size,
				    &body, &len);
		*uid_r = MAX(*uid_r, uid);
	}
	mailimap_fetch_list_free(result);
	return IMAP_SOURCE_OK;
}

/* List the lowest max_count messages with UID > after_uid into entries,
   sorted, in UID windows: UID FETCH a:b (UID RFC822.SIZE) with b never
   above src->uid_top (so that mail arriving meanwhile, which gets higher
   UIDs, cannot fall into a window already passed), widening the window
   where expunges left the UIDs sparse.  When the windows reach uid_top,
   one UID FETCH * (UID) looks for mail that arrived since; this replaces
   a UID FETCH after_uid+1:* that would list every remaining message on
   each call, O(n) memory and O(n^2) work to drain a backlog. */
static int
imap_source_scan(struct imap_source *src, uint32_t after_uid,
		 unsigned max_count, GArray *entries, const char **error_r)
{
	struct mailimap_selection_info *sel = src->imap->imap_selection_info;
	uint64_t a = (uint64_t)after_uid + 1, span, span_max;
	uint64_t scanned = 0, found = 0;
	gboolean probed = FALSE;
	guint windows = 0;
	int status;

	/* A server may send [UIDNEXT n] with new mail. */
	if (sel != NULL && sel->sel_uidnext > 0 &&
	    sel->sel_uidnext - 1 > src->uid_top)
		src->uid_top = sel->sel_uidnext - 1;
	if (src->empty_hi != 0 && a >= src->empty_lo && a <= src->empty_hi)
		a = (uint64_t)src->empty_hi + 1;

	span_max = MIN((uint64_t)max_count * IMAP_SOURCE_WINDOW_FACTOR,
		       IMAP_SOURCE_WINDOW_MAX);
	span_max = MAX(span_max, IMAP_SOURCE_WINDOW_MIN);
	span = CLAMP((uint64_t)max_count, IMAP_SOURCE_WINDOW_MIN, span_max);

	while (entries->len < max_count && a <= UINT32_MAX) {
		uint64_t b, need;
		guint k;

		if (a > src->uid_top) {
			uint32_t top;

			if (probed)
				break;
			probed = TRUE;
			status = imap_source_probe_top(src, &top, error_r);
			if (status != IMAP_SOURCE_OK)
				return status;
			if (top < a)
				break;
			src->uid_top = top;
			continue;
		}
		b = MIN(a + span - 1, (uint64_t)src->uid_top);
		status = imap_source_scan_window(src, (uint32_t)a,
						 (uint32_t)b, entries, &k,
						 error_r);
		if (status != IMAP_SOURCE_OK)
			return status;
		windows++;
		scanned += b - a + 1;
		found += k;
		a = b + 1;
		if (entries->len >= max_count)
			break;
		/* Size the next window for the messages still needed at the
		   density seen so far; double it while nothing was found. */
		need = max_count - entries->len;
		if (found == 0)
			span = MIN(span * 2, span_max);
		else
			span = CLAMP(need * scanned / found + need / 8 + 1,
				     IMAP_SOURCE_WINDOW_MIN, span_max);
	}
	if (entries->len > max_count)
		g_array_set_size(entries, max_count);

	/* Everything from after_uid + 1 to a - 1 was listed and lies at or
	   below uid_top: when none was there, none will ever be. */
	if (entries->len == 0 && a - 1 > after_uid) {
		src->empty_lo = after_uid + 1;
		src->empty_hi = (uint32_t)(a - 1);
	}
	if (windows > 1)
		log_debug("mailbox %s: listed UIDs %u-%u in %u windows",
			  src->mailbox->name, after_uid + 1, (uint32_t)(a - 1),
			  windows);
	return IMAP_SOURCE_OK;
}

/* One fetch group: entries [start, start + n) of the listing, and once
   fetched their bodies (pointing into libetpan's result list). */
struct imap_source_group {
	size_t start, n;
	clist *result;
	GArray *bodies;		/* struct imap_source_body, by UID */
	void **prepared;	/* per body: what cbs->prepare made of it */
	const struct imap_source_callbacks *cbs;
	int status;
};

static void
imap_source_group_free(struct imap_source_group *g)
{
	if (g == NULL)
		return;
	for (guint i = 0; g->prepared != NULL && i < g->bodies->len; i++)
		if (g->prepared[i] != NULL && g->cbs->free_prepared != NULL)
			g->cbs->free_prepared(g->prepared[i]);
	g_free(g->prepared);
	if (g->bodies != NULL)
		g_array_free(g->bodies, TRUE);
	if (g->result != NULL)
		mailimap_fetch_list_free(g->result);
	g_free(g);
}

/* Send the group's "UID FETCH set (UID BODY.PEEK[])" without waiting for
   the answer (imap_source_fetch_recv() reads it): the server reads the
   next group's files while this side parses the last one.  Only one
   command is ever outstanding, so libetpan's check of the tagged reply
   against the last tag sent still holds.  0, or a libetpan error. */
static int
imap_source_fetch_send(struct imap_source *src,
		       const struct imap_source_entry *entries,
		       const struct imap_source_group *g)
{
	const struct imap_source_entry *e = entries + g->start;
	struct mailimap_set *set;
	uint32_t *uids;
	GString *cmd;
	int r;

	if (src->imap == NULL)
		return MAILIMAP_ERROR_STREAM;
	if (src->imap->imap_state != MAILIMAP_STATE_SELECTED)
		return MAILIMAP_ERROR_BAD_STATE;
	uids = g_new(uint32_t, g->n);
	for (size_t i = 0; i < g->n; i++)
		uids[i] = e[i].uid;
	set = imap_source_set(uids, g->n);
	g_free(uids);
	cmd = g_string_new("UID FETCH ");
	for (clistiter *it = clist_begin(set->set_list); it != NULL;
	     it = clist_next(it)) {
		const struct mailimap_set_item *item = clist_content(it);

		if (it != clist_begin(set->set_list))
			g_string_append_c(cmd, ',');
		g_string_append_printf(cmd, "%u", item->set_first);
		if (item->set_last != item->set_first)
			g_string_append_printf(cmd, ":%u", item->set_last);
	}
	mailimap_set_free(set);
	/* BODY.PEEK[]: the whole message, without setting \Seen. */
	g_string_append(cmd, " (UID BODY.PEEK[])\r\n");
	r = mailimap_send_current_tag(src->imap);
	if (r == MAILIMAP_NO_ERROR &&
	    (mailstream_write(src->imap->imap_stream, cmd->str, cmd->len) !=
	     (ssize_t)cmd->len ||
	     mailstream_flush(src->imap->imap_stream) == -1))
		r = MAILIMAP_ERROR_STREAM;
	g_string_free(cmd, TRUE);
	return r;
}

/* Read the answer to the UID FETCH just sent (as mailimap_uid_fetch()
   does after sending).  0 and *result_r, or a libetpan error. */
static int
imap_source_fetch_read(struct imap_source *src, clist **result_r)
{
	struct mailimap_response *response;
	int r, state;

	*result_r = NULL;
	imap_source_op_begin(src);
	if (mailimap_read_line(src->imap) == NULL)
		r = MAILIMAP_ERROR_STREAM;
	else
		r = mailimap_parse_response(src->imap, &response);
	imap_source_op_end(src);
	if (r != MAILIMAP_NO_ERROR)
		return r;
	*result_r = src->imap->imap_response_info->rsp_fetch_list;
	src->imap->imap_response_info->rsp_fetch_list = NULL;
	state = *result_r != NULL && clist_count(*result_r) > 0 ?
		MAILIMAP_RESP_COND_STATE_OK :
		response->rsp_resp_done->rsp_data.rsp_tagged->rsp_cond_state->
		rsp_type;
	mailimap_response_free(response);
	if (state != MAILIMAP_RESP_COND_STATE_OK) {
		if (*result_r != NULL)
			mailimap_fetch_list_free(*result_r);
		*result_r = NULL;
		return MAILIMAP_ERROR_UID_FETCH;
	}
	if (*result_r == NULL)
		*result_r = clist_new();
	return MAILIMAP_NO_ERROR;
}

/* Record that the group's UID FETCH failed with r (closes the connection
   when the stream broke). */
static void
imap_source_fetch_failed(struct imap_source *src,
			 const struct imap_source_entry *entries,
			 struct imap_source_group *g, int r,
			 const char **error_r)
{
	const struct imap_source_entry *e = entries + g->start;

	g->result = NULL;
	g->status = imap_source_fail(src, IMAP_SOURCE_TEMP, r, error_r,
	    "UID FETCH of %zu messages (UID %u-%u) failed", g->n, e[0].uid,
	    e[g->n - 1].uid);
}

/* Read the answer to the group's UID FETCH (sent by
   imap_source_fetch_send()) into g->bodies: sets g->status, and on
   failure *error_r (src->error). */
static void
imap_source_fetch_recv(struct imap_source *src,
		       const struct imap_source_entry *entries,
		       struct imap_source_group *g, const char **error_r)
{
	clistiter *it;
	int r;

	r = imap_source_fetch_read(src, &g->result);
	if (r != MAILIMAP_NO_ERROR) {
		imap_source_fetch_failed(src, entries, g, r, error_r);
		return;
	}
	g->bodies = g_array_sized_new(FALSE, FALSE,
				      sizeof(struct imap_source_body), g->n);
	for (it = clist_begin(g->result); it != NULL; it = clist_next(it)) {
		struct imap_source_body b;
		uint32_t size;
		gboolean has_size;

		imap_source_msg_att(clist_content(it), &b.uid, &size,
				    &has_size, &b.data, &b.len);
		if (b.uid != 0 && b.data != NULL)
			g_array_append_val(g->bodies, b);
	}
	g_array_sort(g->bodies, imap_source_body_cmp);
	g->status = IMAP_SOURCE_OK;
}

/* Run cbs->prepare on each body of the fetched group. */
static void
imap_source_group_prepare(struct imap_source_group *g)
{
	if (g->status != IMAP_SOURCE_OK || g->cbs->prepare == NULL)
		return;
	g->prepared = g_new0(void *, g->bodies->len);
	for (guint i = 0; i < g->bodies->len; i++) {
		const struct imap_source_body *b = &g_array_index(
		    g->bodies, struct imap_source_body, i);

		g->prepared[i] = g->cbs->prepare(b->data, b->len, g->cbs->ctx);
	}
}

/* Send the group's UID FETCH (logged); a failure goes to g->status and
   *error_r. */
static void
imap_source_group_send(struct imap_source *src,
		       const struct imap_source_entry *entries,
		       struct imap_source_group *g, const char **error_r)
{
	const struct imap_source_entry *e = entries + g->start;
	int r;

	log_debug("mailbox %s: fetching %zu messages, UID %u-%u",
		  src->mailbox->name, g->n, e[0].uid, e[g->n - 1].uid);
	r = imap_source_fetch_send(src, entries, g);
	if (r != MAILIMAP_NO_ERROR)
		imap_source_fetch_failed(src, entries, g, r, error_r);
}

/* UID FETCH the group's BODY.PEEK[] and prepare it: sets g->status, and
   on failure *error_r (src->error). */
static void
imap_source_fetch_bodies(struct imap_source *src,
			 const struct imap_source_entry *entries,
			 struct imap_source_group *g, const char **error_r)
{
	imap_source_group_send(src, entries, g, error_r);
	if (g->status != IMAP_SOURCE_OK)
		return;
	imap_source_fetch_recv(src, entries, g, error_r);
	imap_source_group_prepare(g);
}

/* Hand a fetched group's bodies to cb in UID order.  *stopped_r is TRUE
   when cb asked to stop. */
static void
imap_source_deliver(struct imap_source *src,
		    const struct imap_source_entry *entries,
		    struct imap_source_group *g, unsigned *fetched_r,
		    gboolean *stopped_r)
{
	const struct imap_source_callbacks *cbs = g->cbs;
	const struct imap_source_entry *e = entries + g->start;
	size_t k = 0;

	for (size_t i = 0; i < g->n && !*stopped_r; i++) {
		const struct imap_source_body *b = NULL;

		while (k < g->bodies->len && g_array_index(g->bodies,
		    struct imap_source_body, k).uid < e[i].uid)
			k++;
		if (k < g->bodies->len && g_array_index(g->bodies,
		    struct imap_source_body, k).uid == e[i].uid)
			b = &g_array_index(g->bodies,
					   struct imap_source_body, k);
		if (b == NULL) {
			/* Expunged since the scan, or the server sent NIL. */
			log_debug("mailbox %s: UID %u: no body returned, "
				  "skipped", src->mailbox->name, e[i].uid);
			continue;
		}
		(*fetched_r)++;
		{
			void *prepared = NULL;

			if (g->prepared != NULL) {
				prepared = g->prepared[k];
				g->prepared[k] = NULL;
			}
			if (cbs->message(b->uid, b->data, b->len, prepared,
					 cbs->ctx) < 0)
				*stopped_r = TRUE;
		}
	}
}

/* The fetch pipeline: a thread fetches the groups one after the other,
   at most one ahead of the caller, who ingests them meanwhile.  While the
   thread runs, only it uses src->imap. */
struct imap_source_pipe {
	struct imap_source *src;
	const struct imap_source_entry *entries;
	GPtrArray *groups;	/* struct imap_source_group *, not fetched */
	GMutex lock;
	GCond cond;
	struct imap_source_group *ready;	/* fetched, not taken yet */
	guint fetched;		/* groups fetched (or failed) */
	gboolean cancel;	/* the caller wants no more */
	const char *error;
};

static gpointer
imap_source_pipe_run(gpointer data)
{
	struct imap_source_pipe *p = data;
	/* the group whose UID FETCH is sent and not yet read, or NULL */
	struct imap_source_group *sent = NULL;

	for (guint i = 0; i < p->groups->len; i++) {
		struct imap_source_group *g = p->groups->pdata[i];
		gboolean failed;

		/* at most one group ahead of the caller (memory) */
		g_mutex_lock(&p->lock);
		while (p->ready != NULL && !p->cancel)
			g_cond_wait(&p->cond, &p->lock);
		if (p->cancel) {
			g_mutex_unlock(&p->lock);
			break;
		}
		g_mutex_unlock(&p->lock);
		if (sent != g)
			imap_source_group_send(p->src, p->entries, g,
					       &p->error);
		sent = NULL;
		if (g->status == IMAP_SOURCE_OK)
			imap_source_fetch_recv(p->src, p->entries, g,
					       &p->error);
		failed = g->status != IMAP_SOURCE_OK;
		/* Ask for the next group before parsing this one: the
		   server reads its files meanwhile (its answer waits in the
		   socket until this thread reads it). */
		if (!failed && i + 1 < p->groups->len) {
			sent = p->groups->pdata[i + 1];
			imap_source_group_send(p->src, p->entries, sent,
					       &p->error);
		}
		imap_source_group_prepare(g);
		p->groups->pdata[i] = NULL;
		g_mutex_lock(&p->lock);
		p->ready = g;
		p->fetched++;
		g_cond_signal(&p->cond);
		g_mutex_unlock(&p->lock);
		if (failed)
			break;
	}
	/* Cancelled with a UID FETCH under way: read its answer, so that
	   the next command's reply is not taken for it. */
	if (sent != NULL && sent->status == IMAP_SOURCE_OK)
		imap_source_fetch_recv(p->src, p->entries, sent, &p->error);
	g_mutex_lock(&p->lock);
	p->fetched = p->groups->len;	/* nothing more comes */
	g_cond_signal(&p->cond);
	g_mutex_unlock(&p->lock);
	return NULL;
}

/* The next fetched group, or NULL when there is none.  group_cb runs
   before the caller would wait for the network. */
static struct imap_source_group *
imap_source_pipe_next(struct imap_source_pipe *p,
		      const struct imap_source_callbacks *cbs,
		      gboolean *stopped_r)
{
	struct imap_source_group *g;

	g_mutex_lock(&p->lock);
	if (p->ready == NULL && p->fetched < p->groups->len) {
		g_mutex_unlock(&p->lock);
		if (cbs->group != NULL && cbs->group(cbs->ctx) < 0)
			*stopped_r = TRUE;
		g_mutex_lock(&p->lock);
		while (p->ready == NULL && p->fetched < p->groups->len)
			g_cond_wait(&p->cond, &p->lock);
	}
	g = p->ready;
	p->ready = NULL;
	g_cond_signal(&p->cond);
	g_mutex_unlock(&p->lock);
	return g;
}

/* Fetch and deliver the groups, several through the pipeline. */
static int
imap_source_fetch_groups(struct imap_source *src,
			 const struct imap_source_entry *entries,
			 GPtrArray *groups,
			 const struct imap_source_callbacks *cbs,
			 unsigned *fetched_r, const char **error_r)
{
	struct imap_source_pipe p = { .src = src, .entries = entries,
				      .groups = groups };
	struct imap_source_group *g;
	gboolean stopped = FALSE;
	int status = IMAP_SOURCE_OK;
	GThread *thread;

	if (groups->len == 1) {
		/* nothing to overlap */
		g = groups->pdata[0];
		groups->pdata[0] = NULL;
		imap_source_fetch_bodies(src, entries, g, error_r);
		status = g->status;
		if (status == IMAP_SOURCE_OK)
			imap_source_deliver(src, entries, g, fetched_r,
					    &stopped);
		imap_source_group_free(g);
		return status;
	}
	g_mutex_init(&p.lock);
	g_cond_init(&p.cond);
	thread = g_thread_new("imap-fetch", imap_source_pipe_run, &p);
	while (!stopped &&
	       (g = imap_source_pipe_next(&p, cbs, &stopped))
	       != NULL) {
		if (g->status != IMAP_SOURCE_OK) {
			status = g->status;
			imap_source_group_free(g);
			break;
		}
		if (!stopped)
			imap_source_deliver(src, entries, g, fetched_r,
					    &stopped);
		imap_source_group_free(g);
	}
	/* The thread may be waiting on the server: commit before joining
	   it. */
	if (cbs->group != NULL)
		cbs->group(cbs->ctx);
	g_mutex_lock(&p.lock);
	p.cancel = TRUE;
	g_cond_signal(&p.cond);
	g_mutex_unlock(&p.lock);
	g_thread_join(thread);
	imap_source_group_free(p.ready);
	if (status != IMAP_SOURCE_OK)
		*error_r = p.error;
	g_mutex_clear(&p.lock);
	g_cond_clear(&p.cond);
	return status;
}

int
imap_source_fetch(struct imap_source *src, uint32_t after_uid,
		  unsigned max_count,
		  const struct imap_source_callbacks *cbs,
		  unsigned *fetched_r, const char **error_r)
{
	GArray *entries;
	GPtrArray *groups;
	size_t start = 0;
	int status = IMAP_SOURCE_OK;

	*fetched_r = 0;
	if (src->imap == NULL) {
		g_free(src->error);
		src->error = g_strdup("not connected");
		*error_r = src->error;
		return IMAP_SOURCE_TEMP;
	}
	if (max_count == 0 || after_uid == UINT32_MAX)
		return IMAP_SOURCE_OK;

	entries = g_array_new(FALSE, FALSE, sizeof(struct imap_source_entry));
	status = imap_source_scan(src, after_uid, max_count, entries, error_r);
	if (status != IMAP_SOURCE_OK || entries->len == 0) {
		g_array_free(entries, TRUE);
		return status;
	}
	log_debug("mailbox %s: %u new messages after UID %u",
		  src->mailbox->name, entries->len, after_uid);

	groups = g_ptr_array_new_with_free_func(
		(GDestroyNotify)imap_source_group_free);
	while (start < entries->len) {
		const struct imap_source_entry *e = &g_array_index(entries,
		    struct imap_source_entry, start);
		struct imap_source_group *g = g_new0(struct imap_source_group,
						     1);
		uint64_t total = e[0].size;

		g->start = start;
		g->n = 1;
		g->cbs = cbs;
		while (start + g->n < entries->len &&
		       g->n < IMAP_SOURCE_GROUP_COUNT &&
		       total + e[g->n].size <= IMAP_SOURCE_GROUP_BYTES) {
			total += e[g->n].size;
			g->n++;
		}
		g_ptr_array_add(groups, g);
		start += g->n;
	}
	status = imap_source_fetch_groups(src,
	    (const struct imap_source_entry *)(void *)entries->data, groups,
	    cbs, fetched_r, error_r);
	if (cbs->group != NULL)
		cbs->group(cbs->ctx);
	g_ptr_array_free(groups, TRUE);
	g_array_free(entries, TRUE);
	return status;
}

/* UID STORE +FLAGS.SILENT (flag) on the set; takes flag. */
static int
imap_source_store_flag(struct imap_source *src, struct mailimap_set *set,
		       struct mailimap_flag *flag)
{
	struct mailimap_flag_list *fl;
	struct mailimap_store_att_flags *sa;
	int r;

	fl = mailimap_flag_list_new_empty();
	mailimap_flag_list_add(fl, flag);
	sa = mailimap_store_att_flags_new_add_flags_silent(fl);
	r = mailimap_uid_store(src->imap, set, sa);
	mailimap_store_att_flags_free(sa);
	return r;
}

/* Move or copy the set to the processed folder; creates the folder and
   retries once when the server answers [TRYCREATE]. */
static int
imap_source_transfer(struct imap_source *src, struct mailimap_set *set,
		     const char **error_r)
{
	const char *what = src->has_move ? "UID MOVE" : "UID COPY";
	int r;

	for (int attempt = 0;; attempt++) {
		if (src->has_move)
			r = mailimap_uid_move(src->imap, set, src->processed);
		else
			r = mailimap_uid_copy(src->imap, set, src->processed);
		if (r == MAILIMAP_NO_ERROR)
			return IMAP_SOURCE_OK;
		if (attempt > 0 || imap_source_is_stream_error(r) ||
		    r == MAILIMAP_ERROR_PROTOCOL ||
		    src->imap->imap_response_info == NULL ||
		    !src->imap->imap_response_info->rsp_trycreate)
			break;
		log_info("mailbox %s: creating folder %s", src->mailbox->name,
			 src->processed);
		r = mailimap_create(src->imap, src->processed);
		if (r != MAILIMAP_NO_ERROR) {
			struct mailimap_response_info *ri =
			    src->imap->imap_response_info;
			const char *atom = ri != NULL ? ri->rsp_atom : NULL;

			if (imap_source_is_stream_error(r) || atom == NULL ||
			    g_ascii_strcasecmp(atom, "ALREADYEXISTS") != 0)
				return imap_source_fail(src,
				    imap_source_no_status(src, r), r, error_r,
				    "CREATE \"%s\" failed",
				    src->processed);
		}
	}
	return imap_source_fail(src, imap_source_no_status(src, r), r, error_r,
	    "%s to \"%s\" failed", what, src->processed);
}

static int
imap_source_mark_set(struct imap_source *src, struct mailimap_set *set,
		     const char **error_r)
{
	int r, status;

	if (src->processed == NULL) {
		r = imap_source_store_flag(src, set, mailimap_flag_new_seen());
		if (r != MAILIMAP_NO_ERROR)
			return imap_source_fail(src,
			    imap_source_no_status(src, r), r, error_r,
			    "UID STORE +FLAGS.SILENT (\\Seen) failed");
		return IMAP_SOURCE_OK;
	}
	status = imap_source_transfer(src, set, error_r);
	if (status != IMAP_SOURCE_OK || src->has_move)
		return status;
	r = imap_source_store_flag(src, set, mailimap_flag_new_deleted());
	if (r != MAILIMAP_NO_ERROR)
		return imap_source_fail(src, IMAP_SOURCE_TEMP, r, error_r,
		    "UID STORE +FLAGS.SILENT (\\Deleted) failed");
	if (src->has_uidplus)
		r = mailimap_uid_expunge(src->imap, set);
	else
		r = mailimap_expunge(src->imap);
	if (r != MAILIMAP_NO_ERROR)
		return imap_source_fail(src, IMAP_SOURCE_TEMP, r, error_r,
		    "%s failed", src->has_uidplus ? "UID EXPUNGE" : "EXPUNGE");
	return IMAP_SOURCE_OK;
}

int
imap_source_mark_processed(struct imap_source *src, const uint32_t *uids,
			   size_t n, const char **error_r)
{
	uint32_t *sorted;
	size_t m = 0;
	int status = IMAP_SOURCE_OK;

	if (n == 0)
		return IMAP_SOURCE_OK;
	if (src->imap == NULL) {
		g_free(src->error);
		src->error = g_strdup("not connected");
		*error_r = src->error;
		return IMAP_SOURCE_TEMP;
	}
	sorted = g_memdup2(uids, n * sizeof *uids);
	qsort(sorted, n, sizeof *sorted, imap_source_uid_cmp);
	for (size_t i = 0; i < n; i++)
		if (sorted[i] != 0 && (m == 0 || sorted[m - 1] != sorted[i]))
			sorted[m++] = sorted[i];

	for (size_t i = 0; i < m && status == IMAP_SOURCE_OK;
	     i += IMAP_SOURCE_SET_MAX) {
		size_t k = MIN(m - i, (size_t)IMAP_SOURCE_SET_MAX);
		struct mailimap_set *set = imap_source_set(sorted + i, k);

		status = imap_source_mark_set(src, set, error_r);
		mailimap_set_free(set);
	}
	if (status == IMAP_SOURCE_OK)
		log_debug("mailbox %s: %zu messages marked processed (%s)",
			  src->mailbox->name, m, src->processed == NULL ?
			  "\\Seen" : src->processed);
	g_free(sorted);
	return status;
}

int
imap_source_unmarked(struct imap_source *src, uint32_t max_uid,
		     GArray **uids_r, const char **error_r)
{
	struct mailimap_search_key *key, *uid_key;
	clist *result = NULL;
	clistiter *it;
	GArray *uids;
	int r;

	*uids_r = NULL;
	if (src->imap == NULL) {
		g_free(src->error);
		src->error = g_strdup("not connected");
		*error_r = src->error;
		return IMAP_SOURCE_TEMP;
	}
	uids = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	if (max_uid == 0) {
		*uids_r = uids;
		return IMAP_SOURCE_OK;
	}
	/* Everything at or below max_uid was stored: with \Seen marking the
	   unseen ones are unmarked, with a processed folder all that is
	   still here. */
	uid_key = mailimap_search_key_new_uid(
		mailimap_set_new_interval(1, max_uid));
	if (src->processed == NULL) {
		key = mailimap_search_key_new_multiple_empty();
		mailimap_search_key_multiple_add(key, uid_key);
		mailimap_search_key_multiple_add(key,
			mailimap_search_key_new(MAILIMAP_SEARCH_KEY_UNSEEN,
				NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
				NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL,
				NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL,
				NULL));
	} else {
		key = uid_key;
	}
	r = mailimap_uid_search(src->imap, NULL, key, &result);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR) {
		g_array_free(uids, TRUE);
		return imap_source_fail(src, IMAP_SOURCE_TEMP, r, error_r,
					"UID SEARCH failed");
	}
	for (it = clist_begin(result); it != NULL; it = clist_next(it)) {
		uint32_t *uid = clist_content(it);

		if (uid != NULL && *uid <= max_uid)
			g_array_append_val(uids, *uid);
	}
	mailimap_search_result_free(result);
	*uids_r = uids;
	return IMAP_SOURCE_OK;
}

/* Sleep up to seconds in 1 s slices, then NOOP to keep the connection and
   notice if it died. */
static int
imap_source_wait_poll(struct imap_source *src, int seconds,
		      volatile int *stop, const char **error_r)
{
	time_t end = time(NULL) + seconds;
	int r;

	while (!*stop && time(NULL) < end)
		sleep(1);
	r = mailimap_noop(src->imap);
	if (r != MAILIMAP_NO_ERROR)
		return imap_source_fail(src, IMAP_SOURCE_TEMP, r, error_r,
		    "NOOP failed");
	return IMAP_SOURCE_OK;
}

int
imap_source_wait(struct imap_source *src, int timeout_seconds,
		 volatile int *stop, const char **error_r)
{
	time_t end;
	int r;

	if (src->imap == NULL) {
		g_free(src->error);
		src->error = g_strdup("not connected");
		*error_r = src->error;
		return IMAP_SOURCE_TEMP;
	}
	if (timeout_seconds > IMAP_SOURCE_IDLE_MAX)
		timeout_seconds = IMAP_SOURCE_IDLE_MAX;
	if (timeout_seconds < 0)
		timeout_seconds = 0;
	if (!src->has_idle)
		return imap_source_wait_poll(src, timeout_seconds, stop,
					     error_r);

	end = time(NULL) + timeout_seconds;
	while (!*stop && time(NULL) < end) {
		gboolean ready = FALSE;
		time_t renew = time(NULL) + (time_t)IMAP_SOURCE_IDLE_RENEW *
			src->mailbox->timeout_seconds;
		int fd;

		r = mailimap_idle(src->imap);
		if (r != MAILIMAP_NO_ERROR)
			return imap_source_fail(src, IMAP_SOURCE_TEMP, r,
			    error_r, "IDLE failed");
		fd = mailimap_idle_get_fd(src->imap);
		if (fd < 0)
			return imap_source_fail(src, IMAP_SOURCE_TEMP, -1,
			    error_r, "IDLE: no socket");
		while (!*stop && time(NULL) < end && time(NULL) < renew) {
			struct pollfd pfd = { fd, POLLIN, 0 };
			int pr;

			/* libetpan may already hold bytes read along with
			   the continuation. */
			if (src->imap->imap_stream->read_buffer_len > 0) {
				ready = TRUE;
				break;
			}
			pr = poll(&pfd, 1, 1000);
			if (pr < 0 && errno != EINTR)
				return imap_source_fail(src, IMAP_SOURCE_TEMP,
				    -1, error_r, "IDLE: poll: %s",
				    g_strerror(errno));
			if (pr > 0) {
				ready = TRUE;
				break;
			}
		}
		/* DONE reads whatever the server sent (EXISTS, a keep-alive
		   "* OK", or BYE when it is going away). */
		r = mailimap_idle_done(src->imap);
		if (r != MAILIMAP_NO_ERROR)
			return imap_source_fail(src, IMAP_SOURCE_TEMP, r,
			    error_r, "IDLE DONE failed");
		if (src->imap->imap_selection_info->sel_has_exists ||
		    src->imap->imap_selection_info->sel_has_recent) {
			log_debug("mailbox %s: IDLE: new mail",
				  src->mailbox->name);
			return IMAP_SOURCE_OK;
		}
		if (ready)
			log_debug("mailbox %s: IDLE: woken without new mail",
				  src->mailbox->name);
	}
	return IMAP_SOURCE_OK;
}
