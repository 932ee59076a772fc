#include "cli.h"

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "app.h"
#include "dataset.h"
#include "http.h"
#include "log.h"
#include "project.h"
#include "pool.h"
#include "source.h"
#include "tiles.h"
#include "cli_internal.h"

static const char usage[] =
    "usage: coopmap <command> [options]\n"
    "\n"
    "commands:\n"
    "  serve   serve maps and data over HTTP\n"
    "  info    describe the layers of a project\n"
    "  distances  geodesic distances between towns (km)\n"
    "  network    a cooperation network and its metrics\n"
    "\n"
    "options:\n"
    "  --project FILE       project file (default: $COOPMAP_PROJECT or the\n"
    "                       shipped geodata/coopmap.json)\n"
    "  --listen ADDR:PORT   serve: address and port (default 127.0.0.1:8080;\n"
    "                       port 0 picks a free one; [::1]:8080 for IPv6)\n"
    "  --threads N          serve: worker threads (default 4)\n"
    "  --quiet              serve: no access log\n"
    "  --base-url URL       serve: public URL for links (default: from Host)\n"
    "  --cors-origin ORIGIN serve: Access-Control-Allow-Origin (default *;\n"
    "                       \"\" sends no CORS headers)\n"
    "  --cache-control TEXT serve: Cache-Control of data responses\n"
    "                       (default \"public, max-age=60\")\n"
    "  --styles DIR         serve: directory of map styles (default: styles/)\n"
    "  --frame-ancestors L  serve: who may frame /viewer and /embed, as a CSP\n"
    "                       source list (default *, anyone)\n"
    "  --tile-cache MB      serve: tile cache size (default 64; 0 turns it off)\n"
    "  --max-zoom N         serve: highest tile zoom (default 18, at most 22)\n"
    "  --json               info, network: machine-readable output\n"
    "  --from LIST, --to LIST  distances: towns by name or id, comma-separated\n"
    "                       (default: all towns)\n"
    "  --csv                distances: CSV with a header row\n"
    "  --model NAME         network: complete, knn, within, mst (default),\n"
    "                       delaunay, gabriel, rng, edges\n"
    "  --k N, --km X        network: neighbours for knn, distance for within\n"
    "  --cross-border       network: only ties between countries\n"
    "  --country LIST       network: only towns of these countries (SI,AT)\n"
    "  --geojson            network: GeoJSON with ties and town metrics\n"
    "  -h, --help           this text\n"
    "  -V, --version        version and library versions\n"
    "\n"
    "signals (serve): SIGHUP reloads the project (the old data keeps serving\n"
    "if the new one fails to load); SIGTERM or SIGINT stop cleanly.\n";

static int parse_listen(const char *text, options_t *o)
{
    const char *colon = strrchr(text, ':');
    const char *host = text;
    size_t hostlen = colon ? (size_t)(colon - text) : 0;
    if (text[0] == '[') { /* [v6]:port */
        const char *close = strchr(text, ']');
        if (close == NULL || close[1] != ':') return -1;
        host = text + 1;
        hostlen = (size_t)(close - host);
        colon = close + 1;
    }
    const char *port = colon ? colon + 1 : text;
    char *end;
    long p = strtol(port, &end, 10);
    if (*port == '\0' || *end != '\0' || p < 0 || p > 65535 || hostlen >= sizeof(o->address))
        return -1;
    if (hostlen > 0) {
        memcpy(o->address, host, hostlen);
        o->address[hostlen] = '\0';
    }
    o->port = (unsigned)p;
    return 0;
}

/* Accepts "--name value" and "--name=value". */
static const char *option_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0) return NULL;
    if (argv[*i][n] == '=') return argv[*i] + n + 1;
    if (argv[*i][n] == '\0' && *i + 1 < argc) return argv[++*i];
    return NULL;
}

