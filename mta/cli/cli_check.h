/*
 * cli_check.h: `sealpost check DOMAIN` and `sealpost check --self`, a
 * live posture report of a domain's inbound mail security (doc/design.md
 * §8): what DNS says (from the policy process's explanation, `sealpost
 * policy --json`) and what each MX serves (probed by the CLI: EHLO,
 * STARTTLS, the handshake, QUIT; never mail), judged item by item as ok,
 * warn or fail with what to fix. The parts:
 *   cli_check_json.c     pure: a JSON reader (the explanation)
 *   cli_check_facts.c    pure: the explanation into struct cli_check_facts
 *   cli_check_verdict.c  pure: facts into items (verdict, text, fix) and
 *                        the report as text or JSON
 *   cli_check_probe.c    the probe of one MX address (sockets, GnuTLS)
 *   cli_check.c          the command: arguments, control socket, keys
 * Included by those files, tests/unit/test_cli_check.c and
 * tests/fuzz/fuzz_cli_check.c.
 */
#ifndef SEALPOST_CLI_CHECK_H
#define SEALPOST_CLI_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"

struct buf;

/* ---- the JSON reader (cli_check_json.c) ---- */
#define CLI_CHECK_JSON_MAX	(1024 * 1024)	/* text, as the policy
						   process's answer */
#define CLI_CHECK_JSON_NODES	16384
#define CLI_CHECK_JSON_DEPTH	16

enum cli_check_jt {
	CLI_CHECK_JT_NULL,
	CLI_CHECK_JT_BOOL,	/* num is 0 or 1 */
	CLI_CHECK_JT_NUM,	/* num */
	CLI_CHECK_JT_STR,	/* str */
	CLI_CHECK_JT_ARR,
	CLI_CHECK_JT_OBJ,
};

struct cli_check_jnode {
	int		 type;		/* enum cli_check_jt */
	const char	*key;		/* member name in an object, else "" */
	const char	*str;		/* a string's value, else "" */
	long long	 num;
	int		 child;		/* first member or element, or -1 */
	int		 next;		/* next sibling, or -1 */
};

struct cli_check_json {
	struct cli_check_jnode	*n;	/* n[0] is the root */
	size_t			 nn, max;
	char			*arena;	/* the strings, unescaped */
	size_t			 used;
};

/*
 * Parses text[0..len) (one JSON value, white space around it) into doc.
 * Returns 0 (free doc with cli_check_json_free), or -1 with a static
 * reason in *why (doc is then empty). Strings may hold any byte but NUL.
 * Pure.
 */
int	cli_check_json_parse(struct cli_check_json *doc, const char *text,
	    size_t len, const char **why);
void	cli_check_json_free(struct cli_check_json *doc);
/* The root, the first child and the next sibling; NULL when none. */
const struct cli_check_jnode *cli_check_json_root(
	    const struct cli_check_json *);
const struct cli_check_jnode *cli_check_json_first(
	    const struct cli_check_json *, const struct cli_check_jnode *);
const struct cli_check_jnode *cli_check_json_next(
	    const struct cli_check_json *, const struct cli_check_jnode *);
/* Member key of object obj, or NULL (also when obj is no object). */
const struct cli_check_jnode *cli_check_json_get(
	    const struct cli_check_json *, const struct cli_check_jnode *obj,
	    const char *key);
/* A string member's value, "" when missing or not a string. */
const char *cli_check_json_str(const struct cli_check_json *,
	    const struct cli_check_jnode *obj, const char *key);
/* A number or boolean member's value, dflt when missing or another type. */
long long cli_check_json_num(const struct cli_check_json *,
	    const struct cli_check_jnode *obj, const char *key, long long dflt);

/* ---- the facts (cli_check_facts.c fills the DNS side) ---- */
#define CLI_CHECK_HOSTS		10	/* IPC_PLAN_HOSTS_MAX */
#define CLI_CHECK_ADDRS		10	/* addresses probed in all */
#define CLI_CHECK_TLSA		32	/* records per host */
#define CLI_CHECK_TLSA_DATA	2048	/* octets of a record's data */
#define CLI_CHECK_STS_MX	16
#define CLI_CHECK_TXT		8
#define CLI_CHECK_NAME		256
#define CLI_CHECK_TEXT		320

