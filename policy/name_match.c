/*
 * name_match.c: a DNS name against a reference with an optional leading
 * wildcard label (see name_match.h, doc/design.md §8; RFC 8461 §4.1,
 * RFC 6125 §6.4.3). Pure.
 * Linked by the policy and smtpout binaries and the unit tests.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "name_match.h"

/* Length without one trailing dot. */
static size_t
name_match_trim(const char *s, size_t len)
{
	if (len > 0 && s[len - 1] == '.')
		len--;
	return len;
}

/* 1 when s[0..len) has no empty label, no '*', and is not empty. */
static int
name_match_plain(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || s[0] == '.' || s[len - 1] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '*' || s[i] == '\0')
			return 0;
		if (s[i] == '.' && s[i + 1] == '.')
			return 0;
	}
	return 1;
}

int
name_match(const char *pattern, size_t plen, const char *name, size_t nlen)
{
	const char *dot;

	plen = name_match_trim(pattern, plen);
	nlen = name_match_trim(name, nlen);
	if (!name_match_plain(name, nlen))
		return 0;
	if (plen >= 2 && pattern[0] == '*' && pattern[1] == '.') {
		pattern += 2;
		plen -= 2;
		/* "*.com" would be a whole TLD: at least two labels left */
		if (!name_match_plain(pattern, plen) ||
		    memchr(pattern, '.', plen) == NULL)
			return 0;
		if ((dot = memchr(name, '.', nlen)) == NULL || dot == name)
			return 0;
		nlen -= (size_t)(dot + 1 - name);
		name = dot + 1;
	} else if (!name_match_plain(pattern, plen))
		return 0;
	return plen == nlen && strncasecmp(pattern, name, nlen) == 0;
}
