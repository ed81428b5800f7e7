/* replay.c: a plain main() for the harnesses, so that the committed corpora
 * run under any compiler (gcc, with or without sanitizers) as part of
 * `make test`, without libFuzzer. In the spirit of c-ares'
 * test/ares-test-fuzz.c.
 *
 *     replay-msg fuzz/corpus/msg [more files or directories...]
 *
 * Every regular file (not starting with '.') is read into a buffer of
 * exactly its size, so an over-read is caught by AddressSanitizer, and
 * handed to LLVMFuzzerTestOneInput once. A crash ends the process (with
 * the file's name on stderr first); otherwise it prints
 * "fuzz-replay NAME: N inputs ok" and exits 0. No inputs at all is an
 * error: a corpus that went missing must not pass quietly. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

#ifndef FUZZ_NAME
#define FUZZ_NAME "harness"
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
/* Present when a sanitizer runtime is linked. */
void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "fuzz-replay " FUZZ_NAME ": %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t cap = 4096, len = 0;
	uint8_t *buf = malloc(cap);
	size_t n;
	while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			uint8_t *nb = realloc(buf, cap *= 2);
			if (!nb)
				free(buf);
			buf = nb;
		}
	}
	int bad = ferror(f);
	fclose(f);
	if (!buf || bad) {
		fprintf(stderr, "fuzz-replay " FUZZ_NAME ": %s: cannot read\n", path);
		free(buf);
		return -1;
	}
	/* exactly len bytes, so ASan sees a read past the end */
	uint8_t *exact = malloc(len ? len : 1);
	if (!exact) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	return 0;
}

static const char *volatile current; /* the input running, for the crash message */

/* Names the input that crashed (async-signal-safe: write(2) only). */
static void say_current(void)
{
	static const char pre[] = "fuzz-replay " FUZZ_NAME ": crashed on ";
	const char *c = current;
	if (!c)
		return;
	ssize_t w = write(STDERR_FILENO, pre, sizeof pre - 1);
	w = write(STDERR_FILENO, c, strlen(c));
	w = write(STDERR_FILENO, "\n", 1);
	(void)w;
}

static void on_signal(int sig)
{
	say_current();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* abort() (a failed check) is ours to report in every build; a sanitizer
 * reports its own findings and then calls the death callback, and keeps
 * its own SIGSEGV handler; without one, the fatal signals are ours too. */
static void catch_crashes(void)
{
	signal(SIGABRT, on_signal);
	if (__sanitizer_set_death_callback) {
		__sanitizer_set_death_callback(say_current);
		return;
	}
	signal(SIGSEGV, on_signal);
	signal(SIGBUS, on_signal);
	signal(SIGFPE, on_signal);
	signal(SIGILL, on_signal);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs a file, or every file of a directory in name order. Returns the
 * number of inputs run, or -1. */
static long run_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "fuzz-replay " FUZZ_NAME ": %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		current = path;
		if (run_file(path))
			return -1;
		current = NULL;
		return 1;
	}
	DIR *d = opendir(path);
	if (!d) {
		fprintf(stderr, "fuzz-replay " FUZZ_NAME ": %s: %s\n", path, strerror(errno));
		return -1;
	}
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char **nn = realloc(names, (n + 1) * sizeof *nn);
		char *s = nn ? malloc(strlen(path) + strlen(de->d_name) + 2) : NULL;
		if (!s) {
			free(nn ? nn : names);
			closedir(d);
			return -1;
		}
		names = nn;
		sprintf(s, "%s/%s", path, de->d_name);
		names[n++] = s;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, cmp_str);
	long total = 0;
	for (size_t i = 0; i < n; i++) {
		long r = total < 0 ? -1 : run_path(names[i]);
		total = r < 0 ? -1 : total + r;
		free(names[i]);
	}
	free(names);
	return total;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR-OR-FILE...\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	catch_crashes();
	long total = 0;
	for (int i = 1; i < argc; i++) {
		long r = run_path(argv[i]);
		if (r < 0)
			return 1;
		total += r;
	}
	if (total == 0) {
		fprintf(stderr, "fuzz-replay " FUZZ_NAME ": no inputs\n");
		return 1;
	}
	printf("fuzz-replay " FUZZ_NAME ": %ld inputs ok\n", total);
	return 0;
}
