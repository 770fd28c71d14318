/*
 * err.c - filling struct err. See err.h for the conventions.
 */
#include "vault/err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void err_clear(struct err *e)
{
	if (!e)
		return;
	e->code = ERR_OK;
	e->msg[0] = '\0';
	e->hint[0] = '\0';
}

static void set_v(struct err *e, int code, const char *fmt, va_list ap)
{
	e->code = code;
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	e->hint[0] = '\0';
}

int err_set(struct err *e, int code, const char *fmt, ...)
{
	if (!e)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	set_v(e, code, fmt, ap);
	va_end(ap);
	return -1;
}

int err_errno(struct err *e, int code, const char *fmt, ...)
{
	int saved = errno;
	if (!e)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	set_v(e, code, fmt, ap);
	va_end(ap);
	size_t n = strlen(e->msg);
	snprintf(e->msg + n, sizeof e->msg - n, ": %s", strerror(saved));
	return -1;
}

int err_hint(struct err *e, const char *fmt, ...)
{
	if (!e)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->hint, sizeof e->hint, fmt, ap);
	va_end(ap);
	return -1;
}

int err_prefix(struct err *e, const char *fmt, ...)
{
	if (!e)
		return -1;
	char head[ERR_MSG_MAX];
	char old[ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(head, sizeof head, fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof old);
	size_t n = strlen(head);
	if (n > sizeof e->msg - 3)
		n = sizeof e->msg - 3;
	memcpy(e->msg, head, n);
	memcpy(e->msg + n, ": ", 2);
	size_t rest = sizeof e->msg - n - 3;
	size_t lo = strlen(old);
	if (lo > rest)
		lo = rest;
	memcpy(e->msg + n + 2, old, lo);
	e->msg[n + 2 + lo] = '\0';
	return -1;
}

void err_copy(struct err *dst, const struct err *src)
{
	if (dst && src && dst != src)
		memcpy(dst, src, sizeof *dst);
}
