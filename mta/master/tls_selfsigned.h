/*
 * tls_selfsigned.h: the self-signed certificate sealpostd makes at first
 * start when the configuration names none (doc/design.md §6: ECDSA P-256, the
 * cheapest handshake). Linked by sealpostd.
 */
#ifndef SEALPOST_TLS_SELFSIGNED_H
#define SEALPOST_TLS_SELFSIGNED_H

#include <sys/types.h>

/*
 * Makes sure certpath and keypath hold a usable self-signed certificate
 * for hostname, creating both (key mode 0600, owned by uid/gid) when either
 * is missing. Returns 1 if it created them, 0 if they existed, -1 on error
 * (logged).
 */
int	tls_selfsigned_ensure(const char *certpath, const char *keypath,
	    const char *hostname, uid_t uid, gid_t gid);

#endif
