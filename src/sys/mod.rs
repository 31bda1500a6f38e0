//! What every layer uses and none owns: files written atomically, the files an author names, secrets kept out
//! of text, interrupts, log lines, the allocator's set-up, and small value types (content digests, sizes,
//! stamps, short maps).

pub mod allocator;
pub mod digest;
pub mod files;
pub mod fs;
pub mod interrupt;
pub mod logging;
pub mod secrets;
pub mod shown;
pub mod size;
pub mod small_map;
pub mod stamp;
