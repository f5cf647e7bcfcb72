//! Template 4: a command-line tool in Python with argparse (`templates/cli/`).

use super::common::{description, project_name};
use super::{Part, Template, TemplateFile, tfile};
use crate::templates::variables::{Kind, Literal, StringRule, Variable};

/// The tool's files; the package directory is named by `package_name`.
const FILES: [TemplateFile; 10] = [
    tfile!("cli", "pyproject.toml"),
    tfile!("cli", "package/__init__.py" => "{{ package_name }}/__init__.py"),
    tfile!("cli", "package/__main__.py" => "{{ package_name }}/__main__.py"),
    tfile!("cli", "package/cli.py" => "{{ package_name }}/cli.py"),
    tfile!("cli", "package/stats.py" => "{{ package_name }}/stats.py"),
    tfile!("cli", "tests/__init__.py"),
    tfile!("cli", "tests/test_cli.py"),
    tfile!("cli", "tests/test_stats.py"),
    tfile!("cli", "README.md"),
    tfile!("cli", ".gitignore"),
];

/// The template.
pub static TEMPLATE: Template = Template {
    id: 4,
    name: "Python CLI Tool",
    description: "Python命令行工具模板：argparse子命令（stats、greet）、--json输出、unittest测试、pyproject.toml",
    category: "cli",
    version: "1.0.0",
    variables: &[
        project_name("text-stats"),
        Variable {
            name: "package_name",
            description: "Python包名（小写字母、数字和 _），也是包目录名",
            kind: Kind::String { rule: StringRule::Identifier, max_len: 64 },
            required: true,
            default: None,
            example: Some(Literal::Str("text_stats")),
        },
        description("Count lines, words and characters"),
        Variable {
            name: "author",
            description: "作者",
            kind: Kind::String { rule: StringRule::Text, max_len: 100 },
            required: false,
            default: Some(Literal::Str("Your Name")),
            example: None,
        },
        Variable {
            name: "python_version",
            description: "最低Python版本",
            kind: Kind::Enum { choices: &["3.10", "3.11", "3.12", "3.13"] },
            required: false,
            default: Some(Literal::Str("3.10")),
            example: None,
        },
    ],
    derived: &[],
    parts: &[Part { prefix: "", files: &FILES }],
    readme: "README.md",
};
