//! Template 2: a React front end built with Vite (`templates/frontend/`), also the front end of the full-stack
//! template.

use super::common::{API_BASE_URL, DEV_PORT, description, project_name, title};
use super::{Part, Template, TemplateFile, tfile};

/// The web app's files, below the project's root or a full-stack app's `frontend/`. They use `project_name`,
/// `title`, `description`, `api_base_url` and `dev_port`.
pub const FILES: [TemplateFile; 15] = [
    tfile!("frontend", "package.json"),
    tfile!("frontend", "index.html"),
    tfile!("frontend", "vite.config.js"),
    tfile!("frontend", "src/main.jsx"),
    tfile!("frontend", "src/App.jsx"),
    tfile!("frontend", "src/App.css"),
    tfile!("frontend", "src/index.css"),
    tfile!("frontend", "src/api.js"),
    tfile!("frontend", "src/config.js"),
    tfile!("frontend", "src/components/ItemForm.jsx"),
    tfile!("frontend", "src/components/ItemList.jsx"),
    tfile!("frontend", "src/App.test.jsx"),
    tfile!("frontend", "README.md"),
    tfile!("frontend", ".env.example"),
    tfile!("frontend", ".gitignore"),
];

/// The template.
pub static TEMPLATE: Template = Template {
    id: 2,
    name: "React + Vite Frontend",
    description: "React 18 + Vite 前端模板：组件、表单、后端API调用（开发服务器代理）、Vitest测试",
    category: "frontend",
    version: "1.0.0",
    variables: &[
        project_name("my-app"),
        title("My App"),
        description("A React app built with Vite"),
        API_BASE_URL,
        DEV_PORT,
    ],
    derived: &[],
    parts: &[Part { prefix: "", files: &FILES }],
    readme: "README.md",
};
