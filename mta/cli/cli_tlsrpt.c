/*
 * cli_tlsrpt.c: sealpost tlsrpt (RFC 8460, doc/design.md §8), root's
 * side. As root it only reads, raw, what only root (or the policy user)
 * may read: the policy process's day files
 * (data_dir/policy/tlsrpt/YYYY-MM-DD) and the DKIM key (dkim_key_file),
 * each directory opened step by step and each file without following a
 * symlink, without blocking on a FIFO, a regular file of one name whose
 * owner is the policy directory's; it makes data_dir/tlsrpt (0700) or
 * checks it (root's or `user`'s, writable by its owner only: else the
 * run stops) and gives that directory, never a file in it, to `user`.
 * A helper forked as root reads the cached MTA-STS files the report
 * needs (the same checks) and hands their octets to the unprivileged
 * run over a socket, never parsing them. Then the command becomes
 * `user` (setgroups, setgid, setuid, checked), and cli_tlsrpt_send.c
 * parses the day files, reads the sent state, decides and sends. The
 * report mail goes through the pickup socket with the null sender (the
 * gate below, tests/lint/mailgate). --dns prints the DKIM record.
 * Linked by the sealpost binary.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_tlsrpt.h"
#include "lib/dkim.h"
#include "lib/log.h"
#include "lib/pickup.h"
#include "policy/sts_policy.h"

#define CLI_TLSRPT_TIMEOUT	60	/* seconds, pickup */
#define CLI_TLSRPT_KEY_MAX	(64 * 1024)

const char *
cli_tlsrpt_esc(const char *s, char *buf, size_t size)
{
	(void)log_escape(buf, size, s, strlen(s));
	return buf;
}

const char *
cli_tlsrpt_why(int r, int e)
{
	if (r == CLI_TLSRPT_NOTREG)
		return "not a regular file (a FIFO, a device, a directory, "
		    "or a file with another name)";
	if (r == CLI_TLSRPT_NOTOWN)
		return "owned by another user than its directory's";
	if (e == ELOOP)
		return "a symbolic link";
	return e == ENOBUFS ? "too large" : strerror(e);
}

/*
 * Opens name in dirfd to read it (doc/design.md §8): never through a
 * symlink, never blocking (a FIFO planted by `user` or the policy user
 * must not hang the run), a regular file with no other name only, and
 * owner's (a hard link to a file of root's has root's uid). Returns the
 * fd, -1 with errno, CLI_TLSRPT_NOTREG or CLI_TLSRPT_NOTOWN.
 */
static int
cli_tlsrpt_open(int dirfd, const char *name, uid_t owner)
{
	struct stat st;
	int fd, e;

	if ((fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1) {
		close(fd);
		return CLI_TLSRPT_NOTREG;
	}
	if (st.st_uid != owner) {
		close(fd);
		return CLI_TLSRPT_NOTOWN;
	}
	return fd;
}

int
cli_tlsrpt_read(int dirfd, const char *name, uid_t owner, struct buf *b)
{
	int fd, r, e;

	if ((fd = cli_tlsrpt_open(dirfd, name, owner)) < 0)
		return fd;
	r = buf_read_fd(b, fd);
	e = errno;
	close(fd);
	errno = e;
	return r;
}

/*
 * The gate of the report mail (doc/design.md §1.1): MAIL goes only to
 * the local pickup socket, whose mail the queue and smtpout carry over
 * TLS like any other. The null sender: nothing bounces back into a loop
 * (RFC 8460 §5.3, RFC 5321 §4.5.5). Exits on a socket that is not
 * AF_UNIX.
 */
static int
cli_tlsrpt_gate_mail(struct pickup_conn *c)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);

	if (getsockname(c->fd, (struct sockaddr *)&ss, &sslen) == -1 ||
	    ss.ss_family != AF_UNIX) {
		fprintf(stderr, "sealpost tlsrpt: not the local pickup socket; "
		    "refusing to send\n");
		exit(EX_SOFTWARE);
	}
	return pickup_cmd(c, "MAIL FROM:", "<>", "");
}

/* Writes b dot-stuffed (its lines end in CRLF). 0, or -1. */
static int
cli_tlsrpt_stuff(int fd, const struct buf *b)
{
	const char *p, *end, *nl;

	for (p = b->data, end = b->data + b->len; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end - 1;
		if ((*p == '.' && pickup_write(fd, ".", 1) == -1) ||
		    pickup_write(fd, p, (size_t)(nl - p) + 1) == -1)
			return -1;
	}
	return 0;
}

