"""The database engine, sessions and the declarative base of the models."""

from collections.abc import Iterator

from sqlalchemy import create_engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from .config import settings

connect_args = {"check_same_thread": False} if settings.database_url.startswith("sqlite") else {}
engine = create_engine(settings.database_url, connect_args=connect_args, pool_pre_ping=True)
SessionLocal = sessionmaker(bind=engine, autoflush=False, expire_on_commit=False)


class Base(DeclarativeBase):
    """The base class of every model."""


def get_db() -> Iterator[Session]:
    """A session for one request, closed when the request ends."""
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()
