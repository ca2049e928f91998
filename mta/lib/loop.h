/*
 * loop.h: the single-threaded event loop every sealpost process runs
 * (doc/design.md §2): epoll for file descriptors, a binary heap of monotonic
 * timers, signals delivered through a signalfd. c-ares sockets and
 * non-blocking GnuTLS sessions register their fds here like any other.
 * Linked by every daemon.
 */
#ifndef SEALPOST_LOOP_H
#define SEALPOST_LOOP_H

#include <stdint.h>
#include <sys/epoll.h>

struct loop;

typedef void (*loop_fd_cb)(int fd, uint32_t events, void *arg);
typedef void (*loop_timer_cb)(void *arg);
typedef void (*loop_signal_cb)(int signo, void *arg);

struct loop_timer {
	uint64_t	 when;		/* monotonic ms */
	size_t		 slot;		/* heap index + 1; 0 = not armed */
	loop_timer_cb	 cb;
	void		*arg;
};

/* Creates a loop; fatal() on failure (setup). */
struct loop	*loop_new(void);
/* Frees the loop; registered fds are not closed (their owners close them). */
void		 loop_free(struct loop *);
/*
 * Watches fd for events (EPOLLIN/EPOLLOUT...). Returns 0 or -1 (errno from
 * epoll_ctl). An fd is registered once; change its events with loop_fd_mod.
 */
int		 loop_fd_add(struct loop *, int fd, uint32_t events,
		    loop_fd_cb, void *arg);
int		 loop_fd_mod(struct loop *, int fd, uint32_t events);
/* Stops watching fd; safe to call from inside that fd's callback. */
void		 loop_fd_del(struct loop *, int fd);
/* Current monotonic time in milliseconds. */
uint64_t	 loop_now_ms(void);
/* Arms (or re-arms) t to fire once after ms milliseconds. */
void		 loop_timer_set(struct loop *, struct loop_timer *, uint64_t ms,
		    loop_timer_cb, void *arg);
/* Disarms t; harmless when it is not armed. */
void		 loop_timer_cancel(struct loop *, struct loop_timer *);
int		 loop_timer_armed(const struct loop_timer *);
/*
 * Delivers signo through the loop instead of asynchronously (the signal is
 * blocked and read from a signalfd). fatal() on failure.
 */
void		 loop_signal(struct loop *, int signo, loop_signal_cb, void *arg);
/* Runs until loop_exit; returns 0, or -1 if epoll_wait fails. */
int		 loop_run(struct loop *);
/* Makes loop_run return after the current round of events. */
void		 loop_exit(struct loop *);

#endif
