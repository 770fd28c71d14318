/*
 * outcome.h - outcome.json, the secretariat's input: the conference, its participants, its
 * records and the attachments, checked strictly before anything is sealed.
 *
 * Read as a stream by amana's own strict RFC 8259 reader, through a 64 KiB window: memory
 * stays flat whatever the number of records, which are counted on loading and handed over
 * one at a time by outcome_each_record, not kept. Strict: an unknown or duplicated key, a
 * missing required field, a wrong type, text that is not UTF-8 or holds a NUL, an attachment
 * path that is absolute, uses "..", leaves the outcome's folder, is missing or is listed
 * twice: each is ERR_FORMAT with the JSON path of the offending value ("records[2].body")
 * and what is wrong; text that is not JSON, with its line and column. Text is kept byte for
 * byte. docs/format.md ("outcome.json") is the normative description; the limits are below.
 */
#ifndef AMANA_OUTCOME_H
#define AMANA_OUTCOME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vault/err.h"

#define OUTCOME_FILE_MAX (256u << 20)   /* outcome.json itself */
#define OUTCOME_RECORDS_MAX 1000000     /* records in one outcome */
#define OUTCOME_PARTICIPANTS_MAX 10000
#define OUTCOME_ATTACHMENTS_MAX 100000
#define OUTCOME_TEXT_MAX (1u << 20)     /* a record's body, bytes */
#define OUTCOME_LINE_MAX 4096           /* titles, names, captions, other one-line fields */
#define OUTCOME_PATH_MAX 1024           /* an attachment path, bytes */
#define OUTCOME_COMPONENT_MAX 255       /* one component of it */

struct outcome_participant {
	char *name;
	char *kind;
};

struct outcome_record {
	char *kind;
	char *lang;
	char *title;
	char *body;
	size_t body_len;
};

struct outcome_attachment {
	char *path;	   /* as written in outcome.json: relative, '/'-separated, checked */
	char *source;	   /* where to read it: the outcome's folder joined with path */
	char *caption;
	uint64_t record;   /* the record it belongs to (1-based), 0 for none */
	uint64_t size;	   /* at load time; re-checked while reading */
	const char *media_type;
	size_t index;	   /* its position in outcome.json's attachments array, for messages */
};

struct outcome {
	char *series, *title, *venue, *held_from, *held_to, *organizer;
	int64_t number;
	struct outcome_participant *participants;
	size_t nparticipants;
	size_t nrecords;	/* counted; the records are read by outcome_each_record */
	struct outcome_attachment *attachments; /* sorted by path (byte order) */
	size_t nattachments;
	/* Where outcome_each_record reads the records again, and what those bytes hash to. */
	char *path;		/* outcome_load: the file, absolute */
	const char *json;	/* outcome_parse: the caller's text, not copied */
	size_t json_len;
	uint8_t digest[32];	/* BLAKE2b-256 of the bytes checked */
};

/* The records are handed over one at a time, in order (seq counts from 1); r and its text
 * are valid only during the call. A non-zero return from fn stops the walk and is returned.
 * The records are not kept in struct outcome: memory stays flat however many there are.
 * The source is read again and checked again as it goes: the file (reopened) for
 * outcome_load, the caller's text for outcome_parse. It must be byte for byte what was
 * checked first (same BLAKE2b-256, same number of records), else ERR_IO "outcome.json
 * changed while it was being sealed". That is known only at the end, after fn has seen the
 * records before the change: a caller that fails must throw away what fn made of them. */
typedef int (*outcome_record_fn)(void *ctx, uint64_t seq, const struct outcome_record *r,
				 struct err *e);
int outcome_each_record(const struct outcome *o, outcome_record_fn fn, void *ctx, struct err *e);

/* Reads and checks path, a regular file (it is read again by outcome_each_record),
 * including the attachments (they must exist, be regular files and stay inside the
 * outcome's folder). out is freed with outcome_free, also after a failure. */
int outcome_load(const char *path, struct outcome *out, struct err *e);

/* Checks json[0..len). With basedir NULL the attachments' files are not looked at (their
 * paths still are); for tests and fuzzing. out keeps a pointer to json, which
 * outcome_each_record reads again: json must outlive out and stay unchanged. */
int outcome_parse(const char *json, size_t len, const char *basedir, struct outcome *out,
		  struct err *e);

void outcome_free(struct outcome *o);

/* The media type amana records for a file name, from its extension ("application/pdf");
 * "application/octet-stream" when unknown. */
const char *outcome_media_type(const char *path);

/* Checks an archive-relative path: UTF-8, no control characters, not absolute, no empty, "."
 * or ".." component, no backslash, within the length limits. NULL when fine, else why. */
const char *outcome_path_problem(const char *path);

#endif
