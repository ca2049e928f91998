/*
 * test_local_maildir.c: unit tests for mta/local/local_maildir.c: the
 * errno table, the Maildir++ name, CRLF to LF across chunks (pure), and
 * deliveries in a temporary directory as the current user: the bytes in
 * new/ (prepend, CRLF to LF), modes, unique names, symlinks and
 * non-directories refused, bad paths, and failures (a content that
 * cannot be read, RLIMIT_FSIZE as a full mailbox) that leave nothing in
 * tmp/ or new/.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "local/local_maildir.h"

/* ---- pure ---- */

struct errno_case {
	int		 err;
	int		 rc;
	int		 code;
	const char	*dsn;
};

static const struct errno_case errno_cases[] = {
	{ ELOOP, LOCAL_MAILDIR_BOUNCE, 550, "5.2.0" },
	{ ENOTDIR, LOCAL_MAILDIR_BOUNCE, 550, "5.2.0" },
	{ EDQUOT, LOCAL_MAILDIR_DEFER, 452, "4.2.2" },
	{ EFBIG, LOCAL_MAILDIR_DEFER, 452, "4.2.2" },
	{ ENOSPC, LOCAL_MAILDIR_DEFER, 452, "4.3.1" },
	{ EIO, LOCAL_MAILDIR_DEFER, 451, "4.3.0" },
	{ EMFILE, LOCAL_MAILDIR_DEFER, 451, "4.3.0" },
	{ ENFILE, LOCAL_MAILDIR_DEFER, 451, "4.3.0" },
	{ ENOMEM, LOCAL_MAILDIR_DEFER, 451, "4.3.0" },
	{ EACCES, LOCAL_MAILDIR_DEFER, 451, "4.3.0" },
	{ EPERM, LOCAL_MAILDIR_DEFER, 451, "4.3.0" },
	{ EROFS, LOCAL_MAILDIR_DEFER, 451, "4.3.0" },
	{ EEXIST, LOCAL_MAILDIR_DEFER, 451, "4.3.0" },
	{ 0, LOCAL_MAILDIR_DEFER, 451, "4.3.0" },
	{ 99999, LOCAL_MAILDIR_DEFER, 451, "4.3.0" },
};

static void
test_errno(void **state)
{
	struct reason why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(errno_cases) / sizeof(errno_cases[0]); i++) {
		memset(&why, 0, sizeof(why));
		assert_int_equal(local_maildir_errno(errno_cases[i].err,
		    "step", &why), errno_cases[i].rc);
		assert_int_equal(why.code, errno_cases[i].code);
		assert_string_equal(why.dsn, errno_cases[i].dsn);
		assert_memory_equal(why.text, "step: ", 6);
	}
}

struct name_case {
	const char	*host;
	size_t		 size;
	const char	*want;		/* NULL: -1 */
};

static const struct name_case name_cases[] = {
	{ "mail.test", 128, "1700000000.M000042P123Q7.mail.test" },
	{ "a/b:c", 128, "1700000000.M000042P123Q7.a\\057b\\072c" },
	{ "", 128, "1700000000.M000042P123Q7.localhost" },
	{ "sp ace\\", 128, "1700000000.M000042P123Q7.sp\\040ace\\134" },
	{ "mail.test", 34, NULL },
	{ "mail.test", 35, "1700000000.M000042P123Q7.mail.test" },
	{ "a/", 28, NULL },
	{ "a/", 30, NULL },
	{ "a/", 31, "1700000000.M000042P123Q7.a\\057" },
};

static void
test_name(void **state)
{
	char out[128];
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < sizeof(name_cases) / sizeof(name_cases[0]); i++) {
		n = local_maildir_name(out, name_cases[i].size, 1700000000, 42,
		    123, 7, name_cases[i].host);
		if (name_cases[i].want == NULL) {
			assert_int_equal(n, -1);
			continue;
		}
		assert_string_equal(out, name_cases[i].want);
		assert_int_equal(n, (int)strlen(name_cases[i].want));
	}
}

struct lf_case {
	const char	*in;
	const char	*out;
};

static const struct lf_case lf_cases[] = {
	{ "", "" },
	{ "a\r\nb\r\n", "a\nb\n" },
	{ "a\rb\r\n", "a\rb\n" },		/* a lone CR stays */
	{ "\r\r\n\r", "\r\n\r" },
	{ "a\nb", "a\nb" },
	{ "\r\n\r\n.\r\n", "\n\n.\n" },
};

