/*
 * cli_show.c: `sealpost show ID`: one IPC_CTL_QUEUE (op SHOW) through
 * sealpostd to the queue process, which answers IPC_QUEUE_FILE frames,
 * each with a read-only descriptor of one of the message's files (the
 * envelope, its attempt history, the content), then an IPC_QUEUE_END
 * (doc/design.md §3). The CLI reads the files through the descriptors
 * (it never opens a path in the spool), up to the end of the header
 * unless --body, and cli_show_fmt.c says what is printed. The same query
 * gives `sealpost audit --message ID` its message (cli_show_content).
 * Linked by the sealpost binary.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_audit_recv.h"
#include "lib/buf.h"
#include "lib/ipc.h"

#define CLI_SHOW_WAIT_MS	35000	/* as cli_queue.c */
#define CLI_SHOW_FILES_MAX	16	/* descriptors in one answer */
#define CLI_SHOW_ENV_MAX	(16 * 1024 * 1024)	/* envelopes: 8 MiB */
#define CLI_SHOW_HIST_MAX	(64 * 1024 * 1024)	/* the history */
#define CLI_SHOW_HEADER_MAX	(4 * 1024 * 1024)	/* without --body */
#define CLI_SHOW_BODY_MAX	((size_t)1024 * 1024 * 1024)
#define CLI_SHOW_CHUNK		65536
#define CLI_SHOW_ERR_SHOW	512

static const char cli_show_usage_text[] =
    "usage: sealpost show [--body] [--json] id\n";

/* The descriptors of the answer, in the order they came. */
struct cli_show_files {
	int		fd[CLI_SHOW_FILES_MAX];
	int32_t		kind[CLI_SHOW_FILES_MAX];
	int		n;
	int		active;
};

static void
cli_show_close(struct cli_show_files *f)
{
	int i;

	for (i = 0; i < f->n; i++)
		close(f->fd[i]);
	f->n = 0;
}

static int
cli_show_bad(const struct cli *cli, const char *why)
{
	fprintf(stderr, "%s: malformed answer from sealpostd: %s\n",
	    cli->progname, why);
	return EX_PROTOCOL;
}

/* Says on standard error: what, then text[0..len) cleaned. */
static void
cli_show_say(const struct cli *cli, const char *what, const char *text,
    size_t len)
{
	struct buf b;

	buf_init(&b, 4 * CLI_SHOW_ERR_SHOW);
	if (cli_queue_text_put(&b, text, len, CLI_SHOW_ERR_SHOW) == -1)
		buf_reset(&b);
	fprintf(stderr, "%s: %s%.*s\n", cli->progname, what, (int)b.len,
	    b.len > 0 ? b.data : "");
	buf_free(&b);
}

/*
 * Sends the query and takes the files to the END: ENVELOPE first, then
 * HISTORY (any number), then CONTENT, each once, with a descriptor.
 * Returns 0 with f filled (the caller closes them), or an exit code with
 * every descriptor closed.
 */
static int
cli_show_ask(struct cli *cli, int s, const struct ipc_queue_query *q,
    struct cli_show_files *f, void *frame)
{
	struct ipc_queue_file qf;
	struct stat st;
	struct ipc_queue_end end;
	struct ipc_msg msg;
	enum ipc_err e;
	int32_t want = IPC_QUEUE_F_ENVELOPE;
	int rc;

