/* tern/error.h: the one error type of libtern and everything built on it.
 *
 * 0 is success; negative values are errors: -errno for system errors
 * (-ENOMEM, -ENOENT, ...) and the TERN_E* codes below for DNS-specific ones.
 * Fallible functions are marked TERN_WUR so a forgotten check is a warning
 * (and so, with -Werror, a build failure). */
#ifndef TERN_ERROR_H
#define TERN_ERROR_H

#define TERN_WUR __attribute__((warn_unused_result))

enum {
	TERN_OK = 0,
	TERN_EMALFORMED = -1000, /* input bytes are not a valid encoding */
	TERN_ESPACE,             /* output buffer too small */
	TERN_ENAME,              /* invalid domain name (label > 63, name > 255, bad pointer) */
	TERN_ESYNTAX,            /* text that does not parse */
	TERN_ERANGE,             /* number out of range */
	TERN_ETYPE,              /* unknown or unsupported RR type / class */
	TERN_ENOTFOUND,          /* no such item */
	TERN_EINCLUDE,           /* $INCLUDE too deep or not allowed */
	TERN_ELIMIT,             /* a configured limit was reached */
	TERN_EZONE,              /* zone content fails a semantic check */
	TERN_ECONFIG,            /* configuration error */
};

/* A static, human-readable description of any error code (system or TERN_E*). */
const char *tern_strerror(int err);

#endif
