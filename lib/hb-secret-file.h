/* hb-secret-file.h - the one reader of secret files (docs/SECURITY.md 3):
 * every password, key and token a Hummingbird program reads from disk goes
 * through hb_secret_open(), which refuses symlinks, non-regular files, files
 * not owned by the reading euid and any group/other permission bits.  The
 * one documented exception: root may read the director's doveadm API key
 * (hb_secret_read_verbatim).  Never logs a secret. */
#ifndef HB_SECRET_FILE_H
#define HB_SECRET_FILE_H

#include <stddef.h>

/* Longest password or secret (bytes, without NUL) accepted anywhere here. */
#define HB_SECRET_MAX 1024

/* Read a secret from PATH: it must be a regular file (not a symlink) owned by
 * geteuid() with no group/other permission bits.  One trailing "\n" or "\r\n"
 * is removed; the rest must be 1..HB_SECRET_MAX bytes without NUL or line
 * breaks and fit OUT (NUL-terminated).  Returns 0, or -1 with *ERROR_R set;
 * the reason names PATH and lives in a per-thread static buffer that is
 * overwritten by the next failing hb_secret_read_file/write_file call of the
 * same thread. */
int hb_secret_read_file(const char *path, char *out, size_t out_size, const char **error_r);

/* Read a key shared with Dovecot from PATH byte for byte, the way Dovecot
 * 2.3 reads "setting = <PATH" (e.g. doveadm_api_key): the whole file, a
 * trailing newline included, so that one file read by both sides always
 * gives both the same key (docs/INSTALL.md).  Unlike hb_secret_read_file()
 * no line end is removed.  PATH must be a regular file (not a symlink) with no
 * group/other permission bits, owned by geteuid() -- or by anyone when root
 * reads it (hbctl reading the director's file).  The content must be
 * 1..HB_SECRET_MAX bytes, not only line breaks, without NUL, and fit OUT
 * with its NUL.  Returns 0, or -1 with *ERROR_R as hb_secret_read_file()
 * sets it. */
int hb_secret_read_verbatim(const char *path, char *out, size_t out_size, const char **error_r);

/* Number of line-break bytes ("\n", "\r") at the end of SECRET (0: none);
 * for messages that explain a key mismatch. */
size_t hb_secret_line_end(const char *secret);

/* Open PATH for reading with the checks of hb_secret_read_file() (no
 * symlink, a regular file owned by geteuid(), no group/other bits), for a
 * secret that is not one line (a PEM private key).  Returns the descriptor,
 * or -1 with *ERROR_R as hb_secret_read_file() sets it. */
int hb_secret_open(const char *path, const char **error_r);

/* Create PATH (which must not exist, and is never followed as a symlink) with
 * mode 0600 whatever the umask, write SECRET and "\n", fsync and close it.
 * SECRET must be 1..HB_SECRET_MAX bytes without line breaks.  On failure a
 * partly written file is removed.  Returns 0, or -1 with *ERROR_R in the same
 * per-thread buffer as hb_secret_read_file(). */
int hb_secret_write_file(const char *path, const char *secret, const char **error_r);

/* hb_secret_read_file() into a malloc'd string (*SECRET_R, the caller wipes
 * and frees it), for callers with an error buffer: on failure returns -1
 * with the reason in ERR and *SECRET_R NULL. */
int hb_read_secret_file(const char *path, char **secret_r, char *err, size_t err_size);

#endif
