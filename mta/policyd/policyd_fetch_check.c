/*
 * policyd_fetch_check.c: the pure decisions of the MTA-STS policy fetch
 * (doc/design.md §8; RFC 8461 §3.3): the policy host's name, the
 * addresses curl is told to use, whether an HTTP answer may carry a
 * policy (200, text/plain), and what a transfer's end is called
 * (sts-policy-fetch-error or sts-webpki-invalid, RFC 8460 §4.3.4, with
 * a short reason). No I/O: only curl's and GnuTLS's constants are used.
 * Linked by the policy binary, tests/sts_fetch_harness and
 * tests/unit/test_policyd_fetch_check.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <curl/curl.h>
#include <gnutls/gnutls.h>

#include "policyd_fetch.h"

#define POLICYD_FETCH_PREFIX	"mta-sts."
#define POLICYD_FETCH_LABEL_MAX	63

int
policyd_fetch_host(const char *domain, char *host, size_t hostlen)
{
	size_t dlen, i, label = 0, plen = sizeof(POLICYD_FETCH_PREFIX) - 1;
	unsigned char c, prev = '.';

	if (domain == NULL)
		return -1;
	dlen = strlen(domain);
	if (dlen > 0 && domain[dlen - 1] == '.')
		dlen--;
	if (dlen == 0 || plen + dlen > POLICYD_FETCH_HOST_MAX ||
	    plen + dlen + 1 > hostlen)
		return -1;
	for (i = 0; i < dlen; i++) {
		c = (unsigned char)domain[i];
		if (c == '.') {
			/* no empty label, none that ends in a hyphen */
			if (prev == '.' || prev == '-')
				return -1;
			label = 0;
		} else if (isascii(c) && (isalnum(c) || c == '-')) {
			if (c == '-' && prev == '.')
				return -1;
			if (++label > POLICYD_FETCH_LABEL_MAX)
				return -1;
		} else
			return -1;
		prev = c;
	}
	if (prev == '-' || prev == '.')
		return -1;
	memcpy(host, POLICYD_FETCH_PREFIX, plen);
	for (i = 0; i < dlen; i++)
		host[plen + i] = (char)tolower((unsigned char)domain[i]);
	host[plen + dlen] = '\0';
	return 0;
}

int
policyd_fetch_resolve(const char *host, const struct ipc_plan_addr *addrs,
    size_t naddr, char *out, size_t outlen)
{
	char a[INET6_ADDRSTRLEN];
	size_t i, len;
	int n, count = 0;

	n = snprintf(out, outlen, "%s:%d:", host, POLICYD_FETCH_PORT);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	len = (size_t)n;
	for (i = 0; i < naddr; i++) {
		if ((addrs[i].family != AF_INET &&
		    addrs[i].family != AF_INET6) ||
		    inet_ntop(addrs[i].family, addrs[i].addr, a,
		    sizeof(a)) == NULL)
			continue;
		n = snprintf(out + len, outlen - len,
		    addrs[i].family == AF_INET6 ? "%s[%s]" : "%s%s",
		    count > 0 ? "," : "", a);
		if (n < 0 || (size_t)n >= outlen - len)
			return -1;
		len += (size_t)n;
		count++;
	}
	return count;
}

int
policyd_fetch_media_ok(const char *ctype)
{
	static const char want[] = "text/plain";
	size_t n = sizeof(want) - 1;

	if (ctype == NULL)
		return 0;
	while (*ctype == ' ' || *ctype == '\t')
		ctype++;
	if (strncasecmp(ctype, want, n) != 0)
		return 0;
	ctype += n;
	while (*ctype == ' ' || *ctype == '\t')
		ctype++;
	return *ctype == '\0' || *ctype == ';';
}

int
policyd_fetch_answer_ok(long http, const char *ctype)
{
	return http == 200 && policyd_fetch_media_ok(ctype);
}

/*
 * Appends src to dst (dst holds a string), made printable: what a server
 * sends may be anything, the detail goes into a log line.
 */
