/*
 * test_passwd_file.c: unit tests for mta/lib/passwd_file.c: known-answer
 * tests for each accepted hash method (hashes made with Python's crypt
 * module on libxcrypt and pasted here), refused methods, the file's
 * syntax, lookups, locked entries.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "lib/passwd_file.h"

#define PW	"correct horse"
#define H_Y	"$y$j9T$X2SDQ9wmIp8ZUFWKkzBlV0$lh4YWHtADmaPB0P7Gw6XqRPmCWYaPaoZTyT/fPiTuT0"
#define H_2B	"$2b$05$6CuE1369LF0kjACQO41j0uuM.k4.OixVZ1iBf01JjpMk679ns6hTa"
#define H_2Y	"$2y$05$wWnnJZ2B46ckq8t8tizQ9.LTGUtHGS8SixeEDp0ZdAZ6v2E5J.3kO"
#define H_6	"$6$o5C3PKf5M5gqD410$63J2Z/AKYRfmzz0WQf4Mr5vdhL.qIRacMmtcP8XFt9NGnhn8xmAaXre.nuy3vR2q9KQkPfrxqRR6cVEUKlcPC."
#define H_6R	"$6$rounds=10000$saltsaltsalt$XbL0wa.99vvsRYMr5bBKdITb.ZHLqGROubWVobCta9RxXByqp.P8f.uGgQGfR4VQvUS2ybvGNqru9cEcwv0Yt1"
/* "pässwörd" in UTF-8 */
#define H_YU	"$y$j9T$F5Jx5fExrKuPp53xLKQ..1$UAi3w.V1khOnmiQzfq00d7LaG6KfSe9MVbNef5kSs64"
#define PW_U	"p\xc3\xa4sswo\xcc\x88rd"
#define PW_U8	"p\xc3\xa4ssw\xc3\xb6rd"

#define OK	PASSWD_FILE_OK
#define BAD	PASSWD_FILE_BAD
#define ERR	PASSWD_FILE_ERROR

struct verify_case {
	const char	*name;
	const char	*hash;
	const char	*pass;
	int		 res;
};

static const struct verify_case verify_cases[] = {
	{ "yescrypt", H_Y, PW, OK },
	{ "yescrypt wrong", H_Y, "correct horsf", BAD },
	{ "yescrypt prefix", H_Y, "correct hors", BAD },
	{ "yescrypt longer", H_Y, "correct horse ", BAD },
	{ "yescrypt utf-8", H_YU, PW_U8, OK },
	{ "yescrypt utf-8, other normal form", H_YU, PW_U, BAD },
	{ "bcrypt 2b", H_2B, PW, OK },
	{ "bcrypt 2b wrong", H_2B, "Correct horse", BAD },
	{ "bcrypt 2y", H_2Y, PW, OK },
	{ "sha512-crypt", H_6, PW, OK },
	{ "sha512-crypt wrong", H_6, "", BAD },
	{ "sha512-crypt rounds", H_6R, PW, OK },
	/* one character of the hash changed */
	{ "yescrypt tampered",
	    "$y$j9T$X2SDQ9wmIp8ZUFWKkzBlV0$lh4YWHtADmaPB0P7Gw6XqRPmCWYaPaoZTyT/fPiTuT1",
	    PW, BAD },
	/* methods we do not take, though crypt knows them */
	{ "sha256-crypt", "$5$UQtlIRRxDMltgsW0$6kOJIaO.UAXiY1XSx8bbqxXORITJ70aaCIIk8XnZ.XC",
	    PW, ERR },
	{ "md5-crypt", "$1$DzNha2E1$M7glSJQsXZb7hmEV8Sy9W/", PW, ERR },
	{ "bsdi des", "_J9..eY8/JkKOxFVY2rk", PW, ERR },
	{ "des", "abJnggxhB/yWI", PW, ERR },
	{ "scrypt", "$7$CU..../....F1kJHiZFarQyitTtsRbIs.$Sa1fZZJUrKVU4nYx2iBSg6SjWZSS.810PqFkZ9xAv00",
	    PW, ERR },
	{ "bcrypt 2a", "$2a$05$6CuE1369LF0kjACQO41j0uuM.k4.OixVZ1iBf01JjpMk679ns6hTa",
	    PW, ERR },
	/* malformed hashes of accepted methods: crypt_checksalt says no */
	{ "yescrypt cut", "$y$j9T", PW, ERR },
	{ "bcrypt bad cost", "$2b$99$6CuE1369LF0kjACQO41j0uuM.k4.OixVZ1iBf01JjpMk679ns6hTa",
	    PW, ERR },
	{ "sha512 bad char", "$6$o5C3PKf5!M5gqD410$x", PW, ERR },
	{ "empty", "", PW, ERR },
	{ "plain text", "secret", "secret", ERR },
	/* locked: never matches, not an error */
	{ "locked !", "!" H_Y, PW, BAD },
	{ "locked *", "*", PW, BAD },
	/* passwords that cannot match */
	{ "empty password", H_Y, "", BAD },
};

static void
test_verify(void **state)
{
	struct reason why;
	size_t i;
	int res;

	(void)state;
	for (i = 0; i < sizeof(verify_cases) / sizeof(verify_cases[0]); i++) {
		const struct verify_case *c = &verify_cases[i];

		memset(&why, 0, sizeof(why));
		res = passwd_file_verify(c->hash, strlen(c->hash), c->pass,
		    strlen(c->pass), &why);
		if (res != c->res)
			fail_msg("%s: %d, expected %d (%s)", c->name, res,
			    c->res, why.text);
		if (res == BAD) {
			assert_int_equal(why.code, 535);
			assert_string_equal(why.dsn, "5.7.8");
		} else if (res == ERR) {
			assert_int_equal(why.code, 454);
			assert_string_equal(why.dsn, "4.7.0");
		}
	}
}

/* A NUL inside the password, or one too long, never matches. */
static void
test_verify_bytes(void **state)
{
	char pw[300];
	struct reason why;

	(void)state;
	assert_int_equal(passwd_file_verify(H_6, strlen(H_6), PW "\0x", 15,
	    &why), BAD);
	assert_int_equal(passwd_file_verify(H_6, strlen(H_6), PW, 13, &why),
	    OK);
	/* the hash as (ptr, len): what follows it does not count */
	assert_int_equal(passwd_file_verify(H_6 ":extra", strlen(H_6), PW, 13,
	    &why), OK);
	memset(pw, 'a', sizeof(pw));
	assert_int_equal(passwd_file_verify(H_6, strlen(H_6), pw, 256, &why),
	    BAD);
}

struct file_case {
	const char	*name;
	const char	*text;
	long		 count;		/* -1: refused */
	size_t		 line;		/* of the error */
};

static const struct file_case file_cases[] = {
	{ "empty", "", 0, 0 },
	{ "comments", "# users\n\n#x:y\n", 0, 0 },
	{ "one", "alice:" H_Y "\n", 1, 0 },
	{ "no final LF", "alice:" H_Y, 1, 0 },
	{ "extra", "alice:" H_Y ":uid=1000:whatever\tx\n", 1, 0 },
	{ "four", "# x\nalice:" H_Y "\nbob:" H_2B "\ncarol:" H_6 "\n"
	    "dave@example.org:!" H_2Y "\n", 4, 0 },
	{ "utf-8 login", "j\xc3\xb6rg:" H_Y "\n", 1, 0 },
	{ "duplicate", "alice:" H_Y "\nbob:" H_2B "\nalice:" H_6 "\n", -1,
	    1 },
	{ "duplicate case differs: two logins", "alice:" H_Y "\nAlice:" H_6
	    "\n", 2, 0 },
	{ "no colon", "alice\n", -1, 1 },
	{ "empty login", ":" H_Y "\n", -1, 1 },
	{ "space in login", "al ice:" H_Y "\n", -1, 1 },
	{ "tab in login", "al\tice:" H_Y "\n", -1, 1 },
	{ "empty hash", "alice:\n", -1, 1 },
	{ "md5 hash", "ok:" H_Y "\nalice:$1$DzNha2E1$M7glSJQsXZb7hmEV8Sy9W/\n",
	    -1, 2 },
	{ "space in hash", "alice: " H_Y "\n", -1, 1 },
	{ "CR", "alice:" H_Y "\r\n", -1, 1 },
	{ "NUL", "alice:" H_Y "\n\0\n", -1, 2 },
	{ "comment after space", " # x\n", -1, 1 },
	{ "blank line with space", "alice:" H_Y "\n \n", -1, 2 },
};

