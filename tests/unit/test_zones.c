/* test_zones.c: zone versions that change at run time (docs/architecture.md,
 * "Zones that change at run time"): a zone set built after one zone
 * changed shares the others; references are dropped when versions go;
 * a zone that fails to load keeps its previous version or becomes a
 * version without data. Run under ASan, a missed or extra reference is a
 * leak or a use after free. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/server.h"
#include "server/zones.h"
#include "xfr/catalog.h"
#include "xfr/catalog_config.h"

static int name_of(const char *text, uint8_t out[TERN_NAME_MAX])
{
	char abs[300];
	snprintf(abs, sizeof abs, "%s.", text);
	size_t len;
	return tern_name_from_text(abs, strlen(abs), NULL, out, &len);
}

static const char *zone_text(char *buf, size_t cap, const char *origin, unsigned serial)
{
	snprintf(buf, cap,
	         "$ORIGIN %s.\n$TTL 60\n@ SOA ns hm %u 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\n", origin,
	         serial);
	return buf;
}

static db_zone *zone_of(const char *origin, unsigned serial)
{
	char text[512];
	uint8_t o[TERN_NAME_MAX];
	assert_int_equal(name_of(origin, o), 0);
	db_diag d = {0};
	db_zone *z = zone_load_string(o, origin, zone_text(text, sizeof text, origin, serial), &d);
	assert_non_null(z);
	return z;
}

static version *version_with(db_zone **zones, size_t n)
{
	version *v = calloc(1, sizeof *v);
	assert_non_null(v);
	v->cfg_refs = malloc(sizeof *v->cfg_refs);
	atomic_init(v->cfg_refs, 1);
	config_init(&v->cfg);
	db_zone **arr = calloc(n, sizeof *arr);
	memcpy(arr, zones, n * sizeof *arr);
	v->zones = db_set_new(arr, n);
	return v;
}

static const db_zone *get(const version *v, const char *origin)
{
	uint8_t o[TERN_NAME_MAX];
	assert_int_equal(name_of(origin, o), 0);
	return db_set_get(v->zones, o);
}

static void test_replace_shares_the_other_zones(void **state)
{
	(void)state;
	db_zone *a = zone_of("a.test", 1), *b = zone_of("b.test", 1);
	server s;
	memset(&s, 0, sizeof s);
	pthread_mutex_init(&s.change_lock, NULL);
	atomic_store(&s.current, version_with((db_zone *[]){a, b}, 2));
	zone_ref(b); /* held by this test too */
	db_zone *a2 = zone_of("a.test", 2);
	assert_int_equal(server_replace_zone(&s, a2), 0);
	version *v = atomic_load(&s.current);
	assert_ptr_equal(get(v, "a.test"), a2);
	assert_ptr_equal(get(v, "b.test"), b); /* shared, not reloaded */
	assert_int_equal(atomic_load(&b->refs), 2);
	/* a zone not served yet is added */
	assert_int_equal(server_replace_zone(&s, zone_of("c.test", 7)), 0);
	v = atomic_load(&s.current);
	assert_int_equal(v->zones->nzones, 3);
	assert_int_equal(get(v, "c.test")->serial, 7);
	assert_ptr_equal(get(v, "a.test"), a2);
	version_free(v);
	assert_int_equal(atomic_load(&b->refs), 1);
	zone_unref(b);
	pthread_mutex_destroy(&s.change_lock);
}

/* Several zones at once: replaced where served, added where not, the
 * others shared; and removed again (server_remove_zone). */
static void test_replace_and_remove_many(void **state)
{
	(void)state;
	db_zone *a = zone_of("a.test", 1), *b = zone_of("b.test", 1);
	server s;
	memset(&s, 0, sizeof s);
	pthread_mutex_init(&s.change_lock, NULL);
	atomic_store(&s.current, version_with((db_zone *[]){a, b}, 2));
	db_zone *many[] = {zone_of("d.test", 4), zone_of("a.test", 2), zone_of("c.test", 3)};
	assert_int_equal(server_replace_zones(&s, many, 3), 0);
	version *v = atomic_load(&s.current);
	assert_int_equal(v->zones->nzones, 4);
	assert_int_equal(get(v, "a.test")->serial, 2);
	assert_ptr_equal(get(v, "b.test"), b);
	assert_int_equal(get(v, "c.test")->serial, 3);
	assert_int_equal(get(v, "d.test")->serial, 4);
	uint8_t o[TERN_NAME_MAX];
	assert_int_equal(name_of("c.test", o), 0);
	assert_int_equal(server_remove_zone(&s, o), 0);
	assert_int_equal(server_remove_zone(&s, o), 1); /* not served any more */
	v = atomic_load(&s.current);
	assert_int_equal(v->zones->nzones, 3);
	assert_null(get(v, "c.test"));
	assert_ptr_equal(get(v, "b.test"), b);
	version_free(v);
	pthread_mutex_destroy(&s.change_lock);
}

