/* error.c: messages for the error codes of tern/error.h. */
#include <string.h>

#include "tern/error.h"

const char *tern_strerror(int err)
{
	switch (err) {
	case TERN_OK: return "success";
	case TERN_EMALFORMED: return "malformed data";
	case TERN_ESPACE: return "not enough space";
	case TERN_ENAME: return "invalid domain name";
	case TERN_ESYNTAX: return "syntax error";
	case TERN_ERANGE: return "value out of range";
	case TERN_ETYPE: return "unknown or unsupported type";
	case TERN_ENOTFOUND: return "not found";
	case TERN_EINCLUDE: return "$INCLUDE not allowed or too deep";
	case TERN_ELIMIT: return "limit reached";
	case TERN_EZONE: return "zone content error";
	case TERN_ECONFIG: return "configuration error";
	}
	if (err < 0 && err > -1000)
		return strerror(-err);
	return "unknown error";
}
