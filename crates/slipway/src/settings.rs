//! Loading the effective configuration: defaults < `slipway.toml` < `SLIPWAY_*` environment < flags.

use std::path::Path;

use anyhow::Context;
use slipway_core::{Config, ConfigLayer};

/// The file read when no `--config` is given.
pub const DEFAULT_CONFIG_FILE: &str = "slipway.toml";

/// Merges the layers. `explicit_file` must exist; otherwise `slipway.toml` in `cwd` is read when present.
pub fn load<I, K, V>(explicit_file: Option<&Path>, cwd: &Path, env: I, flags: ConfigLayer) -> anyhow::Result<Config>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut layers = Vec::new();
    let file = match explicit_file {
        Some(path) => Some(path.to_path_buf()),
        None => Some(cwd.join(DEFAULT_CONFIG_FILE)).filter(|p| p.is_file()),
    };
    if let Some(path) = file {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read configuration file {}", path.display()))?;
        layers.push(ConfigLayer::from_toml(&path.display().to_string(), &text)?);
    }
    layers.extend(ConfigLayer::from_env(env));
    layers.push(flags);
    Ok(Config::from_layers(&layers)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_env_and_flags_stack_in_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("slipway.toml"),
            "log = \"warn\"\ndata_dir = \"/from/file\"\nbind = \"127.0.0.1:1\"\n",
        )
        .unwrap();
        let mut flags = ConfigLayer::new("command line");
        flags.set("bind", "127.0.0.1:3");
        let c = load(None, dir.path(), [("SLIPWAY_DATA_DIR", "/from/env"), ("SLIPWAY_BIND", "127.0.0.1:2")], flags)
            .unwrap();
        assert_eq!(c.log, "warn");
        assert_eq!(c.data_dir, Path::new("/from/env"));
        assert_eq!(c.bind[0].port(), 3);
    }

    #[test]
    fn missing_explicit_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = load(
            Some(&dir.path().join("nope.toml")),
            dir.path(),
            Vec::<(String, String)>::new(),
            ConfigLayer::default(),
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("nope.toml"), "{err:#}");
    }

    #[test]
    fn no_file_means_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let c = load(None, dir.path(), Vec::<(String, String)>::new(), ConfigLayer::default()).unwrap();
        assert_eq!(c, Config::default());
    }
}
