/* Tile archives below the seed command: MBTiles (TMS rows, identical tiles
 * stored once, metadata), directory trees, and the writer's rules for
 * continuing a seed and refusing what it did not make. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/archive.h"
#include "data/mbtiles.h"
#include "data/project.h"
#include "data/tiledir.h"
#include "testutil.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/coopmap-archive.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd);
}

static const char *path_of(const char *name)
{
    static char buf[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
    return buf[k];
}

/* A few fake "tiles": the bytes only need to differ or match. */
static void tile_bytes(int n, unsigned char *out, size_t *len)
{
    *len = (size_t)(10 + n % 7);
    for (size_t i = 0; i < *len; i++)
        out[i] = (unsigned char)(n * 31 + (int)i);
}

static long long query_int(const char *db, const char *sql)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    long long v = -1;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

static archive_info_t info_for(const char *seed)
{
    return (archive_info_t){.name = "test",
                            .minzoom = 2,
                            .maxzoom = 3,
                            .bounds = {-10, -5, 10, 5},
                            .center = {0, 0, 2},
                            .tile_px = 256,
                            .seed = (char *)seed};
}

static void test_mbtiles_rows_and_dedup(void **state)
{
    (void)state;
    const char *p = path_of("a.mbtiles");
    mbtiles_t *m = NULL;
    error_t err = {0};
    assert_int_equal(mbtiles_open(p, true, &m, &err), ERR_OK);
    unsigned char a[32], b[32];
    size_t na, nb;
    tile_bytes(1, a, &na);
    tile_bytes(2, b, &nb);
    assert_int_equal(mbtiles_put(m, 3, 1, 2, a, na, &err), ERR_OK);
    assert_int_equal(mbtiles_put(m, 3, 2, 2, a, na, &err), ERR_OK); /* the same bytes */
    assert_int_equal(mbtiles_put(m, 3, 5, 0, b, nb, &err), ERR_OK);
    archive_stats_t s;
    assert_int_equal(mbtiles_stats(m, &s, &err), ERR_OK);
    assert_int_equal(s.tiles, 3);
    assert_int_equal(s.duplicates, 1);
    assert_int_equal(s.bytes, 2 * na + nb);
    unsigned char *data = NULL;
    size_t len = 0;
    assert_int_equal(mbtiles_get(m, 3, 5, 0, &data, &len, &err), ERR_OK);
    assert_int_equal(len, nb);
    assert_memory_equal(data, b, nb);
    free(data);
    assert_int_equal(mbtiles_get(m, 3, 5, 1, &data, &len, &err), ERR_NOTFOUND);
    assert_true(mbtiles_has(m, 3, 1, 2));
    assert_false(mbtiles_has(m, 3, 1, 5));
    mbtiles_close(m);
    /* y = 2 at zoom 3 is TMS row 8 - 1 - 2 = 5; y = 0 is row 7. */
    assert_int_equal(query_int(p, "SELECT count(*) FROM tiles WHERE zoom_level = 3 AND "
                                  "tile_column = 1 AND tile_row = 5"),
                     1);
    assert_int_equal(query_int(p, "SELECT tile_row FROM tiles WHERE tile_column = 5"), 7);
    assert_int_equal(query_int(p, "SELECT count(*) FROM images"), 2);
}

static void test_mbtiles_metadata(void **state)
{
    (void)state;
    const char *p = path_of("meta.mbtiles");
    mbtiles_t *m = NULL;
    error_t err = {0};
    archive_info_t in = info_for("{\"style\":\"x\"}"), out;
    in.attribution = "© test";
    in.tile_px = 512;
    assert_int_equal(mbtiles_open(p, true, &m, &err), ERR_OK);
    assert_int_equal(mbtiles_write_info(m, &in, &err), ERR_OK);
    assert_int_equal(mbtiles_read_info(m, &out, &err), ERR_OK);
    assert_string_equal(out.name, "test");
    assert_string_equal(out.attribution, "© test");
    assert_string_equal(out.seed, "{\"style\":\"x\"}");
    assert_int_equal(out.minzoom, 2);
    assert_int_equal(out.maxzoom, 3);
    assert_int_equal(out.tile_px, 512);
    assert_near(out.bounds[0], -10, 1e-9);
    assert_near(out.bounds[3], 5, 1e-9);
    archive_info_clear(&out);
    mbtiles_close(m);
    assert_int_equal(query_int(p, "SELECT count(*) FROM metadata WHERE name = 'format' AND "
                                  "value = 'png'"),
                     1);
}

