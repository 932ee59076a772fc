#include "cli.h"

#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "data/dataset.h"
#include "data/project.h"
#include "data/source.h"
#include "cli_internal.h"

static const char usage[] =
    "usage: coopmap <command> [options]\n"
    "\n"
    "commands:\n"
    "  serve   serve maps and data over HTTP\n"
    "  info    describe the layers of a project\n"
    "  distances  geodesic distances between towns (km)\n"
    "  network    a cooperation network and its metrics\n"
    "  seed       render the tiles of an area into an MBTiles, PMTiles or\n"
    "             {z}/{x}/{y}.png archive\n"
    "\n"
    "options:\n"
    "  --project FILE       project file (default: $COOPMAP_PROJECT or the\n"
    "                       shipped geodata/coopmap.json)\n"
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
    "serve options:\n"
    "  --listen ADDR:PORT   address and port (default 127.0.0.1:8080; port 0\n"
    "                       picks a free one; [::1]:8080 for IPv6)\n"
    "  --threads N          HTTP threads (default 4; seed: rendering threads,\n"
    "                       default one per core)\n"
    "  --quiet              no access log\n"
    "  --log-format F       text (default) or json: one JSON object per line\n"
    "  --base-url URL       public URL for links (default: from Host)\n"
    "  --cors-origin ORIGIN Access-Control-Allow-Origin (default *; \"\" sends\n"
    "                       no CORS headers)\n"
    "  --cache-control TEXT Cache-Control of data responses\n"
    "                       (default \"public, max-age=60\")\n"
    "  --styles DIR         directory of map styles (default: styles/)\n"
    "  --frame-ancestors L  who may frame /viewer and /embed, as a CSP source\n"
    "                       list (default *, anyone)\n"
    "  --tile-cache MB      tile cache size (default 64; 0 turns it off)\n"
    "  --network-cache MB   cached networks per dataset (default 64)\n"
    "  --label-cache MB     label decisions kept, over all zooms (default 64)\n"
    "  --max-zoom N         highest tile zoom (default 18, at most 22)\n"
    "limits (serve; what one client or request may hold or cost):\n"
    "  --head-timeout S     seconds to send a request head (default 10)\n"
    "  --idle-timeout S     seconds a silent connection stays open (default 30)\n"
    "  --max-connections N  connections open at once (default 4096)\n"
    "  --max-connections-per-ip N  from one address (default 256)\n"
    "  --tile-queue N       tiles waiting to render before 503 (default 256)\n"
    "  --tile-timeout S     a tile not rendered by then is 503 (default 10)\n"
    "  --heavy-threads N    workers for large maps, distances, networks\n"
    "                       (default 1; they run at a lower CPU priority)\n"
    "  --heavy-queue N      heavy requests waiting before 503 (default 16)\n"
    "  --request-timeout S  a computation (distances, networks, metrics, large\n"
    "                       maps) not done S seconds after its request arrived,\n"
    "                       waiting included, is 503 (default 10)\n"
    "  --heavy-timeout S    the same as --request-timeout\n"
    "  --max-map-pixels N   device pixels of one static map (default 16777216)\n"
    "  --max-distance-pairs N  town pairs of one /distances (default 250000)\n"
    "  --max-network-cost N towns x (towns + ties) of one network's metrics\n"
    "                       (default 5e8, about 8 s on two cores; beyond, use\n"
    "                       `coopmap network --json`)\n"
    "  --max-network-vertices N  vertices of one /network GeoJSON (default 5e6)\n"
    "  --max-ties N         ties of one network (default 1000000)\n"
    "  --max-response-mb MB one /network, /network/metrics or /distances\n"
    "                       answer (default 128)\n"
    "  --shutdown-grace S   on SIGTERM, answer /ready with 503 for S seconds\n"
    "                       before stopping, so load balancers drain (default 0)\n"
    "\n"
    "seed options:\n"
    "  --out PATH           x.mbtiles, x.pmtiles or a directory (written as\n"
    "                       {z}/{x}/{y}.png); an interrupted seed of the same\n"
    "                       parameters continues where it stopped\n"
    "  --format F           mbtiles, pmtiles or dir (default: from --out)\n"
    "  --style ID           the map style (default: default)\n"
    "  --zoom MIN-MAX       zooms to render, e.g. 7-13 (or one zoom)\n"
    "  --bbox W,S,E,N       area in degrees (default: the data's extent)\n"
    "  --scale N            1 (256 px tiles, default) or 2 (512 px)\n"
    "  --quiet              no progress, only the report\n"
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

