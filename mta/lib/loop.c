/*
 * loop.c: epoll event loop with monotonic timers and signalfd (see loop.h).
 * Linked by every daemon.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"

struct loop_fd {
	int		 fd;
	loop_fd_cb	 cb;
	void		*arg;
	int		 live;
};

#define LOOP_MAX_SIGNALS	8

struct loop {
	int			  epfd;
	int			  running;
	/* fd table indexed by fd number; grows as needed. */
	struct loop_fd		**fds;
	size_t			  nfds;
	/* timer min-heap on when */
	struct loop_timer	**heap;
	size_t			  nheap, capheap;
	/* signals */
	int			  sigfd;
	sigset_t		  sigmask;
	struct {
		int		  signo;
		loop_signal_cb	  cb;
		void		 *arg;
	}			  sigs[LOOP_MAX_SIGNALS];
	size_t			  nsigs;
};

uint64_t
loop_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("clock_gettime");
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct loop *
loop_new(void)
{
	struct loop *l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		fatal("loop_new");
	if ((l->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1");
	l->sigfd = -1;
	sigemptyset(&l->sigmask);
	return l;
}

void
loop_free(struct loop *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->nfds; i++)
		free(l->fds[i]);
	free(l->fds);
	free(l->heap);
	if (l->sigfd != -1)
		close(l->sigfd);
	close(l->epfd);
	free(l);
}

int
loop_fd_add(struct loop *l, int fd, uint32_t events, loop_fd_cb cb, void *arg)
{
	struct epoll_event ev;
	struct loop_fd **n;
	size_t want;

	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	if ((size_t)fd >= l->nfds) {
		want = (size_t)fd + 64;
		if ((n = reallocarray(l->fds, want, sizeof(*n))) == NULL)
			return -1;
		memset(n + l->nfds, 0, (want - l->nfds) * sizeof(*n));
		l->fds = n;
		l->nfds = want;
	}
	if (l->fds[fd] == NULL &&
	    (l->fds[fd] = calloc(1, sizeof(**l->fds))) == NULL)
		return -1;
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.fd = fd;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) == -1)
		return -1;
	l->fds[fd]->fd = fd;
	l->fds[fd]->cb = cb;
	l->fds[fd]->arg = arg;
	l->fds[fd]->live = 1;
	return 0;
}

int
loop_fd_mod(struct loop *l, int fd, uint32_t events)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.fd = fd;
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev);
}

void
loop_fd_del(struct loop *l, int fd)
{
	if (fd < 0 || (size_t)fd >= l->nfds || l->fds[fd] == NULL ||
	    !l->fds[fd]->live)
		return;
	(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	/* Events already fetched for this fd in this round are dropped. */
	l->fds[fd]->live = 0;
}

/* heap helpers: slot is index + 1 so that 0 means "not armed" */
static void
loop_heap_place(struct loop *l, size_t i, struct loop_timer *t)
{
	l->heap[i] = t;
	t->slot = i + 1;
}

static void
loop_heap_up(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];

	while (i > 0 && l->heap[(i - 1) / 2]->when > t->when) {
		loop_heap_place(l, i, l->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	loop_heap_place(l, i, t);
}

static void
loop_heap_down(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];
	size_t c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= l->nheap)
			break;
		if (c + 1 < l->nheap && l->heap[c + 1]->when < l->heap[c]->when)
			c++;
		if (l->heap[c]->when >= t->when)
			break;
		loop_heap_place(l, i, l->heap[c]);
		i = c;
	}
	loop_heap_place(l, i, t);
}

void
loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	struct loop_timer *moved;
	size_t i;

	if (t->slot == 0)
		return;
	i = t->slot - 1;
	t->slot = 0;
	l->nheap--;
	if (i == l->nheap)
		return;
	moved = l->heap[l->nheap];
	loop_heap_place(l, i, moved);
	loop_heap_up(l, i);
	loop_heap_down(l, moved->slot - 1);
}

void
loop_timer_set(struct loop *l, struct loop_timer *t, uint64_t ms,
    loop_timer_cb cb, void *arg)
{
	struct loop_timer **n;
	size_t ncap;

	loop_timer_cancel(l, t);
	t->when = loop_now_ms() + ms;
	t->cb = cb;
	t->arg = arg;
	if (l->nheap == l->capheap) {
		ncap = l->capheap ? l->capheap * 2 : 64;
		if ((n = reallocarray(l->heap, ncap, sizeof(*n))) == NULL)
			fatal("loop_timer_set");
		l->heap = n;
		l->capheap = ncap;
	}
	loop_heap_place(l, l->nheap++, t);
	loop_heap_up(l, l->nheap - 1);
}

int
loop_timer_armed(const struct loop_timer *t)
{
	return t->slot != 0;
}

static void
loop_signal_read(int fd, uint32_t events, void *arg)
{
	struct loop *l = arg;
	struct signalfd_siginfo si;
	size_t i;
	ssize_t n;

	(void)events;
	for (;;) {
		n = read(fd, &si, sizeof(si));
		if (n == -1 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(si))
			return;
		for (i = 0; i < l->nsigs; i++)
			if (l->sigs[i].signo == (int)si.ssi_signo)
				l->sigs[i].cb((int)si.ssi_signo, l->sigs[i].arg);
	}
}

void
loop_signal(struct loop *l, int signo, loop_signal_cb cb, void *arg)
{
	int first = (l->sigfd == -1);

	if (l->nsigs == LOOP_MAX_SIGNALS)
		fatalx("loop_signal: too many signals");
	l->sigs[l->nsigs].signo = signo;
	l->sigs[l->nsigs].cb = cb;
	l->sigs[l->nsigs].arg = arg;
	l->nsigs++;
	sigaddset(&l->sigmask, signo);
	if (sigprocmask(SIG_BLOCK, &l->sigmask, NULL) == -1)
		fatal("sigprocmask");
	l->sigfd = signalfd(l->sigfd, &l->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (l->sigfd == -1)
		fatal("signalfd");
	if (first && loop_fd_add(l, l->sigfd, EPOLLIN, loop_signal_read, l)
	    == -1)
		fatal("loop_signal: epoll");
}

static void
loop_run_timers(struct loop *l)
{
	struct loop_timer *t;
	uint64_t now = loop_now_ms();

	while (l->nheap > 0 && l->heap[0]->when <= now) {
		t = l->heap[0];
		loop_timer_cancel(l, t);
		t->cb(t->arg);
	}
}

int
loop_run(struct loop *l)
{
	struct epoll_event evs[64];
	struct loop_fd *f;
	uint64_t now;
	int n, i, timeout;

	l->running = 1;
	while (l->running) {
		timeout = -1;
		if (l->nheap > 0) {
			now = loop_now_ms();
			timeout = l->heap[0]->when <= now ? 0 :
			    (int)(l->heap[0]->when - now > 3600000 ? 3600000 :
			    l->heap[0]->when - now);
		}
		n = epoll_wait(l->epfd, evs, 64, timeout);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (i = 0; i < n && l->running; i++) {
			int fd = evs[i].data.fd;

			if ((size_t)fd >= l->nfds || (f = l->fds[fd]) == NULL ||
			    !f->live)
				continue;
			f->cb(fd, evs[i].events, f->arg);
		}
		loop_run_timers(l);
	}
	return 0;
}

void
loop_exit(struct loop *l)
{
	l->running = 0;
}
