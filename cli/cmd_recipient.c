/*
 * cmd_recipient.c - "amana recipient": the secretariat's directory of member states.
 *
 *   recipient add (age1...|FILE.pub) --name NAME
 *   recipient list
 *   recipient remove NAME
 *
 * 'seal --to NAME' and 'encrypt -r NAME' look names up here. Names are stored exactly as
 * given (Arabic is the common case) and shown with invisible and bidi controls escaped.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "keys/keyring.h"
#include "vault/io.h"

#define PUBFILE_MAX 65536

/* The recipient named by arg: the string itself when it looks like one and no file has that
 * name, else the first line of the file that is neither empty nor a comment. *out is
 * malloc'd. */
static int recipient_from_arg(const char *arg, char **out, struct err *e)
{
	if (strncmp(arg, "age1", 4) == 0 && !io_exists(arg))
		return (*out = strdup(arg)) ? 0 : err_set(e, ERR_IO, "out of memory");
	unsigned char *text;
	size_t len;
	if (io_read_file(arg, PUBFILE_MAX, &text, &len, e) != 0)
		return err_hint(e, "give an age1... recipient or the PREFIX.pub of 'amana key new encrypt'");
	char *line = (char *)text, *found = NULL;
	while (line && *line) {
		size_t n = strcspn(line, "\r\n");
		if (n > 0 && line[0] != '#') {
			found = strndup(line, n);
			break;
		}
		line += n;
		line += strspn(line, "\r\n");
	}
	free(text);
	if (!found) {
		err_set(e, ERR_FORMAT, "'%s' holds no recipient", arg);
		return err_hint(e, "a recipient file has a line age1...");
	}
	*out = found;
	return 0;
}

static int recipient_add(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	static const struct option longs[] = {
		{"name", required_argument, NULL, 'n'},
		{NULL, 0, NULL, 0},
	};
	const char *name = NULL;
	int c;
	while ((c = cli_getopt(ctx, argc, argv, "n:", longs, e)) > 0)
		if (c == 'n')
			name = optarg;
	if (c < 0)
		return c;
	if (cli_nargs(argc, argv, 1, 1, "the recipient (age1... or FILE.pub)", e) != 0)
		return -1;
	if (!name)
		return cli_usage(e, "--name NAME is required");
	char *r = NULL;
	struct store *s = cli_store(ctx, e);
	if (!s || recipient_from_arg(argv[optind], &r, e) != 0)
		return -1;
	int rc = keyring_recipient_add(s, name, r, e);
	if (rc == 0) {
		if (ctx->json) {
			json_begin_object();
			json_str("name", name);
			json_str("recipient", r);
			json_end_object();
			json_done();
		} else if (ctx->verbosity >= 0) {
			out_line("added recipient '%s': %s", out_safe(0, name), r);
		}
	}
	free(r);
	return rc;
}

static int recipient_list(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	int rc = cli_args_only(ctx, argc, argv, 0, 0, "", e);
	if (rc != 0)
		return rc;
	struct store *s = cli_store(ctx, e);
	struct keyring_recipient *list;
	size_t n;
	if (!s || keyring_recipient_list(s, &list, &n, e) != 0)
		return -1;
	if (ctx->json) {
		json_begin_array(NULL);
		for (size_t i = 0; i < n; i++) {
			json_begin_object();
			json_str("name", list[i].name);
			json_str("recipient", list[i].recipient);
			json_str("added", list[i].added);
			json_end_object();
		}
		json_end_array();
		json_done();
	} else if (n == 0) {
		out_note(ctx, "no recipients yet; add one with 'amana recipient add age1... --name NAME'");
	} else {
		for (size_t i = 0; i < n; i++)
			out_line("%s  %s", list[i].recipient, out_safe(0, list[i].name));
	}
	keyring_recipients_free(list, n);
	return 0;
}

static int recipient_remove(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	int rc = cli_args_only(ctx, argc, argv, 1, 1, "the name of the recipient to remove", e);
	if (rc != 0)
		return rc;
	struct store *s = cli_store(ctx, e);
	if (!s || keyring_recipient_remove(s, argv[optind], e) != 0)
		return -1;
	if (ctx->json) {
		json_begin_object();
		json_str("removed", argv[optind]);
		json_end_object();
		json_done();
	} else {
		out_note(ctx, "removed recipient '%s'", out_safe(0, argv[optind]));
	}
	return 0;
}

int cmd_recipient(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	static const struct cli_sub subs[] = {
		{"add", recipient_add},
		{"list", recipient_list},
		{"remove", recipient_remove},
		{NULL, NULL},
	};
	return cli_subcommand(ctx, argc, argv, subs, e);
}
