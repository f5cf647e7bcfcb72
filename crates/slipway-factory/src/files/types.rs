//! Which files a project may hold, and their media types: source code, text, markup, configuration, data,
//! images, fonts and PDF, by extension or by a well-known name (`Dockerfile`, `Makefile`, `LICENSE`, dotfiles).
//! The table is ours because `mime_guess` names source files poorly (`.py` as `text/plain`, `.java` as
//! `application/octet-stream`, `.ts` as an MPEG stream).

/// An allowed kind of file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileType {
    /// Its media type.
    pub mime: &'static str,
    /// Whether its content is text (shown in a file's details), not binary.
    pub textual: bool,
}

/// Text files by extension, with their media types.
const TEXT: &[(&str, &str)] = &[
    // Source code.
    ("py", "text/x-python"),
    ("pyi", "text/x-python"),
    ("pyx", "text/x-python"),
    ("rs", "text/x-rust"),
    ("go", "text/x-go"),
    ("java", "text/x-java"),
    ("kt", "text/x-kotlin"),
    ("kts", "text/x-kotlin"),
    ("scala", "text/x-scala"),
    ("sbt", "text/x-scala"),
    ("groovy", "text/x-groovy"),
    ("gradle", "text/x-groovy"),
    ("c", "text/x-c"),
    ("h", "text/x-c"),
    ("cc", "text/x-c++"),
    ("cpp", "text/x-c++"),
    ("cxx", "text/x-c++"),
    ("hh", "text/x-c++"),
    ("hpp", "text/x-c++"),
    ("hxx", "text/x-c++"),
    ("m", "text/x-objective-c"),
    ("mm", "text/x-objective-c++"),
    ("cs", "text/x-csharp"),
    ("fs", "text/x-fsharp"),
    ("fsx", "text/x-fsharp"),
    ("vb", "text/x-vb"),
    ("swift", "text/x-swift"),
    ("dart", "text/x-dart"),
    ("js", "text/javascript"),
    ("mjs", "text/javascript"),
    ("cjs", "text/javascript"),
    ("jsx", "text/javascript"),
    ("ts", "text/x-typescript"),
    ("mts", "text/x-typescript"),
    ("cts", "text/x-typescript"),
    ("tsx", "text/x-typescript"),
    ("vue", "text/x-vue"),
    ("svelte", "text/x-svelte"),
    ("astro", "text/x-astro"),
    ("rb", "text/x-ruby"),
    ("php", "text/x-php"),
    ("pl", "text/x-perl"),
    ("pm", "text/x-perl"),
    ("lua", "text/x-lua"),
    ("r", "text/x-r"),
    ("jl", "text/x-julia"),
    ("ex", "text/x-elixir"),
    ("exs", "text/x-elixir"),
    ("erl", "text/x-erlang"),
    ("hrl", "text/x-erlang"),
    ("hs", "text/x-haskell"),
    ("elm", "text/x-elm"),
    ("clj", "text/x-clojure"),
    ("cljs", "text/x-clojure"),
    ("cljc", "text/x-clojure"),
    ("edn", "text/x-clojure"),
    ("ml", "text/x-ocaml"),
    ("mli", "text/x-ocaml"),
    ("nim", "text/x-nim"),
    ("zig", "text/x-zig"),
    ("sol", "text/x-solidity"),
    ("sh", "text/x-shellscript"),
    ("bash", "text/x-shellscript"),
    ("zsh", "text/x-shellscript"),
    ("fish", "text/x-shellscript"),
    ("ps1", "text/x-powershell"),
    ("psm1", "text/x-powershell"),
    ("bat", "text/x-msdos-batch"),
    ("cmd", "text/x-msdos-batch"),
    ("asm", "text/x-asm"),
    ("s", "text/x-asm"),
    ("f", "text/x-fortran"),
    ("f90", "text/x-fortran"),
    ("proto", "text/x-protobuf"),
    ("graphql", "text/x-graphql"),
    ("gql", "text/x-graphql"),
    ("thrift", "text/x-thrift"),
    ("tf", "text/x-hcl"),
    ("tfvars", "text/x-hcl"),
    ("hcl", "text/x-hcl"),
    ("nix", "text/x-nix"),
    ("cmake", "text/x-cmake"),
    ("mk", "text/x-makefile"),
    ("prisma", "text/plain"),
    // Text and documents.
    ("txt", "text/plain"),
    ("text", "text/plain"),
    ("log", "text/plain"),
    ("md", "text/markdown"),
    ("markdown", "text/markdown"),
    ("mdx", "text/markdown"),
    ("rst", "text/x-rst"),
    ("adoc", "text/x-asciidoc"),
    ("asciidoc", "text/x-asciidoc"),
    ("org", "text/x-org"),
    ("tex", "text/x-tex"),
    ("bib", "text/x-bibtex"),
    ("rtf", "application/rtf"),
    // Markup, styles, diagrams.
    ("html", "text/html"),
    ("htm", "text/html"),
    ("xhtml", "application/xhtml+xml"),
    ("xml", "application/xml"),
    ("xsd", "application/xml"),
    ("xsl", "application/xml"),
    ("xslt", "application/xml"),
    ("svg", "image/svg+xml"),
    ("css", "text/css"),
    ("scss", "text/x-scss"),
    ("sass", "text/x-sass"),
    ("less", "text/x-less"),
    ("styl", "text/x-stylus"),
    ("puml", "text/x-plantuml"),
    ("plantuml", "text/x-plantuml"),
    ("mmd", "text/x-mermaid"),
    ("drawio", "application/xml"),
    // Configuration.
    ("json", "application/json"),
    ("jsonc", "application/json"),
    ("json5", "application/json"),
    ("yaml", "application/yaml"),
    ("yml", "application/yaml"),
    ("toml", "application/toml"),
    ("ini", "text/plain"),
    ("cfg", "text/plain"),
    ("conf", "text/plain"),
    ("env", "text/plain"),
    ("properties", "text/x-java-properties"),
    ("lock", "text/plain"),
    ("ipynb", "application/x-ipynb+json"),
    // Data.
    ("csv", "text/csv"),
    ("tsv", "text/tab-separated-values"),
    ("sql", "application/sql"),
    ("jsonl", "application/x-ndjson"),
    ("ndjson", "application/x-ndjson"),
];

