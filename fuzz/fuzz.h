/* fuzz.h: what every harness in fuzz/ shares.
 *
 * A harness is one LLVMFuzzerTestOneInput: it takes the bytes, runs them
 * through one parser or path of tern, checks what must hold (abort() on a
 * broken invariant, so libFuzzer and the replay driver both see a crash),
 * and frees everything it allocated. No state carries over between inputs,
 * except read-only data built once (the server harness's zones).
 *
 * The same source links either with libFuzzer (clang -fsanitize=fuzzer) or
 * with fuzz/replay.c, a plain main() that runs committed corpora under any
 * compiler; see fuzz/README.md. */
#ifndef TERN_FUZZ_H
#define TERN_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant: say which and crash. */
#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Code under test that logs to stderr (the config parser) is quietened
 * between fuzz_quiet() and fuzz_loud(); sanitizer reports still reach the
 * real stderr. */
void fuzz_quiet(void);
void fuzz_loud(void);

/* The input as a file that code under test opens by name: a memfd holding
 * data, named /proc/self/fd/N in path (at least 32 bytes). Returns the fd
 * to close afterwards, or -1. */
int fuzz_memfd(const uint8_t *data, size_t size, char *path, size_t cap);

/* The input as a file in a directory of its own (made once under $TMPDIR or
 * /tmp, removed at exit), for code that opens other files by names relative
 * to it: those resolve in that empty directory, never in /proc/self/fd
 * (where "0" would be the harness's stdin). Writes the path (cap at least
 * PATH_MAX + 16) and returns 0, or -1. */
int fuzz_private_file(const uint8_t *data, size_t size, char *path, size_t cap);

/* Whether the input names a path where reading could block or never end
 * (a device, a FIFO, another process's descriptors): /dev, /proc, /sys,
 * /run, or a ".." that could climb to them. */
int fuzz_names_special_path(const uint8_t *data, size_t size);

#endif
