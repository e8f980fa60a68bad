"""The test suite's password hasher: Argon2id, as in production, at its
lowest cost. With the production parameters a hash takes about 180 ms on the
CI machine, and the suite creates and signs in thousands of users; the one
test of the production hashing (ACC-02) switches the production list back."""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class QuickArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 8  # KiB: the least Argon2 allows with one lane
    parallelism = 1
