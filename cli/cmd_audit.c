/*
 * cmd_audit.c - "amana audit": an auditor's report on a set of bundles, without decryption.
 *
 *   audit BUNDLE... [--html FILE] [--json] [--witnesses K]
 *
 * For each bundle: issuer and key id, sequence, creation time, log index and checkpoint,
 * witnesses, and the verdicts of the outer signature, the log and the payload digest. Across
 * them: one consistent history per issuer (every log a prefix of the longest), sequence
 * numbers reused by different bundles, gaps in the sequence. Exit 1 on any fork, reused
 * sequence or failed check (an unpinned issuer is a failed check: its signatures cannot be
 * verified). --html writes one self-contained page an auditor can archive and print.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "keys/keyring.h"
#include "vault/clock.h"
#include "vault/io.h"
#include "vault/log.h"
#include "vault/store.h"
#include "vault/text.h"
#include "vault/verify.h"

struct entry {
	const char *file;
	struct verify_report r;
	struct log_checked log;
	bool has_log;
	bool ok;
	char failure[ERR_MSG_MAX];
};

struct audit {
	struct cli_ctx *ctx;
	struct entry *cur;
	struct note_vkey *witnesses;
	size_t nw;
};

static int audit_issuer(void *c, const uint8_t key_id[8], struct verify_report *r, struct err *e)
{
	return cli_issuer_lookup(((struct audit *)c)->ctx, key_id, r, e);
}

/* The log of each bundle is checked, and kept for the cross-checks. */
static int audit_log(void *c, const struct envelope *env, const char *envelope, size_t elen,
		     const char *checkpoint, size_t clen, const char *proof, size_t plen, struct err *e)
{
	struct audit *a = c;
	uint8_t pk[32];
	if (cli_issuer_key(a->ctx, env, pk, e) != 0)
		return -1;
	if (log_check(a->ctx->store, env, pk, envelope, elen, checkpoint, clen, proof, plen,
		      a->witnesses, a->nw, &a->cur->log, e) != 0)
		return -1;
	if (cli_revocation_check(a->ctx, env, a->cur->log.origin, (const uint8_t (*)[32])a->cur->log.leaves,
				 a->cur->log.size, e) != 0)
		return -1;
	a->cur->has_log = true;
	if (a->cur->log.witnesses < a->ctx->witnesses_required)
		return err_set(e, ERR_VERIFY, "the log is vouched for by %u pinned witnesses; %u required",
			       a->cur->log.witnesses, a->ctx->witnesses_required);
	return 0;
}

struct finding {
	bool fatal;
	char text[ERR_MSG_MAX + 128];
};

static int add_finding(struct finding **f, size_t *n, bool fatal, const char *text)
{
	struct finding *nf = realloc(*f, (*n + 1) * sizeof **f);
	if (!nf)
		return -1;
	*f = nf;
	nf[*n].fatal = fatal;
	snprintf(nf[*n].text, sizeof nf[*n].text, "%s", text);
	(*n)++;
	return 0;
}

static int by_issuer_sequence(const void *x, const void *y)
{
	const struct entry *a = x, *b = y;
	int c = strcmp(a->r.env.issuer, b->r.env.issuer);
	if (c)
		return c;
	return a->r.env.sequence < b->r.env.sequence ? -1 : a->r.env.sequence > b->r.env.sequence;
}

