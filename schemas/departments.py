"""The department registry (`data/departments.yaml`) and matching of typed names."""

from __future__ import annotations

from functools import cached_property, lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from schemas.catalogue import Catalogue, Indicator, get_catalogue
from schemas.names import normalise_name
from schemas.office_files import SHIPPED, office_file
from schemas.round import get_round
from schemas.yaml_file import validated

DEPARTMENTS_FILE = SHIPPED["departments.yaml"]


class Department(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[a-z][a-z_]*$")
    name: str
    full_name: str
    aliases: tuple[str, ...] = ()
    contact: str
    email: EmailStr
    # Other addresses the department's mail may come from (a colleague, a personal box).
    addresses: tuple[EmailStr, ...] = ()
    phone: str = ""
    receives_summaries: bool = False

    @property
    def reach_zh(self) -> str:
        """`吴敏（电话 …，邮箱 …）`: how a person reaches this department's contact."""
        phone = f"电话 {self.phone}，" if self.phone else ""
        return f"{self.contact}（{phone}邮箱 {self.email}）"

    @property
    def mail_addresses(self) -> tuple[str, ...]:
        return tuple(str(a).lower() for a in (self.email, *self.addresses))

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, self.full_name, *self.aliases, self.code)


class Registry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    departments: tuple[Department, ...]
    # Prefixes people may put before a name or leave out: 青源市, 青源.
    city_prefixes: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _names_unique(self) -> Registry:
        owner: dict[str, str] = {}
        for department in self.departments:
            for name in department.names:
                for key in self._keys(name):
                    if owner.setdefault(key, department.code) != department.code:
                        raise ValueError(f"{department.code} 的名称“{name}”与 {owner[key]} "
                                         "重名（collides）")
        senders: dict[str, str] = {}
        for department in self.departments:
            for address in department.mail_addresses:
                if senders.setdefault(address, department.code) != department.code:
                    raise ValueError(f"{department.code} 的邮箱 {address} 也是 "
                                     f"{senders[address]} 的邮箱")
        return self

    def _strip_city(self, key: str) -> str:
        for prefix in self.city_prefixes:
            if key.startswith(prefix) and len(key) > len(prefix):
                return key[len(prefix):]
        return key

    def _keys(self, name: str) -> set[str]:
        key = normalise_name(name)
        return {key, self._strip_city(key)}

    @cached_property
    def _by_key(self) -> dict[str, Department]:
        return {key: d for d in self.departments for n in d.names for key in self._keys(n)}

    def get(self, code: str) -> Department:
        return next(d for d in self.departments if d.code == code)

    @property
    def submitting(self) -> tuple[Department, ...]:
        """The departments that submit figures (everyone but the office)."""
        return tuple(d for d in self.departments if not d.receives_summaries)

    @property
    def office(self) -> Department:
        return next(d for d in self.departments if d.receives_summaries)

    def match(self, text: str) -> Department | None:
        """The department a whole typed name refers to (`青源市教育局` -> edu)."""
        return self._by_key.get(self._strip_city(normalise_name(text)))

    def by_address(self, address: str) -> Department | None:
        """The department whose mail comes from this address (any case)."""
        wanted = address.strip().lower()
        return next((d for d in self.departments if wanted in d.mail_addresses), None)

    def find_in(self, text: str) -> list[Department]:
        """Departments whose names occur inside a longer text (a file or folder name).

        The longest name wins where names overlap (`市委组织部` over `组织部`), so the
        result lists more than one department only when the text really names several.
        """
        key = normalise_name(text)
        hits = sorted(
            ((key.find(k), len(k), d) for k, d in self._by_key.items() if len(k) >= 2 and k in key),
            key=lambda hit: (-hit[1], hit[0]),
        )
        taken: list[tuple[int, int]] = []
        found: list[Department] = []
        for start, length, department in hits:
            if any(start < end and s < start + length for s, end in taken):
                continue
            taken.append((start, start + length))
            if department not in found:
                found.append(department)
        return found

    def indicators_of(self, code: str, catalogue: Catalogue | None = None) -> tuple[Indicator, ...]:
        return (catalogue or get_catalogue()).owned_by(code)


def load_registry(path: Path | None = None) -> Registry:
    parameters = get_round()
    prefixes = tuple(normalise_name(p) for p in (parameters.city, parameters.city_short))
    return validated(Registry, path or office_file("departments.yaml"), city_prefixes=prefixes)


@lru_cache(maxsize=1)
def get_registry() -> Registry:
    return load_registry()
