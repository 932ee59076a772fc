/* What a client may hold: connections in all and per address (the accept
 * policy refuses beyond them at once), and the time to send a request
 * head. libmicrohttpd's own timeout only closes connections that send
 * nothing at all; one that trickles a byte a second would live forever, so
 * a watchdog thread shuts down any connection whose head is overdue. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "http/http_internal.h"
#include "util/hash.h"

#define IP_BUCKETS 1024

typedef struct ip_count {
    unsigned char addr[16];
    unsigned char len;
    unsigned n;
    struct ip_count *next;
} ip_count_t;

struct http_conn {
    int fd;
    atomic_bool awaiting;      /* waiting for a request head */
    atomic_int_fast64_t since; /* since when (monotonic ns) */
    ip_count_t *ip;
    http_conn_t *prev, *next;
};

struct http_conns {
    http_server_t *srv;
    pthread_mutex_t lock; /* the list, the counts, the address table */
    pthread_cond_t wake;
    bool stop, started;
    pthread_t thread;
    http_conn_t *head;
    size_t open;
    ip_count_t *buckets[IP_BUCKETS];
};

/* The address bytes of a peer (4 for IPv4, 16 for IPv6; 0 otherwise). */
static unsigned char addr_key(const struct sockaddr *sa, unsigned char out[16])
{
    if (sa && sa->sa_family == AF_INET) {
        memcpy(out, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return 4;
    }
    if (sa && sa->sa_family == AF_INET6) {
        memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
        return 16;
    }
    return 0;
}

static size_t addr_hash(const unsigned char *a, unsigned char len)
{
    return (size_t)(hash_fnv1a(HASH_FNV_START, a, len) % IP_BUCKETS);
}

/* The table entry for an address, made when create is set. Lock held. */
static ip_count_t *ip_entry(http_conns_t *c, const struct sockaddr *sa, bool create)
{
    unsigned char key[16];
    unsigned char len = addr_key(sa, key);
    if (len == 0) return NULL;
    ip_count_t **p = &c->buckets[addr_hash(key, len)];
    while (*p && ((*p)->len != len || memcmp((*p)->addr, key, len) != 0))
        p = &(*p)->next;
    if (*p == NULL && create && (*p = calloc(1, sizeof(**p))) != NULL) {
        memcpy((*p)->addr, key, len);
        (*p)->len = len;
    }
    return *p;
}

static void ip_release(http_conns_t *c, ip_count_t *ip)
{
    if (ip == NULL || --ip->n > 0) return;
    ip_count_t **p = &c->buckets[addr_hash(ip->addr, ip->len)];
    while (*p != ip)
        p = &(*p)->next;
    *p = ip->next;
    free(ip);
}

static void reject(http_conns_t *c, http_reject_t why)
{
    atomic_fetch_add_explicit(&c->srv->rejected[why], 1, memory_order_relaxed);
}

enum MHD_Result http_conns_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    (void)addrlen;
    http_conns_t *c = cls;
    const http_limits_t *lim = &c->srv->cfg.limits;
    pthread_mutex_lock(&c->lock);
    ip_count_t *ip = ip_entry(c, addr, false);
    int why = c->open >= lim->max_connections                     ? HTTP_REJECT_CONN_LIMIT
              : ip && lim->max_per_ip && ip->n >= lim->max_per_ip ? HTTP_REJECT_IP_LIMIT
                                                                  : -1;
    /* The slot is taken here, not when the connection starts: libmicrohttpd's
     * threads accept at the same time, and two could both see the last free
     * slot. http_conns_notify() takes it over (and gives it back). */
    if (why < 0) {
        if ((ip = ip_entry(c, addr, true)) != NULL) ip->n++;
        c->open++;
    }
    pthread_mutex_unlock(&c->lock);
    if (why < 0) return MHD_YES;
    reject(c, (http_reject_t)why);
    return MHD_NO;
}

