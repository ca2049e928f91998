/*
 * sealpostd.c: the master process (DESIGN.md §2). Reads the configuration,
 * prepares directories, binds the listeners, opens the control socket,
 * spawns and supervises the children, reloads on SIGHUP and shuts down on
 * SIGTERM. It parses no network data: only its children talk to the world.
 * Linked by the sealpostd binary.
 */
#include "config.h"

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/conf.h"
#include "master.h"

static void
usage(void)
{
	fprintf(stderr, "usage: sealpostd [-dnv] [-f file] [-u dir] "
	    "[-L libexecdir]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct master m;
	char err[CONF_ERR_MAX];
	const char *file = NULL;
	int ch, check = 0, explicit_file = 0;

	memset(&m, 0, sizeof(m));
	(void)strlcpy(m.libexec, SP_LIBEXECDIR, sizeof(m.libexec));
	while ((ch = getopt(argc, argv, "df:L:nu:v")) != -1) {
		switch (ch) {
		case 'd':
			m.debug = 1;
			break;
		case 'f':
			file = optarg;
			explicit_file = 1;
			break;
		case 'L':
			if (strlcpy(m.libexec, optarg, sizeof(m.libexec)) >=
			    sizeof(m.libexec))
				errx(2, "-L: path too long");
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
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	/*
	 * Without -f, the default file is used when it exists; otherwise the
	 * built-in loopback-only configuration (the README quick start).
	 */
	if (file == NULL && access(SP_CONFFILE, F_OK) == 0)
		file = SP_CONFFILE;
	if (conf_load(&m.conf, file, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (m.devdir != NULL && conf_devmode(&m.conf, m.devdir) == -1) {
		fprintf(stderr, "sealpostd: -u: '%s' must be an absolute path "
		    "of reasonable length\n", m.devdir);
		return 1;
	}
	if (check) {
		if (master_check_environment(&m, err, sizeof(err)) == -1) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		return 0;
	}
	m.conffile = file;
	if (file == NULL && !explicit_file)
		m.builtin = 1;
	return master_main(&m);
}
