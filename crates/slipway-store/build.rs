//! Rebuilds the crate when a migration is added or changed: `sqlx::migrate!` embeds the files, and on stable
//! Rust the macro cannot tell Cargo to watch them.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
