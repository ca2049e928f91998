/*
 * cli_queue_op.c: `sealpost flush`, `hold`, `release`, `delete` (with
 * --bounce) and `requeue`: one IPC_CTL_QUEUE per ID named, or batches of
 * a selection (--domain, --all) like the listing's, which the master
 * relays to the queue process; each answer is IPC_QUEUE_DATA frames of
 * IPC_QUEUE_DONE records (what was done to each message) and an
 * IPC_QUEUE_END (doc/design.md §3). The CLI never touches the spool: the
 * queue process does what is asked and logs who asked. This file is the
 * I/O; the command line, the checks of the records and the lines printed
 * are cli_queue_fmt.c's. Linked by the sealpost binary.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "lib/buf.h"
#include "lib/ipc.h"

/* As cli_queue.c: longer than the master's own limit on the queue. */
#define CLI_QUEUE_OP_WAIT_MS	35000
#define CLI_QUEUE_OP_OUT_MAX	(1024 * 1024)
#define CLI_QUEUE_OP_ERR_SHOW	512

static const char cli_queue_op_usage_text[] =
    "usage: sealpost flush [--json] [-v] id ... | --domain domain | --all\n"
    "       sealpost hold [--json] [-v] id ... | --domain domain | --all\n"
    "       sealpost release [--json] [-v] id ... | --domain domain | --all\n"
    "       sealpost delete [--bounce] [--json] [-v]\n"
    "           id ... | --domain domain | --all\n"
    "       sealpost requeue [--json] [-v] id ... | --domain domain | --all\n"
    "  -v: a line per message of --domain or --all, not only the count\n";

/* The state of one command: the query, the frames, the outcome. */
struct cli_queue_op_run {
	struct cli		*cli;
	int			 s;
	struct ipc_queue_query	*q;
	struct cli_queue_op_opts *o;
	struct buf		 out, err;
	void			*frame;	/* IPC_FRAME_MAX + 1 */
	uint64_t		 done, later, unknown, failed;
	char			 lastid[IPC_Q_ID_MAX + 1];	/* of the
								   batch */
};

/* Writes what is in out and err, in that order. Returns 0 or -1. */
static int
cli_queue_op_flush(struct cli_queue_op_run *r)
{
	if (r->out.len > 0 && fwrite(r->out.data, 1, r->out.len, stdout) !=
	    r->out.len) {
		fprintf(stderr, "%s: writing the result: %s\n",
		    r->cli->progname, strerror(errno));
		return -1;
	}
	buf_reset(&r->out);
	if (fflush(stdout) == EOF) {
		fprintf(stderr, "%s: writing the result: %s\n",
		    r->cli->progname, strerror(errno));
		return -1;
	}
	if (r->err.len > 0)
		fwrite(r->err.data, 1, r->err.len, stderr);
	buf_reset(&r->err);
	return 0;
}

/* Says on standard error: what, then text[0..len) cleaned. */
static void
cli_queue_op_say(const struct cli_queue_op_run *r, const char *what,
    const char *text, size_t len)
{
	struct buf b;

	buf_init(&b, 4 * CLI_QUEUE_OP_ERR_SHOW);
	if (cli_queue_text_put(&b, text, len, CLI_QUEUE_OP_ERR_SHOW) == -1)
		buf_reset(&b);
	fprintf(stderr, "%s: %s%.*s\n", r->cli->progname, what, (int)b.len,
	    b.len > 0 ? b.data : "");
	buf_free(&b);
}

static int
cli_queue_op_bad(const struct cli_queue_op_run *r, const char *why)
{
	fprintf(stderr, "%s: malformed answer from sealpostd: %s\n",
	    r->cli->progname, why);
	return EX_PROTOCOL;
}

/*
 * One DONE record: checked (for an ID, that ID, once; for a batch, ids
 * in increasing order after where it starts), counted, printed. Returns
 * 0, or an exit code.
 */