struct cli_check_tlsa {
	uint8_t		usage, selector, mtype;
	int		usable;
	size_t		len;		/* of data; 0 when it was too long */
	uint8_t		data[CLI_CHECK_TLSA_DATA];
	char		hex[24];	/* its first octets, for messages */
};

/* What the probe of one address found (cli_check_probe.c). */
struct cli_check_probe {
	char		addr[48];
	int		connected;	/* TCP and a 220 greeting */
	int		ehlo;		/* EHLO answered 250 */
	int		starttls;	/* offered in EHLO */
	int		tls;		/* the handshake finished */
	char		error[CLI_CHECK_TEXT];	/* where it stopped */
	char		version[16];	/* TLSv1.3 */
	char		cipher[64];
	int		pkix;		/* enum tls_verify */
	char		pkix_detail[64];
	int64_t		not_after;	/* the leaf's, 0 unknown */
	char		leaf_spki[65];	/* SHA-256 of the leaf's SPKI, hex */
	char		leaf_cert[65];	/* SHA-256 of the leaf, hex */
	/* per TLSA record of the host: enum dane_verdict, -1 not checked */
	int		tlsa[CLI_CHECK_TLSA];
	char		tlsa_detail[CLI_CHECK_TLSA][160];
};

struct cli_check_host {
	char		name[CLI_CHECK_NAME];
	unsigned	port;
	size_t		naddr;
	char		addr[CLI_CHECK_HOSTS][48];
	int		addr_secure;
	char		dane[64];	/* the policy process's word: usable,
					   unusable, failed, off..., none... */
	char		tlsa_base[CLI_CHECK_NAME];
	char		dane_problem[CLI_CHECK_TEXT];
	size_t		ntlsa;
	struct cli_check_tlsa tlsa[CLI_CHECK_TLSA];
	int		used;		/* the plan would use it */
	char		policy[32], policy_src[32], failure[64];
	char		reason[CLI_CHECK_TEXT];
	size_t		nprobe;
	struct cli_check_probe probe[CLI_CHECK_ADDRS];
};

/* One key of --self: the current certificate's or the next one's. */
struct cli_check_key {
	char		file[CONF_PATH_MAX];
	char		error[CLI_CHECK_TEXT];	/* could not be read: why */
	uint8_t		spki_sha256[32], spki_sha512[64];
	int		have_cert;	/* a certificate, not only a key */
	uint8_t		cert_sha256[32], cert_sha512[64];
	int64_t		not_after;	/* a certificate's, else 0 */
};

struct cli_check_self {
	char		hostname[CLI_CHECK_NAME];
	size_t		ncur, nnext;
	struct cli_check_key cur[CONF_MAX_CERTS], next[CONF_MAX_CERTS];
	char		tlsa_lines[2 * CONF_MAX_CERTS][CLI_CHECK_NAME + 128];
	size_t		nlines;		/* what to publish */
	int		sts_host_probed;	/* mta-sts.D:443 */
	int		sts_host_tls;
	int		sts_host_pkix;		/* enum tls_verify */
	char		sts_host_error[CLI_CHECK_TEXT];
};

struct cli_check_facts {
	char		domain[CLI_CHECK_NAME];
	int64_t		now;
	int		dnssec_trusted;
	char		route[16];	/* mx or relay */
	char		table[64];
	char		mx_lookup[32];	/* records, no records, no such name,
					   failed, none */
	int		mx_secure;
	size_t		nhosts;
	struct cli_check_host host[CLI_CHECK_HOSTS];
	/* MTA-STS */
	int		sts_consulted;
	char		sts_record[16];	/* ok, multiple, invalid, none */
	char		sts_id[64];
	int		sts_policy;
	char		sts_mode[16];
	long long	sts_max_age;
	size_t		nsts_mx;
	char		sts_mx[CLI_CHECK_STS_MX][CLI_CHECK_NAME];
	char		sts_failure[64], sts_detail[CLI_CHECK_TEXT];
	/* TLS-RPT */
	char		tlsrpt_lookup[32];
	char		tlsrpt_problem[CLI_CHECK_TEXT];
	int		tlsrpt_secure;
	size_t		ntlsrpt;
	char		tlsrpt[CLI_CHECK_TXT][1025];
	/* the plan's outcome */
	char		result[16], result_failure[64];
	char		result_text[CLI_CHECK_TEXT];
	int		probed;		/* the live side ran */
	const struct cli_check_self *self;	/* --self, else NULL */
};