int
cli_tlsrpt_mail(const struct conf *conf, const char *addr,
    const struct buf *sig, const struct buf *msg, char *why, size_t whylen)
{
	struct pickup_conn *c;
	int code, ret = -1;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		(void)snprintf(why, whylen, "out of memory");
		return -1;
	}
	if ((c->fd = pickup_connect(conf->run_dir, CLI_TLSRPT_TIMEOUT, NULL,
	    0)) == -1) {
		(void)snprintf(why, whylen, "pickup socket: %s",
		    strerror(errno));
		free(c);
		return -1;
	}
	if ((code = pickup_reply(c)) != 220 ||
	    (code = pickup_cmd(c, "EHLO ", "localhost", "")) != 250 ||
	    (code = cli_tlsrpt_gate_mail(c)) != 250 ||
	    (code = pickup_cmd(c, "RCPT TO:<", addr, "> NOTIFY=NEVER")) !=
	    250 || (code = pickup_cmd(c, "DATA", "", "")) != 354) {
		(void)snprintf(why, whylen, "pickup: %.200s", code <= 0 ?
		    "no SMTP reply" : c->last);
		goto out;
	}
	/* the DKIM-Signature field first, then the message */
	if (cli_tlsrpt_stuff(c->fd, sig) == -1 ||
	    cli_tlsrpt_stuff(c->fd, msg) == -1) {
		(void)snprintf(why, whylen, "pickup: write failed");
		goto out;
	}
	if (pickup_write(c->fd, ".\r\n", 3) == -1 ||
	    (code = pickup_reply(c)) != 250) {
		(void)snprintf(why, whylen, "pickup: %.200s", code <= 0 ?
		    "no SMTP reply" : c->last);
		goto out;
	}
	(void)pickup_cmd(c, "QUIT", "", "");
	ret = 0;
out:
	close(c->fd);
	free(c);
	return ret;
}

/*
 * The helper's socket (doc/design.md §8): a request is a name's length
 * (uint16_t) and its octets; a reply this header and len octets.
 */
struct cli_tlsrpt_reply {
	int32_t		r;	/* cli_tlsrpt_read's result */
	int32_t		e;	/* its errno */
	uint32_t	len;	/* the file's octets that follow */
};

/* Reads (wr 0) or writes n octets at p on socket fd. 0, or -1. */
static int
cli_tlsrpt_io(int fd, void *p, size_t n, int wr)
{
	char *q = p;
	ssize_t r;

	while (n > 0) {
		r = wr ? send(fd, q, n, MSG_NOSIGNAL) : recv(fd, q, n, 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EPIPE;
			return -1;
		}
		q += r;
		n -= (size_t)r;
	}
	return 0;
}

/*
 * The helper, root, forked before the drop: reads the MTA-STS cache
 * file a request names in stsfd (cli_tlsrpt_read: the policy user's,
 * owner) and sends its octets back, unparsed; a name that is not one
 * file's (empty, a NUL, a '/', a leading '.') is refused. Exits at the
 * end of the socket or on a request out of shape.
 */
static void
cli_tlsrpt_helper(int sock, int stsfd, uid_t owner)
{
	struct cli_tlsrpt_reply rep;
	struct buf b;
	char name[TLSRPT_NAME_MAX];
	uint16_t n;

	for (;;) {
		if (cli_tlsrpt_io(sock, &n, sizeof(n), 0) == -1 || n == 0 ||
		    n >= sizeof(name) || cli_tlsrpt_io(sock, name, n, 0) == -1)
			_exit(0);
		name[n] = '\0';
		memset(&rep, 0, sizeof(rep));
		buf_init(&b, STS_CACHE_SIZE_MAX);
		if (strlen(name) != n || name[0] == '.' ||
		    strchr(name, '/') != NULL) {
			rep.r = -1;
			rep.e = EINVAL;
		} else {
			rep.r = cli_tlsrpt_read(stsfd, name, owner, &b);
			rep.e = errno;
			if (rep.r == 0)
				rep.len = (uint32_t)b.len;
		}
		if (cli_tlsrpt_io(sock, &rep, sizeof(rep), 1) == -1 ||
		    (rep.len > 0 && cli_tlsrpt_io(sock, b.data, b.len, 1) ==
		    -1))
			_exit(0);
		buf_free(&b);
	}
}

