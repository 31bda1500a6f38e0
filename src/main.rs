//! The `vbuild` command: the allocator set up for a build, then the command line ([`vbuild::cli`]).

fn main() -> std::process::ExitCode {
    vbuild::sys::allocator::tune();
    vbuild::cli::main()
}
