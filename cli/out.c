/*
 * out.c - everything amana shows goes through here: error and hint lines, notes, safe display
 * of untrusted text, the JSON writer behind --json, and the shared option and vault helpers
 * that every command uses.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "vault/io.h"
#include "vault/store.h"
#include "vault/text.h"

/* ---- messages ---------------------------------------------------------------------------- */

void out_error(const struct err *e)
{
	fflush(stdout);
	char *m = text_display(e->msg, strlen(e->msg));
	fprintf(stderr, "amana: %s\n", m ? m : e->msg);
	free(m);
	if (!e->hint[0] && e->code == ERR_INTERNAL)
		fprintf(stderr, "hint: this looks like a bug in amana, or a vault changed behind its "
				"back; please report it with the command you ran\n");
	if (e->hint[0]) {
		char *h = text_display(e->hint, strlen(e->hint));
		fprintf(stderr, "hint: %s\n", h ? h : e->hint);
		free(h);
	}
}

void out_note(const struct cli_ctx *ctx, const char *fmt, ...)
{
	if (ctx->verbosity < 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("amana: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void out_line(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
}

const char *out_safe(int slot, const char *s)
{
	static char *bufs[4];
	slot &= 3;
	free(bufs[slot]);
	bufs[slot] = s ? text_display(s, strlen(s)) : NULL;
	return bufs[slot] ? bufs[slot] : "";
}

int out_finish(struct err *e)
{
	if (fflush(stdout) != 0 || ferror(stdout))
		return err_errno(e, ERR_IO, "cannot write to standard output");
	return 0;
}

/* ---- JSON -------------------------------------------------------------------------------- */

static struct {
	int depth;
	bool first[64];
} js = {0, {true}};

static void json_write_string(const char *s, size_t n);

static void json_sep(const char *key)
{
	if (js.depth > 0) {
		if (!js.first[js.depth])
			putchar(',');
		js.first[js.depth] = false;
	}
	if (key) {
		json_write_string(key, strlen(key));
		putchar(':');
	}
}

static void json_push(char open)
{
	putchar(open);
	if (js.depth < 63)
		js.depth++;
	js.first[js.depth] = true;
}

void json_begin_object(void)
{
	json_sep(NULL);
	json_push('{');
}

void json_begin_object_in(const char *key)
{
	json_sep(key);
	json_push('{');
}

void json_end_object(void)
{
	putchar('}');
	js.depth--;
}

void json_begin_array(const char *key)
{
	json_sep(key);
	json_push('[');
}

void json_end_array(void)
{
	putchar(']');
	js.depth--;
}

/* Writes s as a JSON string: UTF-8 passes through; controls, quotes, backslashes and the
 * invisible/bidi characters are escaped as \uXXXX so that a script sees exact code points;
 * bytes that are not UTF-8 become U+FFFD (JSON cannot carry them). */
static void json_write_string(const char *s, size_t n)
{
	putchar('"');
	size_t i = 0;
	while (i < n) {
		uint32_t cp;
		size_t k = text_utf8_next(s + i, n - i, &cp);
		if (k == 0) {
			fputs("\\ufffd", stdout);
			i++;
			continue;
		}
		if (cp == '"' || cp == '\\')
			printf("\\%c", (char)cp);
		else if (cp == '\n')
			fputs("\\n", stdout);
		else if (cp == '\t')
			fputs("\\t", stdout);
		else if (text_cp_hidden(cp) && cp <= 0xffff)
			printf("\\u%04x", (unsigned)cp);
		else
			fwrite(s + i, 1, k, stdout);
		i += k;
	}
	putchar('"');
}

void json_strn(const char *key, const char *s, size_t n)
{
	json_sep(key);
	json_write_string(s, n);
}

void json_str(const char *key, const char *value)
{
	if (!value) {
		json_null(key);
		return;
	}
	json_strn(key, value, strlen(value));
}

void json_int(const char *key, long long value)
{
	json_sep(key);
	printf("%lld", value);
}

void json_bool(const char *key, bool value)
{
	json_sep(key);
	fputs(value ? "true" : "false", stdout);
}

void json_null(const char *key)
{
	json_sep(key);
	fputs("null", stdout);
}

void json_done(void)
{
	putchar('\n');
	js.depth = 0;
	js.first[0] = true;
}

/* ---- options ----------------------------------------------------------------------------- */

int cli_getopt(struct cli_ctx *ctx, int argc, char **argv, const char *shortopts,
	       const struct option *longopts, struct err *e)
{
	char shorts[128];
	struct option longs[35];
	size_t nl = 0;
	snprintf(shorts, sizeof shorts, ":h%s", shortopts);
	if (longopts)
		for (; longopts[nl].name && nl < 30; nl++)
			longs[nl] = longopts[nl];
	longs[nl++] = (struct option){"help", no_argument, NULL, 'h'};
	/* --json is a global option, and every command takes it after its name too. */
	longs[nl++] = (struct option){"json", no_argument, NULL, 0x100};
	longs[nl++] = (struct option){"threads", required_argument, NULL, 0x101};
	longs[nl] = (struct option){NULL, 0, NULL, 0};
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) == 0x100 || c == 0x101) {
		if (c == 0x100)
			ctx->json = true;
		else if (cli_parse_threads(optarg, e) != 0)
			return -1;
	}
	switch (c) {
	case -1:
		return 0;
	case 'h':
		cli_print_help(ctx->cmd, stdout);
		return CLI_HELP_SHOWN;
	case ':':
		return cli_usage(e, "option '%s' needs a value", argv[optind - 1]);
	case '?':
		if (optopt)
			return cli_usage(e, "unknown option '-%c'", optopt);
		return cli_usage(e, "unknown option '%s'", argv[optind - 1]);
	default:
		return c;
	}
}

