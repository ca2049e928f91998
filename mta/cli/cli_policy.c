/*
 * cli_policy.c: `sealpost policy DOMAIN` (the plan the policy resolver
 * would make now for DOMAIN, as text or with --json as one JSON object)
 * and `sealpost policy --forget DOMAIN` (drop DOMAIN's downgrade memory).
 * The request goes to sealpostd over the control socket (IPC_CTL_POLICY),
 * which relays it to the policy process and its answer back as
 * IPC_POLICY_TEXT frames, written to standard output as they come
 * (doc/design.md §3, §8). The command line and the domain are checked
 * here by pure functions, unit-tested in tests/unit/test_cli_policy.c.
 * Linked by the sealpost binary.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "lib/ipc.h"

/*
 * How long to wait for each frame: longer than the master's own 30 s
 * limit on the policy process, whose expiry it answers with an error.
 */
#define CLI_POLICY_WAIT_MS	35000
/* A DNS name without its final dot (RFC 1035 §2.3.4). */
#define CLI_POLICY_NAME_MAX	253
#define CLI_POLICY_LABEL_MAX	63
/* How much of a refused domain a message repeats. */
#define CLI_POLICY_ARG_SHOW	80

static const char cli_policy_usage_text[] =
    "usage: sealpost policy [--json] domain\n"
    "       sealpost policy --forget domain\n";

/* An address literal's inside: [192.0.2.1], [IPv6:2001:db8::1]. */
static int
cli_policy_literal_char(unsigned char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
	    ch == '.' || ch == ':';
}

static int
cli_policy_name_char(unsigned char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
	    ch == '-' || ch == '_' || ch == '.';
}

int
cli_policy_domain(const char *arg, char *out, size_t outlen,
    const char **why)
{
	size_t len = strlen(arg), i, label = 0;
	unsigned char ch;
	int literal;

	*why = NULL;
	if (len > 1 && arg[len - 1] == '.' && arg[0] != '[')
		len--;			/* the root's dot: example.org. */
	if (len == 0) {
		*why = "empty domain";
		return -1;
	}
	if (len > CLI_POLICY_NAME_MAX || len >= outlen) {
		*why = "domain too long (at most 253 characters)";
		return -1;
	}
	literal = arg[0] == '[';
	if (literal && (len < 3 || arg[len - 1] != ']')) {
		*why = "not a domain name or address literal";
		return -1;
	}
	for (i = 0; i < len; i++) {
		ch = (unsigned char)arg[i];
		if (ch >= 'A' && ch <= 'Z')
			ch = (unsigned char)(ch - 'A' + 'a');
		out[i] = (char)ch;
		if (ch >= 0x80) {
			*why = "not a domain name (give an internationalized "
			    "name as its A-labels, xn--...)";
			return -1;
		}
		if (literal) {
			if (i == 0 || i == len - 1 ||
			    cli_policy_literal_char(ch))
				continue;	/* '[' ']' checked above */
			*why = "not a domain name or address literal";
			return -1;
		}
		if (!cli_policy_name_char(ch)) {
			*why = "not a domain name";
			return -1;
		}
		if (ch == '-' && (label == 0 || i + 1 == len ||
		    arg[i + 1] == '.')) {
			*why = "not a domain name (a label starts or ends "
			    "with '-')";
			return -1;
		}
		if (ch != '.') {
			if (++label > CLI_POLICY_LABEL_MAX) {
				*why = "not a domain name (a label is longer "
				    "than 63 characters)";
				return -1;
			}
			continue;
		}
		if (label == 0) {
			*why = "not a domain name (an empty label)";
			return -1;
		}
		label = 0;
	}
	if (!literal && label == 0) {
		*why = "not a domain name (an empty label)";
		return -1;
	}
	out[len] = '\0';
	return 0;
}

enum cli_policy_cmd
cli_policy_args(int argc, char **argv, struct ipc_policy_query *q,
    char *err, size_t errlen)
{
	const char *domain = NULL, *why;
	int i, json = 0, forget = 0, dashdash = 0, n;

	memset(q, 0, sizeof(*q));
	err[0] = '\0';
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0))
		return CLI_POLICY_HELP;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!dashdash && strcmp(a, "--") == 0) {
			dashdash = 1;
		} else if (!dashdash && strcmp(a, "--json") == 0) {
			json++;
		} else if (!dashdash && strcmp(a, "--forget") == 0) {
			forget++;
		} else if (!dashdash && a[0] == '-') {
			n = snprintf(err, errlen, "unknown option %s", a);
			goto bad;
		} else if (domain != NULL) {
			n = snprintf(err, errlen, "one domain only");
			goto bad;
		} else
			domain = a;
	}
	if (domain == NULL) {
		n = snprintf(err, errlen, "no domain given");
		goto bad;
	}
	if (json > 1 || forget > 1 || (json && forget)) {
		n = snprintf(err, errlen, json && forget ?
		    "--json and --forget exclude each other" :
		    "an option is given twice");
		goto bad;
	}
	if (cli_policy_domain(domain, q->domain, sizeof(q->domain), &why) ==
	    -1) {
		/* the reason first: a long domain is cut in the message */
		n = snprintf(err, errlen, "%s: %.*s%s", why,
		    CLI_POLICY_ARG_SHOW, domain,
		    strlen(domain) > CLI_POLICY_ARG_SHOW ? "..." : "");
		goto bad;
	}
	q->op = forget ? IPC_POLICY_FORGET : json ? IPC_POLICY_SHOW_JSON :
	    IPC_POLICY_SHOW;
	return CLI_POLICY_RUN;
