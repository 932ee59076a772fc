#define _GNU_SOURCE /* pthread_setname_np */
#include "util/pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef struct job {
    void (*fn)(void *arg);
    void *arg;
    struct job *next;
} job_t;

struct pool {
    pthread_mutex_t lock;
    pthread_cond_t ready; /* a job was queued, or the pool is stopping */
    job_t *head, *tail;
    size_t queued, running, max_queue;
    uint64_t done, refused;
    bool stopping;
    int nice;
    char name[11];
    size_t nthreads;
    pthread_t *threads;
};

/* Linux keeps a nice value per thread: heavy work yields the CPU to the
 * tile and HTTP threads without a scheduler of our own. */
static void lower_priority(int nice)
{
    if (nice == 0) return;
    pid_t tid = (pid_t)syscall(SYS_gettid);
    int now = getpriority(PRIO_PROCESS, (id_t)tid);
    (void)setpriority(PRIO_PROCESS, (id_t)tid, now + nice);
}

static void *worker(void *arg)
{
    pool_t *p = arg;
    lower_priority(p->nice);
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (p->head == NULL && !p->stopping)
            pthread_cond_wait(&p->ready, &p->lock);
        job_t *job = p->head;
        if (job == NULL) /* stopping, and the queue is drained */
            break;
        p->head = job->next;
        if (p->head == NULL) p->tail = NULL;
        p->queued--;
        p->running++;
        pthread_mutex_unlock(&p->lock);
        job->fn(job->arg);
        free(job);
        pthread_mutex_lock(&p->lock);
        p->running--;
        p->done++;
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

pool_t *pool_create(const pool_config_t *cfg)
{
    size_t threads = cfg->threads;
    if (threads == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cpus > 0 ? (size_t)cpus : 2;
    }
    pool_t *p = calloc(1, sizeof(*p));
    if (p == NULL || (p->threads = calloc(threads, sizeof(pthread_t))) == NULL) {
        free(p);
        return NULL;
    }
    p->max_queue = cfg->max_queue;
    p->nice = cfg->nice;
    snprintf(p->name, sizeof(p->name), "%s", cfg->name ? cfg->name : "pool");
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->ready, NULL);
    for (; p->nthreads < threads; p->nthreads++) {
        if (pthread_create(&p->threads[p->nthreads], NULL, worker, p) != 0) break;
        char name[16];
        snprintf(name, sizeof(name), "%s-%zu", p->name, p->nthreads);
        pthread_setname_np(p->threads[p->nthreads], name);
    }
    if (p->nthreads == 0) return pool_destroy(p);
    return p;
}

int pool_submit(pool_t *p, void (*fn)(void *arg), void *arg)
{
    job_t *job = malloc(sizeof(*job));
    if (job == NULL) return POOL_NOMEM;
    *job = (job_t){fn, arg, NULL};
    pthread_mutex_lock(&p->lock);
    int rc = p->stopping                                 ? POOL_STOPPED
             : p->max_queue && p->queued >= p->max_queue ? POOL_FULL
                                                         : POOL_OK;
    if (rc != POOL_OK) {
        p->refused += rc == POOL_FULL;
        pthread_mutex_unlock(&p->lock);
        free(job);
        return rc;
    }
    if (p->tail)
        p->tail->next = job;
    else
        p->head = job;
    p->tail = job;
    p->queued++;
    pthread_cond_signal(&p->ready);
    pthread_mutex_unlock(&p->lock);
    return POOL_OK;
}

void pool_stop(pool_t *p)
{
    pthread_mutex_lock(&p->lock);
    bool joined = p->stopping;
    p->stopping = true;
    pthread_cond_broadcast(&p->ready);
    pthread_mutex_unlock(&p->lock);
    if (joined) return;
    for (size_t i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
}

pool_t *pool_destroy(pool_t *p)
{
    if (p == NULL) return NULL;
    pool_stop(p);
    pthread_cond_destroy(&p->ready);
    pthread_mutex_destroy(&p->lock);
    free(p->threads);
    free(p);
    return NULL;
}

void pool_get_stats(pool_t *p, pool_stats_t *out)
{
    pthread_mutex_lock(&p->lock);
    *out = (pool_stats_t){p->nthreads, p->max_queue, p->queued, p->running, p->done, p->refused};
    pthread_mutex_unlock(&p->lock);
}
