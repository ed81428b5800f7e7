/* interactive.c: the original client's prompt loop, kept word for word:
 * "Enter hostname: " then "Record type: " (empty means A), the answer in
 * the same format as on the command line, until end of input or "quit"
 * (or "exit"). Works the same on a terminal and on a pipe; the prompts go
 * to stdout. Options given on the command line apply to every lookup. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "client/client.h"

/* Reads one line without its newline and surrounding blanks. Returns false
 * at end of input. A line longer than the buffer is consumed and cut. */
static bool read_line(FILE *in, char *buf, size_t cap)
{
	if (!fgets(buf, (int)cap, in))
		return false;
	size_t n = strlen(buf);
	if (n && buf[n - 1] != '\n' && !feof(in)) {
		int ch;
		while ((ch = getc(in)) != EOF && ch != '\n')
			;
	}
	while (n && isspace((unsigned char)buf[n - 1]))
		buf[--n] = 0;
	size_t skip = 0;
	while (isspace((unsigned char)buf[skip]))
		skip++;
	memmove(buf, buf + skip, n - skip + 1);
	return true;
}

static bool is_quit(const char *s)
{
	return strcmp(s, "quit") == 0 || strcmp(s, "exit") == 0;
}

int cli_interactive(struct cli *c, FILE *in, FILE *out)
{
	char host[TERN_NAME_TEXT_MAX], type[64], extra[TERN_NAME_TEXT_MAX + 80];
	int status = CLI_EXIT_OK;
	struct cli_query q = {.qclass = c->def_class, .o = c->defaults};
	for (;;) {
		fputs("Enter hostname: ", out);
		fflush(out);
		if (!read_line(in, host, sizeof host))
			break;
		if (is_quit(host))
			return status;
		if (!host[0])
			continue;
		fputs("Record type: ", out);
		fflush(out);
		bool eof = !read_line(in, type, sizeof type);
		if (eof)
			type[0] = 0;
		if (is_quit(type))
			return status;
		q.qtype = c->def_type;
		if (type[0] && tern_type_from_text(type, strlen(type), &q.qtype) != 0) {
			fprintf(out, "Unknown record type '%s'\n", type);
			if (eof)
				break;
			continue;
		}
		if (cli_name_from_text(host, q.qname) != 0) {
			fprintf(out, "Invalid hostname '%s'\n", host);
			if (eof)
				break;
			continue;
		}
		char tname[32];
		tern_type_to_text(q.qtype, tname, sizeof tname);
		snprintf(extra, sizeof extra, "%s %s", host, tname);
		int rc = cli_run_query(c, &q, extra);
		if (rc > status && rc != CLI_EXIT_USAGE)
			status = rc;
		if (eof)
			break;
	}
	fputc('\n', out);
	fflush(out);
	return status;
}
