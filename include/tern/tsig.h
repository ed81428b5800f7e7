/* tern/tsig.h: transaction signatures (TSIG, RFC 8945) with HMAC keys.
 *
 * No sockets, no threads, no globals: keys are plain values, and a
 * tern_tsig_ctx carries what one exchange needs (the key, the prior MAC,
 * how many messages went by). The HMACs come from OpenSSL 3's libcrypto
 * (EVP_MAC "HMAC"); MACs are compared in constant time (CRYPTO_memcmp).
 *
 * Sending side (a client's request, or a server's response):
 *     tern_tsig_ctx_init(&c, key);        // or tern_tsig_verify_request
 *     ... compose the message (counts written) ...
 *     tern_tsig_sign(&c, buf, len, cap, now, &len);   // appends the TSIG RR
 * Receiving side (a response to a signed request, or a whole transfer):
 *     tern_tsig_verify(&c, pkt, len, now);  // per message, in order
 *     ...  at the end: tern_tsig_ctx_done(&c) says whether the last
 *          message was signed; tern_tsig_ctx_free(&c) releases the digest.
 * A server verifying a request looks the key up in its keyring:
 *     tern_tsig_verify_request(&c, keys, nkeys, pkt, len, tsig_off, now)
 * and then signs its answer (or its error answer) with the same context. */
#ifndef TERN_TSIG_H
#define TERN_TSIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tern/error.h"
#include "tern/name.h"

#define TERN_TSIG_MAC_MAX 64      /* HMAC-SHA512 */
#define TERN_TSIG_SECRET_MAX 512  /* bytes of a key's secret */
#define TERN_TSIG_FUDGE 300       /* seconds; RFC 8945 10 recommends 300 */
/* RFC 8945 5.3.1 lets a receiver accept up to 99 unsigned messages in a
 * row between signed ones; BIND's transfer-in accepts 100 (xfrin.c,
 * sincetsig > 100), and so do we. */
#define TERN_TSIG_MAX_UNSIGNED 100

/* The TSIG Error field (RFC 8945 3). */
enum {
	TERN_TSIG_NOERROR = 0,
	TERN_TSIG_BADSIG = 16,
	TERN_TSIG_BADKEY = 17,
	TERN_TSIG_BADTIME = 18,
	TERN_TSIG_BADTRUNC = 22,
};

enum tern_tsig_alg {
	TERN_TSIG_HMAC_MD5,
	TERN_TSIG_HMAC_SHA1,
	TERN_TSIG_HMAC_SHA224,
	TERN_TSIG_HMAC_SHA256,
	TERN_TSIG_HMAC_SHA384,
	TERN_TSIG_HMAC_SHA512,
};

typedef struct tern_tsig_key {
	uint8_t name[TERN_NAME_MAX]; /* wire, lower case (RFC 8945 4.3.3: canonical) */
	enum tern_tsig_alg alg;
	uint8_t secret[TERN_TSIG_SECRET_MAX];
	size_t secret_len;           /* >= 1 */
} tern_tsig_key;

/* "hmac-sha256" (any case, with or without the trailing dot; hmac-md5 also
 * as "hmac-md5.sig-alg.reg.int"). Returns 0 or TERN_ETYPE. */
TERN_WUR int tern_tsig_alg_from_text(const char *s, enum tern_tsig_alg *out);
/* "hmac-sha256", ... (the configuration's and dig's spelling). */
const char *tern_tsig_alg_text(enum tern_tsig_alg alg);
/* The algorithm's name in wire form (RFC 8945 6: "hmac-sha256." and so on;
 * "hmac-md5.sig-alg.reg.int." for MD5). */
const uint8_t *tern_tsig_alg_wire(enum tern_tsig_alg alg);
/* Full MAC length in bytes (16 for MD5 ... 64 for SHA512). */
size_t tern_tsig_alg_mac_len(enum tern_tsig_alg alg);

/* Fills k from text: name (a domain name), alg (as tern_tsig_alg_from_text;
 * NULL means hmac-sha256) and a base64 secret. Returns 0, TERN_ENAME,
 * TERN_ETYPE (algorithm), TERN_ESYNTAX (base64) or TERN_ERANGE (secret
 * empty or longer than TERN_TSIG_SECRET_MAX). */
TERN_WUR int tern_tsig_key_from_text(tern_tsig_key *k, const char *name, const char *alg, const char *secret_b64);

/* The key named name (case-insensitive) in keys[0..n), or NULL. */
const tern_tsig_key *tern_tsig_key_find(const tern_tsig_key *keys, size_t n, const uint8_t *name);

/* A TSIG RR as read from a message (RFC 8945 4.2). */
typedef struct tern_tsig_rr {
	size_t start;                /* offset of the RR: the message without it ends here */
	uint8_t name[TERN_NAME_MAX]; /* the key name, as sent */
	uint8_t alg[TERN_NAME_MAX];  /* the algorithm name, as sent */
	uint64_t time_signed;        /* 48 bits, seconds since the epoch */
	uint16_t fudge;
	uint16_t mac_len;
	const uint8_t *mac;          /* points into the message */
	uint16_t orig_id, error, other_len;
	const uint8_t *other;        /* points into the message */
} tern_tsig_rr;

/* Finds the TSIG RR of a message. Returns 1 with rr filled, 0 when there
 * is none, or TERN_EMALFORMED: the message does not walk, or a TSIG is
 * anywhere but as the last record of the additional section, or there are
 * two, or its CLASS is not ANY, its TTL not 0, its RDATA malformed (RFC
 * 8945 5.1: such a message gets FORMERR). */
TERN_WUR int tern_tsig_find(const uint8_t *pkt, size_t len, tern_tsig_rr *rr);

/* Reads the TSIG RR that starts at offset off and ends the message (a
 * parser that already walked the message found it there). Returns 0 or
 * TERN_EMALFORMED (also for CLASS not ANY, TTL not 0, or trailing bytes). */
TERN_WUR int tern_tsig_read(const uint8_t *pkt, size_t len, size_t off, tern_tsig_rr *rr);

/* One exchange: a request and its response, or a transfer's messages. */
typedef struct tern_tsig_ctx {
	const tern_tsig_key *key;   /* NULL: the request named no key we have */
	uint8_t mac[TERN_TSIG_MAC_MAX]; /* the prior MAC (request MAC, then each message's) */
	uint16_t mac_len;           /* 0: none yet (signing a request) */
	unsigned nsigned;           /* messages this side signed (the first gets all variables) */
	unsigned nverified;         /* messages this side received and accepted, signed or not */
	unsigned unsigned_run;      /* unsigned messages received since the last signed one */
	/* for error answers (RFC 8945 5.3.2): what the request said */
	uint16_t error;             /* the TSIG error to answer with, 0 if none */
	uint64_t req_time;          /* the request's Time Signed (echoed with BADTIME) */
	uint8_t req_name[TERN_NAME_MAX], req_alg[TERN_NAME_MAX];
	uint16_t peer_error;        /* after tern_tsig_verify: the error a peer reported */
	void *run;                  /* running digest over unsigned messages (EVP_MAC_CTX) */
} tern_tsig_ctx;

/* Starts an exchange signed or verified with key. */
void tern_tsig_ctx_init(tern_tsig_ctx *c, const tern_tsig_key *key);
/* Releases the running digest, if any (safe to call twice). */
void tern_tsig_ctx_free(tern_tsig_ctx *c);
/* True when the messages verified so far end with a signed one (RFC 8945
 * 5.3.1: the last message of a transfer must be signed). */
bool tern_tsig_ctx_done(const tern_tsig_ctx *c);

/* Appends a TSIG RR to the finished message msg[0..len) (its header
 * counts already written) and adds one to ARCOUNT, writing at most cap
 * bytes. The MAC covers (RFC 8945 4.3): the prior MAC if there is one,
 * the message, then all TSIG variables for the first message of the
 * exchange, or only the timers (Time Signed, Fudge) for later ones (5.3.1).
 * With c->error set (an error answer, 5.3.2): BADKEY and BADSIG get an
 * unsigned TSIG (no MAC) naming the request's key and algorithm; BADTIME a
 * signed one whose Time Signed is the request's and whose Other Data is our
 * time (now). Returns 0 with *outlen set, TERN_ESPACE, or TERN_EMALFORMED. */
TERN_WUR int tern_tsig_sign(tern_tsig_ctx *c, uint8_t *msg, size_t len, size_t cap, uint64_t now, size_t *outlen);

/* Bytes tern_tsig_sign appends for c (so a composer can keep room). */
size_t tern_tsig_sign_size(const tern_tsig_ctx *c);

/* Verifies the next message of an exchange signed with c->key: the
 * response to a request c signed, or each message of a transfer in turn.
 * Returns 0 when the message is good (signed and verified, or an unsigned
 * message between signed ones, which is digested for the next MAC: up to
 * TERN_TSIG_MAX_UNSIGNED in a row); TERN_EMALFORMED when the message or
 * its TSIG is malformed, or the first message is unsigned, or too many
 * were unsigned; a positive TSIG error (TERN_TSIG_BADKEY: another key or
 * algorithm; TERN_TSIG_BADSIG: wrong MAC, or a MAC shorter than allowed;
 * TERN_TSIG_BADTIME: Time Signed further than its fudge from now), or the
 * error the peer reported in its TSIG (then also in c->peer_error). */
TERN_WUR int tern_tsig_verify(tern_tsig_ctx *c, const uint8_t *pkt, size_t len, uint64_t now);

/* A server's check of a request whose TSIG RR starts at tsig_off (the
 * last record; tern_query_parse found it). Sets c up for the answer:
 * Returns 0 when verified (c->key is the key; sign the answer with c);
 * TERN_EMALFORMED for FORMERR (answer unsigned, RFC 8945 5.1, 5.2.2.1:
 * a MAC longer than the hash or shorter than allowed); or the TSIG error
 * (BADKEY, BADSIG, BADTIME; also in c->error) for a NOTAUTH answer, which
 * tern_tsig_sign then writes as RFC 8945 5.3.2 says. The order of checks
 * is RFC 8945 5.2: key, MAC, time. */
TERN_WUR int tern_tsig_verify_request(tern_tsig_ctx *c, const tern_tsig_key *keys, size_t nkeys,
                                      const uint8_t *pkt, size_t len, size_t tsig_off, uint64_t now);

#endif