/* serve's numeric options: name, where it goes, range, and whether it
 * must be whole. */
typedef struct number_option {
    const char *name;
    size_t offset; /* in serve_numbers_t */
    double min, max;
    bool whole;
} number_option_t;

#define NUM(name, field, min, max, whole)                                                          \
    {                                                                                              \
        name, offsetof(serve_numbers_t, field), min, max, whole                                    \
    }

static const number_option_t numbers[] = {
    NUM("--threads", threads, 1, 256, true),
    NUM("--tile-cache", tile_cache_mb, 0, 65536, true),
    NUM("--network-cache", network_cache_mb, 0, 65536, true),
    NUM("--label-cache", label_cache_mb, 0, 65536, true),
    NUM("--max-zoom", max_zoom, 0, 22, true),
    NUM("--head-timeout", head_timeout, 1, 3600, true),
    NUM("--idle-timeout", idle_timeout, 1, 3600, true),
    NUM("--max-connections-per-ip", max_per_ip, 1, 1e6, true),
    NUM("--max-connections", max_connections, 16, 1e6, true),
    NUM("--tile-queue", tile_queue, 1, 1e6, true),
    NUM("--tile-timeout", tile_timeout, 0.1, 3600, false),
    NUM("--heavy-threads", heavy_threads, 1, 64, true),
    NUM("--heavy-queue", heavy_queue, 1, 1e6, true),
    NUM("--request-timeout", request_timeout, 0.1, 3600, false),
    NUM("--heavy-timeout", request_timeout, 0.1, 3600, false), /* its first name */
    NUM("--max-map-pixels", max_map_pixels, 1, 1e9, true),
    NUM("--max-distance-pairs", max_distance_pairs, 1, 1e10, true),
    NUM("--max-network-cost", max_network_cost, 1, 1e15, false),
    NUM("--max-network-vertices", max_network_vertices, 1, 1e10, true),
    NUM("--max-ties", max_ties, 1, 1e10, true),
    NUM("--max-response-mb", max_response_mb, 1, 65536, false),
    NUM("--shutdown-grace", shutdown_grace, 0, 3600, false),
    NUM("--scale", scale, 1, 2, true),
};

/* 1: taken (or -1 after a message) when argv[*i] is a numeric option. */
static int parse_number(int argc, char **argv, int *i, serve_numbers_t *n)
{
    for (size_t k = 0; k < sizeof(numbers) / sizeof(numbers[0]); k++) {
        const number_option_t *opt = &numbers[k];
        size_t len = strlen(opt->name);
        if (strncmp(argv[*i], opt->name, len) != 0 || (argv[*i][len] && argv[*i][len] != '='))
            continue;
        const char *v = option_value(argc, argv, i, opt->name);
        char *end = NULL;
        double d = v ? strtod(v, &end) : 0;
        if (v == NULL || *v == '\0' || *end != '\0' || !(d >= opt->min && d <= opt->max) ||
            (opt->whole && d != floor(d))) {
            fprintf(stderr, "coopmap: %s wants %s %g..%g\n", opt->name,
                    opt->whole ? "a whole number" : "a number", opt->min, opt->max);
            return -1;
        }
        *(double *)((char *)n + opt->offset) = d;
        return 1;
    }
    return 0;
}

static const serve_numbers_t number_defaults = {.threads = 0, /* serve: 4, seed: cores */
                                                .tile_cache_mb = 64,
                                                .max_zoom = 18,
                                                .network_cache_mb = 64,
                                                .label_cache_mb = 64,
                                                .head_timeout = 10,
                                                .idle_timeout = 30,
                                                .max_connections = 4096,
                                                .max_per_ip = 256,
                                                .tile_queue = 256,
                                                .tile_timeout = 10,
                                                .heavy_threads = 1,
                                                .heavy_queue = 16,
                                                .request_timeout = 10,
                                                .max_map_pixels = 16777216,
                                                .max_distance_pairs = 250000,
                                                .max_network_cost = 5e8,
                                                .max_network_vertices = 5e6,
                                                .max_ties = 1e6,
                                                .max_response_mb = 128};

