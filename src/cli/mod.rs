//! The command line.

pub mod describe;
pub mod doctor;
pub mod init;
pub mod serve;
pub mod watch;
