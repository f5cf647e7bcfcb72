"""Test fixtures: the app on a fresh in-memory SQLite database for every test."""

import os
from collections.abc import Iterator

os.environ["DATABASE_URL"] = "sqlite://"
{%- if enable_auth %}
os.environ["API_KEY"] = "test-key"
{%- endif %}

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool

from app.database import Base, get_db
from app.main import app


@pytest.fixture()
def client() -> Iterator[TestClient]:
    engine = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)
    Base.metadata.create_all(bind=engine)
    testing_session = sessionmaker(bind=engine, autoflush=False, expire_on_commit=False)

    def override_get_db():
        db = testing_session()
        try:
            yield db
        finally:
            db.close()

    app.dependency_overrides[get_db] = override_get_db
    with TestClient(app) as c:
{%- if enable_auth %}
        c.headers["X-API-Key"] = "test-key"
{%- endif %}
        yield c
    app.dependency_overrides.clear()
    engine.dispose()
