/* log.c: see log.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* syslog.h's priorities, before its LOG_ERR/LOG_INFO/LOG_DEBUG macros give
 * way to ternd's own levels of the same names. */
static const int sys_prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
#undef LOG_ERR
#undef LOG_INFO
#undef LOG_DEBUG

#include "server/log.h"

enum dest { TO_FD, TO_SYSLOG };

_Atomic int log_level_now = LOG_INFO;
static atomic_uint errors_logged;
static _Atomic int dest = TO_FD;
static _Atomic int out_fd = STDERR_FILENO; /* stderr, or the log file */
/* Only the main thread touches these (log_open, log_reopen, log_jail). */
static char *file_path; /* the log file, or NULL */
static int file_fd = -1;
static bool syslog_open;

static const char *const level_names[] = {"error", "warning", "info", "debug"};

/* --check: collected lines */
typedef struct entry {
	char *file;   /* NULL: the line names no file:line */
	unsigned line;
	int level;
	size_t seq;
	char *msg;    /* what follows "file:line: " (or all of it) */
} entry;
static bool checking;
static entry *entries;
static size_t nentries;

void log_set_level(enum log_level level)
{
	atomic_store_explicit(&log_level_now, (int)level, memory_order_relaxed);
}

/* "2026-12-06T09:30:00.123+01:00 " into buf; returns its length. */
static int timestamp(char *buf, size_t cap)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	char zone[8];
	if (strftime(zone, sizeof zone, "%z", &tm) != 5)
		snprintf(zone, sizeof zone, "+0000");
	int n = (int)strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
	n += snprintf(buf + n, cap - (size_t)n, ".%03ld%.3s:%.2s ", ts.tv_nsec / 1000000, zone, zone + 3);
	return n;
}

/* Splits "file:line: rest" (file without blanks). */
static bool split_location(const char *s, size_t *file_len, unsigned *line, const char **rest)
{
	for (const char *p = s; *p && *p != ' ' && *p != '\t'; p++) {
		if (*p != ':' || p == s || p[1] < '0' || p[1] > '9')
			continue;
		const char *q = p + 1;
		unsigned long n = 0;
		while (*q >= '0' && *q <= '9' && n < 100000000)
			n = n * 10 + (unsigned long)(*q++ - '0');
		if (q[0] == ':' && q[1] == ' ') {
			*file_len = (size_t)(p - s);
			*line = (unsigned)n;
			*rest = q + 2;
			return true;
		}
	}
	return false;
}

static void collect(int level, const char *msg)
{
	entry *n = realloc(entries, (nentries + 1) * sizeof *n);
	if (!n)
		return;
	entries = n;
	entry *e = &entries[nentries];
	memset(e, 0, sizeof *e);
	e->level = level;
	e->seq = nentries;
	size_t fl;
	const char *rest;
	if (split_location(msg, &fl, &e->line, &rest)) {
		e->file = strndup(msg, fl);
		e->msg = strdup(rest);
	} else {
		e->msg = strdup(msg);
	}
	if (e->msg)
		nentries++;
	else
		free(e->file);
}

unsigned log_error_count(void)
{
	return atomic_load(&errors_logged);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (level == LOG_ERR)
		atomic_fetch_add_explicit(&errors_logged, 1, memory_order_relaxed);
	if (!log_enabled(level))
		return;
	char line[1024];
	int n = 0;
	int to = atomic_load_explicit(&dest, memory_order_relaxed);
	if (!checking && to == TO_FD) {
		n = timestamp(line, sizeof line);
		n += snprintf(line + n, sizeof line - (size_t)n, "ternd[%d] ", (int)getpid());
	}
	if (!checking)
		n += snprintf(line + n, sizeof line - (size_t)n, "%s: ", level_names[level]);
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	n = (m < 0 || (size_t)(n + m) >= sizeof line - 1) ? (int)sizeof line - 2 : n + m;
	if (checking) {
		line[n] = 0;
		collect(level, line);
		return;
	}
	if (to == TO_SYSLOG) {
		syslog(sys_prio[level], "%.*s", n, line);
		return;
	}
	line[n++] = '\n';
	ssize_t w = write(atomic_load_explicit(&out_fd, memory_order_relaxed), line, (size_t)n);
	(void)w;
}

