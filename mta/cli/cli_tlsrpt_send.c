/*
 * cli_tlsrpt_send.c: the network side of sealpost tlsrpt (RFC 8460,
 * doc/design.md §8), run after cli_tlsrpt.c gave up root: the TXT
 * lookup of `_smtp._tls.<domain>` (res_nquery, parsed by
 * policy/plan.c), gzip (zlib), and the https POST (libcurl, RFC 8460
 * §5.4) to an ASCII host name or IP literal (cli_tlsrpt_https_host)
 * that resolves to public addresses only, pinned to them, and with a
 * socket callback that refuses every other address. The report mail's
 * gate stays in cli_tlsrpt.c (tests/lint/mailgate).
 * Linked by the sealpost binary.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/nameser.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netdb.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>

#include "cli.h"
#include "cli_tlsrpt.h"
#include "policy/plan.h"

#define CLI_TLSRPT_TIMEOUT	60	/* seconds, pickup and https */

int
cli_tlsrpt_lookup(const struct conf *conf, const char *domain,
    struct tlsrpt_record *rec, char *why, size_t whylen)
{
	struct __res_state rs;
	struct plan_txt_answer *txt;
	struct tlsrpt_record r;
	struct in_addr a;
	uint8_t ans[8192];
	char name[TLSRPT_NAME_MAX + 16], host[80], err[128], *colon;
	size_t i, nours = 0;
	int len, ret = 0, p;

	(void)snprintf(name, sizeof(name), "_smtp._tls.%s", domain);
	memset(&rs, 0, sizeof(rs));
	if (res_ninit(&rs) == -1) {
		(void)snprintf(why, whylen, "no resolver");
		return -1;
	}
	/* dns_resolver (an IPv4 address, a port) when the file sets it */
	if (conf_key_line(conf, "dns_resolver") != 0 &&
	    strlcpy(host, conf->dns_resolver, sizeof(host)) < sizeof(host)) {
		p = 53;
		if ((colon = strchr(host, ':')) != NULL &&
		    strchr(colon + 1, ':') == NULL) {
			*colon = '\0';
			p = (int)strtonum(colon + 1, 1, 65535, NULL);
		}
		if (inet_pton(AF_INET, host, &a) == 1 && p > 0) {
			rs.nscount = 1;
			rs.nsaddr_list[0].sin_family = AF_INET;
			rs.nsaddr_list[0].sin_addr = a;
			rs.nsaddr_list[0].sin_port = htons((uint16_t)p);
		}
	}
	len = res_nquery(&rs, name, ns_c_in, ns_t_txt, ans, sizeof(ans));
	if (len > (int)sizeof(ans)) {
		/* a TCP answer longer than ans: res_nquery says how long it
		   was, not what it kept */
		(void)snprintf(why, whylen, "the TXT answer is larger than "
		    "%zu octets", sizeof(ans));
		res_nclose(&rs);
		return -1;
	}
	if (len < 0) {
		ret = rs.res_h_errno == HOST_NOT_FOUND ||
		    rs.res_h_errno == NO_DATA ? 0 : -1;
		(void)snprintf(why, whylen, "%s", ret == 0 ?
		    "no TLS-RPT record" : "the TXT lookup failed");
		res_nclose(&rs);
		return ret;
	}
	res_nclose(&rs);
	if ((txt = calloc(1, sizeof(*txt))) == NULL) {
		(void)snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (plan_answer_txt(ans, (size_t)len, name, 0, txt) !=
	    PLAN_DNS_RECORDS) {
		ret = txt->r.status == PLAN_DNS_TEMP ? -1 : 0;
		(void)snprintf(why, whylen, "%s", ret == 0 ?
		    "no TLS-RPT record" : "the TXT lookup failed");
		free(txt);
		return ret;
	}
	for (i = 0; i < txt->n; i++) {
		switch (tlsrpt_record_parse(txt->txt[i], txt->len[i], &r, err,
		    sizeof(err))) {
		case 1:
			nours++;
			*rec = r;
			break;
		case -1:
			nours++;
			(void)snprintf(why, whylen, "malformed TLS-RPT record: "
			    "%s", err);
			ret = -2;
			break;
		default:
			break;
		}
	}
	if (txt->skipped > 0) {
		/* a record not read may be a (second) TLSRPTv1 one */
		(void)snprintf(why, whylen, "a TXT record longer than %d "
		    "octets, or past the %dth, was not read", PLAN_TXT_LEN,
		    PLAN_TXT_MAX);
		free(txt);
		return 0;
	}
	free(txt);
	if (nours == 0) {
		(void)snprintf(why, whylen, "no TLS-RPT record");
		return 0;
	}
	if (nours > 1) {
		(void)snprintf(why, whylen, "more than one TLS-RPT record");
		return 0;
	}
	return ret == -2 ? 0 : 1;
}

int
cli_tlsrpt_gzip(const char *in, size_t len, struct buf *out)
{
	z_stream z;
	char *p;
	uLong bound;
	int r;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	bound = deflateBound(&z, (uLong)len) + 64;
	if ((p = buf_reserve(out, bound)) == NULL) {
		deflateEnd(&z);
		return -1;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)p;
	z.avail_out = (uInt)bound;
	r = deflate(&z, Z_FINISH);
	if (r != Z_STREAM_END) {
		deflateEnd(&z);
		return -1;
	}
	buf_commit(out, bound - z.avail_out);
	deflateEnd(&z);
	return 0;
}

static size_t
cli_tlsrpt_discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/*
 * The pin of url (doc/design.md §8): its host and port as
 * cli_tlsrpt_https_host reads them, which libcurl must read the same
 * way; for a name, its addresses, all public (cli_tlsrpt_addr_public),
 * as a CURLOPT_RESOLVE entry "host:port:a,b,..." in *pin (the caller's
 * to curl_slist_free_all; NULL for an IP literal, which curl does not
 * resolve): curl connects to what was checked, nothing else. 0, or -1
 * (why).
 */
static int
cli_tlsrpt_pin(const char *url, struct curl_slist **pin, char *why,
    size_t whylen)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct in6_addr x, y;
	CURLU *u;
	char host[TLSRPT_NAME_MAX], *ch = NULL, *cp = NULL, sport[8],
	    entry[1024], a[INET6_ADDRSTRLEN + 2];
	const char *errstr = NULL;
	size_t n;
	int r, ret = -1, k = 0, kind, port, af, same;