static void
policyd_fetch_put(char *dst, size_t dstlen, const char *src, size_t max)
{
	size_t len = strlen(dst), i;

	for (i = 0; src[i] != '\0' && i < max && len + 1 < dstlen; i++)
		dst[len++] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[len] = '\0';
}

/* "prefix" then src made printable, at most max of it. */
static void
policyd_fetch_say(char *detail, size_t detaillen, const char *prefix,
    const char *src, size_t max)
{
	if (detaillen == 0)
		return;
	detail[0] = '\0';
	policyd_fetch_put(detail, detaillen, prefix, (size_t)-1);
	if (src != NULL)
		policyd_fetch_put(detail, detaillen, src, max);
}

/* The certificate's fault, from GnuTLS's status bits (curl keeps them). */
static const char *
policyd_fetch_cert_word(long verify)
{
	unsigned long v = (unsigned long)verify;

	if (v & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA |
	    GNUTLS_CERT_SIGNATURE_FAILURE))
		return "certificate not trusted";
	if (v & GNUTLS_CERT_EXPIRED)
		return "certificate expired";
	if (v & GNUTLS_CERT_NOT_ACTIVATED)
		return "certificate not yet valid";
	if (v & GNUTLS_CERT_INSECURE_ALGORITHM)
		return "certificate with an insecure algorithm";
	if (v & GNUTLS_CERT_REVOKED)
		return "certificate revoked";
	if (v & GNUTLS_CERT_INVALID)
		return "certificate not trusted";
	/* the chain verified: curl's own check of the name failed */
	return "certificate does not name the policy host";
}

/* The answer came: is it a policy? (HTTP level, RFC 8461 §3.3) */
static int
policyd_fetch_judge_http(const struct policyd_fetch_outcome *o,
    char *detail, size_t detaillen)
{
	char num[32];
	int n;

	if (o->http >= 300 && o->http < 400) {
		n = snprintf(num, sizeof(num), "%ld)", o->http);
		policyd_fetch_say(detail, detaillen, "redirect refused (HTTP ",
		    n > 0 && (size_t)n < sizeof(num) ? num : "3xx)", 16);
		return POLICYD_FETCH_ERROR;
	}
	if (o->http != 200) {
		n = snprintf(num, sizeof(num), "%ld", o->http);
		policyd_fetch_say(detail, detaillen, "HTTP ",
		    n > 0 && (size_t)n < sizeof(num) ? num : "?", 16);
		return POLICYD_FETCH_ERROR;
	}
	if (o->ctype == NULL) {
		policyd_fetch_say(detail, detaillen, "no Content-Type", NULL,
		    0);
		return POLICYD_FETCH_ERROR;
	}
	if (!policyd_fetch_media_ok(o->ctype)) {
		policyd_fetch_say(detail, detaillen, "Content-Type ",
		    o->ctype, 64);
		return POLICYD_FETCH_ERROR;
	}
	if (o->over || o->curl == CURLE_FILESIZE_EXCEEDED) {
		n = snprintf(num, sizeof(num), "%d bytes",
		    POLICYD_FETCH_BODY_MAX);
		policyd_fetch_say(detail, detaillen, "body over ",
		    n > 0 && (size_t)n < sizeof(num) ? num : "the cap", 16);
		return POLICYD_FETCH_ERROR;
	}
	if (o->nomem) {
		policyd_fetch_say(detail, detaillen, "out of memory", NULL, 0);
		return POLICYD_FETCH_ERROR;
	}
	if (o->curl != CURLE_OK) {
		/* stopped by us for a reason not seen above: a bug */
		policyd_fetch_say(detail, detaillen, "transfer stopped", NULL,
		    0);
		return POLICYD_FETCH_ERROR;
	}
	policyd_fetch_say(detail, detaillen, "ok", NULL, 0);
	return POLICYD_FETCH_OK;
}

