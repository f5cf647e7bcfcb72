//! ResoftAI's project templates: five shipped in the binary (a FastAPI REST API, a React front end, a
//! full-stack app, a Python CLI, an Expo mobile app), each with declared variables. Applying one checks the
//! caller's values against the declarations, renders every file with minijinja and writes each as a project
//! file (a new version where the path exists), through the one access rule of [`crate::Factory::project_for`].

mod apply;
mod catalog;
mod preview;
mod render;
mod variables;

pub use apply::{AppliedTemplate, TemplateDetail};
pub use catalog::{ALL, CATEGORIES, Derived, Part, Template, TemplateFile, by_id};
pub use preview::{Preview, preview};
pub use render::{RenderedFile, render_files};
pub use variables::{Kind, Literal, StringRule, Values, VarValue, Variable, check, literal_json, sample};
