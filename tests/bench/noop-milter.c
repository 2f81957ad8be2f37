/* noop-milter.c - the do-nothing libmilter milter: the protocol's floor for
 * the milter benchmark (tests/bench/run-milter-bench.sh, docs/PERFORMANCE.md).
 * It answers connect, MAIL FROM and RCPT TO with CONTINUE and end of message
 * with ACCEPT, and asks for nothing else.  It never looks at the mail and must
 * never modify it; it listens on loopback or a unix socket only.
 * With -D it also answers DATA with CONTINUE: over TCP, Postfix's macro packet
 * for DATA gets no reply without it, and Nagle's algorithm then holds the end
 * of message until the milter's delayed ACK (~40 ms on Linux).
 *
 * usage: noop-milter -p inet:PORT@127.0.0.1|unix:PATH [-D] [-T SECONDS] */
#include <libmilter/mfapi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOOP_DEFAULT_TIMEOUT 300   /* seconds, libmilter's own default */
#define NOOP_MAX_TIMEOUT 3600

static sfsistat noop_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
	(void)ctx; (void)host; (void)addr;
	return SMFIS_CONTINUE;
}

static sfsistat noop_envfrom(SMFICTX *ctx, char **argv)
{
	(void)ctx; (void)argv;
	return SMFIS_CONTINUE;
}

static sfsistat noop_envrcpt(SMFICTX *ctx, char **argv)
{
	(void)ctx; (void)argv;
	return SMFIS_CONTINUE;
}

static sfsistat noop_data(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static sfsistat noop_eom(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_ACCEPT;
}

/* The benchmark's milter must not be reachable from outside: accept only a
 * unix socket or an inet socket bound to 127.0.0.1. */
static int noop_socket_is_local(const char *spec)
{
	const char *at;

	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0)
		return spec[spec[0] == 'u' ? 5 : 6] != '\0';
	if (strncmp(spec, "inet:", 5) != 0)
		return 0;
	at = strchr(spec, '@');
	return at != NULL && at > spec + 5 && strcmp(at + 1, "127.0.0.1") == 0;
}

static void noop_usage(void)
{
	fputs("usage: noop-milter -p inet:PORT@127.0.0.1|unix:PATH [-D] [-T SECONDS]\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	struct smfiDesc desc;
	const char *spec = NULL;
	long timeout = NOOP_DEFAULT_TIMEOUT;
	char *end;
	int c, answer_data = 0;

	while ((c = getopt(argc, argv, "p:DT:")) != -1) {
		switch (c) {
		case 'p':
			spec = optarg;
			break;
		case 'D':
			answer_data = 1;
			break;
		case 'T':
			timeout = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || timeout < 1 || timeout > NOOP_MAX_TIMEOUT)
				noop_usage();
			break;
		default:
			noop_usage();
		}
	}
	if (spec == NULL || optind != argc)
		noop_usage();
	if (!noop_socket_is_local(spec)) {
		fprintf(stderr, "noop-milter: %s: only unix: or inet:PORT@127.0.0.1\n", spec);
		return 2;
	}

	memset(&desc, 0, sizeof(desc));
	desc.xxfi_name = "noop-milter";
	desc.xxfi_version = SMFI_VERSION;
	desc.xxfi_flags = 0;          /* changes nothing in the mail */
	desc.xxfi_connect = noop_connect;
	desc.xxfi_envfrom = noop_envfrom;
	desc.xxfi_envrcpt = noop_envrcpt;
	desc.xxfi_eom = noop_eom;
	if (answer_data)
		desc.xxfi_data = noop_data;

	if (smfi_setconn((char *)spec) == MI_FAILURE ||
	    smfi_settimeout((int)timeout) == MI_FAILURE ||
	    smfi_register(desc) == MI_FAILURE) {
		fputs("noop-milter: libmilter setup failed\n", stderr);
		return 1;
	}
	/* libmilter stops on SIGTERM, SIGINT and SIGHUP by itself */
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
