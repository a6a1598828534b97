"""Password hashing: bcrypt over a SHA-256 prehash, so nothing past byte 72 is ignored."""

from users.passwords import dummy_hash, hash_password, verify_password

ROUNDS = 4


def test_the_right_password_verifies():
    assert verify_password("correct-horse-battery", hash_password("correct-horse-battery", ROUNDS))


def test_a_wrong_password_does_not_verify():
    assert not verify_password("correct-horse-batterY", hash_password("correct-horse-battery", ROUNDS))


def test_hash_is_salted_and_uses_the_given_rounds():
    first, second = hash_password("same", ROUNDS), hash_password("same", ROUNDS)
    assert first != second
    assert first.startswith("$2b$04$")
    assert verify_password("same", first) and verify_password("same", second)


def test_hash_does_not_contain_the_password():
    assert "hunter2-hunter2" not in hash_password("hunter2-hunter2", ROUNDS)


def test_passwords_differing_only_after_byte_72_do_not_verify():
    prefix = "p" * 72
    stored = hash_password(prefix + "-first-ending", ROUNDS)
    assert verify_password(prefix + "-first-ending", stored)
    assert not verify_password(prefix + "-other-ending", stored)
    assert not verify_password(prefix, stored)


def test_multibyte_passwords_past_72_bytes_are_compared_whole():
    prefix = "é" * 36  # 72 bytes in UTF-8
    stored = hash_password(prefix + "ü", ROUNDS)
    assert verify_password(prefix + "ü", stored)
    assert not verify_password(prefix + "ö", stored)


def test_a_password_with_a_nul_byte_is_hashed_whole():
    stored = hash_password("abc\x00def", ROUNDS)
    assert verify_password("abc\x00def", stored)
    assert not verify_password("abc", stored)


def test_the_dummy_hash_verifies_no_real_password():
    assert not verify_password("correct-horse-battery", dummy_hash(ROUNDS))
    assert dummy_hash(ROUNDS) == dummy_hash(ROUNDS)  # computed once