/* Across bundles: forks, reused sequence numbers, gaps. */
static int cross_check(struct entry *es, size_t n, struct finding **f, size_t *nf)
{
	char buf[ERR_MSG_MAX + 64];
	qsort(es, n, sizeof *es, by_issuer_sequence);
	for (size_t i = 0; i < n; i++) {
		struct entry *a = &es[i];
		if (!a->r.envelope_parsed)
			continue;
		for (size_t j = i + 1; j < n; j++) {
			struct entry *b = &es[j];
			if (!b->r.envelope_parsed || strcmp(a->r.env.issuer, b->r.env.issuer) != 0)
				continue;
			if (a->has_log && b->has_log && !log_consistent(&a->log, &b->log, buf, sizeof buf)) {
				if (add_finding(f, nf, true, buf) != 0)
					return -1;
			}
			/* One bundle, several addressings (readdress): the same contents. */
			if (a->r.env.sequence != b->r.env.sequence && strcmp(a->r.env.bundle_id, b->r.env.bundle_id) == 0 &&
			    (strcmp(a->r.env.records_root, b->r.env.records_root) != 0 ||
			     (a->r.env.format == b->r.env.format &&
			      (strcmp(a->r.env.payload_blake2b, b->r.env.payload_blake2b) != 0 ||
			       a->r.env.payload_size != b->r.env.payload_size)))) {
				snprintf(buf, sizeof buf, "issuer %s used bundle id %s for different contents (sequences %llu and %llu)",
					 a->r.env.issuer, a->r.env.bundle_id, (unsigned long long)a->r.env.sequence,
					 (unsigned long long)b->r.env.sequence);
				if (add_finding(f, nf, true, buf) != 0)
					return -1;
			}
			if (a->r.env.sequence == b->r.env.sequence &&
			    strcmp(a->r.env.bundle_id, b->r.env.bundle_id) != 0) {
				snprintf(buf, sizeof buf, "issuer %s used sequence %llu for two bundles: %s and %s",
					 a->r.env.issuer, (unsigned long long)a->r.env.sequence, a->r.env.bundle_id,
					 b->r.env.bundle_id);
				if (add_finding(f, nf, true, buf) != 0)
					return -1;
			}
		}
		/* The addressings of one bundle, named once, at its first sequence given. */
		bool first = true;
		size_t count = 1;
		for (size_t j = 0; j < i; j++)
			if (es[j].r.envelope_parsed && strcmp(es[j].r.env.bundle_id, a->r.env.bundle_id) == 0)
				first = false;
		uint64_t last = a->r.env.sequence;
		for (size_t j = i + 1; first && j < n; j++)
			if (es[j].r.envelope_parsed && strcmp(es[j].r.env.bundle_id, a->r.env.bundle_id) == 0 &&
			    es[j].r.env.sequence != last) {
				count++;
				last = es[j].r.env.sequence;
			}
		if (first && count > 1) {
			int off = snprintf(buf, sizeof buf, "bundle %s: %zu addressings, one bundle: sequence", a->r.env.bundle_id, count);
			uint64_t prev = 0;
			for (size_t j = i; j < n && off > 0 && (size_t)off < sizeof buf; j++)
				if (es[j].r.envelope_parsed && strcmp(es[j].r.env.bundle_id, a->r.env.bundle_id) == 0 &&
				    es[j].r.env.sequence != prev && (prev = es[j].r.env.sequence) != 0)
					off += snprintf(buf + off, sizeof buf - (size_t)off, " %llu (%llu recipient%s%s)",
							(unsigned long long)es[j].r.env.sequence,
							(unsigned long long)es[j].r.env.recipients, es[j].r.env.recipients == 1 ? "" : "s",
							es[j].r.env.has_readdress ? ", readdressed" : ", first seal");
			if (add_finding(f, nf, false, buf) != 0)
				return -1;
		}
		/* A gap: the next bundle of the same issuer skips numbers. */
		if (i + 1 < n && es[i + 1].r.envelope_parsed && strcmp(a->r.env.issuer, es[i + 1].r.env.issuer) == 0 &&
		    es[i + 1].r.env.sequence > a->r.env.sequence + 1) {
			unsigned long long from = (unsigned long long)a->r.env.sequence + 1,
					   to = (unsigned long long)es[i + 1].r.env.sequence - 1;
			if (from == to)
				snprintf(buf, sizeof buf, "issuer %s: no bundle given with sequence %llu (not a failure: it may exist elsewhere)",
					 a->r.env.issuer, from);
			else
				snprintf(buf, sizeof buf, "issuer %s: no bundle given with sequence %llu to %llu (not a failure: they may exist elsewhere)",
					 a->r.env.issuer, from, to);
			if (add_finding(f, nf, false, buf) != 0)
				return -1;
		}
	}
	return 0;
}

static const char *v3(int v)
{
	return v == 1 ? "ok" : v == 0 ? "FAILED" : "not checked";
}

/* ---- the HTML report --------------------------------------------------------------------- */

/* Writes s as HTML text. Bidi controls and invisible characters are first shown as escapes
 * (text_display), as on the terminal: a name cannot reorder or hide what the report shows. */
static void esc(FILE *f, const char *s)
{
	char *shown = s ? text_display(s, strlen(s)) : NULL;
	if (shown)
		s = shown;
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
	free(shown);
}

static void td(FILE *f, const char *s, bool bidi)
{
	fputs(bidi ? "<td dir=\"auto\"><bdi>" : "<td>", f);
	esc(f, s);
	fputs(bidi ? "</bdi></td>" : "</td>", f);
}

