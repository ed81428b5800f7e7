/* keys.h: the control commands about a signed zone's keys (issue 12 item
 * 3): their lines in zone-status, and zone-ksk-submitted (as knotc's):
 * the operator says the new KSK's DS is at the parent, so the KSK
 * rollover may go on (dnssec/roll.h). */
#ifndef TERN_CTL_KEYS_H
#define TERN_CTL_KEYS_H

#include "ctl/ctl.h"

/* zone-status: the keys of z when ternd signs it (v's configuration says
 * so): per key its role, tag, state and next step; nothing otherwise.
 * JSON: ',"keys":[...]' to go inside the zone's object. Under change_lock. */
void ctl_zone_keys(sbuf *out, bool json, const version *v, const db_zone *z);

/* zone-ksk-submitted ZONE. Returns 0 or -1 (the reason in out). Takes
 * change_lock. */
int ctl_ksk_submitted(ctl_env *e, const ctl_req *r, sbuf *out);

#endif
