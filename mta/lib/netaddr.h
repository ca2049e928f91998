/*
 * netaddr.h: IPv4/IPv6 networks in CIDR notation and matching of a peer
 * address against a list of them (smtpin_cleartext_networks,
 * relay_networks). Pure. Linked by sealpostd, smtpin and the CLI.
 */
#ifndef SEALPOST_NETADDR_H
#define SEALPOST_NETADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct netaddr_net {
	int	family;		/* AF_INET or AF_INET6 */
	uint8_t	addr[16];	/* network address, host bits zero */
	int	prefix;		/* 0..32 or 0..128 */
};

/*
 * Parses "192.0.2.0/24", "2001:db8::/32", "127.0.0.1" (a host) or
 * "[::1]/128". Returns 0, or -1 when malformed or when host bits are set
 * beyond the prefix (an admin typo worth reporting).
 */
int	netaddr_parse(const char *s, struct netaddr_net *out);
/* Returns 1 when sa (AF_INET/AF_INET6, v4-mapped v6 counts as v4) is in net. */
int	netaddr_match(const struct netaddr_net *net, const struct sockaddr *sa);
/* Returns 1 when sa is in any of the n networks. */
int	netaddr_match_list(const struct netaddr_net *nets, size_t n,
	    const struct sockaddr *sa);

#endif
