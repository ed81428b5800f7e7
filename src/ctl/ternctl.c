/* ternctl: steer a running ternd through its control socket (ctl.h).
 *
 *     ternctl [-c CONFIG | -s SOCKET] [--json] COMMAND [ARGS...]
 *
 * The socket is -s's, or the `control:` line of ternd's configuration
 * (-c, by default the one ternd reads without --config). The request is one
 * line (proto.h); the answer's first line says ok or error.
 *
 * Exit codes: 0 ok, 1 the server said error (or answered nonsense), 2 usage,
 * 3 cannot reach the server. */
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl/out.h"
#include "ctl/proto.h"

#ifndef TERN_VERSION
#define TERN_VERSION "0.1.0"
#endif
/* The configuration ternd reads without --config (main.c has the same). */
#ifndef TERN_DEFAULT_CONFIG
#define TERN_DEFAULT_CONFIG "etc/ternd.conf"
#endif

enum { EXIT_OK = 0, EXIT_SERVER = 1, EXIT_USAGE = 2, EXIT_CONNECT = 3 };

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: ternctl [-c CONFIG | -s SOCKET] [--json] [-t SECONDS] COMMAND [ARGS...]\n"
	        "\n"
	        "  -c, --config FILE    find the socket in ternd's configuration (control: PATH);\n"
	        "                       default %s\n"
	        "  -s, --socket PATH    the control socket itself\n"
	        "  -j, --json           answer in JSON (one object)\n"
	        "  -t, --timeout N      give up when ternd says nothing for N seconds (default 60)\n"
	        "  -h, --help           this text;  -V, --version  the version\n"
	        "\n"
	        "commands:\n%s"
	        "\n"
	        "exit status: 0 ok, 1 ternd reported an error, 2 usage, 3 cannot connect\n",
	        TERN_DEFAULT_CONFIG, ctl_usage_text);
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	char *e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = 0;
	return s;
}

/* A path from a configuration file, relative to that file's directory. */
static void resolve(const char *from, const char *val, char *out, size_t cap)
{
	const char *slash = strrchr(from, '/');
	if (val[0] == '/' || !slash)
		snprintf(out, cap, "%s", val);
	else
		snprintf(out, cap, "%.*s%s", (int)(slash - from + 1), from, val);
}

/* The control: line of a ternd configuration (following include:, as
 * ternd does), resolved as ternd resolves it. 1 found, 0 not, -1 after
 * saying why. */
static int scan_config(const char *path, char *out, size_t cap, unsigned depth)
{
	FILE *f = depth < 8 ? fopen(path, "r") : NULL;
	if (!f) {
		fprintf(stderr, "ternctl: %s: %s\n", path, depth < 8 ? strerror(errno) : "include nested too deep");
		return -1;
	}
	char line[4096];
	bool server = false;
	int found = 0;
	while (fgets(line, sizeof line, f)) {
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		char *s = trim(line);
		char *colon = strchr(s, ':');
		if (!colon)
			continue;
		*colon = 0;
		char *key = trim(s), *val = trim(colon + 1);
		size_t vl = strlen(val);
		if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
			val[vl - 1] = 0;
			val++;
		}
		if (!strcmp(key, "include") && *val) {
			char pattern[4096];
			resolve(path, val, pattern, sizeof pattern);
			glob_t g;
			if (glob(pattern, 0, NULL, &g) == 0) {
				for (size_t i = 0; i < g.gl_pathc; i++) {
					if (scan_config(g.gl_pathv[i], out, cap, depth + 1) == 1)
						found = 1;
				}
				globfree(&g);
			}
			continue;
		}
		if (!*val) {
			server = !strcmp(key, "server");
			continue;
		}
		if (!server || strcmp(key, "control"))
			continue;
		resolve(path, val, out, cap);
		found = 1; /* the last one wins, as in ternd */
	}
	fclose(f);
	return found;
}

static int socket_from_config(const char *path, char *out, size_t cap)
{
	int r = scan_config(path, out, cap, 0);
	if (r == 0)
		fprintf(stderr, "ternctl: %s has no 'control:' line in its server section (or use -s PATH)\n", path);
	return r == 1 ? 0 : -1;
}

static void print_json_error(const char *msg)
{
	sbuf b = {0};
	sb_printf(&b, "{\"ok\":false,\"error\":");
	sb_json_str(&b, msg);
	sb_printf(&b, "}\n");
	fputs(b.p ? b.p : "{\"ok\":false}\n", stdout);
	sb_free(&b);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"socket", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},         {"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},         {"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *config = NULL, *sock = NULL;
	bool json = false;
	long timeout = 60;
	int ch;
	/* '+': options stop at the command, so its own flags (--reset) pass */
	while ((ch = getopt_long(argc, argv, "+c:s:jt:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; break;
		case 's': sock = optarg; break;
		case 'j': json = true; break;
		case 't': {
			char *e;
			timeout = strtol(optarg, &e, 10);
			if (*e || timeout < 1 || timeout > 86400) {
				fprintf(stderr, "ternctl: --timeout wants 1..86400 seconds\n");
				return EXIT_USAGE;
			}
			break;
		}
		case 'h': usage(stdout); return EXIT_OK;
		case 'V': printf("ternctl %s\n", TERN_VERSION); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	/* The request line: the command's words, --json if asked. A file
	 * argument of zone-add is made absolute (ternd has its own directory). */
	sbuf req = {0};
	char abs[PATH_MAX];
	for (int i = optind; i < argc; i++) {
		const char *w = argv[i];
		if (i > optind && !strcmp(argv[optind], "zone-add") && i == optind + 2 && realpath(w, abs))
			w = abs;
		if (!*w) {
			fprintf(stderr, "ternctl: empty argument\n");
			return EXIT_USAGE;
		}
		for (const char *p = w; *p; p++)
			if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
				fprintf(stderr, "ternctl: '%s': arguments are printable ASCII without spaces\n", w);
				return EXIT_USAGE;
			}
		if (i > optind)
			sb_put(&req, " ", 1);
		sb_put(&req, w, strlen(w));
	}
	if (json)
		sb_put(&req, " --json", 7);
	if (req.oom || req.len > CTL_LINE_MAX) {
		fprintf(stderr, "ternctl: request too long\n");
		return EXIT_USAGE;
	}
	{ /* checked here too, so that a typo is a usage error (2), not ternd's (1) */
		char check[CTL_LINE_MAX + 1];
		memcpy(check, req.p, req.len);
		ctl_req r;
		const char *err;
		if (ctl_parse(check, req.len, &r, &err)) {
			fprintf(stderr, "ternctl: %s: %s\n", argv[optind], err);
			usage(stderr);
			sb_free(&req);
			return EXIT_USAGE;
		}
	}
	sb_put(&req, "\n", 1);

	char path[4096];
	if (sock) {
		snprintf(path, sizeof path, "%s", sock);
	} else if (socket_from_config(config ? config : TERN_DEFAULT_CONFIG, path, sizeof path)) {
		sb_free(&req);
		return EXIT_CONNECT;
	}
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa.sun_path) {
		fprintf(stderr, "ternctl: %s: socket path too long\n", path);
		sb_free(&req);
		return EXIT_CONNECT;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
		fprintf(stderr, "ternctl: cannot connect to %s: %s (is ternd running, with 'control: %s'?)\n", path,
		        strerror(errno), path);
		sb_free(&req);
		if (fd >= 0)
			close(fd);
		return EXIT_CONNECT;
	}
	struct timeval tv = {.tv_sec = timeout};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (out_write_all(fd, req.p, req.len, (int)timeout * 1000)) {
		fprintf(stderr, "ternctl: %s: cannot send: %s\n", path, strerror(errno));
		sb_free(&req);
		close(fd);
		return EXIT_CONNECT;
	}
	sb_free(&req);
	sbuf ans = {0};
	char buf[65536];
	for (;;) {
		ssize_t r = recv(fd, buf, sizeof buf, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "ternctl: %s: %s\n", path,
			        errno == EAGAIN || errno == EWOULDBLOCK ? "no answer in time" : strerror(errno));
			close(fd);
			sb_free(&ans);
			return EXIT_SERVER;
		}
		if (r == 0)
			break;
		sb_put(&ans, buf, (size_t)r);
	}
	close(fd);
	const char *body = ans.p ? strchr(ans.p, '\n') : NULL;
	int rc;
	if (!body || (strncmp(ans.p, "ok\n", 3) && strncmp(ans.p, "error\n", 6))) {
		fprintf(stderr, "ternctl: %s: not an answer from ternd\n", path);
		rc = EXIT_SERVER;
	} else if (ans.p[0] == 'o') {
		body++;
		if (json && *body != '{') { /* a command with a human answer only */
			sbuf b = {0};
			size_t n = strlen(body);
			char *msg = strndup(body, n && body[n - 1] == '\n' ? n - 1 : n);
			sb_printf(&b, "{\"ok\":true,\"message\":");
			sb_json_str(&b, msg ? msg : "");
			sb_printf(&b, "}\n");
			fputs(b.p ? b.p : "{\"ok\":true}\n", stdout);
			free(msg);
			sb_free(&b);
		} else {
			fputs(body, stdout);
		}
		rc = EXIT_OK;
	} else {
		body++;
		if (json) {
			size_t n = strlen(body);
			char *msg = strndup(body, n && body[n - 1] == '\n' ? n - 1 : n);
			print_json_error(msg ? msg : "error");
			free(msg);
		} else {
			fprintf(stderr, "ternctl: %s", body);
		}
		rc = EXIT_SERVER;
	}
	sb_free(&ans);
	return rc;
}
