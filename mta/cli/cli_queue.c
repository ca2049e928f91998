/*
 * cli_queue.c: `sealpost queue`, also run as mailq(1): the listing of the
 * queue, pulled from sealpostd over the control socket in batches of at
 * most IPC_QUEUE_BATCH_MAX messages (IPC_CTL_QUEUE, from the id where the
 * last batch ended), which the master relays to the queue process and
 * whose IPC_QUEUE_ITEM, IPC_QUEUE_RCPT and IPC_QUEUE_END frames it
 * relays back (doc/design.md §3). Printed as it comes, so the memory
 * stays flat however large the queue: text in the manner of mailq, JSON
 * Lines with --json, per-domain counts with --summary. This file is the
 * I/O; what is checked and printed is decided in cli_queue_fmt.c.
 * Linked by the sealpost binary.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "lib/buf.h"
#include "lib/ipc.h"

/*
 * How long to wait for each frame: longer than the master's own limit
 * on the queue process, whose expiry it answers with IPC_CTL_ERROR.
 */
#define CLI_QUEUE_WAIT_MS	35000
/* Output is written when this much is ready; a piece is far smaller. */
#define CLI_QUEUE_FLUSH		65536
#define CLI_QUEUE_OUT_MAX	(4 * 1024 * 1024)
/* How much of an error text from sealpostd is repeated. */
#define CLI_QUEUE_ERR_SHOW	512

static const char cli_queue_usage_text[] =
    "usage: sealpost queue [--json] [--summary] [--domain domain]\n"
    "           [--state state[,state]] [--failure type]\n"
    "           [--older-than duration]\n"
    "  states: pending, deferred, active, held;\n"
    "  durations: 90s, 30m, 2h, 3d, 1w\n"
    "  mailq [option ...] is sealpost queue [option ...]\n";

/* The command line main() goes on with when run as mailq, kept to exit. */
static char **cli_queue_mailq_argv;

int
cli_queue_mailq(int *argcp, char ***argvp)
{
	char **argv = *argvp, **nv;
	const char *name;
	int argc = *argcp, i, g = 1;

	if (argc < 1 || argv[0] == NULL)
		return 0;
	name = strrchr(argv[0], '/') != NULL ? strrchr(argv[0], '/') + 1 :
	    argv[0];
	if (strcmp(name, "mailq") != 0)
		return 0;
	if ((nv = reallocarray(NULL, (size_t)argc + 2, sizeof(*nv))) == NULL)
		return -1;
	/* sealpost's own -f FILE and -u DIR stay before the command */
	while (g + 1 < argc && (strcmp(argv[g], "-f") == 0 ||
	    strcmp(argv[g], "-u") == 0))
		g += 2;
	for (i = 0; i < g; i++)
		nv[i] = argv[i];
	nv[g] = (char *)"queue";
	for (i = g; i < argc; i++)
		nv[i + 1] = argv[i];
	nv[argc + 1] = NULL;
	free(cli_queue_mailq_argv);
	cli_queue_mailq_argv = nv;
	*argcp = argc + 1;
	*argvp = nv;
	return 1;
}

/* The terminal's columns, or CLI_QUEUE_WIDTH when it is no terminal. */
static size_t
cli_queue_width(void)
{
	struct winsize ws;

	if (isatty(STDOUT_FILENO) &&
	    ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
		return ws.ws_col;
	return CLI_QUEUE_WIDTH;
}

/*
 * Writes out[0..len) to standard output and drops it from out. Returns 0,
 * or -1 after saying why.
 */
static int
cli_queue_write(const struct cli *cli, struct buf *out, size_t len)
{
	if (len > 0 && fwrite(out->data, 1, len, stdout) != len) {
		fprintf(stderr, "%s: writing the listing: %s\n", cli->progname,
		    strerror(errno));
		return -1;
	}
	buf_consume(out, len);
	return 0;
}

/* Says on standard error: text[0..len), cleaned, after what. */
static void
cli_queue_say(const struct cli *cli, const char *what, const char *text,
    size_t len)
{
	struct buf b;

	buf_init(&b, 4 * CLI_QUEUE_ERR_SHOW);
	if (cli_queue_text_put(&b, text, len, CLI_QUEUE_ERR_SHOW) == -1)
		buf_reset(&b);
	fprintf(stderr, "%s: %s%.*s\n", cli->progname, what, (int)b.len,
	    b.len > 0 ? b.data : "");
	buf_free(&b);
}

/* The state of one run: the query, its frames, what is printed. */
struct cli_queue_run {
	struct cli		*cli;
	int			 s;
	struct ipc_queue_query	*q;
	struct cli_queue_opts	*o;
	struct buf		 out;
	size_t			 whole;	/* out's bytes of whole messages */
	struct cli_queue_sum	*sum;	/* --summary */
	struct cli_queue_tally	 tally;
	void			*frame;	/* IPC_FRAME_MAX + 1 */
};

/* The summary, once the listing is complete. Returns 0 or -1 (errno). */
static int
cli_queue_summary(struct cli_queue_run *r)
{
	size_t n, i;

	if (cli_queue_sum_sort(r->sum, &n) == -1 ||
	    cli_queue_fmt_sum_head(&r->out, r->sum, r->o->json) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (cli_queue_fmt_sum_row(&r->out, r->sum, i, r->o->json) ==
		    -1)
			return -1;
		if (r->out.len >= CLI_QUEUE_FLUSH &&
		    cli_queue_write(r->cli, &r->out, r->out.len) == -1) {
			errno = EIO;
			return -1;
		}
	}
	return cli_queue_fmt_sum_tail(&r->out, r->sum, r->o->json,
	    r->o->filtered);
}

int
cli_queue_unpack(const uint8_t *data, size_t len, size_t *off,
    uint32_t *type, const uint8_t **rec, size_t *reclen)
{
	struct ipc_queue_rec h;
	size_t n;

	if (len - *off < sizeof(h))
		return -1;
	memcpy(&h, data + *off, sizeof(h));
	n = h.type == IPC_QUEUE_ITEM ? sizeof(struct ipc_queue_item) :
	    h.type == IPC_QUEUE_RCPT ? sizeof(struct ipc_queue_rcpt) :
	    h.type == IPC_QUEUE_DONE ? sizeof(struct ipc_queue_done) : 0;
	if (n == 0 || len - *off - sizeof(h) < n)
		return -1;
	*type = h.type;
	*rec = data + *off + sizeof(h);
	*reclen = n;
	*off += sizeof(h) + n;
	return 0;
}

/*
 * Asks for the batches and prints them as they come. Returns the exit
 * code; on a failure, only the messages that are whole are printed.
 */
static int
cli_queue_list(struct cli_queue_run *r)
{
	struct cli_queue_pager p;
	struct ipc_queue_item item;
	struct ipc_queue_rcpt rcpt;
	struct ipc_msg msg;
	enum ipc_err e;
	size_t width = cli_queue_width();
	int64_t now = (int64_t)time(NULL);
	const uint8_t *vdata;
	size_t vlen, off;
	uint32_t vtype, irec, nrec;
	int rc, head = 0, json = r->o->json;

	cli_queue_pager_init(&p, r->q, &item, &rcpt);
	for (;;) {
		/* the first batch, or the next one from where it ended */
		if (ipc_send_fd(r->s, IPC_CTL_QUEUE, r->q, sizeof(*r->q), -1) ==
		    -1) {
			fprintf(stderr, "%s: sending to sealpostd: %s\n",
			    r->cli->progname, strerror(errno));
			return EX_UNAVAILABLE;
		}
		do {
			e = ipc_recv_fd(r->s, IPC_ALLOW(IPC_QUEUE_ITEM) |
			    IPC_ALLOW(IPC_QUEUE_RCPT) | IPC_ALLOW(IPC_QUEUE_DATA) |
			    IPC_ALLOW(IPC_QUEUE_END) | IPC_ALLOW(IPC_CTL_ERROR),
			    r->frame, CLI_QUEUE_WAIT_MS, &msg);
			if (e == IPC_ESYS && errno == ETIMEDOUT) {
				fprintf(stderr, "%s: no answer from sealpostd "
				    "within %d s\n", r->cli->progname,
				    CLI_QUEUE_WAIT_MS / 1000);
				rc = EX_UNAVAILABLE;
				goto fail;
			}
			if (e != IPC_OK) {
				fprintf(stderr, "%s: reply from sealpostd: "
				    "%s\n", r->cli->progname, e == IPC_ESYS ?
				    strerror(errno) : e == IPC_EOF ? "the "
				    "connection was closed before the listing "
				    "ended" : ipc_strerror(e));
				rc = e == IPC_ESYS || e == IPC_EOF ?
				    EX_UNAVAILABLE : EX_PROTOCOL;
				goto fail;
			}
			if (msg.fd != -1)
				close(msg.fd);
			/*
			 * One frame, or many records packed in one
			 * (IPC_QUEUE_DATA): each goes through the same checks
			 * as a frame of its own.
			 */
			nrec = 1;
			off = 0;
			vtype = msg.type;
			vdata = msg.data;
			vlen = msg.len;
			if (msg.type == IPC_QUEUE_DATA) {
				struct ipc_queue_data h;

				memset(&h, 0, sizeof(h));
				if (msg.len >= sizeof(h))
					memcpy(&h, msg.data, sizeof(h));
				if (msg.len < sizeof(h) ||
				    h.len != msg.len - sizeof(h)) {
					fprintf(stderr, "%s: malformed answer "
					    "from sealpostd: a packed frame of "
					    "the wrong length\n",
					    r->cli->progname);
					rc = EX_PROTOCOL;
					goto fail;
				}
				nrec = h.nrec;
				off = sizeof(h);
			}
			for (irec = 0; irec < nrec; irec++) {
				if (msg.type == IPC_QUEUE_DATA &&
				    cli_queue_unpack(msg.data, msg.len, &off,
				    &vtype, &vdata, &vlen) == -1) {
					fprintf(stderr, "%s: malformed answer "
					    "from sealpostd: a packed record cut "
					    "or of an unknown type\n",
					    r->cli->progname);
					rc = EX_PROTOCOL;
					goto fail;
				}
				rc = 0;
				rc = 0;
				switch (cli_queue_pager_feed(&p, vtype, vdata, vlen)) {
				case CLI_QUEUE_P_ITEM:
					if (r->sum != NULL) {
						rc = cli_queue_sum_item(r->sum, &item);
						break;
					}
					cli_queue_tally_item(&r->tally, &item);
					if (!json && !head++)
						rc = cli_queue_fmt_head(&r->out);
					if (rc == 0)
						rc = cli_queue_fmt_item(&r->out, &item,
						    json);
					break;
				case CLI_QUEUE_P_RCPT:
					if (r->sum != NULL) {
						rc = cli_queue_sum_rcpt(r->sum, &rcpt);
						break;
					}
					cli_queue_tally_rcpt(&r->tally, &rcpt);
					rc = cli_queue_fmt_rcpt(&r->out, &rcpt, json,
					    p.rcpt_left + 1 == item.nrcpt, now, width);
					break;
				case CLI_QUEUE_P_NEXT:
					break;
				case CLI_QUEUE_P_DONE:
					return 0;
				case CLI_QUEUE_P_FAILED:
					cli_queue_say(r->cli, "the queue process could "
					    "not list the queue: ", p.end_text,
					    strlen(p.end_text));
					rc = EX_UNAVAILABLE;
					goto fail;
				case CLI_QUEUE_P_ERROR:
					cli_queue_say(r->cli, "",
					    (const char *)msg.data, msg.len);
					rc = EX_UNAVAILABLE;
					goto fail;
				case CLI_QUEUE_P_BAD:
					fprintf(stderr, "%s: malformed answer from "
					    "sealpostd: %s\n", r->cli->progname, p.why);
					rc = EX_PROTOCOL;
					goto fail;
				}
				if (rc == -1) {
					fprintf(stderr, "%s: %s\n", r->cli->progname,
					    strerror(errno));
					return EX_OSERR;
				}
				if ((vtype == IPC_QUEUE_ITEM ||
				    vtype == IPC_QUEUE_RCPT) && p.rcpt_left == 0) {
					if (r->sum == NULL &&
					    cli_queue_fmt_item_end(&r->out, &item,
					    json) == -1) {
						fprintf(stderr, "%s: %s\n",
						    r->cli->progname, strerror(errno));
						return EX_OSERR;
					}
					r->whole = r->out.len;
				}
				if (r->out.len >= CLI_QUEUE_FLUSH) {
					if (cli_queue_write(r->cli, &r->out,
					    r->out.len) == -1)
						return EX_IOERR;
					r->whole = 0;
				}
			}
			if (msg.type == IPC_QUEUE_DATA && off != msg.len) {
				fprintf(stderr, "%s: malformed answer from "
				    "sealpostd: bytes after the packed "
				    "records\n", r->cli->progname);
				rc = EX_PROTOCOL;
				goto fail;
			}
		} while (msg.type != IPC_QUEUE_END);
		/* a batch ended with more: what it brought goes out now */
		if (cli_queue_write(r->cli, &r->out, r->out.len) == -1)
			return EX_IOERR;
		if (fflush(stdout) == EOF) {
			fprintf(stderr, "%s: writing the listing: %s\n",
			    r->cli->progname, strerror(errno));
			return EX_IOERR;
		}
		r->whole = 0;
	}
fail:
	/* what was whole before it failed */
	if (cli_queue_write(r->cli, &r->out, r->whole) == -1)
		return EX_IOERR;
	return rc;
}

int
cli_queue(struct cli *cli, int argc, char **argv)
{
	struct ipc_queue_query q;
	struct cli_queue_opts o;
	struct cli_queue_run r;
	char err[300];
	int rc;

	switch (cli_queue_args(argc, argv, (int64_t)time(NULL), &q, &o, err,
	    sizeof(err))) {
	case CLI_QUEUE_HELP:
		fputs(cli_queue_usage_text, stdout);
		return 0;
	case CLI_QUEUE_USAGE:
		fprintf(stderr, "%s: queue: %s\n%s", cli->progname, err,
		    cli_queue_usage_text);
		return EX_USAGE;
	case CLI_QUEUE_RUN:
		break;
	}
	memset(&r, 0, sizeof(r));
	r.cli = cli;
	r.q = &q;
	r.o = &o;
	buf_init(&r.out, CLI_QUEUE_OUT_MAX);
	r.s = cli_connect(cli);
	if ((r.frame = malloc(IPC_FRAME_MAX + 1)) == NULL ||
	    (o.summary && (r.sum = cli_queue_sum_new()) == NULL)) {
		perror(cli->progname);
		rc = EX_OSERR;
		goto out;
	}
	if ((rc = cli_queue_list(&r)) != 0)
		goto out;
	if ((r.sum != NULL ? cli_queue_summary(&r) :
	    r.o->json ? 0 : cli_queue_fmt_total(&r.out, &r.tally,
	    o.filtered)) == -1) {
		rc = errno == EIO ? EX_IOERR : EX_OSERR;
		if (rc == EX_OSERR)
			perror(cli->progname);
		goto out;
	}
	if (cli_queue_write(cli, &r.out, r.out.len) == -1)
		rc = EX_IOERR;
	else if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "%s: writing the listing: %s\n", cli->progname,
		    strerror(errno));
		rc = EX_IOERR;
	}
out:
	cli_queue_sum_free(r.sum);
	buf_free(&r.out);
	free(r.frame);
	close(r.s);
	return rc;
}
