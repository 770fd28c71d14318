build/vault/clock.o: vault/clock.c vault/clock.h
vault/clock.h:
