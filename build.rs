//! Links the deployable handler with start-up and the request path first.
//!
//! Code is memory too: the kernel maps an executable's pages around each fault in 64 KiB windows,
//! so an idle handler whose start-up and request path were scattered through the binary held nearly
//! all of it (432 to 468 of 468 KiB). The release link (`build.rs`) places the functions listed in
//! `link/hot-symbols.txt` first, in three tiers (start-up, forwarding and settling at idle; payload
//! mode; concurrent clients), `.init` before them, the code right after the ELF headers, then the
//! read-only data, and in a segment of their own the unwind tables with the read-only data only a
//! panic or an I/O error's message reads (`link/init-first.ld`), and aligns segments to 64 KiB so
//! that they fall in the same windows at every start: an idle handler maps 128 KiB of code (two
//! windows, about 130 KB for the first tier; `link/profile.sh --check` prints the room left) and
//! about 270 KiB in all (260 to 275 from build to build: where .data starts in its page moves with
//! the size of the unwind tables before it). `link/profile.sh` writes the list (a gdb breakpoint on
//! every function's entry); `.ci/run` fails when a function of the first two tiers ran but is not
//! listed.
#![forbid(unsafe_code)]

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