static void
test_file(void **state)
{
	struct reason why;
	size_t i, line, len;
	long n;

	(void)state;
	for (i = 0; i < sizeof(file_cases) / sizeof(file_cases[0]); i++) {
		const struct file_case *c = &file_cases[i];

		len = strlen(c->text);
		if (strcmp(c->name, "NUL") == 0)
			len += 2;
		memset(&why, 0, sizeof(why));
		n = passwd_file_check(c->text, len, &line, &why);
		if (n != c->count)
			fail_msg("%s: %ld, expected %ld (%zu: %s)", c->name,
			    n, c->count, line, why.text);
		if (n == -1) {
			/* a duplicate names the later line, the text the first */
			if (strcmp(c->name, "duplicate") == 0) {
				assert_int_equal(line, 3);
				assert_string_equal(why.text,
				    "login also on line 1");
			} else
				assert_int_equal(line, c->line);
			assert_null(strstr(why.text, "$"));
		}
	}
}

static void
test_line_limit(void **state)
{
	char text[PASSWD_FILE_LINE_MAX + 16];
	struct reason why;
	size_t line;
	int n;

	(void)state;
	n = snprintf(text, sizeof(text), "alice:%s:", H_Y);
	memset(text + n, 'x', PASSWD_FILE_LINE_MAX - (size_t)n);
	assert_int_equal(passwd_file_check(text, PASSWD_FILE_LINE_MAX, &line,
	    &why), 1);
	text[PASSWD_FILE_LINE_MAX] = 'x';
	assert_int_equal(passwd_file_check(text, PASSWD_FILE_LINE_MAX + 1,
	    &line, &why), -1);
	/* a login of 256 octets */
	memset(text, 'a', 256);
	text[256] = ':';
	memcpy(text + 257, H_Y, strlen(H_Y));
	assert_int_equal(passwd_file_check(text, 257 + strlen(H_Y), &line,
	    &why), -1);
	assert_int_equal(passwd_file_check(text + 1, 256 + strlen(H_Y), &line,
	    &why), 1);
}

static const char file[] =
    "# the staff\n"
    "alice:" H_Y "\n"
    "bob:" H_2B ":extra\n"
    "carol:" H_6 "\n"
    "dave:!" H_6 "\n";

struct auth_case {
	const char	*login;
	const char	*pass;
	int		 res;
};

static const struct auth_case auth_cases[] = {
	{ "alice", PW, OK },
	{ "bob", PW, OK },
	{ "carol", PW, OK },
	{ "alice", "wrong", BAD },
	{ "Alice", PW, BAD },		/* logins compare exactly */
	{ "alic", PW, BAD },
	{ "alicee", PW, BAD },
	{ "nobody", PW, BAD },
	{ "dave", PW, BAD },		/* locked */
	{ "", PW, BAD },
	{ "# the staff", PW, BAD },
};

static void
test_auth(void **state)
{
	struct passwd_file_entry e;
	struct reason why;
	size_t i;
	int res;

	(void)state;
	for (i = 0; i < sizeof(auth_cases) / sizeof(auth_cases[0]); i++) {
		const struct auth_case *c = &auth_cases[i];

		memset(&e, 0, sizeof(e));
		res = passwd_file_auth(file, sizeof(file) - 1, c->login,
		    strlen(c->login), c->pass, strlen(c->pass), &e, &why);
		if (res != c->res)
			fail_msg("%s/%s: %d, expected %d", c->login, c->pass,
			    res, c->res);
		if (res == OK) {
			assert_int_equal(e.loginlen, strlen(c->login));
			assert_memory_equal(e.login, c->login, e.loginlen);
		}
	}
	/* the entry's fields */
	assert_int_equal(passwd_file_find(file, sizeof(file) - 1, "bob", 3, &e,
	    &why), 1);
	assert_int_equal(e.lineno, 3);
	assert_int_equal(e.hashlen, strlen(H_2B));
	assert_int_equal(e.extralen, 5);
	assert_memory_equal(e.extra, "extra", 5);
	assert_int_equal(passwd_file_find(file, sizeof(file) - 1, "zed", 3, &e,
	    &why), 0);
	/* a malformed file is an error (454), not "no such user" */
	assert_int_equal(passwd_file_auth("junk\nalice:" H_Y "\n", 5 + 6 +
	    strlen(H_Y) + 1, "alice", 5, PW, strlen(PW), NULL, &why), ERR);
	assert_int_equal(why.code, 454);
	assert_non_null(strstr(why.text, "line 1"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_verify_bytes),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_line_limit),
		cmocka_unit_test(test_auth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
