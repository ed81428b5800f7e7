/* reload.h: what ternd's main thread does on a signal besides building a
 * new version: the settings a reload cannot apply, the readability check
 * after dropping privileges, and the names of signals. */
#ifndef TERN_SERVER_RELOAD_H
#define TERN_SERVER_RELOAD_H

#include <stdbool.h>

#include "server/config.h"

/* Logs a warning naming each setting that differs between old and nw and
 * takes effect only on restart (threads, user, chroot, cache and rate
 * limiting sizes...). user_fixed/chroot_fixed: the command line sets them,
 * so the file's value does not matter. Returns how many it named. */
unsigned reload_warn_restart(const config *old, const config *nw, bool user_fixed, bool chroot_fixed);

/* Warns when path cannot be read now (by the user ternd runs as, inside
 * its chroot); shown is the path as the user gave it, what says what the
 * file is ("zone file", "configuration"...). Returns 0 when readable. */
int reload_check_readable(const char *path, const char *shown, const char *what, const char *user);

/* "SIGUSR1" and so on, or "signal N" (in a static buffer). */
const char *reload_signal_name(int sig);

#endif
