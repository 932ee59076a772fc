/* coopmap: a map service for the City Cooperation towns (see README.md). */
#include "cli.h"

int main(int argc, char **argv)
{
    return cli_main(argc, argv);
}
