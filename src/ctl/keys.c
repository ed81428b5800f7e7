/* keys.c: see keys.h. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl/keys.h"
#include "dnssec/sign.h"
#include "server/log.h"
#include "server/zones.h"
#include "tern/rr.h"

static const cfg_zone *signed_zone(const version *v, const uint8_t *origin)
{
	for (size_t i = 0; i < v->cfg.nzones; i++)
		if (v->cfg.zones[i].sign.on && tern_name_eq(v->cfg.zones[i].origin, origin))
			return &v->cfg.zones[i];
	return NULL;
}

/* The first problem with the key files, for zone-status. */
typedef struct first_err {
	char msg[512];
} first_err;

static void keep_first(void *user, bool error, const char *file, unsigned line, const char *msg)
{
	first_err *f = user;
	if (!error || f->msg[0])
		return;
	if (line)
		snprintf(f->msg, sizeof f->msg, "%s:%u: %s", file, line, msg);
	else
		snprintf(f->msg, sizeof f->msg, "%s: %s", file, msg);
}

void ctl_zone_keys(sbuf *out, bool json, const version *v, const db_zone *z)
{
	const cfg_zone *cz = signed_zone(v, z->origin);
	if (!cz)
		return;
	first_err fe = {""};
	db_diag diag = {.fn = keep_first, .user = &fe, .flags = DB_DIAG_NO_WRITE};
	struct dnssec_keyset *ks = dnssec_keys_load(cz->origin, &cz->sign, cz->file, &diag);
	int64_t now = (int64_t)time(NULL);
	if (json) {
		sb_printf(out, ",\"keys\":[");
		for (size_t i = 0; ks && i < dnssec_keys_count(ks); i++) {
			dnssec_key_info ki;
			dnssec_keys_info(ks, i, &cz->sign, z, now, &ki);
			sb_printf(out, "%s{\"role\":\"%s\",\"tag\":%u,\"state\":", i ? "," : "", ki.role, ki.tag);
			sb_json_str(out, ki.state);
			sb_printf(out, ",\"next\":");
			sb_json_str(out, ki.next);
			sb_printf(out, "}");
		}
		sb_printf(out, "]");
		if (!ks) {
			sb_printf(out, ",\"keys_error\":");
			sb_json_str(out, fe.msg);
		}
	} else if (!ks) {
		sb_printf(out, "  keys: cannot be read: %s\n", fe.msg);
	} else {
		for (size_t i = 0; i < dnssec_keys_count(ks); i++) {
			dnssec_key_info ki;
			dnssec_keys_info(ks, i, &cz->sign, z, now, &ki);
			sb_printf(out, "  key: %s %u: %s; next: %s\n", ki.role, ki.tag, ki.state, ki.next);
		}
	}
	dnssec_keys_free(ks);
}

static void to_out(void *user, bool error, const char *file, unsigned line, const char *msg)
{
	sbuf *out = user;
	if (line)
		sb_printf(out, "%s:%u: %s%s\n", file, line, error ? "" : "warning: ", msg);
	else
		sb_printf(out, "%s: %s%s\n", file, error ? "" : "warning: ", msg);
}

int ctl_ksk_submitted(ctl_env *e, const ctl_req *r, sbuf *out)
{
	char buf[TERN_NAME_TEXT_MAX + 2];
	uint8_t origin[TERN_NAME_MAX];
	size_t n0 = strlen(r->argv[0]), len;
	int w = snprintf(buf, sizeof buf, "%s%s", r->argv[0], n0 && r->argv[0][n0 - 1] == '.' ? "" : ".");
	if (!n0 || w < 0 || (size_t)w >= sizeof buf || tern_name_from_text(buf, (size_t)w, NULL, origin, &len)) {
		sb_printf(out, "not a zone name: %s\n", r->argv[0]);
		return -1;
	}
	server *s = e->srv;
	pthread_mutex_lock(&s->change_lock);
	const cfg_zone *cz = signed_zone(atomic_load(&s->current), origin);
	if (!cz) {
		pthread_mutex_unlock(&s->change_lock);
		sb_printf(out, "zone %s is not one ternd signs (dnssec-signing: on)\n", r->argv[0]);
		return -1;
	}
	db_diag diag = {.fn = to_out, .user = out};
	struct dnssec_keyset *ks = dnssec_keys_load(cz->origin, &cz->sign, cz->file, &diag);
	size_t n = ks ? dnssec_keys_submitted(ks, (int64_t)time(NULL)) : 0;
	if (n)
		dnssec_keys_save(ks, &diag);
	dnssec_keys_free(ks);
	pthread_mutex_unlock(&s->change_lock);
	if (!ks)
		return -1;
	if (!n) {
		sb_printf(out, "zone %s: no KSK waits for its DS (ternctl zone-status %s tells where the keys are)\n",
		          r->argv[0], r->argv[0]);
		return -1;
	}
	log_info("zone %s: the DS of the new KSK is at the parent (ternctl zone-ksk-submitted)", r->argv[0]);
	/* signed again now (the CDS may go), and the main thread's timer set
	 * for the step that follows (the old KSK's removal) */
	zones_resign(s, origin);
	kill(getpid(), ZONES_RESIGN_SIGNAL);
	sb_printf(out, "zone %s: DS of %zu KSK(s) at the parent from now; the old KSK goes after the parent's DS TTL\n",
	          r->argv[0], n);
	return 0;
}
