"""Settings read from the environment (see .env.example)."""

import os
from dataclasses import dataclass, field


def _database_url() -> str:
{%- if database == "postgresql" %}
    return os.environ.get("DATABASE_URL", "postgresql+psycopg://postgres:postgres@localhost:5432/{{ project_name|replace("-", "_") }}")
{%- elif database == "mysql" %}
    return os.environ.get("DATABASE_URL", "mysql+pymysql://root:root@localhost:3306/{{ project_name|replace("-", "_") }}")
{%- else %}
    return os.environ.get("DATABASE_URL", "sqlite:///./{{ project_name|replace("-", "_") }}.db")
{%- endif %}


@dataclass(frozen=True)
class Settings:
    """What the application is configured with."""

    app_name: str = {{ project_name|tojson }}
    database_url: str = field(default_factory=_database_url)
{%- if enable_auth %}
    api_key: str = field(default_factory=lambda: os.environ.get("API_KEY", ""))
{%- endif %}


settings = Settings()
