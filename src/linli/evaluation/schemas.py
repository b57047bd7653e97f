"""The API's shapes for the evaluation (every input through `core.inputs`). Points are
integer hundredths (8512 is 85.12 points of 100)."""

from __future__ import annotations

from typing import Annotated, Any

from ninja import Field, Schema

from linli.core.inputs import Id, Line, NotBool, bounded

from .models import MAX_WEIGHT

Year = Annotated[int, NotBool, bounded(2000, 2100)]
Weight = Annotated[int, NotBool, bounded(0, MAX_WEIGHT)]
Target = Annotated[int, NotBool, bounded(1, 100_000)]


class ScoreFilters(Schema):
    year: Year | None = Field(None, description="Default: this year.")
    unit: Id | None = Field(None, description="Default: the highest unit you see.")
    q: Annotated[str, Line(50)] = Field("", description="Part of a representative's name.")


class ScoreQuery(Schema):
    year: Year | None = Field(None, description="Default: this year.")


class PartOut(Schema):
    weight: int
    num: int
    den: int
    no_data: bool
    points: int


class ScoreOut(Schema):
    representative_id: int
    representative_name: str
    unit_id: int
    unit_name: str
    year: int
    total: int = Field(description="Hundredths of a point, of 10000.")
    excluded: bool
    rank_village: int | None
    rank_town: int | None
    rank_city: int | None
    version: int
    computed_at: Any

    @staticmethod
    def resolve_representative_name(obj: Any) -> str:
        return str(obj.representative.name)

    @staticmethod
    def resolve_unit_name(obj: Any) -> str:
        return str(obj.unit.name)

    @staticmethod
    def resolve_version(obj: Any) -> int:
        return int(obj.model.version)


class ScoreDetailOut(ScoreOut):
    parts: dict[str, PartOut]
    breach_ids: list[int]


class WeightsIn(Schema):
    weights: dict[str, Weight] = Field(description="A weight (0..100) for each part.")
    targets: dict[str, Target] = Field(
        default_factory=dict, description="`activities` and `training_minutes` a year."
    )
    note: Annotated[str, Line(200)] = ""


class ModelOut(Schema):
    year: int
    version: int
    weights: dict[str, int]
    targets: dict[str, int]
    note: str
    created_at: Any