int
policyd_fetch_judge(const struct policyd_fetch_outcome *o, char *detail,
    size_t detaillen)
{
	const char *eb = o->errbuf != NULL ? o->errbuf : "";
	char num[48];
	int n;

	if (o->http != 0 && (o->curl == CURLE_OK ||
	    o->curl == CURLE_FILESIZE_EXCEEDED ||
	    (o->curl == CURLE_WRITE_ERROR &&
	    (o->stopped || o->over || o->nomem))))
		return policyd_fetch_judge_http(o, detail, detaillen);

	switch (o->curl) {
	case CURLE_PEER_FAILED_VERIFICATION:	/* = CURLE_SSL_CACERT */
		policyd_fetch_say(detail, detaillen,
		    policyd_fetch_cert_word(o->verify), NULL, 0);
		return POLICYD_FETCH_WEBPKI;
	case CURLE_SSL_ISSUER_ERROR:		/* options we do not set */
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		policyd_fetch_say(detail, detaillen, "certificate not trusted",
		    NULL, 0);
		return POLICYD_FETCH_WEBPKI;
	case CURLE_SSL_CACERT_BADFILE:
		/* ours, not the domain's: the copy of the CA file */
		policyd_fetch_say(detail, detaillen, "CA file copy unusable",
		    NULL, 0);
		return POLICYD_FETCH_ERROR;
	case CURLE_OPERATION_TIMEDOUT:
		n = snprintf(num, sizeof(num), "%s after %u s",
		    o->tls_done ? "timeout" : "connect timeout",
		    o->tls_done ? o->timeout_s : o->connect_s);
		policyd_fetch_say(detail, detaillen,
		    n > 0 && (size_t)n < sizeof(num) ? num : "timeout",
		    NULL, 0);
		return POLICYD_FETCH_ERROR;
	case CURLE_COULDNT_CONNECT:
		n = snprintf(num, sizeof(num), "cannot connect to port %d",
		    POLICYD_FETCH_PORT);
		policyd_fetch_say(detail, detaillen,
		    n > 0 && (size_t)n < sizeof(num) ? num : "cannot connect",
		    NULL, 0);
		return POLICYD_FETCH_ERROR;
	case CURLE_COULDNT_RESOLVE_HOST:
		/* the resolver-start callback refused a lookup of curl's */
		policyd_fetch_say(detail, detaillen, "no address given",
		    NULL, 0);
		return POLICYD_FETCH_ERROR;
	case CURLE_SSL_CONNECT_ERROR:
		policyd_fetch_say(detail, detaillen, "TLS handshake failed: ",
		    eb, 80);
		return POLICYD_FETCH_ERROR;
	case CURLE_GOT_NOTHING:
		policyd_fetch_say(detail, detaillen, "empty reply", NULL, 0);
		return POLICYD_FETCH_ERROR;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		policyd_fetch_say(detail, detaillen, "connection broken", NULL,
		    0);
		return POLICYD_FETCH_ERROR;
	case CURLE_PARTIAL_FILE:
		policyd_fetch_say(detail, detaillen, "body cut short", NULL, 0);
		return POLICYD_FETCH_ERROR;
	case CURLE_WEIRD_SERVER_REPLY:
		policyd_fetch_say(detail, detaillen, "malformed HTTP reply",
		    NULL, 0);
		return POLICYD_FETCH_ERROR;
	case CURLE_OUT_OF_MEMORY:
		policyd_fetch_say(detail, detaillen, "out of memory", NULL, 0);
		return POLICYD_FETCH_ERROR;
	case CURLE_OK:
	case CURLE_WRITE_ERROR:
		/* no status line, or stopped without a reason: a bug */
		policyd_fetch_say(detail, detaillen, o->http == 0 ?
		    "no HTTP response" : "transfer stopped", NULL, 0);
		return POLICYD_FETCH_ERROR;
	default:
		n = snprintf(num, sizeof(num), "curl error %d: ", o->curl);
		policyd_fetch_say(detail, detaillen,
		    n > 0 && (size_t)n < sizeof(num) ? num : "curl error: ",
		    eb, 80);
		return POLICYD_FETCH_ERROR;
	}
}
