/*
 * sealpost.c: the sealpost(8) command line tool. It finds sealpostd's
 * control socket from the same configuration file the daemon reads and
 * dispatches to one cli_*.c file per command.
 * Linked by the sealpost binary.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"

static const struct {
	const char	*name;
	int		(*fn)(struct cli *, int, char **);
	const char	*help;
} cli_cmds[] = {
	{ "status", cli_status, "show the running processes" },
};

static void
usage(void)
{
	size_t i;

	fprintf(stderr, "usage: sealpost [-f file] [-u dir] command "
	    "[argument ...]\ncommands:\n");
	for (i = 0; i < sizeof(cli_cmds) / sizeof(cli_cmds[0]); i++)
		fprintf(stderr, "  %-10s %s\n", cli_cmds[i].name,
		    cli_cmds[i].help);
	exit(EX_USAGE);
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
	while ((ch = getopt(argc, argv, "+f:u:")) != -1) {
		switch (ch) {
		case 'f':
			file = optarg;
			break;
		case 'u':
			devdir = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	if (file == NULL && access(SP_CONFFILE, F_OK) == 0)
		file = SP_CONFFILE;
	if (conf_load(&cli.conf, file, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", cli.progname, err);
		return EX_CONFIG;
	}
	if (devdir != NULL) {
		char abs[CONF_PATH_MAX], cwd[CONF_PATH_MAX];
		int n;

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
	for (i = 0; i < sizeof(cli_cmds) / sizeof(cli_cmds[0]); i++)
		if (strcmp(argv[0], cli_cmds[i].name) == 0)
			return cli_cmds[i].fn(&cli, argc, argv);
	fprintf(stderr, "%s: unknown command '%s'\n", cli.progname, argv[0]);
	usage();
}
