/*
 * clock.c - RFC 3339 UTC timestamps and SOURCE_DATE_EPOCH. See clock.h.
 */
#include "vault/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t clock_now(void)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	if (s && *s && strspn(s, "0123456789") == strlen(s) && strlen(s) <= 12) {
		int64_t v = (int64_t)strtoll(s, NULL, 10);
		if (v <= CLOCK_MAX)
			return v;
	}
	return (int64_t)time(NULL);
}

void clock_rfc3339(int64_t t, char *buf, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, cap, "1970-01-01T00:00:00Z");
}

bool clock_parse_rfc3339(const char *s, int64_t *t)
{
	/* Digits where the pattern has 'd', the literal characters elsewhere. */
	static const char pat[] = "dddd-dd-ddTdd:dd:ddZ";
	if (strlen(s) != sizeof pat - 1)
		return false;
	for (size_t i = 0; pat[i]; i++) {
		if (pat[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pat[i])
			return false;
	}
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	tm.tm_hour = atoi(s + 11);
	tm.tm_min = atoi(s + 14);
	tm.tm_sec = atoi(s + 17);
	if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 60)
		return false;
	time_t v = timegm(&tm);
	/* timegm normalises 31 February; a round trip catches it. */
	char back[32];
	clock_rfc3339((int64_t)v, back, sizeof back);
	if (strcmp(back, s) != 0)
		return false;
	*t = (int64_t)v;
	return true;
}
