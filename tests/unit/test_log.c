/* test_log.c: the log (log.c): levels (a disabled log_debug does not even
 * evaluate its arguments), the line format with its ISO 8601 time and UTC
 * offset, a log file reopened after it was moved, and --check's collected
 * lines: plain, sorted by file (first mention) and line, warnings marked,
 * lines without a location last in their order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "server/log.h"

static char dir[200]; /* a fresh directory under $TMPDIR (or /tmp) */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	static char buf[1 << 16];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static int side_effects;
static int count(void)
{
	return ++side_effects;
}

static void test_levels(void **state)
{
	(void)state;
	log_set_level(LOG_INFO);
	assert_true(log_enabled(LOG_ERR));
	assert_true(log_enabled(LOG_INFO));
	assert_false(log_enabled(LOG_DEBUG));
	side_effects = 0;
	log_debug("%d", count()); /* off: the argument is not evaluated */
	assert_int_equal(side_effects, 0);
	log_set_level(LOG_DEBUG);
	assert_true(log_enabled(LOG_DEBUG));
	log_set_level(LOG_OFF);
	assert_false(log_enabled(LOG_ERR));
	unsigned before = log_error_count();
	log_err("counted even when not shown");
	assert_int_equal(log_error_count(), before + 1);
	log_set_level(LOG_INFO);
}

static void test_file_format_and_reopen(void **state)
{
	(void)state;
	char path[256], moved[256];
	snprintf(path, sizeof path, "%s/ternd.log", dir);
	snprintf(moved, sizeof moved, "%s/ternd.log.1", dir);
	setenv("TZ", "UTC-2", 1); /* POSIX: 2 hours east of UTC */
	tzset();
	log_set_level(LOG_DEBUG);
	assert_int_equal(log_open(path), 0);
	log_info("first %d", 1);
	log_debug("second");
	regex_t re;
	assert_int_equal(regcomp(&re,
	                         "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}\\+02:00 "
	                         "ternd\\[[0-9]+\\] info: first 1\n"
	                         "[^\n]+ ternd\\[[0-9]+\\] debug: second\n$",
	                         REG_EXTENDED),
	                 0);
	assert_int_equal(regexec(&re, slurp(path), 0, NULL, 0), 0);
	regfree(&re);

	/* logrotate moves the file; SIGHUP reopens the name */
	assert_int_equal(rename(path, moved), 0);
	log_info("still the old file");
	log_reopen();
	log_info("the new file");
	assert_non_null(strstr(slurp(moved), "still the old file"));
	assert_null(strstr(slurp(moved), "the new file"));
	assert_non_null(strstr(slurp(path), "the new file"));

	/* the same destination again changes nothing; one that cannot be
	 * opened keeps the old one */
	assert_int_equal(log_open(path), 0);
	char bad[300];
	snprintf(bad, sizeof bad, "%s/no/such/dir/x.log", dir);
	assert_int_equal(log_open(bad), -1);
	log_info("after the failed open");
	const char *text = slurp(path);
	assert_non_null(strstr(text, "log-file"));
	assert_non_null(strstr(text, "after the failed open"));
	assert_int_equal(log_open("stderr"), 0);
	log_set_level(LOG_INFO);
	unlink(path);
	unlink(moved);
}

static void test_check_lines(void **state)
{
	(void)state;
	char out[256];
	snprintf(out, sizeof out, "%s/check.out", dir);
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, STDERR_FILENO);
	close(fd);

	log_set_level(LOG_WARN);
	log_check_begin();
	log_err("--zone: want ORIGIN=FILE, got 'x'");
	log_err("t.conf:9: second in the config");
	log_warn("z.zone:3: a warning");
	log_err("t.conf:2: first in the config");
	log_err("a:b.zone:12: a file name with a colon");
	log_err("z.zone:1: before the warning");
	log_info("not shown at warning level");
	log_err("t.conf:9: same line, later");
	log_err("2 error(s) found");
	log_check_flush();

	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	assert_string_equal(slurp(out), "t.conf:2: first in the config\n"
	                                "t.conf:9: second in the config\n"
	                                "t.conf:9: same line, later\n"
	                                "z.zone:1: before the warning\n"
	                                "z.zone:3: warning: a warning\n"
	                                "a:b.zone:12: a file name with a colon\n"
	                                "--zone: want ORIGIN=FILE, got 'x'\n"
	                                "2 error(s) found\n");
	unlink(out);
	log_set_level(LOG_INFO);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/test_log.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_file_format_and_reopen),
		cmocka_unit_test(test_check_lines),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(dir);
	return rc;
}