static void write_html(FILE *f, struct entry *es, size_t n, const struct finding *fs, size_t nf,
		       bool ok)
{
	char now[CLOCK_RFC3339_LEN + 1];
	clock_rfc3339(clock_now(), now, sizeof now);
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<title>amana audit report</title>\n<style>\n"
	      "body{font-family:'Noto Naskh Arabic','Amiri','DejaVu Sans',sans-serif;margin:2em;color:#111}\n"
	      "h1{font-size:1.6em}.verdict{font-size:1.4em;padding:.6em 1em;border-radius:6px;margin:1em 0}\n"
	      ".pass{background:#e3f4e3;border:2px solid #2e7d32}.fail{background:#fde7e7;border:2px solid #c62828}\n"
	      "table{border-collapse:collapse;width:100%;margin:1em 0}th,td{border:1px solid #999;padding:.3em .5em;"
	      "text-align:start;vertical-align:top;overflow-wrap:anywhere}th{background:#eee}code{font-family:monospace;word-break:break-all}\n"
	      ".bad{color:#c62828;font-weight:bold}.good{color:#2e7d32}li.fatal{color:#c62828}\n"
	      "@media print{body{margin:0}.verdict{border-width:1px}}\n"
	      "</style>\n</head>\n<body>\n<h1>amana audit report</h1>\n", f);
	fprintf(f, "<div class=\"verdict %s\" id=\"verdict\">Verdict: <strong>%s</strong> &mdash; %zu bundle%s, %zu finding%s</div>\n",
		ok ? "pass" : "fail", ok ? "PASS: one consistent history, every check passed" : "FAIL",
		n, n == 1 ? "" : "s", nf, nf == 1 ? "" : "s");
	fprintf(f, "<p>Produced %s by amana %s, without decryption keys.</p>\n", now, AMANA_VERSION);
	if (nf) {
		fputs("<h2>Findings</h2>\n<ul>\n", f);
		for (size_t i = 0; i < nf; i++) {
			fprintf(f, "<li class=\"%s\" dir=\"auto\">", fs[i].fatal ? "fatal" : "note");
			esc(f, fs[i].text);
			fputs("</li>\n", f);
		}
		fputs("</ul>\n", f);
	}
	fputs("<h2>Timeline</h2>\n<table>\n<tr><th>created</th><th>issuer</th><th>sequence</th><th>log index</th>"
	      "<th>title</th><th>bundle</th><th>verdict</th></tr>\n", f);
	for (size_t i = 0; i < n; i++) {
		const struct entry *x = &es[i];
		char seq[24] = "?", idx[24] = "?";
		fputs("<tr>", f);
		td(f, x->r.envelope_parsed ? x->r.env.created : "?", false);
		td(f, x->r.envelope_parsed ? x->r.env.issuer_name : "?", true);
		if (x->r.envelope_parsed)
			snprintf(seq, sizeof seq, "%llu", (unsigned long long)x->r.env.sequence);
		if (x->has_log)
			snprintf(idx, sizeof idx, "%llu of %llu", (unsigned long long)x->log.index,
				 (unsigned long long)x->log.size);
		td(f, seq, false);
		td(f, idx, false);
		td(f, x->r.envelope_parsed ? x->r.env.title : "?", true);
		fputs("<td><code>", f);
		esc(f, x->r.envelope_parsed ? x->r.env.bundle_id : x->file);
		fprintf(f, "</code></td><td class=\"%s\">%s</td></tr>\n", x->ok ? "good" : "bad", x->ok ? "ok" : "FAILED");
	}
	fputs("</table>\n<h2>Details</h2>\n", f);
	for (size_t i = 0; i < n; i++) {
		const struct entry *x = &es[i];
		const struct envelope *env = &x->r.env;
		fputs("<h3 dir=\"auto\"><bdi><code>", f);
		esc(f, x->file);
		fputs("</code></bdi></h3>\n<table>\n", f);
		if (x->r.envelope_parsed) {
			const char *rows[][2] = {
				{"bundle id", env->bundle_id}, {"issuer key id", env->issuer},
				{"issuer name", env->issuer_name}, {"conference", env->conference},
				{"title", env->title}, {"created", env->created},
				{"payload BLAKE2b-512", env->payload_blake2b}, {"records root", env->records_root},
			};
			for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
				fputs("<tr><th>", f);
				esc(f, rows[k][0]);
				fputs("</th>", f);
				td(f, rows[k][1], k == 2 || k == 3 || k == 4);
				fputs("</tr>\n", f);
			}
			fprintf(f, "<tr><th>sequence</th><td>%llu</td></tr>\n<tr><th>recipients</th><td>%llu</td></tr>\n",
				(unsigned long long)env->sequence, (unsigned long long)env->recipients);
			if (env->has_root)
				fprintf(f, "<tr><th>root</th><td><code>%s</code> version %llu</td></tr>\n", env->root_id,
					(unsigned long long)env->root_version);
			if (x->r.issuer_pinned == 1)
				fprintf(f, "<tr><th>signing key</th><td>%s</td></tr>\n", x->r.trust.key_state);
		}
		if (x->has_log)
			fprintf(f, "<tr><th>log</th><td>leaf %llu of %llu; %u pinned witness%s (largest cosigned checkpoint: %llu)</td></tr>\n",
				(unsigned long long)x->log.index, (unsigned long long)x->log.size, x->log.witnesses,
				x->log.witnesses == 1 ? "" : "es", (unsigned long long)x->log.witnessed_size);
		fprintf(f, "<tr><th>issuer pinned</th><td>%s</td></tr>\n<tr><th>outer signature</th><td>%s</td></tr>\n"
			   "<tr><th>log</th><td>%s</td></tr>\n<tr><th>payload digest</th><td>%s</td></tr>\n",
			x->r.issuer_pinned == 1 ? "yes" : x->r.issuer_pinned == 0 ? "NO" : "not checked",
			v3(x->r.envelope_sig_ok), v3(x->r.log_ok), v3(x->r.payload_ok));
		if (!x->ok) {
			fputs("<tr><th>failure</th><td class=\"bad\" dir=\"auto\">", f);
			esc(f, x->failure);
			fputs("</td></tr>\n", f);
		}
		fputs("</table>\n", f);
		if (x->has_log) {
			fputs("<pre dir=\"ltr\">", f);
			esc(f, x->log.note);
			fputs("</pre>\n", f);
		}
	}
	fputs("<p>Not checked without decryption keys: the inner signature, the files and the records "
	      "(a recipient checks them with <code>amana verify BUNDLE -i KEY</code>).</p>\n</body>\n</html>\n", f);
}