static void
test_lf(void **state)
{
	struct local_maildir_lf lf;
	char out[64];
	size_t i, cut, len, n;

	(void)state;
	for (i = 0; i < sizeof(lf_cases) / sizeof(lf_cases[0]); i++) {
		len = strlen(lf_cases[i].in);
		for (cut = 0; cut <= len; cut++) {
			local_maildir_lf_init(&lf);
			n = local_maildir_lf_conv(&lf, lf_cases[i].in, cut,
			    out);
			n += local_maildir_lf_conv(&lf, lf_cases[i].in + cut,
			    len - cut, out + n);
			n += local_maildir_lf_end(&lf, out + n);
			out[n] = '\0';
			assert_string_equal(out, lf_cases[i].out);
		}
	}
}

/* ---- deliveries in a temporary directory ---- */

struct fixture {
	char	dir[64];
	int	home;
	int	content;
};

static const char content_text[] = "Received: from x\r\nSubject: hi\r\n\r\n"
    "line 1\r\n.dot line\r\nbare\rcr\r\nlast\r\n";
static const char want_text[] = "Return-Path: <s@x>\nDelivered-To: u@x\n"
    "Received: from x\nSubject: hi\n\nline 1\n.dot line\nbare\rcr\nlast\n";
static const char prepend_text[] = "Return-Path: <s@x>\r\n"
    "Delivered-To: u@x\r\n";

static int
setup(void **state)
{
	struct fixture *f;
	char path[128];

	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return -1;
	(void)strlcpy(f->dir, "/tmp/test_local_maildir.XXXXXX",
	    sizeof(f->dir));
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->home = open(f->dir, O_RDONLY | O_DIRECTORY);
	(void)snprintf(path, sizeof(path), "%s.content", f->dir);
	f->content = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (f->home == -1 || f->content == -1)
		return -1;
	(void)unlink(path);
	if (write(f->content, content_text, sizeof(content_text) - 1) !=
	    (ssize_t)sizeof(content_text) - 1)
		return -1;
	/* the descriptor's offset is at the end: pread must not care */
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	(void)close(f->home);
	(void)close(f->content);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* The names in dir (below the fixture), one per line; their count. */
static int
list(const struct fixture *f, const char *dir, char names[][256], int max)
{
	char path[256];
	struct dirent *de;
	DIR *d;
	int n = 0;

	(void)snprintf(path, sizeof(path), "%s/%s", f->dir, dir);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (n < max)
			(void)strlcpy(names[n], de->d_name, 256);
		n++;
	}
	(void)closedir(d);
	return n;
}

static mode_t
mode_of(const struct fixture *f, const char *rel)
{
	char path[512];
	struct stat st;

	(void)snprintf(path, sizeof(path), "%s/%s", f->dir, rel);
	if (lstat(path, &st) == -1)
		return (mode_t)-1;
	return st.st_mode;
}

static void
test_deliver(void **state)
{
	struct fixture *f = *state;
	struct reason why;
	char name[LOCAL_MAILDIR_NAME_MAX], name2[LOCAL_MAILDIR_NAME_MAX];
	char names[4][256], path[512], buf[512], *s;
	struct stat st;
	ssize_t n;
	int fd;

	assert_int_equal(local_maildir_deliver(f->home, "Maildir/", f->content,
	    prepend_text, "mail.test", &why, name, sizeof(name)),
	    LOCAL_MAILDIR_OK);
	assert_int_equal(mode_of(f, "Maildir") & 07777, 0700);
	assert_true(S_ISDIR(mode_of(f, "Maildir/tmp")));
	assert_int_equal(mode_of(f, "Maildir/tmp") & 07777, 0700);
	assert_int_equal(mode_of(f, "Maildir/new") & 07777, 0700);
	assert_int_equal(mode_of(f, "Maildir/cur") & 07777, 0700);
	assert_int_equal(list(f, "Maildir/tmp", names, 4), 0);
	assert_int_equal(list(f, "Maildir/cur", names, 4), 0);
	assert_int_equal(list(f, "Maildir/new", names, 4), 1);
	assert_string_equal(names[0], name);
	/* time.M<usec>P<pid>Q<n>.host,S=<size> */
	assert_non_null(strstr(name, ".M"));
	(void)snprintf(buf, sizeof(buf), "P%ldQ", (long)getpid());
	assert_non_null(strstr(name, buf));
	(void)snprintf(buf, sizeof(buf), ".mail.test,S=%zu",
	    sizeof(want_text) - 1);
	s = strstr(name, buf);
	assert_non_null(s);
	assert_int_equal(strlen(s), strlen(buf));

	(void)snprintf(path, sizeof(path), "%s/Maildir/new/%s", f->dir, name);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_nlink, 1);
	assert_int_equal((size_t)st.st_size, sizeof(want_text) - 1);
	fd = open(path, O_RDONLY);
	assert_true(fd != -1);
	n = read(fd, buf, sizeof(buf));
	(void)close(fd);
	assert_int_equal(n, (ssize_t)sizeof(want_text) - 1);
	assert_memory_equal(buf, want_text, sizeof(want_text) - 1);

	/* a second delivery: another name, both there */
	assert_int_equal(local_maildir_deliver(f->home, "Maildir", f->content,
	    "", "mail.test", &why, name2, sizeof(name2)), LOCAL_MAILDIR_OK);
	assert_string_not_equal(name, name2);
	assert_int_equal(list(f, "Maildir/new", names, 4), 2);
	assert_int_equal(list(f, "Maildir/tmp", names, 4), 0);
	/* without a prepend: the content alone */
	(void)snprintf(buf, sizeof(buf), ",S=%zu", sizeof(want_text) - 1 -
	    (sizeof(prepend_text) - 1 - 2));
	assert_non_null(strstr(name2, buf));

	/* a name_out too small gets "", the delivery stands */
	assert_int_equal(local_maildir_deliver(f->home, "Maildir", f->content,
	    "", "mail.test", &why, name2, 8), LOCAL_MAILDIR_OK);
	assert_string_equal(name2, "");
	assert_int_equal(local_maildir_deliver(f->home, "Maildir", f->content,
	    "", "mail.test", &why, NULL, 0), LOCAL_MAILDIR_OK);
	assert_int_equal(list(f, "Maildir/new", names, 4), 4);

	/* nested paths are made */
	assert_int_equal(local_maildir_deliver(f->home, "Mail/box", f->content,
	    "", "h", &why, NULL, 0), LOCAL_MAILDIR_OK);
	assert_int_equal(mode_of(f, "Mail") & 07777, 0700);
	assert_int_equal(list(f, "Mail/box/new", names, 4), 1);
}

static void
test_symlink(void **state)
{
	struct fixture *f = *state;
	struct reason why;
	char path[256], target[256], names[4][256];

	/* a symlinked Maildir, to a real maildir: refused */
	(void)snprintf(target, sizeof(target), "%s/real", f->dir);
	assert_int_equal(mkdir(target, 0700), 0);
	(void)snprintf(path, sizeof(path), "%s/Maildir", f->dir);
	assert_int_equal(symlink("real", path), 0);
	assert_int_equal(local_maildir_deliver(f->home, "Maildir", f->content,
	    "", "h", &why, NULL, 0), LOCAL_MAILDIR_BOUNCE);
	assert_int_equal(why.code, 550);
	assert_string_equal(why.dsn, "5.2.0");
	assert_non_null(strstr(why.text, "symbolic link"));
	assert_int_equal(list(f, "real", names, 4), 0);

	/* a dangling one is not made into a directory */
	(void)snprintf(path, sizeof(path), "%s/M2", f->dir);
	assert_int_equal(symlink("nowhere", path), 0);
	assert_int_equal(local_maildir_deliver(f->home, "M2", f->content,
	    "", "h", &why, NULL, 0), LOCAL_MAILDIR_BOUNCE);
	assert_int_equal(mode_of(f, "nowhere"), (mode_t)-1);

	/* a symlink in the middle of the path */
	(void)snprintf(path, sizeof(path), "%s/mid", f->dir);
	assert_int_equal(symlink("real", path), 0);
	assert_int_equal(local_maildir_deliver(f->home, "mid/Maildir",
	    f->content, "", "h", &why, NULL, 0), LOCAL_MAILDIR_BOUNCE);
	assert_int_equal(list(f, "real", names, 4), 0);

	/* new/ a symlink inside a real maildir: nothing left in tmp/ */
	(void)snprintf(path, sizeof(path), "%s/M3", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	(void)snprintf(path, sizeof(path), "%s/M3/new", f->dir);
	assert_int_equal(symlink("../real", path), 0);
	assert_int_equal(local_maildir_deliver(f->home, "M3", f->content,
	    "", "h", &why, NULL, 0), LOCAL_MAILDIR_BOUNCE);
	assert_int_equal(list(f, "M3/tmp", names, 4), 0);
	assert_int_equal(list(f, "real", names, 4), 0);

	/* a Maildir that is a file */
	(void)snprintf(path, sizeof(path), "%s/file", f->dir);
	assert_int_equal(close(open(path, O_WRONLY | O_CREAT, 0600)), 0);
	assert_int_equal(local_maildir_deliver(f->home, "file", f->content,
	    "", "h", &why, NULL, 0), LOCAL_MAILDIR_BOUNCE);
	assert_string_equal(why.dsn, "5.2.0");
}

static void
test_paths(void **state)
{
	static const char *const bad[] = { "", "/", "/abs/Maildir", "..",
	    "a/../b", "./Maildir", "a//b", "a/./b" };
	struct fixture *f = *state;
	struct reason why;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&why, 0, sizeof(why));
		assert_int_equal(local_maildir_deliver(f->home, bad[i],
		    f->content, "", "h", &why, NULL, 0),
		    LOCAL_MAILDIR_DEFER);
		assert_int_equal(why.code, 451);
		assert_string_equal(why.dsn, "4.3.0");
	}
}

