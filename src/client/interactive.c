/* interactive.c: the original client's prompt loop: "Enter hostname: "
 * then "Record type: " (empty means A), the answer in the same format as
 * on the command line, until end of input or "quit" (or "exit"); "help"
 * lists what can be typed. A hostname line may carry the type (and class)
 * itself, "example.com MX", and is then answered without the second
 * prompt. The prompts and the loop's own messages go to the terminal:
 * standard output if it is one, else standard error, so that piped output
 * holds the answers alone. On a terminal, with libedit at build time
 * (TERN_HAVE_LIBEDIT), lines can be edited and earlier ones recalled with
 * the arrow keys. Options given on the command line apply to every lookup. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef TERN_HAVE_LIBEDIT
#include <editline/readline.h>
#endif

#include "client/client.h"

/* Trims the blanks around buf. */
static void trim(char *buf)
{
	size_t n = strlen(buf);
	while (n && isspace((unsigned char)buf[n - 1]))
		buf[--n] = 0;
	size_t skip = 0;
	while (isspace((unsigned char)buf[skip]))
		skip++;
	memmove(buf, buf + skip, n - skip + 1);
}

/* Shows prompt on the prompt stream and reads one line without its newline
 * and surrounding blanks: with libedit on a terminal (the line goes into
 * the history), else plainly. Returns false at end of input. A line longer
 * than the buffer is consumed and cut. */
static bool read_line(FILE *in, FILE *prompts, bool edit, const char *prompt, char *buf, size_t cap)
{
#ifdef TERN_HAVE_LIBEDIT
	if (edit) {
		rl_outstream = prompts;
		char *line = readline(prompt);
		if (!line)
			return false;
		snprintf(buf, cap, "%s", line);
		free(line);
		trim(buf);
		if (buf[0])
			add_history(buf);
		return true;
	}
#else
	(void)edit;
#endif
	fputs(prompt, prompts);
	fflush(prompts);
	if (!fgets(buf, (int)cap, in))
		return false;
	size_t n = strlen(buf);
	if (n && buf[n - 1] != '\n' && !feof(in)) {
		int ch;
		while ((ch = getc(in)) != EOF && ch != '\n')
			;
	}
	trim(buf);
	return true;
}

static void help(FILE *to)
{
	fputs("Type a host name, then its record type at \"Record type:\" (empty: A),\n"
	      "or both on one line: \"example.com MX\" (a class may follow: \"version.bind TXT CH\").\n"
	      "  help          this text\n"
	      "  quit, exit    leave (so does end of input, Ctrl-D)\n"
	      "The options of the command line (+short, +tcp, @server ...) hold for every lookup.\n",
	      to);
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
	/* the prompts on the terminal: stdout if it is one, else stderr */
	FILE *prompts = isatty(fileno(out)) ? out : stderr;
	bool edit = isatty(fileno(in));
#ifdef TERN_HAVE_LIBEDIT
	if (edit) {
		rl_instream = in;
		using_history();
	}
#endif
	q.o.short_out |= c->short_form;
	q.greeting = true;
	for (;;) {
		if (!read_line(in, prompts, edit, "Enter hostname: ", host, sizeof host))
			break;
		if (is_quit(host))
			return status;
		if (strcmp(host, "help") == 0 || strcmp(host, "?") == 0) {
			help(prompts);
			continue;
		}
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
			eof = !read_line(in, prompts, edit, "Record type: ", type, sizeof type);
			if (eof)
				type[0] = 0;
			if (is_quit(type))
				return status;
		}
		q.qtype = c->def_type;
		q.qclass = c->def_class;
		if (type[0] && parse_type_class(type, &q) != 0) {
			fprintf(prompts, "Unknown record type '%s'\n", type);
			if (eof)
				break;
			continue;
		}
		if (cli_name_from_text(host, q.qname) != 0) {
			fprintf(prompts, "Invalid hostname '%s'\n", host);
			if (eof)
				break;
			continue;
		}
		snprintf(q.text, sizeof q.text, "%s", host);
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
	fputc('\n', prompts);
	fflush(prompts);
	return status;
}