/*
 * Fills f's DNS side from the policy process's JSON explanation (the
 * object policyd_explain.c writes). Returns 0, or -1 with a static
 * reason in *why when the text is no such object. Pure.
 */
int	cli_check_facts_json(struct cli_check_facts *f, const char *text,
	    size_t len, const char **why);

/* ---- the verdicts (cli_check_verdict.c) ---- */
enum cli_check_level {
	CLI_CHECK_OK = 0,
	CLI_CHECK_WARN = 1,
	CLI_CHECK_FAIL = 2,
};

#define CLI_CHECK_ITEMS		256

struct cli_check_item {
	int	level;			/* enum cli_check_level */
	char	what[160];		/* the thing judged: "MX", "mx1 ..." */
	char	text[CLI_CHECK_TEXT * 2];	/* what was found */
	char	fix[CLI_CHECK_TEXT * 2];	/* what to do; "" when ok */
};

struct cli_check_report {
	size_t			n;
	size_t			dropped;	/* past CLI_CHECK_ITEMS */
	struct cli_check_item	item[CLI_CHECK_ITEMS];
	struct cli_check_item	sink;	/* what does not fit is written
					   here and forgotten */
};

/*
 * Judges f into r (cleared first): the MX and DNSSEC, each host's
 * addresses, TLSA records, what each probed address served (STARTTLS,
 * TLS version, PKIX, each TLSA record against the chain), MTA-STS (the
 * record, the policy, every MX listed), TLS-RPT, and with f->self the
 * current and next keys against the host's TLSA records. Returns the
 * worst level. Pure.
 */
int	cli_check_judge(const struct cli_check_facts *f,
	    struct cli_check_report *r);
/*
 * Whether key k matches TLSA record t: 1 yes, 0 no, -1 cannot tell (a
 * record of the whole certificate, selector 0, for a bare key). Pure.
 */
int	cli_check_key_match(const struct cli_check_key *k,
	    const struct cli_check_tlsa *t);
/* The exit status for the worst level: 0 ok, 1 a warning, 2 a failure. */
int	cli_check_exit(int level);
/* Appends the report as text for a person, or as one JSON object. */
int	cli_check_fmt_text(struct buf *b, const struct cli_check_facts *f,
	    const struct cli_check_report *r);
int	cli_check_fmt_json(struct buf *b, const struct cli_check_facts *f,
	    const struct cli_check_report *r);

/* ---- the probe (cli_check_probe.c) ---- */
struct tls_client;
/*
 * Probes host h at probe p's address (p->addr set): connect, the 220,
 * EHLO with helo, STARTTLS, the handshake with SNI sni, the facts of the
 * session, PKIX against the client's trust anchors for h's name, each of
 * h's usable TLSA records against the chain (names: the TLSA base, the
 * host, domain), QUIT. Every step within timeout_ms. Fills p; never
 * fails as a whole (p->error says where it stopped).
 */
void	cli_check_probe(struct tls_client *tc, const struct cli_check_host *h,
	    const char *domain, const char *helo, const char *sni,
	    int timeout_ms, struct cli_check_probe *p);
/*
 * The TLS handshake alone with name at addr:port (the MTA-STS policy
 * host): *tls set when it finished, *pkix the tls_verify result; error
 * says where it stopped.
 */
void	cli_check_probe_https(struct tls_client *tc, const char *addr,
	    unsigned port, const char *name, int timeout_ms, int *tls,
	    int *pkix, char *error, size_t errlen);

/* ---- the command (cli_check.c) ---- */
int	cli_check(struct cli *, int argc, char **argv);

#endif
