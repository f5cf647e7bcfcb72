"""The FastAPI application: `uvicorn app.main:app --port {{ port }}`."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from .database import Base, engine
from .routers import items


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    Base.metadata.create_all(bind=engine)
    yield


app = FastAPI(
    title={{ project_name|tojson }},
    description={{ description|tojson }},
    version="0.1.0",
    lifespan=lifespan,
)
app.include_router(items.router)


@app.get("/health", tags=["health"])
def health() -> dict[str, str]:
    """Whether the service is up."""
    return {"status": "healthy"}
