/*
 * policyd_fetch.h: the MTA-STS policy fetch of the policy process
 * (doc/design.md §8; RFC 8461 §3.3): GET
 * https://mta-sts.<domain>/.well-known/mta-sts.txt with libcurl (GnuTLS
 * flavour) on the process's event loop, connecting only to the addresses
 * our own resolver found. policyd_fetch.c does the I/O; the decisions it
 * makes (which names and addresses curl gets, whether an answer is a
 * policy, what a failure is called) are pure and live in
 * policyd_fetch_check.c, unit-tested on their own.
 * Included by the policy binary (policyd.h), tests/sts_fetch_harness and
 * tests/unit/test_policyd_fetch_check.
 */
#ifndef SEALPOST_POLICYD_FETCH_H
#define SEALPOST_POLICYD_FETCH_H

#include <stddef.h>

#include "ipc_msg.h"
#include "lib/loop.h"

#define POLICYD_FETCH_BODY_MAX	65536	/* octets; RFC 8461 §3.3 suggests
					   a limit of 64 KiB */
#define POLICYD_FETCH_PORT	443
#define POLICYD_FETCH_CONNECT_MAX 30	/* s: the connect timeout is this or
					   the total one, the smaller */
#define POLICYD_FETCH_CA_MAX	(8 * 1024 * 1024)	/* tls_ca_file */
/*
 * libcurl built on GnuTLS cannot take the CA certificates from memory
 * (CURLOPT_CAINFO_BLOB is CURLE_NOT_BUILT_IN there, curl 7.88) and reads
 * CURLOPT_CAINFO again for every connection. So the CA file read before
 * the chroot is written back (mode 0600), at the first fetch and again
 * whenever it is gone, under this name in the current directory: the
 * process's chroot (data_dir/policy), which only the policy user may
 * write; in development mode the process must have made its directory
 * the current one. Only the bytes read at start are ever written there.
 */
#define POLICYD_FETCH_CA_COPY	"fetch-ca.pem"

struct policyd_fetch;
struct policyd_fetch_req;

enum policyd_fetch_status {
	POLICYD_FETCH_OK = 0,		/* 200, text/plain, body within cap */
	POLICYD_FETCH_ERROR,		/* sts-policy-fetch-error */
	POLICYD_FETCH_WEBPKI,		/* sts-webpki-invalid: the certificate
					   of mta-sts.<domain> does not verify
					   (chain under the CA file, name) */
};

/*
 * The end of one fetch. status: enum policyd_fetch_status. detail: a short
 * printable reason for the log ("HTTP 404", "redirect refused (HTTP 301)",
 * "Content-Type text/html", "body over 65536 bytes", "timeout after 60 s",
 * "certificate not trusted", ...; "ok" on success). body[0..len): the
 * policy text on POLICYD_FETCH_OK (not NUL-terminated; len may be 0),
 * else NULL and 0. detail and body are valid during the call only.
 */
typedef void (*policyd_fetch_cb)(void *arg, int status, const char *detail,
    const char *body, size_t len);

/*
 * Creates the fetcher on loop. Call before the chroot: it reads ca_file
 * (tls_ca_file: PEM, at least one certificate, at most
 * POLICYD_FETCH_CA_MAX octets) into memory; see POLICYD_FETCH_CA_COPY for
 * how curl gets it later. timeout_s (mta_sts_fetch_timeout, at least 1)
 * bounds each fetch from start to end. Initializes libcurl (its global
 * state is reference-counted; policyd_fetch_free releases it). Returns
 * the fetcher, or NULL with a message in err.
 */
struct policyd_fetch *policyd_fetch_new(struct loop *, const char *ca_file,
	    unsigned timeout_s, char *err, size_t errlen);

/*
 * Starts GET https://mta-sts.<domain>/.well-known/mta-sts.txt (domain: a
 * host name, one trailing dot allowed), connecting only to
 * addrs[0..naddr) port 443 (in that order within a family; curl starts
 * the other family 200 ms later): curl never resolves a name itself.
 * Every fetch has a fresh connection, closed after it. HTTPS only, TLS
 * 1.2 or later with SNI, the certificate verified under the CA file for
 * mta-sts.<domain>, HTTP/1.1, no redirect followed, no proxy, the body
 * capped at POLICYD_FETCH_BODY_MAX.
 * cb is called exactly once, never before this returns (a domain that is
 * no host name, naddr 0 or a local failure is reported from a 0 ms
 * timer). Returns the request, the caller's handle for
 * policyd_fetch_cancel until cb runs; fatal() when out of memory for it.
 */
