//! Template 1: a FastAPI REST API (`templates/backend/`), also the back end of the full-stack template.

use super::common::{DATABASE, PORT, description, project_name};
use super::{Part, Template, TemplateFile, tfile};
use crate::templates::variables::{Kind, Literal, Variable};

/// The API's files, below the project's root or a full-stack app's `backend/`. They use `project_name`,
/// `description`, `database`, `enable_auth` and `port`.
pub const FILES: [TemplateFile; 19] = [
    tfile!("backend", "app/__init__.py"),
    tfile!("backend", "app/main.py"),
    tfile!("backend", "app/config.py"),
    tfile!("backend", "app/database.py"),
    tfile!("backend", "app/models.py"),
    tfile!("backend", "app/schemas.py"),
    tfile!("backend", "app/auth.py", when = "enable_auth"),
    tfile!("backend", "app/routers/__init__.py"),
    tfile!("backend", "app/routers/items.py"),
    tfile!("backend", "tests/__init__.py"),
    tfile!("backend", "tests/conftest.py"),
    tfile!("backend", "tests/test_health.py"),
    tfile!("backend", "tests/test_items.py"),
    tfile!("backend", "requirements.txt"),
    tfile!("backend", "README.md"),
    tfile!("backend", "Dockerfile"),
    tfile!("backend", ".dockerignore"),
    tfile!("backend", ".env.example"),
    tfile!("backend", ".gitignore"),
];

/// Whether the API asks for a key.
const ENABLE_AUTH: Variable = Variable {
    name: "enable_auth",
    description: "启用API Key认证（X-API-Key 请求头）",
    kind: Kind::Boolean,
    required: false,
    default: Some(Literal::Bool(false)),
    example: None,
};

/// The template.
pub static TEMPLATE: Template = Template {
    id: 1,
    name: "FastAPI REST API",
    description: "完整的FastAPI REST API模板：SQLAlchemy模型、CRUD路由、pytest测试、Dockerfile，可选API Key认证",
    category: "backend",
    version: "1.0.0",
    variables: &[project_name("my-api"), description("A REST API built with FastAPI"), DATABASE, ENABLE_AUTH, PORT],
    derived: &[],
    parts: &[Part { prefix: "", files: &FILES }],
    readme: "README.md",
};
