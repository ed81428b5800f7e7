/* common.c: helpers shared by the harnesses (see fuzz.h). */
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

/* Present when a sanitizer runtime is linked: where its reports go. */
void __sanitizer_set_report_fd(void *fd) __attribute__((weak));

static int saved_stderr = -1;
static int devnull = -1;

void fuzz_quiet(void)
{
	if (saved_stderr < 0) {
		/* once: keep a copy of the real stderr for sanitizer reports */
		saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
		devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (saved_stderr >= 0 && __sanitizer_set_report_fd)
			__sanitizer_set_report_fd((void *)(intptr_t)saved_stderr);
	}
	if (saved_stderr >= 0 && devnull >= 0)
		(void)dup2(devnull, STDERR_FILENO);
}

void fuzz_loud(void)
{
	if (saved_stderr >= 0)
		(void)dup2(saved_stderr, STDERR_FILENO);
}

int fuzz_memfd(const uint8_t *data, size_t size, char *path, size_t cap)
{
	int fd = memfd_create("fuzz-input", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	for (size_t off = 0; off < size;) {
		ssize_t n = write(fd, data + off, size - off);
		if (n <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	snprintf(path, cap, "/proc/self/fd/%d", fd);
	return fd;
}
