/*
 * age_impl.h - the age module's internals in one include, for the unit tests and fuzz targets
 * that test the header grammar and the stanzas on their own. No file of vault/ includes it:
 * each part of the module includes the layer headers it builds on, and only those.
 *
 * The layers, lowest first. A file includes the headers of lower layers only, never of a
 * higher one; the files of layer 4 do not use each other:
 *
 *   1 keys    age_keys.h / age_keys.c      key strings, recipient and identity sets, file key
 *                                          and secrets, X25519 and scrypt stanza wrap/unwrap
 *   2 header  age_header.h / age_header.c  finding a header's end, parsing, checking,
 *                                          unwrapping and MAC check, writing: the only code
 *                                          that reads or spells a header
 *   3 stream  age_stream.h / age_stream.c  payload key, chunk nonces, sealing and opening
 *                                          STREAM chunks (runs of them on two cores)
 *   4 files   age.c                        the encryptor and decryptor (header, then STREAM,
 *                                          with ASCII armor), identity files (which may be age
 *                                          files themselves), fd and memory readers
 *             age_rewrap.c                 a new header for an existing file's file key
 *                                          (readdress), the body left as it is
 *             age_chunked.c                random-access STREAM sealing for seal
 *
 * The stream layer needs only the keys layer (the file key's size); it sits above the header
 * layer in the order, not on it.
 *
 * The public headers age.h and age_chunked.h declare what the layers export; vault/armor.h,
 * base64, bech32 and hkdf are modules below the whole of age.
 */
#ifndef AMANA_AGE_IMPL_H
#define AMANA_AGE_IMPL_H

#include "vault/age.h"
#include "vault/age_header.h"
#include "vault/age_keys.h"
#include "vault/age_stream.h"

#endif
