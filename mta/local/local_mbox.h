/*
 * local_mbox.h: the mbox format of an alias's /file target (doc/design.md
 * §12; mbox as Postfix's local(8) writes it, the "mboxo" variant): a
 * "From sender date" line, the message with LF line ends and every line
 * that starts with "From " quoted with '>', and an empty line after it.
 * Pure: octets in, octets out, the clock given by the caller.
 * Linked by the local binary and its tests.
 */
#ifndef SEALPOST_LOCAL_MBOX_H
#define SEALPOST_LOCAL_MBOX_H

#include <stddef.h>
#include <time.h>

/*
 * Writes "From <sender> <date>\n" into out (NUL-terminated): sender
 * MAILER-DAEMON for the null sender "", and date t in UTC as asctime(3)
 * writes it. Returns its length, or -1 when it does not fit in size or
 * sender holds white space or control octets.
 */
int	local_mbox_from_line(char *out, size_t size, const char *sender,
	    time_t t);

/* The quoting state: it carries across chunks, which may end anywhere. */
struct local_mbox {
	int	bol;		/* the next octet starts a line */
	int	nfrom;		/* octets of "From " matched at its start */
	int	cr;		/* a CR is pending (CRLF becomes LF) */
};

void	local_mbox_init(struct local_mbox *);
/*
 * Encodes in[0..len) into out, which has room for 2 * len + 8 octets.
 * Returns the octets written.
 */
size_t	local_mbox_encode(struct local_mbox *, const char *in, size_t len,
	    char *out);
/*
 * Ends the message into out (room for 8 octets): what is pending, a
 * newline when the last line had none, and the empty line that
 * separates messages. Returns the octets written.
 */
size_t	local_mbox_end(struct local_mbox *, char *out);

#endif
