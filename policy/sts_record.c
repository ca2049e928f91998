/*
 * sts_record.c: the MTA-STS TXT record (RFC 8461 §3.1, erratum 6285):
 * one record's grammar and id, and the one STSv1 record of an RRset.
 * See sts_record.h for the grammar and the decisions where the RFC
 * leaves room. Every octet comes from the network: each read is checked
 * against len, never a NUL (doc/design.md §10).
 * Pure: no I/O, no allocation (doc/design.md §1.5). Linked by the policy
 * process, tests/unit/test_sts_record and
 * tests/fuzz/fuzz_sts_record.
 */
#include <stddef.h>
#include <string.h>

#include "sts_record.h"

#define STS_RECORD_VERSION	"v=STSv1"
#define STS_RECORD_VERSION_LEN	(sizeof(STS_RECORD_VERSION) - 1)
#define STS_RECORD_NAME_MAX	32	/* sts-ext-name: 1 + *31 */

static int
sts_record_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static int
sts_record_alnum(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9');
}

/* sts-ext-value's octets: %x21-3A / %x3C / %x3E-7E (no ';', '=', SP). */
static int
sts_record_valchar(char c)
{
	unsigned char u = (unsigned char)c;

	return u >= 0x21 && u <= 0x7e && u != ';' && u != '=';
}

/* sts-ext-name's octets after the first: ALPHA / DIGIT / "_" / "-" / ".". */
static int
sts_record_namechar(char c)
{
	return sts_record_alnum(c) || c == '_' || c == '-' || c == '.';
}

/*
 * One sts-field at txt[*pos..len). Returns 0 and moves *pos past it, or
 * -1 when it is malformed or a second id. The id, when this field is
 * one, goes to id and *have_id is set.
 */
static int
sts_record_field(const char *txt, size_t len, size_t *pos,
    char id[STS_ID_MAX + 1], int *have_id)
{
	size_t p = *pos, name, nlen, val, vlen, i;

	name = p;
	if (p >= len || !sts_record_alnum(txt[p]))
		return -1;
	for (p++; p < len && sts_record_namechar(txt[p]); p++)
		;
	nlen = p - name;
	if (nlen > STS_RECORD_NAME_MAX || p >= len || txt[p] != '=')
		return -1;
	val = ++p;
	while (p < len && sts_record_valchar(txt[p]))
		p++;
	vlen = p - val;
	if (vlen == 0)
		return -1;
	/* the value ends at the end, a delimiter's WSP or its ';' */
	if (p < len && !sts_record_wsp(txt[p]) && txt[p] != ';')
		return -1;
	/* %s"id=": the name is case-sensitive (RFC 7405) */
	if (nlen == 2 && txt[name] == 'i' && txt[name + 1] == 'd') {
		if (*have_id || vlen > STS_ID_MAX)
			return -1;
		for (i = 0; i < vlen; i++)
			if (!sts_record_alnum(txt[val + i]))
				return -1;
		memcpy(id, txt + val, vlen);
		id[vlen] = '\0';
		*have_id = 1;
	}
	*pos = p;
	return 0;
}

int
sts_record_parse(const char *txt, size_t len, char id[STS_ID_MAX + 1])
{
	char	tmp[STS_ID_MAX + 1];
	size_t	p;
	int	have_id = 0, nfields = 0;

	id[0] = '\0';
	/* %s"v=STSv1", then the end, white space or ';' (erratum 6285) */
	if (len < STS_RECORD_VERSION_LEN ||
	    memcmp(txt, STS_RECORD_VERSION, STS_RECORD_VERSION_LEN) != 0)
		return 0;
	p = STS_RECORD_VERSION_LEN;
	if (p < len && !sts_record_wsp(txt[p]) && txt[p] != ';')
		return 0;

	for (;;) {
		/* sts-field-delim = *WSP ";" *WSP */
		while (p < len && sts_record_wsp(txt[p]))
			p++;
		if (p >= len || txt[p] != ';')
			return -1;
		p++;
		while (p < len && sts_record_wsp(txt[p]))
			p++;
		if (p == len)
			break;		/* [sts-field-delim] at the end */
		if (sts_record_field(txt, len, &p, tmp, &have_id) == -1)
			return -1;
		nfields++;
		if (p == len)
			break;
	}
	if (nfields == 0 || !have_id)
		return -1;
	memcpy(id, tmp, sizeof(tmp));
	return 1;
}

int
sts_record_pick(const char *const *txt, const size_t *len, size_t n,
    char id[STS_ID_MAX + 1])
{
	char	tmp[STS_ID_MAX + 1], one[STS_ID_MAX + 1];
	size_t	i, ours = 0;
	int	r, valid = 0;

	id[0] = '\0';
	for (i = 0; i < n; i++) {
		if ((r = sts_record_parse(txt[i], len[i], tmp)) == 0)
			continue;
		/* §3.1: "if the number of resulting records is not one" */
		if (++ours > 1)
			return STS_RECORD_MULTIPLE;
		if ((valid = r == 1))
			memcpy(one, tmp, sizeof(one));
	}
	if (ours == 0)
		return STS_RECORD_NONE;
	if (!valid)
		return STS_RECORD_INVALID;
	memcpy(id, one, sizeof(one));
	return STS_RECORD_OK;
}

const char *
sts_record_status_name(int status)
{
	switch (status) {
	case STS_RECORD_OK:
		return "ok";
	case STS_RECORD_NONE:
		return "none";
	case STS_RECORD_MULTIPLE:
		return "multiple";
	case STS_RECORD_INVALID:
		return "invalid";
	}
	return "?";
}
