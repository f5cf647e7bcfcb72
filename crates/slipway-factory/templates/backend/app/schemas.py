"""Request and response bodies."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ItemCreate(BaseModel):
    """An item to create."""

    name: str = Field(min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=2000)
    price: float = Field(default=0.0, ge=0)


class ItemUpdate(BaseModel):
    """Fields to change; the ones left out stay."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=2000)
    price: float | None = Field(default=None, ge=0)


class ItemRead(BaseModel):
    """An item as the API answers it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str | None
    price: float
    created_at: datetime
    updated_at: datetime
