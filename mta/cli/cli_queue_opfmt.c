/*
 * cli_queue_opfmt.c: the pure half of sealpost flush, hold, release,
 * delete and requeue (doc/design.md §3, §12, sealpost(8)): their command
 * line, the check of a queue ID argument before anything is sent (no
 * path is ever built from one, and a bad one stops the command), the
 * check of their IPC_QUEUE_DONE records and the lines printed for them
 * (JSON: RFC 8259). No I/O: output is appended to a struct buf that
 * cli_queue_op.c writes.
 * Unit-tested in tests/unit/test_cli_queue.c. Linked by the sealpost
 * binary.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lib/buf.h"
#include "lib/ipc.h"
#include "smtp/envelope.h"

/* ---- flush, hold, release, delete, requeue ------------------------------ */

/* Per enum ipc_queue_op: the command word, and what DONE did. */
static const struct {
	const char	*name;
	const char	*done;
} cli_queue_ops[IPC_QUEUE_OP_MAX] = {
	[IPC_QUEUE_FLUSH] = { "flush", "flushed" },
	[IPC_QUEUE_HOLD] = { "hold", "held" },
	[IPC_QUEUE_RELEASE] = { "release", "released" },
	[IPC_QUEUE_DELETE] = { "delete", "deleted" },
	[IPC_QUEUE_BOUNCE] = { "delete --bounce", "bounced" },
	[IPC_QUEUE_REQUEUE] = { "requeue", "requeued" },
};

#define CLI_QUEUE_ID_SHOW	64	/* octets of a refused ID shown */

const char *
cli_queue_op_name(int op)
{
	if (op < IPC_QUEUE_FLUSH || op >= IPC_QUEUE_OP_MAX)
		return "?";
	return cli_queue_ops[op].name;
}

int
cli_queue_id_arg(const char *cmd, const char *arg, char *err, size_t errlen)
{
	struct buf b;
	size_t i, len = strlen(arg);
	unsigned char c;
	int n, r = 0;

	if (envelope_id_valid(arg, len))
		return 0;
	/* the ID as the admin can read it back: no byte drives a terminal */
	buf_init(&b, 4 * CLI_QUEUE_ID_SHOW + 8);
	for (i = 0; i < len && i < CLI_QUEUE_ID_SHOW && r == 0; i++) {
		c = (unsigned char)arg[i];
		if (c == '"' || c == '\\')
			r = buf_printf(&b, "\\%c", c);
		else if (c < 0x20 || c > 0x7e)
			r = buf_printf(&b, "\\x%02X", c);
		else
			r = buf_append(&b, &arg[i], 1);
	}
	if (r == 0 && i < len)
		r = buf_puts(&b, "...");
	n = snprintf(err, errlen, "%s: \"%.*s\": not a queue id (12 to 40 "
	    "letters and digits)", cmd, r == 0 ? (int)b.len : 0,
	    r == 0 && b.len > 0 ? b.data : "");
	if (n < 0 || (size_t)n >= errlen)
		err[errlen - 1] = '\0';
	buf_free(&b);
	return -1;
}

enum cli_queue_op_cmd
cli_queue_op_args(int argc, char **argv, struct ipc_queue_query *q,
    struct cli_queue_op_opts *o, char *err, size_t errlen)
{
	const char *dom = NULL, *v, *why = "", *cmd = argv[0];
	int i, missing = 0, twice = 0, bounce = 0, all = 0, n;

