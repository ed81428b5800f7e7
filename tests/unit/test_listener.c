/* test_listener.c: listener.c on real loopback sockets: a group of one
 * process's sockets opens, an address another socket holds (with
 * SO_REUSEPORT too) is refused, and the kernel query (sock_diag) tells our
 * sockets from foreign ones, the check that closes the race of the probe. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/listener.h"

/* 127.0.0.1 on a port the kernel picks (free for UDP and TCP). */
static cfg_listen free_addr(void)
{
	for (;;) {
		cfg_listen l;
		memset(&l, 0, sizeof l);
		struct sockaddr_in *a = (struct sockaddr_in *)&l.addr;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		l.len = sizeof *a;
		int t = socket(AF_INET, SOCK_STREAM, 0);
		assert_true(t >= 0);
		assert_int_equal(bind(t, (struct sockaddr *)a, l.len), 0);
		socklen_t len = l.len;
		getsockname(t, (struct sockaddr *)a, &len);
		int u = socket(AF_INET, SOCK_DGRAM, 0);
		int ok = bind(u, (struct sockaddr *)a, l.len) == 0;
		close(u);
		close(t);
		snprintf(l.text, sizeof l.text, "127.0.0.1:%u", ntohs(a->sin_port));
		if (ok)
			return l;
	}
}

static int reuseport_socket(const cfg_listen *l, int type, bool listening)
{
	int fd = socket(AF_INET, type, 0), one = 1;
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
	assert_int_equal(bind(fd, (const struct sockaddr *)&l->addr, l->len), 0);
	if (listening)
		assert_int_equal(listen(fd, 8), 0);
	return fd;
}

static void test_group_opens_and_is_all_ours(void **state)
{
	(void)state;
	cfg_listen l = free_addr();
	int udp[3], tcp[3];
	assert_int_equal(listener_open(&l, 3, udp, tcp, true), 0);
	unsigned uid;
	assert_int_equal(listener_foreign(&l, SOCK_DGRAM, udp, 3, &uid), 0);
	assert_int_equal(listener_foreign(&l, SOCK_STREAM, tcp, 3, &uid), 0);
	/* seen from two of them, the third is foreign */
	assert_int_equal(listener_foreign(&l, SOCK_DGRAM, udp, 2, &uid), 1);
	assert_int_equal(listener_foreign(&l, SOCK_STREAM, tcp + 1, 2, &uid), 1);
	assert_int_equal(uid, (unsigned)geteuid());
	/* a second group on the same address is refused (by the probe) */
	int udp2[1], tcp2[1];
	assert_int_equal(listener_open(&l, 1, udp2, tcp2, true), -1);
	assert_int_equal(udp2[0], -1);
	assert_int_equal(tcp2[0], -1);
	for (int i = 0; i < 3; i++) {
		close(udp[i]);
		close(tcp[i]);
	}
	/* closed: free again */
	assert_int_equal(listener_open(&l, 1, udp2, tcp2, true), 0);
	close(udp2[0]);
	close(tcp2[0]);
}

static void test_foreign_reuseport_sockets_are_seen(void **state)
{
	(void)state;
	cfg_listen l = free_addr();
	int mine = reuseport_socket(&l, SOCK_DGRAM, false);
	int other = reuseport_socket(&l, SOCK_DGRAM, false);
	unsigned uid;
	assert_int_equal(listener_foreign(&l, SOCK_DGRAM, &mine, 1, &uid), 1);
	int both[2] = {mine, other};
	assert_int_equal(listener_foreign(&l, SOCK_DGRAM, both, 2, &uid), 0);
	/* another port is another address */
	cfg_listen l2 = free_addr();
	assert_int_equal(listener_foreign(&l2, SOCK_DGRAM, NULL, 0, &uid), 0);
	close(other);
	assert_int_equal(listener_foreign(&l, SOCK_DGRAM, &mine, 1, &uid), 0);
	close(mine);

	/* TCP: listening sockets count; one only bound does not (it takes no
	 * connections; its owner checks after listen() and sees ours) */
	int tmine = reuseport_socket(&l, SOCK_STREAM, true);
	int tbound = reuseport_socket(&l, SOCK_STREAM, false);
	assert_int_equal(listener_foreign(&l, SOCK_STREAM, &tmine, 1, &uid), 0);
	int tother = reuseport_socket(&l, SOCK_STREAM, true);
	assert_int_equal(listener_foreign(&l, SOCK_STREAM, &tmine, 1, &uid), 1);
	close(tother);
	close(tbound);
	close(tmine);
}

static void test_refused_when_held_with_reuseport(void **state)
{
	(void)state;
	for (int type = SOCK_STREAM; type <= SOCK_DGRAM; type++) {
		cfg_listen l = free_addr();
		int held = reuseport_socket(&l, type, type == SOCK_STREAM);
		int udp[2], tcp[2];
		assert_int_equal(listener_open(&l, 2, udp, tcp, true), -1);
		/* without the probe (as when a reload adds an address on a port
		 * ternd already uses), the kernel's list still refuses it: our
		 * group joined the other's, and the check sees the foreign one */
		assert_int_equal(listener_open(&l, 2, udp, tcp, false), -1);
		assert_int_equal(udp[0], -1);
		assert_int_equal(tcp[1], -1);
		close(held);
		assert_int_equal(listener_open(&l, 2, udp, tcp, true), 0);
		for (int i = 0; i < 2; i++) {
			close(udp[i]);
			close(tcp[i]);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_group_opens_and_is_all_ours),
		cmocka_unit_test(test_foreign_reuseport_sockets_are_seen),
		cmocka_unit_test(test_refused_when_held_with_reuseport),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