/*
 * Forks the helper (as root, before the drop; none without policy/sts).
 * Returns 0, or an exit code.
 */
static int
cli_tlsrpt_helper_start(struct cli_tlsrpt_run *run)
{
	struct passwd *pw;
	int sv[2];
	pid_t pid;

	if (run->stsfd == -1)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		fprintf(stderr, "sealpost tlsrpt: socketpair: %s\n",
		    strerror(errno));
		return EX_OSERR;
	}
	(void)fflush(stdout);
	(void)fflush(stderr);
	if ((pid = fork()) == -1) {
		fprintf(stderr, "sealpost tlsrpt: fork: %s\n", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return EX_OSERR;
	}
	if (pid == 0) {
		/* the helper: the cache directory and its socket only */
		close(sv[0]);
		if (run->statefd != -1)
			close(run->statefd);
		if (run->dayfd != -1)
			close(run->dayfd);
		close(run->policyfd);
		/*
		 * The files it reads are the policy user's: it becomes that
		 * user (doc/design.md §8), or answers nothing.
		 */
		if (geteuid() == 0 && run->policy_uid != 0 &&
		    ((pw = getpwuid(run->policy_uid))
		    == NULL || setgroups(1, &pw->pw_gid) == -1 ||
		    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
		    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1))
			_exit(1);
		cli_tlsrpt_helper(sv[1], run->stsfd, run->policy_uid);
		_exit(0);
	}
	close(sv[1]);
	run->helper = sv[0];
	run->helper_pid = pid;
	return 0;
}

int
cli_tlsrpt_sts_ask(struct cli_tlsrpt_run *run, const char *domain,
    struct buf *b)
{
	struct cli_tlsrpt_reply rep;
	size_t n = strlen(domain);
	uint16_t len = (uint16_t)n;
	char *p;

	if (run->helper == -1) {
		errno = ENOENT;
		return -1;
	}
	if (n == 0 || n >= TLSRPT_NAME_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (cli_tlsrpt_io(run->helper, &len, sizeof(len), 1) == -1 ||
	    cli_tlsrpt_io(run->helper, (void *)(uintptr_t)domain, n, 1) ==
	    -1 || cli_tlsrpt_io(run->helper, &rep, sizeof(rep), 0) == -1)
		goto broken;
	if (rep.r != 0) {
		if (rep.r != -1 && rep.r != CLI_TLSRPT_NOTREG &&
		    rep.r != CLI_TLSRPT_NOTOWN)
			goto broken;
		errno = rep.e;
		return rep.r;
	}
	if (rep.len > STS_CACHE_SIZE_MAX)
		goto broken;
	if (rep.len > 0) {
		if ((p = buf_reserve(b, rep.len)) == NULL ||
		    cli_tlsrpt_io(run->helper, p, rep.len, 0) == -1)
			goto broken;
		buf_commit(b, rep.len);
	}
	return 0;
broken:
	/* out of step: no more answers from it */
	close(run->helper);
	run->helper = -1;
	errno = EPIPE;
	return -1;
}

/* Ends the helper: the end of its socket, then its exit. */
static void
cli_tlsrpt_helper_end(struct cli_tlsrpt_run *run)
{
	if (run->helper != -1)
		close(run->helper);
	run->helper = -1;
	if (run->helper_pid > 0)
		while (waitpid(run->helper_pid, NULL, 0) == -1 &&
		    errno == EINTR)
			;
	run->helper_pid = 0;
}

/*
 * Becomes `user` (doc/design.md §2, as proc_drop: setgroups, setresgid,
 * setresuid, checked) when run as root outside development mode (which
 * keeps whoever runs it, root included: for tests only). Exits when
 * that fails. Returns 0.
 */
static int
cli_tlsrpt_drop(struct cli_tlsrpt_run *run)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (!run->drop)
		return 0;
	if (setgroups(1, &run->gid) == -1 ||
	    setresgid(run->gid, run->gid, run->gid) == -1 ||
	    setresuid(run->uid, run->uid, run->uid) == -1 ||
	    getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1 ||
	    ru != run->uid || eu != run->uid || su != run->uid ||
	    rg != run->gid || eg != run->gid || sg != run->gid ||
	    setuid(0) != -1) {
		fprintf(stderr, "sealpost tlsrpt: cannot drop privileges to "
		    "%s\n", run->c->conf.user);
		exit(EX_OSERR);
	}
	return 0;
}

