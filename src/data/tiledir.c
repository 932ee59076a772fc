#include "data/tiledir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/hash.h"

#define TMP_DIR ".tmp"

struct tiledir {
    char *path;
};

static int make_dir(const char *path, error_t *err)
{
    if (mkdir(path, 0755) == 0 || errno == EEXIST) return ERR_OK;
    return error_set(err, ERR_IO, "cannot create %s: %s", path, strerror(errno));
}

int tiledir_open(const char *path, bool write, tiledir_t **out, error_t *err)
{
    *out = NULL;
    struct stat st;
    if (write && make_dir(path, err) != ERR_OK) return ERR_IO;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return error_set(err, ERR_IO, "%s: not a directory of tiles", path);
    if (write && access(path, W_OK) != 0)
        return error_set(err, ERR_IO, "cannot write to %s: %s", path, strerror(errno));
    tiledir_t *d = calloc(1, sizeof(*d));
    if (d == NULL || (d->path = strdup(path)) == NULL) {
        free(d);
        return error_set(err, ERR_NOMEM, "out of memory");
    }
    *out = d;
    return ERR_OK;
}

tiledir_t *tiledir_close(tiledir_t *d)
{
    if (d) free(d->path);
    free(d);
    return NULL;
}

static int read_file(const char *path, unsigned char **data, size_t *len, error_t *err)
{
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return error_set(err, errno == ENOENT ? ERR_NOTFOUND : ERR_IO, "cannot read %s: %s", path,
                         strerror(errno));
    struct stat st;
    int rc = ERR_OK;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 28)) {
        rc = error_set(err, ERR_IO, "%s: not a tile file", path);
    } else if ((*data = malloc((size_t)st.st_size + 1)) == NULL) {
        rc = error_set(err, ERR_NOMEM, "out of memory");
    } else {
        *len = fread(*data, 1, (size_t)st.st_size, f);
        (*data)[*len] = '\0';
        if (*len != (size_t)st.st_size) rc = error_set(err, ERR_IO, "cannot read %s", path);
    }
    fclose(f);
    if (rc != ERR_OK) {
        free(*data);
        *data = NULL;
    }
    return rc;
}

/* Writes a file whole: to a temporary name in the tree's .tmp folder,
 * then renamed over path, so no reader or resumed seed sees half a tile. */
static int write_file(const tiledir_t *d, const char *path, const void *data, size_t len,
                      error_t *err)
{
    char tmp[4200];
    static atomic_uint serial;
    snprintf(tmp, sizeof(tmp), "%s/" TMP_DIR "/%ld.%u", d->path, (long)getpid(),
             atomic_fetch_add(&serial, 1));
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return error_set(err, ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
    ssize_t n = write(fd, data, len);
    int closed = close(fd);
    if (n < 0 || (size_t)n != len || closed != 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return error_set(err, ERR_IO, "cannot write %s: %s", path, strerror(e));
    }
    return ERR_OK;
}

/* Empties (or creates) the .tmp folder: what a killed seed left there is
 * only ever half-written tiles. */
static int clear_tmp(const tiledir_t *d, bool remove_it, error_t *err)
{
    char dirpath[4200], path[4500];
    snprintf(dirpath, sizeof(dirpath), "%s/" TMP_DIR, d->path);
    DIR *dir = opendir(dirpath);
    struct dirent *e;
    while (dir && (e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof(path), "%s/%s", dirpath, e->d_name);
        unlink(path);
    }
    if (dir) closedir(dir);
    if (remove_it) return rmdir(dirpath) == 0 || errno == ENOENT ? ERR_OK : ERR_IO;
    return make_dir(dirpath, err);
}

int tiledir_prepare(tiledir_t *d, error_t *err)
{
    return clear_tmp(d, false, err);
}

int tiledir_finish(tiledir_t *d, error_t *err)
{
    return clear_tmp(d, true, err);
}

int tiledir_read_info(tiledir_t *d, archive_info_t *info, error_t *err)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/metadata.json", d->path);
    unsigned char *text = NULL;
    size_t len = 0;
    int rc = read_file(path, &text, &len, err);
    if (rc == ERR_OK) rc = archive_info_parse((const char *)text, path, info, err);
    free(text);
    return rc;
}

int tiledir_write_info(tiledir_t *d, const archive_info_t *info, error_t *err)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/metadata.json", d->path);
    char *text = archive_info_json(info);
    if (text == NULL) return error_set(err, ERR_NOMEM, "out of memory");
    int rc = write_file(d, path, text, strlen(text), err);
    free(text);
    return rc;
}