static void
test_failures(void **state)
{
	struct fixture *f = *state;
	struct reason why;
	struct rlimit old, small;
	char names[4][256], path[256], big[8192];
	int wfd, bigfd;
	void (*oldsig)(int);

	/* a content that cannot be read (EBADF): deferred, nothing left */
	(void)snprintf(path, sizeof(path), "%s.wo", f->dir);
	wfd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(wfd != -1);
	(void)unlink(path);
	assert_int_equal(local_maildir_deliver(f->home, "Maildir", wfd,
	    "Return-Path: <>\r\n", "h", &why, NULL, 0), LOCAL_MAILDIR_DEFER);
	(void)close(wfd);
	assert_int_equal(why.code, 451);
	assert_string_equal(why.dsn, "4.3.0");
	assert_non_null(strstr(why.text, "read the message content"));
	assert_int_equal(list(f, "Maildir/tmp", names, 4), 0);
	assert_int_equal(list(f, "Maildir/new", names, 4), 0);

	/* a full mailbox: RLIMIT_FSIZE makes write fail with EFBIG */
	(void)snprintf(path, sizeof(path), "%s.big", f->dir);
	bigfd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(bigfd != -1);
	(void)unlink(path);
	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 2] = '\r';
	big[sizeof(big) - 1] = '\n';
	assert_int_equal(write(bigfd, big, sizeof(big)), (ssize_t)sizeof(big));
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = old;
	small.rlim_cur = 1000;
	oldsig = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	memset(&why, 0, sizeof(why));
	assert_int_equal(local_maildir_deliver(f->home, "Maildir", bigfd, "",
	    "h", &why, NULL, 0), LOCAL_MAILDIR_DEFER);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	(void)signal(SIGXFSZ, oldsig);
	(void)close(bigfd);
	assert_int_equal(why.code, 452);
	assert_string_equal(why.dsn, "4.2.2");
	assert_int_equal(list(f, "Maildir/tmp", names, 4), 0);
	assert_int_equal(list(f, "Maildir/new", names, 4), 0);

	/* and the next delivery, with room again, works */
	assert_int_equal(local_maildir_deliver(f->home, "Maildir", f->content,
	    "", "h", &why, NULL, 0), LOCAL_MAILDIR_OK);
	assert_int_equal(list(f, "Maildir/new", names, 4), 1);
}

/*
 * A home the user cannot write: deferred. Root may write anywhere, so as
 * root the delivery runs in a child that became uid 65534 (the home,
 * 0700 and root's, is then closed to it), as the local process's
 * children become the recipient.
 */
static void
test_access(void **state)
{
	struct fixture *f = *state;
	struct reason why;
	pid_t pid;
	int status, r;

	if (geteuid() != 0) {
		assert_int_equal(fchmod(f->home, 0500), 0);
		r = local_maildir_deliver(f->home, "Maildir", f->content, "",
		    "h", &why, NULL, 0);
		assert_int_equal(fchmod(f->home, 0700), 0);
		assert_int_equal(r, LOCAL_MAILDIR_DEFER);
		assert_int_equal(why.code, 451);
		return;
	}
	assert_int_equal(fchmod(f->home, 0700), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		if (setgroups(0, NULL) == -1 || setgid(65534) == -1 ||
		    setuid(65534) == -1)
			_exit(2);
		r = local_maildir_deliver(f->home, "Maildir", f->content, "",
		    "h", &why, NULL, 0);
		_exit(r == LOCAL_MAILDIR_DEFER && why.code == 451 &&
		    strstr(why.text, "Permission denied") != NULL ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errno),
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_lf),
		cmocka_unit_test_setup_teardown(test_deliver, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_access, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
