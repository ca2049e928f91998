/*
 * cli_audit_msg.c: `sealpost audit --message FILE|-|ID [--json]`
 * (doc/design.md §9; sealpost(8)): reads the head of one message (a
 * file, standard input, or a queued message through sealpostd as
 * `sealpost show` does, cli_show_content in cli_show.c), at most
 * CLI_AUDIT_RECV_HEAD_MAX octets and one more to know it went on, hands
 * it to the pure parser (cli_audit_recv.c) and prints the report
 * (cli_audit_recv_fmt.c). Linked by the sealpost binary.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_audit_recv.h"
#include "lib/buf.h"
#include "smtp/envelope.h"

static const char cli_audit_msg_usage_text[] =
    "usage: sealpost audit --message FILE|-|ID [--json]\n"
    "  FILE   a message file (one saved from a mail client, an mbox "
    "with one message)\n"
    "  -      the message on standard input\n"
    "  ID     a message in the queue (as `sealpost show ID`); a file "
    "with such a\n"
    "         name is ./NAME\n"
    "  --json one JSON object (sealpost(8) lists its members)\n"
    "exit: 0 every hop that says said TLS, 1 a hop was cleartext, 2 "
    "nothing known\n";

/*
 * Reads fd into b up to b's max or the end. Returns 0, or -1 with errno.
 */
static int
cli_audit_msg_read(int fd, struct buf *b)
{
	char *p;
	ssize_t n;
	size_t want;

	while (b->len < b->max) {
		want = b->max - b->len < 65536 ? b->max - b->len : 65536;
		if ((p = buf_reserve(b, want)) == NULL)
			return -1;
		n = read(fd, p, want);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		buf_commit(b, (size_t)n);
	}
	return 0;
}

/* The file at path, or standard input for "-", into b. Returns 0 or an
 * exit code after saying why. */
static int
cli_audit_msg_file(const struct cli *cli, const char *path, struct buf *b)
{
	struct stat st;
	int fd;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "%s audit: %s: %s\n", cli->progname, path,
		    strerror(errno));
		return EX_NOINPUT;
	}
	if (fstat(fd, &st) == -1 || S_ISDIR(st.st_mode)) {
		fprintf(stderr, "%s audit: %s: %s\n", cli->progname, path,
		    S_ISDIR(st.st_mode) ? "a directory" : strerror(errno));
		if (fd != STDIN_FILENO)
			close(fd);
		return EX_NOINPUT;
	}
	if (cli_audit_msg_read(fd, b) == -1) {
		fprintf(stderr, "%s audit: %s: %s\n", cli->progname,
		    fd == STDIN_FILENO ? "standard input" : path,
		    strerror(errno));
		if (fd != STDIN_FILENO)
			close(fd);
		return EX_NOINPUT;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	return 0;
}

int
cli_audit_msg(struct cli *cli, int argc, char **argv)
{
	struct cli_audit_recv *r = NULL;
	struct cli_audit_recv_verdict vd;
	struct buf in, out;
	const char *v, *src = NULL, *why;
	int i, json = 0, missing = 0, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			fputs(cli_audit_msg_usage_text, stdout);
			return 0;
		}
		if (strcmp(argv[i], "--json") == 0) {
			json = 1;
			continue;
		}
		if ((v = cli_queue_optval(argc, argv, &i, "--message",
		    &missing)) != NULL && !missing && *v != '\0' &&
		    src == NULL) {
			src = v;
			continue;
		}
		fprintf(stderr, "%s audit: %s\n%s", cli->progname, v != NULL ?
		    (src != NULL ? "--message given twice" : "--message takes "
		    "a file, - or a queue id") : "--message takes no other "
		    "option than --json", cli_audit_msg_usage_text);
		return EX_USAGE;
	}
	if (src == NULL) {
		fputs(cli_audit_msg_usage_text, stderr);
		return EX_USAGE;
	}
	buf_init(&in, CLI_AUDIT_RECV_HEAD_MAX + 1);
	buf_init(&out, 16 * 1024 * 1024);
	if (strchr(src, '/') == NULL && strcmp(src, "-") != 0 &&
	    envelope_id_valid(src, strlen(src)))
		rc = cli_show_content(cli, src, &in);
	else
		rc = cli_audit_msg_file(cli, src, &in);
	if (rc != 0)
		goto out;
	if ((r = malloc(sizeof(*r))) == NULL) {
		fprintf(stderr, "%s audit: %s\n", cli->progname,
		    strerror(errno));
		rc = EX_OSERR;
		goto out;
	}
	if (cli_audit_recv_parse(in.data, in.len, r, &why) == -1) {
		fprintf(stderr, "%s audit: %s: %s\n", cli->progname,
		    strcmp(src, "-") == 0 ? "standard input" : src, why);
		rc = EX_DATAERR;
		goto out;
	}
	if (cli_audit_recv_fmt(&out, r, strcmp(src, "-") == 0 ? "(stdin)" :
	    src, json) == -1) {
		fprintf(stderr, "%s audit: the report: %s\n", cli->progname,
		    strerror(errno));
		rc = EX_OSERR;
		goto out;
	}
	if (fwrite(out.data, 1, out.len, stdout) != out.len ||
	    fflush(stdout) == EOF) {
		fprintf(stderr, "%s audit: standard output: %s\n",
		    cli->progname, strerror(errno));
		rc = EX_IOERR;
		goto out;
	}
	cli_audit_recv_verdict(r, &vd);
	rc = vd.exit;
out:
	free(r);
	buf_free(&in);
	buf_free(&out);
	return rc;
}