struct policyd_fetch_req *policyd_fetch_get(struct policyd_fetch *,
	    const char *domain, const struct ipc_plan_addr *addrs,
	    size_t naddr, policyd_fetch_cb cb, void *arg);

/*
 * Abandons a request whose cb has not run: cb will not be called, the
 * connection is closed and everything freed. NULL is harmless. May be
 * called from any fetch's cb (not with the request that cb reports).
 */
void	policyd_fetch_cancel(struct policyd_fetch_req *);

/*
 * Cancels every request (no cb) and frees the fetcher; NULL is harmless.
 * May be called from a fetch's cb: the rest is freed when it returns.
 */
void	policyd_fetch_free(struct policyd_fetch *);

/* ---- the pure decisions (policyd_fetch_check.c) ---- */

#define POLICYD_FETCH_HOST_MAX	253	/* mta-sts.<domain>, no dot */
#define POLICYD_FETCH_DETAIL_MAX 128	/* detail, with its NUL */

/*
 * Writes "mta-sts.<domain>" in lower case into host[0..hostlen), domain
 * without its one allowed trailing dot. Returns 0, or -1 when domain is
 * no host name (LDH labels of 1..63 octets, a letter or digit at both
 * ends) or the result does not fit POLICYD_FETCH_HOST_MAX or hostlen.
 */
int	policyd_fetch_host(const char *domain, char *host, size_t hostlen);

/* The size policyd_fetch_resolve needs for host and naddr addresses. */
#define POLICYD_FETCH_RESOLVE_LEN(hostlen, naddr) \
	((hostlen) + 8 + (naddr) * (46 + 3) + 1)

/*
 * Writes the CURLOPT_RESOLVE entry "host:443:a1,[a2],..." for the
 * AF_INET and AF_INET6 addresses of addrs[0..naddr) (others are skipped)
 * into out[0..outlen). Returns the number of addresses written, or -1
 * when it does not fit.
 */
int	policyd_fetch_resolve(const char *host,
	    const struct ipc_plan_addr *addrs, size_t naddr, char *out,
	    size_t outlen);

/*
 * Returns 1 when ctype (a Content-Type field value, or NULL) has the
 * media type text/plain (RFC 8461 §3.2), case-insensitive, with or
 * without parameters ("text/plain; charset=utf-8"); else 0.
 */
int	policyd_fetch_media_ok(const char *ctype);

/* Returns 1 when an answer with this status and type may carry the policy. */
int	policyd_fetch_answer_ok(long http, const char *ctype);

/* How one transfer ended, as curl and the write callback say. */
struct policyd_fetch_outcome {
	int		 curl;		/* CURLcode of the transfer */
	long		 http;		/* status code; 0: no response */
	const char	*ctype;		/* Content-Type, or NULL */
	long		 verify;	/* CURLINFO_SSL_VERIFYRESULT: GnuTLS
					   certificate status bits */
	int		 tls_done;	/* the TLS handshake completed */
	int		 stopped;	/* the write callback refused an answer
					   that is no policy */
	int		 over;		/* ... or a body over the cap */
	int		 nomem;		/* ... or ran out of memory */
	unsigned	 timeout_s;	/* the total limit */
	unsigned	 connect_s;	/* the connect (and handshake) limit */
	const char	*errbuf;	/* curl's message, or "" */
};

/*
 * Judges a transfer: returns enum policyd_fetch_status and writes the
 * reason into detail[0..detaillen) ("ok" for POLICYD_FETCH_OK), printable
 * ASCII whatever the server sent. A certificate that does not verify
 * (CURLE_PEER_FAILED_VERIFICATION, which is also CURLE_SSL_CACERT) is
 * POLICYD_FETCH_WEBPKI; everything else that is not a 200 text/plain
 * answer within the cap is POLICYD_FETCH_ERROR.
 */
int	policyd_fetch_judge(const struct policyd_fetch_outcome *,
	    char *detail, size_t detaillen);

#endif