/*
 * Reads and imports dkim_key_file (as root). Returns 0 (also: no key
 * configured), or an exit code.
 */
static int
cli_tlsrpt_key(struct cli *c, struct dkim_key *k)
{
	const struct conf *conf = &c->conf;
	struct stat st;
	struct buf b;
	char dom[DKIM_DOMAIN_MAX], err[256];
	int fd, r;

	memset(k, 0, sizeof(*k));
	if (conf->dkim_key_file[0] == '\0')
		return 0;
	if (conf->dkim_domain[0] != '\0')
		r = (int)strlcpy(dom, conf->dkim_domain, sizeof(dom)) <
		    (int)sizeof(dom) ? 0 : -1;
	else
		r = dkim_domain_of(conf->hostname, dom, sizeof(dom));
	buf_init(&b, CLI_TLSRPT_KEY_MAX);
	/* as root: no symlink, no FIFO to hang on (doc/design.md §8) */
	fd = open(conf->dkim_key_file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC);
	if (fd != -1 && (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))) {
		fprintf(stderr, "sealpost tlsrpt: dkim_key_file %s: not a "
		    "regular file\n", conf->dkim_key_file);
		close(fd);
		buf_free(&b);
		return EX_CONFIG;
	}
	if (fd == -1 || buf_read_fd(&b, fd) == -1) {
		r = errno;
		fprintf(stderr, "sealpost tlsrpt: dkim_key_file %s: %s\n",
		    conf->dkim_key_file, r == ENOBUFS ? "too large" :
		    strerror(r));
		if (fd != -1)
			close(fd);
		buf_free(&b);
		return r == EACCES ? EX_NOPERM : EX_CONFIG;
	}
	close(fd);
	if (r == -1 || dkim_key_load(k, b.data != NULL ? b.data : "",
	    b.len, conf->dkim_selector, dom, err, sizeof(err)) == -1) {
		fprintf(stderr, "sealpost tlsrpt: dkim_key_file %s: %s\n",
		    conf->dkim_key_file, r == -1 ? "no domain" : err);
		if (b.data != NULL)
			explicit_bzero(b.data, b.cap);
		buf_free(&b);
		return EX_CONFIG;
	}
	if (b.data != NULL)
		explicit_bzero(b.data, b.cap);
	buf_free(&b);
	return 0;
}

/* --dns: the TXT record to publish for the key. */
static int
cli_tlsrpt_dns(struct cli *c)
{
	struct dkim_key k;
	struct buf b;
	size_t off, n;
	int ex;

	if ((ex = cli_tlsrpt_key(c, &k)) != 0)
		return ex;
	if (k.key == NULL) {
		fprintf(stderr, "sealpost tlsrpt: no dkim_key_file; mailed "
		    "reports are not sent\n");
		return EX_CONFIG;
	}
	if (k.alg == DKIM_ED25519_SHA256)
		fprintf(stderr, "sealpost tlsrpt: warning: dkim_key_file is "
		    "an Ed25519 key: large receivers (Gmail, Microsoft) do "
		    "not verify ed25519-sha256 signatures (RFC 8463) yet, and "
		    "RFC 8460 §3 has a report whose signature does not "
		    "verify ignored; use an RSA key of 2048 bits "
		    "(sealpost.conf(5))\n");
	buf_init(&b, 8192);
	if (dkim_record(&k, &b) == -1) {
		dkim_key_free(&k);
		buf_free(&b);
		return EX_SOFTWARE;
	}
	/* strings of at most 255 octets (RFC 1035 §3.3.14) */
	printf("%s._domainkey.%s. IN TXT (", k.selector, k.domain);
	for (off = 0; off < b.len; off += n) {
		n = b.len - off > 255 ? 255 : b.len - off;
		printf(" \"%.*s\"", (int)n, b.data + off);
	}
	printf(" )\n");
	dkim_key_free(&k);
	buf_free(&b);
	return 0;
}

/* Opens dir's subdirectory name, never through a symlink. */
static int
cli_tlsrpt_subdir(int dirfd, const char *name)
{
	return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
}

/*
 * Who the run becomes (doc/design.md §2): `user` when run as root
 * outside development mode, else whoever runs it. Returns 0, or
 * EX_NOUSER.
 */
