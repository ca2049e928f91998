/*
 * policyd_run.h: one domain's lookup in the policy process, shared by
 * policyd_lookup.c (which runs it) and policyd_explain.c (which prints
 * it for sealpost policy), doc/design.md §8. Everything a plan was made
 * from is kept here until the run ends.
 * Included by the policy binary's lookup and explain files only.
 */
#ifndef SEALPOST_POLICYD_RUN_H
#define SEALPOST_POLICYD_RUN_H

#include <sys/queue.h>

#include "policy/dane.h"
#include "policyd.h"

struct policyd_waiter {
	uint64_t		 req;
	uint32_t		 tag;
	struct policyd_waiter	*next;
};

/* The DANE state of one host of the plan. */
struct policyd_dane {
	int			 state;		/* enum verdict_dane */
	int			 step;		/* 0 none, 1 expanded name
						   asked, 2 the MX name */
	char			 base[PLAN_NAME_MAX];	/* TLSA base */
	char			 why[320];
	struct plan_tlsa_answer	*tlsa;		/* owned, or NULL */
	unsigned		 usable;
};

struct policyd_run {
	struct policyd_lookups	*ls;
	LIST_ENTRY(policyd_run)	 entry;
	char			 domain[PLAN_NAME_MAX];
	struct route_decision	 d;
	int			 pending;	/* DNS queries out, + 1 while
						   sending them */
	int			 stage;		/* 0 MX, 1 addresses, 2 TLSA */
	int			 dns_done;
	int			 sts_wait;	/* MTA-STS discovery runs */
	int			 sts_asked;
	struct policyd_sts_state sts;
	struct plan_mx_answer	 mx;
	struct plan_targets	 tg;
	struct plan_addr_answer	 a[IPC_PLAN_HOSTS_MAX];
	struct plan_addr_answer	 aaaa[IPC_PLAN_HOSTS_MAX];
	int			 asked_a[IPC_PLAN_HOSTS_MAX];
	int			 asked_aaaa[IPC_PLAN_HOSTS_MAX];
	struct plan		*plan;		/* stage 2 on */
	struct policyd_dane	 dane[IPC_PLAN_HOSTS_MAX];
	struct verdict_out	 v[IPC_PLAN_HOSTS_MAX];
	const struct policyd_memory_entry *mem;	/* at the verdict */
	struct policyd_memory_entry mem_copy;
	struct policyd_waiter	*waiters;
	int			 forgotten;	/* the domain's plans were
						   forgotten while it ran: it
						   answers its waiters, its plan
						   is not cached, no request
						   joins it */
	/* sealpost policy: an explanation instead of a plan */
	int			 explain;	/* 0, 1 text, 2 JSON */
	int			 explain_self;	/* this host is kept among
						   the MX (check --self) */
	uint64_t		 ctl;
	policyd_explain_cb	 ecb;
	void			*earg;
	/* explain only: the TLS-RPT record _smtp._tls.D (RFC 8460 §3),
	   for sealpost check (doc/design.md §8) */
	int			 tlsrpt_wait;	/* its TXT query runs */
	struct plan_txt_answer	*tlsrpt;	/* owned, or NULL */
};

/* Record j of a TLSA answer as policy/dane.c takes it (data borrowed). */
void	policyd_tlsa_rec(const struct plan_tlsa_answer *t, size_t j,
	    struct dane_tlsa *out);

/*
 * Writes the explanation of the finished run r (text, or JSON when
 * r->explain is 2) into out (a buf the caller frees). Returns 0 or -1
 * when out of memory.
 */
struct buf;
int	policyd_explain(const struct policyd_run *r, struct buf *out);
/* Logs plan of domain in the debug log, one line per host (a 4.4.3
   deferral as a warning). */
void	policyd_plan_debug(const char *domain, const struct plan *plan);

#endif