int cli_parse_threads(const char *arg, struct err *e)
{
	if (strcmp(arg, "1") == 0)
		io_set_threads(1);
	else if (strcmp(arg, "0") == 0 || strcmp(arg, "auto") == 0)
		io_set_threads(0);
	else
		return cli_usage(e, "--threads takes 1 (one thread) or auto (a second core when there is one)");
	return 0;
}

bool cli_show_usage;

int cli_usage(struct err *e, const char *fmt, ...)
{
	cli_show_usage = true;
	va_list ap;
	va_start(ap, fmt);
	e->code = ERR_USAGE;
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	e->hint[0] = '\0';
	va_end(ap);
	return -1;
}

int cli_nargs(int argc, char **argv, int min, int max, const char *what, struct err *e)
{
	int n = argc - optind;
	if (n < min)
		return cli_usage(e, "missing %s", what);
	if (max >= 0 && n > max)
		return cli_usage(e, "unexpected argument '%s'", argv[optind + max]);
	return 0;
}

int cli_args_only(struct cli_ctx *ctx, int argc, char **argv, int min, int max,
		  const char *what, struct err *e)
{
	int c;
	while ((c = cli_getopt(ctx, argc, argv, "", NULL, e)) > 0)
		;
	if (c < 0)
		return c;
	return cli_nargs(argc, argv, min, max, what, e);
}

int cli_subcommand(struct cli_ctx *ctx, int argc, char **argv, const struct cli_sub *subs,
		   struct err *e)
{
	char names[256] = "";
	for (const struct cli_sub *s = subs; s->name; s++) {
		if (argc >= 2 && strcmp(argv[1], s->name) == 0)
			return s->run(ctx, argc - 1, argv + 1, e);
		size_t n = strlen(names);
		snprintf(names + n, sizeof names - n, "%s%s", n ? ", " : "", s->name);
	}
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		cli_print_help(ctx->cmd, stdout);
		return CLI_HELP_SHOWN;
	}
	if (argc < 2)
		return cli_usage(e, "'amana %s' needs a subcommand: %s", ctx->cmd->name, names);
	return cli_usage(e, "unknown subcommand 'amana %s %s' (want one of: %s)", ctx->cmd->name,
			 argv[1], names);
}

int cli_parse_fd(const char *s, int *fd, struct err *e)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 0 || v > 65535)
		return cli_usage(e, "'%s' is not a file descriptor number", s);
	*fd = (int)v;
	return 0;
}

int cli_parse_count(const char *s, unsigned *n, struct err *e)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 0 || v > 1000)
		return cli_usage(e, "'%s' is not a count", s);
	*n = (unsigned)v;
	return 0;
}

/* ---- the vault --------------------------------------------------------------------------- */

const char *cli_vault(struct cli_ctx *ctx, struct err *e)
{
	static char buf[4096];
	const char *v;
	if (ctx->vault_dir)
		return ctx->vault_dir;
	if ((v = getenv("AMANA_HOME")) && *v)
		return v;
	if ((v = getenv("XDG_DATA_HOME")) && *v) {
		snprintf(buf, sizeof buf, "%s/amana", v);
		return buf;
	}
	if ((v = getenv("HOME")) && *v) {
		snprintf(buf, sizeof buf, "%s/.local/share/amana", v);
		return buf;
	}
	err_set(e, ERR_IO, "cannot tell where the vault is: HOME is not set");
	err_hint(e, "give one with --vault DIR or AMANA_HOME");
	return NULL;
}

static void waiting_note(void *arg)
{
	out_note(arg, "waiting for another amana that is writing to this vault (a seal holds it "
		      "until its bundle is written)...");
}

long cli_wait_ms(long usual_ms)
{
	const char *v = getenv("AMANA_BUSY_TIMEOUT");
	if (v && *v && strspn(v, "0123456789") == strlen(v) && strlen(v) <= 6)
		return atol(v) * 1000;
	return usual_ms;
}

struct store *cli_store(struct cli_ctx *ctx, struct err *e)
{
	if (ctx->store)
		return ctx->store;
	const char *dir = cli_vault(ctx, e);
	if (!dir)
		return NULL;
	store_wait_setup(cli_wait_ms(CLI_WAIT_MS), waiting_note, ctx);
	if (store_open(&ctx->store, dir, e) != 0)
		return NULL;
	return ctx->store;
}
