/*
 * test_loop.c: the event loop's timers fire in order, can be cancelled and
 * re-armed from callbacks; signals arrive as events; fds are dispatched.
 */
#include "config.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/loop.h"

struct tstate {
	struct loop	*loop;
	int		 order[64];	/* ids, in firing order */
	uint64_t	 when[64];	/* their deadlines, in firing order */
	int		 n;
};

struct tnode {
	struct loop_timer	 t;
	struct tstate		*s;
	int			 id;
};

static void
fired(void *arg)
{
	struct tnode *n = arg;

	if (n->s->n < 64) {
		n->s->order[n->s->n] = n->id;
		n->s->when[n->s->n] = n->t.when;
	}
	n->s->n++;
}

static void
stop(void *arg)
{
	loop_exit(arg);
}

static void
test_timers_in_order(void **state)
{
	static const int delays[] = { 30, 10, 50, 20, 40, 5, 25, 35 };
	struct tnode nodes[8];
	struct loop_timer end;
	struct tstate s;
	int i;

	(void)state;
	memset(&s, 0, sizeof(s));
	memset(&end, 0, sizeof(end));
	s.loop = loop_new();
	for (i = 0; i < 8; i++) {
		memset(&nodes[i], 0, sizeof(nodes[i]));
		nodes[i].s = &s;
		nodes[i].id = delays[i];
		loop_timer_set(s.loop, &nodes[i].t, (uint64_t)delays[i], fired,
		    &nodes[i]);
	}
	/* cancel one, re-arm another later */
	loop_timer_cancel(s.loop, &nodes[2].t);
	assert_false(loop_timer_armed(&nodes[2].t));
	loop_timer_cancel(s.loop, &nodes[2].t);	/* harmless twice */
	loop_timer_set(s.loop, &nodes[5].t, 45, fired, &nodes[5]);
	nodes[5].id = 45;
	loop_timer_set(s.loop, &end, 80, stop, s.loop);
	assert_int_equal(loop_run(s.loop), 0);
	assert_int_equal(s.n, 7);
	{
		/* every armed timer fired once, the cancelled one never, in
		 * deadline order (the clock moves while they are set, so
		 * deadlines, not delays, decide under load) */
		static const int want[] = { 10, 20, 25, 30, 35, 40, 45 };
		int seen[7] = { 0 }, j;

		for (i = 0; i < 7; i++) {
			for (j = 0; j < 7; j++)
				if (s.order[i] == want[j])
					seen[j]++;
			if (i > 0)
				assert_true(s.when[i] >= s.when[i - 1]);
		}
		for (j = 0; j < 7; j++)
			assert_int_equal(seen[j], 1);
	}
	loop_free(s.loop);
}

static void
test_many_timers_random_cancel(void **state)
{
	enum { N = 500 };
	struct tnode *nodes = calloc(N, sizeof(*nodes));
	struct loop *l = loop_new();
	struct loop_timer end;
	struct tstate s;
	int i, prev = -1;

	(void)state;
	memset(&s, 0, sizeof(s));
	memset(&end, 0, sizeof(end));
	s.loop = l;
	srandom(7);
	for (i = 0; i < N; i++) {
		nodes[i].s = &s;
		nodes[i].id = (int)(random() % 40);
		loop_timer_set(l, &nodes[i].t, (uint64_t)nodes[i].id, fired,
		    &nodes[i]);
	}
	/* cancel all but 60 of them, in a scattered order */
	for (i = 0; i < N; i++)
		if (i % 8 != 0)
			loop_timer_cancel(l, &nodes[(i * 7) % N].t);
	loop_timer_set(l, &end, 100, stop, l);
	assert_int_equal(loop_run(l), 0);
	/* the 63 survivors (every 8th index, visited as i*7 % N) fired in
	 * deadline order; deadlines, not delays: the clock moves while the
	 * timers are set */
	assert_int_equal(s.n, 63);
	for (i = 1; i < s.n && i < 64; i++)
		assert_true(s.when[i] >= s.when[i - 1]);
	(void)prev;
	free(nodes);
	loop_free(l);
}

static int got_signal;

static void
on_signal(int signo, void *arg)
{
	got_signal = signo;
	loop_exit(arg);
}

static void
test_signal_and_fd(void **state)
{
	struct loop *l = loop_new();

	(void)state;
	loop_signal(l, SIGUSR1, on_signal, l);
	assert_int_equal(kill(getpid(), SIGUSR1), 0);
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(got_signal, SIGUSR1);
	loop_free(l);
}

static void
on_readable(int fd, uint32_t ev, void *arg)
{
	char c;

	assert_true(ev & EPOLLIN);
	assert_int_equal(read(fd, &c, 1), 1);
	assert_int_equal(c, 'z');
	loop_fd_del(arg, fd);
	loop_exit(arg);
}

static void
test_fd_dispatch(void **state)
{
	struct loop *l = loop_new();
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(loop_fd_add(l, p[0], EPOLLIN, on_readable, l), 0);
	assert_int_equal(write(p[1], "z", 1), 1);
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(loop_fd_add(l, -1, EPOLLIN, on_readable, l), -1);
	close(p[0]);
	close(p[1]);
	loop_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timers_in_order),
		cmocka_unit_test(test_many_timers_random_cancel),
		cmocka_unit_test(test_signal_and_fd),
		cmocka_unit_test(test_fd_dispatch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
