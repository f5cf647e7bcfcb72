//! The category a file gets when its uploader names none, read from its path: tests are `test`, design
//! documents and diagrams `design`, requirement documents `requirements`, other documents `documentation`,
//! everything else `code`.

/// Directories that hold tests.
const TEST_DIRS: &[&str] = &["test", "tests", "__tests__", "spec", "specs", "e2e", "testing"];
/// Directories that hold documentation.
const DOC_DIRS: &[&str] = &["doc", "docs", "documentation", "wiki"];
/// Extensions of documents (prose rather than code).
const DOC_EXTS: &[&str] =
    &["md", "markdown", "mdx", "rst", "adoc", "asciidoc", "txt", "text", "org", "tex", "pdf", "rtf"];
/// Extensions of diagrams.
const DIAGRAM_EXTS: &[&str] = &["puml", "plantuml", "mmd", "drawio"];
/// Extensions of images.
const IMAGE_EXTS: &[&str] = &["png", "jpg", "jpeg", "gif", "webp", "bmp", "svg", "tif", "tiff", "avif"];
/// Words of a path that make a document a design document.
const DESIGN_WORDS: &[&str] =
    &["design", "architecture", "arch", "uml", "wireframe", "wireframes", "mockup", "mockups", "diagram", "diagrams"];
/// Words of a path that make a document a requirements document.
const REQUIREMENT_WORDS: &[&str] = &["requirement", "requirements", "srs", "prd", "stories", "user-stories"];
/// Documents known by their name (without extension).
const DOC_NAMES: &[&str] =
    &["readme", "changelog", "changes", "history", "contributing", "license", "licence", "authors"];

/// The category for a file at `path` (normalized) whose uploader named none.
pub fn infer_category(path: &str) -> &'static str {
    let lower = path.to_ascii_lowercase();
    let (dirs, name) = lower.rsplit_once('/').unwrap_or(("", &lower));
    let dirs: Vec<&str> = dirs.split('/').filter(|d| !d.is_empty()).collect();
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    let words: Vec<&str> =
        lower.split(['/', '.', '_', ' ']).flat_map(|w| [w].into_iter().chain(w.split('-'))).collect();
    let has_word = |list: &[&str]| words.iter().any(|w| list.contains(w));

    let test_name = stem.starts_with("test_")
        || ["_test", ".test", ".spec", "_spec", "-test", "-spec"].iter().any(|s| stem.ends_with(s))
        || name == "conftest.py";
    if test_name || dirs.iter().any(|d| TEST_DIRS.contains(d)) {
        return "test";
    }
    let document = DOC_EXTS.contains(&ext) || DOC_NAMES.contains(&stem);
    let picture = IMAGE_EXTS.contains(&ext);
    // `requirements.txt` and `requirements/dev.txt` are pip's dependency lists: code.
    let pip_list = ext == "txt" && (stem.starts_with("requirements") || dirs.last() == Some(&"requirements"));
    if DIAGRAM_EXTS.contains(&ext) || ((document || picture) && has_word(DESIGN_WORDS)) {
        return "design";
    }
    if document && !pip_list && has_word(REQUIREMENT_WORDS) {
        return "requirements";
    }
    if (document && !pip_list) || (picture && dirs.iter().any(|d| DOC_DIRS.contains(d))) {
        return "documentation";
    }
    "code"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_say_what_a_file_is() {
        for (path, want) in [
            ("src/app.py", "code"),
            ("main.py", "code"),
            ("Dockerfile", "code"),
            ("requirements.txt", "code"),
            ("requirements/dev.txt", "code"),
            ("package.json", "code"),
            ("static/logo.png", "code"),
            ("tests/test_api.py", "test"),
            ("test_main.py", "test"),
            ("src/app.test.ts", "test"),
            ("pkg/server_test.go", "test"),
            ("web/__tests__/App.jsx", "test"),
            ("tests/fixtures/data.json", "test"),
            ("README.md", "documentation"),
            ("docs/usage.rst", "documentation"),
            ("notes.txt", "documentation"),
            ("docs/screenshot.png", "documentation"),
            ("CHANGELOG", "documentation"),
            ("docs/architecture.md", "design"),
            ("design/ui-mockup.png", "design"),
            ("diagrams/flow.puml", "design"),
            ("docs/system_design.pdf", "design"),
            ("docs/SRS.md", "requirements"),
            ("requirements.md", "requirements"),
            ("docs/user-stories.md", "requirements"),
        ] {
            assert_eq!(infer_category(path), want, "{path}");
        }
    }
}
