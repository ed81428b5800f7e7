/* interactive.c: the original client's prompt loop, kept word for word:
 * "Enter hostname: " then "Record type: " (empty means A), the answer in
 * the same format as on the command line, until end of input or "quit"
 * (or "exit"). A hostname line may carry the type (and class) itself,
 * "example.com MX", and is then answered without the second prompt. Works the same on a terminal and on a pipe; the prompts go
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

/* "TYPE" or "TYPE CLASS" (either order) into q. Returns 0 or -1. */
static int parse_type_class(char *words, struct cli_query *q)
{
	char *save = NULL;
	bool type_seen = false, class_seen = false;
	for (char *w = strtok_r(words, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (!type_seen && tern_type_from_text(w, strlen(w), &q->qtype) == 0)
			type_seen = true;
		else if (!class_seen && tern_class_from_text(w, strlen(w), &q->qclass) == 0)
			class_seen = true;
		else
			return -1;
	}
	return 0;
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
		/* "example.com MX" on one line answers at once, without the second prompt */
		char *rest = host + strcspn(host, " \t");
		bool eof = false;
		if (*rest) {
			*rest++ = 0;
			rest += strspn(rest, " \t");
			snprintf(type, sizeof type, "%s", rest);
		} else {
			fputs("Record type: ", out);
			fflush(out);
			eof = !read_line(in, type, sizeof type);
			if (eof)
				type[0] = 0;
			if (is_quit(type))
				return status;
		}
		q.qtype = c->def_type;
		q.qclass = c->def_class;
		if (type[0] && parse_type_class(type, &q) != 0) {
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
		char tname[32], cname[32];
		tern_type_to_text(q.qtype, tname, sizeof tname);
		tern_class_to_text(q.qclass, cname, sizeof cname);
		snprintf(extra, sizeof extra, "%s %s%s%s", host, tname, q.qclass == TERN_C_IN ? "" : " ",
		         q.qclass == TERN_C_IN ? "" : cname);
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
