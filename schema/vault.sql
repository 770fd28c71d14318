-- vault.sql: the local vault database (vault.db), one per user or per machine.
--
-- It holds public material only: pinned issuer and witness keys, the recipients directory,
-- the keys made with this vault (public halves and file paths), and, as later migrations add
-- them, the bundles issued and received and the log. No secret key, passphrase or decrypted
-- key material is ever written here (a test checks the file for key bytes).
--
-- Migrations are numbered. store.c applies, in order and each in its own transaction, every
-- "-- migration: N" block with N above PRAGMA user_version, then sets user_version to N.
-- A released migration is never edited: changes go into a new one.

-- migration: 1
CREATE TABLE own_keys (
	key_id   TEXT PRIMARY KEY,  -- minisign key id as minisign prints it, or the age1 recipient
	type     TEXT NOT NULL CHECK (type IN ('sign', 'encrypt')),
	name     TEXT NOT NULL,
	public   TEXT NOT NULL,     -- what PREFIX.pub holds on its key line
	pub_path TEXT NOT NULL,
	key_path TEXT NOT NULL,
	created  TEXT NOT NULL      -- RFC 3339, UTC
);

CREATE TABLE trusted_keys (
	key_id     TEXT PRIMARY KEY,  -- minisign key id, 16 uppercase hex digits
	role       TEXT NOT NULL CHECK (role IN ('issuer', 'witness')),
	name       TEXT NOT NULL UNIQUE,
	public_key BLOB NOT NULL CHECK (length(public_key) = 32),  -- Ed25519
	added      TEXT NOT NULL
);

CREATE TABLE recipients (
	name      TEXT PRIMARY KEY,
	recipient TEXT NOT NULL UNIQUE CHECK (recipient GLOB 'age1*'),
	added     TEXT NOT NULL
);

-- migration: 2
-- The bundles this vault issued (a secretariat) or accepted (a member state), and the records
-- of those it opened. The envelope is public (it is the bundle's signed face and its log leaf).
CREATE TABLE issuer_sequence (
	issuer TEXT PRIMARY KEY,   -- minisign key id
	last   INTEGER NOT NULL CHECK (last >= 0)
);

CREATE TABLE bundles (
	bundle_id       TEXT NOT NULL,
	direction       TEXT NOT NULL CHECK (direction IN ('issued', 'received')),
	issuer          TEXT NOT NULL,
	issuer_name     TEXT NOT NULL,
	sequence        INTEGER NOT NULL CHECK (sequence >= 1),
	conference      TEXT NOT NULL,
	title           TEXT NOT NULL,
	created         TEXT NOT NULL,
	recipients      INTEGER NOT NULL,
	records         INTEGER NOT NULL,
	payload_blake2b TEXT NOT NULL,
	payload_size    INTEGER NOT NULL,
	envelope        BLOB NOT NULL,
	path            TEXT,        -- where it was written, or opened to
	recorded        TEXT NOT NULL,
	PRIMARY KEY (bundle_id, direction)
);
CREATE UNIQUE INDEX bundles_issued_sequence ON bundles (issuer, sequence) WHERE direction = 'issued';

CREATE TABLE records (
	bundle_id TEXT NOT NULL,
	seq       INTEGER NOT NULL,
	kind      TEXT NOT NULL,
	lang      TEXT NOT NULL,
	title     TEXT NOT NULL,
	body      TEXT NOT NULL,
	PRIMARY KEY (bundle_id, seq)
);

-- migration: 3
-- The transparency log. A secretariat's vault keeps its own log (log_*): every bundle it
-- sealed, as the RFC 6962 leaf hash of its envelope, the checkpoints it signed and the
-- witness cosignatures it received. A member state's vault keeps what it saw of each
-- issuer's log (seen_*), to refuse a history that forks or rolls back.
CREATE TABLE logs (
	origin     TEXT PRIMARY KEY,  -- "amana/<issuer key id>"
	issuer     TEXT NOT NULL,
	public_key BLOB NOT NULL CHECK (length(public_key) = 32)  -- the issuer's Ed25519 key
);

CREATE TABLE log_leaves (
	origin    TEXT NOT NULL,     -- "amana/<issuer key id>"
	idx       INTEGER NOT NULL CHECK (idx >= 0),
	leaf      BLOB NOT NULL CHECK (length(leaf) = 32),
	bundle_id TEXT NOT NULL,
	sequence  INTEGER NOT NULL,
	envelope  BLOB NOT NULL,
	PRIMARY KEY (origin, idx),
	FOREIGN KEY (origin) REFERENCES logs (origin)
);

CREATE TABLE log_checkpoints (
	origin TEXT NOT NULL,
	size   INTEGER NOT NULL CHECK (size >= 1),
	root   BLOB NOT NULL CHECK (length(root) = 32),
	note   TEXT NOT NULL,        -- the signed note, with the issuer's signature line
	made   TEXT NOT NULL,
	PRIMARY KEY (origin, size)
);

CREATE TABLE log_cosignatures (
	origin    TEXT NOT NULL,
	size      INTEGER NOT NULL,
	witness   TEXT NOT NULL,     -- the cosigner's key name
	line      TEXT NOT NULL,     -- its signature line, as it goes into notes
	timestamp INTEGER NOT NULL,
	added     TEXT NOT NULL,
	PRIMARY KEY (origin, size, witness),
	FOREIGN KEY (origin, size) REFERENCES log_checkpoints (origin, size)
);

CREATE TABLE seen_leaves (
	origin TEXT NOT NULL,
	idx    INTEGER NOT NULL CHECK (idx >= 0),
	leaf   BLOB NOT NULL CHECK (length(leaf) = 32),
	PRIMARY KEY (origin, idx)
);

CREATE TABLE seen_checkpoints (
	origin    TEXT NOT NULL,
	size      INTEGER NOT NULL,
	root      BLOB NOT NULL CHECK (length(root) = 32),
	note      TEXT NOT NULL,
	bundle_id TEXT NOT NULL,    -- the bundle that brought it
	seen      TEXT NOT NULL,
	PRIMARY KEY (origin, size)
);

-- migration: 4
-- Search over the records of opened bundles: FTS5 with amana's "amana" tokenizer (vault/
-- search.c: Arabic diacritics and tatweel dropped, hamza and alef forms unified, Latin case
-- folded). An external-content index over records (rowid), kept in step by the code that
-- writes records. Stock sqlite3 cannot query it (it lacks the tokenizer); the records table
-- itself stays plain.
CREATE VIRTUAL TABLE records_fts USING fts5(title, body, content = 'records', content_rowid = 'rowid',
                                            tokenize = 'amana');
-- Records opened before this migration are indexed now.
INSERT INTO records_fts (records_fts) VALUES ('rebuild');

-- migration: 5
-- A bundle the vault recorded as issued whose file is still under its temporary name: the
-- seal was killed between the vault's commit and the rename. The next seal finishes it.
ALTER TABLE bundles ADD COLUMN pending TEXT;

-- migration: 6
-- The key lifecycle: the issuers' trust roots this vault pinned (vault/root.h), every version
-- it holds of each, from the one first pinned on, in order. A root's text is public (its
-- body and the root keys' signatures). A key pinned on its own stays in trusted_keys.
CREATE TABLE trusted_roots (
	root_id TEXT NOT NULL,      -- 32 hex digits, the same for every version of one root
	version INTEGER NOT NULL CHECK (version >= 1),
	name    TEXT NOT NULL,      -- the issuer's name, as the version says
	digest  TEXT NOT NULL,      -- BLAKE2b-512 of the signed text, hex
	text    BLOB NOT NULL,      -- the root as a file: body and signatures
	added   TEXT NOT NULL,
	PRIMARY KEY (root_id, version)
);

-- migration: 7
-- Search with light stemming: the index is rebuilt with the tokenizer "amana2" (vault/
-- search.h), which indexes each word as itself and, at the same position, as its stems
-- (Arabic light stemming after light10, Porter's for English). The tokenizer's name carries
-- its version: an amana that does not know "amana2" cannot open this index ("no such
-- tokenizer"), rather than read it with other rules. The records themselves are untouched.
DROP TABLE records_fts;
CREATE VIRTUAL TABLE records_fts USING fts5(title, body, content = 'records', content_rowid = 'rowid',
                                            tokenize = 'amana2');
INSERT INTO records_fts (records_fts) VALUES ('rebuild');
