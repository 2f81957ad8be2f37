/* domain-cmds.h - what hbctl's hosted-domain commands share (cmd-domain.c,
 * cmd-policy.c, cmd-audit.c): the domain argument and one change through a
 * script of lib/hb-scripts-domains.c, made as the operator. */
#ifndef HBCTL_DOMAIN_CMDS_H
#define HBCTL_DOMAIN_CMDS_H

#include "hbctl.h"
#include "hb-addr.h"
#include "hb-settings.h"

/* Normalise the domain IN (IDN allowed) to its A-label in OUT
 * (HB_DOMAIN_MAX + 1 bytes); a usage error otherwise. */
int hbctl_domain_arg(struct hbctl *ctx, const char *in, char *out);

/* Run change SCRIPT for DOMAIN as "operator:LOGIN" from "local" with the
 * extra ARGV; a refusal (SCOPE, CAP, EXISTS ...) becomes the error message
 * (exit 1, or 2 for BADVALUE). */
int hbctl_domain_change(struct hbctl *ctx, const char *script, const char *domain,
			int argc, const char **argv);

/* After a failed hbctl_eval() of a change script: its refusal (CAP, SCOPE,
 * EXISTS ...) as the error in words; exit 2 for BADVALUE, else RET. */
int hbctl_script_refusal(struct hbctl *ctx, int ret);

/* "operator:LOGIN" for the audit log */
void hbctl_operator_identity(char *out, size_t size);

/* A new password: read from --password-file (mode 0600), or generated
 * (160 bits, *SHOW_R set: print it once).  The caller wipes PASSWORD. */
int hbctl_new_password(struct hbctl *ctx, char *password, size_t size, int *show_r);

/* The result of a change to one thing: {"ok":true, KEY:NAME[, "password"]}
 * with --json, else "WHAT NAME VERB"; a generated PASSWORD (NULL: none) is
 * printed this once only. */
void hbctl_print_change(struct hbctl *ctx, const char *key, const char *what, const char *name,
		      const char *verb, const char *password);

/* SMEMBERS of KEY sorted, as a NULL-terminated array of the reply's strings
 * (caller frees the array and the reply). */
int hbctl_sorted_members(struct hbctl *ctx, const char *key, redisReply **reply_r,
			 const char ***names_r);

/* Close a list printed after hbctl_json_arr_begin() (with --json) and free
 * what hbctl_sorted_members() returned.  Returns HBCTL_EXIT_OK. */
int hbctl_end_list(struct hbctl *ctx, const char **names, redisReply *reply);

/* words[1] of command GROUP, after the checks all domain commands share: no
 * options, and the verb one of VERBS (NULL-terminated); otherwise USAGE is
 * printed to stderr and a usage error returned. */
int hbctl_domain_verb(struct hbctl *ctx, const char *group, const char *const *verbs,
		      void (*usage)(FILE *), const char **verb_r);

int hbctl_cmd_domain(struct hbctl *ctx);
int hbctl_cmd_policy(struct hbctl *ctx);
int hbctl_cmd_caps(struct hbctl *ctx);
int hbctl_cmd_audit(struct hbctl *ctx);
/* cmd-mailbox.c: `user add|remove|list|suspend|resume` (from cmd-user.c),
 * `alias ...`, `sender ...` */
int hbctl_cmd_mailbox(struct hbctl *ctx);
int hbctl_cmd_alias(struct hbctl *ctx);
int hbctl_cmd_sender(struct hbctl *ctx);
/* cmd-admin.c: `admin add|remove|list|grant|revoke` */
int hbctl_cmd_admin(struct hbctl *ctx);

#endif
