/* `coopmap distances` and `coopmap network`. */
#include <stdio.h>
#include <stdlib.h>

#include "network/networks.h"
#include "cli_internal.h"
#include "network/network_out.h"

static int print_buf(buf_t *b)
{
    size_t len = 0;
    char *text = buf_steal(b, &len);
    if (text == NULL) {
        fprintf(stderr, "coopmap: error: out of memory\n");
        return 1;
    }
    fwrite(text, 1, len, stdout);
    free(text);
    return 0;
}

static const network_source_t *source_or_complain(dataset_t *ds)
{
    const network_source_t *src = networks_source(ds);
    if (src == NULL) fprintf(stderr, "coopmap: error: the project defines no towns network\n");
    return src;
}

int cli_distances(const options_t *o)
{
    dataset_t *ds = NULL;
    if (cli_load(o->project, NULL, &ds) != ERR_OK) return 1;
    const network_source_t *src = source_or_complain(ds);
    uint32_t *from = NULL, *to = NULL;
    size_t nfrom = 0, nto = 0;
    error_t err = {0};
    int rc = src ? 0 : 1;
    if (src && (network_find_nodes(src, o->from, &from, &nfrom, &err) != ERR_OK ||
                network_find_nodes(src, o->to, &to, &nto, &err) != ERR_OK)) {
        fprintf(stderr, "coopmap: error: %s%s\n",
                from == NULL ? "--from: " : "--to: ", err.message);
        rc = 2;
    } else if (src) {
        buf_t b = BUF_INIT;
        network_write_distances(&b, src, from, nfrom, to, nto,
                                o->csv    ? DISTANCES_CSV
                                : o->json ? DISTANCES_JSON
                                          : DISTANCES_TEXT);
        rc = print_buf(&b);
    }
    free(from);
    free(to);
    dataset_unref(ds);
    return rc;
}

int cli_network(const options_t *o)
{
    dataset_t *ds = NULL;
    if (cli_load(o->project, NULL, &ds) != ERR_OK) return 1;
    network_params_t params;
    network_t *net = NULL;
    error_t err = {0};
    int rc = source_or_complain(ds) ? 0 : 1;
    if (rc == 0 &&
        (network_params_parse(&params, o->model, o->k, o->km, o->cross_border ? "true" : NULL,
                              o->country, &err) != ERR_OK ||
         networks_get(ds, &params, &net, &err) != ERR_OK)) {
        fprintf(stderr, "coopmap: error: %s\n", err.message);
        rc = err.code == ERR_INVALID ? 2 : 1;
    } else if (rc == 0 && network_metrics(net) != ERR_OK) {
        fprintf(stderr, "coopmap: error: out of memory computing the metrics\n");
        rc = 1;
    } else if (rc == 0) {
        buf_t b = BUF_INIT;
        if (o->geojson)
            network_write_geojson(&b, net);
        else if (o->json)
            network_write_metrics(&b, net);
        else
            network_write_table(&b, net);
        rc = print_buf(&b);
    }
    network_unref(net);
    dataset_unref(ds);
    return rc;
}