bool tiledir_empty(tiledir_t *d)
{
    DIR *dir = opendir(d->path);
    if (dir == NULL) return false;
    struct dirent *e;
    bool empty = true;
    while (empty && (e = readdir(dir)) != NULL)
        empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
                strcmp(e->d_name, TMP_DIR) == 0;
    closedir(dir);
    return empty;
}

static void tile_path(const tiledir_t *d, int z, uint32_t x, uint32_t y, char *out, size_t size)
{
    snprintf(out, size, "%s/%d/%u/%u.png", d->path, z, x, y);
}

int tiledir_get(tiledir_t *d, int z, uint32_t x, uint32_t y, unsigned char **data, size_t *len,
                error_t *err)
{
    char path[4200];
    tile_path(d, z, x, y, path, sizeof(path));
    return read_file(path, data, len, err);
}

bool tiledir_has(tiledir_t *d, int z, uint32_t x, uint32_t y)
{
    char path[4200];
    struct stat st;
    tile_path(d, z, x, y, path, sizeof(path));
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int tiledir_put(tiledir_t *d, int z, uint32_t x, uint32_t y, const unsigned char *data, size_t len,
                error_t *err)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/%d", d->path, z);
    int rc = make_dir(path, err);
    snprintf(path, sizeof(path), "%s/%d/%u", d->path, z, x);
    if (rc == ERR_OK) rc = make_dir(path, err);
    tile_path(d, z, x, y, path, sizeof(path));
    return rc == ERR_OK ? write_file(d, path, data, len, err) : rc;
}

/* --- stats ---------------------------------------------------------------------- */

typedef struct seen {
    uint64_t *keys; /* open addressing; 0 is empty */
    size_t cap, n;
} seen_t;

/* True if key was there already; adds it otherwise. */
static int seen_add(seen_t *s, uint64_t key, bool *was)
{
    if (key == 0) key = 1;
    if (2 * (s->n + 1) > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        uint64_t *keys = calloc(cap, sizeof(*keys));
        if (keys == NULL) return ERR_NOMEM;
        for (size_t i = 0; i < s->cap; i++)
            for (size_t j = s->keys[i] % cap; s->keys[i]; j = (j + 1) % cap)
                if (keys[j] == 0) {
                    keys[j] = s->keys[i];
                    break;
                }
        free(s->keys);
        s->keys = keys;
        s->cap = cap;
    }
    size_t j = key % s->cap;
    while (s->keys[j] && s->keys[j] != key)
        j = (j + 1) % s->cap;
    *was = s->keys[j] == key;
    if (!*was) {
        s->keys[j] = key;
        s->n++;
    }
    return ERR_OK;
}

static int stats_column(tiledir_t *d, const char *dirpath, archive_stats_t *s, seen_t *seen,
                        error_t *err)
{
    DIR *dir = opendir(dirpath);
    if (dir == NULL) return ERR_OK;
    struct dirent *e;
    int rc = ERR_OK;
    while (rc == ERR_OK && (e = readdir(dir)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".png") != 0) continue;
        char path[4800];
        snprintf(path, sizeof(path), "%s/%s", dirpath, e->d_name);
        unsigned char *data = NULL;
        size_t len = 0;
        bool was = false;
        rc = read_file(path, &data, &len, err);
        uint64_t key = hash_fnv1a(HASH_FNV_START, data, len) ^ ((uint64_t)len << 40);
        if (rc == ERR_OK && seen_add(seen, key, &was) != ERR_OK)
            rc = error_set(err, ERR_NOMEM, "out of memory");
        free(data);
        s->tiles++;
        s->bytes += len;
        s->file_bytes += (len + 4095) / 4096 * 4096;
        s->duplicates += was;
    }
    closedir(dir);
    (void)d;
    return rc;
}

int tiledir_stats(tiledir_t *d, int minzoom, int maxzoom, archive_stats_t *s, error_t *err)
{
    *s = (archive_stats_t){0};
    seen_t seen = {0};
    int rc = ERR_OK;
    for (int z = minzoom; rc == ERR_OK && z <= maxzoom; z++) {
        char zpath[4200];
        snprintf(zpath, sizeof(zpath), "%s/%d", d->path, z);
        DIR *dir = opendir(zpath);
        if (dir == NULL) continue;
        struct dirent *e;
        while (rc == ERR_OK && (e = readdir(dir)) != NULL) {
            if (e->d_name[0] == '.') continue;
            char xpath[4500];
            snprintf(xpath, sizeof(xpath), "%s/%s", zpath, e->d_name);
            rc = stats_column(d, xpath, s, &seen, err);
        }
        closedir(dir);
    }
    free(seen.keys);
    return rc;
}