static int
cli_queue_op_record(struct cli_queue_op_run *r, const uint8_t *rec,
    size_t len, uint32_t *nrec)
{
	struct ipc_queue_done d;
	int show;

	if (len != sizeof(d))
		return cli_queue_op_bad(r, "a result of the wrong size");
	memcpy(&d, rec, sizeof(d));
	if (!cli_queue_done_ok(&d))
		return cli_queue_op_bad(r, "a malformed result");
	if (r->q->id[0] != '\0') {
		if (*nrec > 0 || strcmp(d.id, r->q->id) != 0)
			return cli_queue_op_bad(r, "a result for another "
			    "message");
	} else if (strcmp(d.id, r->q->after) <= 0 ||
	    (*nrec > 0 && strcmp(d.id, r->lastid) <= 0))
		return cli_queue_op_bad(r, "results out of order");
	(void)strlcpy(r->lastid, d.id, sizeof(r->lastid));	/* fits */
	(*nrec)++;
	switch (d.result) {
	case IPC_QUEUE_R_DONE:
		r->done++;
		break;
	case IPC_QUEUE_R_LATER:
		r->later++;
		break;
	case IPC_QUEUE_R_UNKNOWN:
		r->unknown++;
		break;
	case IPC_QUEUE_R_FAILED:
		r->failed++;
		break;
	}
	/* of a selection, only failures unless -v: the count says the rest */
	show = r->o->json || !r->o->selection || r->o->verbose ||
	    d.result == IPC_QUEUE_R_FAILED;
	if (show && cli_queue_fmt_done(&r->out, &r->err, r->o->op, &d,
	    r->o->json) == -1) {
		fprintf(stderr, "%s: %s\n", r->cli->progname, strerror(errno));
		return EX_OSERR;
	}
	return 0;
}

/*
 * Sends the query and reads its answer to the END. Returns 0 with *more
 * set (a selection goes on from q->after, moved on), or an exit code.
 */
static int
cli_queue_op_query(struct cli_queue_op_run *r, int *more)
{
	struct ipc_queue_data h;
	struct ipc_queue_end end;
	struct ipc_msg msg;
	enum ipc_err e;
	const uint8_t *rec;
	size_t off, reclen;
	uint32_t type, i, nrec = 0;
	int rc;

	*more = 0;
	if (ipc_send_fd(r->s, IPC_CTL_QUEUE, r->q, sizeof(*r->q), -1) == -1) {
		fprintf(stderr, "%s: sending to sealpostd: %s\n",
		    r->cli->progname, strerror(errno));
		return EX_UNAVAILABLE;
	}
	for (;;) {
		e = ipc_recv_fd(r->s, IPC_ALLOW(IPC_QUEUE_DATA) |
		    IPC_ALLOW(IPC_QUEUE_END) | IPC_ALLOW(IPC_CTL_ERROR),
		    r->frame, CLI_QUEUE_OP_WAIT_MS, &msg);
		if (e == IPC_ESYS && errno == ETIMEDOUT) {
			fprintf(stderr, "%s: no answer from sealpostd within "
			    "%d s\n", r->cli->progname,
			    CLI_QUEUE_OP_WAIT_MS / 1000);
			return EX_UNAVAILABLE;
		}
		if (e != IPC_OK) {
			fprintf(stderr, "%s: reply from sealpostd: %s\n",
			    r->cli->progname, e == IPC_ESYS ? strerror(errno) :
			    e == IPC_EOF ? "the connection was closed before "
			    "the answer ended" : ipc_strerror(e));
			return e == IPC_ESYS || e == IPC_EOF ? EX_UNAVAILABLE :
			    EX_PROTOCOL;
		}
		if (msg.fd != -1) {
			close(msg.fd);
			return cli_queue_op_bad(r, "a descriptor with a "
			    "result");
		}
		if (msg.type == IPC_CTL_ERROR) {
			cli_queue_op_say(r, "", msg.data, msg.len);
			return EX_UNAVAILABLE;
		}
		if (msg.type == IPC_QUEUE_END)
			break;
		/* IPC_QUEUE_DATA: DONE records only */
		memset(&h, 0, sizeof(h));
		if (msg.len >= sizeof(h))
			memcpy(&h, msg.data, sizeof(h));
		if (msg.len < sizeof(h) || h.len != msg.len - sizeof(h))
			return cli_queue_op_bad(r, "a packed frame of the "
			    "wrong length");
		off = sizeof(h);
		for (i = 0; i < h.nrec; i++) {
			if (cli_queue_unpack(msg.data, msg.len, &off, &type,
			    &rec, &reclen) == -1 || type != IPC_QUEUE_DONE)
				return cli_queue_op_bad(r, "a packed record "
				    "cut or not a result");
			if ((rc = cli_queue_op_record(r, rec, reclen,
			    &nrec)) != 0)
				return rc;
		}
		if (off != msg.len)
			return cli_queue_op_bad(r, "bytes after the packed "
			    "records");
	}
	if (msg.len != sizeof(end))
		return cli_queue_op_bad(r, "an end of the wrong size");
	memcpy(&end, msg.data, sizeof(end));
	if (memchr(end.last, '\0', sizeof(end.last)) == NULL ||
	    memchr(end.text, '\0', sizeof(end.text)) == NULL ||
	    memchr(end.until, '\0', sizeof(end.until)) == NULL)
		return cli_queue_op_bad(r, "a malformed end");
	if (end.status == 2) {
		/* the queue could not: for an ID, that message failed */
		if (r->q->id[0] != '\0' && nrec == 0) {
			struct ipc_queue_done d;

			memset(&d, 0, sizeof(d));
			(void)strlcpy(d.id, r->q->id, sizeof(d.id));
			d.result = IPC_QUEUE_R_FAILED;
			(void)strlcpy(d.text, end.text, sizeof(d.text));
			return cli_queue_op_record(r, (const uint8_t *)&d,
			    sizeof(d), &nrec);
		}
		r->failed++;
		(void)cli_queue_op_flush(r);
		cli_queue_op_say(r, "the queue process could not finish: ",
		    end.text, strlen(end.text));
		return EX_TEMPFAIL;
	}
	if (end.status != 0)
		return cli_queue_op_bad(r, "an unknown status");
	if (r->q->id[0] != '\0') {
		if (nrec != 1 || end.more)
			return cli_queue_op_bad(r, "an answer without its "
			    "result");
		return 0;
	}
	if (end.more) {
		/* the next batch starts after the last id looked at */
		if (strcmp(end.last, r->q->after) <= 0 ||
		    (nrec > 0 && strcmp(end.last, r->lastid) < 0))
			return cli_queue_op_bad(r, "a selection that does not "
			    "move on");
		(void)strlcpy(r->q->after, end.last, sizeof(r->q->after));
		/* what the first batch bounded the selection to, kept */
		if (r->q->until[0] == '\0')
			(void)strlcpy(r->q->until, end.until,
			    sizeof(r->q->until));
		else if (strcmp(end.until, r->q->until) != 0)
			return cli_queue_op_bad(r, "a selection whose bound "
			    "moved");
		*more = 1;
	}
	return 0;
}

