/* listener.h: the listening sockets of one address: one UDP and one TCP
 * socket per worker, all in the kernel's SO_REUSEPORT group of that
 * address, which spreads the traffic over the workers.
 *
 * SO_REUSEPORT lets any process of the same user join a group; ternd must
 * not share its addresses with another process (a second ternd would take
 * half the traffic), so opening a group is:
 *   1. probe: bind a socket without SO_REUSEPORT (UDP also without
 *      SO_REUSEADDR); EADDRINUSE means somebody holds the address and we
 *      refuse before taking any of its traffic;
 *   2. bind the group (every socket with SO_REUSEPORT, then listen);
 *   3. verify: ask the kernel (NETLINK_SOCK_DIAG) for every socket bound to
 *      the address (UDP) or listening on it (TCP); one that is not ours
 *      means another process joined between 1 and 2, and we refuse.
 * Step 3 closes the race of step 1: of two processes starting at once, the
 * one that verifies later sees the other's sockets (bound and listening
 * before that one verified). Two that verify at the same moment both
 * refuse; never do both serve. Without sock_diag (an old or restricted
 * kernel) step 3 is skipped with a warning and the race of step 1 remains. */
#ifndef TERN_SERVER_LISTENER_H
#define TERN_SERVER_LISTENER_H

#include "server/config.h"

/* Opens n UDP (none for listen-tls/listen-https: udp[i] = -1) and n TCP sockets on l (udp[i], tcp[i], non-blocking,
 * close-on-exec) after the probe and the verification above. probe false
 * skips step 1 (when this process itself listens on l's port at another
 * address, e.g. 127.0.0.1:53 while a reload adds 0.0.0.0:53: the probe
 * would meet our own sockets; step 3 compares exact addresses and still
 * holds). Returns 0, or -1 after logging why, naming the address; nothing
 * stays open then. */
int listener_open(const cfg_listen *l, unsigned n, int *udp, int *tcp, bool probe);

/* Step 3: how many sockets bound to l (UDP, type SOCK_DGRAM) or listening
 * on it (TCP, SOCK_STREAM) are not among mine[0..n-1] (compared by inode)?
 * -1: the kernel cannot say. *uid: the owner of one such socket. */
int listener_foreign(const cfg_listen *l, int type, const int *mine, unsigned n, unsigned *uid);

#endif
