//! Template 3: a full-stack app, the FastAPI back end in `backend/` and the React front end in `frontend/`
//! (the files of templates 1 and 2), with a docker-compose file and a README (`templates/fullstack/`).

use super::common::{DATABASE, DEV_PORT, PORT, description, project_name, title};
use super::{Derived, Part, Template, TemplateFile, backend, frontend, tfile};

/// The files at the root of the project.
const ROOT: [TemplateFile; 3] =
    [tfile!("fullstack", "README.md"), tfile!("fullstack", "docker-compose.yml"), tfile!("fullstack", ".gitignore")];

/// The template.
pub static TEMPLATE: Template = Template {
    id: 3,
    name: "FastAPI + React Full-Stack App",
    description: "全栈应用模板：FastAPI后端（SQLAlchemy、pytest）与React + Vite前端，docker-compose一键启动",
    category: "fullstack",
    version: "1.0.0",
    variables: &[
        project_name("my-fullstack-app"),
        title("My App"),
        description("A full-stack app with FastAPI and React"),
        DATABASE,
        PORT,
        DEV_PORT,
    ],
    derived: &[
        // The browser reaches the API through the dev server's proxy, so no API key can be kept secret there.
        Derived { name: "enable_auth", expr: "false" },
        Derived { name: "api_base_url", expr: "'http://localhost:' ~ port" },
    ],
    parts: &[
        Part { prefix: "", files: &ROOT },
        Part { prefix: "backend/", files: &backend::FILES },
        Part { prefix: "frontend/", files: &frontend::FILES },
    ],
    readme: "README.md",
};