int
cli_queue_op(struct cli *cli, int argc, char **argv)
{
	struct ipc_queue_query q;
	struct cli_queue_op_opts o;
	struct cli_queue_op_run r;
	char err[400];
	int rc = 0, i, more;

	memset(&o, 0, sizeof(o));
	if ((o.ids = reallocarray(NULL, (size_t)argc, sizeof(*o.ids))) ==
	    NULL) {
		perror(cli->progname);
		return EX_OSERR;
	}
	switch (cli_queue_op_args(argc, argv, &q, &o, err, sizeof(err))) {
	case CLI_QUEUE_OP_HELP:
		fputs(cli_queue_op_usage_text, stdout);
		free(o.ids);
		return 0;
	case CLI_QUEUE_OP_USAGE:
		fprintf(stderr, "%s: %s: %s\n%s", cli->progname, argv[0], err,
		    cli_queue_op_usage_text);
		free(o.ids);
		return EX_USAGE;
	case CLI_QUEUE_OP_BADID:
		fprintf(stderr, "%s: %s\n", cli->progname, err);
		free(o.ids);
		return EX_DATAERR;
	case CLI_QUEUE_OP_RUN:
		break;
	}
	memset(&r, 0, sizeof(r));
	r.cli = cli;
	r.q = &q;
	r.o = &o;
	buf_init(&r.out, CLI_QUEUE_OP_OUT_MAX);
	buf_init(&r.err, CLI_QUEUE_OP_OUT_MAX);
	r.s = cli_connect(cli);
	if ((r.frame = malloc(IPC_FRAME_MAX + 1)) == NULL) {
		perror(cli->progname);
		rc = EX_OSERR;
		goto out;
	}
	if (o.nids > 0) {
		/* one message at a time, in the order given */
		q.max = 1;
		for (i = 0; i < o.nids && rc == 0; i++) {
			(void)strlcpy(q.id, o.ids[i], sizeof(q.id)); /* valid */
			rc = cli_queue_op_query(&r, &more);
			if (cli_queue_op_flush(&r) == -1 && rc == 0)
				rc = EX_IOERR;
		}
	} else {
		do {
			rc = cli_queue_op_query(&r, &more);
			if (cli_queue_op_flush(&r) == -1 && rc == 0)
				rc = EX_IOERR;
		} while (rc == 0 && more);
	}
	if (rc != 0)
		goto out;
	/* the count: of what delete removed, of what a selection touched */
	if (!o.json && (o.selection || o.op == IPC_QUEUE_DELETE ||
	    o.op == IPC_QUEUE_BOUNCE) &&
	    cli_queue_fmt_op_total(&r.out, o.op, r.done + r.later,
	    r.later) == -1) {
		perror(cli->progname);
		rc = EX_OSERR;
		goto out;
	}
	if (cli_queue_op_flush(&r) == -1)
		rc = EX_IOERR;
	else if (r.failed > 0)
		rc = EX_TEMPFAIL;
	else if (r.unknown > 0)
		rc = EX_NOINPUT;
out:
	buf_free(&r.out);
	buf_free(&r.err);
	free(r.frame);
	free(o.ids);
	close(r.s);
	return rc;
}
