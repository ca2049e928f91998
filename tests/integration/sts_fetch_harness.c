/*
 * sts_fetch_harness.c: runs the policy process's MTA-STS policy fetch
 * (mta/policyd/policyd_fetch.c, doc/design.md §8, RFC 8461 §3.3) alone on
 * an event loop, for tests/integration/sts_fetch:
 *
 *   sts_fetch_harness [-cDux] [-F ms] [-n count] [-s count]
 *       [-t timeout_s] ca_file domain [address ...]
 *
 * Fetches https://mta-sts.<domain>/.well-known/mta-sts.txt from the given
 * addresses with ca_file as the only trust, count times at once, and
 * prints for each end one line `STATUS FAILURE DETAIL LEN` (STATUS OK,
 * ERROR or WEBPKI; FAILURE the RFC 8460 type or "none"; DETAIL may hold
 * spaces), then the LEN octets of the body and a newline. The copy of the
 * CA file is written in the current directory. -c also starts a fetch
 * and cancels it at once (its callback must never run); -x frees the
 * fetcher from the first callback (the others are cancelled with it);
 * -F ms frees the fetcher after ms milliseconds; -u removes ca_file once
 * the fetcher is made (as good as a chroot: the path is gone); -s count
 * fetches count times one after the other, each started from the
 * callback of the one before, and -D removes the CA copy before each of
 * those after the first. A callback that runs
 * when it must not, or a harness that outlives 2 * timeout + 10 s,
 * prints `HARNESS ...` and exits 3. Exits 1 when the fetcher cannot be
 * made, 2 on a usage error, else 0.
 * Built for make check only.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/loop.h"
#include "policyd/policyd_fetch.h"

#define HARNESS_ADDRS_MAX	16
#define HARNESS_COUNT_MAX	16

struct harness {
	struct loop		*loop;
	struct policyd_fetch	*f;
	int			 pending;
	int			 free_in_cb;
	long long		 seq_left;	/* -s: fetches still to start */
	int			 del_copy;	/* -D */
	const char		*domain;
	struct ipc_plan_addr	 addrs[HARNESS_ADDRS_MAX];
	size_t			 naddr;
	struct loop_timer	 guard, freer;
};

static void
harness_usage(void)
{
	fprintf(stderr, "usage: sts_fetch_harness [-cDux] [-F ms] [-n count] "
	    "[-s count] [-t timeout_s] ca_file domain [address ...]\n");
	exit(2);
}

static void
harness_done(void *arg, int status, const char *detail, const char *body,
    size_t len)
{
	struct harness *h = arg;

	printf("%s %s %s %zu\n", status == POLICYD_FETCH_OK ? "OK" :
	    status == POLICYD_FETCH_WEBPKI ? "WEBPKI" : "ERROR",
	    status == POLICYD_FETCH_OK ? "none" :
	    status == POLICYD_FETCH_WEBPKI ? "sts-webpki-invalid" :
	    "sts-policy-fetch-error", detail, len);
	if (len > 0 && fwrite(body, 1, len, stdout) != len)
		exit(3);
	printf("\n");
	fflush(stdout);
	if (h->free_in_cb) {
		policyd_fetch_free(h->f);
		h->f = NULL;
		printf("freed in callback\n");
		loop_exit(h->loop);
		return;
	}
	if (h->seq_left > 0) {
		h->seq_left--;
		if (h->del_copy && unlink(POLICYD_FETCH_CA_COPY) == -1)
			fatal("unlink %s", POLICYD_FETCH_CA_COPY);
		(void)policyd_fetch_get(h->f, h->domain, h->addrs, h->naddr,
		    harness_done, h);
		return;
	}
	if (--h->pending == 0)
		loop_exit(h->loop);
}

static void
harness_cancelled(void *arg, int status, const char *detail,
    const char *body, size_t len)
{
	(void)arg;
	(void)body;
	printf("HARNESS callback of a cancelled fetch: %d %s %zu\n", status,
	    detail, len);
	exit(3);
}

static void
harness_after_free(void *arg, int status, const char *detail,
    const char *body, size_t len)
{
	(void)arg;
	(void)body;
	printf("HARNESS callback after free: %d %s %zu\n", status, detail,
	    len);
	exit(3);
}

