/*
 * queue_bounce.c: makes the bounces, delay warnings and success notices
 * (NOTIFY=SUCCESS relayed to a hop without DSN, RFC 3461 §6.2) of the queue
 * runner (doc/design.md §12) as new messages of the queue: the DSN text
 * from the pure builder (queue_dsn.c, RFC 3464), written to incoming/ and
 * committed through the flusher like a message from smtpin, before the
 * original's recipients change state. Who is told: the envelope sender,
 * for the recipients whose NOTIFY asks for it (RFC 3461); for a message
 * with the null sender (itself a bounce) the postmaster
 * (bounce_notice_recipient), once: if that copy fails too, it is dropped
 * with a log line. A bounce never goes to <>.
 * Linked by the queue binary.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "queue.h"
#include "queue_dsn.h"
#include "queue_run.h"

/* The header block is all a DSN returns of a message past this. */
#define QUEUE_BOUNCE_HEADER_READ	(256 * 1024)

struct queue_bounce {
	struct queue_run	*run;
	struct queue_msg	*m;
	enum queue_dsn_kind	 kind;
	uint32_t		*idx;
	size_t			 n;
	char			 to[ENVELOPE_ADDR_MAX + 1];
	const char		*what;	/* failure, delay, success,
					   postmaster */
};

/* Reads up to want octets of the original into *out (malloc'ed). */
static int
queue_bounce_read(struct queue_msg *m, size_t want, char **out, size_t *len)
{
	ssize_t got;

	*len = 0;
	if ((*out = malloc(want + 1)) == NULL)
		return -1;
	while (*len < want) {
		got = pread(m->fd, *out + *len, want - *len, (off_t)*len);
		if (got == -1 && errno == EINTR)
			continue;
		if (got == -1) {
			free(*out);
			*out = NULL;
			return -1;
		}
		if (got == 0)
			break;
		*len += (size_t)got;
	}
	return 0;
}

static void
queue_bounce_done(struct queue *q, struct queue_tx *t)
{
	struct queue_bounce *b = t->arg;
	struct log_kv kv;
	int error = t->error;

	if (t->fd != -1)
		close(t->fd);
	if (t->envfd != -1)
		close(t->envfd);
	if (error != 0) {
		queue_incoming_unlink(q, t->id);
		log_warnx("queue: %s: the %s notice %s could not be committed: "
		    "%s; trying again", b->m->id, b->what, t->id,
		    strerror(error));
	} else {
		/* one line per bounce sent (doc/design.md §9) */
		log_kv_init(&kv, "bounce");
		log_kv_str(&kv, "id", b->m->id);
		log_kv_str(&kv, "bounce_id", t->id);
		log_kv_str(&kv, "kind", b->what);
		log_kv_str(&kv, "to", b->to);
		log_kv_fmt(&kv, "nrcpt", "%zu", b->n);
		log_kv_emit(&kv);
		queue_run_committed(q, t->id, NULL);
	}
	free(t);
	queue_run_dsn_done(b->run, b->m, b->kind, b->idx, b->n, error);
	free(b->idx);
	free(b);
}

/* Writes buf[0..len) to fd. Returns 0 or -1 with errno. */
static int
queue_bounce_write_all(int fd, const char *buf, size_t len)
{
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * Creates incoming/ID with text and incoming/ID.env with env, and hands
 * them to the flusher. Returns 0, or -1 (logged, nothing left behind).
 */
static int
queue_bounce_commit(struct queue_run *run, struct queue_bounce *b,
    const char *id, struct envelope *env, const struct buf *text)
{
	struct queue *q = run->q;
	struct queue_tx *t;
	char envname[QUEUE_NAME_MAX], *eb = NULL;
	size_t esize = 2048, elen;
	int rv;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -1;
	t->fd = t->envfd = -1;
	t->kind = QUEUE_TX_LOCAL;
	t->done = queue_bounce_done;
	t->arg = b;
	t->size = env->size;
	t->nrcpt = env->nrcpt;
	(void)strlcpy(t->id, id, sizeof(t->id));
	if (queue_env_name(envname, sizeof(envname), t->id) == -1)
		goto fail;
	(void)strlcpy(env->id, t->id, sizeof(env->id));
	for (;;) {
		if ((eb = realloc(eb, esize)) == NULL)
			goto fail;
		if ((rv = envelope_write(env, eb, esize, &elen)) != -1)
			break;
		esize = elen;
	}
	if (rv != 0)
		goto fail;
	t->fd = openat(q->incoming_fd, t->id, O_CREAT | O_EXCL | O_WRONLY |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (t->fd == -1 || queue_bounce_write_all(t->fd, text->data,
	    text->len) == -1)
		goto fail;
	t->envfd = openat(q->incoming_fd, envname, O_CREAT | O_EXCL |
	    O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (t->envfd == -1 || queue_bounce_write_all(t->envfd, eb, elen) == -1)
		goto fail;
	free(eb);
	queue_flush_add(q, t);
	return 0;
fail:
	log_warn("queue: %s: cannot write the %s notice", b->m->id, b->what);
	free(eb);
	if (t->fd != -1)
		close(t->fd);
	if (t->envfd != -1)
		close(t->envfd);
	if (t->id[0] != '\0')
		queue_incoming_unlink(q, t->id);
	free(t);
	return -1;
}

int
queue_bounce_start(struct queue_run *run, struct queue_msg *m,
    enum queue_dsn_kind kind,
    const uint32_t *idx, size_t n)
{
	const struct envelope *e = m->env;
	const struct conf *c = run->q->conf;
	struct queue_dsn_rcpt *dr = NULL;
	struct queue_dsn_msg dm;
	struct queue_dsn_out out;
	struct queue_bounce *b = NULL;
	struct envelope env;
	struct envelope_rcpt *nr;
	struct reason why;
	struct buf text;
	enum queue_dsn_action action = kind == QUEUE_DSN_DELAY ?
	    QUEUE_DSN_ACTION_DELAYED : kind == QUEUE_DSN_SUCCESS ?
	    QUEUE_DSN_ACTION_RELAYED : QUEUE_DSN_ACTION_FAILED;
	char *orig = NULL, token[QUEUE_DSN_TOKEN_MAX + 1];
	char bid[ENVELOPE_ID_MAX + 1];
	size_t bidlen;
	size_t i, nd = 0, olen = 0, want;
	int64_t now = (int64_t)time(NULL);
	int postmaster = 0, rv = -1;

	if (e->from[0] == '\0') {
		/*
		 * never a bounce to <>; a delay or a success of a bounce
		 * is nobody's
		 */
		if (kind != QUEUE_DSN_FAILURE)
			return 1;
		if (e->notice == ENVELOPE_NOTICE_POSTMASTER) {
			log_warnx("queue: %s: the postmaster's copy of a "
			    "failed bounce failed too (%zu recipient%s); "
			    "dropped", e->id, n, n == 1 ? "" : "s");
			return 1;
		}
		postmaster = 1;
	}
	buf_init(&text, run->bounce_size_limit + 1024 * 1024);
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (b->idx = reallocarray(NULL, n, sizeof(*b->idx))) == NULL ||
	    (dr = reallocarray(NULL, n, sizeof(*dr))) == NULL)
		goto out;
	b->run = run;
	b->m = m;
	b->kind = kind;
	b->what = postmaster ? "postmaster" : kind == QUEUE_DSN_DELAY ?
	    "delay" : kind == QUEUE_DSN_SUCCESS ? "success" : "failure";
	(void)strlcpy(b->to, postmaster ? run->notice_rcpt : e->from,
	    sizeof(b->to));
	/* every recipient counts as reported, told or not */
	memcpy(b->idx, idx, n * sizeof(*idx));
	b->n = n;
	for (i = 0; i < n; i++) {
		const struct envelope_rcpt *r = &e->rcpt[idx[i]];

		if (!postmaster && !queue_dsn_wanted(e->from, r->notify, kind,
		    run->sc.delay_warning_time != 0))
			continue;
		queue_dsn_rcpt_from_envelope(r, action,
		    kind == QUEUE_DSN_DELAY ?
		    e->arrival + run->sc.queue_lifetime : 0, &dr[nd]);
		if (kind == QUEUE_DSN_SUCCESS) {
			/* the state is sent: the hop is not in the error */
			dr[nd].status = "2.0.0";
			dr[nd].code = 0;
			dr[nd].text = "";
			dr[nd].mx = m->relayed_mx != NULL ?
			    m->relayed_mx[idx[i]] : "";
		}
		nd++;
	}
	if (nd == 0) {
		log_info("queue: %s: no %s notice: the recipients' NOTIFY "
		    "does not ask for one", e->id, b->what);
		rv = 1;
		goto out;
	}
	want = e->size <= run->bounce_size_limit && e->ret != ENVELOPE_RET_HDRS
	    ? (size_t)e->size : QUEUE_BOUNCE_HEADER_READ;
	if (want > e->size)
		want = (size_t)e->size;
	if (queue_bounce_read(m, want, &orig, &olen) == -1) {
		log_warn("queue: %s: read the message for its %s notice",
		    e->id, b->what);
		goto out;
	}
	if (queue_id_next(&run->q->idgen, bid, sizeof(bid)) == -1) {
		log_warn("queue: %s: an id for its %s notice", e->id, b->what);
		goto out;
	}
	/* the boundary token: the random end of the bounce's own id */
	bidlen = strlen(bid);
	(void)strlcpy(token, bidlen > QUEUE_DSN_TOKEN_MAX ?
	    bid + bidlen - QUEUE_DSN_TOKEN_MAX : bid, sizeof(token));
	memset(&dm, 0, sizeof(dm));
	dm.kind = kind;
	dm.hostname = c->hostname;
	dm.dsn_id = bid;
	dm.token = token;
	dm.now = now;
	dm.queue_id = e->id;
	dm.arrival = e->arrival;
	dm.sender = postmaster ? run->notice_rcpt : e->from;
	dm.envid = e->envid;
	dm.ret = e->ret;
	dm.bounce_size_limit = run->bounce_size_limit;
	dm.original = orig;
	dm.original_len = olen;
	dm.original_size = e->size;
	dm.rcpt = dr;
	dm.nrcpt = nd;
	if (queue_dsn_build(&dm, queue_dsn_buf_write, &text, &out, &why) ==
	    -1) {
		log_warnx("queue: %s: %s notice: %s", e->id, b->what,
		    why.text);
		goto out;
	}
	envelope_init(&env);
	env.arrival = now;
	env.size = text.len;
	env.from[0] = '\0';	/* RFC 3461 §6.2: a DSN has the null sender */
	env.body = out.eightbit ? ENVELOPE_BODY_8BITMIME : ENVELOPE_BODY_NONE;
	env.smtputf8 = out.smtputf8;
	env.notice = postmaster ? ENVELOPE_NOTICE_POSTMASTER :
	    ENVELOPE_NOTICE_NONE;
	(void)strlcpy(env.client_helo, c->hostname, sizeof(env.client_helo));
	(void)strlcpy(env.id, "000000000000", sizeof(env.id));
	if ((nr = envelope_add_rcpt(&env, b->to)) == NULL) {
		log_warnx("queue: %s: %s notice: bad recipient", e->id,
		    b->what);
		envelope_free(&env);
		goto out;
	}
	nr->notify = ENVELOPE_NOTIFY_NEVER;
	if (queue_bounce_commit(run, b, bid, &env, &text) == -1) {
		envelope_free(&env);
		goto out;
	}
	envelope_free(&env);
	b = NULL;	/* queue_bounce_done owns it now */
	rv = 0;
out:
	buf_free(&text);
	free(orig);
	free(dr);
	if (b != NULL) {
		free(b->idx);
		free(b);
	}
	return rv;
}