	if (ipc_send_fd(s, IPC_CTL_QUEUE, q, sizeof(*q), -1) == -1) {
		fprintf(stderr, "%s: sending to sealpostd: %s\n",
		    cli->progname, strerror(errno));
		return EX_UNAVAILABLE;
	}
	for (;;) {
		e = ipc_recv_fd(s, IPC_ALLOW(IPC_QUEUE_FILE) |
		    IPC_ALLOW(IPC_QUEUE_END) | IPC_ALLOW(IPC_CTL_ERROR), frame,
		    CLI_SHOW_WAIT_MS, &msg);
		if (e == IPC_ESYS && errno == ETIMEDOUT) {
			fprintf(stderr, "%s: no answer from sealpostd within "
			    "%d s\n", cli->progname, CLI_SHOW_WAIT_MS / 1000);
			rc = EX_UNAVAILABLE;
			goto fail;
		}
		if (e != IPC_OK) {
			fprintf(stderr, "%s: reply from sealpostd: %s\n",
			    cli->progname, e == IPC_ESYS ? strerror(errno) :
			    e == IPC_EOF ? "the connection was closed before "
			    "the answer ended" : ipc_strerror(e));
			rc = e == IPC_ESYS || e == IPC_EOF ? EX_UNAVAILABLE :
			    EX_PROTOCOL;
			goto fail;
		}
		if (msg.type != IPC_QUEUE_FILE)
			break;
		if (msg.fd == -1) {
			rc = cli_show_bad(cli, "a file without a descriptor");
			goto fail;
		}
		if (f->n == CLI_SHOW_FILES_MAX) {
			close(msg.fd);
			rc = cli_show_bad(cli, "too many files");
			goto fail;
		}
		f->fd[f->n++] = msg.fd;
		/* a pipe or a socket would block the reads below for ever */
		if (fstat(msg.fd, &st) == -1 || !S_ISREG(st.st_mode)) {
			rc = cli_show_bad(cli, "a descriptor that is not a "
			    "file");
			goto fail;
		}
		if (msg.len != sizeof(qf)) {
			rc = cli_show_bad(cli, "a file of the wrong size");
			goto fail;
		}
		memcpy(&qf, msg.data, sizeof(qf));
		/* ENVELOPE, HISTORY..., CONTENT: nothing else, nothing after */
		if (want == 0 || (qf.kind != want &&
		    !(want == IPC_QUEUE_F_HISTORY &&
		    qf.kind == IPC_QUEUE_F_CONTENT))) {
			rc = cli_show_bad(cli, "files out of order");
			goto fail;
		}
		f->kind[f->n - 1] = qf.kind;
		f->active |= qf.active != 0;
		want = qf.kind == IPC_QUEUE_F_CONTENT ? 0 : IPC_QUEUE_F_HISTORY;
	}
	if (msg.fd != -1) {
		close(msg.fd);
		rc = cli_show_bad(cli, "a descriptor with an end");
		goto fail;
	}
	if (msg.type == IPC_CTL_ERROR) {
		cli_show_say(cli, "", msg.data, msg.len);
		rc = EX_UNAVAILABLE;
		goto fail;
	}
	if (msg.len != sizeof(end)) {
		rc = cli_show_bad(cli, "an end of the wrong size");
		goto fail;
	}
	memcpy(&end, msg.data, sizeof(end));
	if (memchr(end.text, '\0', sizeof(end.text)) == NULL) {
		rc = cli_show_bad(cli, "a malformed end");
		goto fail;
	}
	if (end.status == 3 && f->n == 0) {
		fprintf(stderr, "%s: show: %s: no such message in the queue\n",
		    cli->progname, q->id);
		rc = EX_NOINPUT;
		goto fail;
	}
	if (end.status == 2 && f->n == 0) {
		cli_show_say(cli, "show: the queue process could not: ",
		    end.text, strlen(end.text));
		rc = EX_TEMPFAIL;
		goto fail;
	}
	if (end.status != 0 || want != 0) {
		rc = cli_show_bad(cli, end.status != 0 ? "an unknown status" :
		    "an end before the content");
		goto fail;
	}
	return 0;
fail:
	cli_show_close(f);
	return rc;
}

/*
 * Appends what fd holds to b, from its start, up to max octets; with
 * header_only, stops once the header's end is in b (from off on).
 * Returns 0, or -1 after saying why.
 */
static int
cli_show_read(const struct cli *cli, int fd, struct buf *b, size_t off,
    int header_only, const char *what)
{
	char *p;
	ssize_t n;

	for (;;) {
		if (header_only && b->len > off &&
		    cli_show_header_len(b->data + off, b->len - off) <
		    b->len - off)
			return 0;
		if (b->len == b->max) {
			if (header_only)
				return 0;	/* show what fits */
			fprintf(stderr, "%s: show: the %s is larger than %zu "
			    "octets\n", cli->progname, what, b->max);
			return -1;
		}
		if ((p = buf_reserve(b, b->max - b->len < CLI_SHOW_CHUNK ?
		    b->max - b->len : CLI_SHOW_CHUNK)) == NULL) {
			fprintf(stderr, "%s: show: %s\n", cli->progname,
			    strerror(errno));
			return -1;
		}
		n = read(fd, p, b->max - b->len < CLI_SHOW_CHUNK ?
		    b->max - b->len : CLI_SHOW_CHUNK);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			fprintf(stderr, "%s: show: reading the %s: %s\n",
			    cli->progname, what, strerror(errno));
			return -1;
		}
		if (n == 0)
			return 0;
		buf_commit(b, (size_t)n);
	}
}

