/*
 * args.c: --help and --version next to getopt's short options (see
 * args.h). Pure. Linked by sealpostd and the CLI.
 */
#include "config.h"

#include <string.h>

#include "args.h"

enum args_long
args_long_option(int argc, char *const argv[], const char *with_arg,
    const char **bad)
{
	int i;

	*bad = NULL;
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0';
	    i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--help") == 0)
			return ARGS_LONG_HELP;
		if (strcmp(argv[i], "--version") == 0)
			return ARGS_LONG_VERSION;
		if (strncmp(argv[i], "--", 2) == 0) {
			*bad = argv[i];
			return ARGS_LONG_BAD;
		}
		/* "-f file": the next word is the argument, not an option */
		if (argv[i][2] == '\0' && strchr(with_arg, argv[i][1]) != NULL)
			i++;
	}
	return ARGS_LONG_NONE;
}
