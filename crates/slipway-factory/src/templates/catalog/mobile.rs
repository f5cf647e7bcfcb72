//! Template 5: a mobile app with Expo and React Native (`templates/mobile/`).

use super::common::{API_BASE_URL, description, project_name};
use super::{Part, Template, TemplateFile, tfile};
use crate::templates::variables::{Kind, Literal, StringRule, Variable};

/// The app's files.
const FILES: [TemplateFile; 13] = [
    tfile!("mobile", "package.json"),
    tfile!("mobile", "app.json"),
    tfile!("mobile", "index.js"),
    tfile!("mobile", "App.jsx"),
    tfile!("mobile", "babel.config.js"),
    tfile!("mobile", "src/config.js"),
    tfile!("mobile", "src/theme.js"),
    tfile!("mobile", "src/api.js"),
    tfile!("mobile", "src/screens/HomeScreen.jsx"),
    tfile!("mobile", "src/components/ItemCard.jsx"),
    tfile!("mobile", "__tests__/api.test.js"),
    tfile!("mobile", "README.md"),
    tfile!("mobile", ".gitignore"),
];

/// The template.
pub static TEMPLATE: Template = Template {
    id: 5,
    name: "Expo React Native App",
    description: "Expo / React Native 移动应用模板（iOS、Android、Web）：列表页、下拉刷新、后端API调用、Jest测试",
    category: "mobile",
    version: "1.0.0",
    variables: &[
        project_name("my-mobile-app"),
        Variable {
            name: "app_name",
            description: "应用显示名称",
            kind: Kind::String { rule: StringRule::Text, max_len: 50 },
            required: false,
            default: Some(Literal::Str("My App")),
            example: None,
        },
        Variable {
            name: "bundle_id",
            description: "iOS Bundle ID / Android 包名（如 com.example.myapp）",
            kind: Kind::String { rule: StringRule::BundleId, max_len: 100 },
            required: false,
            default: Some(Literal::Str("com.example.myapp")),
            example: None,
        },
        description("A mobile app built with Expo"),
        Variable {
            name: "primary_color",
            description: "主题色（#rrggbb）",
            kind: Kind::String { rule: StringRule::HexColor, max_len: 7 },
            required: false,
            default: Some(Literal::Str("#4f46e5")),
            example: None,
        },
        API_BASE_URL,
    ],
    derived: &[],
    parts: &[Part { prefix: "", files: &FILES }],
    readme: "README.md",
};
