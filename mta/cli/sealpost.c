/*
 * sealpost.c: the sealpost(8) command line tool. It finds sealpostd's
 * control socket from the same configuration file the daemon reads and
 * dispatches to one cli_*.c file per command. Its conventions
 * (doc/design.md §5): help and version on standard output with status 0;
 * a bad command line prints the usage on standard error with EX_USAGE;
 * every other status is one of sysexits(3), as listed in cli.h.
 * Linked by the sealpost binary.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "cli_audit.h"
#include "cli_check.h"
#include "cli_tlsrpt.h"
#include "cli_verify.h"
#include "lib/args.h"

static int	cli_help(struct cli *, int, char **);

static const struct {
	const char	*name;
	int		(*fn)(struct cli *, int, char **);
	const char	*help;
} cli_cmds[] = {
	{ "status", cli_status, "show the running processes" },
	{ "policy", cli_policy, "show the outbound plan for a domain" },
	{ "tlsa", cli_tlsa, "print the TLSA records to publish" },
	{ "check", cli_check, "check a domain's mail security live" },
	{ "queue", cli_queue, "list the queue (also run as mailq)" },
	{ "show", cli_show, "show a queued message and its attempts" },
	{ "tlsrpt", cli_tlsrpt, "send the daily TLS reports (RFC 8460)" },
	{ "audit", cli_audit, "report hop encryption from the log" },
	{ "flush", cli_queue_op, "try queued messages now" },
	{ "hold", cli_queue_op, "keep queued messages from delivery" },
	{ "release", cli_queue_op, "let held messages go again" },
	{ "delete", cli_queue_op, "remove queued messages (--bounce: DSN)" },
	{ "requeue", cli_queue_op, "forget the plans of messages, try now" },
	{ "help", cli_help, "show this help" },
};

static void	usage(FILE *, int) __attribute__((__noreturn__));

/* Prints the usage to f and exits with status. */
static void
usage(FILE *f, int status)
{
	size_t i;

	fprintf(f,
	    "usage: sealpost [-f file] [-u dir] command [argument ...]\n"
	    "       sealpost -h | --help | help | -V | --version\n"
	    "  -f file  read file instead of %s\n"
	    "           (it names run_dir, where the control socket is)\n"
	    "  -u dir   talk to the development instance in dir, started with\n"
	    "           sealpostd -u dir; ./quickstart runs one in ./dev-run:\n"
	    "           sealpost -u ./dev-run status\n"
	    "  -h       show this help; -V show the version\n"
	    "commands:\n", SP_CONFFILE);
	for (i = 0; i < sizeof(cli_cmds) / sizeof(cli_cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cli_cmds[i].name, cli_cmds[i].help);
	fprintf(f, "sealpost(8) says more, and lists the exit codes.\n");
	exit(status);
}

static int
cli_help(struct cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	(void)argv;
	usage(stdout, 0);
}

static void
cli_version(void)
{
	printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
	exit(0);
}

/*
 * --help and --version, which getopt(3) does not know, among the options
 * before the command; any other long option is a bad command line.
 */
static void
cli_long_options(int argc, char **argv)
{
	const char *bad;

	switch (args_long_option(argc, argv, "fu", &bad)) {
	case ARGS_LONG_HELP:
		usage(stdout, 0);
		break;
	case ARGS_LONG_VERSION:
		cli_version();
		break;
	case ARGS_LONG_BAD:
		fprintf(stderr, "sealpost: unknown option %s\n", bad);
		usage(stderr, EX_USAGE);
		break;
	case ARGS_LONG_NONE:
		break;
	}
}

/*
 * sealpostd does not answer at the default run_dir, but a development
 * instance's socket is in ./dev-run, where ./quickstart makes it: say how
 * to reach that one (an admin's likeliest first mistake). Returns 1 when
 * it said so.
 */
static int
cli_devrun_hint(const struct cli *cli, const char *path, int error)
{
	struct stat st;
	int i;

	if ((error != ENOENT && error != ECONNREFUSED) || cli->conf.devmode ||
	    strcmp(cli->conf.run_dir, SP_RUNDIR) != 0 ||
	    stat(CLI_DEVRUN "/run/control", &st) == -1 ||
	    !S_ISSOCK(st.st_mode))
		return 0;
	fprintf(stderr, "%s: sealpostd does not run at %s; a development "
	    "instance runs in %s: use %s%s%s -u %s", cli->progname, path,
	    CLI_DEVRUN, cli->progname, cli->file != NULL ? " -f " : "",
	    cli->file != NULL ? cli->file : "", CLI_DEVRUN);
	for (i = 0; i < cli->argc; i++)
		fprintf(stderr, " %s", cli->argv[i]);
	fprintf(stderr, "\n");
	return 1;
}

int
cli_connect(struct cli *cli)
{
	struct sockaddr_un sun;
	char path[CONF_PATH_MAX + 16];
	int s, n;

	n = snprintf(path, sizeof(path), "%s/control", cli->conf.run_dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (n < 0 || (size_t)n >= sizeof(path) ||
	    strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		fprintf(stderr, "%s: control socket path too long: %s/control\n",
		    cli->progname, cli->conf.run_dir);
		exit(EX_CONFIG);
	}
	if ((s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(s, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		int saved = errno;

		if (!cli_devrun_hint(cli, path, saved))
			fprintf(stderr, "%s: cannot reach sealpostd at %s: %s\n",
			    cli->progname, path, strerror(saved));
		exit(saved == EACCES || saved == EPERM ? EX_NOPERM :
		    EX_UNAVAILABLE);
	}
	return s;
}

int
main(int argc, char **argv)
{
	struct cli cli;
	char err[CONF_ERR_MAX];
	const char *file = NULL, *devdir = NULL;
	size_t i;
	int ch;

	memset(&cli, 0, sizeof(cli));
	cli.progname = "sealpost";
	/* mailq(1) is `sealpost queue` with its options (cli_queue.c) */
	if (cli_queue_mailq(&argc, &argv) == -1) {
		perror(cli.progname);
		return EX_OSERR;
	}
	cli_long_options(argc, argv);
	while ((ch = getopt(argc, argv, "+f:hu:V")) != -1) {
		switch (ch) {
		case 'f':
			file = optarg;
			break;
		case 'h':
			usage(stdout, 0);
		case 'u':
			devdir = optarg;
			break;
		case 'V':
			cli_version();
			break;
		default:
			usage(stderr, EX_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		fprintf(stderr, "%s: no command given\n", cli.progname);
		usage(stderr, EX_USAGE);
	}
	/* audit --verify reads only the files named (cli_verify.c) */
	if (argc > 1 && strcmp(argv[0], "audit") == 0 &&
	    strcmp(argv[1], "--verify") == 0)
		return cli_verify(argc, argv);
	for (i = 0; i < sizeof(cli_cmds) / sizeof(cli_cmds[0]); i++)
		if (strcmp(argv[0], cli_cmds[i].name) == 0)
			break;
	if (i == sizeof(cli_cmds) / sizeof(cli_cmds[0])) {
		fprintf(stderr, "%s: unknown command '%s'\n", cli.progname,
		    argv[0]);
		usage(stderr, EX_USAGE);
	}
	if (cli_cmds[i].fn == cli_help)		/* needs no configuration */
		return cli_help(&cli, argc, argv);
	cli.file = file;
	cli.argc = argc;
	cli.argv = argv;
	if (file == NULL && access(SP_CONFFILE, F_OK) == 0)
		file = SP_CONFFILE;
	if (conf_load(&cli.conf, file, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", cli.progname, err);
		return EX_CONFIG;
	}
	if (devdir != NULL) {
		char abs[CONF_PATH_MAX], cwd[CONF_PATH_MAX];
		int n;

		while (devdir[0] == '.' && devdir[1] == '/')
			devdir += 2;	/* ./dev-run: the path in messages */
		if (devdir[0] == '/')
			n = snprintf(abs, sizeof(abs), "%s", devdir);
		else
			n = snprintf(abs, sizeof(abs), "%s/%s",
			    getcwd(cwd, sizeof(cwd)) ? cwd : ".", devdir);
		if (n < 0 || (size_t)n >= sizeof(abs) ||
		    conf_devmode(&cli.conf, abs) == -1) {
			fprintf(stderr, "%s: -u: path too long\n",
			    cli.progname);
			return EX_USAGE;
		}
	}
	return cli_cmds[i].fn(&cli, argc, argv);
}
