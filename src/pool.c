#include "pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
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
    bool stopping;
    size_t nthreads;
    pthread_t *threads;
};

static void *worker(void *arg)
{
    pool_t *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (p->head == NULL && !p->stopping)
            pthread_cond_wait(&p->ready, &p->lock);
        job_t *job = p->head;
        if (job == NULL) /* stopping, and the queue is drained */
            break;
        p->head = job->next;
        if (p->head == NULL) p->tail = NULL;
        pthread_mutex_unlock(&p->lock);
        job->fn(job->arg);
        free(job);
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

pool_t *pool_create(size_t threads)
{
    if (threads == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cpus > 0 ? (size_t)cpus : 2;
    }
    pool_t *p = calloc(1, sizeof(*p));
    if (p == NULL || (p->threads = calloc(threads, sizeof(pthread_t))) == NULL) {
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->ready, NULL);
    for (; p->nthreads < threads; p->nthreads++)
        if (pthread_create(&p->threads[p->nthreads], NULL, worker, p) != 0) break;
    if (p->nthreads == 0) return pool_destroy(p);
    return p;
}

int pool_submit(pool_t *p, void (*fn)(void *arg), void *arg)
{
    job_t *job = malloc(sizeof(*job));
    if (job == NULL) return -1;
    *job = (job_t){fn, arg, NULL};
    pthread_mutex_lock(&p->lock);
    if (p->stopping) {
        pthread_mutex_unlock(&p->lock);
        free(job);
        return -1;
    }
    if (p->tail)
        p->tail->next = job;
    else
        p->head = job;
    p->tail = job;
    pthread_cond_signal(&p->ready);
    pthread_mutex_unlock(&p->lock);
    return 0;
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

size_t pool_threads(const pool_t *p)
{
    return p->nthreads;
}