static int parse_options(int argc, char **argv, options_t *o)
{
    *o = (options_t){.port = 8080,
                     .threads = 4,
                     .tile_cache_mb = 64,
                     .max_zoom = 18,
                     .styles = COOPMAP_SOURCE_DIR "/styles"};
    strcpy(o->address, "127.0.0.1");
    o->project = getenv("COOPMAP_PROJECT");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0 || strcmp(a, "-V") == 0 ||
            strcmp(a, "--version") == 0)
            o->command = a;
        else if ((v = option_value(argc, argv, &i, "--project")))
            o->project = v;
        else if ((v = option_value(argc, argv, &i, "--listen"))) {
            if (parse_listen(v, o) != 0) {
                fprintf(stderr, "coopmap: --listen wants ADDR:PORT, got '%s'\n", v);
                return -1;
            }
        } else if ((v = option_value(argc, argv, &i, "--threads"))) {
            long t = strtol(v, NULL, 10);
            if (t < 1 || t > 256) {
                fprintf(stderr, "coopmap: --threads wants 1..256, got '%s'\n", v);
                return -1;
            }
            o->threads = (unsigned)t;
        } else if ((v = option_value(argc, argv, &i, "--base-url")))
            o->base_url = v;
        else if ((v = option_value(argc, argv, &i, "--cors-origin")))
            o->cors_origin = v;
        else if ((v = option_value(argc, argv, &i, "--cache-control")))
            o->cache_control = v;
        else if ((v = option_value(argc, argv, &i, "--styles")))
            o->styles = v;
        else if ((v = option_value(argc, argv, &i, "--frame-ancestors"))) {
            for (const char *c = v; *c; c++)
                if ((unsigned char)*c < 0x20) {
                    fprintf(stderr, "coopmap: --frame-ancestors: control characters\n");
                    return -1;
                }
            o->frame_ancestors = v;
        } else if ((v = option_value(argc, argv, &i, "--tile-cache"))) {
            char *end;
            o->tile_cache_mb = strtol(v, &end, 10);
            if (*v == '\0' || *end != '\0' || o->tile_cache_mb < 0 || o->tile_cache_mb > 65536) {
                fprintf(stderr, "coopmap: --tile-cache wants megabytes, 0..65536\n");
                return -1;
            }
        } else if ((v = option_value(argc, argv, &i, "--max-zoom"))) {
            char *end;
            long z = strtol(v, &end, 10);
            if (*v == '\0' || *end != '\0' || z < 0 || z > 22) {
                fprintf(stderr, "coopmap: --max-zoom wants 0..22\n");
                return -1;
            }
            o->max_zoom = (int)z;
        } else if ((v = option_value(argc, argv, &i, "--from")))
            o->from = v;
        else if ((v = option_value(argc, argv, &i, "--to")))
            o->to = v;
        else if ((v = option_value(argc, argv, &i, "--model")))
            o->model = v;
        else if ((v = option_value(argc, argv, &i, "--km")))
            o->km = v;
        else if ((v = option_value(argc, argv, &i, "--k")))
            o->k = v;
        else if ((v = option_value(argc, argv, &i, "--country")))
            o->country = v;
        else if (strcmp(a, "--cross-border") == 0)
            o->cross_border = 1;
        else if (strcmp(a, "--csv") == 0)
            o->csv = 1;
        else if (strcmp(a, "--geojson") == 0)
            o->geojson = 1;
        else if (strcmp(a, "--quiet") == 0)
            o->quiet = 1;
        else if (strcmp(a, "--json") == 0)
            o->json = 1;
        else if (a[0] != '-' && o->command == NULL)
            o->command = a;
        else {
            fprintf(stderr, "coopmap: unknown argument '%s' (try --help)\n", a);
            return -1;
        }
    }
    if (o->project == NULL || o->project[0] == '\0') o->project = project_default_path();
    return 0;
}

int cli_load(const char *path, dataset_t **ds)
{
    project_t *project = NULL;
    error_t err = {0};
    int rc = project_load(path, &project, &err);
    if (rc == ERR_OK) rc = dataset_load(project, ds, &err);
    project_destroy(project);
    if (rc != ERR_OK) fprintf(stderr, "coopmap: error: %s\n", err.message);
    return rc;
}

static void wait_for_signals(app_t *app, const sigset_t *set)
{
    for (;;) {
        int sig = 0;
        if (sigwait(set, &sig) != 0) continue;
        if (sig != SIGHUP) {
            log_info("signal %d: shutting down", sig);
            return;
        }
        error_t err = {0};
        if (app_reload(app, &err) == ERR_OK) {
            dataset_t *ds = app_acquire(app);
            log_info("reloaded: data version %s", dataset_version(ds));
            dataset_unref(ds);
        } else {
            log_error("reload failed, still serving the previous data: %s", err.message);
        }
    }
}

/* Loads the styles and checks them against the data: a bad style stops the
 * start with a message naming the file, layer and property. */
static tiles_t *load_tiles(const options_t *o, const dataset_t *ds)
{
    tiles_config_t cfg = {o->styles, (size_t)o->tile_cache_mb << 20, o->max_zoom};
    tiles_t *tiles = NULL;
    error_t err = {0};
    if (tiles_create(&cfg, &tiles, &err) != ERR_OK || tiles_check(tiles, ds, &err) != ERR_OK) {
        fprintf(stderr, "coopmap: error: %s\n", err.message);
        return tiles_destroy(tiles);
    }
    return tiles;
}

