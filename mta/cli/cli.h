/*
 * cli.h: shared parts of the sealpost(8) command: exit codes, the
 * connection to sealpostd's control socket, and one entry per command.
 * Linked by the sealpost binary.
 */
#ifndef SEALPOST_CLI_H
#define SEALPOST_CLI_H

#include <sysexits.h>

#include "lib/conf.h"

/*
 * Exit codes (sealpost(8), EXIT STATUS): 0 success (and --help,
 * --version), 1 the daemon reports a problem, EX_USAGE (64) bad command
 * line, EX_UNAVAILABLE (69) sealpostd cannot be reached, EX_OSERR (71) out
 * of memory, EX_PROTOCOL (76) the daemon answered nonsense, EX_NOPERM (77)
 * not allowed to use the control socket, EX_CONFIG (78) configuration
 * error.
 */
#define CLI_EX_PROBLEM	1

/*
 * Where ./quickstart runs its development instance, relative to the
 * directory it is started in: `sealpost -u ./dev-run status` talks to it.
 */
#define CLI_DEVRUN	"./dev-run"

struct cli {
	struct conf	 conf;
	const char	*progname;
	const char	*file;		/* -f, or NULL */
	int		 argc;		/* the command and its arguments */
	char		**argv;
};

/*
 * Connects to the control socket of c->conf.run_dir. Returns the socket,
 * or exits with EX_UNAVAILABLE / EX_NOPERM and a message naming the path
 * (and, when sealpostd does not run at the default path but a development
 * instance runs in ./dev-run, the command that reaches it).
 */
int	cli_connect(struct cli *);
/* sealpost status: processes, pids, users, uptime. Returns an exit code. */
int	cli_status(struct cli *, int argc, char **argv);

#endif
