/* Command-line front end: `coopmap serve|info|--help|--version`. */
#ifndef COOPMAP_CLI_H
#define COOPMAP_CLI_H

/* Runs the command line; returns the process exit status (0 ok, 1 failure,
 * 2 usage error). */
int cli_main(int argc, char **argv);

#endif
