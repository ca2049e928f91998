/*
 * policyd_main.c: main of the policy process, the MTA-STS/DANE policy
 * resolver process (doc/design.md §8). For now it only answers the master; the
 * pure parsers and deciders live in policy/.
 * Linked by the policy binary.
 */
#include "config.h"

#include "lib/child.h"

int
main(int argc, char **argv)
{
	struct child c;

	child_init(&c, PROC_POLICY, argc, argv);
	child_drop(&c);
	child_run(&c);
}
