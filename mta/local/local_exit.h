/*
 * local_exit.h: what the exit status of an alias's |command means for
 * the delivery (doc/design.md §12), as Postfix's local(8) and pipe(8)
 * map sysexits(3): 0 delivered; EX_TEMPFAIL (75), EX_OSERR (71), death
 * by a signal or our deadline try again later; any other status fails
 * for good, with the sysexits status where it names one (RFC 3463) and
 * 5.3.0 otherwise, and the command's first line of output. Pure.
 * Linked by the local binary and its tests.
 */
#ifndef SEALPOST_LOCAL_EXIT_H
#define SEALPOST_LOCAL_EXIT_H

#include <stddef.h>

#include "local.h"

/*
 * Fills *res for a command that ended with wait status `status`
 * (waitpid(2)), or that was killed at the deadline when timedout is 1;
 * out[0..outlen) is the start of what it wrote (its first line is
 * quoted in the text, control octets replaced with '?', at most 200
 * octets).
 */
void	local_exit_result(int status, int timedout, const char *out,
	    size_t outlen, struct local_result *res);

#endif
