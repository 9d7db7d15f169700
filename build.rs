//! Links the deployable handler with start-up and the request path first.
//!
//! The kernel maps an executable's code around each page fault in 64 KiB windows, so hot
//! functions scattered through the binary would map most of it into an idle handler. rust-lld
//! places the functions listed in `link/hot-symbols.txt` (written by `link/profile.sh`) first,
//! where they share a few windows: an idle handler's RSS drops from about 560 to 370 KiB.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=link/hot-symbols.txt");
    println!("cargo:rerun-if-changed=link/init-first.ld");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    // Only lld takes the flag as is: the musl target's linker (.cargo/config.toml). A list that
    // names a function the build no longer has costs nothing; that function is not placed.
    let lld = std::env::var("RUSTC_LINKER").is_ok_and(|linker| linker.ends_with("lld"));
    if lld {
        let link = concat!(env!("CARGO_MANIFEST_DIR"), "/link");
        println!("cargo:rustc-link-arg-bin=handler=--symbol-ordering-file={link}/hot-symbols.txt");
        println!("cargo:rustc-link-arg-bin=handler=-T{link}/init-first.ld");
    }
}
