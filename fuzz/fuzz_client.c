/* fuzz_client.c: a reply as the client `tern` takes and shows it.
 *
 * The bytes are a reply to "example.com A" (whatever they hold): they go
 * through the client's checks of a reply (cli_reply_check, as over UDP and
 * over TCP) and then through every printer, each with several sets of
 * display options: dig's text (plain, +multiline, +unknownformat,
 * +nocrypto +rrcomments, +split, +nottlid +noclass +ttlunits +idnout,
 * +expandaaaa), +short (with +identify), +yaml and +json. Output goes to
 * /dev/null. Checks: every printer returns one of the documented statuses
 * (0, 2, 3), and nothing reads or writes out of bounds (the sanitizers).
 * With a TSIG key in use, the bytes are also verified as a signed reply
 * (cli_tsig_check), and read as a -k key file (cli_keyfile_parse: 0 with
 * every field, or one of its errors) and as -y's text. */
#include <string.h>

#include "client/client.h"
#include "fuzz.h"

static struct cli *c;   /* built once: the run's buffers, no state between inputs */
static FILE *devnull;

static void setup(void)
{
	c = calloc(1, sizeof *c);
	devnull = fopen("/dev/null", "w");
	FUZZ_CHECK(c && devnull);
	snprintf(c->srv.addr, sizeof c->srv.addr, "127.0.0.1");
	snprintf(c->srv.given, sizeof c->srv.given, "127.0.0.1");
	c->srv.port = 53;
	c->srv.sa.ss_family = AF_INET;
	memset(c->client_cookie, 0xab, sizeof c->client_cookie);
	/* a TSIG key in use: the query is signed, the reply verified */
	FUZZ_CHECK(tern_tsig_key_from_text(&c->tsig_key, "tkey.", "hmac-sha256", "c2VjcmV0IG9mIHRoZSBmdXp6ZXI=") == 0);
	c->tsig = true;
}

static bool status_ok(int rc)
{
	return rc == CLI_EXIT_OK || rc == CLI_EXIT_NXDOMAIN || rc == CLI_EXIT_RCODE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > TERN_MSG_MAX)
		return 0;
	if (!c)
		setup();
	struct cli_query q = {.qtype = TERN_T_A, .qclass = TERN_C_IN};
	static const uint8_t qname[] = "\x07" "example" "\x03" "com";
	memcpy(q.qname, qname, sizeof qname);
	q.o = (struct cli_opts){.rd = true, .ad = true, .edns = true, .cookie = true, .show = CLI_SHOW_ALL,
	                        .bufsize = TERN_EDNS_SIZE, .timeout = 1, .tries = 1, .qid = -1,
	                        .split = CLI_SPLIT_DEFAULT};
	FUZZ_CHECK(cli_query_build(c, &q, size >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0) == 0);
	int v = cli_reply_check(c, data, size, false, devnull);
	FUZZ_CHECK(v == CLI_REPLY_TAKE || v == CLI_REPLY_SKIP);
	v = cli_reply_check(c, data, size, true, devnull);
	FUZZ_CHECK(v == CLI_REPLY_TAKE || v == CLI_REPLY_SKIP || v == CLI_REPLY_GIVE_UP);

	memcpy(c->reply.pkt, data, size);
	c->reply.len = size;
	tern_tsig_ctx tv;
	cli_tsig_start(c, &tv);
	cli_tsig_check(c, &tv, devnull);
	tern_tsig_ctx_free(&tv);
	c->tsig_failed = false;

	/* the same bytes as a -k key file and as -y's text */
	struct cli_keytext kt;
	int kf = cli_keyfile_parse((const char *)data, size, &kt);
	FUZZ_CHECK(kf == 0 || kf == CLI_KEYFILE_SYNTAX || kf == CLI_KEYFILE_INCOMPLETE);
	FUZZ_CHECK(kf != 0 || (kt.alg[0] && kt.secret[0] && kt.name[0]));
	char text[2048];
	size_t tl = size < sizeof text - 1 ? size : sizeof text - 1;
	memcpy(text, data, tl);
	text[tl] = 0;
	struct cli *y = calloc(1, sizeof *y);
	FUZZ_CHECK(y != NULL);
	fuzz_quiet(); /* -y says why it refuses a long algorithm name */
	int yk = cli_tsig_option(y, 'y', text);
	fuzz_loud();
	FUZZ_CHECK(yk == 0 || yk == -1 || yk == -2);
	free(y);
	struct cli_opts plain = q.o;
	for (int k = 0; k < 7; k++) {
		q.o = plain;
		switch (k) {
		case 1: q.o.multiline = true; break;
		case 2: q.o.unknownformat = true; break;
		case 3: q.o.nocrypto = true, q.o.rrcomments = 1; break;
		case 4: q.o.split = 8, q.o.expandaaaa = true; break;
		case 5: q.o.nottl = q.o.noclass = q.o.ttlunits = q.o.idnout = true; break;
		case 6: q.o.multiline = true, q.o.split = 0, q.o.identify = true, q.o.show &= ~CLI_SHOW_STATS; break;
		}
		FUZZ_CHECK(status_ok(cli_print_reply(c, &q, devnull)));
		FUZZ_CHECK(memcmp(c->reply.pkt, data, size) == 0); /* the printers only read it */
	}
	q.o = plain;
	q.o.identify = true;
	FUZZ_CHECK(status_ok(cli_print_short(c, &q, devnull)));
	q.o = plain;
	FUZZ_CHECK(status_ok(cli_print_yaml(c, &q, devnull)));
	fuzz_quiet(); /* +json says why a reply is bad on stderr */
	int rc = cli_print_json(c, devnull);
	fuzz_loud();
	FUZZ_CHECK(status_ok(rc));
	return 0;
}
