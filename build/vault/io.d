build/vault/io.o: vault/io.c vault/io.h vault/err.h
vault/io.h:
vault/err.h:
