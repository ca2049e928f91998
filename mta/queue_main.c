/*
 * queue_main.c: main of the queue process, the queue manager: the only
 * writer of the spool (DESIGN.md §6). For now it only answers the master;
 * commit, schedule and bounces come with the inbound and delivery issues.
 * Linked by the queue binary.
 */
#include "config.h"

#include "child.h"

int
main(int argc, char **argv)
{
	struct child c;

	child_init(&c, PROC_QUEUE, argc, argv);
	child_drop(&c);
	child_run(&c);
}