static int
cli_tlsrpt_who(struct cli_tlsrpt_run *run)
{
	const struct conf *conf = &run->c->conf;
	struct passwd *pw;

	run->uid = geteuid();
	run->gid = getegid();
	if (run->uid != 0 || conf->devmode)
		return 0;
	if ((pw = getpwnam(conf->user)) == NULL || pw->pw_uid == 0) {
		fprintf(stderr, "sealpost tlsrpt: user %s: %s\n", conf->user,
		    pw == NULL ? "no such user" : "must not be root");
		return EX_NOUSER;
	}
	run->drop = 1;
	run->uid = pw->pw_uid;
	run->gid = pw->pw_gid;
	return 0;
}

/*
 * The state directory, open as statefd (doc/design.md §8): refused
 * unless root's or the run's user's and writable by its owner only
 * (anyone else who may write there could plant what was sent); then,
 * unless in a dry run, given to the user by its descriptor and made
 * 0700. Returns 0, or EX_IOERR.
 */
static int
cli_tlsrpt_statedir(struct cli_tlsrpt_run *run)
{
	const struct conf *conf = &run->c->conf;
	struct stat st;

	if (run->statefd == -1)
		return 0;
	if (fstat(run->statefd, &st) == -1) {
		fprintf(stderr, "sealpost tlsrpt: %s/tlsrpt: %s\n",
		    conf->data_dir, strerror(errno));
		return EX_IOERR;
	}
	if ((st.st_uid != 0 && st.st_uid != run->uid) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		fprintf(stderr, "sealpost tlsrpt: %s/tlsrpt: %s; refused: it "
		    "must be root's or %s's and writable by its owner only "
		    "(mode 0700)\n", conf->data_dir,
		    st.st_uid != 0 && st.st_uid != run->uid ?
		    "owned by another user" : "writable by group or others",
		    run->drop ? conf->user : "the caller");
		return EX_IOERR;
	}
	if (run->o->dry_run)
		return 0;
	if (((st.st_uid != run->uid || st.st_gid != run->gid) &&
	    fchown(run->statefd, run->uid, run->gid) == -1) ||
	    ((st.st_mode & 07777) != 0700 && fchmod(run->statefd, 0700) ==
	    -1)) {
		fprintf(stderr, "sealpost tlsrpt: %s/tlsrpt: %s\n",
		    conf->data_dir, strerror(errno));
		return EX_IOERR;
	}
	return 0;
}

/*
 * Opens data_dir and, step by step below it, never through a symlink
 * (doc/design.md §8): policy (the policy user's, who must own the files
 * read there), its tlsrpt and sts (missing: nothing in them; sts
 * unreadable: reported, no MTA-STS texts), and the state directory
 * tlsrpt, which is made here unless in a dry run (without it a dry run
 * has no state), and checked (cli_tlsrpt_statedir). Returns 0, or an
 * exit code.
 */
