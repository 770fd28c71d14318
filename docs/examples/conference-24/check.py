#!/usr/bin/env python3
"""Check docs/examples/conference-24/outcome.json against its source article.

Usage: python3 check.py [SOURCE.txt]
SOURCE defaults to ../shared/seed/conference-24-outcome.ar.txt beside the repository.
Prints one line per failed check and exits 1 if any failed; prints "ok" otherwise.
Needs only the Python standard library.
"""
import json
import os
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
DEFAULT_SRC = os.path.join(REPO, "..", "shared", "seed", "conference-24-outcome.ar.txt")

SHAPE = {
    "top": {"conference", "participants", "records", "attachments"},
    "conference": {"series", "number", "title", "venue", "held_from", "held_to", "organizer"},
    "participant": {"name", "kind"},
    "record": {"kind", "lang", "title", "body"},
    "attachment": {"path", "caption", "record"},
}
PARTICIPANT_KINDS = {"member-states", "organization", "secretariat", "academic", "project"}
RECORD_KINDS = {"summary", "topic", "recommendation", "decision", "statement"}

# The leading conjunction removed from a body (by seq) because the body starts
# in the middle of a source sentence.  README.md explains each one.
TRIMMED = {6: "و", 8: "و", 10: "و", 12: "كما ", 13: "و"}

failures = []


def fail(msg):
    failures.append(msg)


def strings(obj, where="$"):
    if isinstance(obj, str):
        yield where, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield where + "." + k, k
            yield from strings(v, where + "." + k)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from strings(v, "%s[%d]" % (where, i))


def keys(obj, shape, where):
    if not isinstance(obj, dict):
        fail("%s: not an object" % where)
        return False
    extra, missing = set(obj) - SHAPE[shape], SHAPE[shape] - set(obj)
    if extra:
        fail("%s: unknown keys %s" % (where, sorted(extra)))
    if missing:
        fail("%s: missing keys %s" % (where, sorted(missing)))
    return not extra and not missing


def main():
    src_path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_SRC
    try:
        src = open(src_path, "rb").read().decode("utf-8")
    except OSError as e:
        print("check.py: cannot read the source article: %s" % e, file=sys.stderr)
        return 2

    raw = open(os.path.join(HERE, "outcome.json"), "rb").read()
    try:
        text = raw.decode("utf-8")  # strict: invalid UTF-8 raises
    except UnicodeDecodeError as e:
        fail("outcome.json is not valid UTF-8: %s" % e)
        text = raw.decode("utf-8", "replace")
    doc = json.loads(text, object_pairs_hook=lambda pairs: _no_dupes(pairs))

    for where, s in strings(doc):
        try:
            s.encode("utf-8")  # lone surrogates from \\uD800-style escapes fail here
        except UnicodeEncodeError:
            fail("%s: not encodable as UTF-8" % where)
        if not unicodedata.is_normalized("NFC", s):
            fail("%s: not NFC" % where)

    if not keys(doc, "top", "$"):
        return report()
    conf = doc["conference"]
    if keys(conf, "conference", "$.conference"):
        if type(conf["number"]) is not int:
            fail("$.conference.number: not an integer")
        for k in ("held_from", "held_to"):
            v = conf[k]
            if v and not (len(v) == 10 and v[4] == "-" and v[7] == "-"):
                fail("$.conference.%s: neither \"\" nor YYYY-MM-DD" % k)

    for i, p in enumerate(doc["participants"]):
        if keys(p, "participant", "$.participants[%d]" % i) and p["kind"] not in PARTICIPANT_KINDS:
            fail("$.participants[%d].kind: %r" % (i, p["kind"]))

    records = doc["records"]
    for seq, r in enumerate(records, 1):
        where = "record %d" % seq
        if not keys(r, "record", where):
            continue
        if r["kind"] not in RECORD_KINDS:
            fail("%s: kind %r" % (where, r["kind"]))
        if r["lang"] != "ar":
            fail("%s: lang %r" % (where, r["lang"]))
        body = r["body"]
        if body not in src:
            fail("%s: body is not a substring of the source" % where)
        prefix = TRIMMED.get(seq, "")
        if prefix and prefix + body not in src:
            fail("%s: %r + body is not in the source" % (where, prefix))
        if body != body.strip() or not r["title"].strip():
            fail("%s: stray whitespace or empty title" % where)
    if records and records[0].get("kind") != "summary":
        fail("record 1 is not the summary")

    for i, a in enumerate(doc["attachments"]):
        where = "$.attachments[%d]" % i
        if not keys(a, "attachment", where):
            continue
        if type(a["record"]) is not int or not 1 <= a["record"] <= len(records):
            fail("%s.record: %r is not a record seq" % (where, a["record"]))
        path = a["path"]
        if os.path.isabs(path) or ".." in path.split("/"):
            fail("%s.path: %r escapes the folder" % (where, path))
        elif not os.path.isfile(os.path.join(HERE, path)):
            fail("%s.path: %r does not exist" % (where, path))

    photo = os.path.join(HERE, "archive-photo.png")
    if os.path.isfile(photo):
        data = open(photo, "rb").read()
        if not data.startswith(b"\x89PNG\r\n\x1a\n"):
            fail("archive-photo.png is not a PNG")
        if len(data) >= 60 * 1024:
            fail("archive-photo.png is %d bytes (>= 60 KiB)" % len(data))

    recs = os.path.join(HERE, "التوصيات.txt")
    if os.path.isfile(recs):
        want = "".join(r["body"] + "\n" for r in records
                       if r.get("kind") in ("recommendation", "decision"))
        if open(recs, "rb").read() != want.encode("utf-8"):
            fail("التوصيات.txt differs from the recommendation and decision bodies")
    return report()


def _no_dupes(pairs):
    seen = {}
    for k, v in pairs:
        if k in seen:
            fail("duplicate key %r" % k)
        seen[k] = v
    return seen


def report():
    for f in failures:
        print("FAIL", f)
    if not failures:
        print("ok")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
