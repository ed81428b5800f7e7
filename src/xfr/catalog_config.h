/* catalog_config.h: the catalog zone settings of a zone: section
 * (docs/configuration.md, "Catalog zones"; RFC 9432), close to Knot's:
 *
 *     zone:                                  # a producer's catalog
 *         name: catalog.invalid
 *         catalog-role: producer             # (Knot: generate); file: optional
 *     zone:
 *         name: example.com
 *         file: example.com.zone
 *         catalog: catalog.invalid           # a member (Knot: catalog-zone)
 *     zone:                                  # a consumer's catalog
 *         name: catalog.example
 *         file: cat/catalog.example.zone
 *         primary: 192.0.2.1:53 key k        # members use these primaries
 *         catalog-role: consumer             # (Knot: interpret)
 *         catalog-zone-dir: members          # default: the catalog file's directory
 *         catalog-max-members: 10000
 */
#ifndef TERN_XFR_CATALOG_CONFIG_H
#define TERN_XFR_CATALOG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tern/name.h"

enum catalog_role { CATALOG_NONE, CATALOG_PRODUCER, CATALOG_CONSUMER };

#define CATALOG_MAX_MEMBERS_DEFAULT 10000

typedef struct cfg_catalog {
	enum catalog_role role;
	bool member;                     /* catalog: given */
	uint8_t of[TERN_NAME_MAX];       /* the producer catalog this zone is a member of */
	char *dir;                       /* consumer: where member zones are kept (resolved), or NULL */
	size_t max_members;              /* consumer: a catalog listing more is not processed */
} cfg_catalog;

struct config;
struct cfg_zone;

/* One option of a zone: section. Returns 1 if key is not a catalog
 * option, 0 when taken into *c (made on first use), -1 after logging what
 * is wrong as where: message. conf_path: the configuration file (relative
 * directories are resolved against its directory). */
int catalog_config_option(cfg_catalog **c, const char *key, const char *val, const char *where,
                          const char *conf_path);
/* Whether a zone with these settings may omit file: (a producer). */
bool catalog_config_file_optional(const cfg_catalog *c);
/* After the whole file: catalog: names a producer zone; a consumer has a
 * primary:; a producer has none. Logs each problem; returns their count. */
int catalog_config_check(const struct config *c);
void catalog_config_free(cfg_catalog *c);

/* The role of cz (CATALOG_NONE without catalog settings). */
enum catalog_role catalog_role_of(const struct cfg_zone *cz);

/* The file a consumer catalog cz keeps member zone m in: the member
 * directory, then m's name in lower case, bytes other than letters,
 * digits, '-' and '_' as %XX, and "zone" ("example.com.zone"); a long
 * name is cut and ends with a hash. Malloc'ed, NULL when out of memory. */
char *catalog_member_file(const struct cfg_zone *cz, const uint8_t *m);

#endif
