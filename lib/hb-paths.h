/* hb-paths.h - where an installed Hummingbird looks for its files by default:
 * SYSCONFDIR/hummingbird, SYSCONFDIR being configure's --sysconfdir (/etc for
 * Debian's packages, /usr/local/etc for a plain ./configure). */
#ifndef HB_PATHS_H
#define HB_PATHS_H

/* The Makefile passes -DHB_SYSCONFDIR from $(sysconfdir); builds outside it
 * (tests/fuzz/run-fuzzers.sh compiles sources directly) get /etc. */
#ifndef HB_SYSCONFDIR
#define HB_SYSCONFDIR "/etc"
#endif

#define HB_CONFIG_DIR HB_SYSCONFDIR "/hummingbird"

#endif
