// The scan, the dispatcher and the output writers allocate and free small strings for every
// row, often on different threads. mimalloc serves that faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    usps_batch::cli::main().into()
}