static int
cli_tlsrpt_dirs(struct cli_tlsrpt_run *run)
{
	const char *dd = run->c->conf.data_dir;
	struct stat st;
	int dfd, e, ex = 0;

	if ((dfd = open(dd, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (run->policyfd = cli_tlsrpt_subdir(dfd, "policy")) == -1 ||
	    fstat(run->policyfd, &st) == -1) {
		e = errno;
		fprintf(stderr, "sealpost tlsrpt: %s%s: %s%s\n", dd,
		    dfd == -1 ? "" : "/policy", cli_tlsrpt_why(-1, e),
		    e == EACCES ? " (run it as root)" : "");
		ex = e == EACCES ? EX_NOPERM : e == ENOENT ? EX_NOINPUT :
		    EX_IOERR;
		goto out;
	}
	run->policy_uid = st.st_uid;
	if ((run->dayfd = cli_tlsrpt_subdir(run->policyfd, "tlsrpt")) == -1 &&
	    (e = errno) != ENOENT) {
		fprintf(stderr, "sealpost tlsrpt: %s/policy/tlsrpt: %s\n", dd,
		    cli_tlsrpt_why(-1, e));
		ex = e == EACCES ? EX_NOPERM : EX_IOERR;
		goto out;
	}
	if ((run->stsfd = cli_tlsrpt_subdir(run->policyfd, "sts")) == -1 &&
	    (e = errno) != ENOENT)
		fprintf(stderr, "sealpost tlsrpt: %s/policy/sts: %s; the "
		    "reports go without MTA-STS policy texts\n", dd,
		    cli_tlsrpt_why(-1, e));
	if ((!run->o->dry_run && mkdirat(dfd, "tlsrpt", 0700) == -1 &&
	    errno != EEXIST) || ((run->statefd = cli_tlsrpt_subdir(dfd,
	    "tlsrpt")) == -1 && !(run->o->dry_run && errno == ENOENT))) {
		e = errno;
		fprintf(stderr, "sealpost tlsrpt: %s/tlsrpt: %s\n", dd,
		    cli_tlsrpt_why(-1, e));
		ex = e == EACCES ? EX_NOPERM : EX_IOERR;
		goto out;
	}
	ex = cli_tlsrpt_statedir(run);
out:
	if (dfd != -1)
		close(dfd);
	return ex;
}

/* Closes the policy user's directories (root opened them). */
static void
cli_tlsrpt_close(struct cli_tlsrpt_run *run)
{
	if (run->policyfd != -1)
		close(run->policyfd);
	if (run->dayfd != -1)
		close(run->dayfd);
	if (run->stsfd != -1)
		close(run->stsfd);
	run->policyfd = run->dayfd = run->stsfd = -1;
}

static void
cli_tlsrpt_usage(FILE *f)
{
	fprintf(f, "usage: sealpost tlsrpt [-v] [--dry-run] [--domain D] "
	    "[--date YYYY-MM-DD | --date today --partial]\n"
	    "       sealpost tlsrpt --dns\n");
}

int
cli_tlsrpt(struct cli *c, int argc, char **argv)
{
	struct cli_tlsrpt_opts o;
	struct cli_tlsrpt_run run;
	struct cli_tlsrpt_date *dd;
	struct dkim_key key;
	char today[11], err[160];
	int ex = 0;
	size_t k;
	time_t now = time(NULL);

	if (tlsrpt_date_of(now, today) == -1)
		return EX_OSERR;
	switch (cli_tlsrpt_args(argc, argv, today, &o, err, sizeof(err))) {
	case CLI_TLSRPT_HELP:
		cli_tlsrpt_usage(stdout);
		return 0;
	case CLI_TLSRPT_USAGE:
		fprintf(stderr, "sealpost tlsrpt: %s\n", err);
		cli_tlsrpt_usage(stderr);
		return EX_USAGE;
	case CLI_TLSRPT_RUN:
		break;
	}
	if (o.dns)
		return cli_tlsrpt_dns(c);
	/* what the invoker left open goes to neither the helper nor user */
	closefrom(3);
	memset(&run, 0, sizeof(run));
	memset(&key, 0, sizeof(key));
	run.c = c;
	run.o = &o;
	run.key = &key;
	run.policyfd = run.dayfd = run.stsfd = run.statefd = run.helper = -1;
	if (o.date[0] != '\0') {
		(void)strlcpy(run.d[0].date, o.date, sizeof(run.d[0].date));
		run.d[0].explicit = 1;
		run.nd = 1;
	} else {
		/* yesterday, then the retries of the two days before */
		for (k = 1; k <= 1 + CLI_TLSRPT_RETRY_DAYS; k++)
			if (tlsrpt_date_of(now - (int64_t)k * 86400,
			    run.d[run.nd].date) == 0)
				run.nd++;
	}
	for (k = 0; k < run.nd; k++)
		buf_init(&run.d[k].raw, TLSRPT_FILE_MAX);
	if ((ex = cli_tlsrpt_who(&run)) == 0 &&
	    (ex = cli_tlsrpt_dirs(&run)) == 0) {
		/* as root, the day files' octets only: parsed as user */
		for (k = 0; k < run.nd; k++) {
			dd = &run.d[k];
			if (run.dayfd == -1) {
				dd->rawr = -1;
				dd->rawerr = ENOENT;
				continue;
			}
			dd->rawr = cli_tlsrpt_read(run.dayfd, dd->date,
			    run.policy_uid, &dd->raw);
			dd->rawerr = errno;
		}
		ex = cli_tlsrpt_helper_start(&run);
	}
	if (ex == 0)
		ex = cli_tlsrpt_key(c, &key);
	cli_tlsrpt_close(&run);
	/* then no more root: everything is parsed, the state read and
	   written, the reports sent as user (cli_tlsrpt_send.c) */
	if (ex == 0)
		ex = cli_tlsrpt_drop(&run);
	if (ex == 0)
		ex = cli_tlsrpt_user(&run);
	cli_tlsrpt_helper_end(&run);
	for (k = 0; k < run.nd; k++)
		cli_tlsrpt_date_free(&run.d[k]);
	dkim_key_free(&key);
	if (run.statefd != -1)
		close(run.statefd);
	return ex;
}