static int parse_flag(const char *a, options_t *o)
{
    static const struct {
        const char *name;
        size_t offset;
    } flags[] = {{"--cross-border", offsetof(options_t, cross_border)},
                 {"--csv", offsetof(options_t, csv)},
                 {"--geojson", offsetof(options_t, geojson)},
                 {"--quiet", offsetof(options_t, quiet)},
                 {"--json", offsetof(options_t, json)}};
    for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]); k++)
        if (strcmp(a, flags[k].name) == 0) {
            *(int *)((char *)o + flags[k].offset) = 1;
            return 1;
        }
    return 0;
}

/* Options that take a string, kept as given. */
static int parse_string(int argc, char **argv, int *i, options_t *o)
{
    static const struct {
        const char *name;
        size_t offset;
    } strings[] = {
        {"--project", offsetof(options_t, project)},
        {"--base-url", offsetof(options_t, base_url)},
        {"--cors-origin", offsetof(options_t, cors_origin)},
        {"--cache-control", offsetof(options_t, cache_control)},
        {"--styles", offsetof(options_t, styles)},
        {"--frame-ancestors", offsetof(options_t, frame_ancestors)},
        {"--log-format", offsetof(options_t, log_format)},
        {"--from", offsetof(options_t, from)},
        {"--to", offsetof(options_t, to)},
        {"--model", offsetof(options_t, model)},
        {"--km", offsetof(options_t, km)},
        {"--k", offsetof(options_t, k)},
        {"--country", offsetof(options_t, country)},
        {"--style", offsetof(options_t, style)},
        {"--zoom", offsetof(options_t, zoom)},
        {"--bbox", offsetof(options_t, bbox)},
        {"--out", offsetof(options_t, out)},
        {"--format", offsetof(options_t, format)},
    };
    for (size_t k = 0; k < sizeof(strings) / sizeof(strings[0]); k++) {
        const char *v = option_value(argc, argv, i, strings[k].name);
        if (v == NULL) continue;
        *(const char **)((char *)o + strings[k].offset) = v;
        return 1;
    }
    return 0;
}

/* What the string options may hold. */
static int check_strings(const options_t *o)
{
    for (const char *c = o->frame_ancestors; c && *c; c++)
        if ((unsigned char)*c < 0x20) {
            fprintf(stderr, "coopmap: --frame-ancestors: control characters\n");
            return -1;
        }
    if (o->log_format && strcmp(o->log_format, "text") != 0 && strcmp(o->log_format, "json") != 0) {
        fprintf(stderr, "coopmap: --log-format wants text or json\n");
        return -1;
    }
    return 0;
}

static int parse_options(int argc, char **argv, options_t *o)
{
    *o = (options_t){.port = 8080, .n = number_defaults, .styles = COOPMAP_SOURCE_DIR "/styles"};
    strcpy(o->address, "127.0.0.1");
    o->project = getenv("COOPMAP_PROJECT");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int taken;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0 || strcmp(a, "-V") == 0 ||
            strcmp(a, "--version") == 0) {
            o->command = a;
        } else if ((v = option_value(argc, argv, &i, "--listen"))) {
            if (parse_listen(v, o) != 0) {
                fprintf(stderr, "coopmap: --listen wants ADDR:PORT, got '%s'\n", v);
                return -1;
            }
        } else if ((taken = parse_number(argc, argv, &i, &o->n)) != 0) {
            if (taken < 0) return -1;
        } else if (!parse_string(argc, argv, &i, o) && !parse_flag(a, o)) {
            if (a[0] != '-' && o->command == NULL) {
                o->command = a;
                continue;
            }
            fprintf(stderr, "coopmap: unknown argument '%s' (try --help)\n", a);
            return -1;
        }
    }
    if (o->project == NULL || o->project[0] == '\0') o->project = project_default_path();
    return check_strings(o);
}

int cli_load(const char *path, const struct tiles *tiles, dataset_t **ds)
{
    error_t err = {0};
    int rc = app_load(path, tiles, ds, &err);
    if (rc != ERR_OK) fprintf(stderr, "coopmap: error: %s\n", err.message);
    return rc;
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
    if (cli_load(o->project, NULL, &ds) != ERR_OK) return 1;
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
    if (strcmp(cmd, "serve") == 0) return cli_serve(&o);
    if (strcmp(cmd, "info") == 0) return info(&o);
    if (strcmp(cmd, "distances") == 0) return cli_distances(&o);
    if (strcmp(cmd, "network") == 0) return cli_network(&o);
    if (strcmp(cmd, "seed") == 0) return cli_seed(&o);
    fprintf(stderr, "coopmap: unknown command '%s' (try --help)\n", cmd);
    return 2;
}