int
cli_show(struct cli *cli, int argc, char **argv)
{
	struct ipc_queue_query q;
	struct cli_show_opts o;
	struct cli_show_files f;
	struct cli_show_in in;
	struct buf env, hist, content, out;
	char err[300], why[300];
	void *frame = NULL;
	int s, i, rc;

	switch (cli_show_args(argc, argv, &o, err, sizeof(err))) {
	case CLI_SHOW_HELP:
		fputs(cli_show_usage_text, stdout);
		return 0;
	case CLI_SHOW_USAGE:
		fprintf(stderr, "%s: show: %s\n%s", cli->progname, err,
		    cli_show_usage_text);
		return EX_USAGE;
	case CLI_SHOW_BADID:
		fprintf(stderr, "%s: %s\n", cli->progname, err);
		return EX_DATAERR;
	case CLI_SHOW_RUN:
		break;
	}
	memset(&q, 0, sizeof(q));
	memset(&f, 0, sizeof(f));
	q.op = IPC_QUEUE_SHOW;
	q.max = 1;
	(void)strlcpy(q.id, o.id, sizeof(q.id));	/* checked: it fits */
	buf_init(&env, CLI_SHOW_ENV_MAX);
	buf_init(&hist, CLI_SHOW_HIST_MAX);
	buf_init(&content, o.body ? CLI_SHOW_BODY_MAX : CLI_SHOW_HEADER_MAX);
	buf_init(&out, (size_t)-1);
	s = cli_connect(cli);
	if ((frame = malloc(IPC_FRAME_MAX + 1)) == NULL) {
		perror(cli->progname);
		rc = EX_OSERR;
		goto out;
	}
	if ((rc = cli_show_ask(cli, s, &q, &f, frame)) != 0)
		goto out;
	rc = EX_IOERR;
	for (i = 0; i < f.n; i++) {
		if (f.kind[i] == IPC_QUEUE_F_ENVELOPE) {
			if (cli_show_read(cli, f.fd[i], &env, 0, 0,
			    "envelope") == -1)
				goto out;
		} else if (f.kind[i] == IPC_QUEUE_F_HISTORY) {
			/* a file cut in a line must not run into the next */
			if ((hist.len > 0 && hist.data[hist.len - 1] != '\n' &&
			    buf_append(&hist, "\n", 1) == -1) ||
			    cli_show_read(cli, f.fd[i], &hist, 0, 0,
			    "history") == -1)
				goto out;
		} else if (cli_show_read(cli, f.fd[i], &content, 0, !o.body,
		    "message") == -1)
			goto out;
	}
	memset(&in, 0, sizeof(in));
	in.env = env.data;
	in.envlen = env.len;
	in.hist = hist.data;
	in.histlen = hist.len;
	in.content = content.data;
	in.contentlen = content.len;
	in.active = f.active;
	in.body = o.body;
	in.json = o.json;
	in.now = (int64_t)time(NULL);
	switch (cli_show_fmt(&out, &in, why, sizeof(why))) {
	case 0:
		break;
	case -2:
		cli_show_say(cli, "show: the envelope does not parse: ", why,
		    strlen(why));
		rc = EX_PROTOCOL;
		goto out;
	default:
		perror(cli->progname);
		rc = EX_OSERR;
		goto out;
	}
	if ((out.len > 0 && fwrite(out.data, 1, out.len, stdout) != out.len) ||
	    fflush(stdout) == EOF) {
		fprintf(stderr, "%s: writing the message: %s\n", cli->progname,
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	cli_show_close(&f);
	buf_free(&env);
	buf_free(&hist);
	buf_free(&content);
	buf_free(&out);
	free(frame);
	close(s);
	return rc;
}

/*
 * The query of `sealpost show ID` for `sealpost audit --message ID`
 * (cli_audit_msg.c): only the content, up to the end of its header.
 */
int
cli_show_content(struct cli *cli, const char *id, struct buf *b)
{
	struct ipc_queue_query q;
	struct cli_show_files f;
	void *frame;
	int s, i, rc;

	memset(&q, 0, sizeof(q));
	memset(&f, 0, sizeof(f));
	q.op = IPC_QUEUE_SHOW;
	q.max = 1;
	if (strlcpy(q.id, id, sizeof(q.id)) >= sizeof(q.id)) {
		fprintf(stderr, "%s: %s: not a queue id\n", cli->progname, id);
		return EX_DATAERR;
	}
	if ((frame = malloc(IPC_FRAME_MAX + 1)) == NULL) {
		perror(cli->progname);
		return EX_OSERR;
	}
	s = cli_connect(cli);
	if ((rc = cli_show_ask(cli, s, &q, &f, frame)) == 0) {
		rc = EX_PROTOCOL;	/* cli_show_ask: a content comes */
		for (i = 0; i < f.n; i++)
			if (f.kind[i] == IPC_QUEUE_F_CONTENT)
				rc = cli_show_read(cli, f.fd[i], b, 0, 1,
				    "message") == -1 ? EX_IOERR : 0;
	}
	cli_show_close(&f);
	free(frame);
	close(s);
	return rc;
}
