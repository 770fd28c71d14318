build/tests/unit/test_bech32: tests/unit/test_bech32.c tests/unit/unit.h \
 vault/bech32.h
tests/unit/unit.h:
vault/bech32.h:
