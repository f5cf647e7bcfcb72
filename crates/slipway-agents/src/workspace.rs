//! A job's workspace as agents see it: relative paths only, never outside the directory (no `..`, no absolute
//! paths, no symbolic links leading out), with size limits on what is read and written.

use std::path::{Component, Path, PathBuf};

/// The largest file an agent may read, bytes.
pub const MAX_READ: u64 = 256 * 1024;
/// The largest file an agent may write, bytes.
pub const MAX_WRITE: usize = 1024 * 1024;
/// The most entries a listing returns.
pub const MAX_LIST: usize = 500;

/// A file in the workspace: its relative path and size.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileEntry {
    /// Path relative to the workspace root, with `/` separators.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
}

/// The directory a job's agents work in.
#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
}

impl Workspace {
    /// The workspace at `root` (created when missing).
    pub fn new(root: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(root)?;
        Ok(Self { root: root.canonicalize()? })
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where `rel` lives, if it names a place inside the workspace.
    pub fn resolve(&self, rel: &str) -> Result<PathBuf, String> {
        let rel = rel.trim();
        if rel.is_empty() || rel == "." {
            return Ok(self.root.clone());
        }
        let path = Path::new(rel);
        let mut out = self.root.clone();
        for c in path.components() {
            match c {
                Component::Normal(part) => out.push(part),
                Component::CurDir => {}
                Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                    return Err(format!("path {rel:?} must be relative to the workspace and stay inside it"));
                }
            }
        }
        // A symbolic link on the way must not lead out: check the deepest part that exists.
        let mut existing = out.as_path();
        while !existing.exists() {
            existing = existing.parent().unwrap_or(&self.root);
        }
        let real = existing.canonicalize().map_err(|e| format!("{rel}: {e}"))?;
        if !real.starts_with(&self.root) {
            return Err(format!("path {rel:?} leads outside the workspace"));
        }
        Ok(out)
    }

    /// The text of a file.
    pub async fn read(&self, rel: &str) -> Result<String, String> {
        let path = self.resolve(rel)?;
        let meta = tokio::fs::metadata(&path).await.map_err(|e| format!("{rel}: {e}"))?;
        if !meta.is_file() {
            return Err(format!("{rel} is not a file"));
        }
        if meta.len() > MAX_READ {
            return Err(format!("{rel} is {} bytes; files up to {MAX_READ} bytes can be read", meta.len()));
        }
        let bytes = tokio::fs::read(&path).await.map_err(|e| format!("{rel}: {e}"))?;
        String::from_utf8(bytes).map_err(|_| format!("{rel} is not UTF-8 text"))
    }

    /// Writes a file (creating its directories); returns its size.
    pub async fn write(&self, rel: &str, content: &str) -> Result<usize, String> {
        if content.len() > MAX_WRITE {
            return Err(format!("content is {} bytes; files up to {MAX_WRITE} bytes can be written", content.len()));
        }
        let path = self.resolve(rel)?;
        if path == self.root {
            return Err("a file name is required".into());
        }
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(|e| format!("{rel}: {e}"))?;
            self.resolve(rel)?;
        }
        tokio::fs::write(&path, content).await.map_err(|e| format!("{rel}: {e}"))?;
        Ok(content.len())
    }

    /// Files under `rel` (recursively, sorted, at most [`MAX_LIST`]), skipping `.git`.
    pub async fn list(&self, rel: &str) -> Result<Vec<FileEntry>, String> {
        let start = self.resolve(rel)?;
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || walk(&root, &start)).await.map_err(|e| format!("listing failed: {e}"))?
    }
}

fn walk(root: &Path, start: &Path) -> Result<Vec<FileEntry>, String> {
    let mut out = Vec::new();
    let mut stack = vec![start.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if dir == start => return Err(format!("{}: {e}", start.display())),
            Err(_) => continue,
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else { continue };
            let path = entry.path();
            if kind.is_dir() {
                if entry.file_name() != ".git" {
                    stack.push(path);
                }
            } else if kind.is_file() {
                let rel = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().replace('\\', "/");
                out.push(FileEntry { path: rel, size: entry.metadata().map(|m| m.len()).unwrap_or(0) });
                if out.len() >= MAX_LIST {
                    out.sort_by(|a, b| a.path.cmp(&b.path));
                    return Ok(out);
                }
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn paths_stay_inside_and_files_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::new(dir.path()).unwrap();
        assert_eq!(ws.write("src/main.rs", "fn main() {}").await.unwrap(), 12);
        assert_eq!(ws.read("./src/main.rs").await.unwrap(), "fn main() {}");
        let files = ws.list("").await.unwrap();
        assert_eq!(files, vec![FileEntry { path: "src/main.rs".into(), size: 12 }]);
        for bad in ["../x", "/etc/passwd", "src/../../x"] {
            assert!(ws.resolve(bad).is_err(), "{bad}");
        }
        assert!(ws.read("missing.txt").await.is_err());
        assert!(ws.read("src").await.is_err());
        assert!(ws.write("", "x").await.is_err());
        assert!(ws.write("big", &"x".repeat(MAX_WRITE + 1)).await.is_err());
    }

    #[tokio::test]
    async fn symbolic_links_cannot_lead_out() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "s").unwrap();
        let ws = Workspace::new(dir.path()).unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).unwrap();
        assert!(ws.read("link/secret").await.is_err());
        assert!(ws.write("link/new", "x").await.is_err());
        assert!(!outside.path().join("new").exists());
    }
}
