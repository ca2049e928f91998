/*
 * smtpout_main.c: main of the smtpout process, the SMTP client (doc/design.md
 * §4). For now it only answers the master.
 * Linked by the smtpout binary.
 */
#include "config.h"

#include "lib/child.h"

int
main(int argc, char **argv)
{
	struct child c;

	child_init(&c, PROC_SMTPOUT, argc, argv);
	child_drop(&c);
	child_run(&c);
}
