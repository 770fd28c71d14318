build/vault/store.o: vault/store.c vault/store.h vault/err.h vault/io.h
vault/store.h:
vault/err.h:
vault/io.h:
