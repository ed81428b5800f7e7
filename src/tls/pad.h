/* pad.h: EDNS(0) padding of responses sent over an encrypted transport
 * (RFC 7830, RFC 8467 4.1's block-length policy: responses padded to a
 * multiple of 468 octets), so their size tells an observer less. */
#ifndef TERN_TLS_PAD_H
#define TERN_TLS_PAD_H

#include <stddef.h>
#include <stdint.h>

#define TLS_PAD_BLOCK 468

/* Pads the response msg (len bytes, room for cap) in place with a Padding
 * option (code 12, zeros) in its OPT record, so that its length is a
 * multiple of TLS_PAD_BLOCK. Only a response whose last record is its OPT
 * is padded (no EDNS: the client cannot read the option; a TSIG after the
 * OPT signs the bytes as they are), and only when the result fits cap and
 * 65535. RFC 7830 3: a responder MUST pad when the query was padded and
 * MAY when the query had EDNS; ternd pads every EDNS response over TLS.
 * Returns the new length (len when nothing was done). */
size_t tls_pad_response(uint8_t *msg, size_t len, size_t cap);

#endif
