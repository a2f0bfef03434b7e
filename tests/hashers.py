"""Password hashers of the tests: the production algorithms (Argon2 first, PBKDF2 still checked)
with the cheapest parameters, so creating a user or logging in costs microseconds, not 0.2 s of
CPU. The stored hashes keep their algorithm names (`argon2$…`, `pbkdf2_sha256$…`), so the tests
of upgrades and of new passwords check the same code paths. Production settings are tested apart
(tests/accounts/test_security.py reads them in a fresh interpreter)."""

from django.contrib.auth.hashers import Argon2PasswordHasher, PBKDF2PasswordHasher


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 8  # KiB, argon2's minimum for one lane
    parallelism = 1


class FastPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    iterations = 1


TEST_PASSWORD_HASHERS = [
    "tests.hashers.FastArgon2PasswordHasher",
    "tests.hashers.FastPBKDF2PasswordHasher",
]
