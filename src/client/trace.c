/* trace.c: +trace and +nssearch. */
#include <stdio.h>

#include "client/client.h"

int cli_trace(struct cli *c, const struct cli_query *q)
{
	(void)c;
	(void)q;
	fprintf(stderr, "tern: +trace and +nssearch are not supported yet\n");
	return CLI_EXIT_INTERNAL;
}