void http_conns_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                       enum MHD_ConnectionNotificationCode code)
{
    http_conns_t *c = cls;
    http_conn_t *t = *socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fd =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *ad =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        t = calloc(1, sizeof(*t));
        if (t == NULL) { /* untracked: give its slot back */
            pthread_mutex_lock(&c->lock);
            ip_release(c, ip_entry(c, ad ? ad->client_addr : NULL, false));
            c->open--;
            pthread_mutex_unlock(&c->lock);
            return;
        }
        t->fd = fd ? fd->connect_fd : -1;
        atomic_init(&t->since, clock_now_ns());
        atomic_init(&t->awaiting, true);
        pthread_mutex_lock(&c->lock);
        t->ip = ip_entry(c, ad ? ad->client_addr : NULL, false); /* counted on accept */
        t->next = c->head;
        if (c->head) c->head->prev = t;
        c->head = t;
        pthread_mutex_unlock(&c->lock);
        *socket_context = t;
        return;
    }
    if (t == NULL) return;
    /* libmicrohttpd closes the socket only after this returns, so the
     * watchdog (which shuts sockets down under the lock) never touches a
     * descriptor that has been reused. */
    pthread_mutex_lock(&c->lock);
    if (t->prev)
        t->prev->next = t->next;
    else
        c->head = t->next;
    if (t->next) t->next->prev = t->prev;
    ip_release(c, t->ip);
    c->open--;
    pthread_mutex_unlock(&c->lock);
    free(t);
    *socket_context = NULL;
}

void http_conn_head_done(http_conns_t *c, http_conn_t *t)
{
    (void)c;
    if (t) atomic_store_explicit(&t->awaiting, false, memory_order_release);
}

void http_conn_idle(http_conns_t *c, http_conn_t *t)
{
    (void)c;
    if (t == NULL) return;
    atomic_store_explicit(&t->since, clock_now_ns(), memory_order_relaxed);
    atomic_store_explicit(&t->awaiting, true, memory_order_release);
}

/* Shuts down the connections whose head is overdue. Lock held. */
static void sweep(http_conns_t *c, int64_t now)
{
    int64_t limit = (int64_t)c->srv->cfg.limits.head_timeout_s * 1000000000;
    for (http_conn_t *t = c->head; t; t = t->next) {
        if (!atomic_load_explicit(&t->awaiting, memory_order_acquire)) continue;
        if (now - atomic_load_explicit(&t->since, memory_order_relaxed) < limit) continue;
        bool expected = true; /* a head that arrives just now wins */
        if (t->fd >= 0 && atomic_compare_exchange_strong(&t->awaiting, &expected, false)) {
            shutdown(t->fd, SHUT_RDWR);
            reject(c, HTTP_REJECT_HEAD_TIMEOUT);
        }
    }
}

static void *watchdog(void *arg)
{
    http_conns_t *c = arg;
    pthread_mutex_lock(&c->lock);
    while (!c->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 250000000;
        if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
        pthread_cond_timedwait(&c->wake, &c->lock, &ts);
        if (!c->stop) sweep(c, clock_now_ns());
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

http_conns_t *http_conns_create(http_server_t *srv)
{
    http_conns_t *c = calloc(1, sizeof(*c));
    if (c == NULL) return NULL;
    c->srv = srv;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->wake, NULL);
    c->started = pthread_create(&c->thread, NULL, watchdog, c) == 0;
    if (!c->started) {
        http_conns_destroy(c);
        return NULL;
    }
    return c;
}

void http_conns_stop(http_conns_t *c)
{
    if (c == NULL || !c->started) return;
    pthread_mutex_lock(&c->lock);
    c->stop = true;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    c->started = false;
}

void http_conns_destroy(http_conns_t *c)
{
    if (c == NULL) return;
    http_conns_stop(c);
    for (size_t i = 0; i < IP_BUCKETS; i++) /* only left if the server never closed them */
        for (ip_count_t *ip = c->buckets[i], *next; ip; ip = next) {
            next = ip->next;
            free(ip);
        }
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

size_t http_conns_open(http_conns_t *c)
{
    pthread_mutex_lock(&c->lock);
    size_t n = c->open;
    pthread_mutex_unlock(&c->lock);
    return n;
}
