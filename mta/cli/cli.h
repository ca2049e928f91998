/*
 * cli.h: shared parts of the sealpost(8) command: exit codes, the
 * connection to sealpostd's control socket, and one entry per command.
 * Linked by the sealpost binary.
 */
#ifndef SEALPOST_CLI_H
#define SEALPOST_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <sysexits.h>

#include "lib/conf.h"

/*
 * Exit codes (sealpost(8), EXIT STATUS): 0 success (and --help,
 * --version), 1 the daemon reports a problem, EX_USAGE (64) bad command
 * line, EX_UNAVAILABLE (69) sealpostd cannot be reached, EX_OSERR (71) out
 * of memory, EX_PROTOCOL (76) the daemon answered nonsense, EX_NOPERM (77)
 * not allowed to use the control socket, EX_CONFIG (78) configuration
 * error. sealpost policy also: EX_NOHOST (68) nothing remembered for the
 * domain (--forget), EX_IOERR (74) the answer could not be written.
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

/*
 * sealpost tlsa [--port N] [--all]: the TLSA records to publish for the
 * server's certificates, on standard output. Returns 0, EX_USAGE,
 * EX_CONFIG (no certificate file, not a certificate), EX_NOPERM (not
 * readable), EX_OSERR or EX_IOERR.
 */
int	cli_tlsa(struct cli *, int argc, char **argv);

/* ---- sealpost policy (cli_policy.c) ---- */
struct ipc_policy_query;
/*
 * sealpost policy [--json] DOMAIN, sealpost policy --forget DOMAIN: the
 * answer of the policy process on standard output. Returns 0, EX_NOHOST
 * (--forget: nothing remembered), EX_UNAVAILABLE (no daemon or policy
 * process, a timeout, a failure), EX_USAGE, EX_PROTOCOL or EX_IOERR.
 */
int	cli_policy(struct cli *, int argc, char **argv);
enum cli_policy_cmd {
	CLI_POLICY_RUN,		/* q is filled in */
	CLI_POLICY_HELP,	/* -h or --help alone */
	CLI_POLICY_USAGE,	/* a bad command line: err says why */
};
/*
 * The command line of sealpost policy (argv[0] is "policy"): fills q
 * (ctl 0, op, the domain as cli_policy_domain makes it) or err (a
 * NUL-terminated message, cut to errlen > 0). Pure.
 */
enum cli_policy_cmd cli_policy_args(int argc, char **argv,
	    struct ipc_policy_query *q, char *err, size_t errlen);
/*
 * Checks the domain arg and writes it lower case, without a final dot,
 * NUL-terminated into out: a host name of letters, digits, '-', '_' and
 * dots (no empty label, none over 63 or with '-' at either end, at most
 * 253 in all), or an address literal in brackets. Returns 0, or -1
 * with *why a static message. Pure.
 */
int	cli_policy_domain(const char *arg, char *out, size_t outlen,
	    const char **why);
/*
 * Replaces each control byte but newline and tab of text[0..len) with
 * '?', so that an answer cannot drive the terminal. Pure.
 */
void	cli_policy_clean(char *text, size_t len);
/* The exit code for the status of an answer's last frame. Pure. */
int	cli_policy_exit(int32_t status);

#endif
