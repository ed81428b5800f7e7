/* zonesync.c: see zonesync.h. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/journal.h"
#include "server/log.h"
#include "xfr/xfrin_net.h"
#include "xfr/zonesync.h"

typedef struct zfile {
	struct zfile *next;
	char *path;
	char *zname;
	db_zone *pending; /* the version to write, or NULL */
	bool known;       /* serial is what the file holds */
	uint32_t serial;
} zfile;

struct zonesync {
	pthread_t thread;
	pthread_mutex_t lock; /* the list, pending, known/serial, busy, stop */
	pthread_cond_t work;  /* something pending, or stop */
	pthread_cond_t idle;  /* the thread wrote what it took */
	pthread_mutex_t io;   /* one write of these files at a time */
	zfile *files;
	bool busy, stop;
};

static zfile *find(zonesync *zs, const char *path, const char *zname)
{
	for (zfile *f = zs->files; f; f = f->next)
		if (!strcmp(f->path, path))
			return f;
	if (!zname)
		return NULL;
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

/* Writes z to f's file; io held, lock not. Then records the serial. */
static int write_locked(zonesync *zs, zfile *f, const db_zone *z, char *err, size_t errcap)
{
	int r = xfr_zone_save(z, f->path, err, errcap);
	pthread_mutex_lock(&zs->lock);
	if (r) {
		f->known = false; /* the temporary file failed: the old one stays, but be safe */
	} else {
		f->known = true;
		f->serial = z->serial;
	}
	pthread_mutex_unlock(&zs->lock);
	return r;
}

static void *run(void *arg)
{
	zonesync *zs = arg;
	pthread_mutex_lock(&zs->lock);
	for (;;) {
		zfile *f = NULL;
		for (zfile *x = zs->files; x && !f; x = x->next)
			if (x->pending)
				f = x;
		if (!f) {
			zs->busy = false;
			pthread_cond_broadcast(&zs->idle);
			if (zs->stop)
				break;
			pthread_cond_wait(&zs->work, &zs->lock);
			continue;
		}
		zs->busy = true;
		pthread_mutex_unlock(&zs->lock);
		/* io before taking the version: a zonesync_now meanwhile may
		 * have written a newer one and dropped this */
		pthread_mutex_lock(&zs->io);
		pthread_mutex_lock(&zs->lock);
		db_zone *z = f->pending;
		f->pending = NULL;
		pthread_mutex_unlock(&zs->lock);
		if (!z) {
			pthread_mutex_unlock(&zs->io);
			pthread_mutex_lock(&zs->lock);
			continue;
		}
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		char err[256];
		int r = write_locked(zs, f, z, err, sizeof err);
		pthread_mutex_unlock(&zs->io);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (r)
			log_err("zone %s: serial %u not written to %s: %s (the journal keeps the change)", f->zname,
			        z->serial, f->path, err);
		else
			log_info("zone %s: serial %u written to %s in %.0f ms", f->zname, z->serial, f->path,
			         (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
		zone_unref(z);
		pthread_mutex_lock(&zs->lock);
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
	pthread_cond_init(&zs->idle, NULL);
	if (pthread_create(&zs->thread, NULL, run, zs)) {
		pthread_mutex_destroy(&zs->lock);
		pthread_mutex_destroy(&zs->io);
		pthread_cond_destroy(&zs->work);
		pthread_cond_destroy(&zs->idle);
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
	pthread_cond_destroy(&zs->idle);
	free(zs);
}

void zonesync_later(zonesync *zs, db_zone *z, const char *path, const char *zname)
{
	pthread_mutex_lock(&zs->lock);
	zfile *f = find(zs, path, zname);
	if (f) {
		zone_unref(f->pending);
		f->pending = zone_ref(z);
		pthread_cond_signal(&zs->work);
	}
	pthread_mutex_unlock(&zs->lock);
	if (!f)
		log_err("zone %s: out of memory: not written to %s (the journal keeps the change)", zname, path);
}

int zonesync_now(zonesync *zs, const db_zone *z, const char *path, const char *zname, char *err, size_t errcap)
{
	pthread_mutex_lock(&zs->io); /* after a write of this file in progress */
	pthread_mutex_lock(&zs->lock);
	zfile *f = find(zs, path, zname);
	db_zone *older = NULL;
	if (f && f->pending && !db_serial_lt(z->serial, f->pending->serial)) {
		older = f->pending; /* what this write supersedes */
		f->pending = NULL;
	}
	pthread_mutex_unlock(&zs->lock);
	int r;
	if (f) {
		r = write_locked(zs, f, z, err, errcap);
	} else {
		snprintf(err, errcap, "out of memory");
		r = -1;
	}
	pthread_mutex_unlock(&zs->io);
	zone_unref(older);
	return r;
}

bool zonesync_serial(zonesync *zs, const char *path, uint32_t *serial)
{
	pthread_mutex_lock(&zs->lock);
	zfile *f = find(zs, path, NULL);
	bool known = f && f->known;
	if (known)
		*serial = f->serial;
	pthread_mutex_unlock(&zs->lock);
	return known;
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
		pthread_cond_wait(&zs->idle, &zs->lock);
	}
	pthread_mutex_unlock(&zs->lock);
}

void zonesync_forget(zonesync *zs)
{
	pthread_mutex_lock(&zs->lock);
	for (zfile *f = zs->files; f; f = f->next)
		f->known = false;
	pthread_mutex_unlock(&zs->lock);
}