static int serve(const options_t *o)
{
    dataset_t *ds = NULL;
    if (cli_load(o->project, &ds) != ERR_OK) return 1;
    tiles_t *tiles = load_tiles(o, ds);
    if (tiles == NULL) {
        dataset_unref(ds);
        return 1;
    }
    app_t *app = app_create(o->project, ds); /* owns ds from here */
    pool_t *pool = pool_create(0);
    if (app == NULL || pool == NULL || app_set_base_url(app, o->base_url) != ERR_OK ||
        app_set_frame_ancestors(app, o->frame_ancestors) != ERR_OK) {
        if (app == NULL) dataset_unref(ds);
        app_destroy(app);
        pool_destroy(pool);
        tiles_destroy(tiles);
        return 1;
    }
    app_set_tiles(app, tiles);
    /* Block the signals before any thread exists so only sigwait sees them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    log_set_level(o->quiet ? LOG_WARN : LOG_INFO);

    size_t nroutes;
    const http_route_t *routes = api_routes(&nroutes);
    http_config_t cfg = {.address = o->address,
                         .port = (uint16_t)o->port,
                         .threads = o->threads,
                         .timeout_s = 30,
                         .max_header_bytes = 16384,
                         .routes = routes,
                         .nroutes = nroutes,
                         .ctx = app,
                         .access_log = !o->quiet,
                         .cors_origin = o->cors_origin,
                         .cache_control = o->cache_control,
                         .pool = pool};
    http_server_t *srv = NULL;
    error_t err = {0};
    if (http_server_start(&cfg, &srv, &err) != ERR_OK) {
        fprintf(stderr, "coopmap: error: %s\n", err.message);
        pool_destroy(pool);
        app_destroy(app);
        tiles_destroy(tiles);
        return 1;
    }
    const char *fmt = strchr(o->address, ':') ? "http://[%s]:%u/" : "http://%s:%u/";
    char url[128];
    snprintf(url, sizeof(url), fmt, o->address, (unsigned)http_server_port(srv));
    printf("coopmap %s serving %zu layers (data version %s) at %s\n", COOPMAP_VERSION,
           dataset_layer_count(ds), dataset_version(ds), url);
    fflush(stdout);
    wait_for_signals(app, &set);
    pool_stop(pool); /* finishes deferred responses; later ones run inline */
    http_server_stop(srv);
    pool_destroy(pool);
    app_destroy(app);
    tiles_destroy(tiles);
    return 0;
}

static json_t *layer_json(const layer_t *l)
{
    json_t *fields = json_array();
    for (size_t k = 0; k < l->nfields; k++)
        json_array_append_new(fields, json_pack("{s:s, s:s}", "name", l->fields[k].name, "type",
                                                field_type_name(l->fields[k].type)));
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:I, s:s, s:[ffff], s:o}", "id", l->id,
                     "title", l->title, "source", l->source, "source_layer", l->source_layer, "crs",
                     l->source_crs, "id_field", l->id_field, "features", (json_int_t)l->nfeatures,
                     "geometry_type", geom_type_name(l->geom_type), "extent", l->extent.minx,
                     l->extent.miny, l->extent.maxx, l->extent.maxy, "fields", fields);
}

static void print_layer(const layer_t *l)
{
    printf("%s: %s\n", l->id, l->title);
    printf("  source    %s (layer '%s')\n", l->source, l->source_layer);
    printf("  crs       %s (served as lon/lat WGS84 and EPSG:3857)\n", l->source_crs);
    printf("  features  %zu %s\n", l->nfeatures,
           l->geom_type == GEOM_NONE ? "(mixed geometry types)" : geom_type_name(l->geom_type));
    printf("  extent    %.5f, %.5f, %.5f, %.5f (lon/lat)\n", l->extent.minx, l->extent.miny,
           l->extent.maxx, l->extent.maxy);
    printf("  id        %s\n", l->id_field ? l->id_field : "FID");
    printf("  fields   ");
    for (size_t k = 0; k < l->nfields; k++)
        printf(" %s (%s)%s", l->fields[k].name, field_type_name(l->fields[k].type),
               k + 1 < l->nfields ? "," : "");
    printf("\n\n");
}

static int info(const options_t *o)
{
    dataset_t *ds = NULL;
    if (cli_load(o->project, &ds) != ERR_OK) return 1;
    if (o->json) {
        json_t *layers = json_array();
        for (size_t i = 0; i < dataset_layer_count(ds); i++)
            json_array_append_new(layers, layer_json(dataset_layer(ds, i)));
        json_t *root =
            json_pack("{s:s, s:s, s:f, s:o}", "title", dataset_title(ds), "data_version",
                      dataset_version(ds), "load_ms", dataset_load_ms(ds), "layers", layers);
        json_dumpf(root, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(root);
    } else {
        printf("%s (data version %s, loaded in %.1f ms)\n\n", dataset_title(ds),
               dataset_version(ds), dataset_load_ms(ds));
        for (size_t i = 0; i < dataset_layer_count(ds); i++)
            print_layer(dataset_layer(ds, i));
    }
    dataset_unref(ds);
    return 0;
}

int cli_main(int argc, char **argv)
{
    options_t o;
    if (parse_options(argc, argv, &o) != 0) return 2;
    const char *cmd = o.command ? o.command : "--help";
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage, stdout);
        return o.command ? 0 : 2;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        char libs[128];
        source_versions(libs, sizeof(libs));
        printf("coopmap %s (%s)\n", COOPMAP_VERSION, libs);
        return 0;
    }
    if (strcmp(cmd, "serve") == 0) return serve(&o);
    if (strcmp(cmd, "info") == 0) return info(&o);
    if (strcmp(cmd, "distances") == 0) return cli_distances(&o);
    if (strcmp(cmd, "network") == 0) return cli_network(&o);
    fprintf(stderr, "coopmap: unknown command '%s' (try --help)\n", cmd);
    return 2;
}
