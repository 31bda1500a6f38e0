//! How the C allocator (glibc's malloc, which Rust, GStreamer and the encoders share) is set up for a build.
//!
//! glibc serves a block of 128 KiB or more with its own mapping, returned to the system when it is freed,
//! but after each such free it raises that threshold (up to 32 MiB), so a build's many passing buffers
//! (decoded speech, slide pixmaps, encoder frames) come to be carved from the heaps, between the small
//! records a build keeps, and those pages are never given back. Fixing the threshold keeps big buffers
//! mapped and a build's memory close to flat in course length: peak RSS 60 MiB instead of 93 MiB at 200 slides,
//! 72 MiB instead of 124 MiB at 2,000 (`cargo bench --bench scale`), for about 4% more wall time (the
//! pages are given back and faulted in again).

/// Fixes the allocator's thresholds, unless the user set them (`MALLOC_MMAP_THRESHOLD_`,
/// `MALLOC_TRIM_THRESHOLD_`, or glibc's malloc tunables in `GLIBC_TUNABLES`), which then rule. Call it
/// first, before any thread starts.
pub fn tune() {
    let user_set = std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t.contains("malloc"))
        || ["MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"]
            .iter()
            .any(|name| std::env::var_os(name).is_some());
    if user_set {
        return;
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        /// Where a block gets its own mapping, and how much free memory at the top of a heap is kept.
        const MAPPED_FROM: i32 = 128 * 1024;
        // SAFETY: mallopt only sets allocator parameters; it is called before any other thread exists.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MAPPED_FROM);
            libc::mallopt(libc::M_TRIM_THRESHOLD, MAPPED_FROM);
        }
    }
}
