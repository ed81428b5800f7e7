/* fuzz_dscheck.c: a parent server's answer to ternd's DS question
 * (src/server/ds_check.c, dnssec-parent), from the network.
 *
 * Input: a DNS message; its own ID is taken as the question's, the origin
 * is roll.test. and the key a fixed ECDSA KSK of it. Checks: a result in
 * -1..1; 1 only when the message parses, is a response, asks roll.test. DS
 * and holds a DS of roll.test. in its answer section (the key's tag, 21372,
 * algorithm 13); the same answer with another ID is -1. */
#include <string.h>

#include "fuzz.h"
#include "server/ds_check.h"
#include "tern/wire.h"

static const uint8_t origin[] = "\4roll\4test";
/* DNSKEY 257 3 13 (64 bytes of key) */
static const uint8_t key[] = {1,  1,   3,   13,  0x8f, 0x2a, 0x1c, 0x55, 0x3b, 0xc4, 0x1e, 0x07, 0x6d, 0x94, 0x2e, 0x11,
                              0x5a, 0x73, 0x08, 0xd1, 0x44, 0x9e, 0x62, 0xb0, 0x37, 0xca, 0x19, 0x85, 0xfe, 0x21, 0x4d,
                              0x90, 0x6b, 0x13, 0xaa, 0x58, 0x0c, 0xe7, 0x72, 0x3f, 0x9b, 0x04, 0xd6, 0x61, 0x28, 0xb3,
                              0x5e, 0x87, 0x1a, 0xcf, 0x40, 0x95, 0x2d, 0x7e, 0xe3, 0x06, 0xb8, 0x49, 0x33, 0x9a, 0x6f,
                              0x12, 0xd4, 0x57, 0xa0, 0x8c, 0x3d, 0xf1};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	uint16_t id = tern_get_u16(data);
	int r = ds_check_answer(data, size, id, origin, key, sizeof key);
	FUZZ_CHECK(r >= -1 && r <= 1);
	if (r == 1)
		FUZZ_CHECK(size > 12 && (data[2] & 0x80));
	FUZZ_CHECK(ds_check_answer(data, size, (uint16_t)(id + 1), origin, key, sizeof key) == -1);
	return 0;
}
