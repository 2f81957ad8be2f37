/* usage.h - hbctl's help texts, one per command group, kept apart from the
 * code so that `hbctl CMD --help` and usage errors print the same words. */
#ifndef HBCTL_USAGE_H
#define HBCTL_USAGE_H

#include <stdio.h>

void hbctl_usage_main(FILE *f);
void hbctl_usage_backend(FILE *f);
void hbctl_usage_user(FILE *f);
void hbctl_usage_status(FILE *f);
void hbctl_usage_locks(FILE *f);
void hbctl_usage_domain(FILE *f);
void hbctl_usage_policy(FILE *f);
void hbctl_usage_audit(FILE *f);
void hbctl_usage_alias(FILE *f);
void hbctl_usage_sender(FILE *f);
void hbctl_usage_admin(FILE *f);
void hbctl_usage_doctor(FILE *f);

#endif