static void test_writer_continues_same_seed(void **state)
{
    (void)state;
    const char *p = path_of("seed.mbtiles");
    archive_info_t info = info_for("{\"seed\":1}");
    archive_writer_t *w = NULL;
    error_t err = {0};
    unsigned char t[32];
    size_t n;
    tile_bytes(3, t, &n);
    assert_int_equal(archive_writer_open(p, ARCHIVE_MBTILES, &info, &w, &err), ERR_OK);
    assert_int_equal(archive_writer_put(w, 2, 1, 1, t, n, &err), ERR_OK);
    archive_writer_close(w); /* interrupted */
    assert_int_equal(archive_writer_open(p, ARCHIVE_MBTILES, &info, &w, &err), ERR_OK);
    assert_true(archive_writer_has(w, 2, 1, 1));
    assert_false(archive_writer_has(w, 2, 1, 2));
    archive_writer_close(w);
    /* Another seed, or a file that is no seed, is refused and untouched. */
    archive_info_t other = info_for("{\"seed\":2}");
    assert_int_equal(archive_writer_open(p, ARCHIVE_MBTILES, &other, &w, &err), ERR_DUPLICATE);
    assert_non_null(strstr(err.message, "holds another seed"));
    const char *text = path_of("text.mbtiles");
    FILE *f = fopen(text, "w");
    fputs("hello\n", f);
    fclose(f);
    assert_int_equal(archive_writer_open(text, ARCHIVE_MBTILES, &info, &w, &err), ERR_DUPLICATE);
    struct stat st;
    assert_int_equal(stat(text, &st), 0);
    assert_int_equal(st.st_size, 6);
    /* An empty file (a run that died before its first transaction) is new. */
    const char *empty = path_of("empty.mbtiles");
    fclose(fopen(empty, "w"));
    assert_int_equal(archive_writer_open(empty, ARCHIVE_MBTILES, &info, &w, &err), ERR_OK);
    archive_writer_close(w);
}

static void test_writer_pmtiles_through_part(void **state)
{
    (void)state;
    const char *p = path_of("x.pmtiles");
    char part[300];
    snprintf(part, sizeof(part), "%s.part", p);
    archive_info_t info = info_for("{\"seed\":3}");
    archive_writer_t *w = NULL;
    error_t err = {0};
    assert_int_equal(archive_writer_open(p, ARCHIVE_PMTILES, &info, &w, &err), ERR_OK);
    unsigned char t[32];
    size_t n;
    for (uint32_t x = 0; x < 4; x++) {
        tile_bytes(x % 2, t, &n); /* two distinct contents */
        assert_int_equal(archive_writer_put(w, 2, x, 1, t, n, &err), ERR_OK);
    }
    assert_int_equal(access(part, F_OK), 0);
    assert_int_not_equal(access(p, F_OK), 0); /* no archive before the end */
    archive_stats_t s;
    assert_int_equal(archive_writer_finish(w, &s, &err), ERR_OK);
    assert_int_equal(s.tiles, 4);
    assert_int_equal(s.duplicates, 2);
    assert_true(s.file_bytes > 127);
    assert_int_not_equal(access(part, F_OK), 0);
    archive_t *a = NULL;
    assert_int_equal(archive_open(p, &a, &err), ERR_OK);
    assert_int_equal(archive_format(a), ARCHIVE_PMTILES);
    assert_string_equal(archive_info(a)->seed, "{\"seed\":3}");
    assert_int_equal(archive_info(a)->minzoom, 2);
    for (uint32_t x = 0; x < 4; x++) {
        unsigned char *data = NULL;
        size_t len = 0;
        tile_bytes(x % 2, t, &n);
        assert_int_equal(archive_get(a, 2, x, 1, &data, &len, &err), ERR_OK);
        assert_int_equal(len, n);
        assert_memory_equal(data, t, n);
        free(data);
    }
    unsigned char *data = NULL;
    size_t len = 0;
    assert_int_equal(archive_get(a, 2, 0, 0, &data, &len, &err), ERR_NOTFOUND);
    assert_int_equal(archive_get(a, 9, 0, 0, &data, &len, &err), ERR_NOTFOUND);
    archive_close(a);
    /* The same seed again: finished, nothing to render, the same counts. */
    assert_int_equal(archive_writer_open(p, ARCHIVE_PMTILES, &info, &w, &err), ERR_OK);
    assert_true(archive_writer_has(w, 2, 3, 3));
    assert_int_not_equal(access(part, F_OK), 0);
    archive_stats_t again;
    assert_int_equal(archive_writer_finish(w, &again, &err), ERR_OK);
    assert_int_equal(again.tiles, s.tiles);
    assert_int_equal(again.bytes, s.bytes);
    assert_int_equal(again.duplicates, s.duplicates);
    assert_int_equal(again.file_bytes, s.file_bytes);
    /* A finished archive of another seed is not overwritten. */
    archive_info_t other = info_for("{\"seed\":4}");
    assert_int_equal(archive_writer_open(p, ARCHIVE_PMTILES, &other, &w, &err), ERR_DUPLICATE);
    assert_int_not_equal(access(part, F_OK), 0);
}

static void test_tiledir(void **state)
{
    (void)state;
    const char *p = path_of("tree");
    archive_info_t info = info_for("{\"seed\":5}");
    archive_writer_t *w = NULL;
    error_t err = {0};
    unsigned char t[32];
    size_t n;
    tile_bytes(7, t, &n);
    assert_int_equal(archive_writer_open(p, ARCHIVE_DIR, &info, &w, &err), ERR_OK);
    assert_int_equal(archive_writer_put(w, 3, 4, 5, t, n, &err), ERR_OK);
    assert_int_equal(archive_writer_put(w, 3, 4, 6, t, n, &err), ERR_OK);
    assert_true(archive_writer_has(w, 3, 4, 5));
    assert_false(archive_writer_has(w, 3, 5, 5));
    archive_stats_t s;
    assert_int_equal(archive_writer_finish(w, &s, &err), ERR_OK);
    assert_int_equal(s.tiles, 2);
    assert_int_equal(s.duplicates, 1);
    struct stat st;
    assert_int_equal(stat(path_of("tree/3/4/5.png"), &st), 0);
    assert_int_equal(st.st_size, (off_t)n);
    assert_int_not_equal(stat(path_of("tree/.tmp"), &st), 0);
    archive_t *a = NULL;
    assert_int_equal(archive_open(p, &a, &err), ERR_OK);
    assert_string_equal(archive_info(a)->seed, "{\"seed\":5}");
    assert_int_equal(archive_info(a)->maxzoom, 3);
    archive_close(a);
    /* A directory with other files is not written into. */
    mkdir(path_of("other"), 0755);
    fclose(fopen(path_of("other/notes.txt"), "w"));
    assert_int_equal(archive_writer_open(path_of("other"), ARCHIVE_DIR, &info, &w, &err),
                     ERR_DUPLICATE);
}

static void test_format_of(void **state)
{
    (void)state;
    archive_format_t f;
    error_t err = {0};
    assert_int_equal(archive_format_of("a/b.mbtiles", NULL, &f, &err), ERR_OK);
    assert_int_equal(f, ARCHIVE_MBTILES);
    assert_int_equal(archive_format_of("b.pmtiles", NULL, &f, &err), ERR_OK);
    assert_int_equal(f, ARCHIVE_PMTILES);
    assert_int_equal(archive_format_of("tiles", NULL, &f, &err), ERR_OK);
    assert_int_equal(f, ARCHIVE_DIR);
    assert_int_equal(archive_format_of("b.pmtiles", "mbtiles", &f, &err), ERR_OK);
    assert_int_equal(f, ARCHIVE_MBTILES);
    assert_int_equal(archive_format_of("x", "zip", &f, &err), ERR_INVALID);
}

static void test_project_tilesets(void **state)
{
    (void)state;
    static const char ok[] = "{\"layers\": [{\"id\": \"t\", \"source\": \"t.geojson\"}],"
                             " \"tiles\": [{\"id\": \"seeded\", \"source\": \"x.pmtiles\"},"
                             " {\"id\": \"b\", \"title\": \"B\", \"source\": \"/abs/y.mbtiles\"}]}";
    project_t *p = NULL;
    error_t err = {0};
    assert_int_equal(project_load_text(ok, strlen(ok), "/data/p.json", &p, &err), ERR_OK);
    assert_int_equal(p->ntilesets, 2);
    assert_string_equal(p->tilesets[0].source, "/data/x.pmtiles");
    assert_null(p->tilesets[0].title);
    assert_string_equal(p->tilesets[1].source, "/abs/y.mbtiles");
    assert_string_equal(p->tilesets[1].title, "B");
    project_destroy(p);
    static const char *bad[] = {
        "{\"layers\": [{\"id\": \"t\", \"source\": \"t\"}], \"tiles\": {}}",
        "{\"layers\": [{\"id\": \"t\", \"source\": \"t\"}], \"tiles\": [{\"id\": \"A\", "
        "\"source\": \"x\"}]}",
        "{\"layers\": [{\"id\": \"t\", \"source\": \"t\"}], \"tiles\": [{\"id\": \"a\"}]}",
        "{\"layers\": [{\"id\": \"t\", \"source\": \"t\"}], \"tiles\": [{\"id\": \"a\", "
        "\"source\": \"x\"}, {\"id\": \"a\", \"source\": \"y\"}]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_not_equal(project_load_text(bad[i], strlen(bad[i]), "/p.json", &p, &err),
                             ERR_OK);
        assert_null(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mbtiles_rows_and_dedup),
        cmocka_unit_test(test_mbtiles_metadata),
        cmocka_unit_test(test_writer_continues_same_seed),
        cmocka_unit_test(test_writer_pmtiles_through_part),
        cmocka_unit_test(test_tiledir),
        cmocka_unit_test(test_format_of),
        cmocka_unit_test(test_project_tilesets),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
