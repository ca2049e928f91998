/*
 * smtpin_auth.c: SMTP AUTH on the submission listeners (RFC 4954, RFC
 * 8314; issue 12, item 4; doc/design.md §6): who is offered AUTH (inside
 * TLS, on submission and smtps, on smtp only with smtpin_auth_on_smtp),
 * the PLAIN and LOGIN exchange (the pure mta/smtp/sasl.c), the backend:
 * the password file (mta/lib/passwd_file.c, read into memory before the
 * chroot) or Dovecot's auth service (smtpin_dovecot.c, answering later:
 * the session waits in SMTPIN_AUTH_WAIT meanwhile), the
 * brute-force limits (mta/smtp/auth_limit.c): a failed AUTH is answered
 * only after a delay kept by a loop timer, never by sleeping, so that the
 * process serves its other sessions meanwhile; and which senders a login
 * owns (smtpin_sender.c). Every outcome is one `auth` log line (§9); no
 * password ever reaches a log.
 * Beside smtpin_cmd.c in the layers of smtpin.h: called by it, calling
 * the session layer below. Linked by the smtpin binary.
 */
#include "config.h"

#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/passwd_file.h"
#include "smtpin.h"
#include "smtpin_sender.h"

#define SMTPIN_AUTH_FILE_MAX	(16 * 1024 * 1024)
#define SMTPIN_AUTH_SLOTS	16384	/* keys of the failure table */

/*
 * An AUTH that waits for Dovecot: what its answer needs, also when the
 * session ended meanwhile (the failure is counted and logged all the
 * same). No password: that went to smtpin_dovecot.c.
 */
struct smtpin_auth_wait {
	uint64_t		conn;		/* the session's number */
	struct auth_limit_addr	addr;
	char			peer_ip[64];
	unsigned		port;
	enum conf_listen_kind	kind;
	unsigned		mech;		/* SASL_MECH_* */
	char			authcid[SASL_ID_MAX + 1];
	size_t			authcidlen;
};

/*
 * Reads path (at most SMTPIN_AUTH_FILE_MAX octets) into a new buffer.
 * Exits on failure: the caller runs before the chroot, at start.
 */
static char *
smtpin_auth_read(struct smtpin *srv, const char *key, const char *path,
    size_t *lenp)
{
	struct stat st;
	char *buf;
	size_t len = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		fatal("%s: %s %s", srv->child.title, key, path);
	if (fstat(fd, &st) == -1)
		fatal("%s: %s %s", srv->child.title, key, path);
	if (!S_ISREG(st.st_mode) || st.st_size > SMTPIN_AUTH_FILE_MAX)
		fatalx("%s: %s %s: not a regular file of at most %d octets",
		    srv->child.title, key, path, SMTPIN_AUTH_FILE_MAX);
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		fatal("%s: %s", srv->child.title, key);
	while (len < (size_t)st.st_size) {
		n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			fatal("%s: %s %s", srv->child.title, key, path);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

void
smtpin_auth_init(struct smtpin *srv)
{
	const struct conf *c = srv->conf;
	struct auth_limit_conf lc;
	struct reason why;
	size_t line = 0;

	if (c->auth_backend == CONF_AUTH_NONE)
		return;
	memset(&why, 0, sizeof(why));
	if (c->auth_backend == CONF_AUTH_FILE) {
		srv->passwd_text = smtpin_auth_read(srv, "auth_backend",
		    c->auth_file, &srv->passwd_len);
		if (passwd_file_check(srv->passwd_text, srv->passwd_len,
		    &line, &why) == -1)
			fatalx("%s:%zu: %s", c->auth_file, line, why.text);
	} else
		smtpin_dovecot_init(srv);
	if (c->sender_login_file[0] != '\0') {
		srv->sender_map = smtpin_auth_read(srv, "sender_login_file",
		    c->sender_login_file, &srv->sender_map_len);
		if (smtpin_sender_check(srv->sender_map, srv->sender_map_len,
		    &line, &why) == -1)
			fatalx("%s:%zu: %s", c->sender_login_file, line,
			    why.text);
	}
	memset(&lc, 0, sizeof(lc));
	lc.window_ms = (uint64_t)c->auth_fail_window * 1000;
	lc.ip_max = c->auth_fail_max_per_ip;
	lc.login_max = c->auth_fail_max_per_login;
	lc.delay_ms = c->auth_fail_delay * 1000;
	lc.delay_max_ms = c->auth_fail_delay_max * 1000;
	lc.slots = SMTPIN_AUTH_SLOTS;
	arc4random_buf(lc.key, sizeof(lc.key));
	if ((srv->auth_limit = auth_limit_new(&lc)) == NULL)
		fatalx("%s: the AUTH failure table", srv->child.title);
}

/* Is there a backend to ask (set up by smtpin_auth_init)? */
static int
smtpin_auth_enabled(const struct smtpin *srv)
{
	return srv->passwd_text != NULL || srv->dovecot != NULL;
}

/* Does the listener of s offer AUTH at all (inside TLS)? */
static int
smtpin_auth_listener(const struct smtpin_sess *s)
{
	const struct conf *c = s->srv->conf;

	if (!smtpin_auth_enabled(s->srv))
		return 0;
	return s->kind == CONF_LISTEN_SUBMISSION ||
	    s->kind == CONF_LISTEN_SMTPS ||
	    (s->kind == CONF_LISTEN_SMTP && c->smtpin_auth_on_smtp);
}

int
smtpin_auth_offered(const struct smtpin_sess *s)
{
	/* RFC 8314 §3, RFC 4954 §4: never a password in cleartext */
	return s->tls_active && smtpin_auth_listener(s) &&
	    s->auth_user[0] == '\0';
}

static void
smtpin_auth_addr(const struct smtpin_sess *s, struct auth_limit_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->af = s->peer.ss_family;
	if (a->af == AF_INET)
		memcpy(a->a, &((const struct sockaddr_in *)(const void *)
		    &s->peer)->sin_addr, 4);
	else if (a->af == AF_INET6)
		memcpy(a->a, &((const struct sockaddr_in6 *)(const void *)
		    &s->peer)->sin6_addr, 16);
}

/*
 * The one `auth` log line of an outcome (doc/design.md §9), from the
 * facts of a session: login may be NULL (not known yet); why NULL on
 * success.
 */
static void
smtpin_auth_log_facts(const char *peer_ip, unsigned port,
    enum conf_listen_kind kind, unsigned mech, const char *login,
    size_t loginlen, const char *result, const struct reason *why)
{
	struct log_kv kv;

	log_kv_init(&kv, "auth");
	log_kv_str(&kv, "client", peer_ip);
	log_kv_fmt(&kv, "port", "%u", port);
	log_kv_str(&kv, "listener", conf_listen_kind_name(kind));
	if (mech != 0)
		log_kv_str(&kv, "mech", mech == SASL_MECH_PLAIN ?
		    "PLAIN" : "LOGIN");
	if (login != NULL)
		log_kv_add(&kv, "login", login, loginlen);
	log_kv_str(&kv, "result", result);
	if (why != NULL)
		log_kv_fmt(&kv, "reason", "%d %s %s", why->code, why->dsn,
		    why->text);
	log_kv_emit(&kv);
}

/* As smtpin_auth_log_facts for session s. */
static void
smtpin_auth_log(const struct smtpin_sess *s, const char *login,
    size_t loginlen, const char *result, const struct reason *why)
{
	smtpin_auth_log_facts(s->peer_ip, s->port, s->kind, s->sasl.mech,
	    login, loginlen, result, why);
}

/* The delay of a failed AUTH is over: its reply, then go on or close. */
static void
smtpin_auth_delayed(void *arg)
{
	struct smtpin_sess *s = arg;

	if (s->state != SMTPIN_AUTH_DELAY)
		return;
	s->state = SMTPIN_COMMAND;
	if (s->auth_close) {
		smtpin_session_ending(s, "error", &s->auth_reply);
		smtpin_reply(s, s->auth_reply.code, s->auth_reply.dsn, "%s %s",
		    s->srv->conf->hostname, s->auth_reply.text);
		smtpin_session_close_after_reply(s);
	} else {
		smtpin_refuse_reason(s, 0, NULL, &s->auth_reply);
		smtpin_session_command_timer(s);
	}
	smtpin_session_resume(s);
}

/*
 * Answers after delay_ms with *why (closing after it when close is set);
 * input is not read on meanwhile (pipelined commands wait).
 */
static void
smtpin_auth_later(struct smtpin_sess *s, unsigned delay_ms,
    const struct reason *why, int close)
{
	s->auth_reply = *why;
	s->auth_close = close;
	s->state = SMTPIN_AUTH_DELAY;
	loop_timer_cancel(s->srv->child.loop, &s->cmd_timer);
	loop_timer_set(s->srv->child.loop, &s->auth_timer, delay_ms,
	    smtpin_auth_delayed, s);
}

/* The limit was hit: 421 4.7.0 and close (after delay_ms). */
static void
smtpin_auth_limit_hit(struct smtpin_sess *s, const char *login,
    size_t loginlen, unsigned delay_ms, const struct reason *why)
{
	smtpin_auth_log(s, login, loginlen, "limit", why);
	sasl_exch_clear(&s->sasl);
	s->sasl_active = 0;
	smtpin_auth_later(s, delay_ms, why, 1);
}

/* A failed attempt (a 535): counted, delayed, perhaps the limit. */
static void
smtpin_auth_failed(struct smtpin_sess *s, const char *login,
    size_t loginlen, const struct reason *why)
{
	struct auth_limit_addr a;
	struct reason lim;
	unsigned delay = 0;

	smtpin_auth_addr(s, &a);
	memset(&lim, 0, sizeof(lim));
	if (auth_limit_fail(s->srv->auth_limit, loop_now_ms(), &a, login,
	    loginlen, &delay, &lim) == AUTH_LIMIT_REFUSE) {
		smtpin_auth_limit_hit(s, login, loginlen, delay, &lim);
		return;
	}
	smtpin_auth_log(s, login, loginlen, "fail", why);
	sasl_exch_clear(&s->sasl);
	s->sasl_active = 0;
	smtpin_auth_later(s, delay, why, 0);
}

/*
 * Dovecot's answer to the AUTH of w (smtpin_dovecot_cb): the reply, if
 * the session still waits for it; the count and the log line always.
 */
static void
smtpin_auth_answer(struct smtpin *srv, void *arg,
    enum smtpin_dovecot_res res, const char *user, const struct reason *why)
{
	struct smtpin_auth_wait *w = arg;
	struct smtpin_sess *s;
	struct reason lim;
	const char *login;
	unsigned delay = 0;

	for (s = srv->sessions; s != NULL; s = s->next)
		if (s->conn == w->conn)
			break;
	if (s != NULL && (s->state != SMTPIN_AUTH_WAIT || s->auth_wait != w))
		s = NULL;	/* it timed out, or is closing */
	if (s != NULL) {
		s->auth_wait = NULL;
		s->state = SMTPIN_COMMAND;
		s->sasl.mech = w->mech;		/* for its log line */
	}
	switch (res) {
	case SMTPIN_DOVECOT_OK:
		auth_limit_success(srv->auth_limit, loop_now_ms(), &w->addr,
		    w->authcid, w->authcidlen);
		/* Dovecot may canonicalise the login: its user= counts */
		login = user != NULL && user[0] != '\0' ? user : w->authcid;
		smtpin_auth_log_facts(w->peer_ip, w->port, w->kind, w->mech,
		    login, strlen(login), "ok", NULL);
		if (s != NULL) {
			/* DOVECOT_AUTH_USER_MAX == ENVELOPE_USER_MAX */
			(void)strlcpy(s->auth_user, login,
			    sizeof(s->auth_user));
			smtpin_reply_raw(s, SASL_REPLY_OK "\r\n",
			    sizeof(SASL_REPLY_OK "\r\n") - 1);
		}
		break;
	case SMTPIN_DOVECOT_FAIL:
		if (s != NULL) {
			smtpin_auth_failed(s, w->authcid, w->authcidlen, why);
			break;
		}
		memset(&lim, 0, sizeof(lim));
		if (auth_limit_fail(srv->auth_limit, loop_now_ms(), &w->addr,
		    w->authcid, w->authcidlen, &delay, &lim) ==
		    AUTH_LIMIT_REFUSE)
			smtpin_auth_log_facts(w->peer_ip, w->port, w->kind,
			    w->mech, w->authcid, w->authcidlen, "limit", &lim);
		else
			smtpin_auth_log_facts(w->peer_ip, w->port, w->kind,
			    w->mech, w->authcid, w->authcidlen, "fail", why);
		break;
	case SMTPIN_DOVECOT_TEMP:
		smtpin_auth_log_facts(w->peer_ip, w->port, w->kind, w->mech,
		    w->authcid, w->authcidlen, "error", why);
		if (s != NULL)
			smtpin_refuse_reason(s, 0, NULL, why);
		break;
	}
	explicit_bzero(w, sizeof(*w));
	free(w);
	if (s == NULL)
		return;
	if (s->state == SMTPIN_COMMAND)
		smtpin_session_command_timer(s);
	smtpin_session_resume(s);
}

/*
 * auth_backend = dovecot: hands the login and password of the finished
 * exchange to smtpin_dovecot.c; the session waits (SMTPIN_AUTH_WAIT)
 * until smtpin_auth_answer, reading on but handling nothing.
 */
static void
smtpin_auth_dovecot(struct smtpin_sess *s, const struct auth_limit_addr *a)
{
	struct sasl_exch *x = &s->sasl;
	struct smtpin_auth_wait *w;
	struct dovecot_auth_info info;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct reason why;
	char lip[64];

	memset(&why, 0, sizeof(why));
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		(void)reason_set(&why, 454, "4.7.0",
		    "Temporary authentication failure");
		goto error;
	}
	w->conn = s->conn;
	w->addr = *a;
	(void)strlcpy(w->peer_ip, s->peer_ip, sizeof(w->peer_ip));
	w->port = s->port;
	w->kind = s->kind;
	w->mech = x->mech;
	memcpy(w->authcid, x->authcid, x->authcidlen);	/* both 255 max */
	w->authcidlen = x->authcidlen;

	/* what Dovecot wants for its own limits and log (§6) */
	memset(&info, 0, sizeof(info));
	info.rip = s->peer_ip;
	info.lport = s->port;
	info.secured = s->tls_active;
	if (getsockname(s->fd, (struct sockaddr *)&ss, &sslen) == 0 &&
	    ((ss.ss_family == AF_INET && inet_ntop(AF_INET,
	    &((struct sockaddr_in *)(void *)&ss)->sin_addr, lip,
	    sizeof(lip)) != NULL) || (ss.ss_family == AF_INET6 &&
	    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)&ss)->
	    sin6_addr, lip, sizeof(lip)) != NULL)))
		info.lip = lip;
	if (s->peer.ss_family == AF_INET)
		info.rport = ntohs(((const struct sockaddr_in *)(const void *)
		    &s->peer)->sin_port);
	else if (s->peer.ss_family == AF_INET6)
		info.rport = ntohs(((const struct sockaddr_in6 *)
		    (const void *)&s->peer)->sin6_port);
	if (smtpin_dovecot_auth(s->srv, x->authcid, x->authcidlen, x->passwd,
	    x->passwdlen, &info, smtpin_auth_answer, w, &why) == 0) {
		sasl_exch_clear(x);
		s->sasl.mech = w->mech;		/* for a log line meanwhile */
		s->auth_wait = w;
		s->state = SMTPIN_AUTH_WAIT;
		return;
	}
	explicit_bzero(w, sizeof(*w));
	free(w);
	if (why.code == 535) {
		/* credentials Dovecot cannot even be asked about */
		smtpin_auth_failed(s, x->authcid, x->authcidlen, &why);
		return;
	}
error:
	/* no connection to Dovecot (logged once there): 454, not counted */
	smtpin_auth_log(s, x->authcid, x->authcidlen, "error", &why);
	sasl_exch_clear(x);
	smtpin_refuse_reason(s, 0, NULL, &why);
}

/* The exchange yielded a login and a password: check them. */
static void
smtpin_auth_verify(struct smtpin_sess *s)
{
	struct sasl_exch *x = &s->sasl;
	struct auth_limit_addr a;
	struct reason why;
	enum passwd_file_result r;

	s->sasl_active = 0;
	smtpin_auth_addr(s, &a);
	memset(&why, 0, sizeof(why));
	if (auth_limit_check(s->srv->auth_limit, loop_now_ms(), &a,
	    x->authcid, x->authcidlen, &why) == AUTH_LIMIT_REFUSE) {
		smtpin_auth_limit_hit(s, x->authcid, x->authcidlen, 0, &why);
		return;
	}
	if (s->srv->dovecot != NULL) {
		smtpin_auth_dovecot(s, &a);
		return;
	}
	r = passwd_file_auth(s->srv->passwd_text, s->srv->passwd_len,
	    x->authcid, x->authcidlen, x->passwd, x->passwdlen, NULL, &why);
	if (r == PASSWD_FILE_OK) {
		auth_limit_success(s->srv->auth_limit, loop_now_ms(), &a,
		    x->authcid, x->authcidlen);
		/* SASL_ID_MAX == ENVELOPE_USER_MAX: it fits */
		(void)strlcpy(s->auth_user, x->authcid, sizeof(s->auth_user));
		smtpin_auth_log(s, x->authcid, x->authcidlen, "ok", NULL);
		sasl_exch_clear(x);
		smtpin_reply_raw(s, SASL_REPLY_OK "\r\n",
		    sizeof(SASL_REPLY_OK "\r\n") - 1);
		return;
	}
	if (r == PASSWD_FILE_ERROR) {
		/* the entry's hash is refused: the admin's problem, logged */
		smtpin_auth_log(s, x->authcid, x->authcidlen, "error", &why);
		sasl_exch_clear(x);
		smtpin_refuse(s, 0, NULL, 454, "4.7.0",
		    "Temporary authentication failure");
		return;
	}
	smtpin_auth_failed(s, x->authcid, x->authcidlen, &why);
}

/* After sasl_start or sasl_response: challenge, verify or refuse. */
static void
smtpin_auth_step(struct smtpin_sess *s, enum sasl_step st,
    const struct reason *why)
{
	char line[SASL_CHALLENGE_MAX + 2];
	int n;

	switch (st) {
	case SASL_STEP_CHALLENGE:
		n = snprintf(line, sizeof(line), "%s\r\n", s->sasl.challenge);
		if (n < 0 || (size_t)n >= sizeof(line))
			fatalx("%s: SASL challenge too long",
			    s->srv->child.title);
		s->sasl_active = 1;
		smtpin_reply_raw(s, line, (size_t)n);
		return;
	case SASL_STEP_DONE:
		smtpin_auth_verify(s);
		return;
	case SASL_STEP_ERROR:
		break;
	}
	s->sasl_active = 0;
	if (why->code == 535) {
		/* credentials that cannot be valid count as a failure */
		smtpin_auth_failed(s, NULL, 0, why);
		return;
	}
	sasl_exch_clear(&s->sasl);
	smtpin_refuse_reason(s, 0, NULL, why);
}

void
smtpin_auth_cmd(struct smtpin_sess *s, const char *arg, size_t arglen)
{
	struct auth_limit_addr a;
	struct reason why;
	unsigned sess = 0;

	memset(&why, 0, sizeof(why));
	if (!smtpin_auth_enabled(s->srv)) {
		/* no auth_backend: AUTH does not exist here at all */
		smtpin_refuse(s, 0, NULL, 502, "5.5.1",
		    "Error: command not implemented");
		return;
	}
	if (s->helo != 2) {
		smtpin_refuse(s, 0, NULL, 503, "5.5.1",
		    "Error: send EHLO first");
		return;
	}
	if (smtpin_auth_listener(s))
		sess |= SASL_SESS_OFFERED;
	if (s->tls_active)
		sess |= SASL_SESS_TLS;
	if (s->auth_user[0] != '\0')
		sess |= SASL_SESS_AUTHED;
	if (s->have_mail)
		sess |= SASL_SESS_IN_TXN;
	if (sasl_auth_allowed(sess, &why) == -1) {
		/* before TLS on a listener that offers it: worth a record */
		smtpin_refuse_reason(s, why.code == 538, NULL, &why);
		return;
	}
	smtpin_auth_addr(s, &a);
	if (auth_limit_check(s->srv->auth_limit, loop_now_ms(), &a, NULL, 0,
	    &why) == AUTH_LIMIT_REFUSE) {
		smtpin_auth_limit_hit(s, NULL, 0, 0, &why);
		return;
	}
	smtpin_auth_step(s, sasl_start(&s->sasl, SASL_MECH_PLAIN |
	    SASL_MECH_LOGIN, arg, arglen, &why), &why);
}

void
smtpin_auth_response(struct smtpin_sess *s, const char *line, size_t len)
{
	struct reason why;

	memset(&why, 0, sizeof(why));
	smtpin_auth_step(s, sasl_response(&s->sasl, line, len, &why), &why);
}

int
smtpin_auth_sender_ok(struct smtpin_sess *s, const char *sender)
{
	char login[ENVELOPE_USER_MAX + 1], from[SMTP_ADDR_ADDR_MAX + 1];
	size_t i;

	if (smtpin_sender_owned(s->srv->sender_map, s->srv->sender_map_len,
	    s->auth_user, sender, s->srv->local_domains,
	    s->srv->conf->nlocal_domains))
		return 1;
	/* the reply may hold printable ASCII only (RFC 5321 §4.2) */
	(void)strlcpy(login, s->auth_user, sizeof(login));
	for (i = 0; login[i] != '\0'; i++)
		if ((unsigned char)login[i] < 0x20 ||
		    (unsigned char)login[i] > 0x7e)
			login[i] = '?';
	(void)strlcpy(from, sender, sizeof(from));
	for (i = 0; from[i] != '\0'; i++)
		if ((unsigned char)from[i] < 0x20 ||
		    (unsigned char)from[i] > 0x7e)
			from[i] = '?';
	/*
	 * The sender goes in the reply (and so in the in line's reason),
	 * never as rcpt=, which names recipients (doc/design.md §9).
	 */
	smtpin_refuse(s, 1, NULL, 553, "5.7.1",
	    "<%.300s>: Sender address not owned by user %.200s", from, login);
	return 0;
}
