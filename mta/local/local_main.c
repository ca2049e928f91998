/*
 * local_main.c: main of the local process, local delivery into Maildir or
 * LMTP (doc/design.md §2). Stays root so that it can switch to each
 * recipient at delivery time. For now it only answers the master.
 * Linked by the local binary.
 */
#include "config.h"

#include "lib/child.h"

int
main(int argc, char **argv)
{
	struct child c;

	child_init(&c, PROC_LOCAL, argc, argv);
	child_drop(&c);
	child_run(&c);
}