int cmd_audit(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	static const struct option longs[] = {
		{"html", required_argument, NULL, 'H'},
		{"witnesses", required_argument, NULL, 'W'},
		{NULL, 0, NULL, 0},
	};
	const char *html = NULL;
	int c, rc = -1;
	while ((c = cli_getopt(ctx, argc, argv, "", longs, e)) > 0) {
		if (c == 'H')
			html = optarg;
		else if (c == 'W' && cli_parse_count(optarg, &ctx->witnesses_required, e) != 0)
			return -1;
	}
	if (c < 0)
		return c;
	if (cli_nargs(argc, argv, 1, -1, "the bundles to audit", e) != 0)
		return -1;
	struct store *s = cli_store(ctx, e);
	if (!s)
		return -1;
	size_t n = (size_t)(argc - optind), nf = 0;
	struct entry *es = calloc(n, sizeof *es);
	struct finding *fs = NULL;
	struct audit a = {ctx, NULL, NULL, 0};
	struct keyring_trusted *list = NULL;
	size_t k = 0;
	if (!es || keyring_trust_list(s, &list, &k, e) != 0)
		goto done;
	if (!(a.witnesses = calloc(k ? k : 1, sizeof *a.witnesses))) {
		err_set(e, ERR_IO, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < k; i++)
		if (list[i].role == KEYRING_WITNESS && log_witness_vkey(&a.witnesses[a.nw], list[i].key_id, list[i].public_key, e) == 0)
			a.nw++;

	bool all_ok = true;
	for (size_t i = 0; i < n; i++) {
		struct entry *x = &es[i];
		struct err be;
		err_clear(&be);
		x->file = argv[optind + (int)i];
		a.cur = x;
		struct verify_input in = {
			.bundle = x->file,
			.issuer = audit_issuer,
			.log = audit_log,
			.ctx = &a,
			.report_all = true,
		};
		x->ok = verify_bundle(&in, &x->r, &be) == 0;
		if (!x->ok) {
			snprintf(x->failure, sizeof x->failure, "%s", be.msg);
			all_ok = false;
			char buf[ERR_MSG_MAX + 64];
			snprintf(buf, sizeof buf, "%s: %s", x->file, be.msg);
			add_finding(&fs, &nf, true, buf);
		}
	}
	if (cross_check(es, n, &fs, &nf) != 0) {
		err_set(e, ERR_IO, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < nf; i++)
		all_ok = all_ok && !fs[i].fatal;

	if (html) {
		struct io_atomic o;
		FILE *f = NULL;
		if (io_atomic_open(&o, html, 0644, e) != 0)
			goto done;
		if (!(f = fdopen(o.fd, "w"))) {
			io_atomic_abort(&o);
			err_errno(e, ERR_IO, "cannot write '%s'", html);
			goto done;
		}
		write_html(f, es, n, fs, nf, all_ok);
		/* The descriptor belongs to o: flush, check, and let commit close it. */
		if (fflush(f) != 0 || ferror(f)) {
			io_atomic_abort(&o);
			err_errno(e, ERR_IO, "cannot write '%s'", html);
			goto done;
		}
		o.fd = dup(o.fd);
		fclose(f);
		if (o.fd < 0 || io_atomic_commit(&o, true, e) != 0)
			goto done;
	}
	if (ctx->json) {
		json_begin_object();
		json_bool("ok", all_ok);
		json_begin_array("bundles");
		for (size_t i = 0; i < n; i++) {
			struct entry *x = &es[i];
			json_begin_object();
			json_str("file", x->file);
			json_bool("ok", x->ok);
			if (x->r.envelope_parsed) {
				json_str("bundle_id", x->r.env.bundle_id);
				json_str("issuer", x->r.env.issuer);
				json_str("issuer_name", x->r.env.issuer_name);
				json_int("sequence", (long long)x->r.env.sequence);
				json_str("created", x->r.env.created);
				json_str("title", x->r.env.title);
				if (x->r.env.has_root) {
					json_str("root_id", x->r.env.root_id);
					json_int("root_version", (long long)x->r.env.root_version);
				}
				json_int("recipients", (long long)x->r.env.recipients);
				if (x->r.env.has_readdress)
					json_int("readdress_of", (long long)x->r.env.first_sequence);
			}
			if (x->r.issuer_pinned == 1)
				json_str("key_state", x->r.trust.key_state);
			if (x->has_log) {
				json_int("log_index", (long long)x->log.index);
				json_int("log_size", (long long)x->log.size);
				json_int("witnesses", (long long)x->log.witnesses);
			}
			json_str("outer_signature", v3(x->r.envelope_sig_ok));
			json_str("log", v3(x->r.log_ok));
			json_str("payload_digest", v3(x->r.payload_ok));
			if (!x->ok)
				json_str("failure", x->failure);
			json_end_object();
		}
		json_end_array();
		json_begin_array("findings");
		for (size_t i = 0; i < nf; i++) {
			json_begin_object();
			json_bool("fatal", fs[i].fatal);
			json_str("text", fs[i].text);
			json_end_object();
		}
		json_end_array();
		json_end_object();
		json_done();
	} else {
		for (size_t i = 0; i < n; i++) {
			struct entry *x = &es[i];
			if (x->r.envelope_parsed)
			{
				char rv[40] = "";
				if (x->r.env.has_root)
					snprintf(rv, sizeof rv, "root v%llu %s  ", (unsigned long long)x->r.env.root_version,
						 x->r.trust.key_state);
				out_line("%s  %s seq %-4llu %s  %s%s", x->ok ? "ok    " : "FAILED", x->r.env.issuer,
					 (unsigned long long)x->r.env.sequence, x->r.env.bundle_id, rv, out_safe(0, x->r.env.title));
			}
			else
				out_line("FAILED  %s", out_safe(0, x->file));
		}
		for (size_t i = 0; i < nf; i++)
			out_line("%s %s", fs[i].fatal ? "finding:" : "note:   ", out_safe(0, fs[i].text));
		out_line("verdict: %s", all_ok ? "PASS (one consistent history, every check passed)" : "FAIL");
	}
	if (!all_ok) {
		err_set(e, ERR_VERIFY, "the audit found problems (see above)");
		goto done;
	}
	rc = 0;
done:
	for (size_t i = 0; es && i < n; i++) {
		verify_report_free(&es[i].r);
		log_checked_free(&es[i].log);
	}
	free(es);
	free(fs);
	free(a.witnesses);
	keyring_trusted_free(list, k);
	return rc;
}
