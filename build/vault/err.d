build/vault/err.o: vault/err.c vault/err.h
vault/err.h:
