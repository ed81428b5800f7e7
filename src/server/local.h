/* local.h: local records, answered before zones and the cache. */
#ifndef TERN_SERVER_LOCAL_H
#define TERN_SERVER_LOCAL_H

#include "db/zone.h"
#include "server/config.h"

/* Builds the local records of c into *out (NULL when there are none).
 * Returns 0, or -1 after logging every error as file:line. */
int local_build(const config *c, db_zone **out);

#endif
