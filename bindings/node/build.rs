//! Linker settings napi-rs needs for a Node addon on every platform.
fn main() {
    napi_build::setup();
}
