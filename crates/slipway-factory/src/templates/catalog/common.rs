//! Variables several templates declare alike.

use crate::templates::variables::{Kind, Literal, StringRule, Variable};

/// `project_name`: the package or directory name, required.
pub const fn project_name(example: &'static str) -> Variable {
    Variable {
        name: "project_name",
        description: "项目名称（小写字母、数字、- 和 _，以字母开头）",
        kind: Kind::String { rule: StringRule::Slug, max_len: 64 },
        required: true,
        default: None,
        example: Some(Literal::Str(example)),
    }
}

/// `description`: one line about the project.
pub const fn description(default: &'static str) -> Variable {
    Variable {
        name: "description",
        description: "项目描述（一行）",
        kind: Kind::String { rule: StringRule::Text, max_len: 300 },
        required: false,
        default: Some(Literal::Str(default)),
        example: None,
    }
}

/// `title`: the name people see.
pub const fn title(default: &'static str) -> Variable {
    Variable {
        name: "title",
        description: "页面标题",
        kind: Kind::String { rule: StringRule::Text, max_len: 100 },
        required: false,
        default: Some(Literal::Str(default)),
        example: None,
    }
}

/// `database`: what the FastAPI back end stores its data in.
pub const DATABASE: Variable = Variable {
    name: "database",
    description: "数据库",
    kind: Kind::Enum { choices: &["sqlite", "postgresql", "mysql"] },
    required: false,
    default: Some(Literal::Str("sqlite")),
    example: None,
};

/// `port`: where the FastAPI back end listens.
pub const PORT: Variable = Variable {
    name: "port",
    description: "后端服务端口",
    kind: Kind::Integer { min: 1024, max: 65535 },
    required: false,
    default: Some(Literal::Int(8000)),
    example: None,
};

/// `dev_port`: where the Vite dev server listens.
pub const DEV_PORT: Variable = Variable {
    name: "dev_port",
    description: "前端开发服务器端口",
    kind: Kind::Integer { min: 1024, max: 65535 },
    required: false,
    default: Some(Literal::Int(5173)),
    example: None,
};

/// `api_base_url`: where the back end a front end talks to is.
pub const API_BASE_URL: Variable = Variable {
    name: "api_base_url",
    description: "后端API地址",
    kind: Kind::String { rule: StringRule::Url, max_len: 200 },
    required: false,
    default: Some(Literal::Str("http://localhost:8000")),
    example: None,
};
