build/vault/text.o: vault/text.c vault/text.h
vault/text.h:
