//! Links the deployable handler with start-up and the request path first.
//!
//! The kernel maps an executable's code around each page fault in 64 KiB windows, so hot
//! functions scattered through the binary would map most of it into an idle handler. rust-lld
//! places the functions listed in `link/hot-symbols.txt` (written by `link/profile.sh`) first,
//! where they share two windows: an idle handler's RSS drops from about 600 to 260 KiB.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=link/hot-symbols.txt");
    println!("cargo:rerun-if-changed=link/init-first.ld");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    // Only lld takes these as they are: the musl target's linker (.cargo/config.toml). A list
    // that names a function the build no longer has costs nothing; that function is not placed.
    let lld = std::env::var("RUSTC_LINKER").is_ok_and(|linker| linker.ends_with("lld"));
    if lld {
        // Relative: rustc links in the package's directory, wherever the checkout has moved.
        for arg in [
            "--symbol-ordering-file=link/hot-symbols.txt",
            "-Tlink/init-first.ld",
            // Segments aligned to 64 KiB, so the kernel loads the binary at a 64 KiB boundary
            // and the hot functions fall in the same windows at every start, whatever ASLR picks.
            "-zmax-page-size=65536",
        ] {
            println!("cargo:rustc-link-arg-bin=handler={arg}");
            // The examples too, so that .ci/deploy-smoke can check a panic in a binary laid
            // out like the deployed one (the unwind tables are moved; link/init-first.ld).
            println!("cargo:rustc-link-arg-examples={arg}");
        }
    }
}
