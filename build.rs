//! Build script: gives the shared library (`cdylib`) its ELF SONAME.
//!
//! On Linux `libauthkv.so` carries `SONAME libauthkv.so.0`, so a program
//! linked with `-lauthkv` records `NEEDED libauthkv.so.0` and keeps working
//! when a later compatible `libauthkv.so.0.x.y` is installed behind the
//! `libauthkv.so.0` symlink (`packaging/install.sh` lays out those links).
//! The major number stays 0 while the C ABI may still change between 0.x
//! releases; raise it together with an incompatible C ABI change.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // The target's OS, not the host's: `cfg!(target_os)` here would describe
    // the machine running the build script.
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libauthkv.so.0");
    }
}
