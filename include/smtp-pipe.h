#ifndef TICKETD_SMTP_PIPE_H
#define TICKETD_SMTP_PIPE_H

#include "smtp.h"

/*
 * SMTP spoken by ticketd itself with command pipelining (RFC 2920), for
 * plain smtp:// without STARTTLS or AUTH; smtp.c uses it when
 * smtp_pipe_new() gives one and libcurl otherwise.  Same contract as
 * smtp_client_send_many().
 */
struct smtp_pipe;

/* TRUE when cfg asks for nothing but a plain connection (and
   [smtp] pipelining is on). */
gboolean smtp_pipe_usable(const struct config_smtp *cfg);

/* A client for cfg (borrowed), or NULL when !smtp_pipe_usable(cfg). */
struct smtp_pipe *smtp_pipe_new(const struct config_smtp *cfg);

/* Say QUIT on idle connections, close them all and free. */
void smtp_pipe_free(struct smtp_pipe *pipe);

void smtp_pipe_send_many(struct smtp_pipe *pipe, struct smtp_job **jobs,
			 guint n, smtp_done_cb_t *done, void *ctx);

#endif