	*pin = NULL;
	if ((kind = cli_tlsrpt_https_host(url, host, sizeof(host), &port, why,
	    whylen)) == -1)
		return -1;
	if ((u = curl_url()) == NULL ||
	    curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &ch, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &cp, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK) {
		(void)snprintf(why, whylen, "not an https URL to libcurl");
		goto out;
	}
	/* what libcurl connects to is what was checked */
	n = strlen(ch);
	if (n > 2 && ch[0] == '[' && ch[n - 1] == ']') {
		memmove(ch, ch + 1, n - 2);
		ch[n - 2] = '\0';
	}
	af = strchr(host, ':') != NULL ? AF_INET6 : AF_INET;
	if (kind == CLI_TLSRPT_HOST_ADDR)
		same = inet_pton(af, ch, &x) == 1 &&
		    inet_pton(af, host, &y) == 1 &&
		    memcmp(&x, &y, af == AF_INET ? 4 : 16) == 0;
	else
		same = strcasecmp(ch, host) == 0;
	if (!same || strtonum(cp, 1, 65535, &errstr) != port ||
	    errstr != NULL) {
		(void)snprintf(why, whylen, "libcurl reads another host or "
		    "port in the URL; refused");
		goto out;
	}
	if (kind == CLI_TLSRPT_HOST_ADDR) {
		ret = 0;	/* a public literal: nothing to resolve */
		goto out;
	}
	(void)snprintf(sport, sizeof(sport), "%d", port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((r = getaddrinfo(host, sport, &hints, &res)) != 0) {
		(void)snprintf(why, whylen, "%s: %s", host, gai_strerror(r));
		goto out;
	}
	n = (size_t)snprintf(entry, sizeof(entry), "%s:%s:", host, sport);
	if (n >= sizeof(entry))
		goto toolong;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (!cli_tlsrpt_addr_public(ai->ai_addr)) {
			(void)snprintf(why, whylen, "%s resolves to a "
			    "loopback, private, link-local, multicast or "
			    "reserved address; refused", host);
			goto out;
		}
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, a + 1,
		    sizeof(a) - 2, NULL, 0, NI_NUMERICHOST) != 0)
			continue;
		if (ai->ai_family == AF_INET6) {
			a[0] = '[';
			(void)strlcat(a, "]", sizeof(a));
			r = snprintf(entry + n, sizeof(entry) - n, "%s%s",
			    k++ > 0 ? "," : "", a);
		} else
			r = snprintf(entry + n, sizeof(entry) - n, "%s%s",
			    k++ > 0 ? "," : "", a + 1);
		if (r < 0 || (size_t)r >= sizeof(entry) - n)
			goto toolong;
		n += (size_t)r;
	}
	if (k == 0) {
		(void)snprintf(why, whylen, "%s: no address", host);
		goto out;
	}
	if ((*pin = curl_slist_append(NULL, entry)) == NULL) {
		(void)snprintf(why, whylen, "out of memory");
		goto out;
	}
	ret = 0;
	goto out;
