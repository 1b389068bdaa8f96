use std::os::raw::c_int;

// The scan, the dispatcher and the output writers allocate and free small strings for every
// row, often on different threads. mimalloc serves that faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Options of the mimalloc 3 that libmimalloc-sys 0.1.49 bundles, numbered as in its
/// `mi_option_e` (include/mimalloc.h). The crate names only some of them.
const MI_OPTION_ARENA_EAGER_COMMIT: c_int = 4;
const MI_OPTION_PURGE_DELAY: c_int = 15;

fn main() -> std::process::ExitCode {
    // By default mimalloc commits whole arenas up front and keeps freed pages for a while.
    // A first run with the in-process sandbox then peaked at 118 MB, against 65 MB with
    // memory committed when used, returned to the system as soon as it is free, and no
    // transparent huge pages (the `no_thp` feature in Cargo.toml).
    // SAFETY: both calls only store an option value. They run before any other thread
    // exists.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0);
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
    }
    usps_batch::cli::main().into()
}
