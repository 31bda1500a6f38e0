//! Compresses the CJK fallback font (4 MB, half the binary's fonts) with deflate, so that the binary carries
//! 2 MB of it; vbuild inflates it once, the first time a process lays out text (`media::text`).

use std::path::Path;

fn main() {
    let font = Path::new("assets/fonts/DroidSansFallbackFull.ttf");
    println!("cargo:rerun-if-changed={}", font.display());
    let bytes = std::fs::read(font).expect("the fallback font is in assets/fonts");
    let deflated = miniz_oxide::deflate::compress_to_vec(&bytes, 10);
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("DroidSansFallbackFull.ttf.deflate");
    std::fs::write(out, deflated).expect("OUT_DIR is writable");
}
