/* yaml.c: +yaml. */
#include <stdio.h>

#include "client/client.h"

int cli_print_yaml(struct cli *c, const struct cli_query *q, FILE *out)
{
	return cli_print_reply(c, q, out);
}
