/* log.h: ternd's log: leveled lines to stderr (the default), a file, or
 * syslog; safe from any thread (one write(2) or syslog(3) call per line).
 *
 * A line reads
 *     2026-12-06T09:30:00.123+00:00 ternd[4242] info: message
 * (ISO 8601 local time with milliseconds and the UTC offset). Syslog adds
 * its own time and pid, so there the line is only "info: message".
 *
 * The level and the destination are process-wide, as stderr is: they are
 * set by the main thread (at start-up and on reload) while workers may be
 * logging; both changes are atomic, and a file is replaced by dup2() onto
 * the same descriptor, so a worker never writes to a closed one.
 *
 * Cost when off: log_debug() is one load and one predictable branch; its
 * arguments are not evaluated. */
#ifndef TERN_SERVER_LOG_H
#define TERN_SERVER_LOG_H

#include <stdatomic.h>
#include <stdbool.h>

/* LOG_OFF: for log_set_level only (nothing at all is written). */
enum log_level { LOG_OFF = -1, LOG_ERR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* The current level; read it through log_enabled(). */
extern _Atomic int log_level_now;

static inline bool log_enabled(enum log_level level)
{
	return __builtin_expect(atomic_load_explicit(&log_level_now, memory_order_relaxed) >= (int)level, 0);
}

void log_set_level(enum log_level level);
/* Error lines logged so far (by any thread, shown or not). */
unsigned log_error_count(void);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Where lines go: NULL or "stderr", "syslog" (facility daemon), or a file
 * path (appended to, created mode 0640). Opening a file that cannot be
 * opened logs an error and keeps the previous destination: returns -1. The
 * same destination again is a no-op (log_reopen reopens). */
int log_open(const char *dest);
/* Reopens the log file (after logrotate moved it): on SIGHUP. A failure is
 * logged to the file still open, which stays in use. */
void log_reopen(void);
/* After chroot(jail): the log file's path as seen from inside the jail. */
void log_jail(const char *jail);

/* --check: lines are collected instead of written, and log_check_flush
 * prints them to stderr as plain "file:line: message" lines ("file:line:
 * warning: message" for warnings), without time or pid: those naming a file
 * first, sorted by file (in order of first mention) and line, then the
 * others in the order they came. Single-threaded use only. */
void log_check_begin(void);
void log_check_flush(void);

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)                                  \
	do {                                            \
		if (log_enabled(LOG_DEBUG))             \
			log_msg(LOG_DEBUG, __VA_ARGS__); \
	} while (0)

#endif