toolong:
	(void)snprintf(why, whylen, "%s: too many addresses", host);
out:
	if (res != NULL)
		freeaddrinfo(res);
	curl_free(ch);
	curl_free(cp);
	curl_url_cleanup(u);
	return ret;
}

/* What cli_tlsrpt_socket refused, for the report line. */
struct cli_tlsrpt_sock {
	char	refused[INET6_ADDRSTRLEN];
};

/*
 * libcurl's CURLOPT_OPENSOCKETFUNCTION: the socket of a connection to
 * a public address only (doc/design.md §8), whatever libcurl resolved
 * or was told; CURL_SOCKET_BAD (the transfer fails) for any other.
 */
static curl_socket_t
cli_tlsrpt_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *ca)
{
	struct cli_tlsrpt_sock *s = arg;
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (purpose == CURLSOCKTYPE_IPCXN && ca->addrlen <= sizeof(ss) &&
	    ((ca->family == AF_INET &&
	    ca->addrlen >= sizeof(struct sockaddr_in)) ||
	    (ca->family == AF_INET6 &&
	    ca->addrlen >= sizeof(struct sockaddr_in6)))) {
		/* curl_sockaddr's addr is the start of a longer storage */
		memcpy(&ss, &ca->addr, ca->addrlen);
		if (ss.ss_family == ca->family &&
		    cli_tlsrpt_addr_public((struct sockaddr *)&ss))
			return socket(ca->family, ca->socktype | SOCK_CLOEXEC,
			    ca->protocol);
		if (getnameinfo((struct sockaddr *)&ss, ca->addrlen,
		    s->refused, sizeof(s->refused), NULL, 0,
		    NI_NUMERICHOST) != 0)
			(void)strlcpy(s->refused, "?", sizeof(s->refused));
	} else
		(void)strlcpy(s->refused, "?", sizeof(s->refused));
	return CURL_SOCKET_BAD;
}

int
cli_tlsrpt_post(const struct conf *conf, const char *url, const struct buf *gz,
    char *why, size_t whylen)
{
	struct curl_slist *hdr = NULL, *pin = NULL;
	struct cli_tlsrpt_sock sock;
	CURL *h;
	CURLcode r;
	long status = 0;
	int ret = -1;

	if (cli_tlsrpt_pin(url, &pin, why, whylen) == -1)
		return -1;
	if ((h = curl_easy_init()) == NULL) {
		(void)snprintf(why, whylen, "libcurl");
		curl_slist_free_all(pin);
		return -1;
	}
	memset(&sock, 0, sizeof(sock));
	if (pin != NULL)
		(void)curl_easy_setopt(h, CURLOPT_RESOLVE, pin);
	(void)curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION,
	    cli_tlsrpt_socket);
	(void)curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &sock);
	(void)curl_easy_setopt(h, CURLOPT_PROXY, "");	/* no proxy from env */
	hdr = curl_slist_append(hdr, "Content-Type: application/tlsrpt+gzip");
	(void)curl_easy_setopt(h, CURLOPT_URL, url);
	(void)curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	(void)curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	(void)curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	(void)curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (conf->tls_ca_file[0] != '\0')
		(void)curl_easy_setopt(h, CURLOPT_CAINFO, conf->tls_ca_file);
	(void)curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	(void)curl_easy_setopt(h, CURLOPT_POSTFIELDS, gz->data);
	(void)curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)gz->len);
	(void)curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)CLI_TLSRPT_TIMEOUT);
	(void)curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, cli_tlsrpt_discard);
	(void)curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if ((r = curl_easy_perform(h)) != CURLE_OK && sock.refused[0] != '\0')
		(void)snprintf(why, whylen, "a connection to %s refused: not "
		    "a public address", sock.refused);
	else if (r != CURLE_OK)
		(void)snprintf(why, whylen, "%s", curl_easy_strerror(r));
	else if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) !=
	    CURLE_OK || status < 200 || status > 299)
		(void)snprintf(why, whylen, "HTTP status %ld", status);
	else
		ret = 0;
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	curl_slist_free_all(pin);
	return ret;
}
