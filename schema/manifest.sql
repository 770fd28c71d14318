-- manifest.sql: the manifest of a bundle, the file manifest.sqlite inside payload.age.
--
-- Member states and auditors read it with stock sqlite3, so it uses nothing newer than
-- SQLite 3.31 (no STRICT tables) and plain types. docs/format.md is normative; in short:
--   meta        key/value facts that must equal the envelope's (format, bundle-id, issuer,
--               issuer-name, created, sequence, records-count, records-root)
--   conference  one row: the conference this outcome comes from
--   participants, records (numbered from 1 in outcome.json's order), files, recipients
-- records.leaf is the hex RFC 6962 leaf hash of the record's salted canonical encoding;
-- files.blake2b is lowercase hex BLAKE2b-512 as b2sum prints it, files.path is relative to
-- the bundle's files/ folder. PRAGMA user_version is the manifest version (1) and
-- PRAGMA application_id is 0x414d4e46 ("AMNF").

CREATE TABLE meta (
	key   TEXT PRIMARY KEY NOT NULL,
	value TEXT NOT NULL
);

CREATE TABLE conference (
	series    TEXT NOT NULL,
	number    INTEGER NOT NULL,
	title     TEXT NOT NULL,
	venue     TEXT NOT NULL,
	held_from TEXT NOT NULL,
	held_to   TEXT NOT NULL,
	organizer TEXT NOT NULL
);

CREATE TABLE participants (
	seq  INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	kind TEXT NOT NULL
);

CREATE TABLE records (
	seq   INTEGER PRIMARY KEY,
	kind  TEXT NOT NULL,
	lang  TEXT NOT NULL,
	title TEXT NOT NULL,
	body  TEXT NOT NULL,
	salt  TEXT NOT NULL,
	leaf  TEXT NOT NULL
);

CREATE TABLE files (
	path       TEXT PRIMARY KEY NOT NULL,
	size       INTEGER NOT NULL,
	blake2b    TEXT NOT NULL,
	media_type TEXT NOT NULL,
	record_seq INTEGER REFERENCES records (seq),
	caption    TEXT NOT NULL
);

CREATE TABLE recipients (
	name      TEXT NOT NULL,
	recipient TEXT PRIMARY KEY NOT NULL
);
