/* ctl.c: the control socket's thread (contract in ctl.h); the commands
 * are in cmds.c. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "server/log.h"

struct ctl {
	int fd, stopfd;
	char *path;
	pthread_t thread;
	bool started;
	ctl_env env;
	ctl_hooks hooks;
};

static int addr_of(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa->sun_path)
		return -1;
	strcpy(sa->sun_path, path);
	return 0;
}

ctl *ctl_open(const char *path, uid_t uid, gid_t gid)
{
	struct sockaddr_un sa;
	if (addr_of(path, &sa)) {
		log_err("control %s: path too long", path);
		return NULL;
	}
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_err("control %s: exists and is not a socket; not replaced", path);
			return NULL;
		}
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0) {
			close(probe);
			log_err("control %s: another ternd answers there", path);
			return NULL;
		}
		if (probe >= 0)
			close(probe);
		unlink(path); /* left by a ternd that is gone */
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_err("control %s: %s", path, strerror(errno));
		return NULL;
	}
	/* nobody but the owner between bind and chmod */
	mode_t old = umask(0177);
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (rc && errno == ENOENT) { /* /run/ternd after a reboot, outside systemd: one level made */
		char *dir = strdup(path), *slash = dir ? strrchr(dir, '/') : NULL;
		if (slash && slash != dir) {
			*slash = 0;
			if (mkdir(dir, 0755) == 0) {
				if ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(dir, uid, gid))
					log_warn("control %s: chown: %s", dir, strerror(errno));
				old = umask(0177);
				rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
				umask(old);
			}
		}
		free(dir);
	}
	if (rc || listen(fd, 16)) {
		log_err("control %s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(path, uid, gid))
		log_warn("control %s: chown: %s", path, strerror(errno));
	if (chmod(path, 0660))
		log_warn("control %s: chmod: %s", path, strerror(errno));
	ctl *c = calloc(1, sizeof *c);
	if (!c || !(c->path = strdup(path)) || (c->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		if (c)
			free(c->path);
		free(c);
		close(fd);
		unlink(path);
		return NULL;
	}
	c->fd = fd;
	return c;
}

static long long ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads one request line into buf (CTL_LINE_MAX + 2 bytes). Returns its
 * length without '\n', or -1 with *err set (too long, too slow, closed). */
static long read_request(int fd, char *buf, const char **err)
{
	size_t len = 0;
	long long deadline = ms_now() + CTL_TIMEOUT_MS;
	for (;;) {
		long long left = deadline - ms_now();
		if (left <= 0) {
			*err = "request timed out";
			return -1;
		}
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		int pr = poll(&pf, 1, (int)left);
		if (pr < 0 && errno != EINTR) {
			*err = "poll failed";
			return -1;
		}
		if (pr <= 0)
			continue;
		ssize_t r = recv(fd, buf + len, CTL_LINE_MAX + 1 - len, MSG_DONTWAIT);
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			continue;
		if (r <= 0) {
			*err = "connection closed before the end of the request";
			return -1;
		}
		char *nl = memchr(buf + len, '\n', (size_t)r);
		len += (size_t)r;
		if (nl)
			return (long)(nl - buf);
		if (len > CTL_LINE_MAX) {
			*err = "request too long";
			return -1;
		}
	}
}

static void serve_one(ctl *c, int cfd)
{
	char buf[CTL_LINE_MAX + 2];
	const char *err = NULL;
	sbuf out = {0};
	ctl_req req;
	int rc = -1;
	long n = read_request(cfd, buf, &err);
	if (n >= 0 && ctl_parse(buf, (size_t)n, &req, &err) == 0) {
		log_debug("control: %s", ctl_cmd_name(req.cmd));
		rc = ctl_run(&c->env, &req, &out);
	} else { /* refused before any command ran (error bodies are plain text) */
		sb_printf(&out, "%s\n", err);
		n = -1;
	}
	if (out.oom) {
		sb_free(&out);
		sb_printf(&out, "out of memory\n");
		rc = -1;
	}
	const char *status = rc == 0 ? "ok\n" : "error\n";
	if (out_write_all(cfd, status, strlen(status), CTL_TIMEOUT_MS) == 0 && out.len)
		out_write_all(cfd, out.p, out.len, CTL_TIMEOUT_MS);
	sb_free(&out);
	if (rc == 0 && n >= 0 && req.cmd == CTL_STOP) {
		log_info("control: stop requested");
		kill(getpid(), SIGTERM); /* the main thread stops everything */
	}
}

static void *ctl_main(void *arg)
{
	ctl *c = arg;
	for (;;) {
		struct pollfd pf[2] = {{.fd = c->fd, .events = POLLIN}, {.fd = c->stopfd, .events = POLLIN}};
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_err("control: poll: %s", strerror(errno));
			return NULL;
		}
		if (pf[1].revents)
			return NULL;
		int cfd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0)
			continue;
		serve_one(c, cfd);
		close(cfd);
	}
}

int ctl_start(ctl *c, server *s, const ctl_hooks *hooks)
{
	c->hooks = *hooks;
	c->env.srv = s;
	c->env.hooks = &c->hooks;
	c->env.path = c->path;
	if (pthread_create(&c->thread, NULL, ctl_main, c))
		return -1;
	c->started = true;
	return 0;
}

void ctl_stop(ctl *c)
{
	if (!c)
		return;
	if (c->started) {
		uint64_t one = 1;
		ssize_t r = write(c->stopfd, &one, sizeof one);
		(void)r;
		pthread_join(c->thread, NULL);
	}
	close(c->fd);
	close(c->stopfd);
	unlink(c->path); /* may fail after a chroot or the privilege drop */
	free(c->env.base);
	free(c->path);
	free(c);
}
