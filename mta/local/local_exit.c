/*
 * local_exit.c: the exit status of an alias's |command as a delivery
 * result (see local_exit.h, doc/design.md §12, sysexits(3), RFC 3463).
 * Pure.
 * Linked by the local binary and its tests.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "ipc_msg.h"
#include "local_exit.h"

#define LOCAL_EXIT_QUOTE	200	/* octets of the command's output */

/* sysexits(3), as Postfix's sys_exits.c maps them. */
static const struct {
	int		 status;
	const char	*name;
	const char	*dsn;
	int		 soft;
} local_exit_codes[] = {
	{ 64, "EX_USAGE", "5.3.0", 0 },
	{ 65, "EX_DATAERR", "5.6.0", 0 },
	{ 66, "EX_NOINPUT", "5.3.0", 0 },
	{ 67, "EX_NOUSER", "5.1.1", 0 },
	{ 68, "EX_NOHOST", "5.1.2", 0 },
	{ 69, "EX_UNAVAILABLE", "5.3.0", 0 },
	{ 70, "EX_SOFTWARE", "5.3.0", 0 },
	{ 71, "EX_OSERR", "4.3.0", 1 },
	{ 72, "EX_OSFILE", "5.3.0", 0 },
	{ 73, "EX_CANTCREAT", "5.2.0", 0 },
	{ 74, "EX_IOERR", "5.3.0", 0 },
	{ 75, "EX_TEMPFAIL", "4.3.0", 1 },
	{ 76, "EX_PROTOCOL", "5.5.0", 0 },
	{ 77, "EX_NOPERM", "5.7.0", 0 },
	{ 78, "EX_CONFIG", "5.3.5", 0 },
};

/* The first line of out, printable, into q. */
static void
local_exit_quote(const char *out, size_t outlen, char *q, size_t size)
{
	size_t i, n = 0;
	unsigned char c;

	for (i = 0; i < outlen && n + 1 < size && n < LOCAL_EXIT_QUOTE;
	    i++) {
		c = (unsigned char)out[i];
		if (c == '\n' || (c == '\r' && (i + 1 == outlen ||
		    out[i + 1] == '\n')))
			break;
		q[n++] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
	q[n] = '\0';
}

void
local_exit_result(int status, int timedout, const char *out, size_t outlen,
    struct local_result *res)
{
	char q[LOCAL_EXIT_QUOTE + 1], what[64];
	const char *dsn = "5.3.0";
	size_t i;
	int soft = 0, code, n;

	memset(res, 0, sizeof(*res));
	local_exit_quote(out, outlen, q, sizeof(q));
	if (!timedout && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		res->outcome = IPC_OUT_SENT;
		res->code = 250;
		(void)strlcpy(res->dsn, "2.0.0", sizeof(res->dsn));
		(void)strlcpy(res->text, "delivered to command",
		    sizeof(res->text));
		return;
	}
	if (timedout) {
		soft = 1;
		dsn = "4.3.0";
		(void)strlcpy(what, "took too long; killed", sizeof(what));
	} else if (WIFSIGNALED(status)) {
		soft = 1;
		dsn = "4.3.0";
		(void)snprintf(what, sizeof(what), "killed by signal %d",
		    WTERMSIG(status));
	} else if (WIFEXITED(status)) {
		code = WEXITSTATUS(status);
		(void)snprintf(what, sizeof(what), "exit status %d", code);
		for (i = 0; i < sizeof(local_exit_codes) /
		    sizeof(local_exit_codes[0]); i++)
			if (local_exit_codes[i].status == code) {
				dsn = local_exit_codes[i].dsn;
				soft = local_exit_codes[i].soft;
				(void)snprintf(what, sizeof(what),
				    "exit status %d (%s)", code,
				    local_exit_codes[i].name);
				break;
			}
	} else {
		soft = 1;
		dsn = "4.3.0";
		(void)strlcpy(what, "ended strangely", sizeof(what));
	}
	res->outcome = soft ? IPC_OUT_DEFERRED : IPC_OUT_BOUNCED;
	res->code = soft ? 451 : 550;
	(void)strlcpy(res->dsn, dsn, sizeof(res->dsn));
	n = snprintf(res->text, sizeof(res->text), "command %s%s%s", what,
	    q[0] != '\0' ? ": " : "", q);
	if (n < 0 || (size_t)n >= sizeof(res->text))
		res->text[sizeof(res->text) - 1] = '\0';
}