bad:
	if (n < 0 || (size_t)n >= errlen)	/* a long argument: cut */
		err[errlen - 1] = '\0';
	return CLI_POLICY_USAGE;
}

void
cli_policy_clean(char *text, size_t len)
{
	size_t i;
	unsigned char ch;

	for (i = 0; i < len; i++) {
		ch = (unsigned char)text[i];
		if ((ch < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7f)
			text[i] = '?';
	}
}

int
cli_policy_exit(int32_t status)
{
	switch (status) {
	case 0:
		return 0;
	case 1:
		return EX_NOHOST;
	case 2:
		return EX_UNAVAILABLE;
	default:
		return EX_PROTOCOL;
	}
}

/* The message on standard error for the status that ends the answer. */
static void
cli_policy_status_message(const struct cli *cli,
    const struct ipc_policy_query *q, int32_t status)
{
	switch (status) {
	case 0:
		break;
	case 1:
		if (q->op == IPC_POLICY_FORGET)
			fprintf(stderr, "%s: %s: no such memory (nothing is "
			    "remembered for this domain)\n", cli->progname,
			    q->domain);
		else
			fprintf(stderr, "%s: %s: unknown domain\n",
			    cli->progname, q->domain);
		break;
	case 2:
		fprintf(stderr, "%s: %s: the policy process could not "
		    "answer\n", cli->progname, q->domain);
		break;
	default:
		fprintf(stderr, "%s: malformed answer from sealpostd (status "
		    "%ld)\n", cli->progname, (long)status);
		break;
	}
}

/*
 * Reads the answer to q from s and writes its text to standard output as
 * it comes. Returns the exit code.
 */
static int
cli_policy_answer(struct cli *cli, int s, const struct ipc_policy_query *q,
    void *buf)
{
	struct ipc_policy_text t;
	struct ipc_msg msg;
	enum ipc_err e;
	char *text;
	int len;

	for (;;) {
		e = ipc_recv_fd(s, IPC_ALLOW(IPC_POLICY_TEXT) |
		    IPC_ALLOW(IPC_CTL_ERROR), buf, CLI_POLICY_WAIT_MS, &msg);
		if (e == IPC_ESYS && errno == ETIMEDOUT) {
			fprintf(stderr, "%s: no answer from sealpostd within "
			    "%d s\n", cli->progname, CLI_POLICY_WAIT_MS / 1000);
			return EX_UNAVAILABLE;
		}
		if (e != IPC_OK) {
			fprintf(stderr, "%s: reply from sealpostd: %s\n",
			    cli->progname, e == IPC_ESYS ? strerror(errno) :
			    e == IPC_EOF ? "the connection was closed before "
			    "the answer ended" : ipc_strerror(e));
			return e == IPC_ESYS || e == IPC_EOF ? EX_UNAVAILABLE :
			    EX_PROTOCOL;
		}
		if (msg.fd != -1)
			close(msg.fd);
		/* the payload sits in buf, which has room for one more byte */
		text = (char *)msg.data;
		if (msg.type == IPC_CTL_ERROR) {
			cli_policy_clean(text, msg.len);
			len = msg.len > 512 ? 512 : (int)msg.len;
			fprintf(stderr, "%s: %s: %.*s\n", cli->progname,
			    q->domain, len, text);
			return EX_UNAVAILABLE;
		}
		if (msg.len < sizeof(t)) {
			fprintf(stderr, "%s: malformed answer from "
			    "sealpostd\n", cli->progname);
			return EX_PROTOCOL;
		}
		memcpy(&t, msg.data, sizeof(t));
		if (t.len != msg.len - sizeof(t)) {
			fprintf(stderr, "%s: malformed answer from "
			    "sealpostd\n", cli->progname);
			return EX_PROTOCOL;
		}
		text += sizeof(t);
		cli_policy_clean(text, t.len);
		if ((t.len > 0 && fwrite(text, 1, t.len, stdout) != t.len) ||
		    fflush(stdout) == EOF) {
			fprintf(stderr, "%s: writing the answer: %s\n",
			    cli->progname, strerror(errno));
			return EX_IOERR;
		}
		if (t.last) {
			cli_policy_status_message(cli, q, t.status);
			return cli_policy_exit(t.status);
		}
	}
}

int
cli_policy(struct cli *cli, int argc, char **argv)
{
	struct ipc_policy_query q;
	char err[300];
	void *buf;
	int s, rc;

	switch (cli_policy_args(argc, argv, &q, err, sizeof(err))) {
	case CLI_POLICY_HELP:
		fputs(cli_policy_usage_text, stdout);
		return 0;
	case CLI_POLICY_USAGE:
		fprintf(stderr, "%s: policy: %s\n%s", cli->progname, err,
		    cli_policy_usage_text);
		return EX_USAGE;
	case CLI_POLICY_RUN:
		break;
	}
	s = cli_connect(cli);
	if ((buf = malloc(IPC_FRAME_MAX + 1)) == NULL) {
		perror(cli->progname);
		close(s);
		return EX_OSERR;
	}
	if (ipc_send_fd(s, IPC_CTL_POLICY, &q, sizeof(q), -1) == -1) {
		fprintf(stderr, "%s: sending to sealpostd: %s\n", cli->progname,
		    strerror(errno));
		rc = EX_UNAVAILABLE;
	} else
		rc = cli_policy_answer(cli, s, &q, buf);
	free(buf);
	close(s);
	return rc;
}
