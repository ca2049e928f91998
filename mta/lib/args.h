/*
 * args.h: the command line conventions shared by sealpost(8) and
 * sealpostd(8) (doc/design.md §5): --help and --version, which getopt(3)
 * does not know, next to the short options. Pure.
 * Linked by sealpostd and the CLI.
 */
#ifndef SEALPOST_ARGS_H
#define SEALPOST_ARGS_H

enum args_long {
	ARGS_LONG_NONE = 0,	/* no long option: getopt may go on */
	ARGS_LONG_HELP,		/* --help */
	ARGS_LONG_VERSION,	/* --version */
	ARGS_LONG_BAD,		/* another --option: *bad names it */
};

/*
 * Looks at the options before the first operand (or "--") for the first
 * long option; with_arg lists the short options that take an argument
 * (skipped, so "-f --help" is a file named --help). Returns what it
 * found; *bad points into argv for ARGS_LONG_BAD.
 */
enum args_long	args_long_option(int argc, char *const argv[],
		    const char *with_arg, const char **bad);

#endif