static int open_file(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
}

int log_open(const char *to)
{
	if (!to || !strcmp(to, "stderr")) {
		atomic_store(&out_fd, STDERR_FILENO);
		atomic_store(&dest, TO_FD);
		free(file_path);
		file_path = NULL; /* file_fd stays open: a worker may be writing to it */
		return 0;
	}
	if (!strcmp(to, "syslog")) {
		if (!syslog_open)
			openlog("ternd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		syslog_open = true;
		atomic_store(&dest, TO_SYSLOG);
		free(file_path);
		file_path = NULL;
		return 0;
	}
	if (file_path && !strcmp(file_path, to) && atomic_load(&dest) == TO_FD)
		return 0;
	char *p = strdup(to);
	int fd = p ? open_file(to) : -1;
	if (fd < 0) {
		log_err("log-file %s: cannot open: %s", to, strerror(p ? errno : ENOMEM));
		free(p);
		return -1;
	}
	if (file_fd < 0) {
		file_fd = fd;
	} else {
		dup2(fd, file_fd); /* atomic: writers see the old file or the new one */
		close(fd);
	}
	free(file_path);
	file_path = p;
	atomic_store(&out_fd, file_fd);
	atomic_store(&dest, TO_FD);
	return 0;
}

void log_reopen(void)
{
	if (!file_path || file_fd < 0)
		return;
	int fd = open_file(file_path);
	if (fd < 0) {
		log_err("log-file %s: cannot reopen: %s (still writing to the old file)", file_path, strerror(errno));
		return;
	}
	dup2(fd, file_fd);
	close(fd);
}

void log_jail(const char *jail)
{
	size_t n = strlen(jail);
	if (file_path && !strncmp(file_path, jail, n) && file_path[n] == '/')
		memmove(file_path, file_path + n, strlen(file_path + n) + 1);
}

void log_check_begin(void)
{
	checking = true;
}

static const char *const *file_order; /* for cmp_entry: files by first mention */
static size_t nfile_order;

static size_t file_rank(const char *f)
{
	for (size_t i = 0; i < nfile_order; i++)
		if (!strcmp(file_order[i], f))
			return i;
	return nfile_order;
}

static int cmp_entry(const void *a, const void *b)
{
	const entry *x = a, *y = b;
	if (!x->file != !y->file)
		return x->file ? -1 : 1;
	if (x->file) {
		size_t fx = file_rank(x->file), fy = file_rank(y->file);
		if (fx != fy)
			return fx < fy ? -1 : 1;
		if (x->line != y->line)
			return x->line < y->line ? -1 : 1;
	}
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void log_check_flush(void)
{
	const char **files = calloc(nentries ? nentries : 1, sizeof *files);
	size_t nf = 0;
	for (size_t i = 0; files && i < nentries; i++)
		if (entries[i].file) {
			bool seen = false;
			for (size_t k = 0; k < nf && !seen; k++)
				seen = !strcmp(files[k], entries[i].file);
			if (!seen)
				files[nf++] = entries[i].file;
		}
	file_order = files;
	nfile_order = nf;
	if (files && nentries)
		qsort(entries, nentries, sizeof *entries, cmp_entry);
	for (size_t i = 0; i < nentries; i++) {
		const entry *e = &entries[i];
		const char *kind = e->level == LOG_WARN ? "warning: " : "";
		if (e->file)
			fprintf(stderr, "%s:%u: %s%s\n", e->file, e->line, kind, e->msg);
		else
			fprintf(stderr, "%s%s\n", kind, e->msg);
	}
	fflush(stderr);
	for (size_t i = 0; i < nentries; i++) {
		free(entries[i].file);
		free(entries[i].msg);
	}
	free(entries);
	free(files);
	entries = NULL;
	nentries = 0;
	file_order = NULL;
	nfile_order = 0;
	checking = false;
}