/// Binary files by extension: images, fonts, PDF.
const BINARY: &[(&str, &str)] = &[
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("bmp", "image/bmp"),
    ("ico", "image/vnd.microsoft.icon"),
    ("tif", "image/tiff"),
    ("tiff", "image/tiff"),
    ("avif", "image/avif"),
    ("woff", "font/woff"),
    ("woff2", "font/woff2"),
    ("ttf", "font/ttf"),
    ("otf", "font/otf"),
    ("pdf", "application/pdf"),
];

/// Text files known by their whole name (compared without case).
const NAMES: &[&str] = &[
    "dockerfile",
    "containerfile",
    "makefile",
    "gnumakefile",
    "justfile",
    "procfile",
    "gemfile",
    "rakefile",
    "podfile",
    "vagrantfile",
    "jenkinsfile",
    "brewfile",
    "pipfile",
    "license",
    "licence",
    "copying",
    "notice",
    "authors",
    "contributors",
    "readme",
    "changelog",
    "changes",
    "history",
    "todo",
    "codeowners",
    "owners",
    "version",
    "go.mod",
    "go.sum",
    "go.work",
];

/// Whether `name` is a configuration dotfile (`.gitignore`, `.env.local`, `.eslintrc` …): a text file.
fn is_dotfile(name: &str) -> bool {
    const DOTFILES: &[&str] = &[
        ".gitignore",
        ".gitattributes",
        ".gitmodules",
        ".gitkeep",
        ".dockerignore",
        ".editorconfig",
        ".npmrc",
        ".nvmrc",
        ".npmignore",
        ".yarnrc",
        ".prettierrc",
        ".prettierignore",
        ".eslintrc",
        ".eslintignore",
        ".babelrc",
        ".browserslistrc",
        ".stylelintrc",
        ".flake8",
        ".pylintrc",
        ".coveragerc",
        ".python-version",
        ".node-version",
        ".ruby-version",
        ".tool-versions",
        ".htaccess",
        ".env",
    ];
    DOTFILES.contains(&name) || name.starts_with(".env.")
}

/// The allowed type of the file at `path` (its last segment decides), or `None` when a project may not hold
/// it (`Error::UnsupportedFileType`).
pub fn file_type(path: &str) -> Option<FileType> {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    if NAMES.contains(&name.as_str())
        || is_dotfile(&name)
        || name.starts_with("dockerfile.")
        || name.ends_with(".dockerfile")
        || name.starts_with("makefile.")
    {
        return Some(FileType { mime: "text/plain", textual: true });
    }
    let (stem, ext) = name.rsplit_once('.')?;
    if stem.is_empty() {
        return None;
    }
    let find = |table: &[(&str, &'static str)]| table.iter().find(|(e, _)| *e == ext).map(|(_, m)| *m);
    if let Some(mime) = find(TEXT) {
        return Some(FileType { mime, textual: true });
    }
    find(BINARY).map(|mime| FileType { mime, textual: false })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_text_config_data_images_and_known_names_are_allowed() {
        let mime = |p: &str| file_type(p).map(|t| t.mime);
        assert_eq!(mime("src/main.py"), Some("text/x-python"));
        assert_eq!(mime("requirements.txt"), Some("text/plain"));
        assert_eq!(mime("web/App.TSX"), Some("text/x-typescript"), "extensions compare without case");
        assert_eq!(mime("Cargo.toml"), Some("application/toml"));
        assert_eq!(mime("db/schema.sql"), Some("application/sql"));
        assert_eq!(mime("docs/README.md"), Some("text/markdown"));
        assert_eq!(mime("Dockerfile"), Some("text/plain"));
        assert_eq!(mime("deploy/Dockerfile.prod"), Some("text/plain"));
        assert_eq!(mime("LICENSE"), Some("text/plain"));
        assert_eq!(mime(".gitignore"), Some("text/plain"));
        assert_eq!(mime("config/.env.local"), Some("text/plain"));
        assert_eq!(file_type("logo.png"), Some(FileType { mime: "image/png", textual: false }));
        assert_eq!(file_type("spec.pdf"), Some(FileType { mime: "application/pdf", textual: false }));
        assert!(file_type("icon.svg").unwrap().textual, "SVG is XML text");
    }

    #[test]
    fn executables_archives_and_unknown_names_are_refused() {
        for path in
            ["setup.exe", "lib.so", "app.dll", "bundle.zip", "x.tar.gz", "a.out", "core", ".py", "data.bin", "x.docx"]
        {
            assert_eq!(file_type(path), None, "{path}");
        }
    }
}
