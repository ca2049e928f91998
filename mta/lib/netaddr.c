/*
 * netaddr.c: CIDR parsing and matching (see netaddr.h). Pure.
 * Linked by sealpostd, smtpin and the CLI.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "netaddr.h"

int
netaddr_parse(const char *s, struct netaddr_net *out)
{
	char host[64];
	const char *slash, *errstr;
	size_t hlen;
	int max, i, bits;

	memset(out, 0, sizeof(*out));
	slash = strchr(s, '/');
	hlen = slash ? (size_t)(slash - s) : strlen(s);
	if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
		s++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return -1;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, out->addr) == 1) {
		out->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, out->addr) == 1) {
		out->family = AF_INET6;
		max = 128;
	} else
		return -1;
	out->prefix = max;
	if (slash != NULL) {
		if (slash[1] == '\0')
			return -1;
		out->prefix = (int)strtonum(slash + 1, 0, max, &errstr);
		if (errstr != NULL)
			return -1;
	}
	/* Host bits beyond the prefix must be zero. */
	for (i = 0; i < max / 8; i++) {
		bits = out->prefix - i * 8;
		if (bits >= 8)
			continue;
		if (bits <= 0) {
			if (out->addr[i] != 0)
				return -1;
		} else if (out->addr[i] & (0xff >> bits))
			return -1;
	}
	return 0;
}

int
netaddr_match(const struct netaddr_net *net, const struct sockaddr *sa)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	const uint8_t *a;
	int family, i, bits;

	if (sa->sa_family == AF_INET) {
		a = (const uint8_t *)&((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr;
		family = AF_INET;
	} else if (sa->sa_family == AF_INET6) {
		a = ((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_addr.s6_addr;
		family = AF_INET6;
		if (memcmp(a, mapped, sizeof(mapped)) == 0) {
			a += 12;
			family = AF_INET;
		}
	} else
		return 0;
	if (family != net->family)
		return 0;
	for (i = 0; i * 8 < net->prefix; i++) {
		bits = net->prefix - i * 8;
		if (bits >= 8) {
			if (a[i] != net->addr[i])
				return 0;
		} else if ((a[i] & (uint8_t)(0xff << (8 - bits))) !=
		    net->addr[i])
			return 0;
	}
	return 1;
}

int
netaddr_match_list(const struct netaddr_net *nets, size_t n,
    const struct sockaddr *sa)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (netaddr_match(&nets[i], sa))
			return 1;
	return 0;
}