static void
harness_guard(void *arg)
{
	(void)arg;
	printf("HARNESS timeout: a callback never came\n");
	exit(3);
}

static void
harness_stop(void *arg)
{
	struct harness *h = arg;

	loop_exit(h->loop);
}

static void
harness_free(void *arg)
{
	struct harness *h = arg;

	policyd_fetch_free(h->f);
	h->f = NULL;
	printf("freed\n");
	fflush(stdout);
	/* a while longer: nothing of the fetcher may wake up now */
	loop_timer_set(h->loop, &h->freer, 300, harness_stop, h);
}

int
main(int argc, char *argv[])
{
	struct harness h;
	struct policyd_fetch_req *r;
	char err[256];
	const char *errstr;
	long long timeout = 5, count = 1, free_ms = -1;
	int ch, cancel = 0, unlink_ca = 0, i;

	memset(&h, 0, sizeof(h));
	log_init(LOG_DEST_STDERR, "sts_fetch_harness", NULL, 0);
	while ((ch = getopt(argc, argv, "cDF:n:s:t:ux")) != -1) {
		switch (ch) {
		case 'c':
			cancel = 1;
			break;
		case 'D':
			h.del_copy = 1;
			break;
		case 's':
			h.seq_left = strtonum(optarg, 1, 100, &errstr) - 1;
			if (errstr != NULL)
				harness_usage();
			break;
		case 'u':
			unlink_ca = 1;
			break;
		case 'F':
			free_ms = strtonum(optarg, 0, 600000, &errstr);
			if (errstr != NULL)
				harness_usage();
			break;
		case 'n':
			count = strtonum(optarg, 1, HARNESS_COUNT_MAX, &errstr);
			if (errstr != NULL)
				harness_usage();
			break;
		case 't':
			timeout = strtonum(optarg, 1, 600, &errstr);
			if (errstr != NULL)
				harness_usage();
			break;
		case 'x':
			h.free_in_cb = 1;
			break;
		default:
			harness_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2 || argc - 2 > HARNESS_ADDRS_MAX)
		harness_usage();
	h.domain = argv[1];
	for (i = 2; i < argc; i++, h.naddr++) {
		memset(&h.addrs[h.naddr], 0, sizeof(h.addrs[h.naddr]));
		if (inet_pton(AF_INET, argv[i], h.addrs[h.naddr].addr) == 1)
			h.addrs[h.naddr].family = AF_INET;
		else if (inet_pton(AF_INET6, argv[i],
		    h.addrs[h.naddr].addr) == 1)
			h.addrs[h.naddr].family = AF_INET6;
		else
			harness_usage();
	}

	h.loop = loop_new();
	if ((h.f = policyd_fetch_new(h.loop, argv[0], (unsigned)timeout, err,
	    sizeof(err))) == NULL) {
		printf("NEW FAILED %s\n", err);
		loop_free(h.loop);
		return 1;
	}
	if (unlink_ca && unlink(argv[0]) == -1)
		fatal("unlink %s", argv[0]);
	if (cancel) {
		r = policyd_fetch_get(h.f, h.domain, h.addrs, h.naddr,
		    harness_cancelled, &h);
		policyd_fetch_cancel(r);
	}
	for (i = 0; i < count; i++) {
		(void)policyd_fetch_get(h.f, h.domain, h.addrs, h.naddr,
		    free_ms >= 0 ? harness_after_free : harness_done, &h);
		h.pending++;
	}
	if (cancel) {
		/* one cancelled while others run */
		r = policyd_fetch_get(h.f, h.domain, h.addrs, h.naddr,
		    harness_cancelled, &h);
		policyd_fetch_cancel(r);
	}
	if (free_ms >= 0)
		loop_timer_set(h.loop, &h.freer, (uint64_t)free_ms,
		    harness_free, &h);
	loop_timer_set(h.loop, &h.guard, (uint64_t)(2 * timeout + 10) *
	    (uint64_t)(h.seq_left + 1) * 1000, harness_guard, &h);
	if (loop_run(h.loop) == -1)
		fatal("loop");
	loop_timer_cancel(h.loop, &h.guard);
	loop_timer_cancel(h.loop, &h.freer);
	if (h.f != NULL) {
		/* nothing may call back once the loop is left */
		policyd_fetch_free(h.f);
	}
	loop_free(h.loop);
	return 0;
}
