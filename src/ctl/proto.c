/* proto.c: see proto.h. */
#include <string.h>

#include "ctl/proto.h"

static const struct {
	const char *name;
	unsigned min, max; /* arguments */
	bool reset;        /* takes --reset */
} cmds[CTL_NCMDS] = {
	[CTL_STATUS] = {"status", 0, 0, false},
	[CTL_STOP] = {"stop", 0, 0, false},
	[CTL_RELOAD] = {"reload", 0, 1, false},
	[CTL_ZONE_STATUS] = {"zone-status", 0, 1, false},
	[CTL_ZONE_ADD] = {"zone-add", 2, 2, false},
	[CTL_ZONE_REMOVE] = {"zone-remove", 1, 1, false},
	[CTL_ZONE_REFRESH] = {"zone-refresh", 1, 1, false},
	[CTL_ZONE_RETRANSFER] = {"zone-retransfer", 1, 1, false},
	[CTL_ZONE_NOTIFY] = {"zone-notify", 1, 1, false},
	[CTL_ZONE_KSK_SUBMITTED] = {"zone-ksk-submitted", 1, 1, false},
	[CTL_CACHE_FLUSH] = {"cache-flush", 0, 2, false},
	[CTL_CACHE_DUMP] = {"cache-dump", 0, 0, false},
	[CTL_STATS] = {"stats", 0, 0, true},
	[CTL_LOG_LEVEL] = {"log-level", 1, 1, false},
};

const char ctl_usage_text[] =
	"  status                      version, uptime, workers, zones, upstreams\n"
	"  stop                        stop ternd\n"
	"  reload [ZONE]               reload configuration and zones (as SIGHUP), or one zone's file\n"
	"  zone-status [ZONE]          serial, file, state of every zone (or one)\n"
	"  zone-add ZONE FILE          serve a new zone from FILE (until ternd stops)\n"
	"  zone-remove ZONE            stop serving ZONE (until ternd stops)\n"
	"  zone-refresh ZONE           secondary zones: check the primary's serial now\n"
	"  zone-retransfer ZONE        secondary zones: transfer the whole zone again\n"
	"  zone-notify ZONE            primary zones: send NOTIFY to the secondaries\n"
	"  zone-ksk-submitted ZONE     signed zones: the new KSK's DS is at the parent (the KSK roll goes on)\n"
	"  cache-flush [NAME [TYPE]]   empty the cache, or NAME and all below it, or one RRset\n"
	"  cache-dump                  what is cached, with remaining TTLs\n"
	"  stats [--reset]             counters (since start, or since the last --reset)\n"
	"  log-level LEVEL             error, warning, info or debug\n";

const char *ctl_cmd_name(enum ctl_cmd cmd)
{
	return cmd < CTL_NCMDS ? cmds[cmd].name : "?";
}

int ctl_parse(char *buf, size_t len, ctl_req *r, const char **err)
{
	memset(r, 0, sizeof *r);
	if (len && buf[len - 1] == '\r')
		len--;
	if (len > CTL_LINE_MAX) {
		*err = "request too long";
		return -1;
	}
	buf[len] = 0; /* the last word's end */
	bool have_cmd = false;
	size_t i = 0;
	while (i < len) {
		unsigned char ch = (unsigned char)buf[i];
		if (ch == ' ' || ch == '\t') {
			buf[i++] = 0;
			continue;
		}
		if (ch < 0x21 || ch > 0x7e) {
			*err = "request holds a byte that is not printable ASCII";
			return -1;
		}
		char *word = buf + i;
		while (i < len && (unsigned char)buf[i] > 0x20 && (unsigned char)buf[i] < 0x7f)
			i++;
		if (i < len && buf[i] != ' ' && buf[i] != '\t') {
			*err = "request holds a byte that is not printable ASCII";
			return -1;
		}
		size_t wl = (size_t)(buf + i - word);
		if (i < len)
			buf[i++] = 0;
		if (wl > 2 && word[0] == '-' && word[1] == '-') {
			if (wl == 6 && !memcmp(word, "--json", 6)) {
				r->json = true;
			} else if (wl == 7 && !memcmp(word, "--reset", 7)) {
				r->reset = true;
			} else {
				*err = "unknown flag";
				return -1;
			}
			continue;
		}
		if (!have_cmd) {
			int found = -1;
			for (int k = 0; k < CTL_NCMDS; k++)
				if (strlen(cmds[k].name) == wl && !memcmp(cmds[k].name, word, wl))
					found = k;
			if (found < 0) {
				*err = "unknown command";
				return -1;
			}
			r->cmd = (enum ctl_cmd)found;
			have_cmd = true;
			continue;
		}
		if (r->argc >= CTL_ARGS_MAX) {
			*err = "too many arguments";
			return -1;
		}
		r->argv[r->argc++] = word;
	}
	if (!have_cmd) {
		*err = "no command";
		return -1;
	}
	if (r->argc < cmds[r->cmd].min || r->argc > cmds[r->cmd].max) {
		*err = "wrong number of arguments for this command";
		return -1;
	}
	if (r->reset && !cmds[r->cmd].reset) {
		*err = "--reset goes with stats only";
		return -1;
	}
	return 0;
}
