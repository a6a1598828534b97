from enum import StrEnum


class UserUpdateRole(StrEnum):
    ADMIN = "admin"
    CUSTOMER = "customer"

    def __str__(self) -> str:
        return str(self.value)
