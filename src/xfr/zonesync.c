/* zonesync.c: see zonesync.h. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db/journal.h"
#include "server/log.h"
#include "xfr/xfrin_net.h"
#include "xfr/zonesync.h"

typedef struct zfile {
	struct zfile *next;
	char *path;
	char *zname;
	db_zone *pending; /* the version to write, or NULL */
	bool writing;     /* the thread is writing it */
	bool known;       /* serial is what the file holds, while id matches */
	uint32_t serial;
	struct stat id;
} zfile;

struct zonesync {
	pthread_t thread;
	pthread_mutex_t lock;  /* everything below but io */
	pthread_cond_t work;   /* something pending, or stop */
	pthread_cond_t written;/* a write ended (the thread is idle when !busy) */
	pthread_mutex_t io;    /* one write of these files at a time */
	zfile *files;
	bool busy, stop;
};

static zfile *find(zonesync *zs, const char *path, const char *zname)
{
	for (zfile *f = zs->files; f; f = f->next)
		if (!strcmp(f->path, path))
			return f;
	zfile *f = calloc(1, sizeof *f);
	if (!f || !(f->path = strdup(path)) || !(f->zname = strdup(zname))) {
		if (f)
			free(f->path);
		free(f);
		return NULL;
	}
	f->next = zs->files;
	zs->files = f;
	return f;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Whether f's file holds serial f->serial: written by us, not changed
 * since. lock held. */
static bool holds(const zfile *f)
{
	struct stat st;
	return f->known && !stat(f->path, &st) && same_file(&st, &f->id);
}

/* Writes z to f's file; io held, lock not. Then records what it holds. */
static int write_locked(zonesync *zs, zfile *f, const db_zone *z, char *err, size_t errcap)
{
	int r = xfr_zone_save(z, f->path, err, errcap);
	struct stat st;
	bool have = !r && !stat(f->path, &st);
	pthread_mutex_lock(&zs->lock);
	f->known = have;
	if (have) {
		f->serial = z->serial;
		f->id = st;
	}
	pthread_mutex_unlock(&zs->lock);
	return r;
}

static void *run(void *arg)
{
	zonesync *zs = arg;
	/* a background task: answering and the updater come first (a 1M-name
	 * signed zone's file is 10 s of formatting) */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), 10))
		log_debug("zone-file writer: priority not lowered: %s", strerror(errno));
	pthread_mutex_lock(&zs->lock);
	for (;;) {
		zfile *f = NULL;
		for (zfile *x = zs->files; x && !f; x = x->next)
			if (x->pending)
				f = x;
		if (!f) {
			zs->busy = false;
			pthread_cond_broadcast(&zs->written);
			if (zs->stop)
				break;
			pthread_cond_wait(&zs->work, &zs->lock);
			continue;
		}
		zs->busy = true;
		f->writing = true;
		pthread_mutex_unlock(&zs->lock);
		/* io before taking the version: a write now meanwhile may
		 * have written a newer one and dropped this */
		pthread_mutex_lock(&zs->io);
		pthread_mutex_lock(&zs->lock);
		db_zone *z = f->pending;
		f->pending = NULL;
		pthread_mutex_unlock(&zs->lock);
		int r = 0;
		char err[256];
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (z)
			r = write_locked(zs, f, z, err, sizeof err);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		pthread_mutex_unlock(&zs->io);
		if (z && r)
			log_err("zone %s: serial %u not written to %s: %s (the journal keeps the change)", f->zname,
			        z->serial, f->path, err);
		else if (z)
			log_info("zone %s: serial %u written to %s in %.0f ms", f->zname, z->serial, f->path,
			         (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
		zone_unref(z);
		pthread_mutex_lock(&zs->lock);
		f->writing = false;
		pthread_cond_broadcast(&zs->written);
	}
	pthread_mutex_unlock(&zs->lock);
	return NULL;
}

zonesync *zonesync_start(void)
{
	zonesync *zs = calloc(1, sizeof *zs);
	if (!zs)
		return NULL;
	pthread_mutex_init(&zs->lock, NULL);
	pthread_mutex_init(&zs->io, NULL);
	pthread_cond_init(&zs->work, NULL);
	pthread_cond_init(&zs->written, NULL);
	if (pthread_create(&zs->thread, NULL, run, zs)) {
		pthread_mutex_destroy(&zs->lock);
		pthread_mutex_destroy(&zs->io);
		pthread_cond_destroy(&zs->work);
		pthread_cond_destroy(&zs->written);
		free(zs);
		return NULL;
	}
	return zs;
}

void zonesync_stop(zonesync *zs)
{
	if (!zs)
		return;
	pthread_mutex_lock(&zs->lock);
	zs->stop = true; /* the thread writes what is pending first */
	pthread_cond_signal(&zs->work);
	pthread_mutex_unlock(&zs->lock);
	pthread_join(zs->thread, NULL);
	while (zs->files) {
		zfile *f = zs->files;
		zs->files = f->next;
		zone_unref(f->pending);
		free(f->path);
		free(f->zname);
		free(f);
	}
	pthread_mutex_destroy(&zs->lock);
	pthread_mutex_destroy(&zs->io);
	pthread_cond_destroy(&zs->work);
	pthread_cond_destroy(&zs->written);
	free(zs);
}

/* z handed to the thread; lock held. */
static void later(zonesync *zs, zfile *f, db_zone *z)
{
	zone_unref(f->pending);
	f->pending = zone_ref(z);
	pthread_cond_signal(&zs->work);
}

int zonesync_persist(zonesync *zs, db_zone *z, const char *path, const char *zname, bool journal_ok, char *err,
                     size_t errcap)
{
	pthread_mutex_lock(&zs->lock);
	zfile *f = find(zs, path, zname);
	if (!f) {
		pthread_mutex_unlock(&zs->lock);
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	for (;;) {
		if (journal_ok && z->journal && holds(f) &&
		    (f->serial == z->serial || db_journal_find(z->journal, f->serial) >= 0)) {
			later(zs, f, z);
			pthread_mutex_unlock(&zs->lock);
			return 0;
		}
		if (!f->writing)
			break;
		/* a write of this file in flight (a start's, or the last
		 * change's) may make it known: wait for it, look again */
		pthread_cond_wait(&zs->written, &zs->lock);
	}
	pthread_mutex_unlock(&zs->lock);
	pthread_mutex_lock(&zs->io);
	pthread_mutex_lock(&zs->lock);
	db_zone *older = NULL;
	if (f->pending && !db_serial_lt(z->serial, f->pending->serial)) {
		older = f->pending; /* what this write supersedes */
		f->pending = NULL;
	}
	pthread_mutex_unlock(&zs->lock);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = write_locked(zs, f, z, err, errcap);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_mutex_unlock(&zs->io);
	zone_unref(older);
	if (!r)
		log_info("zone %s: serial %u written to %s before the answer, in %.0f ms (%s)", zname, z->serial, path,
		         (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
		         !journal_ok ? "no journal" : "the file was not known to hold a serial the journal leads from");
	return r;
}

void zonesync_prime(zonesync *zs, db_zone *z, const char *path, const char *zname)
{
	pthread_mutex_lock(&zs->lock);
	zfile *f = find(zs, path, zname);
	if (f && !(holds(f) && f->serial == z->serial) && !(f->pending && f->pending->serial == z->serial))
		later(zs, f, z);
	pthread_mutex_unlock(&zs->lock);
}

void zonesync_flush(zonesync *zs)
{
	pthread_mutex_lock(&zs->lock);
	for (;;) {
		bool pending = zs->busy;
		for (zfile *f = zs->files; f && !pending; f = f->next)
			pending = f->pending != NULL;
		if (!pending)
			break;
		pthread_cond_signal(&zs->work);
		pthread_cond_wait(&zs->written, &zs->lock);
	}
	pthread_mutex_unlock(&zs->lock);
}