static void test_derived_versions_share_the_configuration(void **state)
{
	(void)state;
	version *v = version_with((db_zone *[]){zone_of("a.test", 1)}, 1);
	assert_int_equal(config_add_listen(&v->cfg, "127.0.0.1:5353", "test"), 0);
	version *d = version_derive(v);
	d->zones = db_set_new(calloc(1, sizeof(db_zone *)), 0);
	assert_ptr_equal(d->cfg.listen, v->cfg.listen);
	version_free(v); /* the listen array lives on in d */
	assert_string_equal(d->cfg.listen[0].text, "127.0.0.1:5353");
	version_free(d);
}

static void diag_quiet(void *user, bool error, const char *file, unsigned line, const char *msg)
{
	(void)user, (void)error, (void)file, (void)line, (void)msg;
}

static void test_load_keeps_the_previous_version_of_a_broken_zone(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_zones.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char pa[300], pb[300], text[512];
	snprintf(pa, sizeof pa, "%s/a.zone", dir);
	snprintf(pb, sizeof pb, "%s/b.zone", dir);
	FILE *f = fopen(pa, "w");
	fputs(zone_text(text, sizeof text, "a.test", 3), f);
	fclose(f);
	f = fopen(pb, "w");
	fputs("garbage that is no zone\n", f);
	fclose(f);
	config c;
	config_init(&c);
	assert_int_equal(config_add_zone(&c, "a.test", pa, "test"), 0);
	assert_int_equal(config_add_zone(&c, "b.test", pb, "test"), 0);
	db_diag d = {.fn = diag_quiet};
	unsigned failed;
	db_set *s1 = zones_load(&c, NULL, NULL, &d, &failed);
	assert_non_null(s1);
	assert_int_equal(failed, 1);
	uint8_t ob[TERN_NAME_MAX];
	assert_int_equal(name_of("b.test", ob), 0);
	assert_false(zone_has_data(db_set_get(s1, ob))); /* configured, no data */
	/* now a breaks and b is mended */
	f = fopen(pa, "w");
	fputs("broken\n", f);
	fclose(f);
	f = fopen(pb, "w");
	fputs(zone_text(text, sizeof text, "b.test", 9), f);
	fclose(f);
	db_set *s2 = zones_load(&c, s1, NULL, &d, &failed);
	assert_int_equal(failed, 1);
	uint8_t oa[TERN_NAME_MAX];
	assert_int_equal(name_of("a.test", oa), 0);
	assert_ptr_equal(db_set_get(s2, oa), db_set_get(s1, oa)); /* the same version, shared */
	assert_int_equal(db_set_get(s2, oa)->serial, 3);
	assert_int_equal(db_set_get(s2, ob)->serial, 9);
	db_set_free(s1);
	assert_int_equal(db_set_get(s2, oa)->serial, 3); /* still alive */
	db_set_free(s2);
	config_free(&c);
	unlink(pa);
	unlink(pb);
	rmdir(dir);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A producer's catalog (RFC 9432) is made by zones_load from the zones
 * that name it: kept (the same version) while they stay the same, a new
 * serial when one is added; nothing is written under --check. */
static void test_producer_catalog(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_zones.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char pa[300], pb[300], pc[300], text[512];
	snprintf(pa, sizeof pa, "%s/a.zone", dir);
	snprintf(pb, sizeof pb, "%s/b.zone", dir);
	snprintf(pc, sizeof pc, "%s/cat.zone", dir);
	write_file(pa, zone_text(text, sizeof text, "a.test", 1));
	write_file(pb, zone_text(text, sizeof text, "b.test", 1));
	config c;
	config_init(&c);
	assert_int_equal(config_add_zone(&c, "cat.invalid", pc, "test"), 0);
	assert_int_equal(config_add_zone(&c, "a.test", pa, "test"), 0);
	cfg_catalog *prod = calloc(1, sizeof *prod), *mem = calloc(1, sizeof *mem);
	prod->role = CATALOG_PRODUCER;
	mem->member = true;
	assert_int_equal(name_of("cat.invalid", mem->of), 0);
	c.zones[0].catalog = prod;
	c.zones[1].catalog = mem;
	db_diag d = {.fn = diag_quiet};
	unsigned failed;
	zones_env check = {.check = true};
	db_set *s0 = zones_load(&c, NULL, &check, &d, &failed);
	assert_non_null(s0);
	assert_int_not_equal(access(pc, F_OK), 0); /* --check writes nothing */
	db_set_free(s0);
	db_set *s1 = zones_load(&c, NULL, NULL, &d, &failed);
	assert_int_equal(failed, 0);
	uint8_t cat[TERN_NAME_MAX];
	assert_int_equal(name_of("cat.invalid", cat), 0);
	const db_zone *z1 = db_set_get(s1, cat);
	const uint8_t *got[4];
	assert_int_equal(catalog_members(z1, got, 4), 1);
	assert_int_equal(access(pc, F_OK), 0); /* written for inspection */
	db_set *s2 = zones_load(&c, s1, NULL, &d, &failed);
	assert_ptr_equal(db_set_get(s2, cat), z1); /* nothing changed: the same version */
	/* b.test joins */
	assert_int_equal(config_add_zone(&c, "b.test", pb, "test"), 0);
	cfg_catalog *mem2 = calloc(1, sizeof *mem2);
	*mem2 = *mem;
	c.zones[2].catalog = mem2;
	db_set *s3 = zones_load(&c, s2, NULL, &d, &failed);
	const db_zone *z3 = db_set_get(s3, cat);
	assert_int_equal(catalog_members(z3, got, 4), 2);
	assert_true(z3->serial != z1->serial && (uint32_t)(z3->serial - z1->serial) < 0x80000000u);
	uint32_t serial3 = z3->serial;
	db_set_free(s1);
	db_set_free(s2);
	db_set_free(s3);
	/* a restart continues from the file's serial when nothing changed */
	db_set *s4 = zones_load(&c, NULL, NULL, &d, &failed);
	assert_int_equal(db_set_get(s4, cat)->serial, serial3);
	db_set_free(s4);
	config_free(&c);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* At start-up a consumer's members are the ones its catalog's disk copy
 * lists, each from its own file (or without data when it has none). */
static void test_consumer_members_from_disk(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_zones.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char pc[300], pm[300], text[512];
	snprintf(pc, sizeof pc, "%s/cat.zone", dir);
	snprintf(pm, sizeof pm, "%s/a.test.zone", dir);
	write_file(pc, "$ORIGIN cat.invalid.\n@ 0 SOA invalid. invalid. 7 3600 600 86400 0\n@ 0 NS invalid.\n"
	               "version 0 TXT \"2\"\nx.zones 0 PTR a.test.\ny.zones 0 PTR b.test.\nr.zones 0 PTR .\n");
	write_file(pm, zone_text(text, sizeof text, "a.test", 5));
	config c;
	config_init(&c);
	assert_int_equal(config_add_zone(&c, "cat.invalid", pc, "test"), 0);
	cfg_catalog *cons = calloc(1, sizeof *cons);
	cons->role = CATALOG_CONSUMER;
	cons->max_members = 10;
	c.zones[0].catalog = cons;
	db_diag d = {.fn = diag_quiet};
	unsigned failed;
	db_set *s = zones_load(&c, NULL, NULL, &d, &failed);
	assert_non_null(s);
	uint8_t a[TERN_NAME_MAX], b[TERN_NAME_MAX], root[1] = {0};
	assert_int_equal(name_of("a.test", a), 0);
	assert_int_equal(name_of("b.test", b), 0);
	assert_int_equal(db_set_get(s, a)->serial, 5);
	assert_non_null(db_set_get(s, b));
	assert_false(zone_has_data(db_set_get(s, b)));
	assert_null(db_set_get(s, root)); /* refused */
	assert_int_equal(s->nzones, 3);
	db_set_free(s);
	config_free(&c);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* A zone without data (a secondary or catalog member before its first
 * transfer) in both sets of a reload: nothing to compare (the digest of a
 * zone without a table crashed ternd on SIGHUP). */
static void test_reload_check_with_zones_without_data(void **state)
{
	(void)state;
	uint8_t o[TERN_NAME_MAX];
	assert_int_equal(name_of("e.test", o), 0);
	db_zone *e = zone_new_empty(o, "e.zone"), *e2 = zone_new_empty(o, "e.zone");
	db_zone **a1 = calloc(1, sizeof *a1), **a2 = calloc(1, sizeof *a2);
	a1[0] = zone_ref(e);
	a2[0] = e2;
	db_set *s1 = db_set_new(a1, 1), *s2 = db_set_new(a2, 1);
	db_diag d = {.fn = diag_quiet};
	db_set_check_reload(s1, s1, &d); /* the same version */
	db_set_check_reload(s1, s2, &d); /* two without data */
	assert_int_equal(d.warnings, 0);
	db_set_free(s1);
	db_set_free(s2);
	zone_unref(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replace_shares_the_other_zones),
		cmocka_unit_test(test_replace_and_remove_many),
		cmocka_unit_test(test_derived_versions_share_the_configuration),
		cmocka_unit_test(test_load_keeps_the_previous_version_of_a_broken_zone),
		cmocka_unit_test(test_producer_catalog),
		cmocka_unit_test(test_consumer_members_from_disk),
		cmocka_unit_test(test_reload_check_with_zones_without_data),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
