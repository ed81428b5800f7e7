/* chain.c: CNAME-target inspection (policy.h, policy_chain): the block
 * lists and RPZ QNAME triggers applied to the names an answer's CNAME
 * chain leads to, not only to the query's name.
 *
 * Where it runs: query.c calls it each time the answer follows a CNAME
 * that came from an upstream (from the cache, or from an answer the cache
 * could not keep), with the CNAME's target. An answer without a CNAME never
 * gets here, so a plain cache hit pays nothing; a chain pays one name-set
 * probe per label of each target (the same lookup as the query name's).
 * Names reached from local data, served zones or RPZ local data are the
 * operator's own and are not checked (BIND applies RPZ once to its own
 * rewrites, too).
 *
 * What the client gets (docs/architecture.md, "Documented choices"): a
 * block-list entry anywhere in the chain blocks the whole answer, answered
 * for the query's name as if it had asked for the blocked name (Pi-hole's
 * and AdGuard Home's "CNAME inspection": the block answer, EDE 15); an RPZ
 * trigger rewrites at the name it matched, the CNAMEs before it kept
 * (BIND's ARM: QNAME triggers match "the targets of CNAME records resolved
 * to generate the response"; the chain up to the trigger stays in the
 * answer, as BIND and Unbound give it). */
#include <string.h>

#include "policy/policy.h"

enum pol_verdict policy_chain(const pol_view *view, const uint8_t *target, const uint8_t *qname, uint16_t qtype,
                              bool tcp, tern_msgw *m, const tern_msgw_mark *start, unsigned *rcode, uint16_t *ede,
                              uint8_t *name)
{
	db_qname qn;
	pol_match pm;
	db_qname_init(&qn, target);
	if (!pol_names_lookup(&view->names, &qn, &pm) || pm.action == POL_PASSTHRU)
		return POL_PASS;
	if (pm.action == POL_BLOCK) {
		/* the whole chain goes: the answer is the block answer for the
		 * query's name (owner qname, the question's own spelling) */
		tern_msgw_rollback(m, start);
		m->truncated = false;
		db_qname qq;
		db_qname_init(&qq, qname);
		return policy_apply(view, &pm, &qq, qname, qtype, tcp, m, rcode, ede, name);
	}
	/* an RPZ action at target: the CNAMEs so far stay */
	return policy_apply(view, &pm, &qn, target, qtype, tcp, m, rcode, ede, name);
}
