//! Test helpers (feature `testing`): [`jenkins::LocalJenkins`], a local server speaking Jenkins' remote API.

pub mod jenkins;
