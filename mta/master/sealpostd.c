/*
 * sealpostd.c: the master process (doc/design.md §2). Reads the
 * configuration, prepares directories, binds the listeners, opens the
 * control socket, spawns and supervises the children, reloads on SIGHUP
 * and shuts down on SIGTERM. It parses no network data: only its children
 * talk to the world. This file is its command line (doc/design.md §5):
 * exit codes in the style of sysexits(3), as sealpostd(8) lists them.
 * Linked by the sealpostd binary.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/args.h"
#include "master.h"

/* Configuration or system not right, or cannot start (as fatal() exits). */
#define SEALPOSTD_EX_FAIL	1

static void	usage(FILE *, int) __attribute__((__noreturn__));

/* Prints the usage to f and exits with status. */
static void
usage(FILE *f, int status)
{
	fprintf(f,
	    "usage: sealpostd [-dFnv] [-f file] [-L dir] [-u dir]\n"
	    "       sealpostd -h | --help | -V | --version\n"
	    "  -d       stay in the foreground and log to standard error\n"
	    "  -F       stay in the foreground, log as configured (syslog or\n"
	    "           log_file): for a service manager such as systemd\n"
	    "  -f file  read file instead of %s\n"
	    "           (without -f and without that file: a built-in\n"
	    "           configuration that listens on 127.0.0.1:2525 only)\n"
	    "  -L dir   start the child programs from dir instead of\n"
	    "           %s\n"
	    "  -n       check the configuration and what it needs from the\n"
	    "           system, then exit: silent and 0 when all is well\n"
	    "  -u dir   development instance: spool, run and data directories\n"
	    "           under dir, no root, no chroot (./quickstart runs\n"
	    "           sealpostd -d -u ./dev-run; then sealpost -u ./dev-run\n"
	    "           status)\n"
	    "  -v       log debug messages too\n"
	    "  -h       show this help; -V show the version\n"
	    "sealpostd(8) and sealpost.conf(5) say more.\n",
	    SP_CONFFILE, SP_LIBEXECDIR);
	exit(status);
}

/*
 * --help and --version, which getopt(3) does not know, anywhere among the
 * options (before the first operand); any other long option is a bad
 * command line.
 */
static void
sealpostd_long_options(int argc, char **argv)
{
	const char *bad;

	switch (args_long_option(argc, argv, "fLu", &bad)) {
	case ARGS_LONG_HELP:
		usage(stdout, 0);
		break;
	case ARGS_LONG_VERSION:
		printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		exit(0);
	case ARGS_LONG_BAD:
		fprintf(stderr, "sealpostd: unknown option %s\n", bad);
		usage(stderr, EX_USAGE);
		break;
	case ARGS_LONG_NONE:
		break;
	}
}

int
main(int argc, char **argv)
{
	static char devabs[CONF_PATH_MAX];
	struct master m;
	char err[CONF_ERR_MAX], cwd[CONF_PATH_MAX];
	const char *file = NULL;
	int ch, check = 0, explicit_file = 0, n;

	memset(&m, 0, sizeof(m));
	if (strlcpy(m.libexec, SP_LIBEXECDIR, sizeof(m.libexec)) >=
	    sizeof(m.libexec))
		return SEALPOSTD_EX_FAIL;	/* a build with a long prefix */
	sealpostd_long_options(argc, argv);
	while ((ch = getopt(argc, argv, "dFf:hL:nu:vV")) != -1) {
		switch (ch) {
		case 'd':
			m.debug = 1;
			break;
		case 'F':
			m.foreground = 1;	/* doc/design.md §2 */
			break;
		case 'f':
			file = optarg;
			explicit_file = 1;
			break;
		case 'h':
			usage(stdout, 0);
		case 'L':
			if (strlcpy(m.libexec, optarg, sizeof(m.libexec)) >=
			    sizeof(m.libexec)) {
				fprintf(stderr, "sealpostd: -L: path too long "
				    "(at most %zu bytes)\n",
				    sizeof(m.libexec) - 1);
				return EX_USAGE;
			}
			break;
		case 'n':
			check = 1;
			break;
		case 'u':
			m.devdir = optarg;
			break;
		case 'v':
			m.verbose = 1;
			break;
		case 'V':
			printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr, EX_USAGE);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "sealpostd: unexpected argument '%s'\n",
		    argv[optind]);
		usage(stderr, EX_USAGE);
	}

	/*
	 * -u takes a directory relative to the current one, as sealpost -u
	 * does (./quickstart, the README): made absolute here, since the
	 * children start elsewhere.
	 */
	if (m.devdir != NULL) {
		while (m.devdir[0] == '.' && m.devdir[1] == '/')
			m.devdir += 2;	/* ./dev-run: the path in messages */
		if (m.devdir[0] == '/')
			n = snprintf(devabs, sizeof(devabs), "%s", m.devdir);
		else if (getcwd(cwd, sizeof(cwd)) == NULL)
			n = -1;
		else
			n = snprintf(devabs, sizeof(devabs), "%s/%s", cwd,
			    m.devdir);
		if (n < 0 || (size_t)n >= sizeof(devabs)) {
			fprintf(stderr, "sealpostd: -u %s: path too long (at "
			    "most %zu bytes, made absolute)\n", m.devdir,
			    sizeof(devabs) - 1);
			return EX_USAGE;
		}
		m.devdir = devabs;
	}

	/*
	 * Without -f, the default file is used when it exists; otherwise the
	 * built-in loopback-only configuration (the README quick start).
	 */
	if (file == NULL && access(SP_CONFFILE, F_OK) == 0)
		file = SP_CONFFILE;
	if (conf_load(&m.conf, file, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return SEALPOSTD_EX_FAIL;
	}
	if (m.devdir != NULL && conf_devmode(&m.conf, m.devdir) == -1) {
		fprintf(stderr, "sealpostd: -u %s: path too long for its "
		    "spool, run and data directories\n", m.devdir);
		return EX_USAGE;
	}
	if (check) {
		if (master_check_environment(&m, err, sizeof(err)) == -1) {
			fprintf(stderr, "%s\n", err);
			return SEALPOSTD_EX_FAIL;
		}
		return 0;
	}
	m.conffile = file;
	if (file == NULL && !explicit_file)
		m.builtin = 1;
	return master_main(&m);
}
