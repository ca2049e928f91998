/*
 * local_command.h: an alias's |command and /file targets (doc/design.md
 * §12), which only alias_file_allow admits: run in a child forked for
 * that one delivery as an unprivileged user (the alias file's owner, or
 * default_privs when root owns it; never root), a command through
 * /bin/sh -c with the message on its standard input, a file appended to
 * in mbox format (local_mbox.c) under an fcntl lock. Both under the
 * deadline of every local delivery (LOCAL_DELIVER_TIMEOUT_MS).
 * Linked by the local binary.
 */
#ifndef SEALPOST_LOCAL_COMMAND_H
#define SEALPOST_LOCAL_COMMAND_H

#include <pwd.h>

#include "ipc_msg.h"
#include "lib/conf.h"
#include "local.h"

/*
 * Delivers the message of job j (content on fd) for the original
 * recipient rcpt to the command cmd (is_file 0: "/bin/sh -c cmd", the
 * message with Return-Path and Delivered-To first on its standard
 * input, LF line ends; environment PATH, SENDER, RECIPIENT, LOCAL,
 * DOMAIN, HOME, USER, LOGNAME, SHELL) or appends it to the file cmd
 * (is_file 1: O_APPEND|O_NOFOLLOW, created 0600, a regular file or
 * /dev/null; an existing file owned by another user than pw or with
 * more than one link is deferred 451 4.3.0), as pw. Fills *res: the
 * exit status mapped by local_exit.c; for a file sent, a full disk
 * deferred, a path that cannot be written (a symlink, not a regular
 * file, no permission) bounced 550 5.2.0. Blocks for the one delivery.
 */
void	local_command_run(const struct conf *c, const struct ipc_out_job *j,
	    int fd, const char *rcpt, int is_file, const char *cmd,
	    const struct passwd *pw, struct local_result *res);

#endif