	memset(q, 0, sizeof(*q));
	o->op = o->json = o->verbose = o->selection = o->nids = 0;
	err[0] = '\0';
	if (strcmp(cmd, "flush") == 0)
		o->op = IPC_QUEUE_FLUSH;
	else if (strcmp(cmd, "hold") == 0)
		o->op = IPC_QUEUE_HOLD;
	else if (strcmp(cmd, "release") == 0)
		o->op = IPC_QUEUE_RELEASE;
	else if (strcmp(cmd, "delete") == 0)
		o->op = IPC_QUEUE_DELETE;
	else if (strcmp(cmd, "requeue") == 0)
		o->op = IPC_QUEUE_REQUEUE;
	else {
		n = snprintf(err, errlen, "not an operation");
		goto bad;
	}
	q->op = o->op;
	q->max = IPC_QUEUE_BATCH_MAX;
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			return CLI_QUEUE_OP_HELP;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			while (++i < argc)
				o->ids[o->nids++] = argv[i];
			break;
		}
		if (strcmp(a, "--json") == 0)
			twice |= o->json++;
		else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0)
			twice |= o->verbose++;
		else if (strcmp(a, "--all") == 0)
			twice |= all++;
		else if (strcmp(a, "--bounce") == 0 &&
		    o->op == IPC_QUEUE_DELETE)
			twice |= bounce++;
		else if ((v = cli_queue_optval(argc, argv, &i, "--domain",
		    &missing)) != NULL) {
			if (missing) {
				n = snprintf(err, errlen, "--domain needs a "
				    "value");
				goto bad;
			}
			twice |= dom != NULL;
			dom = v;
		} else if (a[0] == '-' && a[1] != '\0') {
			n = snprintf(err, errlen, "unknown option %.*s%s",
			    CLI_QUEUE_ARG_SHOW, a,
			    strlen(a) > CLI_QUEUE_ARG_SHOW ? "..." : "");
			goto bad;
		} else
			o->ids[o->nids++] = a;
	}
	if (twice) {
		n = snprintf(err, errlen, "an option is given twice");
		goto bad;
	}
	o->json = o->json != 0;
	o->verbose = o->verbose != 0;
	if (bounce)
		q->op = o->op = IPC_QUEUE_BOUNCE;
	if ((dom != NULL) + (all != 0) + (o->nids > 0) > 1) {
		n = snprintf(err, errlen, "give message IDs, --domain or "
		    "--all, only one of them");
		goto bad;
	}
	if (dom == NULL && all == 0 && o->nids == 0) {
		n = snprintf(err, errlen, "no message given: name its ID, or "
		    "--domain domain, or --all%s", o->op == IPC_QUEUE_FLUSH ?
		    " (flush --all tries every message now)" : "");
		goto bad;
	}
	if (dom != NULL && cli_policy_domain(dom, q->domain,
	    sizeof(q->domain), &why) == -1) {
		n = snprintf(err, errlen, "--domain: %s: %.*s%s", why,
		    CLI_QUEUE_ARG_SHOW, dom,
		    strlen(dom) > CLI_QUEUE_ARG_SHOW ? "..." : "");
		goto bad;
	}
	q->all = all != 0;
	o->selection = dom != NULL || all != 0;
	/* every ID before anything is sent (doc/design.md §7) */
	for (i = 0; i < o->nids; i++)
		if (cli_queue_id_arg(cli_queue_ops[o->op].name, o->ids[i], err,
		    errlen) == -1)
			return CLI_QUEUE_OP_BADID;
	return CLI_QUEUE_OP_RUN;
bad:
	if (n < 0 || (size_t)n >= errlen)
		err[errlen - 1] = '\0';
	return CLI_QUEUE_OP_USAGE;
}

int
cli_queue_done_ok(const struct ipc_queue_done *d)
{
	return cli_queue_terminated(d->id, sizeof(d->id)) &&
	    envelope_id_valid(d->id, strlen(d->id)) &&
	    cli_queue_terminated(d->text, sizeof(d->text)) &&
	    d->result >= IPC_QUEUE_R_DONE && d->result <= IPC_QUEUE_R_FAILED;
}

int
cli_queue_fmt_done(struct buf *out, struct buf *err, int op,
    const struct ipc_queue_done *d, int json)
{
	static const char *const results[] = { "done", "later", "noop",
	    "unknown", "failed" };
	const char *verb = cli_queue_ops[op].done, *name;
	struct buf *b = d->result == IPC_QUEUE_R_UNKNOWN ||
	    d->result == IPC_QUEUE_R_FAILED ? err : out;

	if (json)
		return buf_puts(out, "{\"id\":") == -1 ||
		    cli_queue_json_str(out, d->id, strlen(d->id)) == -1 ||
		    buf_printf(out, ",\"result\":\"%s\"",
		    results[d->result]) == -1 ||
		    cli_queue_json_field(out, "text", d->text, 1) == -1 ||
		    buf_puts(out, "}\n") == -1 ? -1 : 0;
	if (buf_printf(b, "%s: ", d->id) == -1)
		return -1;
	switch (d->result) {
	case IPC_QUEUE_R_DONE:
		if (buf_puts(b, verb) == -1)
			return -1;
		break;
	case IPC_QUEUE_R_LATER:
		if ((op == IPC_QUEUE_FLUSH ?
		    buf_puts(b, "being delivered now") :
		    buf_printf(b, "%s once the delivery in progress ends",
		    verb)) == -1)
			return -1;
		break;
	case IPC_QUEUE_R_NOOP:
		if (buf_puts(b, "nothing to do") == -1 ||
		    (d->text[0] != '\0' && (buf_puts(b, ": ") == -1 ||
		    cli_queue_put(b, d->text, 0) == -1)))
			return -1;
		break;
	case IPC_QUEUE_R_UNKNOWN:
		if (buf_puts(b, "no such message in the queue") == -1)
			return -1;
		break;
	default:
		/* "could not delete" for delete --bounce too */
		name = op == IPC_QUEUE_BOUNCE ? "bounce" :
		    cli_queue_ops[op].name;
		if (buf_printf(b, "could not %s", name) == -1 ||
		    (d->text[0] != '\0' && (buf_puts(b, ": ") == -1 ||
		    cli_queue_put(b, d->text, 0) == -1)))
			return -1;
		break;
	}
	return buf_puts(b, "\n");
}

int
cli_queue_fmt_op_total(struct buf *b, int op, uint64_t done, uint64_t later)
{
	if (buf_printf(b, "sealpost: %llu message%s %s",
	    (unsigned long long)done, cli_queue_plural(done),
	    cli_queue_ops[op].done) == -1)
		return -1;
	if (later > 0 && buf_printf(b, ", %llu of them once the delivery in "
	    "progress ends", (unsigned long long)later) == -1)
		return -1;
	return buf_puts(b, "\n");
}
