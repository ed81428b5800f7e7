/* tern/msg.h: DNS messages (RFC 1035 4.1) and EDNS(0) (RFC 6891).
 *
 * Three tools:
 *  - tern_query_parse: the server's strict parse of an incoming query;
 *  - tern_msgw: composes a message (question, RRs with compression, OPT),
 *    with marks to roll back an RRset that did not fit (truncation);
 *  - tern_msg_iter: walks every record of any message (client, forwarder);
 *    tern_msg_edns reads the EDNS of any message on top of it. */
#ifndef TERN_MSG_H
#define TERN_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tern/error.h"
#include "tern/name.h"
#include "tern/rr.h"
#include "tern/wire.h"

#define TERN_HDR_LEN 12
#define TERN_UDP_MIN 512         /* RFC 1035 4.2.1 */
#define TERN_EDNS_SIZE 1232      /* DNS Flag Day 2020 */
#define TERN_MSG_MAX 65535

/* Header flags in the 16-bit word after the ID. */
#define TERN_F_QR 0x8000u
#define TERN_F_AA 0x0400u
#define TERN_F_TC 0x0200u
#define TERN_F_RD 0x0100u
#define TERN_F_RA 0x0080u
#define TERN_F_AD 0x0020u
#define TERN_F_CD 0x0010u
#define TERN_OPCODE(f) (((f) >> 11) & 0xfu)
#define TERN_RCODE(f) ((f) & 0xfu)

enum tern_opcode { TERN_OP_QUERY = 0, TERN_OP_IQUERY = 1, TERN_OP_STATUS = 2, TERN_OP_NOTIFY = 4, TERN_OP_UPDATE = 5 };

enum tern_rcode {
	TERN_R_NOERROR = 0,
	TERN_R_FORMERR = 1,
	TERN_R_SERVFAIL = 2,
	TERN_R_NXDOMAIN = 3,
	TERN_R_NOTIMP = 4,
	TERN_R_REFUSED = 5,
	TERN_R_YXDOMAIN = 6,
	TERN_R_NOTAUTH = 9,
	TERN_R_BADVERS = 16, /* extended: needs OPT */
	TERN_R_BADCOOKIE = 23,
};
const char *tern_rcode_name(unsigned rcode); /* "NOERROR", ..., or NULL */

enum tern_section { TERN_S_QUESTION = 0, TERN_S_ANSWER = 1, TERN_S_AUTHORITY = 2, TERN_S_ADDITIONAL = 3 };

/* EDNS option codes */
#define TERN_OPT_NSID 3
#define TERN_OPT_EXPIRE 9 /* RFC 7314 */
#define TERN_OPT_COOKIE 10
#define TERN_OPT_EDE 15 /* Extended DNS Errors (RFC 8914) */

/* Extended DNS Error INFO-CODEs (RFC 8914 4) that tern gives. */
enum tern_ede {
	TERN_EDE_OTHER = 0,
	TERN_EDE_STALE = 3,            /* Stale Answer */
	TERN_EDE_DNSSEC_BOGUS = 6,     /* DNSSEC Bogus (RFC 8914 4.7) */
	TERN_EDE_CACHED_ERROR = 13,    /* the failure was cached (RFC 9520) */
	TERN_EDE_PROHIBITED = 18,
	TERN_EDE_STALE_NXDOMAIN = 19,  /* Stale NXDOMAIN Answer */
	TERN_EDE_NOT_AUTHORITATIVE = 20,
	TERN_EDE_NOT_SUPPORTED = 21,
	TERN_EDE_NO_REACHABLE_AUTHORITY = 22,
	TERN_EDE_NETWORK_ERROR = 23,
};

typedef struct tern_hdr {
	uint16_t id, flags;
	uint16_t count[4]; /* indexed by tern_section */
} tern_hdr;

/* What the server needs of a query. */
typedef struct tern_query {
	tern_hdr hdr;
	uint8_t qname[TERN_NAME_MAX]; /* case as sent */
	size_t qname_len;
	uint16_t qtype, qclass;
	size_t question_end; /* offset just past the question */
	/* EDNS */
	bool edns;           /* an OPT record was present */
	uint8_t edns_version;
	bool edns_do;
	uint16_t edns_size;  /* advertised payload size, as sent */
	bool nsid;           /* NSID option present */
	bool expire;         /* EXPIRE option present (RFC 7314) */
	uint8_t cookie[40];  /* client cookie (8) + server cookie (8..32) */
	uint8_t cookie_len;  /* 0 if none */
	/* TSIG (RFC 8945): offset of the TSIG RR, the last record of the
	 * additional section; 0 if none (tern_tsig_verify_request checks it) */
	size_t tsig_off;
} tern_query;

/* Result of tern_query_parse: what to do with the packet. */
enum tern_qparse {
	TERN_Q_OK = 0,      /* a well-formed QUERY or NOTIFY (see the opcode): answer it */
	TERN_Q_DROP,        /* send nothing (a response, or too short for a header) */
	TERN_Q_FORMERR,     /* answer FORMERR (question echoed if it parsed) */
	TERN_Q_NOTIMP,      /* answer NOTIMP: opcode other than QUERY and NOTIFY */
	TERN_Q_BADVERS,     /* answer BADVERS: EDNS version above 0 */
};

/* Parses an incoming query. Fills q as far as it got (q->question_end is 0
 * if the question did not parse). Rules: QR=1 or < 12 bytes: drop; QDCOUNT
 * != 1, a bad question, bad records, more than one OPT, an OPT outside the
 * additional section or not owned by the root, a TSIG anywhere but as the
 * last record of the additional section (RFC 8945 5.1), or trailing bytes:
 * FORMERR. */
enum tern_qparse tern_query_parse(const uint8_t *pkt, size_t len, tern_query *q);

/* ---- composing ---- */

typedef struct tern_msgw {
	tern_wr w;
	tern_ctab ct;
	uint16_t count[4];
	size_t limit;     /* RRs must end at or before this offset (room for OPT kept aside) */
	bool truncated;   /* an RRset was left out for lack of room */
	uint16_t owner_ptr; /* after tern_msgw_rr: where the owner it wrote can be
	                       pointed to (its literal start, or the pointer it
	                       became); 0 if it cannot (the root, offset >= 0x4000) */
	uint16_t rdata_ptr; /* after tern_msgw_rr(_ptr): the same for the last name
	                       in the RDATA of the types tern_rdata_compressible
	                       names; else 0 */
	const uint8_t *qname; /* the buffer tern_msgw_question wrote from (compared
	                         by address only, never read) */
} tern_msgw;

typedef struct tern_msgw_mark {
	size_t pos;
	unsigned ct_n;
	uint16_t count[4];
} tern_msgw_mark;

/* Starts a message in buf (cap bytes) with id and flags; RRs may use at most
 * limit bytes in all (limit <= cap; the rest is for the OPT record). The
 * header's counts are written by tern_msgw_finish. */
void tern_msgw_init(tern_msgw *m, uint8_t *buf, size_t cap, size_t limit, uint16_t id, uint16_t flags);
/* Writes the question; the name's case is kept as given. An RR whose owner
 * is later given as this same buffer (same address) is written with a
 * pointer to the question, without a search: the buffer must keep the name
 * while m is written. */
int tern_msgw_question(tern_msgw *m, const uint8_t *qname, uint16_t qtype, uint16_t qclass);
/* Appends one RR. Returns 0, or TERN_ESPACE if it would pass the limit (the
 * message is then unchanged: roll back to a mark to drop a partial RRset).
 * Names in the RDATA of the RFC 1035 types (NS, CNAME, SOA, PTR, MX, ...)
 * are compressed (RFC 3597 4); other RDATA is copied as it is, and so is
 * RDATA of those types that is not a valid uncompressed encoding. */
int tern_msgw_rr(tern_msgw *m, enum tern_section s, const uint8_t *owner, uint16_t type, uint16_t cls,
                 uint32_t ttl, const uint8_t *rdata, size_t rdlen);
/* The same with the owner given as the offset of a name already in the
 * message (a compression pointer is written): for the further records of an
 * RRset (m->owner_ptr after the first) or an owner equal to the question's
 * name (at TERN_HDR_LEN). */
int tern_msgw_rr_ptr(tern_msgw *m, enum tern_section s, uint16_t owner_off, uint16_t type, uint16_t cls,
                     uint32_t ttl, const uint8_t *rdata, size_t rdlen);
/* n bytes of records to write by hand below the limit, or NULL if they do
 * not fit (the message is then unchanged). The caller counts the records. */
static inline uint8_t *tern_msgw_take(tern_msgw *m, size_t n)
{
	if (m->w.err || m->w.pos > m->limit || m->limit - m->w.pos < n)
		return NULL;
	uint8_t *q = m->w.p + m->w.pos;
	m->w.pos += n;
	return q;
}

/* True for the types whose RDATA holds names a sender compresses (RFC 3597
 * 4: those of RFC 1035); any other RDATA goes into a message as it is. */
static inline bool tern_rdata_compressible(uint16_t type)
{
	switch (type) {
	case TERN_T_NS:
	case TERN_T_MD:
	case TERN_T_MF:
	case TERN_T_CNAME:
	case TERN_T_SOA:
	case TERN_T_MB:
	case TERN_T_MG:
	case TERN_T_MR:
	case TERN_T_PTR:
	case TERN_T_MINFO:
	case TERN_T_MX: return true;
	default: return false;
	}
}

tern_msgw_mark tern_msgw_get_mark(const tern_msgw *m);
void tern_msgw_rollback(tern_msgw *m, const tern_msgw_mark *mk);
/* Appends an OPT RR (may use the room above limit). ext_rcode is the full
 * 12-bit rcode (its upper 8 bits go in OPT). opts: already encoded options
 * (code, length, data)..., or NULL. */
int tern_msgw_opt(tern_msgw *m, uint16_t payload, unsigned ext_rcode, bool do_bit, const uint8_t *opts,
                  size_t optlen);
/* Sets the rcode (low 4 bits) and TC if truncated, writes the counts; returns
 * the message length or an error. */
int tern_msgw_finish(tern_msgw *m, unsigned rcode);

/* ---- reading any message ---- */

typedef struct tern_rr {
	enum tern_section section;
	uint8_t owner[TERN_NAME_MAX];
	size_t owner_len;
	uint16_t type, cls;
	uint32_t ttl;            /* 0 in the question */
	uint16_t rdlen;          /* as in the packet (may include compressed names) */
	size_t rdata_off;        /* offset of the RDATA in the packet */
} tern_rr;

typedef struct tern_msg_iter {
	tern_rd r;
	tern_hdr hdr;
	unsigned section;
	unsigned left; /* records left in this section */
} tern_msg_iter;

/* Reads the header. Returns 0 or TERN_EMALFORMED. */
TERN_WUR int tern_msg_iter_init(tern_msg_iter *it, const uint8_t *pkt, size_t len);
/* Next question entry or RR, in packet order. Returns 1 with rr filled, 0 at
 * the end, or a negative error. */
TERN_WUR int tern_msg_next(tern_msg_iter *it, tern_rr *rr);

/* ---- EDNS of any message (RFC 6891 6.1.2, 6.1.3) ---- */

/* The OPT record's fields: payload size in its CLASS; extended rcode,
 * version and flags in its TTL; options in its RDATA. */
typedef struct tern_edns {
	bool present;          /* the message has an OPT record */
	uint16_t payload;      /* the sender's UDP payload size, as sent */
	uint8_t ext_rcode;     /* upper 8 bits of the 12-bit rcode */
	uint8_t version;
	bool do_bit;           /* DNSSEC OK (RFC 3225) */
	uint16_t flags;        /* all 16 flag bits: DO is 0x8000, the rest MBZ */
	const uint8_t *opts;   /* the options, (code, length, data)..., in the packet */
	uint16_t opts_len;
} tern_edns;

/* One EDNS option; data points into the packet. */
typedef struct tern_edns_opt {
	uint16_t code, len;
	const uint8_t *data;
} tern_edns_opt;

/* Reads the EDNS of any message: the first OPT record of the additional
 * section (others, and where OPT is owned, are not checked: this is the
 * lenient reader for replies; tern_query_parse is the strict one). The
 * whole message must walk as for tern_msg_iter. Returns 0 with out filled
 * (out->present false without OPT; out->opts then NULL) or a negative
 * error. out->opts points into pkt and lives as long as it. */
TERN_WUR int tern_msg_edns(const uint8_t *pkt, size_t len, tern_edns *out);

/* The 12-bit rcode of a message: the header's 4 bits (from its flags word)
 * and, with EDNS, the upper 8 bits from OPT. */
unsigned tern_edns_rcode(const tern_edns *e, uint16_t hdr_flags);

/* Walks the options of e; *pos is 0 before the first call. Returns 1 with
 * opt filled, 0 after the last one, or TERN_EMALFORMED when what is left is
 * not a whole option: opt->code and opt->len are then those of the option
 * header if it was complete (opt->len more than the bytes left, and
 * opt->data NULL), else all 0. */
TERN_WUR int tern_edns_next_opt(const tern_edns *e, size_t *pos, tern_edns_opt *opt);

/* One RR as a line of zone-file text, like dig:
 * "owner.\tTTL\tCLASS\tTYPE\tRDATA" (question entries: ";owner.\t\tCLASS\tTYPE").
 * Returns the length or an error. */
int tern_rr_to_text(const uint8_t *pkt, size_t len, const tern_rr *rr, char *buf, size_t cap);

#endif
