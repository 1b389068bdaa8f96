fn main() -> std::process::ExitCode {
    usps_batch::cli::main().into()
}
