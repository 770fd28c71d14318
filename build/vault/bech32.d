build/vault/bech32.o: vault/bech32.c vault/bech32.h
vault/bech32.h:
