/*
 * master_check.c: what sealpostd checks before it starts, at every reload
 * and for sealpostd -n: the configuration's needs from the system beyond
 * its syntax (users, group) and the TLS credentials and priority string,
 * loaded the way smtpin will load them.
 * Linked by the sealpostd binary.
 */
#include "config.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "lib/tls.h"
#include "master.h"

/*
 * Loads the TLS credentials and priority string of c the way smtpin will,
 * so that a bad certificate, key or tls_priority is refused here (start,
 * -n, reload) instead of leaving smtpin processes failing. Without
 * tls_cert_file the self-signed pair must exist (it is made at start).
 */
int
master_check_tls(const struct conf *c, char *err, size_t errlen)
{
	struct tls_server t;
	int r;

	r = tls_server_init(&t, c, NULL, err, errlen);
	tls_server_free(&t);
	return r;
}

int
master_check_environment(struct master *m, char *err, size_t errlen)
{
	const char *users[2] = { m->conf.user, m->conf.queue_user };
	struct passwd *pw;
	size_t i;

	if (m->conf.devmode)
		return m->conf.ntls_cert_file > 0 ?
		    master_check_tls(&m->conf, err, errlen) : 0;
	for (i = 0; i < 2; i++) {
		if ((pw = getpwnam(users[i])) == NULL) {
			(void)snprintf(err, errlen, "%s: user %s does not "
			    "exist; create it with: useradd --system "
			    "--no-create-home --home-dir /nonexistent "
			    "--shell /usr/sbin/nologin %s", m->conf.path,
			    users[i], users[i]);
			return -1;
		}
		if (pw->pw_uid == 0) {
			(void)snprintf(err, errlen, "%s: user %s must not be "
			    "root", m->conf.path, users[i]);
			return -1;
		}
	}
	if (getgrnam(m->conf.control_group) == NULL) {
		(void)snprintf(err, errlen, "%s: group %s does not exist; "
		    "create it with: groupadd --system %s", m->conf.path,
		    m->conf.control_group, m->conf.control_group);
		return -1;
	}
	if (m->conf.ntls_cert_file > 0 &&
	    master_check_tls(&m->conf, err, errlen) == -1)
		return -1;
	return 0;
}

