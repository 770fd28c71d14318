build/vault/base64.o: vault/base64.c vault/base64.h
vault/base64.h:
