/*
 * clock.h - the time amana writes: RFC 3339 in UTC, and SOURCE_DATE_EPOCH honoured so that
 * the same input gives the same bytes (reproducible bundles, deterministic tests).
 */
#ifndef AMANA_CLOCK_H
#define AMANA_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define CLOCK_RFC3339_LEN 20 /* "2026-11-29T09:28:42Z" */

/* The last second RFC 3339's four-digit year can name: 9999-12-31T23:59:59Z. */
#define CLOCK_MAX INT64_C(253402300799)

/* Now, or SOURCE_DATE_EPOCH when it is set to a decimal of at most 12 digits that is at most
 * CLOCK_MAX (anything else is ignored). */
int64_t clock_now(void);

/* Writes t as "YYYY-MM-DDTHH:MM:SSZ" into buf (at least CLOCK_RFC3339_LEN + 1 bytes). */
void clock_rfc3339(int64_t t, char *buf, size_t cap);

/* Parses exactly that form (UTC, "Z", no fraction) into *t; false when it is not. */
bool clock_parse_rfc3339(const char *s, int64_t *t);

#endif
