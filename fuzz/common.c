/* common.c: helpers shared by the harnesses (see fuzz.h). */
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
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

/* All of data to fd: 0, or -1. */
static int write_all(int fd, const uint8_t *data, size_t size)
{
	for (size_t off = 0; off < size;) {
		ssize_t n = write(fd, data + off, size - off);
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

int fuzz_memfd(const uint8_t *data, size_t size, char *path, size_t cap)
{
	int fd = memfd_create("fuzz-input", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (write_all(fd, data, size)) {
		close(fd);
		return -1;
	}
	snprintf(path, cap, "/proc/self/fd/%d", fd);
	return fd;
}

static char private_dir[PATH_MAX];
static char private_path[PATH_MAX + 16];

static void private_cleanup(void)
{
	if (private_path[0])
		(void)unlink(private_path);
	if (private_dir[0])
		(void)rmdir(private_dir);
}

int fuzz_private_file(const uint8_t *data, size_t size, char *path, size_t cap)
{
	if (!private_dir[0]) {
		const char *tmp = getenv("TMPDIR");
		if (!tmp || !*tmp)
			tmp = "/tmp";
		if (snprintf(private_dir, sizeof private_dir, "%s/tern-fuzz-XXXXXX", tmp) >= (int)sizeof private_dir ||
		    !mkdtemp(private_dir)) {
			private_dir[0] = '\0';
			return -1;
		}
		snprintf(private_path, sizeof private_path, "%s/input.conf", private_dir);
		atexit(private_cleanup);
	}
	int fd = open(private_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	int r = write_all(fd, data, size);
	close(fd);
	if (r)
		return -1;
	if (snprintf(path, cap, "%s", private_path) >= (int)cap)
		return -1;
	return 0;
}

int fuzz_names_special_path(const uint8_t *data, size_t size)
{
	static const char *const bad[] = {"/dev", "/proc", "/sys", "/run", ".."};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (memmem(data, size, bad[i], strlen(bad[i])))
			return 1;
	return 0;
}
