build/tests/unit/test_base64: tests/unit/test_base64.c tests/unit/unit.h \
 vault/base64.h
tests/unit/unit.h:
vault/base64.h:
